//! Whether a task's kernel thread is working on its guest thread's trap, as
//! the guest thread's handler sees it (`kbusy` in the slot): the handler
//! polls for the answer while the kernel works and sleeps once it blocks
//! (a system call that waits, the kernel lock held by another thread), so
//! that a host CPU is not spent polling for an answer that will be long.

use super::shm::Shm;
use super::KBUSY;
use std::cell::RefCell;
use std::sync::atomic::Ordering;
use std::sync::Arc;

thread_local! {
    /// The slot whose trap this thread works on, while its handler polls.
    static WORKING: RefCell<Option<(Arc<Shm>, u64)>> = const { RefCell::new(None) };
}

/// This thread works on the trap of the guest thread of `slot`, whose
/// handler polls (`kbusy` set when the thread was resumed).
pub(super) fn working_on(shm: &Arc<Shm>, slot: u64) {
    WORKING.with(|w| *w.borrow_mut() = Some((shm.clone(), slot)));
}

/// This thread is about to answer (or let go of) the trap it worked on.
pub(super) fn done() {
    WORKING.with(|w| w.borrow_mut().take());
}

/// This thread is about to block: its guest thread's handler stops polling
/// and sleeps until the answer wakes it.
pub fn blocks() {
    // try_with: the hook may run while the thread's locals are torn down.
    let _ = WORKING.try_with(|w| {
        if let Some((shm, slot)) = w.borrow_mut().take() {
            shm.word(slot + KBUSY).store(0, Ordering::Release);
        }
    });
}
