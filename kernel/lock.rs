//! The kernel lock: one lock held by a task's host thread while it runs kernel code
//! (a system call, a fault, a kick) and released while its guest code runs or while
//! it sleeps, as Linux 2.0 did SMP. Guest code of different tasks runs in parallel;
//! kernel code is serialised. The guard lives in a thread-local slot, so any kernel
//! code can sleep: `sleep` releases the lock atomically (a condition variable on
//! it), and `unlocked` runs a blocking host call without it.

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

/// Takes the kernel lock for this thread if it can be had within `timeout`;
/// returns false (not holding it) if some thread kept it all that time.
pub fn try_enter_for(timeout: std::time::Duration) -> bool {
    let deadline = std::time::Instant::now() + timeout;
    loop {
        match KERNEL_LOCK.try_lock() {
            Ok(guard) => {
                HELD.with(|h| *h.borrow_mut() = Some(guard));
                return true;
            }
            Err(std::sync::TryLockError::Poisoned(e)) => {
                HELD.with(|h| *h.borrow_mut() = Some(e.into_inner()));
                return true;
            }
            Err(std::sync::TryLockError::WouldBlock) => {}
        }
        if std::time::Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
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

/// Sleeps on `cv` until notified or `timeout` passes, releasing the kernel lock
/// meanwhile (the lock is the condition variable's mutex, so a wake-up sent under
/// the lock cannot be lost). Returns false if the timeout passed.
pub fn sleep(cv: &Condvar, timeout: Option<std::time::Duration>) -> bool {
    let guard = HELD
        .with(|h| h.borrow_mut().take())
        .expect("sleeping requires the kernel lock");
    let (guard, woken) = match timeout {
        None => (cv.wait(guard).unwrap_or_else(|e| e.into_inner()), true),
        Some(t) => {
            let (g, r) = cv.wait_timeout(guard, t).unwrap_or_else(|e| e.into_inner());
            (g, !r.timed_out())
        }
    };
    HELD.with(|h| *h.borrow_mut() = Some(guard));
    woken
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    /// The host-signal thread's way in: it gives up on a lock some other
    /// thread keeps, and takes a free one.
    #[test]
    fn try_enter_for_gives_up_on_a_held_lock() {
        let (held_tx, held_rx) = std::sync::mpsc::channel();
        let (done_tx, done_rx) = std::sync::mpsc::channel::<()>();
        let holder = std::thread::spawn(move || {
            super::enter();
            held_tx.send(()).expect("the test waits");
            let _ = done_rx.recv();
            super::leave();
        });
        held_rx.recv().expect("the holder took the lock");
        assert!(!super::try_enter_for(Duration::from_millis(50)));
        done_tx.send(()).expect("the holder waits");
        holder.join().expect("the holder ends");
        assert!(super::try_enter_for(Duration::from_secs(5)));
        super::leave();
    }
}
