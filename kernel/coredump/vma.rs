//! Which memory a core holds (Linux's `vma_dump_size` under the default
//! /proc/PID/coredump_filter, 0x33): anonymous memory, private or shared,
//! that was ever touched; private file mappings that were written (their
//! pages copied on write); the first page of a file mapping that starts with
//! an ELF header (so that a debugger can match build ids); nothing of the
//! other file mappings, which the debugger reads from the files. Every
//! mapping still gets its `PT_LOAD`, with `p_filesz` 0 where nothing is
//! dumped. Pages never made present are holes in the file.

use super::elf::{Load, PF_R, PF_W, PF_X};
use mm::{Mm, Prot, VmArea, PAGE_SIZE};

/// Linux's MMF_DUMP_* filter bits.
const ANON_PRIVATE: u32 = 1 << 0;
const ANON_SHARED: u32 = 1 << 1;
const MAPPED_PRIVATE: u32 = 1 << 2;
const MAPPED_SHARED: u32 = 1 << 3;
const ELF_HEADERS: u32 = 1 << 4;
/// The filter a process has unless it sets another (Linux's default).
pub const DEFAULT_FILTER: u32 = 0x33;

/// Returns whether any page of a private mapping is the mapping's own copy
/// rather than a page shared with the page cache (Linux's `anon_vma`): an
/// anonymous mapping with any page present, or a file mapping with a page
/// that only it references.
fn written(mm: &Mm, vma: &VmArea) -> bool {
    let pages = mm.resident(vma.start, vma.end);
    if vma.file.is_none() {
        return !pages.is_empty();
    }
    pages
        .iter()
        .any(|&(_, paddr)| mm.frames().refcount(paddr) == 1)
}

/// Returns whether the mapping starts with an ELF header.
fn starts_with_elf(mm: &mut Mm, vma: &VmArea) -> bool {
    let mut magic = [0u8; 4];
    vma.offset == 0
        && vma.prot.contains(Prot::READ)
        && mm.copy_from_user(vma.start, &mut magic).is_ok()
        && magic == *b"\x7fELF"
}

/// Returns how many bytes of `vma` the core holds under `filter`.
fn dump_size(mm: &mut Mm, vma: &VmArea, filter: u32) -> u64 {
    let anonymous_file = vma.file.as_ref().is_some_and(|f| f.is_anonymous());
    if vma.is_shared() {
        let bit = if vma.file.is_none() || anonymous_file {
            ANON_SHARED
        } else {
            MAPPED_SHARED
        };
        return if filter & bit != 0 { vma.len() } else { 0 };
    }
    if filter & ANON_PRIVATE != 0 && written(mm, vma) {
        return vma.len();
    }
    if vma.file.is_none() {
        return 0;
    }
    if filter & MAPPED_PRIVATE != 0 {
        return vma.len();
    }
    if filter & ELF_HEADERS != 0 && starts_with_elf(mm, vma) {
        return PAGE_SIZE;
    }
    0
}

/// Returns the segments of every mapping of `mm`, in address order.
pub fn segments(mm: &mut Mm, filter: u32) -> Vec<Load> {
    let vmas: Vec<VmArea> = mm.vmas().cloned().collect();
    vmas.iter()
        .map(|vma| {
            let mut flags = 0;
            if vma.prot.contains(Prot::READ) {
                flags |= PF_R;
            }
            if vma.prot.contains(Prot::WRITE) {
                flags |= PF_W;
            }
            if vma.prot.contains(Prot::EXEC) {
                flags |= PF_X;
            }
            Load {
                vaddr: vma.start,
                memsz: vma.len(),
                filesz: dump_size(mm, vma, filter),
                flags,
            }
        })
        .collect()
}

/// Reads the page at `addr` for the core into `buf`; returns false for a
/// hole (a page never made present, whose contents are zero). A page of a
/// file is read from it when the mapping may be read, as a debugger would
/// see it; anonymous shared memory is read only where it has pages.
pub fn read_page(mm: &mut Mm, addr: u64, buf: &mut [u8]) -> bool {
    if let Some(&(_, paddr)) = mm.resident(addr, addr + PAGE_SIZE).first() {
        mm.frames().physmem().read(paddr, buf);
        return true;
    }
    let Some(vma) = mm.find_vma(addr) else {
        return false;
    };
    let Some(file) = vma.file.clone() else {
        return false;
    };
    let index = (vma.offset + (addr - vma.start)) / PAGE_SIZE;
    let readable = vma.prot.contains(Prot::READ);
    if !readable || (file.is_anonymous() && !file.cached(index)) {
        return false;
    }
    mm.copy_from_user(addr, buf).is_ok()
}
