//! The ext4 superblock (Documentation/filesystems/ext4/super.rst): the fields this
//! driver uses, feature checks that decide whether we may mount (and whether we
//! may write), the `metadata_csum` checksum of the superblock itself, and the
//! fields a mounted filesystem keeps up to date in it (free counts, the orphan
//! list head, the write time, `needs_recovery`).

use super::bytes::{le16, le32, slice};
use crate::crc32c::crc32c_update;
use arch::{Errno, Result};

pub(super) const SUPERBLOCK_OFFSET: u64 = 1024;
pub(super) const SUPERBLOCK_SIZE: usize = 1024;
pub(super) const EXT4_MAGIC: u16 = 0xEF53;

pub(super) const INCOMPAT_FILETYPE: u32 = 0x2;
pub(super) const INCOMPAT_RECOVER: u32 = 0x4;
pub(super) const INCOMPAT_EXTENTS: u32 = 0x40;
pub(super) const INCOMPAT_64BIT: u32 = 0x80;
pub(super) const INCOMPAT_FLEX_BG: u32 = 0x200;
pub(super) const INCOMPAT_CSUM_SEED: u32 = 0x2000;
pub(super) const INCOMPAT_LARGEDIR: u32 = 0x4000;
/// Incompatible features this driver understands.
const INCOMPAT_SUPPORTED: u32 = INCOMPAT_FILETYPE
    | INCOMPAT_RECOVER
    | INCOMPAT_EXTENTS
    | INCOMPAT_64BIT
    | INCOMPAT_FLEX_BG
    | INCOMPAT_CSUM_SEED
    | INCOMPAT_LARGEDIR;

pub(super) const COMPAT_HAS_JOURNAL: u32 = 0x4;
/// Compatible features a read-write mount keeps consistent: dir_prealloc,
/// imagic_inodes, has_journal, ext_attr, resize_inode, dir_index, exclude_bitmap.
const COMPAT_WRITABLE: u32 = 0x1 | 0x2 | 0x4 | 0x8 | 0x10 | 0x20 | 0x100;

pub(super) const RO_COMPAT_SPARSE_SUPER: u32 = 0x1;
pub(super) const RO_COMPAT_HUGE_FILE: u32 = 0x8;
pub(super) const RO_COMPAT_DIR_NLINK: u32 = 0x20;
pub(super) const RO_COMPAT_METADATA_CSUM: u32 = 0x400;
/// Read-only-compatible features a read-write mount keeps consistent:
/// sparse_super, large_file, huge_file, dir_nlink, extra_isize, metadata_csum.
const RO_COMPAT_WRITABLE: u32 = 0x1 | 0x2 | 0x8 | 0x20 | 0x40 | RO_COMPAT_METADATA_CSUM;

/// The superblock fields the driver uses.
#[derive(Clone, Debug)]
#[expect(dead_code, reason = "hash seed and flags: htree lookup to come")]
pub(super) struct SuperBlock {
    pub inodes_count: u32,
    pub blocks_count: u64,
    pub r_blocks_count: u64,
    pub free_blocks_count: u64,
    pub free_inodes_count: u32,
    pub first_data_block: u32,
    pub block_size: u32,
    pub blocks_per_group: u32,
    pub inodes_per_group: u32,
    pub inode_size: u16,
    pub feature_compat: u32,
    pub feature_incompat: u32,
    pub feature_ro_compat: u32,
    pub uuid: [u8; 16],
    pub hash_seed: [u32; 4],
    pub def_hash_version: u8,
    pub desc_size: u16,
    pub flags: u32,
    /// Seed of every metadata checksum: crc32c(~0, uuid) or `s_checksum_seed`.
    pub csum_seed: u32,
    /// The first inode number ordinary files may have (`s_first_ino`).
    pub first_ino: u32,
    pub reserved_gdt_blocks: u32,
    /// The `i_extra_isize` new inodes get.
    pub want_extra_isize: u16,
    pub journal_inum: u32,
    /// The head of the orphan inode list.
    pub last_orphan: u32,
}

