//! Wait queues (Linux's `wait_queue_head`): the list of parties interested in an
//! object's state — tasks sleeping in `read` or `poll`, epoll instances watching a
//! file. The object calls `wake_all` when its state may have changed; a woken party
//! re-checks whatever it waits for. Sleeping itself belongs to the kernel, which
//! implements `Waker` for its tasks; this crate only keeps the lists.

use arch::sync::Mutex;
use std::sync::{Arc, Weak};

/// Something a wait queue can wake: a sleeping task, an epoll entry.
pub trait Waker: Send + Sync {
    /// Wakes the party; it re-checks its condition and may sleep again.
    fn wake(&self);
}

/// The parties waiting on one object.
#[derive(Default)]
pub struct WaitQueue {
    waiters: Mutex<Vec<Weak<dyn Waker>>>,
}

impl WaitQueue {
    /// Creates an empty queue.
    pub const fn new() -> WaitQueue {
        WaitQueue {
            waiters: Mutex::new(Vec::new()),
        }
    }

    fn waiters(&self) -> arch::sync::MutexGuard<'_, Vec<Weak<dyn Waker>>> {
        self.waiters.lock()
    }

    /// Adds `w`; it stays until removed or dropped.
    pub fn add(&self, w: &Arc<dyn Waker>) {
        let mut v = self.waiters();
        v.retain(|x| x.strong_count() > 0);
        v.push(Arc::downgrade(w));
    }

    /// Removes `w` (every time it was added).
    pub fn remove(&self, w: &Arc<dyn Waker>) {
        let target = Arc::as_ptr(w) as *const ();
        self.waiters()
            .retain(|x| x.strong_count() > 0 && x.as_ptr() as *const () != target);
    }

    /// Wakes every party on the queue (they stay on it).
    pub fn wake_all(&self) {
        let live: Vec<_> = self.waiters().iter().filter_map(Weak::upgrade).collect();
        for w in live {
            w.wake();
        }
    }

    /// Returns whether anyone waits.
    pub fn is_empty(&self) -> bool {
        self.waiters().iter().all(|w| w.strong_count() == 0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    struct Counter(AtomicUsize);
    impl Waker for Counter {
        fn wake(&self) {
            self.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    #[test]
    fn wakes_the_live_waiters_until_removed() {
        let q = WaitQueue::new();
        let a = Arc::new(Counter(AtomicUsize::new(0)));
        let b = Arc::new(Counter(AtomicUsize::new(0)));
        let (wa, wb): (Arc<dyn Waker>, Arc<dyn Waker>) = (a.clone(), b.clone());
        q.add(&wa);
        q.add(&wb);
        q.wake_all();
        q.remove(&wa);
        q.wake_all();
        drop(wb);
        assert_eq!(a.0.load(Ordering::Relaxed), 1);
        assert_eq!(b.0.load(Ordering::Relaxed), 2);
        assert!(!q.is_empty(), "b is still alive");
        drop(b);
        assert!(q.is_empty(), "a dropped waiter no longer counts");
    }
}
