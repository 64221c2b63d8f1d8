//! Interval timers (setitimer(2), getitimer(2), alarm(2)). ITIMER_REAL counts
//! wall time on the kernel timer queue and sends SIGALRM. ITIMER_VIRTUAL and
//! ITIMER_PROF count the process's CPU time (user, and user + system), sampled
//! every 10 ms — Linux's tick granularity — and send SIGVTALRM and SIGPROF.

use super::arg::UserPtr;
use crate::signal::{self, SigInfo, SI_KERNEL};
use crate::task::Process;
use crate::task::TrapContext;
use crate::timer::{self, TimerSlot};
use arch::abi::structs::{Itimerval, Timeval};
use arch::{Errno, Result};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

const ITIMER_REAL: u64 = 0;
const ITIMER_VIRTUAL: u64 = 1;
const ITIMER_PROF: u64 = 2;
/// How often CPU-time timers look at the clock.
const CPU_TICK: Duration = Duration::from_millis(10);

/// A CPU-time interval timer.
#[derive(Debug, Default)]
pub struct CpuItimer {
    /// CPU time left before it fires, in nanoseconds (0: disarmed).
    pub left: u64,
    pub interval: u64,
    /// The process CPU time at the last sample.
    pub last: u64,
    pub generation: u64,
}

/// The interval timers of a process.
#[derive(Debug, Default)]
pub struct Itimers {
    pub real: TimerSlot,
    /// ITIMER_VIRTUAL and ITIMER_PROF.
    pub cpu: [CpuItimer; 2],
}

/// Returns a `struct timeval` as a duration (EINVAL if out of range).
fn from_timeval(tv: Timeval) -> Result<Duration> {
    tv.to_duration().ok_or(Errno::EINVAL)
}

/// Returns the `struct itimerval` of a timer with `value` left and `interval`.
fn to_itimerval(value: Duration, interval: Duration) -> Itimerval {
    Itimerval {
        it_interval: interval.into(),
        it_value: value.into(),
    }
}

/// Schedules the next expiry check of the real timer.
fn arm_real(p: &Arc<Process>, deadline: Instant, generation: u64) {
    let weak = Arc::downgrade(p);
    timer::add(deadline, move || real_expired(weak, generation));
}

fn real_expired(p: Weak<Process>, generation: u64) {
    let Some(p) = p.upgrade() else { return };
    let next = p.itimers.borrow_mut().real.expire(generation);
    if let Some((_, next)) = next {
        signal::send_to_process(&p, SigInfo::new(signal::SIGALRM, SI_KERNEL));
        if let Some(d) = next {
            arm_real(&p, d, generation);
        }
    }
}

/// Returns the CPU time a CPU itimer counts.
fn cpu_now(p: &Process, which: usize) -> u64 {
    let (user, system) = super::sched::process_times(p);
    if which == 0 {
        user
    } else {
        user + system
    }
}

fn cpu_tick(p: Weak<Process>, which: usize, generation: u64) {
    let Some(p) = p.upgrade() else { return };
    let now = cpu_now(&p, which);
    let fire = {
        let mut its = p.itimers.borrow_mut();
        let t = &mut its.cpu[which];
        if t.generation != generation || t.left == 0 {
            return;
        }
        let used = now.saturating_sub(t.last);
        t.last = now;
        if used < t.left {
            t.left -= used;
            false
        } else {
            t.left = t.interval;
            true
        }
    };
    if fire {
        let sig = if which == 0 {
            signal::SIGVTALRM
        } else {
            signal::SIGPROF
        };
        signal::send_to_process(&p, SigInfo::new(sig, SI_KERNEL));
    }
    if p.itimers.borrow().cpu[which].left != 0 {
        let weak = Arc::downgrade(&p);
        timer::add(Instant::now() + CPU_TICK, move || {
            cpu_tick(weak, which, generation)
        });
    }
}

/// Sets timer `which` to (value, interval); returns the old (value, interval).
fn set(
    p: &Arc<Process>,
    which: u64,
    value: Duration,
    interval: Duration,
) -> Result<(Duration, Duration)> {
    match which {
        ITIMER_REAL => {
            let mut its = p.itimers.borrow_mut();
            let old = its.real.disarm();
            if !value.is_zero() {
                let deadline = super::time::deadline_after(value);
                let g = its.real.arm(deadline, interval);
                drop(its);
                arm_real(p, deadline, g);
            }
            Ok(old)
        }
        ITIMER_VIRTUAL | ITIMER_PROF => {
            let which = which as usize - 1;
            let now = cpu_now(p, which);
            let mut its = p.itimers.borrow_mut();
            let t = &mut its.cpu[which];
            let old = (
                Duration::from_nanos(t.left),
                Duration::from_nanos(t.interval),
            );
            t.generation += 1;
            t.left = value.as_nanos() as u64;
            t.interval = interval.as_nanos() as u64;
            t.last = now;
            let g = t.generation;
            drop(its);
            if !value.is_zero() {
                let weak = Arc::downgrade(p);
                timer::add(Instant::now() + CPU_TICK, move || cpu_tick(weak, which, g));
            }
            Ok(old)
        }
        _ => Err(Errno::EINVAL),
    }
}

fn get(p: &Process, which: u64) -> Result<(Duration, Duration)> {
    let its = p.itimers.borrow();
    match which {
        ITIMER_REAL => Ok(its.real.remaining()),
        ITIMER_VIRTUAL | ITIMER_PROF => {
            let t = &its.cpu[which as usize - 1];
            Ok((
                Duration::from_nanos(t.left),
                Duration::from_nanos(t.interval),
            ))
        }
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_getitimer(
    ctx: &mut TrapContext,
    which: u64,
    curr_value: UserPtr<Itimerval>,
) -> Result<u64> {
    let (value, interval) = get(&ctx.task.process, which)?;
    curr_value.write(ctx, &to_itimerval(value, interval))?;
    Ok(0)
}

pub fn sys_setitimer(
    ctx: &mut TrapContext,
    which: u64,
    new: UserPtr<Itimerval>,
    old: UserPtr<Itimerval>,
) -> Result<u64> {
    let (interval, value) = if new.is_null() {
        (Duration::ZERO, Duration::ZERO)
    } else {
        let v = new.read(ctx)?;
        (from_timeval(v.it_interval)?, from_timeval(v.it_value)?)
    };
    let p = ctx.task.process.clone();
    let (ov, oi) = set(&p, which, value, interval)?;
    if !old.is_null() {
        old.write(ctx, &to_itimerval(ov, oi))?;
    }
    Ok(0)
}

/// alarm(2): returns the seconds left on the previous alarm, rounded to the
/// nearest second but never 0 for an armed one.
pub fn sys_alarm(ctx: &mut TrapContext, seconds: u64) -> Result<u64> {
    let p = ctx.task.process.clone();
    let secs = seconds as u32 as u64;
    let (old, _) = set(&p, ITIMER_REAL, Duration::from_secs(secs), Duration::ZERO)?;
    let mut left = old.as_secs();
    if old.subsec_micros() >= 500_000 || (left == 0 && !old.is_zero()) {
        left += 1;
    }
    Ok(left)
}
