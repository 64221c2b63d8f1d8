// The page size, included (not a module) by `abi/mod.rs` and by build.rs,
// which lays out the stub with it: one definition for the kernel, mm, the
// filesystems and the stub's assembly.

/// The size of a page and of a physical frame (x86_64's 4 KiB, the
/// `AT_PAGESZ` guests are told).
pub const PAGE_SIZE: u64 = 4096;
