//! Extent trees (Documentation/filesystems/ext4/ifork.rst), read whole into an
//! `ExtentMap`: the sorted list of a file's extents and the tree blocks that held
//! them. The root lives in `i_block`; deeper nodes are blocks with a crc32c
//! tail. Loading checks that depth falls by exactly one per level, that no block
//! is visited twice and that extents are sorted and inside the device, so a
//! corrupt tree is `EUCLEAN`, never a loop. Mapping, inserting and removing work
//! on the list; `extent_write` turns it back into a tree.

use super::bytes::{le16, le32};
use super::disk_inode::DiskInode;
use super::superblock::SuperBlock;
use crate::cache::BlockCache;
use crate::crc32c::crc32c_update;
use arch::{Errno, Result};
use std::collections::HashSet;

pub(super) const EXTENT_MAGIC: u16 = 0xF30A;
/// Linux's `EXT4_MAX_EXTENT_DEPTH`.
const MAX_DEPTH: u16 = 5;
/// An `ee_len` above this marks an unwritten (preallocated) extent.
pub(super) const INIT_MAX_LEN: u32 = 32768;
/// The longest unwritten extent.
pub(super) const UNWRITTEN_MAX_LEN: u32 = 32767;
/// One past the last logical block a file can have.
pub(super) const LBLK_END: u64 = 1 << 32;

/// What loading a tree reads through.
struct Fs<'a> {
    sb: &'a SuperBlock,
    cache: &'a BlockCache,
}

/// A run of logical blocks starting at the requested one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Run {
    /// `len` blocks that read as zeroes.
    Hole { len: u64 },
    /// `len` blocks stored contiguously from physical block `pblk`.
    Data { pblk: u64, len: u64 },
    /// `len` allocated blocks from `pblk` not written yet: they read as zeroes.
    Unwritten { pblk: u64, len: u64 },
}

/// One extent: `len` logical blocks from `lblk` stored from `pblk`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Extent {
    pub lblk: u32,
    pub len: u32,
    pub pblk: u64,
    pub unwritten: bool,
}

impl Extent {
    /// Returns one past the last logical block.
    pub fn end(&self) -> u64 {
        self.lblk as u64 + self.len as u64
    }

    pub(super) fn max_len(&self) -> u32 {
        if self.unwritten {
            UNWRITTEN_MAX_LEN
        } else {
            INIT_MAX_LEN
        }
    }
}

/// The extents of a file, in logical order, and the tree blocks holding them.
#[derive(Clone, Debug, Default)]
pub(super) struct ExtentMap {
    pub extents: Vec<Extent>,
    /// The index and leaf blocks of the tree (none when it fits in `i_block`).
    pub tree: Vec<u64>,
    /// Whether `extents` changed since the tree was written.
    pub dirty: bool,
}

impl ExtentMap {
    /// Reads the extent tree of inode `ino`.
    pub fn load(
        sb: &SuperBlock,
        cache: &BlockCache,
        ino: u32,
        inode: &DiskInode,
    ) -> Result<ExtentMap> {
        let fs = Fs { sb, cache };
        let mut map = ExtentMap::default();
        if !inode.has_extents() {
            if inode.i_block.iter().all(|&b| b == 0) {
                return Ok(map);
            }
            log::error!("ext4: inode {ino} uses indirect block maps, not supported yet");
            return Err(Errno::EOPNOTSUPP);
        }
        let mut seen = HashSet::new();
        map.walk(&fs, ino, inode, &inode.i_block, None, &mut seen)?;
        Ok(map)
    }

    fn walk(
        &mut self,
        fs: &Fs,
        ino: u32,
        inode: &DiskInode,
        node: &[u8],
        expected_depth: Option<u16>,
        seen: &mut HashSet<u64>,
    ) -> Result<()> {
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
        for i in 0..entries as usize {
            let e = entry(i);
            if depth == 0 {
                let raw_len = le16(e, 4) as u32;
                let (len, unwritten) = if raw_len > INIT_MAX_LEN {
                    (raw_len - INIT_MAX_LEN, true)
                } else {
                    (raw_len, false)
                };
                let ext = Extent {
                    lblk: le32(e, 0),
                    len,
                    pblk: (le16(e, 6) as u64) << 32 | le32(e, 8) as u64,
                    unwritten,
                };
                let prev_end = self.extents.last().map_or(0, |p| p.end());
                if len == 0
                    || (ext.lblk as u64) < prev_end
                    || ext.end() > LBLK_END
                    || ext.pblk <= fs.sb.first_data_block as u64
                    || ext.pblk + len as u64 > fs.sb.blocks_count
                {
                    return Err(corrupt!(
                        "inode {ino}: bad extent {} +{len} at block {}",
                        ext.lblk,
                        ext.pblk
                    ));
                }
                self.extents.push(ext);
            } else {
                let child = (le16(e, 8) as u64) << 32 | le32(e, 4) as u64;
                if child <= fs.sb.first_data_block as u64
                    || child >= fs.sb.blocks_count
                    || !seen.insert(child)
                {
                    return Err(corrupt!(
                        "inode {ino}: extent index points to block {child}"
                    ));
                }
                let block = fs
                    .cache
                    .get_verified(child, &|b| check_tail(fs, ino, inode, b))?;
                self.tree.push(child);
                self.walk(fs, ino, inode, &block, Some(depth - 1), seen)?;
            }
        }
        Ok(())
    }

