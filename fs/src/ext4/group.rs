//! Block group descriptors (Documentation/filesystems/ext4/group_descr.rst): where
//! each group's bitmaps and inode table are, its free counts and `bg_flags`. The
//! table follows the superblock; with `metadata_csum` each descriptor carries a
//! crc32c of itself and of its two bitmaps. `store` writes one back.

use super::bytes::{le16, le32};
use super::superblock::SuperBlock;
use crate::cache::BlockCache;
use crate::crc32c::crc32c_update;
use arch::Result;

/// `bg_flags`: the inode bitmap and table are not initialised.
pub(super) const BG_INODE_UNINIT: u16 = 0x1;
/// `bg_flags`: the block bitmap is not initialised.
pub(super) const BG_BLOCK_UNINIT: u16 = 0x2;

/// One group descriptor, 32- and 64-byte forms merged.
#[derive(Clone, Debug)]
pub(super) struct GroupDesc {
    pub block_bitmap: u64,
    pub inode_bitmap: u64,
    pub inode_table: u64,
    pub free_blocks: u32,
    pub free_inodes: u32,
    pub used_dirs: u32,
    pub flags: u16,
    pub itable_unused: u32,
    pub block_bitmap_csum: u32,
    pub inode_bitmap_csum: u32,
}

/// Offset of `bg_checksum` in a descriptor.
const CHECKSUM_OFFSET: usize = 0x1E;

impl GroupDesc {
    fn parse(d: &[u8], wide: bool) -> GroupDesc {
        let hi = |off: usize, bits: u32| -> u64 {
            if wide {
                if bits == 32 {
                    (le32(d, off) as u64) << 32
                } else {
                    (le16(d, off) as u64) << 16
                }
            } else {
                0
            }
        };
        GroupDesc {
            block_bitmap: le32(d, 0x0) as u64 | hi(0x20, 32),
            inode_bitmap: le32(d, 0x4) as u64 | hi(0x24, 32),
            inode_table: le32(d, 0x8) as u64 | hi(0x28, 32),
            free_blocks: (le16(d, 0xC) as u64 | hi(0x2C, 16)) as u32,
            free_inodes: (le16(d, 0xE) as u64 | hi(0x2E, 16)) as u32,
            used_dirs: (le16(d, 0x10) as u64 | hi(0x30, 16)) as u32,
            flags: le16(d, 0x12),
            itable_unused: (le16(d, 0x1C) as u64 | hi(0x32, 16)) as u32,
            block_bitmap_csum: (le16(d, 0x18) as u64 | hi(0x38, 16)) as u32,
            inode_bitmap_csum: (le16(d, 0x1A) as u64 | hi(0x3A, 16)) as u32,
        }
    }

    /// Writes the fields a mounted filesystem changes into descriptor `d`.
    fn patch(&self, d: &mut [u8], wide: bool) {
        let mut put16 =
            |off: usize, v: u32| d[off..off + 2].copy_from_slice(&(v as u16).to_le_bytes());
        put16(0xC, self.free_blocks);
        put16(0xE, self.free_inodes);
        put16(0x10, self.used_dirs);
        put16(0x12, self.flags as u32);
        put16(0x18, self.block_bitmap_csum);
        put16(0x1A, self.inode_bitmap_csum);
        put16(0x1C, self.itable_unused);
        if wide {
            put16(0x2C, self.free_blocks >> 16);
            put16(0x2E, self.free_inodes >> 16);
            put16(0x30, self.used_dirs >> 16);
            put16(0x32, self.itable_unused >> 16);
            put16(0x38, self.block_bitmap_csum >> 16);
            put16(0x3A, self.inode_bitmap_csum >> 16);
        }
    }

    /// Returns the `metadata_csum` checksum of descriptor `d` of group `group`.
    fn checksum(sb: &SuperBlock, group: u32, d: &[u8]) -> u16 {
        let mut crc = crc32c_update(sb.csum_seed, &group.to_le_bytes());
        crc = crc32c_update(crc, &d[..CHECKSUM_OFFSET]);
        crc = crc32c_update(crc, &[0, 0]);
        crc = crc32c_update(crc, &d[CHECKSUM_OFFSET + 2..]);
        (crc & 0xFFFF) as u16
    }
}

/// Returns the block holding descriptor `g` and its offset in it.
fn location(sb: &SuperBlock, g: u32) -> (u64, usize) {
    let ds = sb.desc_size as usize;
    let per_block = sb.block_size as usize / ds;
    let first = sb.first_data_block as u64 + 1;
    (
        first + (g as usize / per_block) as u64,
        (g as usize % per_block) * ds,
    )
}

/// Reads, checks and returns every group descriptor.
pub(super) fn read_table(sb: &SuperBlock, cache: &BlockCache) -> Result<Vec<GroupDesc>> {
    let bs = sb.block_size as usize;
    let ds = sb.desc_size as usize;
    let wide = ds >= 64;
    let groups = sb.group_count();
    let first = sb.first_data_block as u64 + 1;
    if first + sb.gdt_blocks() > sb.blocks_count {
        return Err(corrupt!(
            "group descriptor table past the end ({groups} groups)"
        ));
    }
    let mut out = Vec::with_capacity(groups as usize);
    for g in 0..groups {
        let (nr, off) = location(sb, g);
        let block = cache.get(nr)?;
        let d = &block[off..off + ds];
        if sb.has_csum() {
            let want = le16(d, CHECKSUM_OFFSET);
            let got = GroupDesc::checksum(sb, g, d);
            if want != got {
                return Err(corrupt!(
                    "group {g} descriptor checksum {got:#x} != {want:#x}"
                ));
            }
        }
        let gd = GroupDesc::parse(d, wide);
        let itable_blocks = (sb.inodes_per_group as u64 * sb.inode_size as u64).div_ceil(bs as u64);
        if gd.inode_table < first || gd.inode_table + itable_blocks > sb.blocks_count {
            return Err(corrupt!(
                "group {g} inode table at block {}",
                gd.inode_table
            ));
        }
        for (what, b) in [("block", gd.block_bitmap), ("inode", gd.inode_bitmap)] {
            if b < first || b >= sb.blocks_count {
                return Err(corrupt!("group {g} {what} bitmap at block {b}"));
            }
        }
        if gd.free_blocks > sb.blocks_per_group
            || gd.free_inodes > sb.inodes_per_group
            || gd.itable_unused > sb.inodes_per_group
        {
            return Err(corrupt!("group {g} free counts"));
        }
        out.push(gd);
    }
    Ok(out)
}

/// Writes descriptor `gd` of group `g` back into the table (through the cache).
pub(super) fn store(sb: &SuperBlock, cache: &BlockCache, g: u32, gd: &GroupDesc) -> Result<()> {
    let ds = sb.desc_size as usize;
    let (nr, off) = location(sb, g);
    let mut block = cache.get(nr)?.to_vec();
    let d = &mut block[off..off + ds];
    gd.patch(d, ds >= 64);
    if sb.has_csum() {
        let c = GroupDesc::checksum(sb, g, d);
        d[CHECKSUM_OFFSET..CHECKSUM_OFFSET + 2].copy_from_slice(&c.to_le_bytes());
    }
    cache.write(nr, block)
}
