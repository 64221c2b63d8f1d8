//! The x86_64 signal frame (arch/x86/kernel/signal_64.c's `rt_sigframe`): what a
//! handler finds on its stack and what `rt_sigreturn` reads back. From the low
//! address up: the return address (`sa_restorer`), a `ucontext` (flags, link,
//! the alternate stack, a `sigcontext` with every general register, the old
//! mask), the `siginfo`, then, 64-byte aligned above them, the XSAVE area with
//! Linux's software-reserved bytes and trailing magic so that glibc and
//! debuggers recognise it.

use super::{SigInfo, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK, UNBLOCKABLE};
use crate::syscall::UserPtr;
use crate::task::SigAction;
use crate::task::TrapContext;
use arch::abi::pod::{as_bytes, from_bytes};
use arch::abi::structs::{
    Fpstate, FpxSwBytes, RtSigframe, Sigcontext, StackT, Ucontext, XsaveStart, FP_XSTATE_MAGIC1,
    FP_XSTATE_MAGIC2, UC_FP_XSTATE, UC_SIGCONTEXT_SS, UC_STRICT_RESTORE_SS,
};
use arch::host::xsave::sigframe_xstate;
use arch::{Errno, Result, UserRegs};
use std::mem::{offset_of, size_of};

/// A thread's alternate signal stack (`stack_t`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AltStack {
    pub sp: u64,
    pub flags: i32,
    pub size: u64,
}

impl Default for AltStack {
    fn default() -> Self {
        AltStack {
            sp: 0,
            flags: SS_DISABLE,
            size: 0,
        }
    }
}

impl AltStack {
    /// Returns whether `sp` lies on this stack.
    pub fn contains(&self, sp: u64) -> bool {
        self.size != 0 && sp > self.sp && sp - self.sp <= self.size
    }

    /// Returns `ss_flags` as sigaltstack(2) reports it for a thread at `sp`.
    pub fn flags_at(&self, sp: u64) -> i32 {
        if self.size == 0 {
            SS_DISABLE
        } else if self.contains(sp) {
            SS_ONSTACK
        } else {
            self.flags & SS_AUTODISARM
        }
    }

    /// Returns the `stack_t` a thread at `sp` sees.
    pub fn to_abi(self, sp: u64) -> StackT {
        StackT {
            ss_sp: self.sp,
            ss_flags: self.flags_at(sp),
            ss_size: self.size,
            ..Default::default()
        }
    }
}

/// `uc_flags`: the frame has XSAVE state, and saves SS.
const UC_FLAGS: u64 = UC_FP_XSTATE | UC_SIGCONTEXT_SS | UC_STRICT_RESTORE_SS;
/// User selectors of x86_64 Linux.
const USER_CS: u16 = 0x33;
const USER_DS: u16 = 0x2b;
/// The flags a frame may change (Linux's FIX_EFLAGS: AC OF DF TF SF ZF AF PF CF RF).
const FIX_EFLAGS: u64 = 0x40000 | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 | 0x10000;
/// The size of the `FP_XSTATE_MAGIC2` word after an XSAVE area.
const MAGIC2_SIZE: usize = size_of::<u32>();
/// XSTATE_BV of a plain FXSAVE image: x87 and SSE state.
const XFEATURES_FP_SSE: u64 = 0x3;

/// Returns the start of the XSAVE area `x` (which is longer).
fn xsave_start(x: &[u8]) -> XsaveStart {
    from_bytes(x).expect("an XSAVE area is longer than its start")
}

/// Stores `start` at the start of the XSAVE area `x`.
fn set_xsave_start(x: &mut [u8], start: &XsaveStart) {
    let b = as_bytes(start);
    x[..b.len()].copy_from_slice(b);
}

/// Returns the XSAVE area a handler starts with: x87 control word 0x37f, MXCSR
/// 0x1f80, every other component in its initial state.
pub fn init_xstate(len: usize) -> Vec<u8> {
    let mut x = vec![0u8; len];
    let mut start = xsave_start(&x);
    start.fpstate.cwd = 0x37f;
    start.fpstate.mxcsr = 0x1f80;
    set_xsave_start(&mut x, &start);
    x
}

