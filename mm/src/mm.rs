//! An address space (Linux's `mm_struct`): the VMAs in a `BTreeMap` keyed by
//! start address, the software page table, the brk area and the list of ranges
//! whose host mappings the kernel must drop. This file holds the structure, the
//! VMA-tree primitives the system calls share (split, insert-and-merge, zap)
//! and fork's copy-on-write duplication; each system call lives in its own file.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use arch::Result;

use crate::page_table::{PageTable, PteFlags};
use crate::{FrameAllocator, MappedFile, VmArea, PAGE_SIZE};

/// Below this address user mappings are refused, as Linux's default
/// `vm.mmap_min_addr`.
pub(crate) const MMAP_MIN_ADDR: u64 = 0x10000;
/// Room left between the mmap base and the top of user space for the stack.
const STACK_GAP: u64 = 8 << 30;
/// Default stack size limit (`RLIMIT_STACK`) for growing `GROWSDOWN` areas.
const DEFAULT_STACK_LIMIT: u64 = 8 << 20;

/// Where exec put a program's parts (Linux's `mm_struct` fields of the same
/// names), for /proc/PID/stat, cmdline and environ.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Layout {
    pub start_code: u64,
    pub end_code: u64,
    pub start_data: u64,
    pub end_data: u64,
    /// The initial stack pointer (the address of argc).
    pub start_stack: u64,
    pub arg_start: u64,
    pub arg_end: u64,
    pub env_start: u64,
    pub env_end: u64,
}

/// One address space: VMAs and a software page table.
pub struct Mm {
    /// Set by exec; copied by fork.
    pub layout: Layout,
    /// The auxiliary vector exec gave the program, for /proc/PID/auxv and
    /// core dumps (Linux's `saved_auxv`); set by exec, copied by fork.
    pub saved_auxv: Vec<(u64, u64)>,
    pub(crate) frames: Arc<FrameAllocator>,
    pub(crate) vmas: BTreeMap<u64, VmArea>,
    pub(crate) pt: PageTable,
    pub(crate) task_size: u64,
    pub(crate) mmap_base: u64,
    pub(crate) brk_start: u64,
    pub(crate) brk: u64,
    pub(crate) stack_limit: u64,
    /// The calling process's limits (`limits`).
    pub(crate) limits: crate::VmLimits,
    /// Whether new mappings are locked (`mlockall(MCL_FUTURE)`).
    pub(crate) def_locked: bool,
    /// The pages charged to `Committed_AS` (`commit`).
    pub(crate) committed: u64,
    flushes: Vec<Range<u64>>,
    /// Ranges whose host mappings must lose write access (fork).
    write_protects: Vec<Range<u64>>,
    /// Faults resolved by changing the page table (`faults`).
    pub(crate) faults: u64,
}

impl Mm {
    /// Creates an empty address space whose user addresses lie below `task_size`.
    pub fn new(frames: Arc<FrameAllocator>, task_size: u64) -> Mm {
        let task_size = crate::page_floor(task_size);
        let mmap_base = if task_size > 2 * STACK_GAP {
            task_size - STACK_GAP
        } else {
            task_size / 2
        };
        Mm {
            layout: Layout::default(),
            saved_auxv: Vec::new(),
            frames,
            vmas: BTreeMap::new(),
            pt: PageTable::new(),
            task_size,
            mmap_base: crate::page_floor(mmap_base),
            brk_start: 0,
            brk: 0,
            stack_limit: DEFAULT_STACK_LIMIT,
            limits: Default::default(),
            def_locked: false,
            committed: 0,
            flushes: Vec::new(),
            write_protects: Vec::new(),
            faults: 0,
        }
    }

    /// Returns the exclusive upper bound of user addresses.
    #[cfg(test)]
    pub fn task_size(&self) -> u64 {
        self.task_size
    }

    /// Returns the address below which top-down mmap placement starts.
    #[cfg(test)]
    pub fn mmap_base(&self) -> u64 {
        self.mmap_base
    }

    /// Sets how far a `GROWSDOWN` area may grow (`RLIMIT_STACK`), in bytes.
    pub fn set_stack_limit(&mut self, limit: u64) {
        self.stack_limit = limit;
    }

    /// Returns the frame allocator.
    pub fn frames(&self) -> &Arc<FrameAllocator> {
        &self.frames
    }

    /// Returns the VMAs in address order.
    pub fn vmas(&self) -> impl Iterator<Item = &VmArea> {
        self.vmas.values()
    }

    /// Returns the VMA containing `addr`.
    pub fn find_vma(&self, addr: u64) -> Option<&VmArea> {
        let (_, vma) = self.vmas.range(..=addr).next_back()?;
        vma.contains(addr).then_some(vma)
    }

