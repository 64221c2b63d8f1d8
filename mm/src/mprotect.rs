//! mprotect(2) and madvise(2) (Linux's mm/mprotect.c and mm/madvise.c): both
//! act on whole VMAs of a range, splitting areas at its edges; mprotect merges
//! them again afterwards, and narrows or drops host mappings that lose rights.
//! As in Linux, both change the areas before a hole in the range and then
//! fail with `ENOMEM` (madvise also those after it).

use arch::{Errno, Result};

use crate::limits::is_data;
use crate::page_table::PteFlags;
use crate::{MapFlags, MappedFile, Mm, Prot, PAGE_SIZE};
use std::sync::Arc;

const MADV_NORMAL: i32 = 0;
const MADV_RANDOM: i32 = 1;
const MADV_SEQUENTIAL: i32 = 2;
const MADV_WILLNEED: i32 = 3;
const MADV_DONTNEED: i32 = 4;
const MADV_FREE: i32 = 8;
const MADV_REMOVE: i32 = 9;
const MADV_DONTFORK: i32 = 10;
const MADV_DOFORK: i32 = 11;
const MADV_MERGEABLE: i32 = 12;
const MADV_UNMERGEABLE: i32 = 13;
const MADV_HUGEPAGE: i32 = 14;
const MADV_NOHUGEPAGE: i32 = 15;
const MADV_DONTDUMP: i32 = 16;
const MADV_DODUMP: i32 = 17;
const MADV_WIPEONFORK: i32 = 18;
const MADV_KEEPONFORK: i32 = 19;
const MADV_COLD: i32 = 20;
const MADV_PAGEOUT: i32 = 21;
const MADV_POPULATE_READ: i32 = 22;
const MADV_POPULATE_WRITE: i32 = 23;
const MADV_DONTNEED_LOCKED: i32 = 24;
const MADV_COLLAPSE: i32 = 25;

impl Mm {
    /// Changes the protection of `[addr, addr + len)`, as mprotect(2); see
    /// `mprotect_with`.
    pub fn mprotect(&mut self, addr: u64, len: u64, prot: Prot) -> Result<()> {
        self.mprotect_with(addr, len, prot, false, false)
    }

    /// Changes the protection of `[addr, addr + len)`, as mprotect(2):
    /// `EINVAL` for an unaligned start, `ENOMEM` for a range that wraps or
    /// has unmapped pages, `EACCES` for more than a file mapping may have
    /// (`MappedFile::max_prot`), `ENOMEM` where private memory would become
    /// writable past RLIMIT_DATA. `grows_down` (`PROT_GROWSDOWN`) extends
    /// the range down to the start of its area, which must grow down
    /// (`EINVAL`); `read_implies_exec` (the personality's
    /// `READ_IMPLIES_EXEC`) adds `EXEC` to a readable protection where the
    /// area may execute.
    pub fn mprotect_with(
        &mut self,
        addr: u64,
        len: u64,
        prot: Prot,
        grows_down: bool,
        read_implies_exec: bool,
    ) -> Result<()> {
        if !crate::is_page_aligned(addr) {
            return Err(Errno::EINVAL);
        }
        if len == 0 {
            return Ok(());
        }
        let len = crate::page_ceil(len).ok_or(Errno::ENOMEM)?;
        let end = addr.checked_add(len).ok_or(Errno::ENOMEM)?;
        let first = self.find_vma(addr).ok_or(Errno::ENOMEM)?;
        let mut start = addr;
        if grows_down {
            if !first.flags.contains(MapFlags::GROWSDOWN) {
                return Err(Errno::EINVAL);
            }
            start = first.start;
        }
        let mut at = start;
        let mut result = Ok(());
        while at < end {
            let Some(vma) = self.find_vma(at) else {
                result = Err(Errno::ENOMEM);
                break;
            };
            let stop = vma.end.min(end);
            let max = vma.file.as_ref().map_or(Prot::all(), |f| f.max_prot());
            let mut new = prot;
            if read_implies_exec && prot.contains(Prot::READ) && max.contains(Prot::EXEC) {
                new |= Prot::EXEC;
            }
            if !(new - max).is_empty() {
                result = Err(Errno::EACCES);
                break;
            }
            let pages = (stop - at) / PAGE_SIZE;
            if is_data(new, vma.flags)
                && !is_data(vma.prot, vma.flags)
                && !self.may_expand(new, vma.flags, pages)
            {
                result = Err(Errno::ENOMEM);
                break;
            }
            // mprotect_fixup: a private area first made writable is charged.
            let charge = new.contains(Prot::WRITE)
                && !vma.prot.contains(Prot::WRITE)
                && !vma
                    .flags
                    .intersects(MapFlags::ACCOUNT | MapFlags::SHARED | MapFlags::NORESERVE);
            if charge {
                if let Err(e) = self.may_commit(pages) {
                    result = Err(e);
                    break;
                }
            }
            // ...and one made read-only before any page of it was touched
            // gives its charge back (no anon_vma yet in Linux).
            let uncharge = !new.contains(Prot::WRITE)
                && vma.flags.contains(MapFlags::ACCOUNT)
                && vma.file.is_none()
                && self.pt.entries(vma.start, vma.end).is_empty();
            self.protect(at, stop, new);
            if uncharge {
                if let Some(v) = self.vmas.get_mut(&at) {
                    v.flags.remove(MapFlags::ACCOUNT);
                }
            }
            if charge {
                self.split_at(at);
                self.split_at(stop);
                if let Some(v) = self.vmas.get_mut(&at) {
                    v.flags |= MapFlags::ACCOUNT;
                }
            }
            at = stop;
        }
        self.merge_range(start, at);
        self.sync_commit();
        result
    }

