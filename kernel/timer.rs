//! Kernel timers: one host thread sleeps until the earliest deadline of a
//! queue and runs each expired timer's action under the kernel lock, like a
//! timer interrupt. Actions cannot be stopped once they have left the queue, so
//! users guard them with a generation number that re-arming or cancelling bumps
//! (`TimerSlot`); a late action sees a stale generation and does nothing.

use crate::lock;
use std::collections::BTreeMap;
use std::sync::{Condvar, Mutex, Once};
use std::time::{Duration, Instant};

type Action = Box<dyn FnOnce() + Send>;

struct Queue {
    next: u64,
    entries: BTreeMap<(Instant, u64), Action>,
}

static QUEUE: Mutex<Queue> = Mutex::new(Queue {
    next: 0,
    entries: BTreeMap::new(),
});
static CHANGED: Condvar = Condvar::new();
static START: Once = Once::new();

/// Runs `action` under the kernel lock once `deadline` has passed.
pub fn add(deadline: Instant, action: impl FnOnce() + Send + 'static) {
    START.call_once(|| {
        std::thread::Builder::new()
            .name("timer".into())
            .spawn(timer_thread)
            .expect("the timer thread starts at the first timer");
    });
    let mut q = QUEUE.lock().unwrap_or_else(|e| e.into_inner());
    let id = q.next;
    q.next += 1;
    q.entries.insert((deadline, id), Box::new(action));
    CHANGED.notify_one();
}

fn timer_thread() {
    let mut q = QUEUE.lock().unwrap_or_else(|e| e.into_inner());
    loop {
        let now = Instant::now();
        let first = q.entries.keys().next().copied();
        match first {
            Some(key) if key.0 <= now => {
                let action = q.entries.remove(&key).expect("the first key is present");
                drop(q);
                lock::enter();
                action();
                lock::leave();
                q = QUEUE.lock().unwrap_or_else(|e| e.into_inner());
            }
            Some((deadline, _)) => {
                q = CHANGED
                    .wait_timeout(q, deadline - now)
                    .unwrap_or_else(|e| e.into_inner())
                    .0;
            }
            None => q = CHANGED.wait(q).unwrap_or_else(|e| e.into_inner()),
        }
    }
}

/// The state of one re-armable timer (an itimer, a POSIX timer, a timerfd):
/// its next expiry, its period, and the generation that keeps stale actions
/// from firing.
#[derive(Debug, Default)]
pub struct TimerSlot {
    pub deadline: Option<Instant>,
    pub interval: Duration,
    pub generation: u64,
}

impl TimerSlot {
    /// Disarms the timer; returns (time left, interval) as it was.
    pub fn disarm(&mut self) -> (Duration, Duration) {
        let old = self.remaining();
        self.generation += 1;
        self.deadline = None;
        old
    }

    /// Returns (time left until the next expiry, interval).
    pub fn remaining(&self) -> (Duration, Duration) {
        let left = self.deadline.map_or(Duration::ZERO, |d| {
            d.saturating_duration_since(Instant::now())
        });
        (left, self.interval)
    }

    /// Takes the expiries that are due but whose action has not run yet (the
    /// timer thread fell behind a busy host): how many, and, for a periodic
    /// timer, the next deadline with the generation its new action must
    /// present (the action already queued becomes stale). None if none is
    /// due.
    pub fn catch_up(&mut self) -> Option<(u64, Option<(Instant, u64)>)> {
        if Instant::now() < self.deadline? {
            return None;
        }
        let (count, next) = self.expire(self.generation)?;
        self.generation += 1;
        Some((count, next.map(|d| (d, self.generation))))
    }

    /// Arms the timer for `deadline` and period `interval`; returns the
    /// generation the expiry action must present.
    pub fn arm(&mut self, deadline: Instant, interval: Duration) -> u64 {
        self.generation += 1;
        self.deadline = Some(deadline);
        self.interval = interval;
        self.generation
    }

    /// Handles an expiry of generation `generation`: returns None if it is
    /// stale, else how many periods expired (more than one if the timer fell
    /// behind) and the next deadline, which is recorded.
    pub fn expire(&mut self, generation: u64) -> Option<(u64, Option<Instant>)> {
        if generation != self.generation {
            return None;
        }
        let deadline = self.deadline?;
        if self.interval.is_zero() {
            self.deadline = None;
            return Some((1, None));
        }
        let now = Instant::now();
        let behind = now.saturating_duration_since(deadline);
        let missed = (behind.as_nanos() / self.interval.as_nanos()) as u64;
        let periods = missed.saturating_add(1).min(u32::MAX as u64) as u32;
        let next = deadline
            .checked_add(self.interval.saturating_mul(periods))
            .unwrap_or(now + self.interval);
        self.deadline = Some(next);
        Some((missed + 1, Some(next)))
    }
}
