//! Page-fault resolution (Linux's mm/memory.c `handle_mm_fault`): demand-zero
//! anonymous pages, page-cache frames of file mappings (shared, or private
//! until written), copy-on-write breaking, dirtying shared file pages on their
//! first write, and growth of `GROWSDOWN` stacks. The result is the one page the kernel maps
//! into the faulting stub, with the host rights it may have.
//!
//! The host tells us only whether the page was absent from the stub (a read
//! fault here) or present but forbidden (a write fault). A read fault maps as
//! much as is safe. A write fault on a page the page table has writable is
//! either an instruction fetch from a page that may not be executed, which is
//! refused, or, in a process with threads, a stale host mapping: another
//! thread made the page writable (broke its copy-on-write, or was the last to
//! share it) between this CPU's fault and its handling, and the page is simply
//! mapped again (`handle_user_fault`).

use arch::Errno;

use crate::page_table::{Pte, PteFlags};
use crate::{MapFlags, Mm, Prot, VmArea, PAGE_SIZE};

/// What the kernel maps into the stub after a fault: one page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapping {
    pub vaddr: u64,
    pub paddr: u64,
    pub prot: Prot,
}

/// Why a fault could not be resolved, and the signal the guest gets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultError {
    /// No VMA: SIGSEGV with `SEGV_MAPERR`.
    MapErr,
    /// The VMA forbids the access: SIGSEGV with `SEGV_ACCERR`.
    AccErr,
    /// A file page beyond end of file, or an I/O error: SIGBUS.
    Bus,
    /// No free frame.
    Oom,
}

/// The pages of an anonymous block (`fault_in_block`): 64 KiB.
const ANON_BLOCK: u64 = 16;

/// The longest x86 instruction: a fetch fault is at most this far past the
/// instruction pointer.
const MAX_INSN_LEN: u64 = 15;

/// Returns the host rights of a page of `vma` mapped by `pte`.
fn host_prot(vma: &VmArea, pte: Pte) -> Prot {
    let prot = vma.prot.host();
    if pte.writable() {
        prot
    } else {
        prot - Prot::WRITE
    }
}

impl Mm {
    /// Resolves a fault at `addr`; `write` is true when the page was present in
    /// the stub but the access was forbidden. Returns the page to map.
    pub fn handle_fault(&mut self, addr: u64, write: bool) -> Result<Mapping, FaultError> {
        self.resolve(addr, write, false)
    }

    /// `handle_fault`, where an anonymous page without a frame may get a
    /// whole aligned block of neighbours if `block` (see `fault_in_block`).
    fn resolve(&mut self, addr: u64, write: bool, block: bool) -> Result<Mapping, FaultError> {
        if addr >= self.task_size {
            return Err(FaultError::MapErr);
        }
        let page = crate::page_floor(addr);
        if self.find_vma(addr).is_none() {
            self.grow_stack(page)?;
        }
        let vma = self.find_vma(addr).ok_or(FaultError::MapErr)?.clone();
        if vma.prot.is_empty() || (write && !vma.prot.contains(Prot::WRITE)) {
            return Err(FaultError::AccErr);
        }
        let may_write = vma.prot.contains(Prot::WRITE);
        let old = self.pt.lookup(page);
        let pte = match old {
            None => match block.then(|| self.fault_in_block(&vma, page)).flatten() {
                Some(pte) => pte,
                None => self.fault_in(&vma, page, write)?,
            },
            Some(pte) if write && pte.writable() => return Err(FaultError::AccErr),
            Some(pte) if pte.writable() || !may_write => pte,
            // A shared file page is mapped writable only once it is written,
            // which makes it dirty.
            Some(pte) if !write && vma.written_back_file().is_some() => pte,
            Some(pte) if vma.is_shared() || self.frames.refcount(pte.paddr()) == 1 => {
                if let Some(file) = vma.written_back_file() {
                    file.set_dirty(vma.file_index(page));
                }
                let pte = pte.with_flags(PteFlags::WRITE);
                self.pt.map(page, pte);
                // Stubs may hold the page read-only; when the kernel itself made
                // it writable (copy_to_user), they must fault again to see that.
                self.flush(page, page + PAGE_SIZE);
                pte
            }
            // A copy-on-write page: read faults map it read-only.
            Some(pte) if !write => pte,
            Some(pte) => self.break_cow(page, pte)?,
        };
        if old != Some(pte) {
            self.faults += 1;
        }
        Ok(Mapping {
            vaddr: page,
            paddr: pte.paddr(),
            prot: host_prot(&vma, pte),
        })
    }

