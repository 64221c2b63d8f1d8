//! msync(2) (Linux's mm/msync.c): writes back what shared file mappings of a
//! range wrote. `MS_ASYNC` writes back at once too (there is no flusher
//! thread); `MS_INVALIDATE` has nothing to do, as every shared mapping maps the
//! page cache itself, but is refused on locked areas as Linux does.

use arch::{Errno, Result};

use crate::{MapFlags, Mm};

/// `MS_ASYNC`: schedule the write-back.
pub const MS_ASYNC: u32 = 1;
/// `MS_INVALIDATE`: make other mappings see the file's data.
pub const MS_INVALIDATE: u32 = 2;
/// `MS_SYNC`: write back and wait.
pub const MS_SYNC: u32 = 4;

impl Mm {
    /// Writes back the shared file mappings of `[addr, addr + len)`, as
    /// msync(2): `EINVAL` for an unaligned address or bad flags, `ENOMEM` if
    /// part of the range is unmapped (the mapped parts are still written
    /// back), `EBUSY` for `MS_INVALIDATE` on a locked area, and the first
    /// write-back error.
    pub fn msync(&mut self, addr: u64, len: u64, flags: u32) -> Result<()> {
        if flags & !(MS_ASYNC | MS_INVALIDATE | MS_SYNC) != 0
            || flags & (MS_ASYNC | MS_SYNC) == MS_ASYNC | MS_SYNC
            || !crate::is_page_aligned(addr)
        {
            return Err(Errno::EINVAL);
        }
        let len = crate::page_ceil(len).ok_or(Errno::ENOMEM)?;
        let end = addr.checked_add(len).ok_or(Errno::ENOMEM)?;
        if addr == end {
            return Ok(());
        }
        let mut at = addr;
        let mut unmapped = false;
        let mut result = Ok(());
        for vma in self.vmas.values() {
            if vma.end <= at {
                continue;
            }
            if vma.start >= end {
                break;
            }
            if vma.start > at {
                unmapped = true;
            }
            if flags & MS_INVALIDATE != 0 && vma.flags.contains(MapFlags::LOCKED) {
                return Err(Errno::EBUSY);
            }
            let (from, to) = (vma.start.max(at), vma.end.min(end));
            if let Some(file) = vma.written_back_file() {
                let r = file.write_back(vma.file_index(from), vma.file_index(to));
                result = result.and(r);
            }
            at = to;
        }
        result?;
        if unmapped || at < end {
            return Err(Errno::ENOMEM);
        }
        Ok(())
    }
}
