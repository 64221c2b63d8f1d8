//! `current`: the task whose kernel thread is running. Every guest task has
//! its own host thread (its kernel stack), so the task is a property of the
//! host thread: set once when the thread starts, read by code that is not
//! handed a `TrapContext` — procfs resolving /proc/self inside an `Inode`
//! method, which the fs crate calls without knowing tasks.

use super::Task;
use std::cell::RefCell;
use std::sync::{Arc, Weak};

thread_local! {
    static CURRENT: RefCell<Weak<Task>> = const { RefCell::new(Weak::new()) };
}

/// Makes `task` the current task of this host thread.
pub fn set_current(task: &Arc<Task>) {
    CURRENT.with(|c| *c.borrow_mut() = Arc::downgrade(task));
}

/// Returns the task this host thread runs, or None on threads that run no
/// task (the timer and interrupt threads, boot).
pub fn current() -> Option<Arc<Task>> {
    CURRENT.with(|c| c.borrow().upgrade())
}
