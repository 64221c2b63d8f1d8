//! The data of a tmpfs regular file: a size and a sparse map of 4 KiB pages.
//! Pages come into being when written (charged to the filesystem's `size=`
//! limit, `ENOSPC` beyond it); holes, including the part of a file extended by
//! truncate, read as zeroes and use no space.

use super::inode::MAX_FILE_SIZE;
use super::{Super, PAGE_SIZE};
use arch::{Errno, Result};
use std::collections::btree_map::Entry;
use std::collections::BTreeMap;

const PAGE: usize = PAGE_SIZE as usize;

/// The contents of a regular file.
#[derive(Default)]
pub(super) struct Pages {
    map: BTreeMap<u64, Box<[u8]>>,
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
                Some(page) => dst.copy_from_slice(&page[within..within + chunk]),
                None => dst.fill(0),
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
                    Ok(()) => e.insert(vec![0u8; PAGE].into_boxed_slice()),
                    Err(_) if done > 0 => break,
                    Err(err) => return Err(err),
                },
            };
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
                if let Some(page) = self.map.get_mut(&(size / PAGE_SIZE)) {
                    page[within..].fill(0);
                }
            }
        }
        self.size = size;
    }
}
