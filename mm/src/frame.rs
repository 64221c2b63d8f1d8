//! The physical frame allocator: hands out frames of guest RAM (`PhysMem`) with
//! per-frame reference counts, the way Linux's page allocator and `struct page`
//! refcount do. Copy-on-write sharing after fork, shared mappings and (later) the
//! page cache each hold a reference; the frame returns to the free list, and its
//! host memory to the host, when the last reference is put.
//!
//! One allocator is shared by every address space (`Arc`); a mutex inside makes
//! it usable from any kernel thread. Free frames are a bitmap (`free_set`):
//! one is found in a few word reads, and so is, while memory is plentiful, an
//! aligned run of them for a block of neighbouring pages (`alloc_run`), which
//! the host then maps with one call. When none is free, the allocator asks
//! its `Shrinker` (the kernel's page caches) to give clean frames back first.
//!
//! Two kinds of allocation, as Linux's watermarks make them: `alloc`, for
//! pages a process maps (faults, user copies), may take the last frame, and
//! its failure is what calls the OOM killer (the kernel checks
//! `take_alloc_failure` on its way out of the fault or system call);
//! `alloc_kernel`, for what killing processes cannot free (tmpfs data, pipe
//! buffers), leaves `min_free` frames to the first kind and just fails.

use arch::sync::{Mutex, MutexGuard};
use std::cell::Cell;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};

use arch::{Errno, PhysMem, Result};

use crate::free_set::FreeSet;
use crate::PAGE_SIZE;

/// How many words of the free bitmap a search for a run reads at most.
const RUN_TRIES: usize = 64;

struct Frames {
    /// Reference count of every frame; 0 means free (or reserved).
    refcounts: Vec<u32>,
    free: FreeSet,
}

/// What frees memory when guest RAM runs out (Linux's shrinkers): the page
/// caches, whose clean pages nobody maps can be dropped and read again later.
pub trait Shrinker: Send + Sync {
    /// Puts frames that can be given up; returns how many were freed. It may be
    /// called with any lock of the caller held, so it must only try locks.
    fn shrink(&self) -> u64;
}

thread_local! {
    /// Set when an `alloc` of this thread found no frame.
    static ALLOC_FAILED: Cell<bool> = const { Cell::new(false) };
}

/// Returns whether an `alloc` of this thread failed since the last call, and
/// clears that: the kernel asks after a fault or system call failed with
/// `ENOMEM`, to decide whether the OOM killer may help.
pub fn take_alloc_failure() -> bool {
    ALLOC_FAILED.with(|f| f.replace(false))
}

/// Returns Linux's `min_free_kbytes` for `total_kb` of RAM (mm/page_alloc.c:
/// the square root of 16 times the RAM in KiB, within [128, 262144]), in
/// frames, and never more than a quarter of RAM.
fn min_free_frames(total_frames: u64) -> u64 {
    let total_kb = total_frames * (PAGE_SIZE / 1024);
    let kb = (total_kb * 16).isqrt().clamp(128, 262_144);
    (kb / (PAGE_SIZE / 1024)).min(total_frames / 4)
}

/// Physical frame allocator over `PhysMem` with per-frame reference counts.
pub struct FrameAllocator {
    physmem: Arc<PhysMem>,
    reserved: u64,
    /// Frames `alloc_kernel` leaves free for `alloc`.
    min_free: u64,
    frames: Mutex<Frames>,
    shrinker: OnceLock<Weak<dyn Shrinker>>,
    /// Frames holding shared memory: tmpfs data and shared anonymous
    /// mappings (Linux's `NR_SHMEM`, meminfo's Shmem).
    shmem: AtomicU64,
}

impl FrameAllocator {
    /// Creates an allocator over all of `physmem`; frames `[0, reserved_frames)`
    /// are never handed out.
    pub fn new(physmem: Arc<PhysMem>, reserved_frames: u64) -> Arc<Self> {
        let total = physmem.size() / PAGE_SIZE;
        let reserved = reserved_frames.min(total);
        let free = FreeSet::new(reserved, total);
        Arc::new(FrameAllocator {
            physmem,
            reserved,
            min_free: min_free_frames(total - reserved),
            frames: Mutex::new(Frames {
                refcounts: vec![0; total as usize],
                free,
            }),
            shrinker: OnceLock::new(),
            shmem: AtomicU64::new(0),
        })
    }

    /// Sets what `alloc` asks for frames when none is free (once).
    pub fn set_shrinker(&self, shrinker: Weak<dyn Shrinker>) {
        if self.shrinker.set(shrinker).is_err() {
            log::warn!("mm: a shrinker is already set");
        }
    }