    /// Resolves a fault of guest code executing at `ip` (see `handle_fault`),
    /// telling a fetch from a page that is not executable (refused) from a
    /// write through a host mapping older than the page table's writable
    /// entry (mapped again). An anonymous page may come with a block of
    /// neighbours if `block`.
    pub fn handle_user_fault(
        &mut self,
        addr: u64,
        write: bool,
        ip: u64,
        block: bool,
    ) -> Result<Mapping, FaultError> {
        let r = self.resolve(addr, write, block);
        if r != Err(FaultError::AccErr) || !write {
            return r;
        }
        let page = crate::page_floor(addr);
        let vma = self.find_vma(addr).ok_or(FaultError::AccErr)?.clone();
        let fetch = addr.wrapping_sub(ip) <= MAX_INSN_LEN;
        let stale = vma.prot.contains(Prot::WRITE) && (vma.prot.contains(Prot::EXEC) || !fetch);
        match self.pt.lookup(page) {
            Some(pte) if stale && pte.writable() => Ok(Mapping {
                vaddr: page,
                paddr: pte.paddr(),
                prot: host_prot(&vma, pte),
            }),
            _ => r,
        }
    }

    /// Gives the page at `page` of `vma` a frame: zeroes for anonymous memory;
    /// for a file, its page-cache frame, which a private mapping gets read-only
    /// (or a copy of, for a `write`) and a shared one writable only for a
    /// `write`, when the page becomes dirty.
    fn fault_in(&mut self, vma: &VmArea, page: u64, write: bool) -> Result<Pte, FaultError> {
        let may_write = vma.prot.contains(Prot::WRITE);
        let pte = match &vma.file {
            None => {
                let paddr = self.frames.alloc().map_err(|_| FaultError::Oom)?;
                let flags = if may_write {
                    PteFlags::WRITE
                } else {
                    PteFlags::empty()
                };
                Pte::new(paddr, flags)
            }
            Some(file) => {
                let index = vma.file_index(page);
                let paddr = file.page(index)?;
                if vma.is_shared() {
                    let dirty_tracked = !file.is_anonymous();
                    if may_write && (write || !dirty_tracked) {
                        if dirty_tracked {
                            file.set_dirty(index);
                        }
                        Pte::new(paddr, PteFlags::WRITE)
                    } else {
                        Pte::new(paddr, PteFlags::empty())
                    }
                } else if write && may_write {
                    let copy = self.frames.alloc().map_err(|_| {
                        self.frames.put(paddr);
                        FaultError::Oom
                    })?;
                    self.frames.physmem().copy(paddr, copy, PAGE_SIZE as usize);
                    self.frames.put(paddr);
                    Pte::new(copy, PteFlags::WRITE)
                } else {
                    Pte::new(paddr, PteFlags::empty())
                }
            }
        };
        self.pt.map(page, pte);
        Ok(pte)
    }

    /// Gives the private anonymous page at `page` of `vma`, and every other
    /// of its aligned block of `ANON_BLOCK` pages, zeroed frames in a row, if
    /// the block lies in `vma`, none of its pages has a frame yet and the
    /// allocator has such a run to spare (`FrameAllocator::alloc_run`).
    /// Returns the entry of `page`; None to fault it in alone. Linux maps
    /// anonymous memory in such blocks too where its multi-size transparent
    /// huge pages are enabled: a program touching memory in order faults
    /// once per block, and the host maps each block with one call.
    fn fault_in_block(&mut self, vma: &VmArea, page: u64) -> Option<Pte> {
        let size = ANON_BLOCK * PAGE_SIZE;
        let start = page & !(size - 1);
        let end = start + size;
        let refused = vma.flags.contains(MapFlags::NOHUGEPAGE);
        if refused || vma.file.is_some() || start < vma.start || end > vma.end {
            return None;
        }
        if !self.pt.entries(start, end).is_empty() {
            return None;
        }
        let first = self.frames.alloc_run(ANON_BLOCK)?;
        let flags = if vma.prot.contains(Prot::WRITE) {
            PteFlags::WRITE
        } else {
            PteFlags::empty()
        };
        for i in 0..ANON_BLOCK {
            let pte = Pte::new(first + i * PAGE_SIZE, flags);
            self.pt.map(start + i * PAGE_SIZE, pte);
        }
        Some(Pte::new(first + (page - start), flags))
    }

    /// Gives the private page at `page` a frame of its own, a copy of the shared
    /// one, and drops the stale host mappings of the old frame.
    fn break_cow(&mut self, page: u64, pte: Pte) -> Result<Pte, FaultError> {
        let paddr = self.frames.alloc().map_err(|_| FaultError::Oom)?;
        self.frames
            .physmem()
            .copy(pte.paddr(), paddr, PAGE_SIZE as usize);
        self.frames.put(pte.paddr());
        let new = Pte::new(paddr, PteFlags::WRITE);
        self.pt.map(page, new);
        self.flush(page, page + PAGE_SIZE);
        Ok(new)
    }

