//! File locks (Linux's fs/locks.c): flock(2) locks, owned by an open file
//! description; POSIX record locks (fcntl F_SETLK), owned by a process — its
//! file descriptor table, as Linux's `fl_owner` — and dropped when it closes
//! any descriptor of the file; open file description locks (F_OFD_SETLK),
//! record locks owned by an open file description. flock locks and record
//! locks do not see each other, as on Linux.
//!
//! Locks live in one table keyed by the inode's identity (device, inode
//! number). Taking a lock never sleeps here: a conflict is returned and the
//! kernel sleeps on the inode's wait queue, which is woken whenever a lock
//! there goes or shrinks. POSIX waiters are registered, so that a request
//! that would wait for its own owner through a chain of waiters fails with
//! `EDEADLK` instead (Linux's posix_locks_deadlock()).

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

/// The identity of an inode for locking: its device and inode number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct LockKey {
    dev: u64,
    ino: u64,
}

impl LockKey {
    /// Returns the key of `inode`.
    pub fn of(inode: &dyn Inode) -> Result<LockKey> {
        let st = inode.stat()?;
        Ok(LockKey {
            dev: st.dev,
            ino: st.ino,
        })
    }
}

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
struct InodeLocks {
    /// flock locks: (open file, exclusive).
    flocks: Vec<(u64, bool)>,
    records: Vec<RecordLock>,
    queue: Arc<WaitQueue>,
}

impl InodeLocks {
    fn is_unused(&self) -> bool {
        self.flocks.is_empty() && self.records.is_empty() && self.queue.is_empty()
    }
}

#[derive(Default)]
struct Table {
    inodes: BTreeMap<LockKey, InodeLocks>,
    /// What each waiting POSIX owner waits for.
    blocked: BTreeMap<LockOwner, (LockKey, RecordLock)>,
}

static TABLE: Mutex<Table> = Mutex::new(Table {
    inodes: BTreeMap::new(),
    blocked: BTreeMap::new(),
});

fn table() -> MutexGuard<'static, Table> {
    TABLE.lock()
}

impl Table {
    /// Runs `f` on the locks of `key` (created if missing), then forgets them
    /// if nothing is left; wakes the waiters if `f` returns true.
    fn with<R>(&mut self, key: LockKey, f: impl FnOnce(&mut InodeLocks) -> (R, bool)) -> R {
        let locks = self.inodes.entry(key).or_default();
        let (r, changed) = f(locks);
        if changed {
            locks.queue.wake_all();
        }
        if locks.is_unused() {
            self.inodes.remove(&key);
        }
        r
    }

    /// Returns whether `me` waiting for `conflict` would close a cycle of
    /// POSIX owners waiting for each other.
    fn would_deadlock(&self, me: LockOwner, conflict: &RecordLock) -> bool {
        let mut holder = conflict.owner;
        for _ in 0..MAX_DEADLK_ITERATIONS {
            let Some((key, want)) = self.blocked.get(&holder) else {
                return false;
            };
            let next = self
                .inodes
                .get(key)
                .and_then(|i| i.records.iter().find(|l| l.conflicts(want)));
            match next {
                Some(l) if l.owner == me => return true,
                Some(l) => holder = l.owner,
                None => return false,
            }
        }
        false
    }
}

/// Returns the queue woken when the locks of `key` may have become free.
pub fn wait_queue(key: LockKey) -> Arc<WaitQueue> {
    let mut t = table();
    t.inodes.retain(|_, l| !l.is_unused());
    t.inodes.entry(key).or_default().queue.clone()
}

/// flock(2) for the open file `file`: `Some(exclusive)` takes a lock,
/// replacing one it held (which is dropped first, even if the new one cannot
/// be had), `None` drops it. Returns false on a conflict.
pub fn flock(key: LockKey, file: u64, want: Option<bool>) -> bool {
    table().with(key, |l| {
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
pub fn test_record(key: LockKey, req: &RecordLock) -> Option<RecordLock> {
    let t = table();
    let locks = t.inodes.get(&key)?;
    locks.records.iter().find(|l| l.conflicts(req)).copied()
}

/// F_SETLK: applies `req` unless another owner's lock is in the way; with
/// `waiting`, a POSIX request that would deadlock fails as such.
pub fn set_record(key: LockKey, req: &RecordLock, waiting: bool) -> Result<(), LockError> {
    let mut t = table();
    let conflict = match t.inodes.get(&key) {
        Some(l) if req.kind != LockKind::Unlock => l.records.iter().find(|l| l.conflicts(req)),
        _ => None,
    };
    if let Some(c) = conflict.copied() {
        let posix = matches!(req.owner, LockOwner::Files(_));
        if waiting && posix && t.would_deadlock(req.owner, &c) {
            return Err(LockError::Deadlock);
        }
        return Err(LockError::Conflict(c));
    }
    t.with(key, |l| {
        record::apply(&mut l.records, req);
        ((), true)
    });
    Ok(())
}

/// Records that the POSIX owner of `req` waits for it (`Some`) or no longer
/// does (`None`), for the deadlock check.
pub fn set_blocked(owner: LockOwner, waits_for: Option<(LockKey, RecordLock)>) {
    let mut t = table();
    match waits_for {
        Some(w) => t.blocked.insert(owner, w),
        None => t.blocked.remove(&owner),
    };
}

/// Drops the POSIX locks `owner` holds on `inode`, as closing any descriptor
/// of the file does.
pub(crate) fn close_posix(inode: &dyn Inode, owner: u64) {
    let owner = LockOwner::Files(owner);
    let holds = |t: &Table| {
        t.inodes
            .values()
            .any(|l| l.records.iter().any(|r| r.owner == owner))
    };
    if !holds(&table()) {
        return;
    }
    let Ok(key) = LockKey::of(inode) else {
        return;
    };
    table().with(key, |l| {
        let before = l.records.len();
        l.records.retain(|r| r.owner != owner);
        ((), l.records.len() != before)
    });
}

/// Drops the flock and open file description locks of the open file `file`,
/// as its last close does.
pub(crate) fn release_file(key: LockKey, file: u64) {
    table().with(key, |l| {
        let before = (l.flocks.len(), l.records.len());
        l.flocks.retain(|&(f, _)| f != file);
        l.records.retain(|r| r.owner != LockOwner::File(file));
        ((), (l.flocks.len(), l.records.len()) != before)
    });
}
