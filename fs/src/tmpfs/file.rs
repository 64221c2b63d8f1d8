//! The data of a tmpfs regular file: a size and a sparse map of pages, each
//! a frame of guest RAM (Linux's shmem keeps file pages in its page cache).
//! Pages come into being when written, fallocated or faulted in through a
//! mapping — charged to the filesystem's `size=` limit (`ENOSPC` beyond it)
//! and taking a frame (`ENOMEM` without one, as shmem's failed page
//! allocation) — and count as Shmem in /proc/meminfo. Holes, including the
//! part of a file extended by truncate, read as zeroes and use no space.
//!
//! A mapping of the file maps these very frames (`Inode::fault_page`), so
//! read(2), write(2) and every mapping see the same bytes and nothing is
//! held twice. A page fallocated but not written yet holds no frame and
//! reads as zeroes, and lseek's `SEEK_DATA` sees it as a hole, as Linux's
//! shmem does (its page is not up to date until written, or fallocated a
//! second time).

use super::inode::MAX_FILE_SIZE;
use super::{Super, PAGE_SIZE};
use arch::{Errno, Result};
use mm::FaultError;
use std::collections::BTreeMap;

const PAGE: usize = PAGE_SIZE as usize;

/// The contents of a regular file.
pub(super) struct Pages {
    /// The allocated pages by index: their frames, or `None` for a page
    /// fallocated and not written yet.
    map: BTreeMap<u64, Option<u64>>,
    size: u64,
    /// The file's `F_SEAL_*` seals (`seals`).
    pub seals: u32,
}

impl Default for Pages {
    /// Returns an empty file, sealed against sealing.
    fn default() -> Self {
        Pages {
            map: BTreeMap::new(),
            size: 0,
            seals: super::seals::F_SEAL_SEAL,
        }
    }
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
    pub fn read(&self, offset: u64, buf: &mut [u8], sb: &Super) -> usize {
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
                Some(Some(paddr)) => sb.frames.physmem().read(paddr + within as u64, dst),
                _ => dst.fill(0),
            }
            done += chunk;
        }
        n
    }

    /// Writes at `offset`, allocating pages; short if space or memory runs
    /// out after some bytes were written, else `ENOSPC` past `size=` or
    /// `ENOMEM` without a frame; `EFBIG` at the largest file size.
    pub fn write(&mut self, offset: u64, data: &[u8], sb: &Super) -> Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        if offset >= MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let len = (data.len() as u64).min(MAX_FILE_SIZE - offset) as usize;
        let len = self.sealed_write(offset, len)?;
        let mut done = 0;
        while done < len {
            let pos = offset + done as u64;
            let within = (pos % PAGE_SIZE) as usize;
            let chunk = (PAGE - within).min(len - done);
            let paddr = match self.page_frame(pos / PAGE_SIZE, sb, false) {
                Ok(paddr) => paddr,
                Err(_) if done > 0 => break,
                Err(err) => return Err(err),
            };
            let src = &data[done..done + chunk];
            sb.frames.physmem().write(paddr + within as u64, src);
            done += chunk;
        }
        self.size = self.size.max(offset + done as u64);
        Ok(done)
    }

    /// Returns the frame of page `index`, giving it one (and charging it to
    /// `size=`, if it was not allocated) as needed: for a fault (`user`) a
    /// frame the OOM killer may be asked to free, else one that must not
    /// take RAM's last reserve.
    fn page_frame(&mut self, index: u64, sb: &Super, user: bool) -> Result<u64> {
        let fresh = match self.map.get(&index) {
            Some(Some(paddr)) => return Ok(*paddr),
            // Fallocated: already charged, and stays so on failure.
            Some(None) => false,
            None => {
                sb.alloc_page()?;
                true
            }
        };
        match sb.new_frame(user) {
            Ok(paddr) => {
                self.map.insert(index, Some(paddr));
                Ok(paddr)
            }
            Err(err) => {
                if fresh {
                    sb.free_pages(1);
                }
                Err(err)
            }
        }
    }

    /// Returns the frame of page `index` for a fault of a mapping, with a
    /// reference taken for the mapping: `Bus` beyond the end of the file or
    /// past `size=`, `Oom` without a frame (Linux's shmem_fault).
    pub fn fault_page(&mut self, index: u64, sb: &Super) -> Result<u64, FaultError> {
        let beyond = index
            .checked_mul(PAGE_SIZE)
            .is_none_or(|start| start >= self.size);
        if beyond {
            return Err(FaultError::Bus);
        }
        let paddr = self.page_frame(index, sb, true).map_err(|e| match e {
            Errno::ENOMEM => FaultError::Oom,
            _ => FaultError::Bus,
        })?;
        sb.frames.get(paddr);
        Ok(paddr)
    }

    /// Returns the frames of the pages with indexes in `[first, end)`.
    pub fn frames_in(&self, first: u64, end: u64) -> Vec<u64> {
        self.map
            .range(first..end.max(first))
            .filter_map(|(_, p)| *p)
            .collect()
    }

    /// Gives back the pages of `gone`: their frames and their space.
    fn release(gone: BTreeMap<u64, Option<u64>>, sb: &Super) {
        sb.free_pages(gone.len() as u64);
        for paddr in gone.into_values().flatten() {
            sb.put_frame(paddr);
        }
    }

    /// Gives back every page, as the inode goes.
    pub fn release_all(&mut self, sb: &Super) {
        Self::release(std::mem::take(&mut self.map), sb);
    }

    /// Zeroes `[from, to)`, which lies within one page.
    fn zero(&self, from: u64, to: u64, sb: &Super) {
        if let Some(Some(paddr)) = self.map.get(&(from / PAGE_SIZE)) {
            let at = paddr + from % PAGE_SIZE;
            sb.frames.physmem().fill(at, (to - from) as usize, 0);
        }
    }

    /// Sets the size: pages past a smaller size are freed and the rest of the
    /// last page zeroed; a larger size adds a hole.
    pub fn truncate(&mut self, size: u64, sb: &Super) {
        if size < self.size {
            let gone = self.map.split_off(&size.div_ceil(PAGE_SIZE));
            Self::release(gone, sb);
            if !size.is_multiple_of(PAGE_SIZE) {
                self.zero(size, size.next_multiple_of(PAGE_SIZE), sb);
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
        let undo = |map: &mut BTreeMap<u64, Option<u64>>, added: &[u64]| {
            for index in added {
                map.remove(index);
            }
            sb.free_pages(added.len() as u64);
        };
        for index in first..last {
            match self.map.get(&index) {
                None => {
                    if let Err(err) = sb.alloc_page() {
                        undo(&mut self.map, &added);
                        return Err(err);
                    }
                    self.map.insert(index, None);
                    added.push(index);
                }
                // A page fallocated by an earlier call is zeroed now and
                // becomes data, as shmem does, so that undoing a failure of
                // this call cannot take back what that one gave.
                Some(None) => match sb.new_frame(false) {
                    Ok(paddr) => {
                        self.map.insert(index, Some(paddr));
                    }
                    Err(err) => {
                        undo(&mut self.map, &added);
                        return Err(err);
                    }
                },
                Some(Some(_)) => {}
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
            Self::release(gone, sb);
        }
        if offset / PAGE_SIZE == (end - 1) / PAGE_SIZE {
            self.zero(offset, end, sb);
        } else {
            self.zero(offset, (offset / PAGE_SIZE + 1) * PAGE_SIZE, sb);
            self.zero(end - (end - 1) % PAGE_SIZE - 1, end, sb);
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
