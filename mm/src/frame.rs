//! The physical frame allocator: hands out frames of guest RAM (`PhysMem`) with
//! per-frame reference counts, the way Linux's page allocator and `struct page`
//! refcount do. Copy-on-write sharing after fork, shared mappings and (later) the
//! page cache each hold a reference; the frame returns to the free list, and its
//! host memory to the host, when the last reference is put.
//!
//! One allocator is shared by every address space (`Arc`); a mutex inside makes
//! it usable from any kernel thread. Allocation and freeing are O(1): free
//! frames sit on a stack of frame numbers. When none is free, the allocator asks
//! its `Shrinker` (the kernel's page caches) to give clean frames back first.

use arch::sync::{Mutex, MutexGuard};
use std::sync::{Arc, OnceLock, Weak};

use arch::{Errno, PhysMem, Result};

use crate::PAGE_SIZE;

struct Frames {
    /// Reference count of every frame; 0 means free (or reserved).
    refcounts: Vec<u32>,
    /// Free frame numbers; the next allocation pops from the end.
    free: Vec<u32>,
}

/// What frees memory when guest RAM runs out (Linux's shrinkers): the page
/// caches, whose clean pages nobody maps can be dropped and read again later.
pub trait Shrinker: Send + Sync {
    /// Puts frames that can be given up; returns how many were freed. It may be
    /// called with any lock of the caller held, so it must only try locks.
    fn shrink(&self) -> u64;
}

/// Physical frame allocator over `PhysMem` with per-frame reference counts.
pub struct FrameAllocator {
    physmem: Arc<PhysMem>,
    reserved: u64,
    frames: Mutex<Frames>,
    shrinker: OnceLock<Weak<dyn Shrinker>>,
}

impl FrameAllocator {
    /// Creates an allocator over all of `physmem`; frames `[0, reserved_frames)`
    /// are never handed out.
    pub fn new(physmem: Arc<PhysMem>, reserved_frames: u64) -> Arc<Self> {
        let total = physmem.size() / PAGE_SIZE;
        let reserved = reserved_frames.min(total);
        // Lowest frames are handed out first.
        let free = (reserved..total).rev().map(|f| f as u32).collect();
        Arc::new(FrameAllocator {
            physmem,
            reserved,
            frames: Mutex::new(Frames {
                refcounts: vec![0; total as usize],
                free,
            }),
            shrinker: OnceLock::new(),
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

    /// Returns the address of a zeroed frame with reference count 1, or `ENOMEM`
    /// when guest RAM is exhausted even after the shrinker gave back what it
    /// could.
    pub fn alloc(&self) -> Result<u64> {
        if let Some(paddr) = self.try_alloc() {
            return Ok(paddr);
        }
        let shrinker = self.shrinker.get().and_then(Weak::upgrade);
        if shrinker.is_some_and(|s| s.shrink() > 0) {
            if let Some(paddr) = self.try_alloc() {
                return Ok(paddr);
            }
        }
        Err(Errno::ENOMEM)
    }

    /// Returns a free frame with reference count 1, if there is one.
    fn try_alloc(&self) -> Option<u64> {
        let mut frames = self.lock();
        let frame = frames.free.pop()?;
        frames.refcounts[frame as usize] = 1;
        // Frames are zero when free: never used yet, or discarded by `put`.
        Some(u64::from(frame) * PAGE_SIZE)
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
                frames.free.push(frame as u32);
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
        self.lock().free.len() as u64
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
        assert_eq!(fa.alloc(), Err(Errno::ENOMEM));
        assert_eq!(fa.free_frames(), 0);
        fa.put(got[3]);
        assert_eq!(fa.alloc(), Ok(got[3]));
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
