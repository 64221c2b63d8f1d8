//! UML's copy-on-write file format, as `ubd_kern.c`, `uml_mkcow` and `uml_moo`
//! read and write it: a header naming the backing file, a bitmap with one bit
//! per sector (set: the sector's data is in the COW file), then the data area,
//! where sector N lives at `data_offset + N * sector_size`.
//!
//! The header is UML's version 3, packed, every number big-endian:
//!
//! | offset | size | field |
//! |---|---|---|
//! | 0 | 4 | magic `0x4f4f4f4d` ("OOOM") |
//! | 4 | 4 | version, 3 |
//! | 8 | 4 | the backing file's mtime, in seconds |
//! | 12 | 8 | the backing file's size in bytes |
//! | 20 | 4 | sector size (512) |
//! | 24 | 4 | alignment of the bitmap and the data (4096) |
//! | 28 | 4 | COW format, 0 (the bitmap) |
//! | 32 | 4096 | the backing file's absolute path, NUL-terminated |
//!
//! The bitmap starts at the header's size rounded up to the alignment and holds
//! `ceil(ceil(size / sector_size) / 8)` bytes, bit `N % 8` of byte `N / 8` for
//! sector N; the data area starts at the bitmap's end rounded up to the
//! alignment. Files written by 64-bit UML before 2006 have an unpacked header
//! (a 64-bit mtime field and padding, so the path is at 36 and the header 4136
//! bytes long); UML recognises them by the zero COW format where a path's first
//! bytes would be, and so does this module.
//!
//! Everything here is plain logic over bytes; the files are read and written by
//! `super::cow_disk`.

use std::ops::Range;

/// The magic number, "OOOM" in big-endian byte order.
pub const MAGIC: u32 = 0x4f4f_4f4d;
/// The only version written (and the one read).
pub const VERSION: u32 = 3;
/// The bytes of the backing file's path field, its NUL included.
pub const PATH_LEN: usize = 4096;
/// The size of the packed version 3 header.
pub const HEADER_LEN: usize = 32 + PATH_LEN;
/// The size of the unpacked (pre-2006, 64-bit) version 3 header.
const BROKEN_HEADER_LEN: usize = 4136;
/// What is read of a file to decode its header: the longer of the two layouts.
pub const HEADER_READ_LEN: usize = BROKEN_HEADER_LEN;
/// The sector size UML writes in new COW files.
pub const SECTOR_SIZE: u32 = 512;
/// The alignment UML writes in new COW files (its page size).
pub const ALIGNMENT: u32 = 4096;

/// Why a COW header cannot be used: the text completes "COW file X: ...".
#[derive(Debug, PartialEq, Eq)]
pub struct HeaderError(pub String);

/// A decoded version 3 COW header.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Header {
    /// The backing file's modification time (seconds, truncated to 32 bits).
    pub mtime: u32,
    /// The backing file's size in bytes: the size of the disk.
    pub size: u64,
    pub sector_size: u32,
    pub alignment: u32,
    /// The backing file's path as stored (no NUL).
    pub backing_file: Vec<u8>,
    /// The header has the unpacked layout of 64-bit UML before 2006.
    pub unpacked: bool,
}

/// Where the parts of a COW file are, from its header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Layout {
    pub sector_size: u64,
    /// The number of sectors of the disk (the last may be partial).
    pub sectors: u64,
    pub bitmap_offset: u64,
    pub bitmap_len: u64,
    pub data_offset: u64,
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().expect("four bytes"))
}

fn be64(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().expect("eight bytes"))
}

fn err<T>(text: impl Into<String>) -> Result<T, HeaderError> {
    Err(HeaderError(text.into()))
}

impl Header {
    /// Creates the header of a new COW file over a backing file of `size`
    /// bytes, modified at `mtime`, at the absolute path `backing_file`.
    pub fn new(backing_file: &[u8], mtime: i64, size: u64) -> Result<Header, HeaderError> {
        if backing_file.len() >= PATH_LEN || backing_file.contains(&0) {
            return err(format!(
                "the backing file's name is too long (names are limited to {} bytes)",
                PATH_LEN - 1
            ));
        }
        Ok(Header {
            // UML keeps the low 32 bits (htonl of the time).
            mtime: mtime as u32,
            size,
            sector_size: SECTOR_SIZE,
            alignment: ALIGNMENT,
            backing_file: backing_file.to_vec(),
            unpacked: false,
        })
    }

