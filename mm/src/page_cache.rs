//! The page cache of one file (Linux's `address_space`): page index → frame
//! of guest RAM, with a dirty bit per page. The cache holds one reference to
//! each of its frames; every page-table entry that maps one holds another, so
//! a frame outlives its removal from the cache until the last mapping goes.
//!
//! Shared mappings map the cached frames themselves, private mappings map
//! them read-only until a write copies them, and read(2)/write(2) go through
//! them (`read`, `update`), so that all of these agree. Pages become dirty when
//! a shared mapping may write them, and `write_back` copies them to the file
//! through `PageIo`, which the kernel implements over an inode.

use arch::sync::{Mutex, MutexGuard};
use std::collections::BTreeMap;
use std::sync::Arc;

use arch::Result;

use crate::{FaultError, FrameAllocator, PAGE_SIZE};

/// The file under a page cache.
pub trait PageIo {
    /// Reads up to `buf.len()` bytes at `offset`; returns how many (0 at end of
    /// file; holes read as zeroes).
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize>;

    /// Writes `data` at `offset`; returns how many bytes were written.
    fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize>;

    /// Returns the size of the file in bytes.
    fn size(&self) -> Result<u64>;
}

#[derive(Clone, Copy)]
struct CachedPage {
    paddr: u64,
    dirty: bool,
}

/// The cached pages of one file.
pub struct PageCache {
    frames: Arc<FrameAllocator>,
    pages: Mutex<BTreeMap<u64, CachedPage>>,
    /// Shared anonymous memory: its frames count as Shmem.
    shmem: bool,
}

/// How many pages a read of a page not cached brings in: the aligned window
/// around it (Linux reads 32 around an mmap fault; this is the fault-around
/// window, which maps them).
pub const READ_AROUND: u64 = 16;

/// Returns the byte offset of page `index`, or `None` past the largest offset.
fn page_offset(index: u64) -> Option<u64> {
    index.checked_mul(PAGE_SIZE)
}

impl PageCache {
    /// Creates an empty cache whose frames come from `frames`.
    pub fn new(frames: Arc<FrameAllocator>) -> PageCache {
        PageCache {
            frames,
            pages: Mutex::new(BTreeMap::new()),
            shmem: false,
        }
    }

    /// Creates an empty cache of shared anonymous memory (`get_zeroed`),
    /// whose frames count as Shmem.
    pub(crate) fn new_shmem(frames: Arc<FrameAllocator>) -> PageCache {
        PageCache {
            frames,
            pages: Mutex::new(BTreeMap::new()),
            shmem: true,
        }
    }