    /// Sets the protection of `[start, end)`, which one area covers, and
    /// narrows or drops the host mappings of pages that lose rights.
    fn protect(&mut self, start: u64, end: u64, prot: Prot) {
        self.split_at(start);
        self.split_at(end);
        let Some(vma) = self.vmas.get_mut(&start) else {
            return;
        };
        let lost = vma.prot.host() - prot.host();
        vma.prot = prot;
        if lost.is_empty() {
            return;
        }
        for (vaddr, pte) in self.pt.entries(start, end) {
            if lost.contains(Prot::WRITE) && pte.writable() {
                self.pt.map(vaddr, pte.with_flags(PteFlags::empty()));
            }
            self.flush(vaddr, vaddr + PAGE_SIZE);
        }
    }

    /// Merges the areas that meet inside or at the edges of `[start, end)`.
    pub(crate) fn merge_range(&mut self, start: u64, end: u64) {
        self.merge_at(end);
        let starts: Vec<u64> = self.vmas.range(start..end).map(|(&s, _)| s).collect();
        for s in starts.into_iter().rev() {
            self.merge_at(s);
        }
    }

    /// Gives advice about `[addr, addr + len)`, as madvise(2), checked in
    /// Linux's order: unknown advice, an unaligned start, and a length that
    /// rounds to nothing or wraps are `EINVAL`; the advice is applied to
    /// every area in the range, and unmapped pages in it make the result
    /// `ENOMEM`. `MADV_DONTNEED` drops private pages (the next touch reads
    /// zeroes or the file again); `MADV_REMOVE` frees the pages of shared
    /// anonymous memory (and is `EINVAL` for private memory, `EACCES` for a
    /// private file mapping or a shared one that may not write, and what the
    /// object's hole punch returns, `EOPNOTSUPP` where it has none); advice
    /// Linux accepts but that changes nothing
    /// here is accepted.
    pub fn madvise(&mut self, addr: u64, len: u64, advice: i32) -> Result<()> {
        let mut punches = Vec::new();
        let result = self.madvise_deferred(addr, len, advice, &mut punches);
        for p in punches {
            p.run()?;
        }
        result
    }

