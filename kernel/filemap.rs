//! The page cache of regular files (Linux's mm/filemap.c): while an inode is
//! memory-mapped it has a `FileCache`, an `mm::PageCache` of frames of guest
//! RAM over the inode, attached to the inode (`fs::address_space`) so that
//! read(2), write(2) and truncate go through it. Every mmap of the inode gets
//! an `InodeMapping` over the same cache: shared mappings, in any process, map
//! its frames, and private ones map them read-only until they copy.
//!
//! Dirty pages go back to the inode on msync, fsync, sync, munmap, at the
//! teardown of an address space and at shutdown. A page stays dirty after a
//! write-back while a shared mapping of the inode exists, as the mapping may
//! still write it without a fault; when the last shared mapping goes it is
//! written back once more and cleaned. When the last mapping of any kind
//! goes, the clean cache of a file only the VFS changes (ext4's) stays with
//! its inode, as Linux keeps it, so that the next run of a program finds its
//! pages; another's (hostfs's, which the host may change) is detached and
//! its frames freed. Clean pages nothing maps are given back when RAM runs
//! out (`CacheShrinker`), and a cache goes with its inode: it holds the
//! inode only weakly, and mappings hold it.
//!
//! A tmpfs file keeps its data in frames itself: its mappings map those
//! frames (`fs::tmpfs::Inode::fault_page`) and its cache stays empty, kept
//! only to count the mappings and to drop them when the file shrinks or a
//! hole is punched.

use crate::task;
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::address_space::{self, AddressSpace, InodeKey};
use fs::Inode;
use mm::{FaultError, MappedFile, PageCache, PageIo, Prot, Shrinker, PAGE_SIZE};
use std::any::Any;
use std::collections::HashSet;
use std::ops::Range;
use std::sync::{Arc, Weak};

/// The inode under a cache, as the cache reads and writes it.
struct Io(Arc<dyn Inode>);

impl PageIo for Io {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.0.read_at(offset, buf)
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize> {
        self.0.write_at(offset, data)
    }

    fn size(&self) -> Result<u64> {
        Ok(self.0.stat()?.size)
    }
}

/// How many mmaps of the inode exist: all of them, and the shared ones.
#[derive(Default)]
struct MapCount {
    all: usize,
    shared: usize,
    /// Shared mappings that may write (Linux's `i_mmap_writable`).
    writable: usize,
}

/// The page cache of one inode.
pub struct FileCache {
    key: InodeKey,
    /// The inode holds its cache, not the other way round: the inode lives
    /// while it is open, named in the dentry cache, or mapped.
    inode: Weak<dyn Inode>,
    /// Whether the cache stays after the last mapping (`keeps_page_cache`).
    keep: bool,
    pages: PageCache,
    maps: KernelCell<MapCount>,
}

/// Returns `offset` rounded up to a page boundary.
fn page_end(offset: u64) -> u64 {
    offset.div_ceil(PAGE_SIZE).saturating_mul(PAGE_SIZE)
}

impl FileCache {
    /// Returns the inode; whoever reaches the cache holds it (through the
    /// inode itself or a mapping), so it is there.
    fn io(&self) -> Result<Io> {
        self.inode.upgrade().map(Io).ok_or(Errno::EIO)
    }

    /// Returns the frame of page `index` with a reference for the caller.
    fn page(&self, index: u64) -> Result<u64, FaultError> {
        let io = self.io().map_err(|_| FaultError::Bus)?;
        match io.0.shmem() {
            Some(tmpfs) => tmpfs.fault_page(index),
            None => self.pages.get(&io, index),
        }
    }

    /// Writes back the dirty pages with indexes in `[first, end)`; they are
    /// clean afterwards only if no shared mapping can write them any more.
    /// Returns whether page `index` is in memory: a tmpfs file's allocated
    /// page, or another file's cached one.
    fn cached(&self, index: u64) -> bool {
        let Ok(io) = self.io() else {
            return false;
        };
        match io.0.shmem() {
            Some(tmpfs) => !tmpfs.frames_in(index, index + 1).is_empty(),
            None => self.pages.cached(index),
        }
    }

    fn write_back_range(&self, first: u64, end: u64) -> Result<()> {
        let clean = self.maps.borrow().shared == 0;
        self.pages.write_back(&self.io()?, first, end, clean)
    }

