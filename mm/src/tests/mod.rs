//! Host unit tests of address spaces: VMA placement, splitting and merging,
//! faults and copy-on-write, user copies, brk, mremap and file mappings, all
//! over a small `PhysMem`.

mod fault;
mod fork;
mod mmap;
mod page_cache;
mod remap;
mod shared;
mod uaccess;

use arch::sync::Mutex;
use std::sync::Arc;

use arch::{Errno, PhysMem, Result};

use crate::{
    FaultError, FrameAllocator, MapFlags, MappedFile, Mm, PageCache, PageIo, Prot, VmaName,
    PAGE_SIZE,
};

pub(super) const TASK_SIZE: u64 = 0x7ffe_0000_0000;
pub(super) const RW: Prot = Prot::READ.union(Prot::WRITE);

/// Returns an empty address space over 4 MiB of RAM. Commit accounting
/// sees a machine of 4 TiB, so that vm.overcommit_memory's heuristic never
/// refuses what these tests map (the kernel sets the real size at boot).
pub(super) fn new_mm() -> Mm {
    crate::commit::set_totalram_pages(1 << 30);
    let pm = PhysMem::new(1024 * PAGE_SIZE).expect("memfd");
    Mm::new(FrameAllocator::new(Arc::new(pm), 16), TASK_SIZE)
}

/// Maps `pages` anonymous private pages with `prot` at `addr` (FIXED if nonzero).
pub(super) fn anon(mm: &mut Mm, addr: u64, pages: u64, prot: Prot) -> u64 {
    let flags = MapFlags::PRIVATE
        | MapFlags::ANONYMOUS
        | if addr != 0 {
            MapFlags::FIXED
        } else {
            MapFlags::empty()
        };
    mm.mmap(addr, pages * PAGE_SIZE, prot, flags, None, 0, VmaName::None)
        .expect("mmap")
}

/// Returns the VMAs as (start, end, prot).
pub(super) fn layout(mm: &Mm) -> Vec<(u64, u64, Prot)> {
    mm.vmas().map(|v| (v.start, v.end, v.prot)).collect()
}

/// A file in host memory, as the kernel's inodes are to a page cache; `broken`
/// makes every read and write fail with EIO.
#[derive(Default)]
pub(super) struct MemFile {
    pub(super) data: Mutex<Vec<u8>>,
    pub(super) broken: bool,
}

impl MemFile {
    /// Returns a file of `len` bytes where byte `i` is `i % 251`.
    pub(super) fn patterned(len: u64) -> Arc<MemFile> {
        let data = (0..len).map(|i| (i % 251) as u8).collect();
        Arc::new(MemFile {
            data: Mutex::new(data),
            broken: false,
        })
    }

    /// Returns a copy of the file's bytes.
    pub(super) fn bytes(&self) -> Vec<u8> {
        self.data.lock().clone()
    }
}

impl PageIo for MemFile {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        if self.broken {
            return Err(Errno::EIO);
        }
        let data = self.data.lock();
        let start = (offset as usize).min(data.len());
        let n = (data.len() - start).min(buf.len());
        buf[..n].copy_from_slice(&data[start..start + n]);
        Ok(n)
    }

    fn write_at(&self, offset: u64, bytes: &[u8]) -> Result<usize> {
        if self.broken {
            return Err(Errno::EIO);
        }
        let mut data = self.data.lock();
        let end = offset as usize + bytes.len();
        if data.len() < end {
            data.resize(end, 0);
        }
        data[offset as usize..end].copy_from_slice(bytes);
        Ok(bytes.len())
    }

    fn size(&self) -> Result<u64> {
        Ok(self.data.lock().len() as u64)
    }
}

/// A mapped file as the kernel builds one: a `MemFile` and its page cache.
pub(super) struct CachedFile {
    pub(super) file: Arc<MemFile>,
    pub(super) cache: PageCache,
    pub(super) max_prot: Prot,
}

impl CachedFile {
    pub(super) fn new(mm: &Mm, file: Arc<MemFile>) -> Arc<CachedFile> {
        Arc::new(CachedFile {
            file,
            cache: PageCache::new(mm.frames().clone()),
            max_prot: Prot::all(),
        })
    }
}

impl MappedFile for CachedFile {
    fn page(&self, index: u64) -> std::result::Result<u64, FaultError> {
        self.cache.get(self.file.as_ref(), index)
    }

    fn set_dirty(&self, index: u64) {
        self.cache.set_dirty(index);
    }

    fn write_back(&self, first: u64, end: u64) -> Result<()> {
        self.cache.write_back(self.file.as_ref(), first, end, true)
    }

    fn max_prot(&self) -> Prot {
        self.max_prot
    }

    fn cached(&self, index: u64) -> bool {
        self.cache.cached(index)
    }
}

/// Maps `pages` pages of `file` from file page `index` with `prot` and `flags`.
pub(super) fn map_file(
    mm: &mut Mm,
    file: &Arc<CachedFile>,
    pages: u64,
    prot: Prot,
    flags: MapFlags,
    index: u64,
) -> u64 {
    let file: Arc<dyn MappedFile> = file.clone();
    mm.mmap(
        0,
        pages * PAGE_SIZE,
        prot,
        flags,
        Some(file),
        index * PAGE_SIZE,
        VmaName::None,
    )
    .expect("mmap of a file")
}
