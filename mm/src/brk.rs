//! brk(2): the program break and the `[heap]` area below it. The heap is an
//! anonymous private read-write area from the brk base (set after the ELF image
//! is loaded) to the page-aligned break; it grows only into free space.

use crate::{MapFlags, Mm, Prot, VmArea, VmaName};

impl Mm {
    /// Sets the start of the brk area (rounded up to a page) and the break to it.
    pub fn set_brk_base(&mut self, start: u64) {
        let base = crate::page_ceil(start).unwrap_or(self.task_size);
        self.brk_start = base;
        self.brk = base;
    }

    /// Returns the start of the brk area (`start_brk` in /proc/PID/stat).
    pub fn brk_base(&self) -> u64 {
        self.brk_start
    }

    /// Moves the program break to `new`, as Linux's brk(2): returns the new
    /// break, or the old one if `new` is below the brk base, the heap and
    /// the data segment would pass RLIMIT_DATA, or the heap cannot grow there
    /// (another mapping is in the way, user space ends, RLIMIT_AS,
    /// RLIMIT_MEMLOCK under `mlockall(MCL_FUTURE)`).
    pub fn brk(&mut self, new: u64) -> u64 {
        if new < self.brk_start || new > self.task_size {
            return self.brk;
        }
        // Linux's check_data_rlimit: the heap plus the program's data.
        let data = self.layout.end_data.saturating_sub(self.layout.start_data);
        if (new - self.brk_start).saturating_add(data) > self.limits.data.0 {
            return self.brk;
        }
        let (Some(old_end), Some(new_end)) = (crate::page_ceil(self.brk), crate::page_ceil(new))
        else {
            return self.brk;
        };
        if new_end < old_end {
            self.unmap_range(new_end, old_end);
        } else if new_end > old_end {
            let pages = (new_end - old_end) / crate::PAGE_SIZE;
            let prot = Prot::READ | Prot::WRITE;
            let mut flags = MapFlags::PRIVATE;
            if self.locks_new_mappings() {
                flags |= MapFlags::LOCKED;
                if !self.may_lock(pages) {
                    return self.brk;
                }
            }
            if !self.is_free(old_end, new_end)
                || !self.may_expand(prot, flags, pages)
                || self.may_commit(pages).is_err()
            {
                return self.brk;
            }
            flags |= MapFlags::ACCOUNT;
            self.insert_vma(VmArea {
                start: old_end,
                end: new_end,
                prot,
                flags,
                file: None,
                offset: 0,
                name: VmaName::Heap,
            });
            self.sync_commit();
        }
        if self.locks_new_mappings() && new_end > old_end {
            self.populate(old_end, new_end, true);
        }
        self.brk = new;
        new
    }
}
