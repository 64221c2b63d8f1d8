//! The kernel lock: one lock held by a task's host thread while it runs kernel code
//! (a system call, a fault, a kick) and released while its guest code runs or while
//! it sleeps, as Linux 2.0 did SMP. Guest code of different tasks runs in parallel;
//! kernel code is serialised. The guard lives in a thread-local slot, so any kernel
//! code can sleep: `WaitQueue::wait` releases the lock atomically (a condition
//! variable on it), and `unlocked` runs a blocking host call without it.

use std::cell::RefCell;
use std::sync::{Condvar, Mutex, MutexGuard};

static KERNEL_LOCK: Mutex<()> = Mutex::new(());

thread_local! {
    static HELD: RefCell<Option<MutexGuard<'static, ()>>> = const { RefCell::new(None) };
}

/// Takes the kernel lock for this thread.
pub fn enter() {
    // A panic while holding the lock ends the whole kernel (see panic.rs), so a
    // poisoned lock is never observed by code that would care.
    let guard = KERNEL_LOCK.lock().unwrap_or_else(|e| e.into_inner());
    HELD.with(|h| {
        let old = h.borrow_mut().replace(guard);
        assert!(old.is_none(), "kernel lock taken twice by one thread");
    });
}

/// Releases the kernel lock held by this thread.
pub fn leave() {
    let guard = HELD.with(|h| h.borrow_mut().take());
    assert!(guard.is_some(), "kernel lock released without being held");
    drop(guard);
}

/// Runs `f` without the kernel lock (a blocking host call), then retakes it.
pub fn unlocked<R>(f: impl FnOnce() -> R) -> R {
    leave();
    let r = f();
    enter();
    r
}

/// Tasks sleeping until some condition, re-checked after every wake-up.
pub struct WaitQueue(Condvar);

impl WaitQueue {
    /// Creates an empty wait queue.
    pub const fn new() -> WaitQueue {
        WaitQueue(Condvar::new())
    }

    /// Sleeps until woken, releasing the kernel lock meanwhile.
    pub fn wait(&self) {
        let guard = HELD
            .with(|h| h.borrow_mut().take())
            .expect("sleeping requires the kernel lock");
        let guard = self.0.wait(guard).unwrap_or_else(|e| e.into_inner());
        HELD.with(|h| *h.borrow_mut() = Some(guard));
    }

    /// Wakes every sleeper.
    pub fn wake_all(&self) {
        self.0.notify_all();
    }
}
