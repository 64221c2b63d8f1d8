//! Signals: the kernel's `struct sigaction` and `stack_t`.

use crate::abi::pod::pod_structs;

pod_structs! {
    /// The kernel's `struct sigaction` of x86_64 (rt_sigaction(2)): handler,
    /// flags, restorer, then the 64-bit mask (not glibc's layout, whose mask
    /// comes second and is 128 bytes).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct KernelSigaction {
        pub sa_handler: u64,
        pub sa_flags: u64,
        pub sa_restorer: u64,
        pub sa_mask: u64,
    }

    /// `stack_t` (sigaltstack(2)).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct StackT {
        pub ss_sp: u64,
        pub ss_flags: i32,
        pub __pad: i32,
        pub ss_size: u64,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_the_c_library() {
        assert_eq!(size_of::<KernelSigaction>(), 32);
        assert_eq!(size_of::<StackT>(), size_of::<libc::stack_t>());
        assert_eq!(
            offset_of!(StackT, ss_size),
            offset_of!(libc::stack_t, ss_size)
        );
    }
}
