//! The x86_64 signal frame (arch/x86/include/asm/sigframe.h and
//! arch/x86/include/uapi/asm/sigcontext.h): `struct rt_sigframe` with its
//! `ucontext` and `sigcontext`, and the start of the XSAVE area the frame's
//! `fpstate` points at — the FXSAVE legacy region with Linux's
//! software-reserved bytes, then the XSAVE header.

use super::{SigInfo, StackT};
use crate::abi::pod::pod_structs;
use crate::abi::regs::UserRegs;

/// `FP_XSTATE_MAGIC1`: `sw_reserved.magic1` of an area with XSAVE state.
pub const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
/// `FP_XSTATE_MAGIC2`: the 32-bit word right after such an area.
pub const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
/// `uc_flags`: the frame has XSAVE state (`UC_FP_XSTATE`), and saves SS
/// (`UC_SIGCONTEXT_SS`, `UC_STRICT_RESTORE_SS`).
pub const UC_FP_XSTATE: u64 = 0x1;
pub const UC_SIGCONTEXT_SS: u64 = 0x2;
pub const UC_STRICT_RESTORE_SS: u64 = 0x4;

pod_structs! {
    /// `struct sigcontext` of x86_64: the registers at the signal, the
    /// fault's details, and the address of the XSAVE area.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Sigcontext {
        pub r8: u64,
        pub r9: u64,
        pub r10: u64,
        pub r11: u64,
        pub r12: u64,
        pub r13: u64,
        pub r14: u64,
        pub r15: u64,
        pub rdi: u64,
        pub rsi: u64,
        pub rbp: u64,
        pub rbx: u64,
        pub rdx: u64,
        pub rax: u64,
        pub rcx: u64,
        pub rsp: u64,
        pub rip: u64,
        pub eflags: u64,
        pub cs: u16,
        pub gs: u16,
        pub fs: u16,
        pub ss: u16,
        pub err: u64,
        pub trapno: u64,
        pub oldmask: u64,
        pub cr2: u64,
        /// The guest address of the XSAVE area (0: none).
        pub fpstate: u64,
        pub reserved1: [u64; 8],
    }

    /// The kernel's `struct ucontext` (include/uapi/asm-generic/ucontext.h),
    /// with its 64-bit signal mask.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Ucontext {
        pub uc_flags: u64,
        pub uc_link: u64,
        pub uc_stack: StackT,
        pub uc_mcontext: Sigcontext,
        pub uc_sigmask: u64,
    }

    /// `struct rt_sigframe` of x86_64: what a handler finds at its stack
    /// pointer — the return address (`sa_restorer`), the context, the siginfo.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct RtSigframe {
        pub pretcode: u64,
        pub uc: Ucontext,
        pub info: SigInfo,
    }

    /// `struct _fpx_sw_bytes`: Linux's words in the software-reserved bytes
    /// of the FXSAVE region, which say that XSAVE state follows.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct FpxSwBytes {
        pub magic1: u32,
        /// The area's size plus the trailing `FP_XSTATE_MAGIC2`.
        pub extended_size: u32,
        pub xfeatures: u64,
        pub xstate_size: u32,
        pub padding: [u32; 7],
    }

    /// `struct _fpstate_64`: the FXSAVE legacy region (x87 and SSE state),
    /// the first 512 bytes of an XSAVE area.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Fpstate {
        pub cwd: u16,
        pub swd: u16,
        pub twd: u16,
        pub fop: u16,
        pub rip: u64,
        pub rdp: u64,
        pub mxcsr: u32,
        pub mxcsr_mask: u32,
        pub st_space: [u32; 32],
        pub xmm_space: [u32; 64],
        pub reserved2: [u32; 12],
        pub sw_reserved: FpxSwBytes,
    }

    /// `struct _header`: the XSAVE header after the legacy region.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct XstateHeader {
        /// XSTATE_BV: the components the area holds.
        pub xfeatures: u64,
        pub reserved1: [u64; 2],
        pub reserved2: [u64; 5],
    }

    /// The start of an XSAVE area (`struct _xstate` up to its header): what
    /// the kernel reads and changes of the areas it copies.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct XsaveStart {
        pub fpstate: Fpstate,
        pub header: XstateHeader,
    }
}

impl Sigcontext {
    /// Returns this context with the general registers, instruction and stack
    /// pointers and flags of `r` (the selectors, fault fields and XSAVE
    /// pointer stay).
    pub fn with_regs(self, r: &UserRegs) -> Sigcontext {
        Sigcontext {
            r8: r.r8,
            r9: r.r9,
            r10: r.r10,
            r11: r.r11,
            r12: r.r12,
            r13: r.r13,
            r14: r.r14,
            r15: r.r15,
            rdi: r.rdi,
            rsi: r.rsi,
            rbp: r.rbp,
            rbx: r.rbx,
            rdx: r.rdx,
            rax: r.rax,
            rcx: r.rcx,
            rsp: r.rsp,
            rip: r.rip,
            eflags: r.eflags,
            ..self
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_the_c_library() {
        assert_eq!(size_of::<Sigcontext>(), size_of::<libc::mcontext_t>());
        let greg = |r: libc::c_int| r as usize * 8;
        assert_eq!(offset_of!(Sigcontext, r8), greg(libc::REG_R8));
        assert_eq!(offset_of!(Sigcontext, rdi), greg(libc::REG_RDI));
        assert_eq!(offset_of!(Sigcontext, rsp), greg(libc::REG_RSP));
        assert_eq!(offset_of!(Sigcontext, rip), greg(libc::REG_RIP));
        assert_eq!(offset_of!(Sigcontext, eflags), greg(libc::REG_EFL));
        assert_eq!(offset_of!(Sigcontext, cs), greg(libc::REG_CSGSFS));
        assert_eq!(offset_of!(Sigcontext, err), greg(libc::REG_ERR));
        assert_eq!(offset_of!(Sigcontext, trapno), greg(libc::REG_TRAPNO));
        assert_eq!(offset_of!(Sigcontext, oldmask), greg(libc::REG_OLDMASK));
        assert_eq!(offset_of!(Sigcontext, cr2), greg(libc::REG_CR2));
        assert_eq!(
            offset_of!(Sigcontext, fpstate),
            offset_of!(libc::mcontext_t, fpregs)
        );
        assert_eq!(
            offset_of!(Ucontext, uc_stack),
            offset_of!(libc::ucontext_t, uc_stack)
        );
        assert_eq!(
            offset_of!(Ucontext, uc_mcontext),
            offset_of!(libc::ucontext_t, uc_mcontext)
        );
        assert_eq!(
            offset_of!(Ucontext, uc_sigmask),
            offset_of!(libc::ucontext_t, uc_sigmask)
        );
        assert_eq!(size_of::<RtSigframe>(), 440);
        assert_eq!(size_of::<Fpstate>(), size_of::<libc::_libc_fpstate>());
        assert_eq!(size_of::<Fpstate>(), 512);
        assert_eq!(
            offset_of!(Fpstate, mxcsr),
            offset_of!(libc::_libc_fpstate, mxcsr)
        );
        assert_eq!(
            offset_of!(Fpstate, xmm_space),
            offset_of!(libc::_libc_fpstate, _xmm)
        );
        assert_eq!(offset_of!(Fpstate, sw_reserved), 464);
        assert_eq!(size_of::<FpxSwBytes>(), 48);
        assert_eq!(size_of::<XsaveStart>(), 576);
    }
}
