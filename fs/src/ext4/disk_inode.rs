//! The on-disk inode record (Documentation/filesystems/ext4/inodes.rst): parsing
//! the fields we use, the `metadata_csum` check, and sanity limits on sizes, so
//! that everything above works on validated values; and `store`, which writes
//! those fields back into a record, leaving the rest (extended attributes in the
//! extra space, `i_file_acl`, the creation time) as they were.

use super::bytes::{le16, le32, slice};
use super::superblock::{SuperBlock, RO_COMPAT_HUGE_FILE};
use crate::crc32c::crc32c_update;
use crate::types::{FileType, Timespec};
use arch::Result;

pub(super) const EXT4_HUGE_FILE_FL: u32 = 0x40000;
pub(super) const EXT4_EXTENTS_FL: u32 = 0x80000;
pub(super) const EXT4_INDEX_FL: u32 = 0x1000;
pub(super) const EXT4_INLINE_DATA_FL: u32 = 0x1000_0000;

/// Size of `i_block`, the extent root or the fast-symlink target.
pub(super) const I_BLOCK_LEN: usize = 60;

/// An inode record, decoded and checked.
#[derive(Clone, Debug)]
pub(super) struct DiskInode {
    pub mode: u16,
    pub file_type: FileType,
    pub uid: u32,
    pub gid: u32,
    pub size: u64,
    pub links: u16,
    /// Allocated space in 512-byte units.
    pub blocks_512: u64,
    pub flags: u32,
    pub i_block: [u8; I_BLOCK_LEN],
    pub generation: u32,
    pub atime: Timespec,
    pub ctime: Timespec,
    pub mtime: Timespec,
    /// The deletion time, or the next inode of the orphan list (read only:
    /// `Ext4::set_dtime` writes it).
    pub dtime: u32,
    /// The extended-attribute block, 0 if none.
    pub file_acl: u64,
    /// crc32c seed for this inode's extent blocks and directory blocks.
    pub csum_seed: u32,
}

/// Returns the timestamp of a 32-bit seconds field and its optional `_extra` field
/// (2 epoch bits, 30 nanosecond bits).
fn timestamp(raw: &[u8], sec_off: usize, extra_off: Option<usize>) -> Timespec {
    let base = le32(raw, sec_off) as i32 as i64;
    match extra_off {
        Some(off) => {
            let extra = le32(raw, off);
            Timespec {
                sec: base + (((extra & 3) as i64) << 32),
                nsec: (extra >> 2).min(999_999_999),
            }
        }
        None => Timespec { sec: base, nsec: 0 },
    }
}

/// Returns the seconds field and the `_extra` field that encode `t`.
fn encode_time(t: Timespec) -> (u32, u32) {
    let epoch = ((t.sec - (t.sec as i32 as i64)) >> 32) & 3;
    (t.sec as u32, epoch as u32 | t.nsec.min(999_999_999) << 2)
}

/// Returns the seed of an inode's checksums.
pub(super) fn csum_seed(sb: &SuperBlock, ino: u32, generation: u32) -> u32 {
    let seed = crc32c_update(sb.csum_seed, &ino.to_le_bytes());
    crc32c_update(seed, &generation.to_le_bytes())
}

/// Returns the checksum of record `raw` (its checksum fields taken as zero),
/// and whether the record has room for the high 16 bits.
fn checksum(seed: u32, raw: &[u8]) -> (u32, bool) {
    let has_hi = raw.len() > 128 && le16(raw, 0x80) >= 4;
    let mut crc = crc32c_update(seed, &raw[..0x7C]);
    crc = crc32c_update(crc, &[0, 0]);
    if has_hi {
        crc = crc32c_update(crc, &raw[0x7E..0x82]);
        crc = crc32c_update(crc, &[0, 0]);
        crc = crc32c_update(crc, &raw[0x84..]);
        (crc, true)
    } else {
        crc = crc32c_update(crc, &raw[0x7E..]);
        (crc & 0xFFFF, false)
    }
}

