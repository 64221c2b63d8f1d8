// The stub's side of the kernel: where the stub lives in a guest's address
// space and what its data page holds. This file is the one definition of
// both: the kernel includes it (the ptrace backend's `layout`), and build.rs
// includes it to generate `stub_layout.h`, the constants `stub.S` is
// assembled with and the address `stub.ld` links it at. It holds items only
// (no `use`, no inner attributes) and names `PAGE_SIZE`, which each includer
// provides.

/// The stub's code page, the first address the stub occupies: guests see
/// addresses below it only (their `TASK_SIZE`).
pub const STUB_CODE: u64 = 0x7ffe_0000_0000;
/// The stub's data page, a frame of physmem, right after its code.
pub const STUB_DATA: u64 = STUB_CODE + PAGE_SIZE;
/// The end of the stub.
pub const STUB_END: u64 = STUB_DATA + PAGE_SIZE;
/// The end of the host's user address space (x86_64's `TASK_SIZE_MAX`):
/// at start the stub unmaps everything below it but its own two pages.
pub const HOST_TASK_TOP: u64 = 0x7fff_ffff_f000;
/// Where in the code page the entry that runs a batch of requests is.
pub const STUB_RUN_OFFSET: u64 = 128;
/// The descriptor of guest RAM (the physmem memfd) in a stub.
pub const PHYSMEM_FD: u64 = 3;

/// The host system calls a stub makes, with Linux's x86_64 numbers.
pub const SYS_MMAP: u64 = 9;
pub const SYS_MPROTECT: u64 = 10;
pub const SYS_MUNMAP: u64 = 11;
/// mmap(2)'s `PROT_READ | PROT_WRITE`, the protection of the data page.
pub const PROT_READ_WRITE: u64 = 0x3;
/// mmap(2)'s `MAP_SHARED | MAP_FIXED`: how frames of guest RAM are mapped.
pub const MAP_SHARED_FIXED: u64 = 0x11;

/// One system call a stub makes for the kernel: its number and its six
/// arguments, in the order of the registers they go in (rdi, rsi, rdx, r10,
/// r8, r9).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StubRequest {
    pub nr: u64,
    pub args: [u64; 6],
}

/// The head of the data page: how many requests follow, and what came of
/// them.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StubDataHead {
    /// The number of requests to run.
    pub count: u64,
    /// 0, or the (negative) return value of the first request that failed.
    pub result: i64,
    /// The index of that request.
    pub failed: u64,
}

/// The most requests one run of the stub executes: as many as fill the page.
pub const STUB_MAX_REQS: usize = (PAGE_SIZE as usize - core::mem::size_of::<StubDataHead>())
    / core::mem::size_of::<StubRequest>();

/// The data page: a batch of system calls the stub runs in one go (the
/// kernel writes the head and the requests, the stub the result).
#[repr(C)]
pub struct StubData {
    pub head: StubDataHead,
    pub reqs: [StubRequest; STUB_MAX_REQS],
}
