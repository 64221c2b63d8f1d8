//! mlock(2), munlock(2), mlock2(2), mlockall(2) and munlockall(2) (Linux's
//! mm/mlock.c). Guest memory is never paged out, so a lock changes what is
//! counted (VmLck, RLIMIT_MEMLOCK) and makes the pages resident at once
//! (unless `MLOCK_ONFAULT`); areas are split and merged at the edges of the
//! range as mprotect does. The system-call layer checks the flags and
//! whether the caller may lock at all (EPERM).

use arch::{Errno, Result};

use crate::{MapFlags, Mm, PAGE_SIZE};

/// mlockall's `MCL_CURRENT`: lock what is mapped now.
pub const MCL_CURRENT: u32 = 1;
/// mlockall's `MCL_FUTURE`: lock what is mapped from now on.
pub const MCL_FUTURE: u32 = 2;
/// mlockall's `MCL_ONFAULT`: lock pages only as they are faulted in.
pub const MCL_ONFAULT: u32 = 4;

impl Mm {
    /// Locks (or with `lock` false unlocks) the pages of `[addr, addr +
    /// len)`, the start rounded down to a page: `ENOMEM` past RLIMIT_MEMLOCK
    /// (what is locked already is not counted twice) or for a range with
    /// unmapped pages, whose areas before the first hole are changed, as in
    /// Linux; `EINVAL` if the range wraps. Locked pages are faulted in unless
    /// `on_fault`.
    pub fn mlock(&mut self, addr: u64, len: u64, lock: bool, on_fault: bool) -> Result<()> {
        let start = crate::page_floor(addr);
        let len = len.wrapping_add(addr - start).wrapping_add(PAGE_SIZE - 1) & !(PAGE_SIZE - 1);
        let end = start.wrapping_add(len);
        if lock && !self.may_lock(len / PAGE_SIZE) {
            let already = self.locked_in(start, end.max(start));
            if !self.may_lock((len / PAGE_SIZE).saturating_sub(already)) {
                return Err(Errno::ENOMEM);
            }
        }
        if end < start {
            return Err(Errno::EINVAL);
        }
        if end == start {
            return Ok(());
        }
        let mut at = start;
        let mut result = Ok(());
        while at < end {
            let Some(vma) = self.find_vma(at) else {
                result = Err(Errno::ENOMEM);
                break;
            };
            let stop = vma.end.min(end);
            self.set_locked(at, stop, lock);
            at = stop;
        }
        self.merge_range(start, at);
        if lock && !on_fault {
            self.populate_locked(start, at);
        }
        result
    }

    /// mlockall(2) with checked `flags`: `ENOMEM` if `MCL_CURRENT` would lock
    /// more than RLIMIT_MEMLOCK allows. `MCL_FUTURE` locks later mappings
    /// (and the heap as it grows).
    pub fn mlockall(&mut self, flags: u32) -> Result<()> {
        let current = flags & MCL_CURRENT != 0;
        if current
            && self.limits.memlock != u64::MAX
            && self.total_vm().saturating_mul(PAGE_SIZE) > self.limits.memlock
        {
            return Err(Errno::ENOMEM);
        }
        self.def_locked = flags & MCL_FUTURE != 0;
        if current {
            self.lock_all(true);
            if flags & MCL_ONFAULT == 0 {
                self.populate_locked(0, self.task_size);
            }
        }
        Ok(())
    }

    /// munlockall(2): unlocks every area and stops locking new ones.
    pub fn munlockall(&mut self) {
        self.def_locked = false;
        self.lock_all(false);
    }

    /// Returns whether new mappings are locked (`mlockall(MCL_FUTURE)`).
    pub(crate) fn locks_new_mappings(&self) -> bool {
        self.def_locked
    }

    /// Returns the locked pages in `[start, end)`.
    fn locked_in(&self, start: u64, end: u64) -> u64 {
        self.vmas
            .range(..end)
            .rev()
            .take_while(|(_, v)| v.end > start)
            .filter(|(_, v)| v.is_locked())
            .map(|(_, v)| (v.end.min(end) - v.start.max(start)) / PAGE_SIZE)
            .sum()
    }

    /// Sets or clears `LOCKED` on `[start, end)`, which one area covers.
    fn set_locked(&mut self, start: u64, end: u64, lock: bool) {
        self.split_at(start);
        self.split_at(end);
        if let Some(vma) = self.vmas.get_mut(&start) {
            vma.flags.set(MapFlags::LOCKED, lock);
        }
    }

    /// Sets or clears `LOCKED` on every area.
    fn lock_all(&mut self, lock: bool) {
        for vma in self.vmas.values_mut() {
            vma.flags.set(MapFlags::LOCKED, lock);
        }
        let starts: Vec<u64> = self.vmas.keys().copied().collect();
        for s in starts.into_iter().rev() {
            self.merge_at(s);
        }
    }

    /// Faults in the pages of the locked, accessible areas in `[start, end)`.
    fn populate_locked(&mut self, start: u64, end: u64) {
        let areas: Vec<(u64, u64, bool)> = self
            .vmas
            .range(..end)
            .filter(|(_, v)| v.end > start && v.is_locked() && !v.prot.is_empty())
            .map(|(_, v)| {
                let write = v.prot.contains(crate::Prot::WRITE) && !v.is_shared();
                (v.start.max(start), v.end.min(end), write)
            })
            .collect();
        for (s, e, write) in areas {
            self.populate(s, e, write);
        }
    }
}