/// Recomputes the checksum of record `raw` of an inode with checksum seed `seed`.
pub(super) fn set_checksum(sb: &SuperBlock, seed: u32, raw: &mut [u8]) {
    if !sb.has_csum() {
        return;
    }
    let (crc, has_hi) = checksum(seed, raw);
    raw[0x7C..0x7E].copy_from_slice(&(crc as u16).to_le_bytes());
    if has_hi {
        raw[0x82..0x84].copy_from_slice(&((crc >> 16) as u16).to_le_bytes());
    }
}

impl DiskInode {
    /// Decodes the record `raw` of inode `ino`, verifying its checksum.
    pub fn parse(sb: &SuperBlock, ino: u32, raw: &[u8]) -> Result<DiskInode> {
        let extra_isize = if raw.len() > 128 {
            le16(raw, 0x80) as usize
        } else {
            0
        };
        if raw.len() < 128 || 128 + extra_isize > raw.len() || !extra_isize.is_multiple_of(4) {
            return Err(corrupt!("inode {ino}: extra isize {extra_isize}"));
        }
        let generation = le32(raw, 0x64);
        let seed = csum_seed(sb, ino, generation);
        if sb.has_csum() {
            let (crc, has_hi) = checksum(seed, raw);
            let mut want = le16(raw, 0x7C) as u32;
            if has_hi {
                want |= (le16(raw, 0x82) as u32) << 16;
            }
            if crc != want {
                return Err(corrupt!("inode {ino} checksum {crc:#x} != {want:#x}"));
            }
        }
        let mode = le16(raw, 0x0);
        let Some(file_type) = FileType::from_mode(mode as u32) else {
            return Err(corrupt!("inode {ino}: invalid mode {mode:#o}"));
        };
        let flags = le32(raw, 0x20);
        let size = le32(raw, 0x4) as u64 | (le32(raw, 0x6C) as u64) << 32;
        let mut blocks = le32(raw, 0x1C) as u64 | (le16(raw, 0x74) as u64) << 32;
        if sb.feature_ro_compat & RO_COMPAT_HUGE_FILE != 0 && flags & EXT4_HUGE_FILE_FL != 0 {
            blocks = blocks.saturating_mul(sb.block_size as u64 / 512);
        }
        // Fields inside i_extra_isize exist; older inodes lack them.
        let extra = |off: usize| (off + 4 <= 128 + extra_isize).then_some(off);
        let mut i_block = [0u8; I_BLOCK_LEN];
        i_block.copy_from_slice(slice(raw, 0x28, I_BLOCK_LEN));
        let inode = DiskInode {
            mode,
            file_type,
            uid: le16(raw, 0x2) as u32 | (le16(raw, 0x78) as u32) << 16,
            gid: le16(raw, 0x18) as u32 | (le16(raw, 0x7A) as u32) << 16,
            size,
            links: le16(raw, 0x1A),
            blocks_512: blocks,
            flags,
            i_block,
            generation,
            atime: timestamp(raw, 0x8, extra(0x8C)),
            ctime: timestamp(raw, 0xC, extra(0x84)),
            mtime: timestamp(raw, 0x10, extra(0x88)),
            dtime: le32(raw, 0x14),
            file_acl: le32(raw, 0x68) as u64 | (le16(raw, 0x76) as u64) << 32,
            csum_seed: seed,
        };
        inode.validate(sb, ino)?;
        Ok(inode)
    }

    fn validate(&self, sb: &SuperBlock, ino: u32) -> Result<()> {
        // 2^32 logical blocks is the extent format's limit.
        let max_size = (sb.block_size as u64) << 32;
        let limit = match self.file_type {
            FileType::Symlink => 4096,
            _ => max_size,
        };
        if self.size > limit {
            return Err(corrupt!("inode {ino}: size {} is impossible", self.size));
        }
        if self.flags & EXT4_INLINE_DATA_FL != 0 {
            return Err(corrupt!(
                "inode {ino}: inline data without the inline_data feature"
            ));
        }
        if self.file_acl != 0
            && (self.file_acl <= sb.first_data_block as u64 || self.file_acl >= sb.blocks_count)
        {
            return Err(corrupt!("inode {ino}: xattr block {}", self.file_acl));
        }
        Ok(())
    }

