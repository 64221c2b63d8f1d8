//! POSIX per-process timers (timer_create(2) and friends) on the wall clocks
//! (CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME) and on CPU-time clocks,
//! whose expiries are watched in `cpu_timer.rs`. An expiry queues a signal
//! with SI_TIMER; expiries while that signal is still pending are counted as
//! its overrun instead of queuing more (timer_getoverrun(2)). As in Linux,
//! each timer holds the one siginfo it may have queued from its creation
//! on, charged to its creator's RLIMIT_SIGPENDING: timer_create fails with
//! EAGAIN past it, and an expiry never fails.

use super::arg::UserPtr;
use super::cpu_clock::CpuClock;
use super::cpu_timer::{self, CpuTimer};
use super::time::{deadline_from_abs, read_itimerspec, to_itimerspec};
use crate::signal::{self, SigInfo, SIGALRM, SI_TIMER};
use crate::task::TrapContext;
use crate::task::{self, Process};
use crate::timer::{self, TimerSlot};
use arch::abi::structs::{Itimerspec, SigTimer, Sigevent};
use arch::{Errno, Result};
use std::sync::{Arc, Weak};
use std::time::Instant;

const SIGEV_SIGNAL: i32 = 0;
const SIGEV_NONE: i32 = 1;
const SIGEV_THREAD: i32 = 2;
const SIGEV_THREAD_ID: i32 = 4;
const TIMER_ABSTIME: u64 = 1;
/// Linux's cap on timer_getoverrun's count (DELAYTIMER_MAX).
const DELAYTIMER_MAX: u64 = i32::MAX as u64;

/// How an expiry is announced.
#[derive(Clone, Copy, Debug)]
enum Notify {
    None,
    /// A signal to the process, or to thread `tid` (SIGEV_THREAD_ID).
    Signal {
        sig: i32,
        value: u64,
        tid: Option<i32>,
    },
}

/// One timer_create timer.
#[derive(Debug)]
pub struct PosixTimer {
    clock: i32,
    notify: Notify,
    slot: TimerSlot,
    /// The state of a timer on a CPU-time clock (`slot` is unused then).
    pub(super) cpu: Option<CpuTimer>,
    overrun: u64,
    /// The place of its siginfo in RLIMIT_SIGPENDING.
    _sigqueue: signal::SigqueueCharge,
}

fn timer_info(id: i32, notify: Notify, overrun: u64) -> Option<SigInfo> {
    let Notify::Signal { sig, value, .. } = notify else {
        return None;
    };
    Some(SigInfo::with(
        sig,
        SI_TIMER,
        SigTimer {
            si_tid: id,
            si_overrun: overrun.min(DELAYTIMER_MAX) as i32,
            si_value: value,
        },
    ))
}

fn arm(p: &Arc<Process>, id: i32, deadline: Instant, generation: u64) {
    let weak = Arc::downgrade(p);
    timer::add(deadline, move || expired(weak, id, generation));
}

fn expired(p: Weak<Process>, id: i32, generation: u64) {
    let Some(p) = p.upgrade() else { return };
    let next = {
        let mut timers = p.posix_timers.borrow_mut();
        let Some(t) = timers.get_mut(&id) else { return };
        t.slot.expire(generation)
    };
    let Some((count, next)) = next else { return };
    if let Some(d) = next {
        arm(&p, id, d, generation);
    }
    notify(&p, id, count);
}

/// Announces `count` expiries of timer `id` of `p`: a signal, or more
/// overrun on the one still pending.
pub(super) fn notify(p: &Arc<Process>, id: i32, count: u64) {
    let Some(notify) = p.posix_timers.borrow().get(&id).map(|t| t.notify) else {
        return;
    };
    let is_ours = |s: &SigInfo| s.si_code == SI_TIMER && s.fields::<SigTimer>().si_tid == id;
    let bump = |s: &mut SigInfo| {
        let mut t: SigTimer = s.fields();
        t.si_overrun = (t.si_overrun as u64 + count).min(DELAYTIMER_MAX) as i32;
        s.set_fields(t);
    };
    // Still pending from an earlier expiry: count these as its overrun.
    if let Some(s) = p.signal.borrow_mut().pending.find_mut(is_ours) {
        bump(s);
        return;
    }
    for t in p.threads.borrow().iter() {
        if let Some(s) = t.signal.borrow_mut().pending.find_mut(is_ours) {
            bump(s);
            return;
        }
    }
    let Some(info) = timer_info(id, notify, count - 1) else {
        return;
    };
    match notify {
        Notify::Signal { tid: Some(tid), .. } => match task::find_task(tid) {
            Some(t) if Arc::ptr_eq(&t.process, p) => {
                signal::send_timer_signal(p, Some(&t), info);
            }
            _ => {}
        },
        _ => signal::send_timer_signal(p, None, info),
    }
}

