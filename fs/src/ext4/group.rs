//! Block group descriptors (Documentation/filesystems/ext4/group_descr.rst): where
//! each group's bitmaps and inode table are, and its free counts. The table follows
//! the superblock; with `metadata_csum` each descriptor carries a crc32c.

use super::bytes::{le16, le32};
use super::superblock::SuperBlock;
use crate::cache::BlockCache;
use crate::crc32c::crc32c_update;
use arch::Result;

/// One group descriptor, 32- and 64-byte forms merged.
#[derive(Clone, Debug)]
#[expect(dead_code, reason = "the bitmaps are for the write path to come")]
pub(super) struct GroupDesc {
    pub block_bitmap: u64,
    pub inode_bitmap: u64,
    pub inode_table: u64,
    pub free_blocks: u32,
    pub free_inodes: u32,
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

/// Reads, checks and returns every group descriptor.
pub(super) fn read_table(sb: &SuperBlock, cache: &BlockCache) -> Result<Vec<GroupDesc>> {
    let bs = sb.block_size as usize;
    let ds = sb.desc_size as usize;
    let wide = ds >= 64;
    let per_block = bs / ds;
    let groups = sb.group_count();
    let first = sb.first_data_block as u64 + 1;
    let table_blocks = (groups as u64).div_ceil(per_block as u64);
    if first + table_blocks > sb.blocks_count {
        return Err(corrupt!(
            "group descriptor table past the end ({groups} groups)"
        ));
    }
    let mut out = Vec::with_capacity(groups as usize);
    for g in 0..groups {
        let block = cache.get(first + (g as usize / per_block) as u64)?;
        let off = (g as usize % per_block) * ds;
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
        out.push(gd);
    }
    Ok(out)
}