    /// Decodes the header at the start of `bytes` (up to [`HEADER_READ_LEN`]
    /// bytes of the file). Returns `Ok(None)` when there is no COW magic (a
    /// plain disk image), an error when there is one but the header is not
    /// usable.
    pub fn decode(bytes: &[u8]) -> Result<Option<Header>, HeaderError> {
        if bytes.len() < 8 {
            return Ok(None);
        }
        // UML accepts the magic in either byte order and reads the version in
        // the magic's order; the other fields are big-endian in version 3.
        let version = match be32(bytes, 0) {
            MAGIC => be32(bytes, 4),
            m if m.swap_bytes() == MAGIC => be32(bytes, 4).swap_bytes(),
            _ => return Ok(None),
        };
        if version != VERSION {
            return err(format!(
                "COW version {version} is not supported (only version 3, which UML and \
                 uml_mkcow write)"
            ));
        }
        // The packed layout's path cannot start with four zero bytes; the
        // unpacked one has its zero COW format there.
        let unpacked = bytes.len() >= 36 && be32(bytes, 32) == 0;
        let (len, mtime_at, size_at, path_at) = if unpacked {
            (BROKEN_HEADER_LEN, 8, 16, 36)
        } else {
            (HEADER_LEN, 8, 12, 32)
        };
        if bytes.len() < len {
            return err(format!(
                "the header is cut short ({} of {len} bytes)",
                bytes.len()
            ));
        }
        let (sector_size, alignment, format) = (
            be32(bytes, size_at + 8),
            be32(bytes, size_at + 12),
            be32(bytes, size_at + 16),
        );
        let path = &bytes[path_at..path_at + PATH_LEN];
        let Some(nul) = path.iter().position(|&b| b == 0) else {
            return err("the backing file's name in the header has no end");
        };
        let header = Header {
            mtime: be32(bytes, mtime_at),
            size: be64(bytes, size_at),
            sector_size,
            alignment,
            backing_file: path[..nul].to_vec(),
            unpacked,
        };
        if format != 0 {
            return err(format!(
                "unknown COW format {format} (only 0, the sector bitmap)"
            ));
        }
        if header.backing_file.is_empty() {
            return err("the header names no backing file");
        }
        if !sector_size.is_power_of_two() || !(512..=65536).contains(&sector_size) {
            return err(format!("bad sector size {sector_size} in the header"));
        }
        if alignment == 0 {
            return err("bad alignment 0 in the header");
        }
        header.layout()?;
        Ok(Some(header))
    }

    /// Returns the header's bytes, in the layout it was read in (a new
    /// header is packed version 3).
    pub fn encode(&self) -> Vec<u8> {
        let (len, size_at, path_at) = if self.unpacked {
            (BROKEN_HEADER_LEN, 16, 36)
        } else {
            (HEADER_LEN, 12, 32)
        };
        let mut b = vec![0u8; len];
        b[0..4].copy_from_slice(&MAGIC.to_be_bytes());
        b[4..8].copy_from_slice(&VERSION.to_be_bytes());
        b[8..12].copy_from_slice(&self.mtime.to_be_bytes());
        b[size_at..size_at + 8].copy_from_slice(&self.size.to_be_bytes());
        b[size_at + 8..size_at + 12].copy_from_slice(&self.sector_size.to_be_bytes());
        b[size_at + 12..size_at + 16].copy_from_slice(&self.alignment.to_be_bytes());
        // The COW format (0) stays zero.
        b[path_at..path_at + self.backing_file.len()].copy_from_slice(&self.backing_file);
        b
    }

    /// Returns where the bitmap and the data are, as UML computes them.
    pub fn layout(&self) -> Result<Layout, HeaderError> {
        let too_big = || HeaderError(format!("the size {} in the header is too large", self.size));
        if self.size == 0 || self.size > i64::MAX as u64 {
            return err(format!("bad disk size {} in the header", self.size));
        }
        let header_len = if self.unpacked {
            BROKEN_HEADER_LEN
        } else {
            HEADER_LEN
        } as u64;
        let align = u64::from(self.alignment);
        let round_up = |x: u64| x.div_ceil(align).checked_mul(align);
        let sector_size = u64::from(self.sector_size);
        let sectors = self.size.div_ceil(sector_size);
        let bitmap_len = sectors.div_ceil(8);
        let bitmap_offset = round_up(header_len).ok_or_else(too_big)?;
        let data_offset = bitmap_offset
            .checked_add(bitmap_len)
            .and_then(round_up)
            .filter(|d| {
                d.checked_add(self.size)
                    .is_some_and(|e| e <= i64::MAX as u64)
            })
            .ok_or_else(too_big)?;
        Ok(Layout {
            sector_size,
            sectors,
            bitmap_offset,
            bitmap_len,
            data_offset,
        })
    }
}

