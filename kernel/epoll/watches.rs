//! How many entries each user's epoll instances may hold (Linux's
//! /proc/sys/fs/epoll/max_user_watches): 4% of RAM divided by what an entry
//! costs Linux (`EP_ITEM_COST`, an `epitem` and an `eppoll_entry`: 184 bytes
//! by what a Linux 6.x x86_64 host shows), so that epoll entries, which live in kernel memory,
//! cannot outgrow `mem=`. Past it, EPOLL_CTL_ADD fails with `ENOSPC`.

use arch::sync::KernelCell;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};

/// What one entry costs Linux, in bytes.
const EP_ITEM_COST: u64 = 184;

/// /proc/sys/fs/epoll/max_user_watches (no limit until boot sets it).
pub static MAX_USER_WATCHES: AtomicU64 = AtomicU64::new(u64::MAX);

/// The entries of each user.
static WATCHES: KernelCell<BTreeMap<u32, u64>> = KernelCell::new(BTreeMap::new());

/// Sets the limit for `ram` bytes of RAM, as Linux's eventpoll_init.
pub fn init(ram: u64) {
    MAX_USER_WATCHES.store(ram / 25 / EP_ITEM_COST, Ordering::Relaxed);
}

/// Charges an entry to `user`; false (nothing charged) at the limit.
pub fn charge(user: u32) -> bool {
    let max = MAX_USER_WATCHES.load(Ordering::Relaxed);
    let mut users = WATCHES.borrow_mut();
    let n = users.entry(user).or_default();
    if *n >= max {
        return false;
    }
    *n += 1;
    true
}

/// Gives back an entry of `user`.
pub fn uncharge(user: u32) {
    let mut users = WATCHES.borrow_mut();
    if let Some(n) = users.get_mut(&user) {
        *n = n.saturating_sub(1);
        if *n == 0 {
            users.remove(&user);
        }
    }
}
