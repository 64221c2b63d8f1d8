//! The x86_64 signal frame (arch/x86/kernel/signal_64.c's `rt_sigframe`): what a
//! handler finds on its stack and what `rt_sigreturn` reads back. From the low
//! address up: the return address (`sa_restorer`), a `ucontext` (flags, link,
//! the alternate stack, a `sigcontext` with every general register, the old
//! mask), the `siginfo`, then, 64-byte aligned above them, the XSAVE area with
//! Linux's software-reserved bytes and trailing magic so that glibc and
//! debuggers recognise it.

use super::{SigInfo, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK, UNBLOCKABLE};
use crate::task::SigAction;
use crate::task::TrapContext;
use arch::abi::pod::as_bytes;
use arch::abi::structs::StackT;
use arch::host::xsave::sigframe_xstate;
use arch::{Errno, Result, UserRegs};

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

/// Layout of the frame (offsets from the frame's start).
const UC: u64 = 8;
const UC_STACK: u64 = UC + 16;
const MCONTEXT: u64 = UC + 40;
const UC_SIGMASK: u64 = MCONTEXT + 256;
const INFO: u64 = UC_SIGMASK + 8;
const FRAME_SIZE: u64 = INFO + 128;
/// `uc_flags`: the frame has XSAVE state, and saves SS.
const UC_FLAGS: u64 = 0x1 | 0x2 | 0x4;
/// The XSAVE area's software-reserved bytes and trailing magic.
const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
const FP_XSTATE_MAGIC2: u32 = 0x4650_5845;
const SW_RESERVED: usize = 464;
const XSTATE_BV: usize = 512;
/// User selectors of x86_64 Linux.
const USER_CS: u64 = 0x33;
const USER_DS: u64 = 0x2b;
/// The flags a frame may change (Linux's FIX_EFLAGS: AC OF DF TF SF ZF AF PF CF RF).
const FIX_EFLAGS: u64 = 0x40000 | 0x800 | 0x400 | 0x100 | 0x80 | 0x40 | 0x10 | 0x4 | 0x1 | 0x10000;

/// The sigcontext registers in their frame order.
fn sigcontext_regs(r: &UserRegs) -> [u64; 18] {
    [
        r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15, r.rdi, r.rsi, r.rbp, r.rbx, r.rdx,
        r.rax, r.rcx, r.rsp, r.rip, r.eflags,
    ]
}

/// Returns the XSAVE area a handler starts with: x87 control word 0x37f, MXCSR
/// 0x1f80, every other component in its initial state.
pub fn init_xstate(len: usize) -> Vec<u8> {
    let mut x = vec![0u8; len];
    x[0..2].copy_from_slice(&0x37fu16.to_ne_bytes());
    x[24..28].copy_from_slice(&0x1f80u32.to_ne_bytes());
    x
}

/// Fault details for `sigcontext`: trap number, error code and CR2.
#[derive(Clone, Copy, Default)]
pub struct TrapInfo {
    pub trapno: u64,
    pub err: u64,
    pub cr2: u64,
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
    let fpstate = (sp.wrapping_sub(fp_len as u64 + 4)) & !63;
    let frame = ((fpstate.wrapping_sub(FRAME_SIZE)) & !15).wrapping_sub(8);
    if on_alt && !alt.contains(frame) || frame >= sp {
        return Err(Errno::EFAULT);
    }

    let mut fp = full[..fp_len].to_vec();
    fp[SW_RESERVED..SW_RESERVED + 48].fill(0);
    fp[SW_RESERVED..SW_RESERVED + 4].copy_from_slice(&FP_XSTATE_MAGIC1.to_ne_bytes());
    fp[SW_RESERVED + 4..SW_RESERVED + 8].copy_from_slice(&(fp_len as u32 + 4).to_ne_bytes());
    fp[SW_RESERVED + 8..SW_RESERVED + 16].copy_from_slice(&geometry.xfeatures.to_ne_bytes());
    fp[SW_RESERVED + 16..SW_RESERVED + 20].copy_from_slice(&(fp_len as u32).to_ne_bytes());
    let bv = u64::from_ne_bytes(fp[XSTATE_BV..XSTATE_BV + 8].try_into().expect("8 bytes"));
    fp[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&(bv & geometry.xfeatures).to_ne_bytes());
    fp.extend_from_slice(&FP_XSTATE_MAGIC2.to_ne_bytes());

