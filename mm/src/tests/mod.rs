//! Host unit tests of address spaces: VMA placement, splitting and merging,
//! faults and copy-on-write, user copies, brk, mremap and file mappings, all
//! over a small `PhysMem`.

mod fault;
mod fork;
mod mmap;
mod remap;
mod uaccess;

use std::sync::Arc;

use arch::PhysMem;

use crate::{FrameAllocator, MapFlags, Mm, Prot, VmaName, PAGE_SIZE};

pub(super) const TASK_SIZE: u64 = 0x7ffe_0000_0000;
pub(super) const RW: Prot = Prot::READ.union(Prot::WRITE);

/// Returns an empty address space over 4 MiB of RAM.
pub(super) fn new_mm() -> Mm {
    let pm = PhysMem::new(1024 * PAGE_SIZE).expect("memfd");
    Mm::new(FrameAllocator::new(Arc::new(pm), 16), TASK_SIZE)
}

/// Maps `pages` anonymous private pages with `prot` at `addr` (FIXED if nonzero).
pub(super) fn anon(mm: &mut Mm, addr: u64, pages: u64, prot: Prot) -> u64 {
    let flags = MapFlags::PRIVATE
        | MapFlags::ANONYMOUS
        | if addr != 0 {
            MapFlags::FIXED
        } else {
            MapFlags::empty()
        };
    mm.mmap(addr, pages * PAGE_SIZE, prot, flags, None, 0, VmaName::None)
        .expect("mmap")
}

/// Returns the VMAs as (start, end, prot).
pub(super) fn layout(mm: &Mm) -> Vec<(u64, u64, Prot)> {
    mm.vmas().map(|v| (v.start, v.end, v.prot)).collect()
}
