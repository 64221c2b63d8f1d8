//! Protection and mapping flags with Linux's `PROT_*` and `MAP_*` values
//! (include/uapi/asm-generic/mman-common.h, mman(2)), as the system-call layer
//! hands them to `Mm::mmap` and `Mm::mprotect` after rejecting unknown bits.

use bitflags::bitflags;

bitflags! {
    /// Page protection: Linux's `PROT_*` values.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct Prot: u32 {
        const READ = 1;
        const WRITE = 2;
        const EXEC = 4;
    }
}

bitflags! {
    /// Mapping flags: Linux's x86_64 `MAP_*` values.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
    pub struct MapFlags: u32 {
        const SHARED = 0x01;
        const PRIVATE = 0x02;
        const FIXED = 0x10;
        const ANONYMOUS = 0x20;
        const GROWSDOWN = 0x100;
        const DENYWRITE = 0x800;
        const EXECUTABLE = 0x1000;
        const LOCKED = 0x2000;
        const NORESERVE = 0x4000;
        const POPULATE = 0x8000;
        const NONBLOCK = 0x10000;
        const STACK = 0x20000;
        const FIXED_NOREPLACE = 0x100000;
        /// Not an mmap flag: Linux's `VM_ACCOUNT`, the area is charged to
        /// `Committed_AS` (`commit`). `vma_flags` never keeps it from a
        /// caller.
        const ACCOUNT = 0x8000_0000;
        /// Not an mmap flag: Linux's `VM_NOHUGEPAGE` (`MADV_NOHUGEPAGE`),
        /// anonymous pages are faulted in one by one, never in blocks.
        const NOHUGEPAGE = 0x4000_0000;
    }
}

impl Prot {
    /// Returns the rights the host MMU grants for this protection: on x86 write
    /// and execute permission imply read permission.
    pub fn host(self) -> Prot {
        if self.intersects(Prot::WRITE | Prot::EXEC) {
            self | Prot::READ
        } else {
            self
        }
    }
}

impl MapFlags {
    /// Returns the flags a VMA keeps: the sharing type and the flags that change
    /// how the area behaves after mmap returns.
    pub(crate) fn vma_flags(self) -> MapFlags {
        self & (MapFlags::SHARED
            | MapFlags::PRIVATE
            | MapFlags::GROWSDOWN
            | MapFlags::LOCKED
            | MapFlags::NORESERVE
            | MapFlags::STACK)
    }
}
