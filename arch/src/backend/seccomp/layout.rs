//! The seccomp stub's layout, defined once in `arch/stub/sysmsg.rs`, which
//! build.rs also includes to generate the constants `seccomp.S` is assembled
//! with: its control page, its message area and the host calls it makes.

use crate::abi::pod::Pod;
use crate::backend::ptrace::layout::{StubRequest, HOST_TASK_TOP, STUB_CODE};
use crate::PAGE_SIZE;

include!("../../../stub/sysmsg.rs");

const _: () = assert!(SC_END <= HOST_TASK_TOP);
const _: () = assert!(size_of::<ScCtrl>() <= PAGE_SIZE as usize);
const _: () = assert!(size_of::<SysmsgHead>() <= PAGE_SIZE as usize);
const _: () = assert!(size_of::<ScCtrl>() == SC_CTRL_HEAD + SC_MAX_REQS * size_of::<StubRequest>());
const _: () = assert!(SC_SYSMSG.is_multiple_of(SC_SLOT_SIZE) && SC_SLOT_SIZE.is_power_of_two());
const _: () = assert!(size_of::<ScFilter>() == 8);
const _: () = assert!(SC_HANDLER_OFFSET < SC_RESTORER_OFFSET && SC_RESTORER_OFFSET < PAGE_SIZE);
// The code page's addresses differ in their low 32 bits only (the filter
// compares the halves of the instruction pointer).
const _: () = assert!((STUB_CODE as u32 as u64) + PAGE_SIZE <= u32::MAX as u64);

// SAFETY: #[repr(C)] of integers whose sizes leave no padding (checked
// above: two u32, then u64s, 8-byte filters and 56-byte requests); every
// bit pattern is valid.
unsafe impl Pod for ScCtrl {}
// SAFETY: #[repr(C)] of u16, u8, u8, u32: 8 bytes, no padding (checked
// above); every bit pattern is valid.
unsafe impl Pod for ScFilter {}
// SAFETY: #[repr(C)]: four u32, u64s, two u32, u64s and arrays of 8-byte
// filters, so no padding; every bit pattern is valid.
unsafe impl Pod for SysmsgHead {}

#[cfg(test)]
mod tests {
    use super::*;

    /// The host's numbers are what the layout says.
    #[test]
    fn host_values() {
        assert_eq!(SYS_WRITE, libc::SYS_write as u64);
        assert_eq!(SYS_CLOSE, libc::SYS_close as u64);
        assert_eq!(SYS_RT_SIGACTION, libc::SYS_rt_sigaction as u64);
        assert_eq!(SYS_RT_SIGPROCMASK, libc::SYS_rt_sigprocmask as u64);
        assert_eq!(SYS_RT_SIGRETURN, libc::SYS_rt_sigreturn as u64);
        assert_eq!(SYS_SCHED_YIELD, libc::SYS_sched_yield as u64);
        assert_eq!(SYS_GETPID, libc::SYS_getpid as u64);
        assert_eq!(SYS_CLONE, libc::SYS_clone as u64);
        assert_eq!(SYS_SIGALTSTACK, libc::SYS_sigaltstack as u64);
        assert_eq!(SYS_PRCTL, libc::SYS_prctl as u64);
        assert_eq!(SYS_ARCH_PRCTL, libc::SYS_arch_prctl as u64);
        assert_eq!(SYS_FUTEX, libc::SYS_futex as u64);
        assert_eq!(SYS_EXIT_GROUP, libc::SYS_exit_group as u64);
        assert_eq!(SYS_SECCOMP, libc::SYS_seccomp as u64);
        assert_eq!(PROT_READ_ONLY, libc::PROT_READ as u64);
        let thread = libc::CLONE_VM
            | libc::CLONE_FS
            | libc::CLONE_FILES
            | libc::CLONE_SIGHAND
            | libc::CLONE_THREAD
            | libc::CLONE_SYSVSEM;
        assert_eq!(SC_CLONE_THREAD, thread as u64);
        assert_eq!(PR_SET_NO_NEW_PRIVS, libc::PR_SET_NO_NEW_PRIVS as u64);
        assert_eq!(FUTEX_WAIT, libc::FUTEX_WAIT as u64);
        assert_eq!(FUTEX_WAKE, libc::FUTEX_WAKE as u64);
    }
}