    let mut f = vec![0u8; FRAME_SIZE as usize];
    let put = |f: &mut Vec<u8>, off: u64, v: &[u8]| {
        f[off as usize..off as usize + v.len()].copy_from_slice(v);
    };
    put(&mut f, 0, &act.restorer.to_ne_bytes());
    put(&mut f, UC, &UC_FLAGS.to_ne_bytes());
    put(&mut f, UC_STACK, as_bytes(&alt.to_abi(regs.rsp)));
    for (i, v) in sigcontext_regs(&regs).iter().enumerate() {
        put(&mut f, MCONTEXT + i as u64 * 8, &v.to_ne_bytes());
    }
    let segs = USER_CS | (USER_DS << 48);
    put(&mut f, MCONTEXT + 144, &segs.to_ne_bytes());
    put(&mut f, MCONTEXT + 152, &trap.err.to_ne_bytes());
    put(&mut f, MCONTEXT + 160, &trap.trapno.to_ne_bytes());
    put(&mut f, MCONTEXT + 168, &oldmask.to_ne_bytes());
    put(&mut f, MCONTEXT + 176, &trap.cr2.to_ne_bytes());
    put(&mut f, MCONTEXT + 184, &fpstate.to_ne_bytes());
    put(&mut f, UC_SIGMASK, &oldmask.to_ne_bytes());
    put(&mut f, INFO, as_bytes(info));
    ctx.write_user(fpstate, &fp)?;
    ctx.write_user(frame, &f)?;

    if alt.flags & SS_AUTODISARM != 0 {
        ctx.task.signal.borrow_mut().altstack = AltStack::default();
    }
    let r = &mut *ctx.regs;
    r.rdi = info.si_signo as u64;
    r.rsi = frame + INFO;
    r.rdx = frame + UC;
    r.rax = 0;
    r.rsp = frame;
    r.rip = act.handler;
    r.eflags &= !(0x100 | 0x400 | 0x40000 | 0x10000);
    r.cs = USER_CS;
    r.ss = USER_DS;
    ctx.cpu.set_xstate(&init_xstate(full.len()))?;
    Ok(())
}

/// `rt_sigreturn`: restores the registers, mask, alternate stack and XSAVE state
/// the frame at the stack pointer holds. A frame that cannot be read or
/// restored kills the task with SIGSEGV, as on Linux.
pub fn rt_sigreturn(ctx: &mut TrapContext) -> Result<u64> {
    let frame = ctx.regs.rsp.wrapping_sub(8);
    let mut f = vec![0u8; FRAME_SIZE as usize];
    if ctx.read_user(frame, &mut f).is_err() || restore(ctx, frame, &f).is_err() {
        super::force_signal(ctx.task, SigInfo::new(super::SIGSEGV, super::SI_KERNEL));
    }
    // Not a system call result any more: nothing to restart.
    ctx.in_syscall = false;
    Ok(ctx.regs.rax)
}

fn restore(ctx: &mut TrapContext, frame: u64, f: &[u8]) -> Result<()> {
    let word =
        |off: u64| u64::from_ne_bytes(f[off as usize..off as usize + 8].try_into().expect("8"));
    let g = |i: u64| word(MCONTEXT + i * 8);
    let mut r = *ctx.regs;
    (r.r8, r.r9, r.r10, r.r11, r.r12, r.r13, r.r14, r.r15) =
        (g(0), g(1), g(2), g(3), g(4), g(5), g(6), g(7));
    (
        r.rdi, r.rsi, r.rbp, r.rbx, r.rdx, r.rax, r.rcx, r.rsp, r.rip,
    ) = (g(8), g(9), g(10), g(11), g(12), g(13), g(14), g(15), g(16));
    r.eflags = (r.eflags & !FIX_EFLAGS) | (g(17) & FIX_EFLAGS);
    r.cs = USER_CS;
    r.ss = USER_DS;
    r.orig_rax = u64::MAX;
    let mask = word(UC_SIGMASK) & !UNBLOCKABLE;
    let stack = AltStack {
        sp: word(UC_STACK),
        flags: i32::from_ne_bytes(
            f[UC_STACK as usize + 8..UC_STACK as usize + 12]
                .try_into()
                .expect("4"),
        ),
        size: word(UC_STACK + 16),
    };
    let fpstate = word(MCONTEXT + 184);
    restore_xstate(ctx, fpstate)?;
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
    let mut legacy = [0u8; 512];
    ctx.read_user(fpstate, &mut legacy)?;
    let u32_at = |b: &[u8], off: usize| u32::from_ne_bytes(b[off..off + 4].try_into().expect("4"));
    let size = u32_at(&legacy, SW_RESERVED + 16) as usize;
    let extended = u32_at(&legacy, SW_RESERVED + 4) as usize;
    let mut x = vec![0u8; len];
    let magic_ok = u32_at(&legacy, SW_RESERVED) == FP_XSTATE_MAGIC1
        && size >= 576
        && size <= geometry.size.min(len)
        && extended == size + 4;
    let mut magic2 = [0u8; 4];
    if magic_ok
        && ctx.read_user(fpstate + size as u64, &mut magic2).is_ok()
        && u32::from_ne_bytes(magic2) == FP_XSTATE_MAGIC2
    {
        ctx.read_user(fpstate, &mut x[..size])?;
        let bv = u64::from_ne_bytes(x[XSTATE_BV..XSTATE_BV + 8].try_into().expect("8"));
        x[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&(bv & geometry.xfeatures).to_ne_bytes());
    } else {
        x[..512].copy_from_slice(&legacy);
        x[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&3u64.to_ne_bytes());
    }
    x[SW_RESERVED..512].fill(0);
    ctx.cpu.set_xstate(&x)
}
