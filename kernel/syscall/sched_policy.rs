//! Scheduling policies (sched(7)): `SCHED_OTHER`, `SCHED_BATCH`,
//! `SCHED_IDLE`, `SCHED_FIFO` and `SCHED_RR` with their priorities, set by
//! sched_setscheduler, sched_setparam and sched_setattr with Linux's checks
//! (the real-time ones need CAP_SYS_NICE or room under RLIMIT_RTPRIO;
//! another user's task needs CAP_SYS_NICE), inherited over fork unless
//! `SCHED_RESET_ON_FORK`. `SCHED_DEADLINE` is refused as a kernel whose
//! admission control has no bandwidth to give refuses it (EBUSY, after the
//! checks of its parameters).
//!
//! On the host: a `SCHED_IDLE` task's thread and guest CPU run at nice 19;
//! the others keep their nice value. Real-time policies are kept and
//! reported but give no precedence on the host, whose real-time classes a
//! user process cannot enter.

use super::arg::UserPtr;
use super::sched::may_change;
use crate::task::{Task, TrapContext};
use arch::abi::capability::CAP_SYS_NICE;
use arch::abi::resource::{RLIMIT_NICE, RLIMIT_RTPRIO};
use arch::abi::structs::{SchedParam, Timespec};
use arch::{Errno, Result};
use std::sync::Arc;

pub const SCHED_OTHER: u32 = 0;
pub const SCHED_FIFO: u32 = 1;
pub const SCHED_RR: u32 = 2;
pub const SCHED_BATCH: u32 = 3;
pub const SCHED_IDLE: u32 = 5;
pub const SCHED_DEADLINE: u32 = 6;
const SCHED_RESET_ON_FORK: u64 = 0x4000_0000;
/// sched_attr's `sched_flags` bit for it.
const SCHED_FLAG_RESET_ON_FORK: u64 = 1;
/// The real-time priorities.
const MAX_RT_PRIO: u32 = 99;
/// `SCHED_ATTR_SIZE_VER0` and the size this kernel knows (VER1).
const SCHED_ATTR_SIZE_VER0: u32 = 48;
const SCHED_ATTR_SIZE: u32 = 56;
/// `SCHED_RR`'s time slice (Linux's RR_TIMESLICE: 100 ms).
const RR_TIMESLICE_NS: i64 = 100_000_000;

pub(crate) fn is_rt(policy: u32) -> bool {
    policy == SCHED_FIFO || policy == SCHED_RR
}

/// Returns the task `pid` names (0: the caller): EINVAL for a negative
/// pid, ESRCH for none.
fn target(ctx: &TrapContext, pid: u64) -> Result<Arc<Task>> {
    match pid as i32 {
        p if p < 0 => Err(Errno::EINVAL),
        p => super::sched::find(ctx, p),
    }
}

/// What a change asks for.
struct Change {
    policy: u32,
    prio: u32,
    reset_on_fork: bool,
    nice: Option<i32>,
}

/// Checks and makes `c` for `t` (Linux's __sched_setscheduler).
fn set(ctx: &TrapContext, t: &Task, c: Change) -> Result<()> {
    match c.policy {
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE if c.prio != 0 => return Err(Errno::EINVAL),
        SCHED_FIFO | SCHED_RR if c.prio == 0 || c.prio > MAX_RT_PRIO => return Err(Errno::EINVAL),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE | SCHED_FIFO | SCHED_RR => {}
        _ => return Err(Errno::EINVAL),
    }
    may_change(ctx, t)?;
    let privileged = ctx.task.process.cred.borrow().capable(CAP_SYS_NICE);
    let old = *t.sched.borrow();
    if !privileged {
        if is_rt(c.policy) {
            let rlim = t.process.rlimit(RLIMIT_RTPRIO);
            if rlim == 0 && !is_rt(old.policy) {
                return Err(Errno::EPERM);
            }
            if u64::from(c.prio) > u64::from(old.rt_priority).max(rlim) {
                return Err(Errno::EPERM);
            }
        }
        // SCHED_IDLE counts as nice 20: leaving it takes RLIMIT_NICE room.
        if old.policy == SCHED_IDLE && c.policy != SCHED_IDLE {
            let nice = c.nice.unwrap_or(old.nice);
            if (20 - i64::from(nice)) as u64 > t.process.rlimit(RLIMIT_NICE) {
                return Err(Errno::EPERM);
            }
        }
        if old.reset_on_fork && !c.reset_on_fork {
            return Err(Errno::EPERM);
        }
        if c.nice.is_some_and(|n| n < old.nice) {
            return Err(Errno::EPERM);
        }
    }
    {
        let mut s = t.sched.borrow_mut();
        s.policy = c.policy;
        s.rt_priority = c.prio;
        // A real-time task has no timer slack; leaving real time brings
        // the default back.
        if is_rt(c.policy) {
            s.timer_slack_ns = 0;
        } else if s.timer_slack_ns == 0 {
            s.timer_slack_ns = s.default_timer_slack_ns;
        }
        s.reset_on_fork = c.reset_on_fork;
        if let Some(n) = c.nice {
            s.nice = n.clamp(-20, 19);
        }
    }
    if let Some(cpu) = t.cpu() {
        cpu.set_nice(crate::cgroup::limits::effective_nice(t));
    }
    Ok(())
}

