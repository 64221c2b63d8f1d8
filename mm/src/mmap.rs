//! mmap(2) and munmap(2), following Linux (mm/mmap.c): argument checks, the
//! placement of mappings without `MAP_FIXED` (the hint if it is free, else the
//! highest free gap below the mmap base, top-down like Linux's default layout),
//! `MAP_FIXED` replacing what was there and `MAP_FIXED_NOREPLACE` refusing to.

use std::sync::Arc;

use arch::{Errno, Result};

use crate::mm::MMAP_MIN_ADDR;
use crate::shmem::SharedAnon;
use crate::{MapFlags, MappedFile, Mm, Prot, VmArea, VmaName, PAGE_SIZE};

impl Mm {
    /// Maps `len` bytes, as mmap(2); returns the address of the mapping.
    ///
    /// `file` of `None` is anonymous memory, zero-filled on first touch.
    /// `MAP_SHARED | MAP_PRIVATE` is Linux's `MAP_SHARED_VALIDATE`, a shared mapping.
    #[expect(
        clippy::too_many_arguments,
        reason = "mmap(2) has six arguments, plus the name"
    )]
    pub fn mmap(
        &mut self,
        addr: u64,
        len: u64,
        prot: Prot,
        flags: MapFlags,
        file: Option<Arc<dyn MappedFile>>,
        offset: u64,
        name: VmaName,
    ) -> Result<u64> {
        if len == 0 || !crate::is_page_aligned(offset) {
            return Err(Errno::EINVAL);
        }
        let mut flags = flags;
        if flags.contains(MapFlags::SHARED | MapFlags::PRIVATE) {
            flags.remove(MapFlags::PRIVATE);
        } else if !flags.intersects(MapFlags::SHARED | MapFlags::PRIVATE) {
            return Err(Errno::EINVAL);
        }
        let len = crate::page_ceil(len).ok_or(Errno::ENOMEM)?;
        if len > self.task_size {
            return Err(Errno::ENOMEM);
        }
        let anonymous = file.is_none();
        // Shared anonymous memory is an object of its own, shared over fork.
        let file = match file {
            None if flags.contains(MapFlags::SHARED) => {
                let noreserve = flags.contains(MapFlags::NORESERVE)
                    && crate::commit::OVERCOMMIT_MEMORY.load(std::sync::atomic::Ordering::Relaxed)
                        != 2;
                let charge = if noreserve { 0 } else { len / PAGE_SIZE };
                self.may_commit(charge)?;
                Some(Arc::new(SharedAnon::new(self.frames.clone(), charge)) as Arc<dyn MappedFile>)
            }
            file => file,
        };
        if !anonymous && offset.checked_add(len).is_none() {
            return Err(Errno::EOVERFLOW);
        }
        let fixed = flags.intersects(MapFlags::FIXED | MapFlags::FIXED_NOREPLACE);
        let start = if fixed {
            if !crate::is_page_aligned(addr) {
                return Err(Errno::EINVAL);
            }
            if addr > self.task_size - len {
                return Err(Errno::ENOMEM);
            }
            if addr < MMAP_MIN_ADDR {
                return Err(Errno::EPERM);
            }
            if !flags.contains(MapFlags::FIXED) && !self.is_free(addr, addr + len) {
                return Err(Errno::EEXIST);
            }
            addr
        } else {
            self.unmapped_area(addr, len)?
        };
        // RLIMIT_AS and RLIMIT_DATA count only what is new (Linux's
        // mmap_region); locked memory meets RLIMIT_MEMLOCK with EAGAIN.
        let mut vma_flags = flags.vma_flags();
        if self.locks_new_mappings() {
            vma_flags |= MapFlags::LOCKED;
        }
        let pages = len / PAGE_SIZE;
        if !self.may_expand(prot, vma_flags, pages)
            && !self.may_expand(
                prot,
                vma_flags,
                pages - self.mapped_pages(start, start + len),
            )
        {
            return Err(Errno::ENOMEM);
        }
        if flags.contains(MapFlags::LOCKED) && self.limits.memlock == 0 {
            return Err(Errno::EPERM);
        }
        if vma_flags.contains(MapFlags::LOCKED) && !self.may_lock(pages) {
            return Err(Errno::EAGAIN);
        }
        if crate::commit::accountable(prot, flags) {
            vma_flags |= MapFlags::ACCOUNT;
            // What MAP_FIXED replaces gives its charge back (mmap_region).
            let replaced = self.accounted_pages(start, start + len);
            self.may_commit(pages - replaced)?;
        }
        if fixed && !self.is_free(start, start + len) {
            self.unmap_range(start, start + len);
        }
        let vma = VmArea {
            start,
            end: start + len,
            prot,
            flags: vma_flags,
            file,
            offset: if anonymous { 0 } else { offset },
            name,
        };
        self.insert_vma(vma);
        self.sync_commit();
        if flags.contains(MapFlags::POPULATE) || vma_flags.contains(MapFlags::LOCKED) {
            // Writable private pages are copied now; shared ones are not
            // dirtied for nothing (as Linux's populate_vma_page_range).
            let write = prot.contains(Prot::WRITE) && !flags.contains(MapFlags::SHARED);
            self.populate(start, start + len, write);
        }
        Ok(start)
    }

    /// Returns where a mapping of `len` bytes without `MAP_FIXED` goes: at the
    /// page-aligned `hint` if that range is free, else top-down below the mmap
    /// base, else top-down anywhere; `ENOMEM` if no gap is large enough.
    pub(crate) fn unmapped_area(&self, hint: u64, len: u64) -> Result<u64> {
        if hint != 0 {
            let hint = crate::page_ceil(hint.max(MMAP_MIN_ADDR)).ok_or(Errno::ENOMEM)?;
            if hint <= self.task_size - len && self.is_free(hint, hint + len) {
                return Ok(hint);
            }
        }
        self.top_down(len, self.mmap_base)
            .or_else(|| self.top_down(len, self.task_size))
            .ok_or(Errno::ENOMEM)
    }

    /// Returns the start of the highest free range of `len` bytes below `top`.
    fn top_down(&self, len: u64, top: u64) -> Option<u64> {
        let mut hi = top;
        for vma in self.vmas.range(..top).rev().map(|(_, v)| v) {
            if vma.end < hi && hi - vma.end >= len {
                return Some(hi - len);
            }
            hi = hi.min(vma.start);
        }
        (hi >= MMAP_MIN_ADDR + len).then(|| hi - len)
    }

    /// Faults in every page of `[start, end)`, as `MAP_POPULATE` does; errors
    /// are left for the guest to meet on access.
    pub(crate) fn populate(&mut self, start: u64, end: u64, write: bool) {
        let mut page = start;
        while page < end {
            if self.pt.lookup(page).is_none() {
                let _ = self.handle_fault(page, write);
            }
            page += PAGE_SIZE;
        }
    }

    /// Returns the charged pages of `[start, end)`.
    pub(crate) fn accounted_pages(&self, start: u64, end: u64) -> u64 {
        self.vmas
            .range(..end)
            .map(|(_, v)| v)
            .filter(|v| v.end > start && v.flags.contains(MapFlags::ACCOUNT))
            .map(|v| (v.end.min(end) - v.start.max(start)) / PAGE_SIZE)
            .sum()
    }

    /// Removes the mappings of `len` bytes at `addr`, as munmap(2).
    pub fn munmap(&mut self, addr: u64, len: u64) -> Result<()> {
        if !crate::is_page_aligned(addr) || len == 0 {
            return Err(Errno::EINVAL);
        }
        let len = crate::page_ceil(len).ok_or(Errno::EINVAL)?;
        if addr > self.task_size || len > self.task_size - addr {
            return Err(Errno::EINVAL);
        }
        self.unmap_range(addr, addr + len);
        Ok(())
    }
}
