//! Commit accounting (Linux's mm/util.c `__vm_enough_memory`, the
//! `VM_ACCOUNT` rules of mm/mmap.c, Documentation/mm/overcommit-accounting.rst):
//! the pages private writable mappings, the heap, stacks and shared anonymous
//! memory could need are counted in `Committed_AS`, and `vm.overcommit_memory`
//! decides whether a new charge may pass: 0 refuses one request larger than
//! RAM (there is no swap), 1 never refuses, 2 refuses once `Committed_AS`
//! would pass `CommitLimit` (RAM * `overcommit_ratio` / 100, or
//! `overcommit_kbytes`), less the admin reserve for callers without
//! CAP_SYS_ADMIN and a user reserve of 1/32 of the caller's size.
//!
//! An address space's charge is the size of its areas marked
//! `MapFlags::ACCOUNT` (`Mm::sync_commit` moves the counter to it after each
//! change, so splits, fork, munmap and teardown need no bookkeeping of their
//! own); a shared anonymous object carries its own charge (`SharedAnon`).

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use arch::{Errno, Result};

use crate::{MapFlags, Mm, PAGE_SIZE};

/// `vm.overcommit_memory`: 0 heuristic, 1 always, 2 never.
pub static OVERCOMMIT_MEMORY: AtomicU64 = AtomicU64::new(0);
/// `vm.overcommit_ratio`, in percent of RAM.
pub static OVERCOMMIT_RATIO: AtomicU64 = AtomicU64::new(50);
/// `vm.overcommit_kbytes`; when non-zero it replaces the ratio.
pub static OVERCOMMIT_KBYTES: AtomicU64 = AtomicU64::new(0);
/// `vm.admin_reserve_kbytes` (Linux's default: 3% of RAM, at most 8 MiB).
pub static ADMIN_RESERVE_KBYTES: AtomicU64 = AtomicU64::new(8192);
/// `vm.user_reserve_kbytes` (Linux's default: 3% of RAM, at most 128 MiB).
pub static USER_RESERVE_KBYTES: AtomicU64 = AtomicU64::new(131072);
/// Pages of RAM, set at boot (`set_totalram_pages`).
static TOTALRAM_PAGES: AtomicU64 = AtomicU64::new(0);
/// `Committed_AS` in pages.
static COMMITTED: AtomicI64 = AtomicI64::new(0);

/// Records the size of RAM and sets the reserves from it as Linux's
/// init_admin_reserve and init_user_reserve do.
pub fn set_totalram_pages(pages: u64) {
    TOTALRAM_PAGES.store(pages, Ordering::Relaxed);
    let free_kbytes = pages * (PAGE_SIZE / 1024);
    ADMIN_RESERVE_KBYTES.store((free_kbytes / 32).min(8192), Ordering::Relaxed);
    USER_RESERVE_KBYTES.store((free_kbytes / 32).min(131072), Ordering::Relaxed);
}

/// Returns `Committed_AS` in pages.
pub fn committed_pages() -> u64 {
    COMMITTED.load(Ordering::Relaxed).max(0) as u64
}

/// Returns `CommitLimit` in pages (Linux's vm_commit_limit; no swap).
pub fn commit_limit_pages() -> u64 {
    match OVERCOMMIT_KBYTES.load(Ordering::Relaxed) {
        0 => {
            TOTALRAM_PAGES.load(Ordering::Relaxed) * OVERCOMMIT_RATIO.load(Ordering::Relaxed) / 100
        }
        kb => kb / (PAGE_SIZE / 1024),
    }
}

/// Adds `pages` (negative: gives back) to `Committed_AS` unconditionally.
pub(crate) fn acct(pages: i64) {
    COMMITTED.fetch_add(pages, Ordering::Relaxed);
}

/// Returns whether `pages` more may be committed for a caller whose address
/// space spans `total_vm()` pages, asked only in mode 2, the one that
/// needs it (Linux's __vm_enough_memory, which charges
/// first and takes the charge back on refusal; here the caller charges
/// after this answers yes).
pub(crate) fn enough_memory(
    pages: u64,
    total_vm: impl FnOnce() -> u64,
    cap_sys_admin: bool,
) -> Result<()> {
    let kb_to_pages = |kb: u64| kb / (PAGE_SIZE / 1024);
    match OVERCOMMIT_MEMORY.load(Ordering::Relaxed) {
        1 => Ok(()),
        2 => {
            let mut allowed = commit_limit_pages() as i64;
            if !cap_sys_admin {
                allowed -= kb_to_pages(ADMIN_RESERVE_KBYTES.load(Ordering::Relaxed)) as i64;
            }
            let reserve = kb_to_pages(USER_RESERVE_KBYTES.load(Ordering::Relaxed));
            allowed -= (total_vm() / 32).min(reserve) as i64;
            match COMMITTED
                .load(Ordering::Relaxed)
                .saturating_add(pages as i64)
                < allowed
            {
                true => Ok(()),
                false => Err(Errno::ENOMEM),
            }
        }
        _ if pages > TOTALRAM_PAGES.load(Ordering::Relaxed) => Err(Errno::ENOMEM),
        _ => Ok(()),
    }
}

/// Returns whether an area of a private mapping is charged (Linux's
/// accountable_mapping): writable and private, unless `MAP_NORESERVE` asks
/// not to be outside mode 2.
pub(crate) fn accountable(prot: crate::Prot, flags: MapFlags) -> bool {
    prot.contains(crate::Prot::WRITE)
        && !flags.contains(MapFlags::SHARED)
        && !(flags.contains(MapFlags::NORESERVE) && OVERCOMMIT_MEMORY.load(Ordering::Relaxed) != 2)
}

impl Mm {
    /// Returns the pages this address space has charged.
    pub fn committed(&self) -> u64 {
        self.committed
    }

    /// Returns `Ok` if `pages` more may be charged to this address space.
    pub(crate) fn may_commit(&self, pages: u64) -> Result<()> {
        if pages == 0 {
            return Ok(());
        }
        // The size of the address space, a walk of every area, only for
        // mode 2: mmap's path does not pay it otherwise.
        let total_vm = || self.vmas.values().map(|v| v.len() / PAGE_SIZE).sum();
        enough_memory(pages, total_vm, self.limits.cap_sys_admin)
    }

    /// Brings `Committed_AS` in step with the areas marked `ACCOUNT`.
    pub(crate) fn sync_commit(&mut self) {
        let now: u64 = self
            .vmas
            .values()
            .filter(|v| v.flags.contains(MapFlags::ACCOUNT))
            .map(|v| v.len() / PAGE_SIZE)
            .sum();
        acct(now as i64 - self.committed as i64);
        self.committed = now;
    }
}
