//! What each user may have queued (RLIMIT_SIGPENDING, getrlimit(2)), as
//! Linux's `__sigqueue_alloc` in kernel/signal.c with the counts of
//! kernel/ucount.c: every queued siginfo and every POSIX timer (which holds
//! one ready for its expiries) counts for the real user of the process it
//! is queued to, while it is pending. Past the receiving process's
//! RLIMIT_SIGPENDING nothing is queued, unless the sender may not fail (a
//! standard signal from kill(2) or the kernel); what happens to the signal
//! then is `send`'s business. The count goes back when the siginfo is
//! taken or discarded, or the timer deleted (`SigqueueCharge` is dropped).
//! Each is also charged against guest RAM (`crate::kmem`), as Linux's
//! sigqueue slab: when that fails, it is the same as being over the limit.

use super::SigInfo;
use crate::kmem::{self, KmemCharge};
use crate::task::Process;
use arch::abi::resource::RLIMIT_SIGPENDING;
use arch::sync::KernelCell;
use std::collections::BTreeMap;

/// What a queued siginfo takes (Linux's `struct sigqueue`: the siginfo,
/// list links, flags, the owner's counts).
const SIGQUEUE_SIZE: usize = std::mem::size_of::<SigInfo>() + 32;

/// The siginfos queued for each user (Linux's UCOUNT_RLIMIT_SIGPENDING).
static USER_SIGPENDING: KernelCell<BTreeMap<u32, u64>> = KernelCell::new(BTreeMap::new());

/// One queued siginfo's (or timer's) place in its user's count.
#[derive(Debug)]
pub struct SigqueueCharge {
    user: u32,
    _memory: KmemCharge,
}

impl Drop for SigqueueCharge {
    fn drop(&mut self) {
        let mut users = USER_SIGPENDING.borrow_mut();
        if let Some(n) = users.get_mut(&self.user) {
            *n -= 1;
            if *n == 0 {
                users.remove(&self.user);
            }
        }
    }
}

/// Counts one more siginfo for the real user of `p`: `None` if that goes
/// past `p`'s RLIMIT_SIGPENDING and `override_rlimit` is not set, or if
/// guest RAM has no room for it.
pub fn sigqueue_alloc(p: &Process, override_rlimit: bool) -> Option<SigqueueCharge> {
    let memory = kmem::charge(SIGQUEUE_SIZE).ok()?;
    let user = p.cred.borrow().uid;
    let limit = p.rlimit(RLIMIT_SIGPENDING);
    let mut users = USER_SIGPENDING.borrow_mut();
    let n = users.entry(user).or_default();
    if !override_rlimit && *n + 1 > limit {
        if *n == 0 {
            users.remove(&user);
        }
        return None;
    }
    *n += 1;
    Some(SigqueueCharge {
        user,
        _memory: memory,
    })
}