    /// Returns how many faults `handle_fault` has resolved by changing the
    /// page table: those Linux counts (`min_flt`), not the refills of a
    /// CPU's host mappings, which Linux has no counterpart of.
    pub fn faults(&self) -> u64 {
        self.faults
    }

    /// Returns the number of pages with a frame (the resident set).
    pub fn rss_pages(&self) -> u64 {
        self.pt.len()
    }

    /// Returns the number of page-table pages of this address space.
    pub fn page_table_pages(&self) -> u64 {
        self.pt.table_pages()
    }

    /// Returns the (address, frame) of every resident page in `[start, end)`,
    /// for /proc/PID/smaps_rollup and status.
    pub fn resident(&self, start: u64, end: u64) -> Vec<(u64, u64)> {
        self.pt
            .entries(start, end)
            .into_iter()
            .map(|(vaddr, pte)| (vaddr, pte.paddr()))
            .collect()
    }

    /// Returns and clears the page-aligned ranges whose host mappings must be
    /// dropped from every stub of this mm before guest code runs again.
    pub fn take_tlb_flushes(&mut self) -> Vec<Range<u64>> {
        std::mem::take(&mut self.flushes)
    }

    /// Returns and clears the page-aligned ranges whose host mappings must
    /// lose write access before guest code runs again (the CPUs of other
    /// tasks may drop them instead).
    pub fn take_write_protects(&mut self) -> Vec<Range<u64>> {
        std::mem::take(&mut self.write_protects)
    }

    /// Records that the host mappings of `[start, end)` must lose write access.
    fn write_protect(&mut self, start: u64, end: u64) {
        if let Some(last) = self.write_protects.last_mut() {
            if last.end == start {
                last.end = end;
                return;
            }
        }
        self.write_protects.push(start..end);
    }

    /// Records that the host mappings of `[start, end)` must be dropped.
    pub(crate) fn flush(&mut self, start: u64, end: u64) {
        if let Some(last) = self.flushes.last_mut() {
            if last.end == start {
                last.end = end;
                return;
            }
        }
        self.flushes.push(start..end);
    }

    /// Returns whether no VMA overlaps `[start, end)`.
    pub(crate) fn is_free(&self, start: u64, end: u64) -> bool {
        match self.vmas.range(..end).next_back() {
            Some((_, vma)) => vma.end <= start,
            None => true,
        }
    }

    /// Splits the VMA containing `addr` so that an area starts at `addr`.
    pub(crate) fn split_at(&mut self, addr: u64) {
        let Some((_, vma)) = self.vmas.range_mut(..addr).next_back() else {
            return;
        };
        if vma.end > addr {
            let upper = vma.split_off(addr);
            self.vmas.insert(addr, upper);
        }
    }

    /// Inserts `vma` (into a free range) and merges it with its neighbours.
    pub(crate) fn insert_vma(&mut self, vma: VmArea) {
        let (start, end) = (vma.start, vma.end);
        self.vmas.insert(start, vma);
        self.merge_at(end);
        self.merge_at(start);
    }

    /// Merges the VMA starting at `addr` into the one ending there, if they are
    /// compatible.
    pub(crate) fn merge_at(&mut self, addr: u64) {
        let Some(next) = self.vmas.get(&addr) else {
            return;
        };
        let Some((_, prev)) = self.vmas.range(..addr).next_back() else {
            return;
        };
        if prev.can_merge(next) {
            let end = next.end;
            self.vmas.remove(&addr);
            if let Some((_, prev)) = self.vmas.range_mut(..addr).next_back() {
                prev.end = end;
            }
        }
    }

    /// Drops the pages of `[start, end)` from the page table, putting their
    /// frames and recording flushes.
    pub(crate) fn zap(&mut self, start: u64, end: u64) {
        for (vaddr, _) in self.pt.entries(start, end) {
            if let Some(pte) = self.pt.unmap(vaddr) {
                self.frames.put(pte.paddr());
                self.flush(vaddr, vaddr + PAGE_SIZE);
            }
        }
    }

    /// Removes every mapping of `[start, end)`: splits the VMAs at the edges,
    /// removes those inside and zaps their pages; what shared file mappings
    /// wrote goes back to their files.
    pub(crate) fn unmap_range(&mut self, start: u64, end: u64) {
        self.split_at(start);
        self.split_at(end);
        let inside: Vec<u64> = self.vmas.range(start..end).map(|(&s, _)| s).collect();
        let mut removed = Vec::new();
        for s in inside {
            removed.extend(self.vmas.remove(&s));
        }
        self.zap(start, end);
        write_back(&removed);
        self.sync_commit();
    }