/// Fault details for `sigcontext`: trap number, error code and CR2.
#[derive(Clone, Copy, Default)]
pub struct TrapInfo {
    pub trapno: u64,
    pub err: u64,
    pub cr2: u64,
}

/// Returns the `sigcontext` of a signal taken at `r`.
fn sigcontext(r: &UserRegs, trap: TrapInfo, oldmask: u64, fpstate: u64) -> Sigcontext {
    Sigcontext {
        cs: USER_CS,
        ss: USER_DS,
        err: trap.err,
        trapno: trap.trapno,
        oldmask,
        cr2: trap.cr2,
        fpstate,
        ..Default::default()
    }
    .with_regs(r)
}

/// Builds the frame for handler `act` of `info` on the task's stack (or its
/// alternate stack) and points the registers at the handler. `oldmask` is the
/// mask `rt_sigreturn` restores. Fails if the stack cannot take the frame.
pub fn setup_rt_frame(
    ctx: &mut TrapContext,
    info: &SigInfo,
    act: &SigAction,
    oldmask: u64,
    trap: TrapInfo,
) -> Result<()> {
    let geometry = sigframe_xstate();
    let full = ctx.cpu.get_xstate()?;
    let regs = *ctx.regs;
    let (alt, on_alt) = {
        let s = ctx.task.signal.borrow();
        (s.altstack, s.altstack.contains(regs.rsp))
    };
    // Below the 128-byte red zone, or at the top of the alternate stack.
    let mut sp = regs.rsp.wrapping_sub(128);
    if act.flags & super::SA_ONSTACK != 0 && alt.size != 0 && alt.flags & SS_DISABLE == 0 && !on_alt
    {
        sp = alt.sp + alt.size;
    }
    let fp_len = geometry.size.min(full.len());
    let frame_size = size_of::<RtSigframe>() as u64;
    let fpstate = (sp.wrapping_sub((fp_len + MAGIC2_SIZE) as u64)) & !63;
    let frame = ((fpstate.wrapping_sub(frame_size)) & !15).wrapping_sub(8);
    if on_alt && !alt.contains(frame) || frame >= sp {
        return Err(Errno::EFAULT);
    }

    let mut fp = full[..fp_len].to_vec();
    let mut start = xsave_start(&fp);
    start.fpstate.sw_reserved = FpxSwBytes {
        magic1: FP_XSTATE_MAGIC1,
        extended_size: (fp_len + MAGIC2_SIZE) as u32,
        xfeatures: geometry.xfeatures,
        xstate_size: fp_len as u32,
        ..Default::default()
    };
    start.header.xfeatures &= geometry.xfeatures;
    set_xsave_start(&mut fp, &start);
    fp.extend_from_slice(as_bytes(&FP_XSTATE_MAGIC2));

    let f = RtSigframe {
        pretcode: act.restorer,
        uc: Ucontext {
            uc_flags: UC_FLAGS,
            uc_link: 0,
            uc_stack: alt.to_abi(regs.rsp),
            uc_mcontext: sigcontext(&regs, trap, oldmask, fpstate),
            uc_sigmask: oldmask,
        },
        info: *info,
    };
    ctx.write_user(fpstate, &fp)?;
    UserPtr::<RtSigframe>::new(frame).write(ctx, &f)?;

    if alt.flags & SS_AUTODISARM != 0 {
        ctx.task.signal.borrow_mut().altstack = AltStack::default();
    }
    let r = &mut *ctx.regs;
    r.rdi = info.si_signo as u64;
    r.rsi = frame + offset_of!(RtSigframe, info) as u64;
    r.rdx = frame + offset_of!(RtSigframe, uc) as u64;
    r.rax = 0;
    r.rsp = frame;
    r.rip = act.handler;
    r.eflags &= !(0x100 | 0x400 | 0x40000 | 0x10000);
    r.cs = USER_CS.into();
    r.ss = USER_DS.into();
    ctx.cpu.set_xstate(&init_xstate(full.len()))?;
    Ok(())
}

