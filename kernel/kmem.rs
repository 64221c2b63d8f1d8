//! Kernel memory a guest makes the kernel hold, charged against guest RAM
//! (Linux allocates it from the slab and page allocators, so it can never
//! exceed RAM): queued Unix socket messages and queued signals. Their bytes
//! live on the kernel heap, which would bound nothing, so every object is
//! *charged*: the bytes of all live charges are backed by frames taken with
//! `alloc_kernel` and never touched. Guest RAM is a sparse memfd, so an
//! untouched frame costs the host nothing while the heap holds the bytes:
//! host memory stays within `mem=`, MemFree drops by what these objects
//! hold (shown as Slab and SUnreclaim in /proc/meminfo, as Linux's slabs),
//! and the frames go back when the charges are dropped. Storing the bytes
//! in the frames themselves (as pipes do) would cost a page per small
//! datagram or siginfo, where Linux's slabs cost a fraction of one;
//! charging keeps the byte-exact accounting. The heap does not give freed
//! memory back to the host by itself, so once `TRIM_PAGES` of charges went
//! away since the last time, the heap is trimmed (`arch::host::heap::trim`).
//! A charge that finds no frame fails with ENOMEM; callers answer what
//! Linux answers when such an allocation fails.

use arch::sync::KernelCell;
use arch::{Errno, Result};
use mm::{FrameAllocator, PAGE_SIZE};
use std::sync::{Arc, OnceLock};

const PAGE: usize = PAGE_SIZE as usize;
/// How many pages of charges must be given back before the heap is
/// trimmed (4 MiB: a trim walks every arena, so not on every message).
const TRIM_PAGES: usize = 1024;

/// The bytes charged and the frames that back them: `frames.len()` is
/// always `bytes` rounded up to pages.
struct Pool {
    bytes: usize,
    frames: Vec<u64>,
    /// The most frames held since the heap was last trimmed.
    peak: usize,
}

/// The charged memory, backed by frames of one allocator.
struct KernelMemory {
    allocator: Arc<FrameAllocator>,
    pool: KernelCell<Pool>,
}

/// One object's charge, given back when dropped.
pub struct KmemCharge {
    memory: Option<&'static KernelMemory>,
    bytes: usize,
}

impl std::fmt::Debug for KmemCharge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "KmemCharge({} bytes)", self.bytes)
    }
}

impl Drop for KmemCharge {
    fn drop(&mut self) {
        if let Some(m) = self.memory {
            m.uncharge(self.bytes);
        }
    }
}

/// Returns the charged memory of the booted kernel (none in host unit
/// tests, which run without guest RAM).
fn global() -> Option<&'static KernelMemory> {
    static MEMORY: OnceLock<Option<KernelMemory>> = OnceLock::new();
    MEMORY
        .get_or_init(|| crate::boot::try_kernel().map(|k| KernelMemory::new(k.frames.clone())))
        .as_ref()
}

/// Charges `bytes` of a new object: ENOMEM when guest RAM has no frame
/// for them.
pub fn charge(bytes: usize) -> Result<KmemCharge> {
    match global() {
        Some(m) => m.charge(bytes),
        None => Ok(KmemCharge {
            memory: None,
            bytes,
        }),
    }
}

/// Returns the frames the charges hold, for /proc/meminfo.
pub fn pages() -> u64 {
    global().map_or(0, |m| m.pool.borrow().frames.len() as u64)
}

impl KernelMemory {
    fn new(allocator: Arc<FrameAllocator>) -> KernelMemory {
        KernelMemory {
            allocator,
            pool: KernelCell::new(Pool {
                bytes: 0,
                frames: Vec::new(),
                peak: 0,
            }),
        }
    }

    fn charge(&'static self, bytes: usize) -> Result<KmemCharge> {
        let mut pool = self.pool.borrow_mut();
        let want = (pool.bytes + bytes).div_ceil(PAGE);
        while pool.frames.len() < want {
            match self.allocator.alloc_kernel() {
                Ok(paddr) => pool.frames.push(paddr),
                Err(_) => {
                    self.trim(&mut pool);
                    return Err(Errno::ENOMEM);
                }
            }
        }
        pool.bytes += bytes;
        pool.peak = pool.peak.max(pool.frames.len());
        Ok(KmemCharge {
            memory: Some(self),
            bytes,
        })
    }

    /// Gives back a charge of `bytes`, trimming the heap if enough was
    /// given back (an object frees its bytes before its charge).
    fn uncharge(&self, bytes: usize) {
        let trim_heap = {
            let mut pool = self.pool.borrow_mut();
            pool.bytes = pool.bytes.saturating_sub(bytes);
            self.trim(&mut pool);
            let trim_heap = pool.peak >= pool.frames.len() + TRIM_PAGES;
            if trim_heap {
                pool.peak = pool.frames.len();
            }
            trim_heap
        };
        if trim_heap {
            arch::host::heap::trim();
        }
    }

    /// Puts the frames `pool.bytes` no longer needs.
    fn trim(&self, pool: &mut Pool) {
        let keep = pool.bytes.div_ceil(PAGE);
        while pool.frames.len() > keep {
            if let Some(paddr) = pool.frames.pop() {
                self.allocator.put(paddr);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn charges_are_backed_by_frames_and_bounded_by_ram() {
        let _k = crate::lock::entered();
        let ram = arch::PhysMem::new(64 * PAGE_SIZE).expect("guest RAM");
        let frames = FrameAllocator::new(Arc::new(ram), 0);
        let memory: &'static KernelMemory = Box::leak(Box::new(KernelMemory::new(frames.clone())));
        let free = frames.free_frames();
        let small: Vec<KmemCharge> = (0..8).map(|_| memory.charge(512).expect("room")).collect();
        assert_eq!(
            frames.free_frames(),
            free - 1,
            "small messages share a page"
        );
        let big = memory.charge(10 * PAGE + 1).expect("room");
        assert_eq!(frames.free_frames(), free - 12);
        // alloc_kernel leaves a quarter of a tiny RAM.
        let mut rest = Vec::new();
        while let Ok(c) = memory.charge(PAGE) {
            rest.push(c);
        }
        assert_eq!(frames.free_frames(), frames.min_free());
        assert_eq!(
            memory.charge(PAGE).err(),
            Some(Errno::ENOMEM),
            "a failed charge takes nothing"
        );
        assert_eq!(frames.free_frames(), frames.min_free());
        drop((small, big, rest));
        assert_eq!(frames.free_frames(), free, "everything comes back");
        assert_eq!(memory.pool.borrow().bytes, 0);
    }
}
