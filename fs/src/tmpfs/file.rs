//! The data of a tmpfs regular file: a size and a sparse map of 4 KiB pages.
//! Pages come into being when written or fallocated (charged to the
//! filesystem's `size=` limit, `ENOSPC` beyond it); holes, including the part
//! of a file extended by truncate, read as zeroes and use no space. A page
//! fallocated but not written yet holds no memory and reads as zeroes, and
//! lseek's `SEEK_DATA` sees it as a hole, as Linux's shmem does (its page is
//! not up to date until written, or fallocated a second time).

use super::inode::MAX_FILE_SIZE;
use super::{Super, PAGE_SIZE};
use arch::{Errno, Result};
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

const PAGE: usize = PAGE_SIZE as usize;

/// The contents of a regular file.
#[derive(Default)]
pub(super) struct Pages {
    /// The allocated pages by index: their bytes, or `None` for a page
    /// fallocated and not written yet.
    map: BTreeMap<u64, Option<Box<[u8]>>>,
    size: u64,
}

impl Pages {
    /// Returns the file size.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Returns how many pages are allocated.
    pub fn pages(&self) -> u64 {
        self.map.len() as u64
    }

    /// Reads at `offset`; short at end of file.
    pub fn read(&self, offset: u64, buf: &mut [u8]) -> usize {
        if offset >= self.size {
            return 0;
        }
        let n = buf
            .len()
            .min((self.size - offset).min(usize::MAX as u64) as usize);
        let mut done = 0;
        while done < n {
            let pos = offset + done as u64;
            let within = (pos % PAGE_SIZE) as usize;
            let chunk = (PAGE - within).min(n - done);
            let dst = &mut buf[done..done + chunk];
            match self.map.get(&(pos / PAGE_SIZE)) {
                Some(Some(page)) => dst.copy_from_slice(&page[within..within + chunk]),
                _ => dst.fill(0),
            }
            done += chunk;
        }
        n
    }

    /// Writes at `offset`, allocating pages; short if the filesystem fills up
    /// after some bytes were written, `ENOSPC` if none were, `EFBIG` at the
    /// largest file size.
    pub fn write(&mut self, offset: u64, data: &[u8], sb: &Super) -> Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        if offset >= MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let len = (data.len() as u64).min(MAX_FILE_SIZE - offset) as usize;
        let mut done = 0;
        while done < len {
            let pos = offset + done as u64;
            let within = (pos % PAGE_SIZE) as usize;
            let chunk = (PAGE - within).min(len - done);
            let page = match self.map.entry(pos / PAGE_SIZE) {
                Entry::Occupied(e) => e.into_mut(),
                Entry::Vacant(e) => match sb.alloc_page() {
                    Ok(()) => e.insert(None),
                    Err(_) if done > 0 => break,
                    Err(err) => return Err(err),
                },
            };
            let page = page.get_or_insert_with(|| vec![0u8; PAGE].into_boxed_slice());
            page[within..within + chunk].copy_from_slice(&data[done..done + chunk]);
            done += chunk;
        }
        self.size = self.size.max(offset + done as u64);
        Ok(done)
    }

    /// Sets the size: pages past a smaller size are freed and the rest of the
    /// last page zeroed; a larger size adds a hole.
    pub fn truncate(&mut self, size: u64, sb: &Super) {
        if size < self.size {
            let gone = self.map.split_off(&size.div_ceil(PAGE_SIZE));
            sb.free_pages(gone.len() as u64);
            let within = (size % PAGE_SIZE) as usize;
            if within != 0 {
                if let Some(Some(page)) = self.map.get_mut(&(size / PAGE_SIZE)) {
                    page[within..].fill(0);
                }
            }
        }
        self.size = size;
    }

    /// Allocates the pages of `[offset, end)` that are missing (fallocate(2));
    /// the file grows to `end` unless `keep_size`. Out of space, it gives
    /// back the pages it took and fails with `ENOSPC`, as Linux's shmem does.
    pub fn allocate(&mut self, offset: u64, end: u64, keep_size: bool, sb: &Super) -> Result<()> {
        let (first, last) = (offset / PAGE_SIZE, end.div_ceil(PAGE_SIZE));
        if last - first > sb.max_pages {
            return Err(Errno::ENOSPC);
        }
        let mut added = Vec::new();
        for index in first..last {
            match self.map.entry(index) {
                Entry::Vacant(e) => {
                    if let Err(err) = sb.alloc_page() {
                        for index in &added {
                            self.map.remove(index);
                        }
                        sb.free_pages(added.len() as u64);
                        return Err(err);
                    }
                    e.insert(None);
                    added.push(index);
                }
                // A page fallocated by an earlier call is zeroed now and
                // becomes data, as shmem does, so that undoing a failure of
                // this call cannot take back what that one gave.
                Entry::Occupied(mut e) => {
                    e.get_mut()
                        .get_or_insert_with(|| vec![0u8; PAGE].into_boxed_slice());
                }
            }
        }
        if !keep_size {
            self.size = self.size.max(end);
        }
        Ok(())
    }

    /// Frees the pages wholly inside `[offset, end)` and zeroes the rest of
    /// the range (fallocate(2)'s `PUNCH_HOLE`); pages past the end of the
    /// file go too.
    pub fn punch_hole(&mut self, offset: u64, end: u64, sb: &Super) {
        let (first, last) = (offset.div_ceil(PAGE_SIZE), end / PAGE_SIZE);
        if first < last {
            let mut gone = self.map.split_off(&first);
            self.map.append(&mut gone.split_off(&last));
            sb.free_pages(gone.len() as u64);
        }
        let mut zero = |from: u64, to: u64| {
            if let Some(Some(page)) = self.map.get_mut(&(from / PAGE_SIZE)) {
                let at = (from % PAGE_SIZE) as usize;
                page[at..at + (to - from) as usize].fill(0);
            }
        };
        if offset / PAGE_SIZE == (end - 1) / PAGE_SIZE {
            zero(offset, end);
        } else {
            zero(offset, (offset / PAGE_SIZE + 1) * PAGE_SIZE);
            zero(end - (end - 1) % PAGE_SIZE - 1, end);
        }
    }

    /// Returns where the first page with data (or, with `hole`, the first
    /// hole) at or after `offset` starts, for lseek(2); `ENXIO` when no data
    /// follows or `offset` is at or past the end.
    pub fn seek_data(&self, offset: u64, hole: bool) -> Result<u64> {
        if offset >= self.size {
            return Err(Errno::ENXIO);
        }
        let first = offset / PAGE_SIZE;
        let index = if hole {
            // The end of the run of written pages from `first`.
            let mut index = first;
            for (&i, page) in self.map.range(first..) {
                if i != index || page.is_none() {
                    break;
                }
                index += 1;
            }
            index
        } else {
            let data = self.map.range(first..).find(|(_, page)| page.is_some());
            *data.ok_or(Errno::ENXIO)?.0
        };
        let at = index.saturating_mul(PAGE_SIZE).max(offset);
        match hole {
            true => Ok(at.min(self.size)),
            false if at < self.size => Ok(at),
            false => Err(Errno::ENXIO),
        }
    }
}
