//! The lock table of `fs::locks` on tmpfs inodes: flock conflicts and
//! conversion, record locks of two owners, release on close, and the
//! deadlock check that follows registered waiters.

use fs::locks::{self, LockError, LockKey, LockKind, LockOwner, RecordLock};
use fs::tmpfs::{Options, Tmpfs};
use fs::{FileSystem, HostClock, Owner};
use std::sync::Arc;

/// Returns the key of a new file on its own tmpfs (device `dev`, so tests
/// running at once never share an inode).
fn key(dev: u64) -> LockKey {
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
    LockKey::of(f.as_ref()).expect("key")
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
    let k = key(101);
    assert!(locks::flock(k, 1, Some(false)));
    assert!(locks::flock(k, 2, Some(false)), "shared locks coexist");
    assert!(!locks::flock(k, 3, Some(true)));
    assert!(
        !locks::flock(k, 1, Some(true)),
        "conversion fails while 2 shares"
    );
    assert!(locks::flock(k, 2, None));
    assert!(
        locks::flock(k, 3, Some(true)),
        "1's lock went with the failed conversion"
    );
    assert!(!locks::flock(k, 1, Some(false)));
    assert!(locks::flock(k, 3, None));
}

#[test]
fn records_conflict_between_owners_only() {
    let k = key(102);
    let (a, b) = (LockOwner::Files(1001), LockOwner::File(1002));
    let w = lock(LockKind::Write, 0, 9, a);
    assert_eq!(locks::set_record(k, &w, false), Ok(()));
    assert_eq!(
        locks::set_record(k, &lock(LockKind::Read, 5, 5, a), false),
        Ok(())
    );
    // a now holds W 0..=4, R 5, W 6..=9: a read of 5 alone is no conflict.
    assert_eq!(locks::test_record(k, &lock(LockKind::Read, 5, 5, b)), None);
    let r = lock(LockKind::Read, 4, 6, b);
    assert_eq!(
        locks::test_record(k, &r).map(|l| (l.kind, l.start, l.end)),
        Some((LockKind::Write, 0, 4))
    );
    assert!(matches!(
        locks::set_record(k, &r, false),
        Err(LockError::Conflict(_))
    ));
    assert_eq!(
        locks::set_record(k, &lock(LockKind::Unlock, 0, 9, a), false),
        Ok(())
    );
    assert_eq!(locks::set_record(k, &r, false), Ok(()));
}

#[test]
fn a_cycle_of_waiters_is_a_deadlock() {
    let (k1, k2) = (key(103), key(104));
    let (a, b) = (LockOwner::Files(2001), LockOwner::Files(2002));
    assert_eq!(
        locks::set_record(k1, &lock(LockKind::Write, 0, 0, a), false),
        Ok(())
    );
    assert_eq!(
        locks::set_record(k2, &lock(LockKind::Write, 0, 0, b), false),
        Ok(())
    );
    // b waits for a's lock on k1.
    let want = lock(LockKind::Write, 0, 0, b);
    assert!(matches!(
        locks::set_record(k1, &want, true),
        Err(LockError::Conflict(_))
    ));
    locks::set_blocked(b, Some((k1, want)));
    // a asking for b's lock would wait for itself.
    let ask = lock(LockKind::Write, 0, 0, a);
    assert_eq!(locks::set_record(k2, &ask, true), Err(LockError::Deadlock));
    assert!(matches!(
        locks::set_record(k2, &ask, false),
        Err(LockError::Conflict(_))
    ));
    locks::set_blocked(b, None);
    assert!(matches!(
        locks::set_record(k2, &ask, true),
        Err(LockError::Conflict(_))
    ));
}

/// Returns a frame allocator over 64 MiB of RAM for the test's tmpfs.
fn test_frames() -> std::sync::Arc<mm::FrameAllocator> {
    let ram = arch::PhysMem::new(64 << 20).expect("guest RAM");
    mm::FrameAllocator::new(std::sync::Arc::new(ram), 0)
}
