//! Directories (Documentation/filesystems/ext4/directory.rst): linear dirent blocks
//! with a crc32c tail, and htree (dir_index) directories whose interior nodes are
//! skipped when scanning. A readdir position is the byte offset of an entry
//! (block * block size + offset in the block); a position inside an entry resumes at
//! the next one. `Dir` is a directory's locked record and extent map; the
//! changes are in `dir_write`.

use super::bytes::{le16, le32};
use super::disk_inode::{DiskInode, EXT4_INDEX_FL};
use super::extent::{ExtentMap, Run};
use super::Ext4;
use crate::crc32c::crc32c_update;
use crate::inode::Inode as _;
use crate::types::{DirEntry, FileType};
use arch::Result;
use std::sync::Arc;

/// Size of the `ext4_dir_entry_tail` holding a leaf block's checksum.
pub(super) const TAIL_LEN: usize = 12;

/// What `Dir::for_each_block` calls: (logical block, physical block, contents)
/// to whether to go on.
pub(super) type BlockVisitor<'a> = &'a mut dyn FnMut(u64, u64, &[u8]) -> Result<bool>;

/// One entry as stored in a block (`ino` 0 for an unused one).
pub(super) struct RawEntry<'a> {
    pub offset: usize,
    pub rec_len: usize,
    pub ino: u32,
    pub name: &'a [u8],
    pub ftype: u8,
}

/// Returns the file type of dirent type `ft`, or `None` for unknown.
fn dirent_type(ft: u8) -> Option<FileType> {
    Some(match ft {
        1 => FileType::Regular,
        2 => FileType::Directory,
        3 => FileType::CharDevice,
        4 => FileType::BlockDevice,
        5 => FileType::Fifo,
        6 => FileType::Socket,
        7 => FileType::Symlink,
        _ => return None,
    })
}

/// Returns the dirent type of `ft`.
pub(super) fn ftype_of(ft: FileType) -> u8 {
    match ft {
        FileType::Regular => 1,
        FileType::Directory => 2,
        FileType::CharDevice => 3,
        FileType::BlockDevice => 4,
        FileType::Fifo => 5,
        FileType::Socket => 6,
        FileType::Symlink => 7,
    }
}

/// A directory, locked: its record and extent map.
pub(super) struct Dir<'a> {
    pub fs: &'a Ext4,
    pub ino: u32,
    pub disk: &'a DiskInode,
    pub map: &'a ExtentMap,
}

/// Returns the checksum of a leaf block's entries (`block[..end]`).
pub(super) fn leaf_checksum(disk: &DiskInode, block: &[u8], end: usize) -> u32 {
    crc32c_update(disk.csum_seed, &block[..end])
}

