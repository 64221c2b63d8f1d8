//! What queued socket messages may take of guest RAM. Linux allocates an
//! skb's data from the page and slab allocators, so all messages queued on
//! all sockets together can never take more than RAM; here their bytes live
//! on the kernel heap, which would bound nothing. So every message is
//! *charged* against the frame allocator: the bytes of all queued messages
//! (data plus a fixed overhead each) are backed by frames taken with
//! `alloc_kernel` and never touched. Guest RAM is a sparse memfd, so an
//! untouched frame costs the host nothing while the heap holds the bytes:
//! host memory stays within `mem=`, MemFree drops by what sockets hold (shown
//! as Slab and SUnreclaim in /proc/meminfo, where Linux counts skbs), and
//! the frames go back when the messages are consumed or dropped. Storing
//! the data in the frames themselves (as pipes do) would cost a page per
//! small datagram, where Linux's skbs cost a fraction of one; charging
//! keeps the byte-exact accounting. The heap does not give freed memory
//! back to the host by itself, so once `TRIM_PAGES` of charges went away
//! since the last time, the heap is trimmed (`arch::host::heap::trim`).
//! When no frame is left, the send fails with ENOBUFS, as Linux's
//! `sock_alloc_send_pskb` when the allocation of an skb fails.

use crate::task::locked;
use arch::sync::Mutex;
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

/// All sockets' memory, backed by frames of one allocator.
pub(super) struct SocketMemory {
    allocator: Arc<FrameAllocator>,
    pool: Mutex<Pool>,
}

/// One message's charge, given back when dropped.
pub(super) struct MemCharge {
    memory: Option<&'static SocketMemory>,
    bytes: usize,
}

impl Drop for MemCharge {
    fn drop(&mut self) {
        if let Some(m) = self.memory {
            m.uncharge(self.bytes);
        }
    }
}

/// Returns the memory of the booted kernel's sockets (none in host unit
/// tests, which run without guest RAM).
fn global() -> Option<&'static SocketMemory> {
    static MEMORY: OnceLock<Option<SocketMemory>> = OnceLock::new();
    MEMORY
        .get_or_init(|| crate::boot::try_kernel().map(|k| SocketMemory::new(k.frames.clone())))
        .as_ref()
}

/// Charges `bytes` of a new message: ENOBUFS when guest RAM has no frame
/// for them.
pub(super) fn charge(bytes: usize) -> Result<MemCharge> {
    match global() {
        Some(m) => m.charge(bytes),
        None => Ok(MemCharge {
            memory: None,
            bytes,
        }),
    }
}

/// Returns the frames all sockets' messages hold, for /proc/meminfo.
pub(crate) fn pages() -> u64 {
    global().map_or(0, |m| locked(&m.pool).frames.len() as u64)
}

impl SocketMemory {
    fn new(allocator: Arc<FrameAllocator>) -> SocketMemory {
        SocketMemory {
            allocator,
            pool: Mutex::new(Pool {
                bytes: 0,
                frames: Vec::new(),
                peak: 0,
            }),
        }
    }

    fn charge(&'static self, bytes: usize) -> Result<MemCharge> {
        let mut pool = locked(&self.pool);
        let want = (pool.bytes + bytes).div_ceil(PAGE);
        while pool.frames.len() < want {
            match self.allocator.alloc_kernel() {
                Ok(paddr) => pool.frames.push(paddr),
                Err(_) => {
                    self.trim(&mut pool);
                    return Err(Errno::ENOBUFS);
                }
            }
        }
        pool.bytes += bytes;
        pool.peak = pool.peak.max(pool.frames.len());
        Ok(MemCharge {
            memory: Some(self),
            bytes,
        })
    }

    /// Gives back a charge of `bytes`, trimming the heap if enough was
    /// given back (a `Message` frees its bytes before its charge).
    fn uncharge(&self, bytes: usize) {
        let trim_heap = {
            let mut pool = locked(&self.pool);
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
        let ram = arch::PhysMem::new(64 * PAGE_SIZE).expect("guest RAM");
        let frames = FrameAllocator::new(Arc::new(ram), 0);
        let memory: &'static SocketMemory = Box::leak(Box::new(SocketMemory::new(frames.clone())));
        let free = frames.free_frames();
        let small: Vec<MemCharge> = (0..8).map(|_| memory.charge(512).expect("room")).collect();
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
            Some(Errno::ENOBUFS),
            "a failed charge takes nothing"
        );
        assert_eq!(frames.free_frames(), frames.min_free());
        drop((small, big, rest));
        assert_eq!(frames.free_frames(), free, "everything comes back");
        assert_eq!(locked(&memory.pool).bytes, 0);
    }
}
