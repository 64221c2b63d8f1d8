//! File locks (Linux's fs/locks.c): flock(2) locks, owned by an open file
//! description; POSIX record locks (fcntl F_SETLK), owned by a process — its
//! file descriptor table, as Linux's `fl_owner` — and dropped when it closes
//! any descriptor of the file; open file description locks (F_OFD_SETLK),
//! record locks owned by an open file description. flock locks and record
//! locks do not see each other, as on Linux.
//!
//! The locks of an inode hang off it (`FileLockContext`, Linux's
//! `i_flctx`, made at the first lock), found through the inode an open file
//! holds. Taking a lock never sleeps here: a conflict is returned and the
//! kernel sleeps on the context's wait queue, which is woken whenever a lock
//! there goes or shrinks. POSIX waiters are registered in one table of
//! blocked owners (Linux's `blocked_hash`), so that a request that would wait
//! for its own owner through a chain of waiters fails with `EDEADLK` instead
//! (Linux's posix_locks_deadlock()).

mod record;

pub use record::{LockKind, LockOwner, RecordLock};

use crate::inode::Inode;
use crate::wait_queue::WaitQueue;
use arch::sync::{Mutex, MutexGuard};
use arch::Result;
use std::collections::BTreeMap;
use std::sync::Arc;

/// How far the deadlock check follows waiters (Linux's MAX_DEADLK_ITERATIONS).
const MAX_DEADLK_ITERATIONS: usize = 10;

/// Why a record lock was not set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockError {
    /// This lock of another owner is in the way.
    Conflict(RecordLock),
    /// Waiting would wait for the requester itself (`EDEADLK`).
    Deadlock,
}

/// The locks of one inode.
#[derive(Default)]
struct Held {
    /// flock locks: (open file, exclusive).
    flocks: Vec<(u64, bool)>,
    records: Vec<RecordLock>,
}

/// The locks of one inode and the queue of those waiting for them.
#[derive(Default)]
pub struct FileLockContext {
    held: Mutex<Held>,
    queue: WaitQueue,
}

/// What each waiting POSIX owner waits for.
type Blocked = BTreeMap<LockOwner, (Arc<FileLockContext>, RecordLock)>;

static BLOCKED: Mutex<Blocked> = Mutex::new(BTreeMap::new());

fn blocked() -> MutexGuard<'static, Blocked> {
    // Each change is one map operation: a poisoned lock is still consistent.
    BLOCKED.lock()
}

/// Returns whether `me` waiting for `conflict` would close a cycle of POSIX
/// owners waiting for each other.
fn would_deadlock(me: LockOwner, conflict: &RecordLock) -> bool {
    let blocked = blocked();
    let mut holder = conflict.owner;
    for _ in 0..MAX_DEADLK_ITERATIONS {
        let Some((ctx, want)) = blocked.get(&holder) else {
            return false;
        };
        let next = ctx
            .held
            .lock()
            .records
            .iter()
            .find(|l| l.conflicts(want))
            .copied();
        match next {
            Some(l) if l.owner == me => return true,
            Some(l) => holder = l.owner,
            None => return false,
        }
    }
    false
}

impl FileLockContext {
    /// Runs `f` on the locks; wakes the waiters if it returns true.
    fn with<R>(&self, f: impl FnOnce(&mut Held) -> (R, bool)) -> R {
        let (r, changed) = f(&mut self.held.lock());
        if changed {
            self.queue.wake_all();
        }
        r
    }

    /// Returns the queue woken when the locks may have become free.
    pub fn wait_queue(&self) -> &WaitQueue {
        &self.queue
    }

    /// flock(2) for the open file `file`: `Some(exclusive)` takes a lock,
    /// replacing one it held (which is dropped first, even if the new one
    /// cannot be had), `None` drops it. Returns false on a conflict.
    pub fn flock(&self, file: u64, want: Option<bool>) -> bool {
        self.with(|l| {
            let held = l.flocks.iter().position(|&(f, _)| f == file);
            if let (Some(i), Some(ex)) = (held, want) {
                if l.flocks[i].1 == ex {
                    return (true, false);
                }
            }
            let dropped = held.map(|i| l.flocks.remove(i)).is_some();
            let Some(ex) = want else {
                return (true, dropped);
            };
            if l.flocks.iter().any(|&(_, other)| ex || other) {
                return (false, dropped);
            }
            l.flocks.push((file, ex));
            (true, dropped)
        })
    }

    /// F_GETLK: returns a lock that conflicts with `req`, if any.
    pub fn test_record(&self, req: &RecordLock) -> Option<RecordLock> {
        let held = self.held.lock();
        held.records.iter().find(|l| l.conflicts(req)).copied()
    }

    /// F_SETLK: applies `req` unless another owner's lock is in the way;
    /// with `waiting`, a POSIX request that would deadlock fails as such.
    pub fn set_record(&self, req: &RecordLock, waiting: bool) -> Result<(), LockError> {
        let conflict = {
            let mut held = self.held.lock();
            let conflict = match req.kind {
                LockKind::Unlock => None,
                _ => held.records.iter().find(|l| l.conflicts(req)).copied(),
            };
            if conflict.is_none() {
                record::apply(&mut held.records, req);
            }
            conflict
        };
        let Some(c) = conflict else {
            self.queue.wake_all();
            return Ok(());
        };
        let posix = matches!(req.owner, LockOwner::Files(_));
        if waiting && posix && would_deadlock(req.owner, &c) {
            return Err(LockError::Deadlock);
        }
        Err(LockError::Conflict(c))
    }

    /// Drops the POSIX locks `owner` holds, as closing any descriptor of the
    /// file does.
    fn close_posix(&self, owner: LockOwner) {
        self.with(|l| {
            let before = l.records.len();
            l.records.retain(|r| r.owner != owner);
            ((), l.records.len() != before)
        });
    }

    /// Drops the flock and open file description locks of the open file
    /// `file`, as its last close does.
    pub(crate) fn release_file(&self, file: u64) {
        self.with(|l| {
            let before = (l.flocks.len(), l.records.len());
            l.flocks.retain(|&(f, _)| f != file);
            l.records.retain(|r| r.owner != LockOwner::File(file));
            ((), (l.flocks.len(), l.records.len()) != before)
        });
    }
}

/// Records that the POSIX owner of `req` waits for it on the locks `ctx`
/// (`Some`) or no longer does (`None`), for the deadlock check.
pub fn set_blocked(owner: LockOwner, waits_for: Option<(Arc<FileLockContext>, RecordLock)>) {
    let mut t = blocked();
    match waits_for {
        Some(w) => t.insert(owner, w),
        None => t.remove(&owner),
    };
}

/// Drops the POSIX locks `owner` holds on `inode`, as closing any descriptor
/// of the file does.
pub(crate) fn close_posix(inode: &dyn Inode, owner: u64) {
    if let Some(ctx) = inode.inode_state().file_locks_if_any() {
        ctx.close_posix(LockOwner::Files(owner));
    }
}
