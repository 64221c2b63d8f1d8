//! The kernel lock: one lock held by a task's host thread while it runs kernel code
//! (a system call, a fault, a kick) and released while its guest code runs or while
//! it sleeps, as Linux 2.0 did SMP. Guest code of different tasks runs in parallel;
//! kernel code is serialised. The guard lives in a thread-local slot, so any kernel
//! code can sleep: `sleep` releases the lock atomically (a condition variable on
//! it), and `unlocked` runs a blocking host call without it.
//!
//! The state the lock protects lives in [`KernelCell`]s: a cell can be borrowed
//! only by a thread that holds the lock, and a thread cannot release the lock
//! while it still borrows a cell (both checked, in every build). Together the two
//! checks make every borrow happen inside one holding of the lock, so no two
//! threads ever see a cell at once, and a reference into kernel state can never
//! outlive a sleep — the mistake a plain mutex per object lets through silently.
//!
//! What runs without the lock, and why that is safe:
//! - a task's own guest code (`lock::leave` around running it) and its blocking
//!   host calls (`unlocked`): they touch no kernel state;
//! - kicks: waking another task's guest code goes through its guest CPU's
//!   handle (`backend::CpuHandle`, shareable and set once in the task) and its
//!   `in_guest` flag, an atomic;
//! - waking a sleeper: `Condvar::notify_all` needs no lock, and a wake-up sent
//!   under the lock cannot be lost (the sleeper waits on this lock's condvar);
//! - host-event threads: the timer thread keeps its queue under its own mutex and
//!   runs each expired action under this lock; a terminal's input thread waits
//!   on its host fd without the lock and feeds the line discipline under it; the
//!   host-signal thread takes the lock with `try_enter_for` and, if it cannot,
//!   exits without touching kernel state;
//! - the log (printk's ring) and the panic hook, which any thread may reach: their
//!   own mutexes;
//! - the library crates (`fs`, `mm`, `drivers`): their data has mutexes of its
//!   own, uncontended when called from the kernel (always under this lock), and
//!   needed when their unit tests run them without a kernel;
//! - counters and tunables read by several paths (sysctls, statistics) are atomics.
//!
//! Dropping the last reference to kernel state is touching it: a task's host
//! thread drops its task before it releases the lock for the last time
//! (`do_exit`), and a timer action is consumed under the lock.

use std::cell::{Cell, RefCell, UnsafeCell};
use std::ops::{Deref, DerefMut};
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

static KERNEL_LOCK: Mutex<()> = Mutex::new(());

thread_local! {
    /// The guard of the kernel lock while this thread holds it.
    static HELD: RefCell<Option<MutexGuard<'static, ()>>> = const { RefCell::new(None) };
    /// Whether this thread holds the lock (the cheap check every borrow makes).
    static HOLDS: Cell<bool> = const { Cell::new(false) };
    /// How many `KernelCell` borrows this thread has outstanding.
    static BORROWS: Cell<usize> = const { Cell::new(0) };
}

// One poisoning policy for every lock of the kernel: a panic while a lock is held
// ends the whole kernel (see kernel/panic.rs), so a poisoned lock is never
// observed by code that would care, and every lock simply ignores poisoning.

fn hold(guard: MutexGuard<'static, ()>) {
    HELD.with(|h| {
        let old = h.borrow_mut().replace(guard);
        assert!(old.is_none(), "kernel lock taken twice by one thread");
    });
    HOLDS.with(|h| h.set(true));
}

fn release() -> MutexGuard<'static, ()> {
    assert_eq!(
        BORROWS.with(Cell::get),
        0,
        "kernel lock released while kernel state is borrowed"
    );
    HOLDS.with(|h| h.set(false));
    HELD.with(|h| h.borrow_mut().take())
        .expect("kernel lock released without being held")
}

/// Takes the kernel lock for this thread.
pub fn enter() {
    hold(KERNEL_LOCK.lock().unwrap_or_else(|e| e.into_inner()));
}

/// Takes the kernel lock for this thread if it can be had within `timeout`;
/// returns false (not holding it) if some thread kept it all that time.
pub fn try_enter_for(timeout: Duration) -> bool {
    let deadline = Instant::now() + timeout;
    loop {
        match KERNEL_LOCK.try_lock() {
            Ok(guard) => {
                hold(guard);
                return true;
            }
            Err(std::sync::TryLockError::Poisoned(e)) => {
                hold(e.into_inner());
                return true;
            }
            Err(std::sync::TryLockError::WouldBlock) => {}
        }
        if Instant::now() >= deadline {
            return false;
        }
        std::thread::sleep(Duration::from_millis(5));
    }
}