impl SuperBlock {
    /// Parses and validates the 1024-byte superblock; refuses what we cannot mount.
    pub fn parse(b: &[u8]) -> Result<SuperBlock> {
        if b.len() < SUPERBLOCK_SIZE || le16(b, 0x38) != EXT4_MAGIC {
            log::error!("ext4: bad superblock magic, not an ext2/3/4 filesystem");
            return Err(Errno::EINVAL);
        }
        let incompat = le32(b, 0x60);
        let ro_compat = le32(b, 0x64);
        let unsupported = incompat & !INCOMPAT_SUPPORTED;
        if unsupported != 0 {
            log::error!("ext4: unsupported incompatible features {unsupported:#x}");
            return Err(Errno::EINVAL);
        }
        if incompat & INCOMPAT_EXTENTS == 0 {
            log::error!("ext4: filesystems without extents (ext2/ext3) are not supported");
            return Err(Errno::EINVAL);
        }
        if ro_compat & RO_COMPAT_METADATA_CSUM != 0 {
            if b[0x175] != 1 {
                log::error!("ext4: unknown checksum type {}", b[0x175]);
                return Err(Errno::EINVAL);
            }
            let want = le32(b, 0x3FC);
            let got = crc32c_update(!0, &b[..0x3FC]);
            if want != got {
                return Err(corrupt!("superblock checksum {got:#x} != {want:#x}"));
            }
        }
        let log_block_size = le32(b, 0x18);
        if log_block_size > 6 {
            return Err(corrupt!("block size 2^(10+{log_block_size})"));
        }
        let block_size = 1024u32 << log_block_size;
        let is64 = incompat & INCOMPAT_64BIT != 0;
        let hi = |off: usize| if is64 { (le32(b, off) as u64) << 32 } else { 0 };
        let mut uuid = [0u8; 16];
        uuid.copy_from_slice(slice(b, 0x68, 16));
        let rev = le32(b, 0x4C);
        let inode_size = if rev == 0 { 128 } else { le16(b, 0x58) };
        let desc_size = if is64 { le16(b, 0xFE) } else { 32 };
        let csum_seed = if incompat & INCOMPAT_CSUM_SEED != 0 {
            le32(b, 0x270)
        } else {
            crc32c_update(!0, &uuid)
        };
        let sb = SuperBlock {
            inodes_count: le32(b, 0x0),
            blocks_count: le32(b, 0x4) as u64 | hi(0x150),
            r_blocks_count: le32(b, 0x8) as u64 | hi(0x154),
            free_blocks_count: le32(b, 0xC) as u64 | hi(0x158),
            free_inodes_count: le32(b, 0x10),
            first_data_block: le32(b, 0x14),
            block_size,
            blocks_per_group: le32(b, 0x20),
            inodes_per_group: le32(b, 0x28),
            inode_size,
            feature_compat: le32(b, 0x5C),
            feature_incompat: incompat,
            feature_ro_compat: ro_compat,
            uuid,
            hash_seed: [le32(b, 0xEC), le32(b, 0xF0), le32(b, 0xF4), le32(b, 0xF8)],
            def_hash_version: b[0xFC],
            desc_size,
            flags: le32(b, 0x160),
            csum_seed,
            first_ino: if rev == 0 { 11 } else { le32(b, 0x54) },
            reserved_gdt_blocks: le16(b, 0xCE) as u32,
            want_extra_isize: le16(b, 0x15E).max(le16(b, 0x15C)),
            journal_inum: le32(b, 0xE0),
            last_orphan: le32(b, 0xE8),
        };
        sb.validate()?;
        Ok(sb)
    }

    fn validate(&self) -> Result<()> {
        let bs = self.block_size;
        if self.blocks_per_group == 0 || self.blocks_per_group > bs * 8 {
            return Err(corrupt!("blocks per group {}", self.blocks_per_group));
        }
        if self.inodes_per_group == 0 || self.inodes_per_group > bs * 8 {
            return Err(corrupt!("inodes per group {}", self.inodes_per_group));
        }
        if self.inode_size < 128
            || !self.inode_size.is_power_of_two()
            || self.inode_size as u32 > bs
        {
            return Err(corrupt!("inode size {}", self.inode_size));
        }
        if self.desc_size < 32 || !self.desc_size.is_power_of_two() || self.desc_size > 1024 {
            return Err(corrupt!("group descriptor size {}", self.desc_size));
        }
        if self.first_data_block != u32::from(bs == 1024) {
            return Err(corrupt!("first data block {}", self.first_data_block));
        }
        if self.first_ino < 11 || self.first_ino > self.inodes_count {
            return Err(corrupt!("first inode {}", self.first_ino));
        }
        if self.inode_size > 128 && 128 + self.want_extra_isize as u32 > self.inode_size as u32 {
            return Err(corrupt!("extra isize {}", self.want_extra_isize));
        }
        if self.blocks_count <= self.first_data_block as u64 {
            return Err(corrupt!("block count {}", self.blocks_count));
        }
        let groups = self.group_count();
        if (groups as u64) * (self.inodes_per_group as u64) < self.inodes_count as u64 {
            return Err(corrupt!(
                "inode count {} exceeds the groups",
                self.inodes_count
            ));
        }
        Ok(())
    }