    /// Returns the run of logical blocks that starts at `lblk`.
    pub fn map(&self, lblk: u64) -> Run {
        if lblk >= LBLK_END {
            return Run::Hole { len: 1 };
        }
        let i = self.extents.partition_point(|e| e.end() <= lblk);
        match self.extents.get(i) {
            Some(e) if e.lblk as u64 <= lblk => {
                let off = lblk - e.lblk as u64;
                let (pblk, len) = (e.pblk + off, e.len as u64 - off);
                if e.unwritten {
                    Run::Unwritten { pblk, len }
                } else {
                    Run::Data { pblk, len }
                }
            }
            Some(e) => Run::Hole {
                len: e.lblk as u64 - lblk,
            },
            None => Run::Hole {
                len: LBLK_END - lblk,
            },
        }
    }

    /// Maps `len` logical blocks from `lblk`, a hole, to physical blocks from
    /// `pblk`, merging with neighbours where the extents allow it.
    pub fn insert(&mut self, lblk: u64, pblk: u64, len: u64) {
        self.insert_run(lblk, pblk, len, false);
    }

    /// Maps `len` logical blocks from `lblk`, a hole, to physical blocks from
    /// `pblk` as unwritten extents (allocated, reading as zeroes).
    pub fn insert_unwritten(&mut self, lblk: u64, pblk: u64, len: u64) {
        self.insert_run(lblk, pblk, len, true);
    }

    fn insert_run(&mut self, lblk: u64, pblk: u64, len: u64, unwritten: bool) {
        let (mut lblk, mut pblk, mut len) = (lblk, pblk, len);
        while len > 0 {
            let i = self.extents.partition_point(|e| e.end() <= lblk);
            if i > 0 {
                let prev = &mut self.extents[i - 1];
                if prev.unwritten == unwritten
                    && prev.end() == lblk
                    && prev.pblk + prev.len as u64 == pblk
                {
                    let n = len.min((prev.max_len() - prev.len) as u64);
                    if n > 0 {
                        prev.len += n as u32;
                        (lblk, pblk, len) = (lblk + n, pblk + n, len - n);
                        self.dirty = true;
                        continue;
                    }
                }
            }
            let max = if unwritten {
                UNWRITTEN_MAX_LEN
            } else {
                INIT_MAX_LEN
            };
            let n = len.min(max as u64);
            let ext = Extent {
                lblk: lblk as u32,
                len: n as u32,
                pblk,
                unwritten,
            };
            self.extents.insert(i, ext);
            self.try_merge_next(i);
            (lblk, pblk, len) = (lblk + n, pblk + n, len - n);
            self.dirty = true;
        }
    }

    /// Merges extent `i` with the next one if they are contiguous.
    pub(super) fn try_merge_next(&mut self, i: usize) {
        if i + 1 >= self.extents.len() {
            return;
        }
        let (a, b) = (self.extents[i], self.extents[i + 1]);
        if a.unwritten == b.unwritten
            && a.end() == b.lblk as u64
            && a.pblk + a.len as u64 == b.pblk
            && a.len + b.len <= a.max_len()
        {
            self.extents[i].len += b.len;
            self.extents.remove(i + 1);
        }
    }

    /// Marks `len` blocks from `lblk`, inside one unwritten extent, written.
    pub fn mark_written(&mut self, lblk: u64, len: u64) {
        let i = self.extents.partition_point(|e| e.end() <= lblk);
        let Some(&e) = self.extents.get(i) else {
            return;
        };
        if !e.unwritten || (e.lblk as u64) > lblk || lblk + len > e.end() {
            return;
        }
        let head = (lblk - e.lblk as u64) as u32;
        let tail = (e.end() - lblk - len) as u32;
        let mut parts = Vec::with_capacity(3);
        if head > 0 {
            parts.push(Extent { len: head, ..e });
        }
        parts.push(Extent {
            lblk: lblk as u32,
            len: len as u32,
            pblk: e.pblk + head as u64,
            unwritten: false,
        });
        if tail > 0 {
            parts.push(Extent {
                lblk: (lblk + len) as u32,
                len: tail,
                pblk: e.pblk + head as u64 + len,
                unwritten: true,
            });
        }
        self.extents.splice(i..i + 1, parts);
        self.dirty = true;
    }

    /// Unmaps every block from `lblk` on; returns the physical runs that held them.
    pub fn remove_from(&mut self, lblk: u64) -> Vec<(u64, u64)> {
        self.remove_range(lblk, LBLK_END)
    }
}

/// Returns the checksum an extent tree block `block` must carry.
pub(super) fn tail_checksum(inode: &DiskInode, block: &[u8], tail: usize) -> u32 {
    crc32c_update(inode.csum_seed, &block[..tail])
}

/// Verifies the crc32c tail of an extent tree block.
fn check_tail(fs: &Fs, ino: u32, inode: &DiskInode, block: &[u8]) -> Result<()> {
    let max = le16(block, 4) as usize;
    let tail = 12 + 12 * max;
    if tail + 4 > block.len() {
        return Err(corrupt!("inode {ino}: extent block with eh_max {max}"));
    }
    if fs.sb.has_csum() {
        let want = le32(block, tail);
        let got = tail_checksum(inode, block, tail);
        if want != got {
            return Err(corrupt!(
                "inode {ino}: extent block checksum {got:#x} != {want:#x}"
            ));
        }
    }
    Ok(())
}