impl Dir<'_> {
    /// Returns whether the directory is htree-indexed.
    pub fn indexed(&self) -> bool {
        self.disk.flags & EXT4_INDEX_FL != 0
    }

    /// Returns whether block `lblk` (contents `block`) is an htree node holding
    /// no entries: the interior nodes, whose fake entry spans the whole block.
    pub fn is_dx_node(&self, lblk: u64, block: &[u8]) -> bool {
        self.indexed() && lblk > 0 && le32(block, 0) == 0 && le16(block, 4) as usize == block.len()
    }

    /// Returns where entries end in logical block `lblk`: before the checksum
    /// tail of a leaf block, or at the block's end.
    pub fn entries_end(&self, lblk: u64, bs: usize) -> usize {
        if self.fs.sb.has_csum() && !(self.indexed() && lblk == 0) && bs > TAIL_LEN {
            bs - TAIL_LEN
        } else {
            bs
        }
    }

    /// Verifies the checksum tail of leaf block `lblk`.
    fn verify(&self, lblk: u64, block: &[u8]) -> Result<()> {
        let limit = self.entries_end(lblk, block.len());
        if limit == block.len() || self.is_dx_node(lblk, block) {
            return Ok(());
        }
        let (ino, t) = (self.ino, limit);
        let tail_ok = le32(block, t) == 0
            && le16(block, t + 4) as usize == TAIL_LEN
            && block[t + 6] == 0
            && block[t + 7] == 0xDE;
        if !tail_ok {
            return Err(corrupt!("directory {ino} block {lblk}: no checksum tail"));
        }
        let want = le32(block, t + 8);
        let got = leaf_checksum(self.disk, block, t);
        if want != got {
            return Err(corrupt!(
                "directory {ino} block {lblk}: checksum {got:#x} != {want:#x}"
            ));
        }
        Ok(())
    }

    /// Returns physical block `pblk`, logical block `lblk` of the directory, checked.
    pub fn block(&self, lblk: u64, pblk: u64) -> Result<Arc<[u8]>> {
        self.fs.cache.get_verified(pblk, &|b| self.verify(lblk, b))
    }

    /// Calls `f` on each entry of logical block `lblk` (contents `block`), unused
    /// ones too, after checking it; stops early when `f` returns false. Returns
    /// the offset where entries end (the block size less the checksum tail).
    pub fn scan_raw(
        &self,
        lblk: u64,
        block: &[u8],
        f: &mut dyn FnMut(&RawEntry) -> bool,
    ) -> Result<usize> {
        let bs = block.len();
        let ino = self.ino;
        if self.is_dx_node(lblk, block) {
            return Ok(bs);
        }
        let limit = self.entries_end(lblk, bs);
        let mut off = 0;
        while off < limit {
            let mut rec_len = le16(block, off + 4) as usize;
            if bs >= 65536 && (rec_len == 0 || rec_len == 65535) {
                rec_len = 65536;
            }
            let name_len = block.get(off + 6).copied().unwrap_or(0) as usize;
            if off + 8 > limit
                || rec_len < 12
                || !rec_len.is_multiple_of(4)
                || off + rec_len > limit
                || 8 + name_len > rec_len
            {
                return Err(corrupt!(
                    "directory {ino} block {lblk}: bad entry at offset {off}"
                ));
            }
            let e = RawEntry {
                offset: off,
                rec_len,
                ino: le32(block, off),
                name: &block[off + 8..off + 8 + name_len],
                ftype: block[off + 7],
            };
            if e.ino != 0 && (e.ino > self.fs.sb.inodes_count || name_len == 0) {
                return Err(corrupt!(
                    "directory {ino} block {lblk}: bad entry for inode {}",
                    e.ino
                ));
            }
            if !f(&e) {
                break;
            }
            off += rec_len;
        }
        Ok(limit)
    }

    /// Calls `f` on each live entry of block `lblk`, as `scan_raw`.
    pub fn scan_block(
        &self,
        lblk: u64,
        block: &[u8],
        f: &mut dyn FnMut(&RawEntry) -> bool,
    ) -> Result<usize> {
        self.scan_raw(lblk, block, &mut |e| e.ino == 0 || f(e))
    }

    /// Returns the number of blocks the directory's size covers.
    pub fn nblocks(&self) -> u64 {
        self.disk.size.div_ceil(self.fs.sb.block_size as u64)
    }

    /// Calls `f(lblk, pblk, block)` on each allocated block from logical block
    /// `start`; stops early when it returns false.
    pub fn for_each_block(&self, start: u64, f: BlockVisitor) -> Result<()> {
        let nblocks = self.nblocks();
        let mut lblk = start;
        while lblk < nblocks {
            match self.map.map(lblk) {
                Run::Hole { len } | Run::Unwritten { len, .. } => {
                    lblk = lblk.saturating_add(len.max(1))
                }
                Run::Data { pblk, len } => {
                    for i in 0..len.min(nblocks - lblk) {
                        let block = self.block(lblk + i, pblk + i)?;
                        if !f(lblk + i, pblk + i, &block)? {
                            return Ok(());
                        }
                    }
                    lblk += len.max(1);
                }
            }
        }
        Ok(())
    }

    /// Returns the inode number and dirent type of entry `name`, if any
    /// (through the htree index when there is one, else a linear scan).
    pub fn find(&self, name: &[u8]) -> Result<Option<(u32, u8)>> {
        if let Some(found) = self.dx_find(name)? {
            return Ok(found);
        }
        let mut found = None;
        self.for_each_block(0, &mut |lblk, _, block| {
            self.scan_block(lblk, block, &mut |e| {
                if e.name == name {
                    found = Some((e.ino, e.ftype));
                }
                found.is_none()
            })?;
            Ok(found.is_none())
        })?;
        Ok(found)
    }

    /// Emits the entries from position `pos`; returns the position to resume at.
    pub fn readdir(&self, pos: u64, emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64> {
        let bs = self.fs.sb.block_size as u64;
        let end = self.nblocks() * bs;
        if pos >= end {
            return Ok(pos);
        }
        let mut resume = end;
        let mut err = None;
        self.for_each_block(pos / bs, &mut |lblk, _, block| {
            let base = lblk * bs;
            let mut stopped = false;
            let limit = self.entries_end(lblk, block.len());
            self.scan_block(lblk, block, &mut |e| {
                let here = base + e.offset as u64;
                if here < pos {
                    return true;
                }
                let file_type = match dirent_type(e.ftype) {
                    Some(t) => t,
                    None => match self.fs.inode(e.ino) {
                        Ok(i) => i.file_type(),
                        Err(x) => {
                            err = Some(x);
                            stopped = true;
                            resume = here;
                            return false;
                        }
                    },
                };
                // The last entry of a block resumes at the next block.
                let next_pos = if e.offset + e.rec_len >= limit {
                    base + bs
                } else {
                    here + e.rec_len as u64
                };
                let entry = DirEntry {
                    ino: e.ino as u64,
                    name: e.name,
                    file_type,
                    next_pos,
                };
                if !emit(&entry) {
                    stopped = true;
                    resume = here;
                    return false;
                }
                true
            })?;
            Ok(!stopped)
        })?;
        match err {
            Some(e) => Err(e),
            None => Ok(resume),
        }
    }

    /// Returns whether the directory holds nothing but "." and "..".
    pub fn is_empty(&self) -> Result<bool> {
        let mut empty = true;
        self.for_each_block(0, &mut |lblk, _, block| {
            self.scan_block(lblk, block, &mut |e| {
                empty = e.name == b"." || e.name == b"..";
                empty
            })?;
            Ok(empty)
        })?;
        Ok(empty)
    }
}