    /// Does what `madvise` does but leaves `MADV_REMOVE`'s hole punches in
    /// `punches`, to be run in order once this address space is no longer
    /// borrowed (a filesystem's punch unmaps the pages from every address
    /// space; Linux drops the mmap lock for it too). Their errors come
    /// before the one returned here.
    pub fn madvise_deferred(
        &mut self,
        addr: u64,
        len: u64,
        advice: i32,
        punches: &mut Vec<Punch>,
    ) -> Result<()> {
        match advice {
            MADV_NORMAL | MADV_RANDOM | MADV_SEQUENTIAL | MADV_WILLNEED | MADV_DONTNEED
            | MADV_FREE | MADV_REMOVE | MADV_DONTFORK | MADV_DOFORK | MADV_MERGEABLE
            | MADV_UNMERGEABLE | MADV_HUGEPAGE | MADV_NOHUGEPAGE | MADV_DONTDUMP | MADV_DODUMP
            | MADV_WIPEONFORK | MADV_KEEPONFORK | MADV_COLD | MADV_PAGEOUT | MADV_POPULATE_READ
            | MADV_POPULATE_WRITE | MADV_DONTNEED_LOCKED | MADV_COLLAPSE => {}
            _ => return Err(Errno::EINVAL),
        }
        if !crate::is_page_aligned(addr) {
            return Err(Errno::EINVAL);
        }
        let len = match crate::page_ceil(len) {
            Some(l) => l,
            None => return Err(Errno::EINVAL),
        };
        let end = addr.checked_add(len).ok_or(Errno::EINVAL)?;
        if addr == end {
            return Ok(());
        }
        let areas: Vec<(u64, u64, bool, bool, bool, bool)> = self
            .vmas
            .range(..end)
            .filter(|(_, v)| v.end > addr)
            .map(|(_, v)| {
                let anon = v.file.as_ref().is_none_or(|f| f.is_anonymous());
                let may_write = v
                    .file
                    .as_ref()
                    .is_some_and(|f| f.max_prot().contains(Prot::WRITE));
                (
                    v.start.max(addr),
                    v.end.min(end),
                    v.is_shared(),
                    anon,
                    v.is_locked(),
                    may_write,
                )
            })
            .collect();
        for &(start, stop, shared, anon, locked, may_write) in &areas {
            match advice {
                MADV_DONTNEED | MADV_FREE if locked => return Err(Errno::EINVAL),
                MADV_FREE if shared || !anon => return Err(Errno::EINVAL),
                MADV_DONTNEED | MADV_DONTNEED_LOCKED | MADV_FREE if !shared => {
                    self.zap(start, stop)
                }
                MADV_REMOVE if locked || (anon && !shared) => return Err(Errno::EINVAL),
                MADV_REMOVE if !shared || !may_write => return Err(Errno::EACCES),
                MADV_REMOVE => punches.extend(self.remove_shared(start, stop)),
                MADV_POPULATE_READ | MADV_POPULATE_WRITE => {
                    self.populate(start, stop, advice == MADV_POPULATE_WRITE)
                }
                MADV_HUGEPAGE | MADV_NOHUGEPAGE => {
                    self.split_at(start);
                    self.split_at(stop);
                    if let Some(vma) = self.vmas.get_mut(&start) {
                        vma.flags
                            .set(MapFlags::NOHUGEPAGE, advice == MADV_NOHUGEPAGE);
                    }
                }
                _ => {}
            }
        }
        if matches!(advice, MADV_HUGEPAGE | MADV_NOHUGEPAGE) {
            self.merge_range(addr, end);
        }
        if !self.covered(addr, end) {
            return Err(Errno::ENOMEM);
        }
        Ok(())
    }

    /// Returns whether VMAs cover all of `[start, end)`.
    fn covered(&self, start: u64, end: u64) -> bool {
        let mut at = start;
        while at < end {
            match self.find_vma(at) {
                Some(vma) => at = vma.end,
                None => return false,
            }
        }
        true
    }

    /// Drops the pages of `[start, end)` of a shared mapping from this page
    /// table and returns the hole punch that frees them in the object it maps
    /// (MADV_REMOVE).
    fn remove_shared(&mut self, start: u64, end: u64) -> Option<Punch> {
        let vma = self.find_vma(start)?;
        let (first, end_index) = (vma.file_index(start), vma.file_index(end));
        let file = vma.file.clone()?;
        self.zap(start, end);
        Some(Punch {
            file,
            first,
            end: end_index,
        })
    }
}

/// A hole `MADV_REMOVE` punches in the object a shared mapping maps: pages
/// `[first, end)` of `file`.
pub struct Punch {
    file: Arc<dyn MappedFile>,
    first: u64,
    end: u64,
}

impl Punch {
    /// Frees the pages (`MappedFile::punch`).
    pub fn run(self) -> Result<()> {
        self.file.punch(self.first, self.end)
    }
}