    /// Detaches the cache from its inode if nothing maps it and nothing in it
    /// is dirty, unless it is kept (`keep`); its frames are freed with the
    /// last reference.
    fn detach_if_unused(&self) {
        if self.keep || self.maps.borrow().all != 0 || self.pages.is_dirty() {
            return;
        }
        if let Some(inode) = self.inode.upgrade() {
            address_space::detach(inode.as_ref(), self);
        }
    }

    /// Notes that an mmap of the inode is gone.
    fn unmapped(&self, shared: bool, writable: bool) {
        let last_shared = {
            let mut maps = self.maps.borrow_mut();
            maps.all -= 1;
            if shared {
                maps.shared -= 1;
            }
            if writable {
                maps.writable -= 1;
            }
            shared && maps.shared == 0
        };
        if last_shared {
            if let Err(e) = self.write_back_range(0, u64::MAX) {
                log::warn!("write-back of inode {} failed: {e}", self.key.ino);
            }
        }
        self.detach_if_unused();
    }

    /// Drops the pages with indexes in `pages` from every address space that
    /// maps them, but those whose frame `keep` holds for, stopping the tasks
    /// that use those address spaces first.
    fn unmap_pages(&self, pages: Range<u64>, keep: &dyn Fn(u64) -> bool) {
        if self.maps.borrow().all == 0 {
            return;
        }
        let me: *const FileCache = self;
        // The kernel finds its own mappings of this cache among the files
        // VMAs map (Linux walks the mapping's `i_mmap` tree instead).
        let is_file = |f: &dyn MappedFile| {
            (f as &dyn Any)
                .downcast_ref::<InodeMapping>()
                .is_some_and(|m| std::ptr::eq(Arc::as_ptr(&m.cache), me))
        };
        let mut mms: Vec<Arc<KernelCell<mm::Mm>>> = Vec::new();
        for t in task::all_tasks() {
            let mm = t.mm();
            if mms.iter().any(|m| Arc::ptr_eq(m, &mm)) {
                continue;
            }
            let maps_file = mm
                .borrow()
                .vmas()
                .any(|v| v.file.as_ref().is_some_and(|f| is_file(f.as_ref())));
            if maps_file {
                mms.push(mm);
            }
        }
        task::tlb::quiesce_all(&mms);
        for mm in &mms {
            mm.borrow_mut()
                .zap_file_pages(&is_file, pages.clone(), keep);
        }
    }
}

impl AddressSpace for FileCache {
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.pages.read(&self.io()?, offset, buf)
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<usize> {
        let inode = self.io()?.0;
        let old = inode.stat()?.size;
        let n = inode.write_at(offset, data)?;
        if offset.saturating_add(n as u64) > old {
            // What lay past the old end reads as zeroes now.
            self.pages.zero(old, page_end(old));
        }
        self.pages.update(offset, &data[..n]);
        Ok(n)
    }

    fn resize(&self, old: u64, new: u64) {
        if new < old {
            self.unmap_pages(new.div_ceil(PAGE_SIZE)..u64::MAX, &|_| false);
            self.pages.truncate(new);
        } else {
            self.pages.zero(old, page_end(old));
        }
    }

    fn invalidate_range(&self, start: u64, end: u64) {
        let (first, last) = (start.div_ceil(PAGE_SIZE), end / PAGE_SIZE);
        if first < last {
            // Mappings of the cached pages go; private copies of them stay.
            let cached: HashSet<u64> = self.pages.frames_in(first, last).into_iter().collect();
            self.unmap_pages(first..last, &|paddr| !cached.contains(&paddr));
            self.pages.invalidate(first, last);
        }
        self.pages.zero(start, end);
    }

    fn invalidate_range_begin(&self, start: u64, end: u64) {
        let Ok(io) = self.io() else {
            return;
        };
        let Some(tmpfs) = io.0.shmem() else {
            return;
        };
        let (first, last) = (start.div_ceil(PAGE_SIZE), end / PAGE_SIZE);
        if first < last {
            // The file's pages go; private copies of them stay.
            let own: HashSet<u64> = tmpfs.frames_in(first, last).into_iter().collect();
            self.unmap_pages(first..last, &|paddr| !own.contains(&paddr));
        }
    }

    fn invalidate_from(&self, offset: u64) {
        let first = offset / PAGE_SIZE;
        self.unmap_pages(first..u64::MAX, &|_| false);
        self.pages.invalidate(first, u64::MAX);
    }

