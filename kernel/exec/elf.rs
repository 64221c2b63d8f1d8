//! Loading ELF images into a new address space, as Linux's `load_elf_binary`:
//! each PT_LOAD segment becomes a private file mapping plus anonymous memory for
//! its bss; position-independent images are placed by the address space.

use crate::filemap::InodeMapping;
use arch::{Errno, Result};
use fs::Inode;
use goblin::container::{Container, Ctx, Endian};
use goblin::elf::header::{Header, EM_X86_64, ET_DYN, ET_EXEC};
use goblin::elf::program_header::{ProgramHeader, PF_R, PF_W, PF_X, PT_INTERP, PT_LOAD, PT_PHDR};
use mm::{MapFlags, Mm, Prot, VmaName, PAGE_SIZE};
use std::sync::Arc;

/// Where position-independent programs with an interpreter are loaded (Linux's
/// ELF_ET_DYN_BASE: two thirds of the address space, page aligned).
const ELF_ET_DYN_BASE: u64 = (arch::backend::TASK_SIZE / 3 * 2) & !(PAGE_SIZE - 1);

/// An ELF image as read from its headers.
pub struct ElfImage {
    pub header: Header,
    pub phdrs: Vec<ProgramHeader>,
}

/// Where an image ended up.
pub struct Loaded {
    pub entry: u64,
    pub bias: u64,
    pub phdr: u64,
    pub phnum: u64,
    /// The end of the highest segment, where the heap (brk) begins.
    pub end: u64,
    /// The start and end of the executable segments' file contents, and of the
    /// others' (Linux's start_code, end_code, start_data, end_data).
    pub code: (u64, u64),
    pub data: (u64, u64),
}

fn page_down(v: u64) -> u64 {
    v & !(PAGE_SIZE - 1)
}

fn page_up(v: u64) -> Option<u64> {
    v.checked_add(PAGE_SIZE - 1).map(|v| v & !(PAGE_SIZE - 1))
}

/// Parses and checks the headers of an x86_64 ELF executable.
pub fn parse(inode: &Arc<dyn Inode>) -> Result<ElfImage> {
    let mut head = [0u8; 64];
    if fs::address_space::read(inode.as_ref(), 0, &mut head)? < 64 || &head[..4] != b"\x7fELF" {
        return Err(Errno::ENOEXEC);
    }
    let header = goblin::elf::Elf::parse_header(&head).map_err(|_| Errno::ENOEXEC)?;
    let ok = header.e_ident[4] == 2 // ELFCLASS64
        && header.e_machine == EM_X86_64
        && (header.e_type == ET_EXEC || header.e_type == ET_DYN)
        && header.e_phentsize as usize == 56
        && header.e_phnum > 0
        && header.e_phnum <= 1024;
    if !ok {
        return Err(Errno::ENOEXEC);
    }
    let len = header.e_phnum as usize * 56;
    let mut raw = vec![0u8; len];
    if fs::address_space::read(inode.as_ref(), header.e_phoff, &mut raw)? != len {
        return Err(Errno::ENOEXEC);
    }
    let ctx = Ctx::new(Container::Big, Endian::Little);
    let phdrs =
        ProgramHeader::parse(&raw, 0, header.e_phnum as usize, ctx).map_err(|_| Errno::ENOEXEC)?;
    Ok(ElfImage { header, phdrs })
}

/// Returns the interpreter path named by PT_INTERP, if any.
pub fn interpreter(inode: &Arc<dyn Inode>, image: &ElfImage) -> Result<Option<Vec<u8>>> {
    let Some(ph) = image.phdrs.iter().find(|p| p.p_type == PT_INTERP) else {
        return Ok(None);
    };
    if ph.p_filesz < 2 || ph.p_filesz > 4096 {
        return Err(Errno::ENOEXEC);
    }
    let mut path = vec![0u8; ph.p_filesz as usize];
    if fs::address_space::read(inode.as_ref(), ph.p_offset, &mut path)? != path.len()
        || path.pop() != Some(0)
    {
        return Err(Errno::ENOEXEC);
    }
    if path.contains(&0) {
        return Err(Errno::ENOEXEC);
    }
    Ok(Some(path))
}

fn prot_of(flags: u32) -> Prot {
    let mut p = Prot::empty();
    p.set(Prot::READ, flags & PF_R != 0);
    p.set(Prot::WRITE, flags & PF_W != 0);
    p.set(Prot::EXEC, flags & PF_X != 0);
    p
}