/// The sector bitmap: bit `N % 8` of byte `N / 8` is set when sector N's
/// data is in the COW file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bitmap {
    bytes: Vec<u8>,
}

impl Bitmap {
    /// Creates a bitmap from its bytes as stored in the file.
    pub fn from_bytes(bytes: Vec<u8>) -> Bitmap {
        Bitmap { bytes }
    }

    /// Returns whether sector `sector` is in the COW file.
    pub fn test(&self, sector: u64) -> bool {
        let Ok(i) = usize::try_from(sector / 8) else {
            return false;
        };
        self.bytes
            .get(i)
            .is_some_and(|b| b & (1 << (sector % 8)) != 0)
    }

    /// Marks `sectors` as in the COW file; returns the range of bytes that
    /// changed (to be written back), if any.
    pub fn set(&mut self, sectors: Range<u64>) -> Option<Range<usize>> {
        let mut changed: Option<Range<usize>> = None;
        for sector in sectors {
            let i = (sector / 8) as usize;
            let bit = 1u8 << (sector % 8);
            let Some(byte) = self.bytes.get_mut(i) else {
                break;
            };
            if *byte & bit == 0 {
                *byte |= bit;
                changed = Some(match changed {
                    Some(r) => r.start..i + 1,
                    None => i..i + 1,
                });
            }
        }
        changed
    }

    /// Returns the bytes in `range`.
    pub fn bytes(&self, range: Range<usize>) -> &[u8] {
        &self.bytes[range]
    }