    fn lock(&self) -> MutexGuard<'_, BTreeMap<u64, CachedPage>> {
        // Every update is a single map operation: a poisoned lock is consistent.
        self.pages.lock()
    }

    /// Returns the frame of page `index`, read from `file` if it is not cached,
    /// with a reference taken for the caller. `Bus` for a page wholly beyond end
    /// of file or a failed read, `Oom` without a free frame.
    ///
    /// A miss reads the aligned window of `READ_AROUND` pages around the page
    /// in one read (Linux's mmap read-around), less the pages already cached
    /// at its ends, and caches the neighbours too
    /// while guest RAM is plentiful, so that a program's first run faults
    /// and reads once per window instead of once per page (fault-around then
    /// maps them).
    pub fn get(&self, file: &dyn PageIo, index: u64) -> Result<u64, FaultError> {
        if let Some(p) = self.lock().get(&index) {
            self.frames.get(p.paddr);
            return Ok(p.paddr);
        }
        let offset = page_offset(index).ok_or(FaultError::Bus)?;
        let size = file.size().map_err(|_| FaultError::Bus)?;
        if offset >= size {
            return Err(FaultError::Bus);
        }
        let first = index & !(READ_AROUND - 1);
        let around = self.uncached_run(
            index,
            first..(first + READ_AROUND).min(size.div_ceil(PAGE_SIZE)),
        );
        let window = if self.frames.spare(around.end - around.start) {
            around
        } else {
            index..index + 1
        };
        let base = window.start * PAGE_SIZE;
        let mut buf = vec![0u8; ((size - base).min(window.end * PAGE_SIZE - base)) as usize];
        let mut done = 0;
        while done < buf.len() {
            match file.read_at(base + done as u64, &mut buf[done..]) {
                Ok(0) => break,
                Ok(n) => done += n.min(buf.len() - done),
                Err(e) => {
                    log::debug!("mm: page cache read at {base:#x} failed: {e}");
                    return Err(FaultError::Bus);
                }
            }
        }
        let mut paddr = None;
        for i in window {
            let at = ((i - base / PAGE_SIZE) * PAGE_SIZE) as usize;
            // A neighbour the read did not reach is not cached (the file
            // shrank meanwhile); the page asked for reads as zeroes there.
            if i != index && at >= done {
                break;
            }
            let data = &buf[at.min(done)..(at + PAGE_SIZE as usize).min(done)];
            match self.insert_read(i, data, i == index) {
                Ok(p) if i == index => paddr = Some(p),
                Ok(_) => {}
                Err(e) if i == index => return Err(e),
                Err(_) => break,
            }
        }
        let paddr = paddr.ok_or(FaultError::Oom)?;
        self.frames.get(paddr);
        Ok(paddr)
    }

    /// Returns the pages of `within` around `index` (not cached) that no
    /// cached page separates from it: what a read-around reads.
    fn uncached_run(&self, index: u64, within: std::ops::Range<u64>) -> std::ops::Range<u64> {
        let pages = self.lock();
        let start = (within.start..index)
            .rev()
            .find(|i| pages.contains_key(i))
            .map_or(within.start, |i| i + 1);
        let end = (index + 1..within.end)
            .find(|i| pages.contains_key(i))
            .unwrap_or(within.end);
        start..end
    }

    /// Caches page `index` with contents `data` (zeroes after) unless it is
    /// cached already, and returns its frame. A neighbour of a read-around
    /// (not `needed`) takes a frame only while RAM is plentiful.
    fn insert_read(&self, index: u64, data: &[u8], needed: bool) -> Result<u64, FaultError> {
        if let Some(p) = self.lock().get(&index) {
            return Ok(p.paddr);
        }
        // Without the cache's lock: the allocator may shrink this very cache.
        let paddr = if needed {
            self.frames.alloc().map_err(|_| FaultError::Oom)?
        } else {
            self.frames.alloc_spare().ok_or(FaultError::Oom)?
        };
        self.frames.physmem().write(paddr, data);
        let mut pages = self.lock();
        Ok(match pages.get(&index) {
            // Cached meanwhile by another reader: that copy is the page.
            Some(p) => {
                self.frames.put(paddr);
                p.paddr
            }
            None => {
                let page = CachedPage {
                    paddr,
                    dirty: false,
                };
                pages.insert(index, page);
                paddr
            }
        })
    }

    /// Returns the frame of page `index`, a zeroed one if it is not cached yet
    /// (anonymous shared memory), with a reference taken for the caller.
    pub fn get_zeroed(&self, index: u64) -> Result<u64, FaultError> {
        let mut pages = self.lock();
        let paddr = match pages.get(&index) {
            Some(p) => p.paddr,
            None => {
                let paddr = self.frames.alloc().map_err(|_| FaultError::Oom)?;
                // Dirty for good: there is no file to read it back from.
                pages.insert(index, CachedPage { paddr, dirty: true });
                if self.shmem {
                    self.frames.account_shmem(1);
                }
                paddr
            }
        };
        self.frames.get(paddr);
        Ok(paddr)
    }

    /// Marks page `index` dirty, if it is cached.
    pub fn set_dirty(&self, index: u64) {
        if let Some(p) = self.lock().get_mut(&index) {
            p.dirty = true;
        }
    }

    /// Reads the file at `offset` as read(2) sees it: cached pages from their
    /// frames, the others from `file`; never past its end.
    pub fn read(&self, file: &dyn PageIo, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let pages = self.lock();
        let size = file.size()?;
        if offset >= size {
            return Ok(0);
        }
        let len = (size - offset).min(buf.len() as u64) as usize;
        let mut done = 0;
        while done < len {
            let at = offset + done as u64;
            let chunk = ((PAGE_SIZE - at % PAGE_SIZE) as usize).min(len - done);
            let part = &mut buf[done..done + chunk];
            match pages.get(&(at / PAGE_SIZE)) {
                Some(p) => self.frames.physmem().read(p.paddr + at % PAGE_SIZE, part),
                None => {
                    let n = file.read_at(at, part)?;
                    if n < chunk {
                        return Ok(done + n);
                    }
                }
            }
            done += chunk;
        }
        Ok(len)
    }

    /// Copies `data`, just written to the file at `offset`, into the cached
    /// pages it covers.
    pub fn update(&self, offset: u64, data: &[u8]) {
        let pages = self.lock();
        let mut done = 0;
        while done < data.len() {
            let Some(at) = offset.checked_add(done as u64) else {
                return;
            };
            let chunk = ((PAGE_SIZE - at % PAGE_SIZE) as usize).min(data.len() - done);
            if let Some(p) = pages.get(&(at / PAGE_SIZE)) {
                let part = &data[done..done + chunk];
                self.frames.physmem().write(p.paddr + at % PAGE_SIZE, part);
            }
            done += chunk;
        }
    }

    /// Zeroes the cached bytes of `[start, end)`: bytes the file does not have
    /// (past its end) or reads as zeroes (a gap a grown file left, a hole).
    pub fn zero(&self, start: u64, end: u64) {
        if start >= end {
            return;
        }
        let pages = self.lock();
        for (&index, p) in pages.range(start / PAGE_SIZE..=(end - 1) / PAGE_SIZE) {
            let Some(page) = page_offset(index) else {
                break;
            };
            let from = start.max(page);
            let to = end.min(page.saturating_add(PAGE_SIZE));
            self.frames
                .physmem()
                .fill(p.paddr + from - page, (to - from) as usize, 0);
        }
    }

    /// Drops the pages wholly at or beyond `size` and zeroes the rest of the
    /// page that holds it, for a truncate to `size` bytes.
    pub fn truncate(&self, size: u64) {
        let first = size.div_ceil(PAGE_SIZE);
        let gone = self.lock().split_off(&first);
        for p in gone.values() {
            self.frames.put(p.paddr);
        }
        self.zero(size, first.saturating_mul(PAGE_SIZE));
    }

    /// Returns the frames of the cached pages with indexes in `[first, end)`.
    pub fn frames_in(&self, first: u64, end: u64) -> Vec<u64> {
        self.lock()
            .range(first..end.max(first))
            .map(|(_, p)| p.paddr)
            .collect()
    }

    /// Drops the pages with indexes in `[first, end)`, dirty or not, without
    /// writing them back: the file's bytes there changed under them.
    pub fn invalidate(&self, first: u64, end: u64) {
        let mut pages = self.lock();
        let mut gone = pages.split_off(&first);
        pages.append(&mut gone.split_off(&end.max(first)));
        drop(pages);
        for p in gone.values() {
            self.frames.put(p.paddr);
        }
    }

    /// Writes the dirty pages with indexes in `[first, end)` back to `file`, no
    /// byte past its end; with `clean`, they are clean afterwards. A page that
    /// cannot be written stays dirty, and the first error is returned.
    pub fn write_back(&self, file: &dyn PageIo, first: u64, end: u64, clean: bool) -> Result<()> {
        let mut pages = self.lock();
        let size = file.size()?;
        let mut result = Ok(());
        let mut buf = vec![0u8; PAGE_SIZE as usize];
        for (&index, page) in pages.range_mut(first..end.max(first)) {
            if !page.dirty {
                continue;
            }
            let Some(offset) = page_offset(index).filter(|&o| o < size) else {
                // Past the end: nothing of it belongs to the file.
                page.dirty &= !clean;
                continue;
            };
            let len = (size - offset).min(PAGE_SIZE) as usize;
            self.frames.physmem().read(page.paddr, &mut buf[..len]);
            match write_all(file, offset, &buf[..len]) {
                Ok(()) => page.dirty &= !clean,
                Err(e) => {
                    log::warn!("mm: write-back at {offset:#x} failed: {e}");
                    result = result.and(Err(e));
                }
            }
        }
        result
    }

    /// Returns whether page `index` is cached.
    pub fn cached(&self, index: u64) -> bool {
        self.pages.lock().contains_key(&index)
    }

    /// Returns whether a page is dirty.
    pub fn is_dirty(&self) -> bool {
        self.lock().values().any(|p| p.dirty)
    }

    /// Returns the number of cached pages.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Returns whether no page is cached.
    pub fn is_empty(&self) -> bool {
        self.lock().is_empty()
    }

    /// Drops the clean pages nothing maps (the cache holds the only reference)
    /// and returns how many frames that freed; frees nothing if the cache is in
    /// use by the caller.
    pub fn shrink(&self) -> u64 {
        let Some(mut pages) = self.pages.try_lock() else {
            return 0;
        };
        let idle: Vec<u64> = pages
            .iter()
            .filter(|(_, p)| !p.dirty && self.frames.refcount(p.paddr) == 1)
            .map(|(&i, _)| i)
            .collect();
        for index in &idle {
            if let Some(p) = pages.remove(index) {
                self.frames.put(p.paddr);
            }
        }
        idle.len() as u64
    }
}

/// Writes all of `data` at `offset`, going on after short writes.
fn write_all(file: &dyn PageIo, offset: u64, data: &[u8]) -> Result<()> {
    let mut done = 0;
    while done < data.len() {
        match file.write_at(offset + done as u64, &data[done..])? {
            0 => return Err(arch::Errno::EIO),
            n => done += n,
        }
    }
    Ok(())
}

impl Drop for PageCache {
    fn drop(&mut self) {
        let pages = std::mem::take(self.pages.get_mut());
        if self.shmem {
            self.frames.account_shmem(-(pages.len() as i64));
        }
        for p in pages.values() {
            self.frames.put(p.paddr);
        }
    }
}