pub fn sys_timer_create(
    ctx: &mut TrapContext,
    clock: u64,
    sevp: UserPtr<Sigevent>,
    idp: UserPtr<i32>,
) -> Result<u64> {
    let clock = clock as i32;
    let cpu = match CpuClock::lookup(ctx.task, clock, false) {
        Some(c) => Some(CpuTimer::new(c?)),
        None if [0, 1, 7].contains(&clock) => None,
        None => return Err(Errno::EINVAL),
    };
    let p = ctx.task.process.clone();
    let id = {
        let timers = p.posix_timers.borrow();
        (0..)
            .find(|i| !timers.contains_key(i))
            .ok_or(Errno::EAGAIN)?
    };
    let notify = if sevp.is_null() {
        Notify::Signal {
            sig: SIGALRM,
            value: id as u64,
            tid: None,
        }
    } else {
        let Sigevent {
            sigev_value: value,
            sigev_signo: sig,
            sigev_notify,
            sigev_notify_thread_id: tid,
            ..
        } = sevp.read(ctx)?;
        match sigev_notify {
            SIGEV_NONE => Notify::None,
            SIGEV_SIGNAL | SIGEV_THREAD if signal::valid(sig) => Notify::Signal {
                sig,
                value,
                tid: None,
            },
            SIGEV_THREAD_ID if signal::valid(sig) => {
                // The thread is named in the caller's PID namespace and
                // kept by its global id.
                let tid = match p.find_task(tid) {
                    Some(t) if Arc::ptr_eq(&t.process, &p) => t.tid(),
                    _ => return Err(Errno::EINVAL),
                };
                Notify::Signal {
                    sig,
                    value,
                    tid: Some(tid),
                }
            }
            _ => return Err(Errno::EINVAL),
        }
    };
    let sigqueue = signal::sigqueue_alloc(&p, false).ok_or(Errno::EAGAIN)?;
    idp.write(ctx, &id)?;
    let t = PosixTimer {
        clock,
        notify,
        slot: TimerSlot::default(),
        cpu,
        overrun: 0,
        _sigqueue: sigqueue,
    };
    p.posix_timers.borrow_mut().insert(id, t);
    Ok(0)
}

pub fn sys_timer_settime(
    ctx: &mut TrapContext,
    id: u64,
    flags: u64,
    new: UserPtr<Itimerspec>,
    old: UserPtr<Itimerspec>,
) -> Result<u64> {
    let id = id as i32;
    let (interval, value) = read_itimerspec(ctx, new)?;
    let p = ctx.task.process.clone();
    let mut timers = p.posix_timers.borrow_mut();
    let t = timers.get_mut(&id).ok_or(Errno::EINVAL)?;
    if let Some(c) = t.cpu.as_mut() {
        let (ov, oi) = c.disarm();
        let armed = (!value.is_zero()).then(|| c.arm(value, interval, flags & TIMER_ABSTIME != 0));
        drop(timers);
        if let Some(g) = armed {
            cpu_timer::watch(&p, id, g);
        }
        if !old.is_null() {
            old.write(ctx, &to_itimerspec(ov, oi))?;
        }
        return Ok(0);
    }
    let (ov, oi) = t.slot.disarm();
    let mut armed = None;
    if !value.is_zero() {
        let deadline = if flags & TIMER_ABSTIME != 0 {
            deadline_from_abs(t.clock, value)?
        } else {
            super::time::deadline_after(value)
        };
        armed = Some((deadline, t.slot.arm(deadline, interval)));
    }
    drop(timers);
    if let Some((deadline, g)) = armed {
        arm(&p, id, deadline, g);
    }
    if !old.is_null() {
        old.write(ctx, &to_itimerspec(ov, oi))?;
    }
    Ok(0)
}

pub fn sys_timer_gettime(
    ctx: &mut TrapContext,
    id: u64,
    curr_value: UserPtr<Itimerspec>,
) -> Result<u64> {
    let (value, interval) = {
        let timers = ctx.task.process.posix_timers.borrow();
        let t = timers.get(&(id as i32)).ok_or(Errno::EINVAL)?;
        match &t.cpu {
            Some(c) => c.remaining(),
            None => t.slot.remaining(),
        }
    };
    curr_value.write(ctx, &to_itimerspec(value, interval))?;
    Ok(0)
}

pub fn sys_timer_getoverrun(ctx: &mut TrapContext, id: u64) -> Result<u64> {
    let timers = ctx.task.process.posix_timers.borrow();
    let t = timers.get(&(id as i32)).ok_or(Errno::EINVAL)?;
    Ok(t.overrun.min(DELAYTIMER_MAX))
}

pub fn sys_timer_delete(ctx: &mut TrapContext, id: u64) -> Result<u64> {
    ctx.task
        .process
        .posix_timers
        .borrow_mut()
        .remove(&(id as i32))
        .ok_or(Errno::EINVAL)?;
    Ok(0)
}

/// Records the overrun count of a timer signal being delivered: what
/// timer_getoverrun returns until the next one. Expiries that are due but
/// that the timer thread has not handled yet (a busy host) happened while
/// the signal was pending: they join its overrun first, as Linux's timer
/// interrupt would have counted them.
pub fn timer_delivered(p: &Arc<Process>, info: &mut SigInfo) {
    let mut fields: SigTimer = info.fields();
    let id = fields.si_tid;
    let rearm = {
        let mut timers = p.posix_timers.borrow_mut();
        let Some(t) = timers.get_mut(&id) else {
            return;
        };
        let caught = t.cpu.is_none().then(|| t.slot.catch_up()).flatten();
        let rearm = caught.and_then(|(count, next)| {
            let overrun = (fields.si_overrun.max(0) as u64).saturating_add(count);
            fields.si_overrun = overrun.min(DELAYTIMER_MAX) as i32;
            next
        });
        t.overrun = fields.si_overrun.max(0) as u64;
        rearm
    };
    info.set_fields(fields);
    if let Some((deadline, generation)) = rearm {
        arm(p, id, deadline, generation);
    }
}
