//! Open files in flight: the SCM_RIGHTS files of queued messages, counted
//! per user so that no user can pile up files beyond its limits by passing
//! them around and never receiving them. As Linux's `unix_attach_fds` and
//! `too_many_unix_fds` (net/unix/af_unix.c) with `unix_inflight` and
//! `unix_notinflight` (net/unix/garbage.c): a message may carry files only
//! while its sender's real user has at most RLIMIT_NOFILE files in flight,
//! unless privileged (CAP_SYS_RESOURCE or CAP_SYS_ADMIN: an effective uid
//! of 0 here); else ETOOMANYREFS. Files count against the user who sent
//! them until they are received or the message is dropped.

use arch::abi::resource::RLIMIT_NOFILE;
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::File;
use std::collections::BTreeMap;
use std::sync::Arc;

/// The files each user has in flight (Linux's `user->unix_inflight`).
static USER_INFLIGHT: KernelCell<BTreeMap<u32, usize>> = KernelCell::new(BTreeMap::new());

/// Changes `user`'s count by `add` files and `sub` files.
fn account(user: u32, add: usize, sub: usize) {
    let mut users = USER_INFLIGHT.borrow_mut();
    let n = users.entry(user).or_default();
    *n = (*n + add).saturating_sub(sub);
    if *n == 0 {
        users.remove(&user);
    }
}

/// Returns the files `user` has in flight.
pub(super) fn inflight(user: u32) -> usize {
    USER_INFLIGHT.borrow().get(&user).copied().unwrap_or(0)
}

/// The files a message carries, counted as in flight for their sender.
#[derive(Default)]
pub(super) struct InFlight {
    user: u32,
    files: Vec<Arc<File>>,
}

impl InFlight {
    /// Takes `files` from the running task's message: ETOOMANYREFS (and
    /// `files` left as they are) if its user has too many in flight.
    pub(super) fn attach(files: &mut Vec<Arc<File>>) -> Result<InFlight> {
        if files.is_empty() {
            return Ok(InFlight::default());
        }
        let (user, limit) = match crate::task::current() {
            Some(t) => {
                let (uid, privileged) = {
                    use arch::abi::capability::{CAP_SYS_ADMIN, CAP_SYS_RESOURCE};
                    let c = t.process.cred.borrow();
                    (
                        c.uid,
                        c.capable(CAP_SYS_RESOURCE) || c.capable(CAP_SYS_ADMIN),
                    )
                };
                let nofile = t.process.rlimit(RLIMIT_NOFILE);
                let limit = (!privileged).then(|| usize::try_from(nofile).unwrap_or(usize::MAX));
                (uid, limit)
            }
            None => (0, None),
        };
        if limit.is_some_and(|l| inflight(user) > l) {
            return Err(Errno::ETOOMANYREFS);
        }
        account(user, files.len(), 0);
        Ok(InFlight {
            user,
            files: std::mem::take(files),
        })
    }

    /// Takes the files out (received): they are no longer in flight.
    pub(super) fn take(&mut self) -> Vec<Arc<File>> {
        let files = std::mem::take(&mut self.files);
        account(self.user, 0, files.len());
        files
    }
}

impl std::ops::Deref for InFlight {
    type Target = [Arc<File>];

    fn deref(&self) -> &[Arc<File>] {
        &self.files
    }
}

impl Drop for InFlight {
    fn drop(&mut self) {
        if !self.files.is_empty() {
            account(self.user, 0, self.files.len());
        }
    }
}