    fn write_back(&self) -> Result<()> {
        self.write_back_range(0, u64::MAX)?;
        // A cache kept only for pages that failed to go back before.
        self.detach_if_unused();
        Ok(())
    }

    fn shrink(&self) -> u64 {
        self.pages.shrink()
    }

    fn nr_pages(&self) -> u64 {
        self.pages.len() as u64
    }
}

/// One mmap of an inode (what its VMAs hold, shared by the pieces and copies
/// of those over split, mremap and fork).
pub(crate) struct InodeMapping {
    cache: Arc<FileCache>,
    /// The inode, kept while it is mapped (its cache holds it only weakly).
    inode: Arc<dyn Inode>,
    shared: bool,
    max_prot: Prot,
}

/// Returns whether a shared mapping that may write `inode` exists (a memfd's
/// `F_SEAL_WRITE` is refused then).
pub(crate) fn maps_writable(inode: &dyn Inode) -> bool {
    let Some(space) = address_space::find(inode) else {
        return false;
    };
    let space: Arc<dyn Any + Send + Sync> = space;
    space
        .downcast::<FileCache>()
        .is_ok_and(|c| c.maps.borrow().writable > 0)
}

impl InodeMapping {
    /// Returns a new mmap of `inode`, shared or private, that may never get
    /// more rights than `max_prot`.
    pub(crate) fn new(
        inode: &Arc<dyn Inode>,
        shared: bool,
        max_prot: Prot,
    ) -> Result<Arc<InodeMapping>> {
        let key = InodeKey::of(inode.as_ref())?;
        let space = address_space::find_or_attach(inode.as_ref(), key, || {
            Arc::new(FileCache {
                key,
                inode: Arc::downgrade(inode),
                keep: inode.keeps_page_cache(),
                pages: PageCache::new(crate::boot::kernel().frames.clone()),
                maps: KernelCell::default(),
            })
        });
        // The inode's slot holds the kernel's own cache, which the fs crate
        // knows only as an `AddressSpace`: take it back as what it is.
        let space: Arc<dyn Any + Send + Sync> = space;
        let cache = space.downcast::<FileCache>().map_err(|_| Errno::EIO)?;
        {
            let mut maps = cache.maps.borrow_mut();
            maps.all += 1;
            if shared {
                maps.shared += 1;
            }
            if shared && max_prot.contains(Prot::WRITE) {
                maps.writable += 1;
            }
        }
        Ok(Arc::new(InodeMapping {
            cache,
            inode: inode.clone(),
            shared,
            max_prot,
        }))
    }
}

impl MappedFile for InodeMapping {
    fn page(&self, index: u64) -> Result<u64, FaultError> {
        self.cache.page(index)
    }

    fn set_dirty(&self, index: u64) {
        self.cache.pages.set_dirty(index);
    }

    fn write_back(&self, first: u64, end: u64) -> Result<()> {
        self.cache.write_back_range(first, end)
    }

    fn max_prot(&self) -> Prot {
        self.max_prot
    }

    /// Punches the hole through the filesystem (tmpfs, ext4; `EOPNOTSUPP`
    /// where it has no hole punch), which drops the pages from the cache
    /// and from every mapping.
    fn punch(&self, first: u64, end: u64) -> Result<()> {
        let offset = first.saturating_mul(PAGE_SIZE);
        let len = end.saturating_sub(first).saturating_mul(PAGE_SIZE);
        fs::punch_hole(self.inode.as_ref(), offset, len)
    }

    fn cached(&self, index: u64) -> bool {
        self.cache.cached(index)
    }

    fn dev_ino(&self) -> (u64, u64) {
        (self.cache.key.dev, self.cache.key.ino)
    }
}

impl Drop for InodeMapping {
    fn drop(&mut self) {
        let writable = self.shared && self.max_prot.contains(Prot::WRITE);
        self.cache.unmapped(self.shared, writable);
    }
}

/// Gives back the clean pages of every cache that nothing maps, when the
/// frame allocator runs out.
pub struct CacheShrinker;

impl Shrinker for CacheShrinker {
    fn shrink(&self) -> u64 {
        let freed = address_space::all(None).iter().map(|s| s.shrink()).sum();
        log::debug!("page cache: out of frames, gave back {freed}");
        freed
    }
}

/// Returns the number of frames the page caches hold, for /proc/meminfo.
pub fn cached_pages() -> u64 {
    address_space::all(None).iter().map(|s| s.nr_pages()).sum()
}
