//! ioprio_set(2) and ioprio_get(2): a task's I/O scheduling class and
//! level, kept and reported as Linux does. The disks here are host files
//! read and written in the order asked, so the priority orders nothing yet;
//! programs that set it (ionice, systemd's IOSchedulingClass=) get Linux's
//! answers.

use super::sched::{may_change, prio_targets};
use crate::task::TrapContext;
use arch::abi::capability::{CAP_SYS_ADMIN, CAP_SYS_NICE};
use arch::{Errno, Result};

const IOPRIO_CLASS_NONE: u64 = 0;
const IOPRIO_CLASS_RT: u64 = 1;
const IOPRIO_CLASS_BE: u64 = 2;
const IOPRIO_CLASS_IDLE: u64 = 3;
const IOPRIO_CLASS_SHIFT: u64 = 13;
/// The levels of the RT and BE classes.
const IOPRIO_NR_LEVELS: u64 = 8;

/// Checks an ioprio value as Linux's ioprio_check_cap: EINVAL for an
/// unknown class or a level out of range, EPERM for the real-time class
/// without CAP_SYS_ADMIN or CAP_SYS_NICE.
fn check(ctx: &TrapContext, ioprio: u64) -> Result<()> {
    let class = ioprio >> IOPRIO_CLASS_SHIFT;
    let level = ioprio & ((1 << IOPRIO_CLASS_SHIFT) - 1);
    match class {
        IOPRIO_CLASS_RT => {
            let c = ctx.task.process.cred.borrow();
            if !c.capable(CAP_SYS_ADMIN) && !c.capable(CAP_SYS_NICE) {
                return Err(Errno::EPERM);
            }
            if level >= IOPRIO_NR_LEVELS {
                return Err(Errno::EINVAL);
            }
        }
        IOPRIO_CLASS_BE if level >= IOPRIO_NR_LEVELS => return Err(Errno::EINVAL),
        IOPRIO_CLASS_BE | IOPRIO_CLASS_IDLE => {}
        IOPRIO_CLASS_NONE if level != 0 => return Err(Errno::EINVAL),
        IOPRIO_CLASS_NONE => {}
        _ => return Err(Errno::EINVAL),
    }
    Ok(())
}

/// ioprio_set(which, who, ioprio): `which` 1 a thread, 2 a process group,
/// 3 a user's tasks (`who` 0: the caller's).
pub fn sys_ioprio_set(ctx: &mut TrapContext, which: u64, who: u64, ioprio: u64) -> Result<u64> {
    check(ctx, ioprio)?;
    let which = which.checked_sub(1).ok_or(Errno::EINVAL)?;
    let targets = prio_targets(ctx, which, who)?;
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    for t in &targets {
        may_change(ctx, t)?;
    }
    for t in &targets {
        t.sched.borrow_mut().ioprio = ioprio as u16;
    }
    Ok(0)
}

/// Returns what ioprio_get reports for a task: its own setting, or for
/// none the best-effort level its nice value gives (Linux's
/// IOPRIO_CLASS_NONE with that level).
fn effective(t: &crate::task::Task) -> u64 {
    let s = t.sched.borrow();
    match u64::from(s.ioprio) {
        0 => ((s.nice + 20) / 5) as u64,
        v => v,
    }
}

/// ioprio_get(which, who): the highest priority among the tasks named.
pub fn sys_ioprio_get(ctx: &mut TrapContext, which: u64, who: u64) -> Result<u64> {
    let which = which.checked_sub(1).ok_or(Errno::EINVAL)?;
    let targets = prio_targets(ctx, which, who)?;
    // Lower classes and levels are better; class NONE ranks as BE.
    let rank = |v: u64| {
        let class = match v >> IOPRIO_CLASS_SHIFT {
            IOPRIO_CLASS_NONE => IOPRIO_CLASS_BE,
            c => c,
        };
        (class, v & 7)
    };
    targets
        .iter()
        .map(|t| effective(t))
        .min_by_key(|v| rank(*v))
        .ok_or(Errno::ESRCH)
}
