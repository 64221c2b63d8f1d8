//! What crosses the backend interface besides registers: why guest code stopped
//! (`Trap`) and the changes of host mappings the kernel hands a guest CPU
//! (`MapOp`).

/// Whether a faulting page was absent from the CPU's host mappings or present
/// with too few rights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// No host mapping (`SEGV_MAPERR`): the access may have been a read.
    NotPresent,
    /// A host mapping forbade the access (`SEGV_ACCERR`): a write or an execute.
    Protection,
}

/// Why guest code stopped running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trap {
    /// A `syscall` instruction; the number is in `orig_rax`.
    Syscall,
    /// A page fault at `addr`; `write` if the access was a write (or, where
    /// the backend cannot tell, may have been: a protection fault).
    PageFault {
        addr: u64,
        kind: FaultKind,
        write: bool,
    },
    /// Any other synchronous host signal (SIGILL, SIGFPE, SIGTRAP, SIGBUS, SIGSEGV
    /// from a general protection fault...) with its `si_code` and `si_addr`.
    Signal { signo: i32, code: i32, addr: u64 },
    /// The kernel kicked this CPU (`CpuHandle::kick`) to look at pending work.
    Kick,
    /// The CPU's host side died (killed from outside the kernel).
    Died,
}

/// One change to a guest CPU's host mappings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MapOp {
    /// Maps `len` bytes of physmem at `paddr` at guest address `vaddr` with `prot`
    /// (Linux `PROT_*` bits).
    Map {
        vaddr: u64,
        len: u64,
        paddr: u64,
        prot: u32,
    },
    /// Removes host mappings in `[vaddr, vaddr + len)`.
    Unmap { vaddr: u64, len: u64 },
    /// Changes the protection of host mappings in the range.
    Protect { vaddr: u64, len: u64, prot: u32 },
    /// Takes write access away from host mappings in the range, each page
    /// keeping the rest of its protection (fork's copy-on-write: reads go on
    /// without a fault).
    WriteProtect { vaddr: u64, len: u64 },
}