/// Maps the PT_LOAD segments of `image` into `mm`. `interp` says the image is an
/// interpreter (placed wherever the address space has room).
pub fn load(
    mm: &mut Mm,
    inode: &Arc<dyn Inode>,
    name: &VmaName,
    image: &ElfImage,
    is_interp: bool,
    has_interp: bool,
) -> Result<Loaded> {
    let loads: Vec<&ProgramHeader> = image.phdrs.iter().filter(|p| p.p_type == PT_LOAD).collect();
    if loads.is_empty() {
        return Err(Errno::ENOEXEC);
    }
    let lo = loads
        .iter()
        .map(|p| page_down(p.p_vaddr))
        .min()
        .unwrap_or(0);
    let mut hi = 0u64;
    for p in &loads {
        if p.p_filesz > p.p_memsz || p.p_vaddr % PAGE_SIZE != p.p_offset % PAGE_SIZE {
            return Err(Errno::ENOEXEC);
        }
        let end = p
            .p_vaddr
            .checked_add(p.p_memsz)
            .and_then(page_up)
            .ok_or(Errno::ENOEXEC)?;
        hi = hi.max(end);
    }
    let span = hi - lo;
    let bias = if image.header.e_type == ET_DYN {
        let base = if !is_interp && has_interp {
            ELF_ET_DYN_BASE
        } else {
            0
        };
        // Reserve the whole span, then place segments inside it.
        let at = mm.mmap(
            base,
            span,
            Prot::empty(),
            MapFlags::PRIVATE | MapFlags::ANONYMOUS,
            None,
            0,
            VmaName::None,
        )?;
        at.wrapping_sub(lo)
    } else {
        0
    };
    let file: Arc<dyn mm::MappedFile> = InodeMapping::new(inode, false, Prot::all())?;
    let mut end = 0;
    let (mut code, mut data) = ((u64::MAX, 0), (0, 0));
    for p in &loads {
        let file_end = p.p_vaddr.wrapping_add(p.p_filesz);
        if p.p_flags & PF_X != 0 {
            code = (code.0.min(p.p_vaddr), code.1.max(file_end));
        }
        data = (data.0.max(p.p_vaddr), data.1.max(file_end));
    }
    for p in &loads {
        let prot = prot_of(p.p_flags);
        // Offsets from the bias wrap as the hardware's addresses would; the
        // address space rejects anything that lands outside it.
        let vaddr = bias.wrapping_add(p.p_vaddr);
        let start = page_down(vaddr);
        let file_end = vaddr.wrapping_add(p.p_filesz);
        let mem_end = vaddr.wrapping_add(p.p_memsz);
        if file_end < vaddr || mem_end < vaddr {
            return Err(Errno::ENOEXEC);
        }
        let fixed = MapFlags::PRIVATE | MapFlags::FIXED;
        if p.p_filesz > 0 {
            let len = page_up(file_end).ok_or(Errno::ENOEXEC)? - start;
            mm.mmap(
                start,
                len,
                prot,
                fixed,
                Some(file.clone()),
                page_down(p.p_offset),
                name.clone(),
            )?;
        }
        if p.p_memsz > p.p_filesz {
            let zero_end = page_up(file_end).ok_or(Errno::ENOEXEC)?;
            if p.p_filesz > 0 && zero_end > file_end && prot.contains(Prot::WRITE) {
                mm.clear_user(file_end, zero_end - file_end)?;
            }
            let anon_start = if p.p_filesz > 0 { zero_end } else { start };
            let anon_end = page_up(mem_end).ok_or(Errno::ENOEXEC)?;
            if anon_end > anon_start {
                let flags = fixed | MapFlags::ANONYMOUS;
                mm.mmap(
                    anon_start,
                    anon_end - anon_start,
                    prot,
                    flags,
                    None,
                    0,
                    VmaName::None,
                )?;
            }
        }
        end = end.max(mem_end);
    }
    let phdr = match image.phdrs.iter().find(|p| p.p_type == PT_PHDR) {
        Some(p) => bias.wrapping_add(p.p_vaddr),
        None => loads
            .iter()
            .find(|p| {
                p.p_offset <= image.header.e_phoff && image.header.e_phoff - p.p_offset < p.p_filesz
            })
            .map_or(0, |p| {
                bias.wrapping_add(p.p_vaddr)
                    .wrapping_add(image.header.e_phoff - p.p_offset)
            }),
    };
    Ok(Loaded {
        entry: bias.wrapping_add(image.header.e_entry),
        bias,
        phdr,
        phnum: image.header.e_phnum as u64,
        end,
        code: match code.0 {
            u64::MAX => (0, 0),
            _ => (bias.wrapping_add(code.0), bias.wrapping_add(code.1)),
        },
        data: (bias.wrapping_add(data.0), bias.wrapping_add(data.1)),
    })
}