    /// Extends a `GROWSDOWN` area above `page` down to it, as Linux's
    /// `expand_stack`, within the stack limit and keeping a guard gap.
    fn grow_stack(&mut self, page: u64) -> Result<(), FaultError> {
        const GUARD_GAP: u64 = 256 * PAGE_SIZE;
        let (&start, vma) = self.vmas.range(page..).next().ok_or(FaultError::MapErr)?;
        if !vma.flags.contains(crate::MapFlags::GROWSDOWN) || vma.end - page > self.stack_limit {
            return Err(FaultError::MapErr);
        }
        if let Some((_, prev)) = self.vmas.range(..page).next_back() {
            if prev.end > page.saturating_sub(GUARD_GAP) {
                return Err(FaultError::MapErr);
            }
        }
        if self
            .vmas
            .get(&start)
            .is_some_and(|v| v.flags.contains(crate::MapFlags::ACCOUNT))
            && self.may_commit((start - page) / PAGE_SIZE).is_err()
        {
            return Err(FaultError::MapErr);
        }
        let mut vma = self.vmas.remove(&start).ok_or(FaultError::MapErr)?;
        vma.offset = vma.offset.saturating_sub(start - page);
        vma.start = page;
        self.vmas.insert(page, vma);
        self.sync_commit();
        Ok(())
    }

    /// Maps the pages of a file mapping that are already in memory around a
    /// read fault at `addr` (Linux's `do_fault_around`, over an aligned
    /// window of `max_pages` pages within the VMA), read-only as a read fault
    /// maps them, so that a program's first run does not fault on every page
    /// of its code. Reads nothing from disk.
    pub fn fault_around(&mut self, addr: u64, max_pages: usize) {
        let Some(vma) = self.find_vma(addr) else {
            return;
        };
        let Some(file) = vma.file.clone() else {
            return;
        };
        if vma.prot.is_empty() {
            return;
        }
        let window = (max_pages.max(1) as u64).next_power_of_two() * PAGE_SIZE;
        let start = (addr & !(window - 1)).max(vma.start);
        let end = (addr & !(window - 1)).saturating_add(window).min(vma.end);
        let vma = vma.clone();
        for page in (start..end).step_by(PAGE_SIZE as usize) {
            let index = vma.file_index(page);
            if self.pt.lookup(page).is_some() || !file.cached(index) {
                continue;
            }
            if let Ok(paddr) = file.page(index) {
                self.pt.map(page, Pte::new(paddr, PteFlags::empty()));
            }
        }
    }

    /// Returns the pages near `addr` in its VMA that already have frames, with
    /// the host rights they may get, for fault-around: at most `max_pages`
    /// pages of the aligned window around `addr`, excluding `addr`'s own page
    /// (which `handle_fault` returns). Allocates nothing.
    pub fn mappings_around(&mut self, addr: u64, max_pages: usize) -> Vec<Mapping> {
        let page = crate::page_floor(addr);
        let mut out = self.mappings_near(addr, max_pages);
        out.retain(|m| m.vaddr != page);
        out
    }

    /// Returns the present pages of the aligned window of `max_pages` pages
    /// around `addr` (its own page included) with their host rights: what a
    /// new CPU of this address space (a forked child, a new thread) maps
    /// before it first runs at `addr`.
    pub fn mappings_near(&mut self, addr: u64, max_pages: usize) -> Vec<Mapping> {
        let Some(vma) = self.find_vma(addr) else {
            return Vec::new();
        };
        if vma.prot.is_empty() {
            return Vec::new();
        }
        let window = (max_pages.max(1) as u64).next_power_of_two() * PAGE_SIZE;
        let start = (addr & !(window - 1)).max(vma.start);
        let end = (addr & !(window - 1)).saturating_add(window).min(vma.end);
        self.pt
            .entries(start, end)
            .into_iter()
            .take(max_pages)
            .map(|(vaddr, pte)| Mapping {
                vaddr,
                paddr: pte.paddr(),
                prot: host_prot(vma, pte),
            })
            .collect()
    }
}

impl From<FaultError> for Errno {
    fn from(e: FaultError) -> Errno {
        match e {
            FaultError::Oom => Errno::ENOMEM,
            FaultError::MapErr | FaultError::AccErr | FaultError::Bus => Errno::EFAULT,
        }
    }
}
