//! Sleeping. Every task has a `TaskWaiter`, a condition variable on the kernel
//! lock: a task waiting for something registers it on the `WaitQueue`s of the
//! objects involved and sleeps; whoever changes those objects wakes the queue,
//! and a signal sent to the task wakes the waiter directly. `wait_event` is the
//! one loop that re-checks the condition, the signals and the deadline.

use crate::lock;
use crate::signal::{fatal_signal_pending, signal_pending};
use crate::task::Task;
use arch::{Errno, Result};
use fs::{WaitQueue, Waker};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Condvar};
use std::time::{Duration, Instant};

/// What a task sleeps on.
#[derive(Default)]
pub struct TaskWaiter {
    cv: Condvar,
    /// True while the task sleeps (state S in /proc/PID/stat).
    sleeping: AtomicBool,
    /// Context switches: sleeps (voluntary) and kicks out of running guest
    /// code (nonvoluntary), Linux's `nvcsw` and `nivcsw`.
    voluntary: AtomicU64,
    involuntary: AtomicU64,
}

impl TaskWaiter {
    /// Wakes the task if it sleeps (a no-op otherwise).
    pub fn wake_task(&self) {
        self.cv.notify_all();
    }

    /// Sleeps until woken or until `timeout` passes; returns false on timeout.
    pub fn sleep(&self, timeout: Option<Duration>) -> bool {
        self.sleeping.store(true, Ordering::Relaxed);
        self.voluntary.fetch_add(1, Ordering::Relaxed);
        let woken = lock::sleep(&self.cv, timeout);
        self.sleeping.store(false, Ordering::Relaxed);
        woken
    }

    /// Counts a kick that took the task out of its guest code while it could
    /// run (a preemption, for the context-switch counts).
    pub fn preempted(&self) {
        self.involuntary.fetch_add(1, Ordering::Relaxed);
    }

    /// Returns the task's (voluntary, nonvoluntary) context switches.
    pub fn switches(&self) -> (u64, u64) {
        (
            self.voluntary.load(Ordering::Relaxed),
            self.involuntary.load(Ordering::Relaxed),
        )
    }

    /// Returns whether the task sleeps now.
    pub fn is_sleeping(&self) -> bool {
        self.sleeping.load(Ordering::Relaxed)
    }
}

impl Waker for TaskWaiter {
    fn wake(&self) {
        self.wake_task();
    }
}

/// Which events end a sleep early.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Interruptible {
    /// Any signal the task does not block (Linux's TASK_INTERRUPTIBLE).
    Signals,
    /// Only the death of the thread group (TASK_KILLABLE).
    Fatal,
    /// Nothing (TASK_UNINTERRUPTIBLE): the caller bounds the sleep with a
    /// deadline (a dying process writing its core to a pipe).
    Uninterruptible,
}

/// Sleeps until `cond` yields a value, registered on `queues`. Returns
/// `Ok(None)` once `deadline` passes and `ERESTARTSYS` when a signal (as
/// `mode` says) arrives first. The condition is checked before the signals, so
/// an event that is already there is never lost.
pub fn wait_event<T>(
    task: &Task,
    queues: &[&WaitQueue],
    deadline: Option<Instant>,
    mode: Interruptible,
    mut cond: impl FnMut() -> Option<T>,
) -> Result<Option<T>> {
    let waker: Arc<dyn Waker> = task.waiter.clone();
    for q in queues {
        q.add(&waker);
    }
    let result = loop {
        if let Some(v) = cond() {
            break Ok(Some(v));
        }
        let interrupted = match mode {
            Interruptible::Signals => signal_pending(task),
            Interruptible::Fatal => fatal_signal_pending(task),
            Interruptible::Uninterruptible => false,
        };
        if interrupted {
            break Err(Errno::ERESTARTSYS);
        }
        let timeout = match deadline {
            Some(d) => match d.checked_duration_since(Instant::now()) {
                Some(left) if !left.is_zero() => Some(left),
                _ => break Ok(None),
            },
            None => None,
        };
        task.waiter.sleep(timeout);
    };
    for q in queues {
        q.remove(&waker);
    }
    result
}