/// `rt_sigreturn`: restores the registers, mask, alternate stack and XSAVE state
/// the frame at the stack pointer holds. A frame that cannot be read or
/// restored kills the task with SIGSEGV, as on Linux.
pub fn rt_sigreturn(ctx: &mut TrapContext) -> Result<u64> {
    let frame = ctx.regs.rsp.wrapping_sub(8);
    let restored = UserPtr::<RtSigframe>::new(frame)
        .read(ctx)
        .and_then(|f| restore(ctx, frame, &f.uc));
    if restored.is_err() {
        super::force_signal(ctx.task, SigInfo::new(super::SIGSEGV, super::SI_KERNEL));
    }
    // Not a system call result any more: nothing to restart.
    ctx.in_syscall = false;
    Ok(ctx.regs.rax)
}

fn restore(ctx: &mut TrapContext, frame: u64, uc: &Ucontext) -> Result<()> {
    let sc = &uc.uc_mcontext;
    let mut r = *ctx.regs;
    (r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15) =
        (sc.r8, sc.r9, sc.r10, sc.r11, sc.r12, sc.r13, sc.r14, sc.r15);
    (
        r.rdi, r.rsi, r.rbp, r.rbx, r.rdx, r.rax, r.rcx, r.rsp, r.rip,
    ) = (
        sc.rdi, sc.rsi, sc.rbp, sc.rbx, sc.rdx, sc.rax, sc.rcx, sc.rsp, sc.rip,
    );
    r.eflags = (r.eflags & !FIX_EFLAGS) | (sc.eflags & FIX_EFLAGS);
    r.cs = USER_CS.into();
    r.ss = USER_DS.into();
    r.orig_rax = u64::MAX;
    let mask = uc.uc_sigmask & !UNBLOCKABLE;
    let stack = AltStack {
        sp: uc.uc_stack.ss_sp,
        flags: uc.uc_stack.ss_flags,
        size: uc.uc_stack.ss_size,
    };
    restore_xstate(ctx, sc.fpstate)?;
    *ctx.regs = r;
    let mut s = ctx.task.signal.borrow_mut();
    s.mask = mask;
    // Like Linux's restore_altstack: the saved stack comes back unless the frame
    // itself lies on the current one (sigaltstack would refuse with EPERM).
    if !s.altstack.contains(frame) {
        let flags = stack.flags & !SS_ONSTACK;
        s.altstack = if flags & SS_DISABLE != 0 {
            AltStack::default()
        } else {
            AltStack { flags, ..stack }
        };
    }
    Ok(())
}

/// Loads the XSAVE area at `fpstate` (0: the initial state). An area without
/// Linux's magic is a plain FXSAVE image: only x87 and SSE state come from it.
fn restore_xstate(ctx: &mut TrapContext, fpstate: u64) -> Result<()> {
    let len = ctx.cpu.xstate_size();
    if fpstate == 0 {
        return ctx.cpu.set_xstate(&init_xstate(len));
    }
    let geometry = sigframe_xstate();
    let legacy = UserPtr::<Fpstate>::new(fpstate).read(ctx)?;
    let sw = legacy.sw_reserved;
    let size = sw.xstate_size as usize;
    let mut x = vec![0u8; len];
    let magic_ok = sw.magic1 == FP_XSTATE_MAGIC1
        && size >= size_of::<XsaveStart>()
        && size <= geometry.size.min(len)
        && sw.extended_size as usize == size + MAGIC2_SIZE;
    let magic2 = UserPtr::<u32>::new(fpstate.wrapping_add(size as u64));
    let mut start = if magic_ok && magic2.read(ctx) == Ok(FP_XSTATE_MAGIC2) {
        ctx.read_user(fpstate, &mut x[..size])?;
        let mut start = xsave_start(&x);
        start.header.xfeatures &= geometry.xfeatures;
        start
    } else {
        let mut start = xsave_start(&x);
        start.fpstate = legacy;
        start.header.xfeatures = XFEATURES_FP_SSE;
        start
    };
    start.fpstate.sw_reserved = FpxSwBytes::default();
    set_xsave_start(&mut x, &start);
    ctx.cpu.set_xstate(&x)
}
