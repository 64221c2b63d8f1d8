//! The mutex for data shared outside the kernel lock (the library crates'
//! state, the log, the timer queue): std's mutex without poisoning
//! (a panic while a lock is held ends the whole kernel, see kernel/panic.rs, so a
//! poisoned lock is never seen by code that would care), plus, in debug builds, a
//! check that no thread takes a lock it already holds.
//!
//! Taking a lock twice from one thread is a silent self-deadlock with std's mutex,
//! and under the kernel lock it freezes every task, the timers and the host-signal
//! thread (an unprivileged `prctl(PR_SET_NAME)` once did that: the guard of the mm
//! lived across a second lock of the same mm). With `debug_assertions` each thread
//! keeps the addresses of the locks it holds, and a second `lock` of one of them
//! panics with the type's name instead of hanging, so the boot tests and the
//! fuzzer (which run the debug build) find the whole class, not one path.

use std::ops::{Deref, DerefMut};

/// A mutual exclusion lock without poisoning, checked for self-deadlock in
/// debug builds.
#[derive(Default)]
pub struct Mutex<T: ?Sized> {
    inner: std::sync::Mutex<T>,
}

/// The guard of a [`Mutex`]; the lock is released when it is dropped.
pub struct MutexGuard<'a, T: ?Sized> {
    guard: std::sync::MutexGuard<'a, T>,
    #[cfg(debug_assertions)]
    addr: usize,
}

impl<T> Mutex<T> {
    /// Creates an unlocked mutex holding `value`.
    pub const fn new(value: T) -> Self {
        Mutex {
            inner: std::sync::Mutex::new(value),
        }
    }

    /// Returns the value, consuming the mutex.
    pub fn into_inner(self) -> T {
        self.inner.into_inner().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T: ?Sized> Mutex<T> {
    #[cfg(debug_assertions)]
    fn addr(&self) -> usize {
        (self as *const Self).cast::<()>() as usize
    }

    /// Takes the lock, waiting for it. In debug builds, panics if this thread
    /// already holds it (a self-deadlock in release builds).
    pub fn lock(&self) -> MutexGuard<'_, T> {
        #[cfg(debug_assertions)]
        held::acquire(self.addr(), std::any::type_name::<T>());
        MutexGuard {
            guard: self.inner.lock().unwrap_or_else(|e| e.into_inner()),
            #[cfg(debug_assertions)]
            addr: self.addr(),
        }
    }

    /// Takes the lock if it is free; returns None if any thread holds it.
    pub fn try_lock(&self) -> Option<MutexGuard<'_, T>> {
        let guard = match self.inner.try_lock() {
            Ok(g) => g,
            Err(std::sync::TryLockError::Poisoned(e)) => e.into_inner(),
            Err(std::sync::TryLockError::WouldBlock) => return None,
        };
        #[cfg(debug_assertions)]
        held::acquire(self.addr(), std::any::type_name::<T>());
        Some(MutexGuard {
            guard,
            #[cfg(debug_assertions)]
            addr: self.addr(),
        })
    }

    /// Returns the value through a unique reference, without locking.
    pub fn get_mut(&mut self) -> &mut T {
        self.inner.get_mut().unwrap_or_else(|e| e.into_inner())
    }
}

impl<T: ?Sized + std::fmt::Debug> std::fmt::Debug for Mutex<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Mutex")
    }
}

impl<T: ?Sized> Deref for MutexGuard<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.guard
    }
}

impl<T: ?Sized> DerefMut for MutexGuard<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        &mut self.guard
    }
}

#[cfg(debug_assertions)]
impl<T: ?Sized> Drop for MutexGuard<'_, T> {
    fn drop(&mut self) {
        held::release(self.addr);
    }
}

/// The locks each thread holds, by address (debug builds only).
#[cfg(debug_assertions)]
mod held {
    use std::cell::RefCell;

    thread_local! {
        static HELD: RefCell<Vec<usize>> = const { RefCell::new(Vec::new()) };
    }

    /// Records that this thread takes the lock at `addr`; panics if it holds it.
    pub(super) fn acquire(addr: usize, what: &str) {
        HELD.with(|h| {
            let mut h = h.borrow_mut();
            assert!(
                !h.contains(&addr),
                "deadlock: a Mutex<{what}> taken twice by one thread"
            );
            h.push(addr);
        });
    }

    /// Records that this thread released the lock at `addr`.
    pub(super) fn release(addr: usize) {
        // A guard dropped during thread teardown may find the list gone.
        let _ = HELD.try_with(|h| {
            let mut h = h.borrow_mut();
            if let Some(i) = h.iter().rposition(|&a| a == addr) {
                h.swap_remove(i);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::Mutex;

    #[test]
    fn lock_and_relock() {
        let m = Mutex::new(1);
        *m.lock() += 1;
        assert_eq!(*m.lock(), 2);
        let g = m.lock();
        assert!(m.try_lock().is_none());
        drop(g);
        assert!(m.try_lock().is_some());
    }

    #[test]
    #[cfg(debug_assertions)]
    #[should_panic(expected = "taken twice by one thread")]
    fn self_deadlock_panics_in_debug_builds() {
        let m = Mutex::new(0u32);
        let _g = m.lock();
        let _h = m.lock();
    }

    #[test]
    fn zero_sized_values_are_distinct_locks() {
        let a = Mutex::new(());
        let b = Mutex::new(());
        let _ga = a.lock();
        let _gb = b.lock();
    }
}
