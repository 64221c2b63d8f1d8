//! Memory management: the frame allocator over guest physical memory, address
//! spaces (`Mm`: VMAs and a software page table), page-fault resolution with
//! demand paging and copy-on-write, page caches of mapped files (the kernel
//! keeps one per inode; this crate knows files only as `MappedFile` and
//! `PageIo`), and the kernel's access to user memory.
//!
//! The kernel maps into a stub process only the pages `Mm::handle_fault` and
//! `Mm::mappings_around` return; whenever this crate removes a page, changes its
//! frame or narrows its rights, it records the range in the mm's flush list
//! (`Mm::take_tlb_flushes`), which the kernel applies to every stub of the mm
//! before guest code runs again. The stubs' host mappings are thus a TLB.
#![forbid(unsafe_code)]

mod access_remote;
mod brk;
pub mod commit;
mod fault;
mod flags;
mod frame;
mod free_set;
mod limits;
mod mlock;
mod mm;
mod mmap;
mod mprotect;
mod mremap;
mod msync;
mod page_cache;
pub mod page_table;
mod shmem;
mod uaccess;
mod vma;

#[cfg(test)]
mod tests;

pub use fault::{FaultError, Mapping};
pub use flags::{MapFlags, Prot};
pub use frame::{take_alloc_failure, FrameAllocator, Shrinker};
pub use limits::VmLimits;
pub use mlock::{MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT};
pub use mm::{Layout, Mm};
pub use mprotect::Punch;
pub use mremap::{MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE};
pub use msync::{MS_ASYNC, MS_INVALIDATE, MS_SYNC};
pub use page_cache::{PageCache, PageIo};
pub use vma::{MappedFile, VmArea, VmaName};

/// The size of a page and of a physical frame (arch's, the one definition).
pub use arch::PAGE_SIZE;

/// Returns `addr` rounded down to a page boundary.
pub(crate) fn page_floor(addr: u64) -> u64 {
    addr & !(PAGE_SIZE - 1)
}

/// Returns `len` rounded up to a page boundary, or `None` on overflow.
pub(crate) fn page_ceil(len: u64) -> Option<u64> {
    Some(len.checked_add(PAGE_SIZE - 1)? & !(PAGE_SIZE - 1))
}

/// Returns whether `addr` is page-aligned.
pub(crate) fn is_page_aligned(addr: u64) -> bool {
    addr.is_multiple_of(PAGE_SIZE)
}
