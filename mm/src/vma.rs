//! Virtual memory areas: one `VmArea` per contiguous range of an address space
//! with the same protection, flags and backing, as Linux's `vm_area_struct`.
//! This module holds the type, the trait through which files back mappings, and
//! the rules for splitting an area and for merging two neighbours.

use std::any::Any;
use std::sync::Arc;

use crate::{FaultError, MapFlags, Prot};

/// What backs a file mapping (Linux's `vm_file` with its `address_space`):
/// implemented by the kernel over an inode's page cache, and here for shared
/// anonymous memory. Page `index` is the file's bytes at `index * PAGE_SIZE`.
pub trait MappedFile: Any + Send + Sync {
    /// Returns the frame holding page `index`, the same one for every mapping
    /// of the file, with a reference taken for the caller's page table. `Bus`
    /// for a page wholly beyond end of file or an I/O error.
    fn page(&self, index: u64) -> Result<u64, FaultError>;

    /// Notes that a shared mapping may now write page `index` (dirty).
    fn set_dirty(&self, _index: u64) {}

    /// Writes the dirty pages with indexes in `[first, end)` back to the file
    /// (msync, munmap, exit).
    fn write_back(&self, _first: u64, _end: u64) -> arch::Result<()> {
        Ok(())
    }

    /// Returns the rights a mapping of this kind may ever have (Linux's
    /// `VM_MAY*`): no `WRITE` for a shared mapping of a file opened read-only,
    /// no `EXEC` on a `noexec` mount. mprotect(2) refuses more with `EACCES`.
    fn max_prot(&self) -> Prot {
        Prot::all()
    }

    /// Returns whether page `index` is in the file's page cache (mincore(2)
    /// reports such pages resident even where this mapping has not touched
    /// them).
    fn cached(&self, _index: u64) -> bool {
        false
    }

    /// Frees the pages with indexes in `[first, end)` (madvise's
    /// `MADV_REMOVE`, Linux's vfs_fallocate with `FALLOC_FL_PUNCH_HOLE |
    /// FALLOC_FL_KEEP_SIZE`); the mapping that asked has dropped them
    /// already. `EOPNOTSUPP` where the object cannot punch holes.
    fn punch(&self, _first: u64, _end: u64) -> arch::Result<()> {
        Err(arch::Errno::EOPNOTSUPP)
    }

    /// Returns true for anonymous shared memory, which has no file to write
    /// back to (and so needs no dirty tracking).
    fn is_anonymous(&self) -> bool {
        false
    }

    /// Returns the device and inode number of the file, for /proc/PID/maps.
    fn dev_ino(&self) -> (u64, u64) {
        (0, 0)
    }
}

/// What `/proc/<pid>/maps` shows for an area without a file.
#[derive(Clone, Debug, PartialEq, Eq, Default)]
pub enum VmaName {
    #[default]
    None,
    /// The brk area, `[heap]`.
    Heap,
    /// The main thread's stack, `[stack]`.
    Stack,
    /// Any other name, e.g. `[vdso]` or a file's path.
    Named(String),
}

/// A virtual memory area: `[start, end)`, page-aligned and non-empty.
#[derive(Clone)]
pub struct VmArea {
    pub start: u64,
    pub end: u64,
    pub prot: Prot,
    /// `SHARED` or `PRIVATE`, plus `GROWSDOWN`, `LOCKED`, ...
    pub flags: MapFlags,
    pub file: Option<Arc<dyn MappedFile>>,
    /// The file offset of `start`.
    pub offset: u64,
    pub name: VmaName,
}

impl std::fmt::Debug for VmArea {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VmArea")
            .field("start", &format_args!("{:#x}", self.start))
            .field("end", &format_args!("{:#x}", self.end))
            .field("prot", &self.prot)
            .field("flags", &self.flags)
            .field("file", &self.file.is_some())
            .field("offset", &self.offset)
            .field("name", &self.name)
            .finish()
    }
}

impl VmArea {
    /// Returns whether `addr` lies inside the area.
    pub fn contains(&self, addr: u64) -> bool {
        self.start <= addr && addr < self.end
    }

    /// Returns the length of the area in bytes.
    pub fn len(&self) -> u64 {
        self.end - self.start
    }

    /// Returns whether the area is empty (never true of an area in an `Mm`).
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }

    /// Returns whether writes reach a shared object rather than private copies.
    pub fn is_shared(&self) -> bool {
        self.flags.contains(MapFlags::SHARED)
    }

    /// Returns the file offset of the page at `addr`.
    pub(crate) fn file_offset(&self, addr: u64) -> u64 {
        self.offset + (addr - self.start)
    }

    /// Returns the file page index of the page at `addr`.
    pub(crate) fn file_index(&self, addr: u64) -> u64 {
        self.file_offset(addr) / crate::PAGE_SIZE
    }

    /// Returns the file the area maps, `None` for anonymous memory (shared
    /// anonymous memory included).
    pub fn mapped_file(&self) -> Option<&Arc<dyn MappedFile>> {
        self.file.as_ref().filter(|f| !f.is_anonymous())
    }

    /// Returns the file of a shared mapping whose dirty pages go back to it.
    pub(crate) fn written_back_file(&self) -> Option<&Arc<dyn MappedFile>> {
        self.mapped_file().filter(|_| self.is_shared())
    }

    /// Splits the area at `addr` (strictly inside it): `self` keeps the lower part
    /// and the upper part is returned.
    pub(crate) fn split_off(&mut self, addr: u64) -> VmArea {
        debug_assert!(self.start < addr && addr < self.end);
        let mut upper = self.clone();
        upper.start = addr;
        upper.offset = self.file_offset(addr);
        self.end = addr;
        upper
    }

    /// Returns whether `next`, starting where `self` ends, can join `self` in one
    /// area: same rights, flags and name, and either both private anonymous
    /// memory or consecutive pages of the same file.
    pub(crate) fn can_merge(&self, next: &VmArea) -> bool {
        if self.end != next.start
            || self.prot != next.prot
            || self.flags != next.flags
            || self.name != next.name
        {
            return false;
        }
        match (&self.file, &next.file) {
            (None, None) => !self.is_shared(),
            (Some(a), Some(b)) => {
                std::ptr::addr_eq(Arc::as_ptr(a), Arc::as_ptr(b))
                    && self.file_offset(self.end) == next.offset
            }
            _ => false,
        }
    }
}