/// Releases the kernel lock held by this thread. Panics if the thread still
/// borrows a `KernelCell`.
pub fn leave() {
    drop(release());
}

/// Holding the kernel lock for a scope: released when dropped. Not `Send`: the
/// lock belongs to the thread that took it.
pub struct Entered(std::marker::PhantomData<*const ()>);

/// Takes the kernel lock until the returned guard drops (for code that holds it
/// for a whole scope rather than around a run of guest code).
pub fn entered() -> Entered {
    enter();
    Entered(std::marker::PhantomData)
}

impl Drop for Entered {
    fn drop(&mut self) {
        leave();
    }
}

/// Returns whether this thread holds the kernel lock.
#[inline]
fn held() -> bool {
    HOLDS.with(Cell::get)
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
pub fn sleep(cv: &Condvar, timeout: Option<Duration>) -> bool {
    let guard = release();
    let (guard, woken) = match timeout {
        None => (cv.wait(guard).unwrap_or_else(|e| e.into_inner()), true),
        Some(t) => {
            let (g, r) = cv.wait_timeout(guard, t).unwrap_or_else(|e| e.into_inner());
            (g, !r.timed_out())
        }
    };
    hold(guard);
    woken
}

/// State protected by the kernel lock: a `RefCell` that only a thread holding
/// the lock may borrow. Borrowing it without the lock, borrowing it mutably
/// twice, or releasing the lock while a borrow lives panics (and a panic ends
/// the kernel) instead of racing.
pub struct KernelCell<T: ?Sized> {
    /// Shared borrows outstanding (> 0), a mutable one (-1), or none (0).
    borrow: Cell<isize>,
    value: UnsafeCell<T>,
}

// SAFETY: the cell's flag and value are only touched through `&self` after
// `check_held` has seen that this thread holds the kernel lock, and a thread
// cannot release the lock while it has a borrow outstanding (`release` checks
// BORROWS), so every access of every thread happens inside a holding of the one
// kernel lock: the lock's acquire/release orders them, and no two threads touch
// a cell at once. `T: Send` because a value set by one thread is used and
// dropped by others.
unsafe impl<T: ?Sized + Send> Sync for KernelCell<T> {}

impl<T> KernelCell<T> {
    /// Creates a cell holding `value`.
    pub const fn new(value: T) -> Self {
        KernelCell {
            borrow: Cell::new(0),
            value: UnsafeCell::new(value),
        }
    }

    /// Returns the value, consuming the cell (no lock needed: nobody else has it).
    pub fn into_inner(self) -> T {
        self.value.into_inner()
    }

    /// Replaces the value, returning the old one.
    pub fn replace(&self, value: T) -> T {
        std::mem::replace(&mut *self.borrow_mut(), value)
    }

    /// Takes the value, leaving the default.
    pub fn take(&self) -> T
    where
        T: Default,
    {
        self.replace(T::default())
    }
}

impl<T: Default> Default for KernelCell<T> {
    fn default() -> Self {
        KernelCell::new(T::default())
    }
}

impl<T: ?Sized> KernelCell<T> {
    #[inline]
    fn check_held(&self) {
        assert!(
            held(),
            "a KernelCell<{}> borrowed without the kernel lock",
            std::any::type_name::<T>()
        );
    }

    /// Borrows the value for reading; panics without the kernel lock or if it
    /// is borrowed mutably.
    #[track_caller]
    pub fn borrow(&self) -> KernelRef<'_, T> {
        self.check_held();
        let b = self.borrow.get();
        assert!(
            b >= 0,
            "a KernelCell<{}> borrowed while borrowed mutably",
            std::any::type_name::<T>()
        );
        self.borrow.set(b + 1);
        BORROWS.with(|n| n.set(n.get() + 1));
        // SAFETY: the lock is held (so no other thread is in any cell) and the
        // flag shows no mutable borrow; the reference lives as long as the
        // `KernelRef`, which keeps the flag counted until it is dropped.
        KernelRef {
            cell: self,
            value: unsafe { &*self.value.get() },
        }
    }

    /// Borrows the value for writing; panics without the kernel lock or if it
    /// is borrowed at all.
    #[track_caller]
    pub fn borrow_mut(&self) -> KernelRefMut<'_, T> {
        self.check_held();
        assert!(
            self.borrow.get() == 0,
            "a KernelCell<{}> borrowed twice",
            std::any::type_name::<T>()
        );
        self.borrow.set(-1);
        BORROWS.with(|n| n.set(n.get() + 1));
        // SAFETY: the lock is held (so no other thread is in any cell) and the
        // flag showed no borrow; it stays -1 until the `KernelRefMut` drops, so
        // this reference is the only one.
        KernelRefMut {
            cell: self,
            value: unsafe { &mut *self.value.get() },
        }
    }

    /// Returns the value through a unique reference (no lock needed).
    pub fn get_mut(&mut self) -> &mut T {
        self.value.get_mut()
    }
}

