//! The tracee's debug registers as a debugger sees them in `struct user`
//! (Linux's ptrace_set_debugreg and ptrace_get_debugreg): DR0-DR3 take
//! breakpoint addresses, DR7 enables them with a kind (execute, write,
//! read-write) and a length, DR6 tells which fired at the last debug trap;
//! DR4 and DR5 do not exist (EIO). Values are checked as Linux checks them
//! (EINVAL), then armed in the host thread that runs the tracee's guest
//! code (`GuestCpu::set_debugregs`) as it leaves its ptrace-stop. An
//! address no guest code can reach (at or above the backend's TASK_SIZE)
//! is kept but not armed.

use super::PtraceLink;
use crate::task::TrapContext;
use arch::{Errno, Result};

/// Linux's TASK_SIZE_MAX: breakpoints at or above it are kernel ones.
const TASK_SIZE_MAX: u64 = (1 << 47) - 4096;
/// DR6's single-step bit, set after a trap of the trap flag.
const DR_STEP: u64 = 1 << 14;
/// DR6's bits naming the breakpoint that fired.
const DR_TRAP_BITS: u64 = 0xf;
/// SIGTRAP's si_code for a single step and for a hardware breakpoint.
pub const TRAP_TRACE: i32 = 2;
pub const TRAP_HWBKPT: i32 = 4;

/// Returns breakpoint `n`'s kind (0 execute, 1 write, 2 I/O, 3 read-write)
/// and length in bytes, and whether DR7 enables it (locally or globally).
fn decode(dr7: u64, n: usize) -> (u64, u64, bool) {
    let kind = (dr7 >> (16 + 4 * n)) & 3;
    let len = match (dr7 >> (18 + 4 * n)) & 3 {
        0 => 1,
        1 => 2,
        2 => 8,
        _ => 4,
    };
    (kind, len, (dr7 >> (2 * n)) & 3 != 0)
}

/// Checks breakpoint `n` at `addr` as DR7 describes it.
fn check(addr: u64, dr7: u64, n: usize) -> Result<()> {
    let (kind, len, enabled) = decode(dr7, n);
    if addr >= TASK_SIZE_MAX || addr.saturating_add(len - 1) >= TASK_SIZE_MAX {
        return Err(Errno::EINVAL);
    }
    if !enabled {
        return Ok(());
    }
    // No I/O breakpoints; an execution breakpoint covers one byte.
    if kind == 2 || (kind == 0 && len != 1) || addr & (len - 1) != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// PTRACE_POKEUSER of debug register `n`.
pub fn poke(l: &mut PtraceLink, n: usize, value: u64) -> Result<()> {
    match n {
        0..4 => check(value, l.debugreg[7], n)?,
        6 => {}
        7 => (0..4).try_for_each(|i| check(l.debugreg[i], value, i))?,
        _ => return Err(Errno::EIO),
    }
    l.debugreg[n] = value;
    l.debugreg_dirty |= n != 6;
    Ok(())
}

/// Returns the DR7 to arm: the breakpoints guest code can reach, with
/// their kinds and lengths.
fn armed(debugreg: &[u64; 8]) -> u64 {
    let mut dr7 = debugreg[7] & 0xffff_00ff;
    for (n, &addr) in debugreg[..4].iter().enumerate() {
        if addr >= arch::backend::TASK_SIZE {
            dr7 &= !(3 << (2 * n));
        }
    }
    dr7
}

/// Arms what the tracer changed in the task's CPU, as it resumes.
pub fn apply(ctx: &mut TrapContext, l: &mut PtraceLink) {
    if !std::mem::take(&mut l.debugreg_dirty) {
        return;
    }
    let addr = [l.debugreg[0], l.debugreg[1], l.debugreg[2], l.debugreg[3]];
    if let Err(e) = ctx.cpu.set_debugregs(&addr, armed(&l.debugreg)) {
        log::warn!(
            "task {}: cannot arm its debug registers: {e}",
            ctx.task.tid()
        );
    }
}

/// Disarms every breakpoint (exec, and a detach: the tracer is gone).
pub fn clear(ctx: &mut TrapContext, l: &mut PtraceLink) {
    if l.debugreg[7] & 0xff != 0 {
        l.debugreg = [0; 8];
        l.debugreg_dirty = true;
        apply(ctx, l);
    }
}

/// Records DR6 for a SIGTRAP of guest code with `code`: the single-step
/// bit after a step, and the breakpoints that fired (which the host knows
/// only while some are armed).
pub fn trap(ctx: &mut TrapContext, code: i32) {
    let task = ctx.task.clone();
    let mut slot = task.ptrace.borrow_mut();
    let Some(l) = slot.as_mut() else {
        return;
    };
    let mut dr6 = if code == TRAP_TRACE { DR_STEP } else { 0 };
    if armed(&l.debugreg) & 0xff != 0 && matches!(code, TRAP_TRACE | TRAP_HWBKPT) {
        dr6 |= ctx.cpu.debug_status().unwrap_or(0) & DR_TRAP_BITS;
    }
    l.debugreg[6] = dr6;
}