/// The fork side: a child of a `SCHED_RESET_ON_FORK` task starts as
/// `SCHED_OTHER` at nice 0 or above, without the flag.
/// init's timer slack, which every task inherits unless it sets its own.
pub const TIMER_SLACK_NS: u64 = 50_000;

/// Sets the timer slack of a task with attributes `s` (PR_SET_TIMERSLACK,
/// /proc/PID/timerslack_ns): 0 restores its default; a real-time task
/// keeps none, as Linux's.
pub fn set_timer_slack(s: &mut crate::task::SchedAttr, ns: u64) {
    s.timer_slack_ns = if is_rt(s.policy) {
        0
    } else if ns == 0 {
        s.default_timer_slack_ns
    } else {
        ns
    };
}

/// The child of a fork: its default timer slack is the parent's slack.
pub fn at_fork(s: &mut crate::task::SchedAttr) {
    s.default_timer_slack_ns = s.timer_slack_ns;
    if s.reset_on_fork {
        if is_rt(s.policy) || s.policy == SCHED_IDLE {
            s.policy = SCHED_OTHER;
            s.rt_priority = 0;
        }
        s.nice = s.nice.max(0);
        s.reset_on_fork = false;
    }
}

pub fn sys_sched_setscheduler(
    ctx: &mut TrapContext,
    pid: u64,
    policy: u64,
    param: UserPtr<SchedParam>,
) -> Result<u64> {
    if param.is_null() {
        return Err(Errno::EINVAL);
    }
    let t = target(ctx, pid)?;
    let prio = param.read(ctx)?.sched_priority;
    let reset_on_fork = policy & SCHED_RESET_ON_FORK != 0;
    let policy = u32::try_from(policy & !SCHED_RESET_ON_FORK).map_err(|_| Errno::EINVAL)?;
    let prio = u32::try_from(prio).map_err(|_| Errno::EINVAL)?;
    let c = Change {
        policy,
        prio,
        reset_on_fork,
        nice: None,
    };
    set(ctx, &t, c).map(|()| 0)
}

pub fn sys_sched_setparam(
    ctx: &mut TrapContext,
    pid: u64,
    param: UserPtr<SchedParam>,
) -> Result<u64> {
    if param.is_null() {
        return Err(Errno::EINVAL);
    }
    let t = target(ctx, pid)?;
    let prio = u32::try_from(param.read(ctx)?.sched_priority).map_err(|_| Errno::EINVAL)?;
    let s = *t.sched.borrow();
    let c = Change {
        policy: s.policy,
        prio,
        reset_on_fork: s.reset_on_fork,
        nice: None,
    };
    set(ctx, &t, c).map(|()| 0)
}

pub fn sys_sched_getscheduler(ctx: &mut TrapContext, pid: u64) -> Result<u64> {
    let s = *target(ctx, pid)?.sched.borrow();
    let flag = if s.reset_on_fork {
        SCHED_RESET_ON_FORK
    } else {
        0
    };
    Ok(u64::from(s.policy) | flag)
}

pub fn sys_sched_getparam(
    ctx: &mut TrapContext,
    pid: u64,
    param: UserPtr<SchedParam>,
) -> Result<u64> {
    if param.is_null() {
        return Err(Errno::EINVAL);
    }
    let prio = target(ctx, pid)?.sched.borrow().rt_priority;
    param.write(
        ctx,
        &SchedParam {
            sched_priority: prio as i32,
        },
    )?;
    Ok(0)
}

