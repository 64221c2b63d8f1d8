//! The two legacy ways into the kernel that a 64-bit x86 process may still
//! try, and what this kernel does with them.
//!
//! - `int $0x80`: the host, which has IA32 emulation, stops it like a
//!   `syscall` and hands us the i386 number in `orig_rax`. Running the 64-bit
//!   call of that number would run another call than the one asked for, so we
//!   do what Linux built without `CONFIG_IA32_EMULATION` does: the vector has no
//!   user gate, the instruction raises #GP, and the task gets SIGSEGV
//!   (`SI_KERNEL`) with its instruction pointer on the `int`.
//! - The vsyscall page (`0xffffffffff600000`, Linux's
//!   arch/x86/entry/vsyscall/vsyscall_64.c): its three entries gettimeofday,
//!   time and getcpu are emulated on the fault of the call, as Linux does:
//!   the system call runs with the caller's registers and a `ret` is
//!   simulated. The host emulates a call itself when the guest CPU already
//!   has the output page mapped writable; the rest (a page not touched yet, or one
//!   still shared copy-on-write) reaches us as a SIGSEGV at the entry.

use crate::signal::{self, SigInfo};
use crate::syscall;
use crate::task::TrapContext;
use arch::Errno;

/// The address of the vsyscall page.
pub const VSYSCALL_ADDR: u64 = 0xffff_ffff_ff60_0000;

/// Returns whether the system call trap just taken came from `int $0x80`
/// (`cd 80` before the instruction pointer) rather than `syscall` (`0f 05`).
pub fn is_int80(ctx: &TrapContext) -> bool {
    insn_before_ip(ctx) == Some([0xcd, 0x80])
}

/// Returns the two bytes before the instruction pointer: the system call
/// instruction of a system call trap.
fn insn_before_ip(ctx: &TrapContext) -> Option<[u8; 2]> {
    let mut insn = [0u8; 2];
    ctx.read_user(ctx.regs.rip.wrapping_sub(2), &mut insn)
        .ok()?;
    Some(insn)
}

/// The system calls a host runs before any seccomp filter (uretprobe(2),
/// uprobe(2): recent Linux lets them through), which kill a caller outside a
/// uprobe trampoline with SIGILL: under the seccomp backend a guest's call of
/// one arrives as that SIGILL, the call's number lost. Returns whether the
/// trap is one: a kernel SIGILL right after a `syscall` instruction.
pub fn is_host_only_syscall(ctx: &TrapContext, signo: i32, code: i32) -> bool {
    signo == signal::SIGILL
        && code == signal::SI_KERNEL
        && insn_before_ip(ctx) == Some([0x0f, 0x05])
}

/// Answers such a call as a kernel without it does (this kernel is older
/// than both): ENOSYS.
pub fn refuse_host_only_syscall(ctx: &mut TrapContext) {
    ctx.regs.rax = (-(arch::Errno::ENOSYS.as_i32() as i64)) as u64;
}

/// Raises the #GP of an `int $0x80` without a user gate.
pub fn refuse_int80(ctx: &mut TrapContext) {
    ctx.regs.rip -= 2;
    ctx.regs.rax = ctx.regs.orig_rax;
    signal::force_signal(ctx.task, SigInfo::new(signal::SIGSEGV, signal::SI_KERNEL));
}

/// Emulates a call into the vsyscall page at `ctx.regs.rip`; returns false if
/// the instruction pointer is not one of its entries (the fault is real).
pub fn emulate_vsyscall(ctx: &mut TrapContext) -> bool {
    const GETTIMEOFDAY: u64 = 96;
    const TIME: u64 = 201;
    const GETCPU: u64 = 309;
    let nr = match ctx.regs.rip.wrapping_sub(VSYSCALL_ADDR) {
        0x000 => GETTIMEOFDAY,
        0x400 => TIME,
        0x800 => GETCPU,
        _ => return false,
    };
    let Ok(ret) = ctx.read_u64(ctx.regs.rsp) else {
        return false;
    };
    ctx.regs.orig_rax = nr;
    syscall::dispatch(ctx);
    if ctx.regs.rax == Errno::EFAULT.as_syscall_return() {
        // A bad pointer: Linux kills with SIGSEGV rather than return EFAULT.
        let info = SigInfo::fault(signal::SIGSEGV, signal::SEGV_MAPERR, ctx.regs.rdi);
        signal::force_signal(ctx.task, info);
        return true;
    }
    ctx.regs.rip = ret;
    ctx.regs.rsp += 8;
    true
}
