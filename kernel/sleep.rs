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
use std::sync::{Arc, Condvar, Mutex};
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
    /// Where the task sleeps, or is about to (`wchan`); and the wait point
    /// a caller named for its next `wait_event`.
    point: Mutex<&'static str>,
    hint: Mutex<Option<&'static str>>,
}

impl TaskWaiter {
    /// Wakes the task if it sleeps (a no-op otherwise).
    pub fn wake_task(&self) {
        self.cv.notify_all();
    }

    /// Sleeps at wait point `point` (a Linux function name, for
    /// /proc/PID/wchan) until woken or until `timeout` passes; returns false
    /// on timeout.
    pub fn sleep_at(&self, point: &'static str, timeout: Option<Duration>) -> bool {
        *self.point.lock().unwrap_or_else(|e| e.into_inner()) = point;
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

    /// Names the wait point of the task's next `wait_event` (an empty name
    /// leaves it to the system call).
    pub fn hint(&self, point: &'static str) {
        if !point.is_empty() {
            *self.hint.lock().unwrap_or_else(|e| e.into_inner()) = Some(point);
        }
    }

    /// Takes the wait point a caller named, if any.
    pub fn take_hint(&self) -> Option<&'static str> {
        self.hint.lock().unwrap_or_else(|e| e.into_inner()).take()
    }

    /// Returns where the task sleeps (a Linux function name), or None
    /// while it runs or when the wait point is unknown.
    pub fn wait_point(&self) -> Option<&'static str> {
        let point = *self.point.lock().unwrap_or_else(|e| e.into_inner());
        (self.is_sleeping() && !point.is_empty()).then_some(point)
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
    let point = crate::wchan::current_point(task);
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
        task.waiter.sleep_at(point, timeout);
    };
    for q in queues {
        q.remove(&waker);
    }
    result
}
