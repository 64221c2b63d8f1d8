//! Extent trees (Documentation/filesystems/ext4/ifork.rst): mapping a logical block
//! of a file to a run of physical blocks. The root lives in `i_block`; deeper nodes
//! are blocks with a crc32c tail. Depth must fall by exactly one per level, which
//! bounds the walk and rules out loops in a corrupt tree.

use super::bytes::{le16, le32};
use super::disk_inode::DiskInode;
use super::Ext4;
use crate::crc32c::crc32c_update;
use arch::{Errno, Result};

const EXTENT_MAGIC: u16 = 0xF30A;
/// Linux's `EXT4_MAX_EXTENT_DEPTH`.
const MAX_DEPTH: u16 = 5;
/// An `ee_len` above this marks an unwritten (preallocated) extent.
const INIT_MAX_LEN: u32 = 32768;
/// One past the last logical block a file can have.
const LBLK_END: u64 = 1 << 32;

/// A run of logical blocks starting at the requested one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Run {
    /// `len` blocks that read as zeroes (holes and unwritten extents).
    Hole { len: u64 },
    /// `len` blocks stored contiguously from physical block `pblk`.
    Data { pblk: u64, len: u64 },
}

/// Returns the run of inode `ino` that starts at logical block `lblk`.
pub(super) fn map(fs: &Ext4, ino: u32, inode: &DiskInode, lblk: u64) -> Result<Run> {
    if lblk >= LBLK_END {
        return Ok(Run::Hole { len: 1 });
    }
    if !inode.has_extents() {
        if inode.i_block.iter().all(|&b| b == 0) {
            return Ok(Run::Hole {
                len: LBLK_END - lblk,
            });
        }
        log::error!("ext4: inode {ino} uses indirect block maps, not supported yet");
        return Err(Errno::EOPNOTSUPP);
    }
    let mut block_buf;
    let mut node: &[u8] = &inode.i_block;
    let mut expected_depth: Option<u16> = None;
    let mut end = LBLK_END;
    loop {
        let (entries, max, depth) = (le16(node, 2), le16(node, 4), le16(node, 6));
        if le16(node, 0) != EXTENT_MAGIC
            || entries > max
            || 12 + 12 * max as usize > node.len()
            || depth > MAX_DEPTH
            || expected_depth.is_some_and(|d| d != depth)
        {
            return Err(corrupt!(
                "inode {ino}: bad extent header (entries {entries}, max {max}, depth {depth})"
            ));
        }
        let entry = |i: usize| &node[12 + 12 * i..24 + 12 * i];
        if depth == 0 {
            for i in 0..entries as usize {
                let e = entry(i);
                let first = le32(e, 0) as u64;
                let raw_len = le16(e, 4) as u32;
                let (len, unwritten) = if raw_len > INIT_MAX_LEN {
                    ((raw_len - INIT_MAX_LEN) as u64, true)
                } else {
                    (raw_len as u64, false)
                };
                if lblk < first {
                    return Ok(Run::Hole {
                        len: first.min(end) - lblk,
                    });
                }
                if lblk < first + len {
                    let start = (le16(e, 6) as u64) << 32 | le32(e, 8) as u64;
                    if start
                        .checked_add(len)
                        .is_none_or(|e| e > fs.sb.blocks_count)
                    {
                        return Err(corrupt!(
                            "inode {ino}: extent at block {start} past the end"
                        ));
                    }
                    let len = first + len - lblk;
                    return Ok(if unwritten {
                        Run::Hole { len }
                    } else {
                        Run::Data {
                            pblk: start + (lblk - first),
                            len,
                        }
                    });
                }
            }
            return Ok(Run::Hole {
                len: end.saturating_sub(lblk).max(1),
            });
        }
        // Index node: the last index whose range starts at or before lblk.
        let count = entries as usize;
        let idx = (0..count).rev().find(|&i| le32(entry(i), 0) as u64 <= lblk);
        let Some(i) = idx else {
            let first = if count > 0 {
                le32(entry(0), 0) as u64
            } else {
                end
            };
            return Ok(Run::Hole {
                len: first.min(end).saturating_sub(lblk).max(1),
            });
        };
        if i + 1 < count {
            end = end.min(le32(entry(i + 1), 0) as u64);
        }
        let e = entry(i);
        let child = (le16(e, 8) as u64) << 32 | le32(e, 4) as u64;
        if child <= fs.sb.first_data_block as u64 || child >= fs.sb.blocks_count {
            return Err(corrupt!(
                "inode {ino}: extent index points to block {child}"
            ));
        }
        block_buf = fs.cache.get(child)?;
        check_tail(fs, ino, inode, &block_buf)?;
        node = &block_buf;
        expected_depth = Some(depth - 1);
    }
}

/// Verifies the crc32c tail of an extent tree block.
fn check_tail(fs: &Ext4, ino: u32, inode: &DiskInode, block: &[u8]) -> Result<()> {
    let max = le16(block, 4) as usize;
    let tail = 12 + 12 * max;
    if tail + 4 > block.len() {
        return Err(corrupt!("inode {ino}: extent block with eh_max {max}"));
    }
    if fs.sb.has_csum() {
        let want = le32(block, tail);
        let got = crc32c_update(inode.csum_seed, &block[..tail]);
        if want != got {
            return Err(corrupt!(
                "inode {ino}: extent block checksum {got:#x} != {want:#x}"
            ));
        }
    }
    Ok(())
}