/// sched_get_priority_max/min: 99 and 1 for the real-time policies, 0 else.
pub fn sys_sched_get_priority_max(_: &mut TrapContext, policy: u64) -> Result<u64> {
    match policy as u32 {
        SCHED_FIFO | SCHED_RR => Ok(u64::from(MAX_RT_PRIO)),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_sched_get_priority_min(_: &mut TrapContext, policy: u64) -> Result<u64> {
    match policy as u32 {
        SCHED_FIFO | SCHED_RR => Ok(1),
        SCHED_OTHER | SCHED_BATCH | SCHED_IDLE | SCHED_DEADLINE => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}

/// sched_rr_get_interval: `SCHED_RR`'s 100 ms slice; 0 for the others (a
/// FIFO task runs until it yields; an idle fair queue, as Linux reports).
pub fn sys_sched_rr_get_interval(
    ctx: &mut TrapContext,
    pid: u64,
    interval: UserPtr<Timespec>,
) -> Result<u64> {
    let policy = target(ctx, pid)?.sched.borrow().policy;
    let ns = if policy == SCHED_RR {
        RR_TIMESLICE_NS
    } else {
        0
    };
    interval.write(
        ctx,
        &Timespec {
            tv_sec: ns / 1_000_000_000,
            tv_nsec: ns % 1_000_000_000,
        },
    )?;
    Ok(0)
}

/// `struct sched_attr` (VER1).
#[derive(Clone, Copy, Default)]
#[repr(C)]
struct SchedAttrAbi {
    size: u32,
    policy: u32,
    flags: u64,
    nice: i32,
    priority: u32,
    runtime: u64,
    deadline: u64,
    period: u64,
    util_min: u32,
    util_max: u32,
}

fn to_bytes(a: &SchedAttrAbi) -> Vec<u8> {
    let mut v = Vec::with_capacity(SCHED_ATTR_SIZE as usize);
    v.extend_from_slice(&a.size.to_ne_bytes());
    v.extend_from_slice(&a.policy.to_ne_bytes());
    v.extend_from_slice(&a.flags.to_ne_bytes());
    v.extend_from_slice(&a.nice.to_ne_bytes());
    v.extend_from_slice(&a.priority.to_ne_bytes());
    for x in [a.runtime, a.deadline, a.period] {
        v.extend_from_slice(&x.to_ne_bytes());
    }
    v.extend_from_slice(&a.util_min.to_ne_bytes());
    v.extend_from_slice(&a.util_max.to_ne_bytes());
    v
}

fn from_bytes(b: &[u8]) -> SchedAttrAbi {
    let u32_at = |o: usize| u32::from_ne_bytes(b[o..o + 4].try_into().expect("four bytes"));
    let u64_at = |o: usize| u64::from_ne_bytes(b[o..o + 8].try_into().expect("eight bytes"));
    SchedAttrAbi {
        size: u32_at(0),
        policy: u32_at(4),
        flags: u64_at(8),
        nice: u32_at(16) as i32,
        priority: u32_at(20),
        runtime: u64_at(24),
        deadline: u64_at(32),
        period: u64_at(40),
        util_min: if b.len() >= 56 { u32_at(48) } else { 0 },
        util_max: if b.len() >= 56 { u32_at(52) } else { 0 },
    }
}

/// sched_setattr(pid, attr, flags): the size must be at least VER0 and any
/// bytes past what this kernel knows zero (E2BIG, the size it knows
/// written back); flags 0.
pub fn sys_sched_setattr(ctx: &mut TrapContext, pid: u64, attr: u64, flags: u64) -> Result<u64> {
    if attr == 0 || flags != 0 {
        return Err(Errno::EINVAL);
    }
    let t = target(ctx, pid)?;
    let mut size = UserPtr::<u32>::new(attr).read(ctx)?;
    if size == 0 {
        size = SCHED_ATTR_SIZE_VER0;
    }
    if !(SCHED_ATTR_SIZE_VER0..=4096).contains(&size) {
        UserPtr::<u32>::new(attr).write(ctx, &SCHED_ATTR_SIZE)?;
        return Err(Errno::E2BIG);
    }
    let mut raw = vec![0u8; size as usize];
    ctx.read_user(attr, &mut raw)?;
    if raw.len() > SCHED_ATTR_SIZE as usize
        && raw[SCHED_ATTR_SIZE as usize..].iter().any(|&b| b != 0)
    {
        UserPtr::<u32>::new(attr).write(ctx, &SCHED_ATTR_SIZE)?;
        return Err(Errno::E2BIG);
    }
    let a = from_bytes(&raw);
    if a.flags & !0x7f != 0 {
        return Err(Errno::EINVAL);
    }
    if a.policy == SCHED_DEADLINE {
        if a.runtime == 0 || a.runtime > a.deadline || (a.period != 0 && a.deadline > a.period) {
            return Err(Errno::EINVAL);
        }
        if !ctx.task.process.cred.borrow().capable(CAP_SYS_NICE) {
            return Err(Errno::EPERM);
        }
        return Err(Errno::EBUSY);
    }
    let nice = match a.policy {
        SCHED_OTHER | SCHED_BATCH => Some(a.nice),
        _ => None,
    };
    let c = Change {
        policy: a.policy,
        prio: a.priority,
        reset_on_fork: a.flags & SCHED_FLAG_RESET_ON_FORK != 0,
        nice,
    };
    set(ctx, &t, c).map(|()| 0)
}

/// sched_getattr(pid, attr, size, flags): what this kernel knows, cut to
/// `size` (EINVAL below VER0), `size` field saying how much was written.
pub fn sys_sched_getattr(
    ctx: &mut TrapContext,
    pid: u64,
    attr: u64,
    size: u64,
    flags: u64,
) -> Result<u64> {
    if attr == 0 || flags != 0 || size < u64::from(SCHED_ATTR_SIZE_VER0) || size > 4096 {
        return Err(Errno::EINVAL);
    }
    let s = *target(ctx, pid)?.sched.borrow();
    let len = size.min(u64::from(SCHED_ATTR_SIZE)) as u32;
    let a = SchedAttrAbi {
        size: len,
        policy: s.policy,
        flags: if s.reset_on_fork {
            SCHED_FLAG_RESET_ON_FORK
        } else {
            0
        },
        nice: s.nice,
        priority: s.rt_priority,
        util_max: 1024,
        ..SchedAttrAbi::default()
    };
    ctx.write_user(attr, &to_bytes(&a)[..len as usize])?;
    Ok(0)
}
