//! mremap(2) (Linux's mm/mremap.c): shrinks a mapping in place, grows it in
//! place when the pages above are free, or moves it. A move carries the page
//! table entries to the new address; the frames themselves stay where they are.

use arch::{Errno, Result};

use crate::{Mm, PAGE_SIZE};

/// `MREMAP_MAYMOVE`: the mapping may move if it cannot grow in place.
pub const MREMAP_MAYMOVE: u32 = 1;
/// `MREMAP_FIXED`: move the mapping to `new_addr`, replacing what is there.
pub const MREMAP_FIXED: u32 = 2;
/// `MREMAP_DONTUNMAP`: move the pages but leave the old range mapped, empty.
pub const MREMAP_DONTUNMAP: u32 = 4;

impl Mm {
    /// Resizes or moves the mapping at `old`, as mremap(2); returns its
    /// address. Growth of a charged area is charged first (`ENOMEM` when
    /// `vm.overcommit_memory` refuses it).
    pub fn mremap(
        &mut self,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: u32,
        new_addr: u64,
    ) -> Result<u64> {
        let result = self.do_mremap(old, old_len, new_len, flags, new_addr);
        self.sync_commit();
        result
    }

    fn do_mremap(
        &mut self,
        old: u64,
        old_len: u64,
        new_len: u64,
        flags: u32,
        new_addr: u64,
    ) -> Result<u64> {
        let may_move = flags & MREMAP_MAYMOVE != 0;
        let fixed = flags & MREMAP_FIXED != 0;
        let dont_unmap = flags & MREMAP_DONTUNMAP != 0;
        if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
            || !crate::is_page_aligned(old)
            || ((fixed || dont_unmap) && !may_move)
        {
            return Err(Errno::EINVAL);
        }
        let old_len = crate::page_ceil(old_len).ok_or(Errno::EINVAL)?;
        let new_len = crate::page_ceil(new_len).ok_or(Errno::EINVAL)?;
        if new_len == 0 || old_len == 0 || (dont_unmap && old_len != new_len) {
            return Err(Errno::EINVAL);
        }
        if old > self.task_size || old_len > self.task_size - old {
            return Err(Errno::EINVAL);
        }
        // No mapping can be larger than the address space (EINVAL, as Linux
        // 6.x checks the parameters). Checked first so that no `old + new_len`
        // below can wrap.
        if new_len > self.task_size {
            return Err(Errno::EINVAL);
        }
        let vma = self.find_vma(old).ok_or(Errno::EFAULT)?;
        if old_len > vma.end - old {
            return Err(Errno::EFAULT);
        }
        let vma_end = vma.end;
        let (prot, vma_flags) = (vma.prot, vma.flags);
        // Growth meets RLIMIT_AS and RLIMIT_DATA (Linux's vma_to_resize).
        if new_len > old_len && !self.may_expand(prot, vma_flags, (new_len - old_len) / PAGE_SIZE) {
            return Err(Errno::ENOMEM);
        }
        if new_len > old_len && vma_flags.contains(crate::MapFlags::ACCOUNT) {
            self.may_commit((new_len - old_len) / PAGE_SIZE)?;
        }
        if fixed {
            if !crate::is_page_aligned(new_addr)
                || new_addr > self.task_size
                || new_len > self.task_size - new_addr
                || (new_addr < old + old_len && old < new_addr + new_len)
            {
                return Err(Errno::EINVAL);
            }
            self.unmap_range(new_addr, new_addr + new_len);
            return Ok(self.move_mapping(old, old_len, new_addr, new_len, dont_unmap));
        }
        if new_len <= old_len && !dont_unmap {
            self.unmap_range(old + new_len, old + old_len);
            return Ok(old);
        }
        let grow_end = old + new_len;
        if !dont_unmap
            && old + old_len == vma_end
            && grow_end <= self.task_size
            && self.is_free(vma_end, grow_end)
        {
            self.split_at(old);
            if let Some(vma) = self.vmas.get_mut(&old) {
                vma.end = grow_end;
            }
            self.merge_at(grow_end);
            self.merge_at(old);
            return Ok(old);
        }
        if !may_move {
            return Err(Errno::ENOMEM);
        }
        let to = self.unmapped_area(0, new_len)?;
        Ok(self.move_mapping(old, old_len, to, new_len, dont_unmap))
    }

    /// Moves `[old, old + old_len)`, which lies in one VMA, to a free range at
    /// `to` of `new_len` bytes; returns `to`. The part beyond `old_len` of a
    /// grown mapping is new, as if it had been mapped with the area.
    fn move_mapping(&mut self, old: u64, old_len: u64, to: u64, new_len: u64, keep: bool) -> u64 {
        let keep_len = old_len.min(new_len);
        if new_len < old_len {
            self.unmap_range(old + new_len, old + old_len);
        }
        self.split_at(old);
        self.split_at(old + keep_len);
        let Some(area) = self.vmas.get(&old) else {
            return to;
        };
        let mut moved = area.clone();
        moved.start = to;
        moved.end = to + new_len;
        for (vaddr, pte) in self.pt.entries(old, old + keep_len) {
            self.pt.unmap(vaddr);
            self.pt.map(to + (vaddr - old), pte);
            self.flush(vaddr, vaddr + PAGE_SIZE);
        }
        if !keep {
            self.vmas.remove(&old);
        } else {
            self.merge_at(old + keep_len);
            self.merge_at(old);
        }
        self.insert_vma(moved);
        to
    }
}
