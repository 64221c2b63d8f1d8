//! POSIX timers and sleeps on CPU-time clocks (timer_create(2) and
//! clock_nanosleep(2) on the clocks of `cpu_clock.rs`; Linux's
//! kernel/time/posix-cpu-timers.c). The kernel cannot be told when a host
//! thread's CPU time reaches a value, so a watcher on the kernel timer queue
//! samples the clock, as rarely as the CPU time left allows and at least
//! every millisecond near the expiry (`cpu_clock::next_sample`): a timer
//! fires, or a sleep ends, within about a millisecond of CPU time per thread
//! after its expiry, and nothing busy-waits. An expiry that finds a timer
//! interval periods behind counts the missed ones as its overrun, as a
//! still-pending signal does (`posix_timer::notify`).

use super::arg::UserPtr;
use super::cpu_clock::{next_sample, CpuClock};
use crate::sleep::{wait_event, Interruptible};
use crate::task::{Process, TrapContext};
use arch::abi::structs::Timespec;
use arch::{Errno, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// Generations of all CPU timers, so that a watcher of a deleted timer can
/// never match a new timer given the same id.
static GENERATION: AtomicU64 = AtomicU64::new(1);

fn nanos(d: Duration) -> u64 {
    u64::try_from(d.as_nanos()).unwrap_or(u64::MAX)
}

/// The state of a POSIX timer on a CPU-time clock.
#[derive(Debug)]
pub(super) struct CpuTimer {
    clock: CpuClock,
    /// The clock reading at which it fires next (0: disarmed).
    expires: u64,
    interval: u64,
    generation: u64,
}

impl CpuTimer {
    pub(super) fn new(clock: CpuClock) -> Self {
        CpuTimer {
            clock,
            expires: 0,
            interval: 0,
            generation: 0,
        }
    }

    /// Returns (CPU time left, interval) as timer_gettime(2) shows them: an
    /// expiry not yet handled shows 1 ns left, as in Linux.
    pub(super) fn remaining(&self) -> (Duration, Duration) {
        let interval = Duration::from_nanos(self.interval);
        if self.expires == 0 {
            return (Duration::ZERO, interval);
        }
        let left = match self.clock.sample() {
            Some(now) if now < self.expires => self.expires - now,
            Some(_) => 1,
            None => 0,
        };
        (Duration::from_nanos(left), interval)
    }

    /// Disarms the timer; returns (time left, interval) as they were.
    pub(super) fn disarm(&mut self) -> (Duration, Duration) {
        let old = self.remaining();
        self.expires = 0;
        self.generation = GENERATION.fetch_add(1, Ordering::Relaxed);
        old
    }

    /// Arms the timer to fire once the clock reads `value` (`abs`) or has
    /// advanced by it, then every `interval`; returns the generation its
    /// watcher presents.
    pub(super) fn arm(&mut self, value: Duration, interval: Duration, abs: bool) -> u64 {
        let now = self.clock.sample().unwrap_or(0);
        let v = nanos(value);
        self.expires = if abs { v } else { now.saturating_add(v) }.max(1);
        self.interval = nanos(interval);
        self.generation = GENERATION.fetch_add(1, Ordering::Relaxed);
        self.generation
    }
}

/// Starts the watcher of CPU timer `id` of `p`, armed as `generation`.
pub(super) fn watch(p: &Arc<Process>, id: i32, generation: u64) {
    schedule(Arc::downgrade(p), id, generation, Duration::ZERO);
}

fn schedule(p: Weak<Process>, id: i32, generation: u64, after: Duration) {
    crate::timer::add(Instant::now() + after, move || tick(p, id, generation));
}

/// Samples the clock of CPU timer `id`; fires it once its expiry has come
/// and schedules the next sample while it stays armed.
fn tick(weak: Weak<Process>, id: i32, generation: u64) {
    let Some(p) = weak.upgrade() else { return };
    let (count, left, clock) = {
        let mut timers = p.posix_timers.borrow_mut();
        let Some(t) = timers.get_mut(&id).and_then(|t| t.cpu.as_mut()) else {
            return;
        };
        if t.generation != generation || t.expires == 0 {
            return;
        }
        // A clock of a thread or process that is gone no longer advances:
        // the timer never fires.
        let Some(now) = t.clock.sample() else { return };
        let (count, left) = if now < t.expires {
            (0, t.expires - now)
        } else if let Some(missed) = (now - t.expires).checked_div(t.interval) {
            let step = (missed + 1).saturating_mul(t.interval);
            t.expires = t.expires.saturating_add(step);
            (missed + 1, t.expires - now)
        } else {
            t.expires = 0;
            (1, 0)
        };
        (count, left, t.clock.clone())
    };
    if count > 0 {
        super::posix_timer::notify(&p, id, count);
    }
    if left > 0 {
        schedule(weak, id, generation, next_sample(&clock, left));
    }
}

/// clock_nanosleep(2) on CPU clock `clock`: sleeps until it reads `d`
/// (`abs`) or has advanced by `d`. Interrupted, a relative sleep stores the
/// CPU time left at `rem` and resumes toward the same end after a stop; an
/// absolute one is restarted whole.
pub(super) fn sleep(
    ctx: &mut TrapContext,
    clock: CpuClock,
    abs: bool,
    d: Duration,
    rem: u64,
) -> Result<u64> {
    let now = clock.sample().ok_or(Errno::EINVAL)?;
    let end = if abs {
        nanos(d)
    } else {
        now.saturating_add(nanos(d))
    };
    sleep_until(ctx, clock, end, abs, rem)
}

fn sleep_until(
    ctx: &mut TrapContext,
    clock: CpuClock,
    end: u64,
    abs: bool,
    rem: u64,
) -> Result<u64> {
    let task = ctx.task.clone();
    loop {
        // A process that is gone uses no more CPU time: the sleep ends.
        let Some(now) = clock.sample() else {
            return Ok(0);
        };
        if now >= end {
            return Ok(0);
        }
        let next = Instant::now() + next_sample(&clock, end - now);
        let woken = wait_event(
            &task,
            &[],
            Some(next),
            Interruptible::Signals,
            || None::<()>,
        );
        if woken.is_err() {
            break;
        }
    }
    if abs {
        return Err(Errno::ERESTARTNOHAND);
    }
    let left = end.saturating_sub(clock.sample().unwrap_or(end));
    if left == 0 {
        return Ok(0);
    }
    if rem != 0 {
        let ts: Timespec = Duration::from_nanos(left).into();
        UserPtr::<Timespec>::new(rem).write(ctx, &ts)?;
    }
    *task.restart.borrow_mut() = Some(Box::new(move |ctx: &mut TrapContext| {
        sleep_until(ctx, clock, end, false, rem)
    }));
    Err(Errno::ERESTART_RESTARTBLOCK)
}
