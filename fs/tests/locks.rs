//! The locks of `fs::locks` on tmpfs inodes: flock conflicts and
//! conversion, record locks of two owners, release on close, and the
//! deadlock check that follows registered waiters.

use fs::locks::{self, FileLockContext, LockError, LockKind, LockOwner, RecordLock};
use fs::tmpfs::{Options, Tmpfs};
use fs::{FileSystem, HostClock, Owner};
use std::sync::Arc;

/// Returns the locks of a new file on its own tmpfs (device `dev`).
fn new_file_locks(dev: u64) -> Arc<FileLockContext> {
    let opts = Options {
        dev,
        size: 1 << 20,
        nr_inodes: 10,
        mode: 0o755,
    };
    let t = Tmpfs::new(opts, Arc::new(HostClock), test_frames()).expect("tmpfs");
    let f = t
        .root()
        .expect("root")
        .create(b"f", 0o644, Owner::ROOT)
        .expect("create");
    f.inode_state().file_locks().clone()
}

fn lock(kind: LockKind, start: u64, end: u64, owner: LockOwner) -> RecordLock {
    RecordLock {
        kind,
        start,
        end,
        owner,
        pid: 1,
    }
}

#[test]
fn flock_shared_exclusive_and_conversion() {
    let k = new_file_locks(101);
    assert!(k.flock(1, Some(false)));
    assert!(k.flock(2, Some(false)), "shared locks coexist");
    assert!(!k.flock(3, Some(true)));
    assert!(!k.flock(1, Some(true)), "conversion fails while 2 shares");
    assert!(k.flock(2, None));
    assert!(
        k.flock(3, Some(true)),
        "1's lock went with the failed conversion"
    );
    assert!(!k.flock(1, Some(false)));
    assert!(k.flock(3, None));
}

#[test]
fn records_conflict_between_owners_only() {
    let k = new_file_locks(102);
    let (a, b) = (LockOwner::Files(1001), LockOwner::File(1002));
    let w = lock(LockKind::Write, 0, 9, a);
    assert_eq!(k.set_record(&w, false), Ok(()));
    assert_eq!(k.set_record(&lock(LockKind::Read, 5, 5, a), false), Ok(()));
    // a now holds W 0..=4, R 5, W 6..=9: a read of 5 alone is no conflict.
    assert_eq!(k.test_record(&lock(LockKind::Read, 5, 5, b)), None);
    let r = lock(LockKind::Read, 4, 6, b);
    assert_eq!(
        k.test_record(&r).map(|l| (l.kind, l.start, l.end)),
        Some((LockKind::Write, 0, 4))
    );
    assert!(matches!(
        k.set_record(&r, false),
        Err(LockError::Conflict(_))
    ));
    assert_eq!(
        k.set_record(&lock(LockKind::Unlock, 0, 9, a), false),
        Ok(())
    );
    assert_eq!(k.set_record(&r, false), Ok(()));
}

#[test]
fn a_cycle_of_waiters_is_a_deadlock() {
    let (k1, k2) = (new_file_locks(103), new_file_locks(104));
    let (a, b) = (LockOwner::Files(2001), LockOwner::Files(2002));
    assert_eq!(
        k1.set_record(&lock(LockKind::Write, 0, 0, a), false),
        Ok(())
    );
    assert_eq!(
        k2.set_record(&lock(LockKind::Write, 0, 0, b), false),
        Ok(())
    );
    // b waits for a's lock on k1.
    let want = lock(LockKind::Write, 0, 0, b);
    assert!(matches!(
        k1.set_record(&want, true),
        Err(LockError::Conflict(_))
    ));
    locks::set_blocked(b, Some((k1.clone(), want)));
    // a asking for b's lock would wait for itself.
    let ask = lock(LockKind::Write, 0, 0, a);
    assert_eq!(k2.set_record(&ask, true), Err(LockError::Deadlock));
    assert!(matches!(
        k2.set_record(&ask, false),
        Err(LockError::Conflict(_))
    ));
    locks::set_blocked(b, None);
    assert!(matches!(
        k2.set_record(&ask, true),
        Err(LockError::Conflict(_))
    ));
}

/// Returns a frame allocator over 64 MiB of RAM for the test's tmpfs.
fn test_frames() -> std::sync::Arc<mm::FrameAllocator> {
    let ram = arch::PhysMem::new(64 << 20).expect("guest RAM");
    mm::FrameAllocator::new(std::sync::Arc::new(ram), 0)
}