    /// Writes the fields this driver changes into record `raw` and recomputes
    /// its checksum. `i_blocks` is stored in 512-byte units (huge_file's
    /// block units are dropped).
    pub fn store(&self, sb: &SuperBlock, raw: &mut [u8]) {
        let put16 = |raw: &mut [u8], off: usize, v: u32| {
            raw[off..off + 2].copy_from_slice(&(v as u16).to_le_bytes())
        };
        let put32 = |raw: &mut [u8], off: usize, v: u32| {
            raw[off..off + 4].copy_from_slice(&v.to_le_bytes())
        };
        put16(raw, 0x0, self.mode as u32);
        put16(raw, 0x2, self.uid);
        put16(raw, 0x78, self.uid >> 16);
        put16(raw, 0x18, self.gid);
        put16(raw, 0x7A, self.gid >> 16);
        put32(raw, 0x4, self.size as u32);
        put32(raw, 0x6C, (self.size >> 32) as u32);
        put16(raw, 0x1A, self.links as u32);
        put32(raw, 0x1C, self.blocks_512 as u32);
        put16(raw, 0x74, (self.blocks_512 >> 32) as u32);
        put32(raw, 0x20, self.flags & !EXT4_HUGE_FILE_FL);
        raw[0x28..0x28 + I_BLOCK_LEN].copy_from_slice(&self.i_block);
        put32(raw, 0x64, self.generation);
        put32(raw, 0x68, self.file_acl as u32);
        put16(raw, 0x76, (self.file_acl >> 32) as u32);
        let room = 128
            + if raw.len() > 128 {
                le16(raw, 0x80) as usize
            } else {
                0
            };
        for (t, off, extra) in [
            (self.atime, 0x8, 0x8C),
            (self.ctime, 0xC, 0x84),
            (self.mtime, 0x10, 0x88),
        ] {
            let (sec, ext) = encode_time(t);
            put32(raw, off, sec);
            if extra + 4 <= room {
                put32(raw, extra, ext);
            }
        }
        set_checksum(sb, self.csum_seed, raw);
    }

    /// Returns a new inode's record: zeroes, `i_extra_isize` and the creation
    /// time, for `store` to fill.
    pub fn new_record(sb: &SuperBlock, now: Timespec) -> Vec<u8> {
        let mut raw = vec![0u8; sb.inode_size as usize];
        if raw.len() > 128 {
            let extra = sb.want_extra_isize.max(4) as usize;
            let extra = extra.min(raw.len() - 128) & !3;
            raw[0x80..0x82].copy_from_slice(&(extra as u16).to_le_bytes());
            if 0x98 <= 128 + extra {
                let (sec, ext) = encode_time(now);
                raw[0x90..0x94].copy_from_slice(&sec.to_le_bytes());
                raw[0x94..0x98].copy_from_slice(&ext.to_le_bytes());
            }
        }
        raw
    }

    /// Returns whether the data is mapped by an extent tree.
    pub fn has_extents(&self) -> bool {
        self.flags & EXT4_EXTENTS_FL != 0
    }

    /// Returns the device number of a device node (old or new encoding in i_block).
    pub fn rdev(&self) -> u64 {
        let old = le32(&self.i_block, 0);
        if old != 0 {
            crate::devnum::makedev((old >> 8) & 0xff, old & 0xff)
        } else {
            let new = le32(&self.i_block, 4);
            crate::devnum::makedev((new & 0xfff00) >> 8, (new & 0xff) | ((new >> 12) & 0xfff00))
        }
    }

    /// Stores device number `rdev` in i_block, in the old encoding if it fits.
    pub fn set_rdev(&mut self, rdev: u64) {
        let (major, minor) = (crate::devnum::major(rdev), crate::devnum::minor(rdev));
        self.i_block = [0; I_BLOCK_LEN];
        if major < 256 && minor < 256 {
            self.i_block[0..4].copy_from_slice(&(major << 8 | minor).to_le_bytes());
        } else {
            let new = crate::devnum::new_encode_dev(rdev);
            self.i_block[4..8].copy_from_slice(&new.to_le_bytes());
        }
    }
}