/// A shared borrow of a [`KernelCell`].
pub struct KernelRef<'a, T: ?Sized> {
    cell: &'a KernelCell<T>,
    value: &'a T,
}

/// A mutable borrow of a [`KernelCell`].
pub struct KernelRefMut<'a, T: ?Sized> {
    cell: &'a KernelCell<T>,
    value: &'a mut T,
}

impl<T: ?Sized> Deref for KernelRef<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.value
    }
}

impl<T: ?Sized> Deref for KernelRefMut<'_, T> {
    type Target = T;
    fn deref(&self) -> &T {
        self.value
    }
}

impl<T: ?Sized> DerefMut for KernelRefMut<'_, T> {
    fn deref_mut(&mut self) -> &mut T {
        self.value
    }
}

#[inline]
fn end_borrow() {
    // A borrow dropped during thread teardown may find the counter gone.
    let _ = BORROWS.try_with(|n| n.set(n.get() - 1));
}

impl<T: ?Sized> Drop for KernelRef<'_, T> {
    fn drop(&mut self) {
        self.cell.borrow.set(self.cell.borrow.get() - 1);
        end_borrow();
    }
}

impl<T: ?Sized> Drop for KernelRefMut<'_, T> {
    fn drop(&mut self) {
        self.cell.borrow.set(0);
        end_borrow();
    }
}

impl<T: ?Sized> std::fmt::Debug for KernelCell<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("KernelCell")
    }
}

#[cfg(test)]
mod tests {
    use super::KernelCell;
    use std::time::Duration;

    fn panic_message(p: Box<dyn std::any::Any + Send>) -> String {
        match p.downcast::<String>() {
            Ok(s) => *s,
            Err(p) => p
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .unwrap_or_default(),
        }
    }

    // The kernel lock is one per process, and tests run in parallel threads:
    // each test that takes it holds it only briefly.

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

    #[test]
    fn borrows_under_the_lock() {
        let c = KernelCell::new(1);
        super::enter();
        *c.borrow_mut() += 1;
        let (a, b) = (c.borrow(), c.borrow());
        assert_eq!(*a + *b, 4);
        drop((a, b));
        assert_eq!(c.replace(7), 2);
        super::leave();
        assert_eq!(c.into_inner(), 7);
    }

    #[test]
    #[should_panic(expected = "without the kernel lock")]
    fn a_borrow_without_the_lock_panics() {
        let c = KernelCell::new(0u8);
        let _ = c.borrow();
    }

    #[test]
    fn a_second_mutable_borrow_panics() {
        let c = KernelCell::new(0u8);
        let r = std::thread::spawn(move || {
            super::enter();
            let _a = c.borrow_mut();
            let _b = c.borrow_mut();
        })
        .join();
        // The panicking thread held the lock: the next taker sees it poisoned
        // and ignores that, as the kernel does.
        let msg = panic_message(r.expect_err("the second borrow panics"));
        assert!(msg.contains("borrowed twice"), "{msg}");
        super::enter();
        super::leave();
    }

    #[test]
    fn releasing_the_lock_with_a_borrow_out_panics() {
        let r = std::thread::spawn(|| {
            let c = Box::leak(Box::new(KernelCell::new(0u8)));
            super::enter();
            let g = c.borrow();
            super::leave();
            drop(g);
        })
        .join();
        let msg = panic_message(r.expect_err("leave panics"));
        assert!(msg.contains("while kernel state is borrowed"), "{msg}");
    }
}