    /// Splits `sectors` into runs that are all in the COW file or all not:
    /// `(first sector, count, in COW)`, in order.
    pub fn runs(&self, sectors: Range<u64>) -> Vec<(u64, u64, bool)> {
        let mut runs: Vec<(u64, u64, bool)> = Vec::new();
        for sector in sectors {
            let bit = self.test(sector);
            match runs.last_mut() {
                Some((_, count, b)) if *b == bit => *count += 1,
                _ => runs.push((sector, 1, bit)),
            }
        }
        runs
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The header uml_mkcow wrote for a 96 MiB test image (its first 64
    /// bytes, taken with xxd).
    #[test]
    fn decodes_uml_mkcow_header() {
        let mut b = vec![0u8; HEADER_LEN];
        let head: [u8; 52] = [
            0x4f, 0x4f, 0x4f, 0x4d, 0, 0, 0, 3, 0x6b, 0x16, 0x42, 0x46, 0, 0, 0, 0, 0x06, 0, 0, 0,
            0, 0, 0x02, 0, 0, 0, 0x10, 0, 0, 0, 0, 0, b'/', b't', b'm', b'p', b'/', b'c', b'o',
            b'w', b'e', b'x', b'p', b'/', b'b', b'a', b's', b'e', b'.', b'i', b'm', b'g',
        ];
        b[..52].copy_from_slice(&head);
        let h = Header::decode(&b).expect("valid").expect("a COW header");
        assert_eq!(h.mtime, 0x6b16_4246);
        assert_eq!(h.size, 96 << 20);
        assert_eq!((h.sector_size, h.alignment), (512, 4096));
        assert_eq!(h.backing_file, b"/tmp/cowexp/base.img");
        assert!(!h.unpacked);
        let l = h.layout().expect("layout");
        // As uml_mkcow sized the file: 100663296 + 32768 bytes.
        assert_eq!(l.bitmap_offset, 8192);
        assert_eq!(l.bitmap_len, 24576);
        assert_eq!(l.data_offset, 32768);
        assert_eq!(h.encode(), b, "encode gives back the same bytes");
    }

    #[test]
    fn new_header_round_trips() {
        let h = Header::new(b"/images/base.img", 1_700_000_123, 12345).expect("header");
        let bytes = h.encode();
        assert_eq!(bytes.len(), HEADER_LEN);
        assert_eq!(Header::decode(&bytes), Ok(Some(h.clone())));
        let l = h.layout().expect("layout");
        // 25 sectors (the last partial): 4 bitmap bytes.
        assert_eq!((l.sectors, l.bitmap_len), (25, 4));
        assert_eq!((l.bitmap_offset, l.data_offset), (8192, 12288));
        // An mtime past 2106 keeps its low 32 bits, as UML's htonl does.
        let late = Header::new(b"/b", (1 << 32) + 5, 512).expect("header");
        assert_eq!(late.mtime, 5);
    }

    #[test]
    fn little_endian_magic_and_unpacked_layout() {
        // Magic and version in host (little-endian) order: still version 3.
        let h = Header::new(b"/b.img", 7, 4096).expect("header");
        let mut b = h.encode();
        b[0..4].copy_from_slice(&MAGIC.to_le_bytes());
        b[4..8].copy_from_slice(&VERSION.to_le_bytes());
        assert_eq!(
            Header::decode(&b).expect("valid").map(|h| h.size),
            Some(4096)
        );

        // The unpacked 64-bit layout: mtime in a 64-bit slot, path at 36.
        let mut u = vec![0u8; BROKEN_HEADER_LEN];
        u[0..4].copy_from_slice(&MAGIC.to_be_bytes());
        u[4..8].copy_from_slice(&3u32.to_be_bytes());
        u[8..12].copy_from_slice(&7u32.to_be_bytes());
        u[16..24].copy_from_slice(&4096u64.to_be_bytes());
        u[24..28].copy_from_slice(&512u32.to_be_bytes());
        u[28..32].copy_from_slice(&4096u32.to_be_bytes());
        u[36..42].copy_from_slice(b"/b.img");
        let h = Header::decode(&u).expect("valid").expect("a COW header");
        assert!(h.unpacked);
        assert_eq!(
            (h.mtime, h.size, &h.backing_file[..]),
            (7, 4096, &b"/b.img"[..])
        );
        assert_eq!(h.layout().expect("layout").bitmap_offset, 8192);
        assert_eq!(h.encode(), u);
    }

    #[test]
    fn plain_images_are_not_cow() {
        assert_eq!(Header::decode(&[0u8; 4096]), Ok(None));
        assert_eq!(Header::decode(b"OOO"), Ok(None));
        assert_eq!(Header::decode(&[0x53, 0xef, 0, 0, 1, 2, 3, 4]), Ok(None));
    }

    #[test]
    fn corrupt_headers_are_refused() {
        let good = Header::new(b"/base.img", 1, 1 << 20)
            .expect("header")
            .encode();
        let set32 = |at: usize, v: u32| {
            let mut b = good.clone();
            b[at..at + 4].copy_from_slice(&v.to_be_bytes());
            b
        };
        let mut no_nul = good.clone();
        no_nul[32..].fill(b'a');
        let mut zero_size = good.clone();
        zero_size[12..20].fill(0);
        let mut huge = good.clone();
        huge[12..20].copy_from_slice(&u64::MAX.to_be_bytes());
        for (what, bytes) in [
            ("version 2", set32(4, 2)),
            ("version 99", set32(4, 99)),
            ("sector size 0", set32(20, 0)),
            ("sector size 1000", set32(20, 1000)),
            ("alignment 0", set32(24, 0)),
            ("format 1", set32(28, 1)),
            ("no NUL", no_nul),
            ("size 0", zero_size),
            ("huge size", huge),
            ("cut short", good[..100].to_vec()),
        ] {
            let e = Header::decode(&bytes);
            assert!(matches!(e, Err(HeaderError(_))), "{what}: {e:?}");
        }
        let long = vec![b'a'; PATH_LEN];
        assert!(Header::new(&long, 0, 512).is_err());
        assert!(Header::new(&long[..PATH_LEN - 1], 0, 512).is_ok());
    }

    #[test]
    fn bitmap_bits_and_runs() {
        let mut m = Bitmap::from_bytes(vec![0; 4]);
        assert!(!m.test(0));
        assert_eq!(m.set(3..5), Some(0..1));
        assert_eq!(m.bytes(0..1), [0b0001_1000]);
        assert_eq!(m.set(3..5), None, "already set");
        assert_eq!(m.set(7..17), Some(0..3));
        assert_eq!(m.bytes(0..4), [0b1001_1000, 0xff, 0b0000_0001, 0]);
        assert!(m.test(16) && !m.test(17) && !m.test(1000));
        assert_eq!(
            m.runs(0..20),
            vec![
                (0, 3, false),
                (3, 2, true),
                (5, 2, false),
                (7, 10, true),
                (17, 3, false)
            ]
        );
        // Bits past the bitmap are never set and read as clear.
        assert_eq!(m.set(40..50), None);
    }
}
