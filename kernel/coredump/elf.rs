//! The ELF core file format (elf(5), core(5); Linux's fs/binfmt_elf.c
//! `elf_core_dump`): the file header of an `ET_CORE` file, its program
//! headers (one `PT_NOTE`, then a `PT_LOAD` per mapping) and the notes, built
//! as little-endian bytes. What goes into each note is decided in `notes`.

/// `e_type` of a core file.
const ET_CORE: u16 = 4;
/// `e_machine` of x86_64.
const EM_X86_64: u16 = 62;
const PT_LOAD: u32 = 1;
const PT_NOTE: u32 = 4;
/// The size of the file header and of one program header.
pub const EHDR_SIZE: u64 = 64;
pub const PHDR_SIZE: u64 = 56;
/// Segment permission bits of `p_flags`.
pub const PF_X: u32 = 1;
pub const PF_W: u32 = 2;
pub const PF_R: u32 = 4;
/// Where segment data may start: Linux aligns it to ELF_EXEC_PAGESIZE.
pub const ELF_EXEC_PAGESIZE: u64 = 4096;

/// Little-endian bytes under construction.
#[derive(Default)]
pub struct Bytes(pub Vec<u8>);

impl Bytes {
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_le_bytes());
        self
    }
    pub fn bytes(&mut self, b: &[u8]) -> &mut Self {
        self.0.extend_from_slice(b);
        self
    }
    /// Appends zeros up to a multiple of `align` bytes.
    pub fn align(&mut self, align: usize) -> &mut Self {
        while !self.0.len().is_multiple_of(align) {
            self.0.push(0);
        }
        self
    }
    /// Appends `b`, cut or padded with NULs to exactly `len` bytes.
    pub fn fixed(&mut self, b: &[u8], len: usize) -> &mut Self {
        let n = b.len().min(len);
        self.0.extend_from_slice(&b[..n]);
        self.0.resize(self.0.len() + len - n, 0);
        self
    }
}

/// One note: its owner name ("CORE", "LINUX"), type and contents.
pub struct Note {
    pub name: &'static [u8],
    pub kind: u32,
    pub desc: Vec<u8>,
}

/// Returns the notes laid out as a `PT_NOTE` segment: for each, the
/// `Elf64_Nhdr` (name size with its NUL, contents size, type), the name and
/// the contents, each padded to four bytes.
pub fn note_segment(notes: &[Note]) -> Vec<u8> {
    let mut b = Bytes::default();
    for n in notes {
        b.u32(n.name.len() as u32 + 1)
            .u32(n.desc.len() as u32)
            .u32(n.kind)
            .bytes(n.name)
            .u8(0)
            .align(4)
            .bytes(&n.desc)
            .align(4);
    }
    b.0
}

/// A `PT_LOAD` segment: a mapping, `filesz` bytes of which the file holds.
#[derive(Clone, Copy, Debug)]
pub struct Load {
    pub vaddr: u64,
    pub memsz: u64,
    pub filesz: u64,
    pub flags: u32,
}

/// Returns the file header and program headers of a core whose notes take
/// `notes_len` bytes right after the headers and whose segments follow from
/// `data_start`, in order.
pub fn headers(loads: &[Load], notes_len: u64, data_start: u64) -> Vec<u8> {
    let phnum = loads.len() + 1;
    let mut b = Bytes::default();
    // e_ident: magic, ELFCLASS64, ELFDATA2LSB, EV_CURRENT, ELFOSABI_NONE.
    b.bytes(b"\x7fELF").u8(2).u8(1).u8(1).u8(0).fixed(&[], 8);
    b.u16(ET_CORE).u16(EM_X86_64).u32(1);
    // e_entry, e_phoff, e_shoff, e_flags, e_ehsize, e_phentsize, e_phnum,
    // e_shentsize, e_shnum, e_shstrndx.
    b.u64(0).u64(EHDR_SIZE).u64(0).u32(0);
    b.u16(EHDR_SIZE as u16)
        .u16(PHDR_SIZE as u16)
        .u16(phnum.min(0xffff) as u16)
        .u16(0)
        .u16(0)
        .u16(0);
    let notes_at = EHDR_SIZE + PHDR_SIZE * phnum as u64;
    // The PT_NOTE header: type, flags, offset, vaddr, paddr, filesz, memsz, align.
    b.u32(PT_NOTE).u32(0).u64(notes_at).u64(0).u64(0);
    b.u64(notes_len).u64(0).u64(4);
    let mut offset = data_start;
    for l in loads {
        b.u32(PT_LOAD).u32(l.flags).u64(offset).u64(l.vaddr).u64(0);
        b.u64(l.filesz).u64(l.memsz).u64(ELF_EXEC_PAGESIZE);
        offset += l.filesz;
    }
    b.0
}

/// Returns where segment data starts after `headers_and_notes` bytes.
pub fn data_start(headers_and_notes: u64) -> u64 {
    headers_and_notes.div_ceil(ELF_EXEC_PAGESIZE) * ELF_EXEC_PAGESIZE
}
