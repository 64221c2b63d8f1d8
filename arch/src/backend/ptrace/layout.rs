//! The layout a stub shares with the kernel, defined once in
//! `arch/stub/layout.rs`, which build.rs also includes to generate the
//! constants `stub.S` is assembled with: the stub's addresses, the host calls
//! it makes, and its data page (a head and the requests of a batch, plain old
//! data the kernel copies into the page's frame).

use crate::abi::pod::Pod;
use crate::PAGE_SIZE;

include!("../../../stub/layout.rs");

const _: () = assert!(size_of::<StubRequest>() == size_of::<[u64; 7]>());
const _: () = assert!(size_of::<StubDataHead>() == size_of::<[u64; 3]>());
const _: () = assert!(size_of::<StubData>() <= PAGE_SIZE as usize);
const _: () = assert!(STUB_END <= HOST_TASK_TOP);
// The stub sits right at the end of the guests' address space.
const _: () = assert!(STUB_CODE == crate::backend::TASK_SIZE);

// SAFETY: #[repr(C)] of 8-byte integers only (its size, checked above, is
// theirs: no padding); every bit pattern is valid.
unsafe impl Pod for StubRequest {}
// SAFETY: as above.
unsafe impl Pod for StubDataHead {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The host's numbers and flags are what the layout says.
    #[test]
    fn host_values() {
        assert_eq!(SYS_MMAP, libc::SYS_mmap as u64);
        assert_eq!(SYS_MPROTECT, libc::SYS_mprotect as u64);
        assert_eq!(SYS_MUNMAP, libc::SYS_munmap as u64);
        assert_eq!(PROT_READ_WRITE, (libc::PROT_READ | libc::PROT_WRITE) as u64);
        assert_eq!(
            MAP_SHARED_FIXED,
            (libc::MAP_SHARED | libc::MAP_FIXED) as u64
        );
    }
}
