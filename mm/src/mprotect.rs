//! mprotect(2) and madvise(2) (Linux's mm/mprotect.c and mm/madvise.c): both
//! act on whole VMAs of a range, splitting areas at its edges; mprotect merges
//! them again afterwards, and narrows or drops host mappings that lose rights.

use arch::{Errno, Result};

use crate::page_table::PteFlags;
use crate::{Mm, Prot, PAGE_SIZE};

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

impl Mm {
    /// Returns the page-aligned end of `[addr, addr + len)` after the checks
    /// mprotect(2) and madvise(2) share: `EINVAL` for an unaligned start or a
    /// range that wraps, `ENOMEM` past the end of user space.
    fn range_end(&self, addr: u64, len: u64) -> Result<u64> {
        if !crate::is_page_aligned(addr) {
            return Err(Errno::EINVAL);
        }
        let len = crate::page_ceil(len).ok_or(Errno::ENOMEM)?;
        let end = addr.checked_add(len).ok_or(Errno::ENOMEM)?;
        if end > self.task_size {
            return Err(Errno::ENOMEM);
        }
        Ok(end)
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

    /// Changes the protection of `[addr, addr + len)`, as mprotect(2): `ENOMEM`
    /// if part of the range is unmapped, `EACCES` for more than a file
    /// mapping may have (`MappedFile::max_prot`).
    pub fn mprotect(&mut self, addr: u64, len: u64, prot: Prot) -> Result<()> {
        let end = self.range_end(addr, len)?;
        if addr == end {
            return Ok(());
        }
        if !self.covered(addr, end) {
            return Err(Errno::ENOMEM);
        }
        let refused = self
            .vmas
            .range(..end)
            .rev()
            .take_while(|(_, v)| v.end > addr)
            .filter_map(|(_, v)| v.file.as_ref())
            .any(|f| !(prot - f.max_prot()).is_empty());
        if refused {
            return Err(Errno::EACCES);
        }
        self.split_at(addr);
        self.split_at(end);
        let starts: Vec<u64> = self.vmas.range(addr..end).map(|(&s, _)| s).collect();
        for &s in &starts {
            let Some(vma) = self.vmas.get_mut(&s) else {
                continue;
            };
            let lost = vma.prot.host() - prot.host();
            let vma_end = vma.end;
            vma.prot = prot;
            if lost.is_empty() {
                continue;
            }
            for (vaddr, pte) in self.pt.entries(s, vma_end) {
                if lost.contains(Prot::WRITE) && pte.writable() {
                    self.pt.map(vaddr, pte.with_flags(PteFlags::empty()));
                }
                self.flush(vaddr, vaddr + PAGE_SIZE);
            }
        }
        self.merge_at(end);
        for &s in starts.iter().rev() {
            self.merge_at(s);
        }
        Ok(())
    }

    /// Gives advice about `[addr, addr + len)`, as madvise(2). `MADV_DONTNEED`
    /// drops private pages (the next touch reads zeroes or the file again);
    /// advice Linux accepts but that changes nothing here is accepted.
    pub fn madvise(&mut self, addr: u64, len: u64, advice: i32) -> Result<()> {
        match advice {
            MADV_NORMAL | MADV_RANDOM | MADV_SEQUENTIAL | MADV_WILLNEED | MADV_DONTNEED
            | MADV_FREE | MADV_REMOVE | MADV_DONTFORK | MADV_DOFORK | MADV_MERGEABLE
            | MADV_UNMERGEABLE | MADV_HUGEPAGE | MADV_NOHUGEPAGE | MADV_DONTDUMP | MADV_DODUMP
            | MADV_WIPEONFORK | MADV_KEEPONFORK | MADV_COLD | MADV_PAGEOUT | MADV_POPULATE_READ
            | MADV_POPULATE_WRITE | MADV_DONTNEED_LOCKED => {}
            _ => return Err(Errno::EINVAL),
        }
        let end = self.range_end(addr, len)?;
        if addr == end {
            return Ok(());
        }
        let areas: Vec<(u64, u64, bool)> = self
            .vmas
            .values()
            .filter(|v| v.end > addr && v.start < end)
            .map(|v| (v.start.max(addr), v.end.min(end), v.is_shared()))
            .collect();
        for &(start, stop, shared) in &areas {
            match advice {
                MADV_DONTNEED | MADV_DONTNEED_LOCKED if !shared => self.zap(start, stop),
                MADV_REMOVE if !shared => return Err(Errno::EINVAL),
                MADV_POPULATE_READ | MADV_POPULATE_WRITE => {
                    self.populate(start, stop, advice == MADV_POPULATE_WRITE)
                }
                _ => {}
            }
        }
        if !self.covered(addr, end) {
            return Err(Errno::ENOMEM);
        }
        Ok(())
    }
}
