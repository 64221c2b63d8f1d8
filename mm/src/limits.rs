//! What an address space may grow to, as Linux's `may_expand_vm` and
//! `mlock_future_ok` decide it (mm/mmap.c, mm/mlock.c): `RLIMIT_AS` bounds
//! every mapping, `RLIMIT_DATA` the private writable ones, `RLIMIT_MEMLOCK`
//! the locked ones. Limits belong to the calling process, so the kernel hands
//! them in (`Mm::set_limits`) before each call that maps or locks; the sizes
//! they are compared with are summed from the VMAs only when a limit is
//! finite, so an unlimited process pays nothing.

use crate::{MapFlags, Mm, Prot, VmArea, PAGE_SIZE};

/// The caller's limits in bytes; `u64::MAX` is no limit.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct VmLimits {
    /// `RLIMIT_AS`.
    pub address_space: u64,
    /// `RLIMIT_DATA`, soft and hard: Linux lets a zero soft limit pass up to
    /// the hard one (a workaround kept for Valgrind).
    pub data: (u64, u64),
    /// `RLIMIT_MEMLOCK`, or `u64::MAX` with CAP_IPC_LOCK.
    pub memlock: u64,
    /// Whether the caller has CAP_SYS_ADMIN (the admin reserve of
    /// `vm.overcommit_memory` 2 is its to use).
    pub cap_sys_admin: bool,
}

impl Default for VmLimits {
    fn default() -> Self {
        VmLimits {
            address_space: u64::MAX,
            data: (u64::MAX, u64::MAX),
            memlock: u64::MAX,
            cap_sys_admin: true,
        }
    }
}

/// Returns whether an area with `prot` and `flags` is data (Linux's
/// `is_data_mapping`): writable, private and not a stack.
pub(crate) fn is_data(prot: Prot, flags: MapFlags) -> bool {
    prot.contains(Prot::WRITE) && !flags.intersects(MapFlags::SHARED | MapFlags::GROWSDOWN)
}

impl VmArea {
    fn pages(&self) -> u64 {
        self.len() / PAGE_SIZE
    }

    /// Returns whether the area is locked (mlock, MAP_LOCKED).
    pub fn is_locked(&self) -> bool {
        self.flags.contains(MapFlags::LOCKED)
    }
}

impl Mm {
    /// Sets the limits the next calls check.
    pub fn set_limits(&mut self, limits: VmLimits) {
        self.limits = limits;
    }

    /// Returns the pages of all areas (`total_vm`, VmSize).
    pub fn total_vm(&self) -> u64 {
        self.vmas.values().map(VmArea::pages).sum()
    }

    /// Returns the pages of data areas (`data_vm`).
    pub fn data_vm(&self) -> u64 {
        self.vmas
            .values()
            .filter(|v| is_data(v.prot, v.flags))
            .map(VmArea::pages)
            .sum()
    }

    /// Returns the pages of locked areas (`locked_vm`, VmLck).
    pub fn locked_vm(&self) -> u64 {
        self.vmas
            .values()
            .filter(|v| v.is_locked())
            .map(VmArea::pages)
            .sum()
    }

    /// Returns the most pages that were resident at once (VmHWM, ru_maxrss).
    pub fn hiwater_rss(&self) -> u64 {
        self.pt.peak()
    }

    /// Returns the pages of `[start, end)` that areas cover.
    pub(crate) fn mapped_pages(&self, start: u64, end: u64) -> u64 {
        self.vmas
            .range(..end)
            .rev()
            .take_while(|(_, v)| v.end > start)
            .map(|(_, v)| (v.end.min(end) - v.start.max(start)) / PAGE_SIZE)
            .sum()
    }

    /// Returns whether `pages` more of an area with `prot` and `flags` stay
    /// within RLIMIT_AS and, for data, RLIMIT_DATA (Linux's `may_expand_vm`).
    pub(crate) fn may_expand(&self, prot: Prot, flags: MapFlags, pages: u64) -> bool {
        let l = self.limits;
        if l.address_space != u64::MAX
            && (self.total_vm() + pages).saturating_mul(PAGE_SIZE) > l.address_space
        {
            return false;
        }
        if is_data(prot, flags) && l.data.0 != u64::MAX {
            let want = (self.data_vm() + pages).saturating_mul(PAGE_SIZE);
            if want > l.data.0 && !(l.data.0 == 0 && want <= l.data.1) {
                return false;
            }
        }
        true
    }

    /// Returns whether `pages` more locked pages stay within RLIMIT_MEMLOCK
    /// (Linux's `mlock_future_ok`).
    pub(crate) fn may_lock(&self, pages: u64) -> bool {
        self.limits.memlock == u64::MAX
            || (self.locked_vm() + pages).saturating_mul(PAGE_SIZE) <= self.limits.memlock
    }
}