    /// Returns guest RAM.
    pub fn physmem(&self) -> &Arc<PhysMem> {
        &self.physmem
    }

    fn lock(&self) -> MutexGuard<'_, Frames> {
        // A panic elsewhere cannot leave the counts half-updated: every update is
        // a single store, so a poisoned lock is still consistent.
        self.frames.lock()
    }

    fn frame(&self, paddr: u64) -> Option<usize> {
        let frame = paddr / PAGE_SIZE;
        if !paddr.is_multiple_of(PAGE_SIZE) || frame < self.reserved || frame >= self.total_frames()
        {
            log::error!("mm: bad frame address {paddr:#x}");
            debug_assert!(false, "bad frame address {paddr:#x}");
            return None;
        }
        Some(frame as usize)
    }

    /// Returns the address of a zeroed frame with reference count 1 for a
    /// page a process maps, or `ENOMEM` when guest RAM is exhausted even after
    /// the shrinker gave back what it could; the failure is noted for
    /// `take_alloc_failure`.
    pub fn alloc(&self) -> Result<u64> {
        self.alloc_above(0)
            .inspect_err(|_| ALLOC_FAILED.with(|f| f.set(true)))
    }

    /// Returns a zeroed frame with reference count 1 for memory the kernel
    /// holds that killing a process would not free (tmpfs data, pipe
    /// buffers), or `ENOMEM` rather than take one of the last `min_free`.
    pub fn alloc_kernel(&self) -> Result<u64> {
        self.alloc_above(self.min_free)
    }

    /// Allocates a frame if more than `keep` are free, shrinking the caches
    /// once if not.
    fn alloc_above(&self, keep: u64) -> Result<u64> {
        if let Some(paddr) = self.try_alloc(keep) {
            return Ok(paddr);
        }
        let shrinker = self.shrinker.get().and_then(Weak::upgrade);
        if shrinker.is_some_and(|s| s.shrink() > 0) {
            if let Some(paddr) = self.try_alloc(keep) {
                return Ok(paddr);
            }
        }
        Err(Errno::ENOMEM)
    }

    /// Returns a free frame with reference count 1, if more than `keep` are
    /// free.
    fn try_alloc(&self, keep: u64) -> Option<u64> {
        let mut frames = self.lock();
        if frames.free.len() <= keep {
            return None;
        }
        let frame = frames.free.pop()?;
        frames.refcounts[frame] = 1;
        // Frames are zero when free: never used yet, or discarded by `put`.
        Some(frame as u64 * PAGE_SIZE)
    }

    /// Returns the first of `n` (a power of two, at most 64) zeroed frames in
    /// a row, aligned to `n` frames, each with reference count 1, if more
    /// than an eighth of guest RAM is free and such a run is found quickly;
    /// never shrinks the caches nor notes a failure (the caller takes
    /// single frames instead).
    pub fn alloc_run(&self, n: u64) -> Option<u64> {
        let plenty = self.plenty();
        let mut frames = self.lock();
        if frames.free.len() < plenty + n {
            return None;
        }
        let first = frames.free.pop_run(n as usize, RUN_TRIES)?;
        frames.refcounts[first..first + n as usize].fill(1);
        Some(first as u64 * PAGE_SIZE)
    }

    /// Returns whether `n` frames may be taken for something only useful
    /// (read-around): more than an eighth of guest RAM would stay free.
    pub fn spare(&self, n: u64) -> bool {
        self.free_frames() >= self.plenty() + n
    }

    /// How many free frames make RAM plentiful: an eighth of it.
    fn plenty(&self) -> u64 {
        (self.total_frames() / 8).max(2 * self.min_free)
    }

    /// Returns a zeroed frame with reference count 1 for something only
    /// useful, if `spare`; never shrinks the caches nor notes a failure.
    pub fn alloc_spare(&self) -> Option<u64> {
        if !self.spare(1) {
            return None;
        }
        self.try_alloc(0)
    }

    /// Takes another reference to the allocated frame at `paddr`.
    pub fn get(&self, paddr: u64) {
        let Some(frame) = self.frame(paddr) else {
            return;
        };
        let mut frames = self.lock();
        debug_assert!(frames.refcounts[frame] > 0, "get of free frame {paddr:#x}");
        frames.refcounts[frame] = frames.refcounts[frame].saturating_add(1);
    }

    /// Drops a reference to the frame at `paddr`, freeing it at the last one.
    pub fn put(&self, paddr: u64) {
        let Some(frame) = self.frame(paddr) else {
            return;
        };
        let mut frames = self.lock();
        match frames.refcounts[frame] {
            0 => {
                log::error!("mm: put of free frame {paddr:#x}");
                debug_assert!(false, "put of free frame {paddr:#x}");
            }
            1 => {
                frames.refcounts[frame] = 0;
                // Zero it and give its memory back before anyone can reuse it.
                self.physmem.discard(paddr, PAGE_SIZE);
                frames.free.insert(frame);
            }
            n => frames.refcounts[frame] = n - 1,
        }
    }

    /// Returns the reference count of the frame at `paddr` (0 when free).
    pub fn refcount(&self, paddr: u64) -> u32 {
        let frame = paddr / PAGE_SIZE;
        let frames = self.lock();
        frames.refcounts.get(frame as usize).copied().unwrap_or(0)
    }

    /// Returns the number of frames available for allocation.
    pub fn free_frames(&self) -> u64 {
        self.lock().free.len()
    }

    /// Returns how many frames `alloc_kernel` leaves free (Linux's
    /// `min_free_kbytes`, in frames).
    pub fn min_free(&self) -> u64 {
        self.min_free
    }

    /// Notes that `pages` frames became shared memory (negative: stopped
    /// being it), for meminfo's Shmem.
    pub fn account_shmem(&self, pages: i64) {
        if pages >= 0 {
            self.shmem.fetch_add(pages as u64, Ordering::Relaxed);
        } else {
            let less = pages.unsigned_abs();
            let _ = self
                .shmem
                .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                    Some(n.saturating_sub(less))
                });
        }
    }

    /// Returns the number of frames holding shared memory.
    pub fn shmem_frames(&self) -> u64 {
        self.shmem.load(Ordering::Relaxed)
    }

    /// Returns the number of frames of guest RAM, reserved ones included.
    pub fn total_frames(&self) -> u64 {
        self.physmem.size() / PAGE_SIZE
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allocator(frames: u64, reserved: u64) -> Arc<FrameAllocator> {
        let pm = PhysMem::new(frames * PAGE_SIZE).expect("memfd");
        FrameAllocator::new(Arc::new(pm), reserved)
    }

    #[test]
    fn exhaustion_returns_enomem() {
        let fa = allocator(8, 2);
        assert_eq!(fa.total_frames(), 8);
        assert_eq!(fa.free_frames(), 6);
        let got: Vec<u64> = (0..6).map(|_| fa.alloc().expect("frame")).collect();
        assert!(got
            .iter()
            .all(|p| (2 * PAGE_SIZE..8 * PAGE_SIZE).contains(p)));
        assert!(!take_alloc_failure());
        assert_eq!(fa.alloc(), Err(Errno::ENOMEM));
        assert!(take_alloc_failure(), "the failure is noted");
        assert!(!take_alloc_failure(), "and cleared when taken");
        assert_eq!(fa.free_frames(), 0);
        fa.put(got[3]);
        assert_eq!(fa.alloc(), Ok(got[3]));
    }

    #[test]
    fn kernel_allocations_leave_the_reserve() {
        // 64 MiB: Linux's min_free_kbytes is 1024 KiB, 256 frames.
        assert_eq!(min_free_frames(16384), 256);
        let fa = allocator(64, 0);
        let reserve = fa.min_free();
        assert_eq!(reserve, 16, "a quarter of a tiny RAM");
        let mut got = Vec::new();
        while let Ok(p) = fa.alloc_kernel() {
            got.push(p);
        }
        assert_eq!(fa.free_frames(), reserve);
        assert!(
            !take_alloc_failure(),
            "alloc_kernel does not ask for the OOM killer"
        );
        for _ in 0..reserve {
            got.push(fa.alloc().expect("the reserve is for alloc"));
        }
        assert_eq!(fa.alloc(), Err(Errno::ENOMEM));
        assert!(take_alloc_failure());
        for p in got {
            fa.put(p);
        }
        assert_eq!(fa.free_frames(), 64);
    }

    #[test]
    fn refcounts_and_zeroed_reuse() {
        let fa = allocator(4, 0);
        let p = fa.alloc().expect("frame");
        assert_eq!(fa.refcount(p), 1);
        fa.physmem().write(p + 7, b"dirty");
        fa.get(p);
        assert_eq!(fa.refcount(p), 2);
        fa.put(p);
        assert_eq!(fa.refcount(p), 1);
        assert_eq!(fa.free_frames(), 3);
        fa.put(p);
        assert_eq!(fa.refcount(p), 0);
        assert_eq!(fa.free_frames(), 4);
        let q = fa.alloc().expect("frame");
        assert_eq!(q, p, "the freed frame is reused first");
        let mut buf = [0xffu8; 5];
        fa.physmem().read(q + 7, &mut buf);
        assert_eq!(buf, [0; 5], "a reused frame is zeroed");
    }
}