    /// Returns the number of block groups.
    pub fn group_count(&self) -> u32 {
        let data = self.blocks_count - self.first_data_block as u64;
        data.div_ceil(self.blocks_per_group as u64)
            .min(u32::MAX as u64) as u32
    }

    /// Returns whether `metadata_csum` checksums are present.
    pub fn has_csum(&self) -> bool {
        self.feature_ro_compat & RO_COMPAT_METADATA_CSUM != 0
    }

    /// Returns whether the filesystem has a journal inode (`has_journal`).
    pub fn has_journal(&self) -> bool {
        self.feature_compat & COMPAT_HAS_JOURNAL != 0 && self.journal_inum != 0
    }

    /// Returns whether the journal must be replayed (`needs_recovery`).
    pub fn needs_recovery(&self) -> bool {
        self.feature_incompat & INCOMPAT_RECOVER != 0
    }

    /// Refuses (`EROFS`, logged) features a read-write mount cannot keep
    /// consistent: bigalloc, quota, sparse_super2, fast commits, the old
    /// group-descriptor checksums, and anything unknown.
    pub fn check_writable(&self) -> Result<()> {
        let compat = self.feature_compat & !COMPAT_WRITABLE;
        let ro_compat = self.feature_ro_compat & !RO_COMPAT_WRITABLE;
        if self.block_size > 32768 {
            log::error!("ext4: cannot write with {}-byte blocks", self.block_size);
            return Err(Errno::EROFS);
        }
        if compat != 0 || ro_compat != 0 {
            log::error!(
                "ext4: cannot write with features compat {compat:#x} ro_compat {ro_compat:#x}"
            );
            return Err(Errno::EROFS);
        }
        Ok(())
    }

    /// Returns whether group `g` holds a copy of the superblock and group
    /// descriptors (all groups, or with sparse_super 0, 1 and powers of 3, 5, 7).
    pub fn has_super(&self, g: u32) -> bool {
        if g <= 1 || self.feature_ro_compat & RO_COMPAT_SPARSE_SUPER == 0 {
            return true;
        }
        [3u32, 5, 7].iter().any(|&b| {
            let mut p = b;
            while p < g {
                match p.checked_mul(b) {
                    Some(n) => p = n,
                    None => return false,
                }
            }
            p == g
        })
    }

    /// Returns how many blocks the group descriptor table takes.
    pub fn gdt_blocks(&self) -> u64 {
        let per_block = (self.block_size / self.desc_size as u32) as u64;
        (self.group_count() as u64).div_ceil(per_block)
    }

    /// Returns the first block of group `g`.
    pub fn group_first_block(&self, g: u32) -> u64 {
        self.first_data_block as u64 + g as u64 * self.blocks_per_group as u64
    }

    /// Returns how many blocks group `g` has (the last one may be short).
    pub fn group_blocks(&self, g: u32) -> u32 {
        let first = self.group_first_block(g);
        (self.blocks_count - first).min(self.blocks_per_group as u64) as u32
    }

    /// Returns the group block `b` lies in.
    pub fn block_group(&self, b: u64) -> u32 {
        ((b.saturating_sub(self.first_data_block as u64)) / self.blocks_per_group as u64) as u32
    }
}

/// The superblock fields a mounted filesystem changes.
pub(super) struct SuperUpdate {
    pub free_blocks: u64,
    pub free_inodes: u32,
    pub last_orphan: u32,
    pub wtime: i64,
    pub needs_recovery: bool,
}

/// Writes `u` into the raw superblock `b` and recomputes its checksum.
pub(super) fn update(b: &mut [u8], u: &SuperUpdate, csum: bool) {
    let put32 =
        |b: &mut [u8], off: usize, v: u32| b[off..off + 4].copy_from_slice(&v.to_le_bytes());
    put32(b, 0xC, u.free_blocks as u32);
    if le32(b, 0x60) & INCOMPAT_64BIT != 0 {
        put32(b, 0x158, (u.free_blocks >> 32) as u32);
    }
    put32(b, 0x10, u.free_inodes);
    put32(b, 0xE8, u.last_orphan);
    put32(b, 0x30, u.wtime as u32);
    b[0x274] = ((u.wtime >> 32) & 0xFF) as u8;
    let mut incompat = le32(b, 0x60) & !INCOMPAT_RECOVER;
    if u.needs_recovery {
        incompat |= INCOMPAT_RECOVER;
    }
    put32(b, 0x60, incompat);
    if csum {
        let c = crc32c_update(!0, &b[..0x3FC]);
        put32(b, 0x3FC, c);
    }
}
