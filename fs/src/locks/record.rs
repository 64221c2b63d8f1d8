//! Byte-range locks as one owner's list sees them (Linux's posix_lock_inode):
//! two locks conflict when their owners differ, their ranges overlap and one
//! of them is a write lock; setting a lock replaces what the owner held in its
//! range — splitting a lock it cuts through, merging with adjacent or
//! overlapping locks of the same kind — so an owner's locks never overlap.

/// The kind of a record lock (`F_RDLCK`, `F_WRLCK`, `F_UNLCK`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LockKind {
    Read,
    Write,
    /// A request that removes locks.
    Unlock,
}

/// Who holds a record lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum LockOwner {
    /// A POSIX lock: the process, as its file descriptor table
    /// (`FdTable::owner`, Linux's `fl_owner`).
    Files(u64),
    /// An open file description lock: the open file (`File::id`).
    File(u64),
}

/// One record lock or request: bytes `start..=end` (`end` is `OFFSET_MAX`,
/// `i64::MAX`, for "to the end of the file and beyond").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RecordLock {
    pub kind: LockKind,
    pub start: u64,
    pub end: u64,
    pub owner: LockOwner,
    /// The process F_GETLK reports (-1 for open file description locks).
    pub pid: i32,
}

impl RecordLock {
    /// Returns whether `self` and `other` cannot both be held.
    pub fn conflicts(&self, other: &RecordLock) -> bool {
        self.owner != other.owner
            && self.start <= other.end
            && other.start <= self.end
            && (self.kind == LockKind::Write || other.kind == LockKind::Write)
    }
}

/// Applies `req` to `locks` (conflicts already checked): the owner's locks in
/// its range give way, and unless it is an unlock it is added, merged with the
/// owner's adjacent locks of the same kind.
pub(super) fn apply(locks: &mut Vec<RecordLock>, req: &RecordLock) {
    let mut kept = Vec::with_capacity(locks.len() + 2);
    let (mut start, mut end) = (req.start, req.end);
    for l in locks.drain(..) {
        if l.owner != req.owner {
            kept.push(l);
            continue;
        }
        let touches = l.end.saturating_add(1) >= req.start && l.start <= req.end.saturating_add(1);
        if req.kind != LockKind::Unlock && l.kind == req.kind && touches {
            start = start.min(l.start);
            end = end.max(l.end);
            continue;
        }
        if l.end < req.start || l.start > req.end {
            kept.push(l);
            continue;
        }
        if l.start < req.start {
            kept.push(RecordLock {
                end: req.start - 1,
                ..l
            });
        }
        if l.end > req.end {
            kept.push(RecordLock {
                start: req.end + 1,
                ..l
            });
        }
    }
    if req.kind != LockKind::Unlock {
        kept.push(RecordLock { start, end, ..*req });
    }
    kept.sort_by_key(|l| (l.start, l.owner));
    *locks = kept;
}

#[cfg(test)]
mod tests {
    use super::*;

    const A: LockOwner = LockOwner::Files(1);
    const B: LockOwner = LockOwner::Files(2);

    fn lock(kind: LockKind, start: u64, end: u64, owner: LockOwner) -> RecordLock {
        RecordLock {
            kind,
            start,
            end,
            owner,
            pid: 7,
        }
    }

    fn ranges(locks: &[RecordLock]) -> Vec<(LockKind, u64, u64)> {
        locks.iter().map(|l| (l.kind, l.start, l.end)).collect()
    }

    #[test]
    fn merges_and_splits() {
        use LockKind::*;
        let mut v = Vec::new();
        apply(&mut v, &lock(Write, 0, 9, A));
        apply(&mut v, &lock(Write, 10, 19, A));
        assert_eq!(ranges(&v), [(Write, 0, 19)], "adjacent locks merge");
        apply(&mut v, &lock(Unlock, 5, 14, A));
        assert_eq!(
            ranges(&v),
            [(Write, 0, 4), (Write, 15, 19)],
            "an unlock splits"
        );
        apply(&mut v, &lock(Read, 3, 16, A));
        assert_eq!(ranges(&v), [(Write, 0, 2), (Read, 3, 16), (Write, 17, 19)]);
        apply(&mut v, &lock(Write, 3, 16, A));
        assert_eq!(ranges(&v), [(Write, 0, 19)], "same kind again: one lock");
        apply(&mut v, &lock(Read, 30, u64::MAX >> 1, B));
        assert_eq!(v.len(), 2, "others' locks stay");
        apply(&mut v, &lock(Unlock, 0, u64::MAX >> 1, A));
        assert_eq!(ranges(&v), [(Read, 30, u64::MAX >> 1)]);
    }

    #[test]
    fn conflicts_need_two_owners_an_overlap_and_a_writer() {
        use LockKind::*;
        assert!(lock(Write, 0, 9, A).conflicts(&lock(Read, 9, 9, B)));
        assert!(!lock(Write, 0, 9, A).conflicts(&lock(Read, 10, 10, B)));
        assert!(!lock(Read, 0, 9, A).conflicts(&lock(Read, 0, 9, B)));
        assert!(!lock(Write, 0, 9, A).conflicts(&lock(Write, 0, 9, A)));
    }
}
