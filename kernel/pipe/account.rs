//! What each user's pipes may hold (Linux's `account_pipe_buffers` in
//! fs/pipe.c): every pipe charges its capacity in pages to the real user
//! who made it. Past /proc/sys/fs/pipe-user-pages-soft, an unprivileged
//! user's new pipes get 2 pages and may not grow; past
//! pipe-user-pages-hard (0: no limit), no new pipe. Privilege is
//! CAP_SYS_RESOURCE or CAP_SYS_ADMIN: an effective uid of 0 here.

use arch::sync::KernelCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// /proc/sys/fs/pipe-user-pages-soft: 16384 pages (64 MiB), as Linux.
pub static PIPE_USER_PAGES_SOFT: AtomicU64 = AtomicU64::new(16384);
/// /proc/sys/fs/pipe-user-pages-hard: 0, no limit, as Linux.
pub static PIPE_USER_PAGES_HARD: AtomicU64 = AtomicU64::new(0);
/// The pages a user over the soft limit gets (Linux's PIPE_MIN_DEF_BUFFERS).
pub const PIPE_MIN_DEF_BUFFERS: usize = 2;

/// The pages charged to each user.
static USER_PAGES: KernelCell<BTreeMap<u32, u64>> = KernelCell::new(BTreeMap::new());

/// Returns the real uid of the caller and whether it is unprivileged.
pub fn current_user() -> (u32, bool) {
    match crate::task::current() {
        Some(t) => {
            let c = t.process.cred.borrow();
            use arch::abi::capability::{CAP_SYS_ADMIN, CAP_SYS_RESOURCE};
            (
                c.uid,
                !c.capable(CAP_SYS_RESOURCE) && !c.capable(CAP_SYS_ADMIN),
            )
        }
        None => (0, false),
    }
}

/// Changes `user`'s charge from `old` to `new` pages; returns the new total.
pub fn account_pipe_buffers(user: u32, old: usize, new: usize) -> u64 {
    let mut users = USER_PAGES.borrow_mut();
    let total = users.entry(user).or_default();
    *total = total.saturating_sub(old as u64) + new as u64;
    let now = *total;
    if now == 0 {
        users.remove(&user);
    }
    now
}

/// Returns whether `pages` is over the soft limit.
pub fn too_many_pipe_buffers_soft(pages: u64) -> bool {
    let limit = PIPE_USER_PAGES_SOFT.load(Ordering::Relaxed);
    limit != 0 && pages > limit
}

/// Returns whether `pages` is over the hard limit.
pub fn too_many_pipe_buffers_hard(pages: u64) -> bool {
    let limit = PIPE_USER_PAGES_HARD.load(Ordering::Relaxed);
    limit != 0 && pages > limit
}