    /// Drops the pages of every mapping of a file for which `is_file` holds
    /// whose file page indexes lie in `pages` (Linux's `unmap_mapping_range`):
    /// the next access faults, beyond the end of the file with SIGBUS. Pages
    /// whose frame `keep` holds for stay: a hole punched leaves private
    /// copies, where a truncate drops them too. The caller has stopped every
    /// stub of this mm.
    pub fn zap_file_pages(
        &mut self,
        is_file: &dyn Fn(&dyn MappedFile) -> bool,
        pages: Range<u64>,
        keep: &dyn Fn(u64) -> bool,
    ) {
        let ranges: Vec<(u64, u64)> = self
            .vmas
            .values()
            .filter(|v| v.file.as_ref().is_some_and(|f| is_file(f.as_ref())))
            .filter_map(|v| {
                let base = v.offset / PAGE_SIZE;
                let at = |index: u64| {
                    let skip = index.saturating_sub(base).saturating_mul(PAGE_SIZE);
                    v.start.saturating_add(skip).min(v.end)
                };
                let (from, to) = (at(pages.start), at(pages.end));
                (from < to).then_some((from, to))
            })
            .collect();
        for (from, to) in ranges {
            for (vaddr, pte) in self.pt.entries(from, to) {
                if keep(pte.paddr()) {
                    continue;
                }
                if let Some(pte) = self.pt.unmap(vaddr) {
                    self.frames.put(pte.paddr());
                    self.flush(vaddr, vaddr + PAGE_SIZE);
                }
            }
        }
    }

    /// Returns a copy-on-write duplicate of this address space, for fork(2).
    /// Memory locks are not inherited (mlock(2)).
    ///
    /// Private pages become read-only in both address spaces and their frames
    /// gain a reference; shared mappings share their frames with unchanged
    /// rights. Pages whose host mappings lose write access are recorded in
    /// `self` (`take_write_protects`).
    pub fn fork(&mut self) -> Result<Mm> {
        // dup_mmap charges the child's areas again: ENOMEM if refused.
        self.may_commit(self.committed)?;
        let mut child = Mm {
            layout: self.layout,
            saved_auxv: self.saved_auxv.clone(),
            frames: self.frames.clone(),
            vmas: self.vmas.clone(),
            pt: PageTable::new(),
            task_size: self.task_size,
            mmap_base: self.mmap_base,
            brk_start: self.brk_start,
            brk: self.brk,
            stack_limit: self.stack_limit,
            limits: self.limits,
            def_locked: false,
            committed: 0,
            flushes: Vec::new(),
            write_protects: Vec::new(),
            faults: 0,
        };
        for vma in child.vmas.values_mut() {
            vma.flags.remove(crate::MapFlags::LOCKED);
        }
        let starts: Vec<u64> = child.vmas.keys().copied().collect();
        for s in starts.into_iter().rev() {
            child.merge_at(s);
        }
        let areas: Vec<(u64, u64, bool)> = self
            .vmas
            .values()
            .map(|v| (v.start, v.end, v.is_shared()))
            .collect();
        for (start, end, shared) in areas {
            for (vaddr, pte) in self.pt.entries(start, end) {
                self.frames.get(pte.paddr());
                if shared {
                    child.pt.map(vaddr, pte);
                    continue;
                }
                let ro = pte.with_flags(PteFlags::empty());
                if pte.writable() {
                    self.pt.map(vaddr, ro);
                    self.write_protect(vaddr, vaddr + PAGE_SIZE);
                }
                child.pt.map(vaddr, ro);
            }
        }
        // The child's charges are its own (dup_mmap charges each
        // VM_ACCOUNT area again).
        child.sync_commit();
        Ok(child)
    }
}

/// Writes back to their files what the shared file mappings among `vmas`
/// may have written; errors are logged (the pages stay dirty in the cache).
fn write_back(vmas: &[VmArea]) {
    for vma in vmas {
        if let Some(file) = vma.written_back_file() {
            let (first, end) = (vma.file_index(vma.start), vma.file_index(vma.end));
            if let Err(e) = file.write_back(first, end) {
                log::warn!("mm: write-back of a shared mapping failed: {e}");
            }
        }
    }
}

impl Drop for Mm {
    /// Puts every frame and writes back what shared file mappings wrote, as
    /// the teardown of an address space at exit and exec does.
    fn drop(&mut self) {
        crate::commit::acct(-(self.committed as i64));
        for (_, pte) in self.pt.entries(0, u64::MAX) {
            self.frames.put(pte.paddr());
        }
        let vmas: Vec<VmArea> = std::mem::take(&mut self.vmas).into_values().collect();
        write_back(&vmas);
    }
}
