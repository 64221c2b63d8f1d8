//! Directories (Documentation/filesystems/ext4/directory.rst): linear dirent blocks
//! with a crc32c tail, and htree (dir_index) directories whose interior nodes are
//! skipped when scanning. A readdir position is the byte offset of an entry
//! (block * block size + offset in the block); a position inside an entry resumes at
//! the next one.

use super::bytes::{le16, le32};
use super::disk_inode::EXT4_INDEX_FL;
use super::extent::Run;
use super::inode::Inode;
use crate::crc32c::crc32c_update;
use crate::inode::Inode as _;
use crate::types::{DirEntry, FileType};
use arch::Result;

/// Size of the `ext4_dir_entry_tail` holding a leaf block's checksum.
const TAIL_LEN: usize = 12;

/// One entry as stored in a block.
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

/// Returns where entries end in logical block `lblk` of `dir`: before the checksum
/// tail of a leaf block, or at the block's end.
fn entries_end(dir: &Inode, lblk: u64, bs: usize) -> usize {
    let indexed = dir.disk().flags & EXT4_INDEX_FL != 0;
    if dir.fs().sb.has_csum() && !(indexed && lblk == 0) && bs > TAIL_LEN {
        bs - TAIL_LEN
    } else {
        bs
    }
}

/// Calls `f` on each live entry of logical block `lblk` (contents `block`) of `dir`,
/// after checking it; stops early when `f` returns false. Returns the offset where
/// entries end (the block size less the checksum tail).
pub(super) fn scan_block(
    dir: &Inode,
    lblk: u64,
    block: &[u8],
    f: &mut dyn FnMut(&RawEntry) -> bool,
) -> Result<usize> {
    let fs = dir.fs();
    let bs = block.len();
    let ino = dir.ino();
    let indexed = dir.disk().flags & EXT4_INDEX_FL != 0;
    if indexed && lblk > 0 && le32(block, 0) == 0 && le16(block, 4) as usize == bs {
        return Ok(bs); // an htree interior node: no entries
    }
    let limit = entries_end(dir, lblk, bs);
    if limit != bs {
        let t = limit;
        let tail_ok = le32(block, t) == 0
            && le16(block, t + 4) as usize == TAIL_LEN
            && block[t + 6] == 0
            && block[t + 7] == 0xDE;
        if !tail_ok {
            return Err(corrupt!("directory {ino} block {lblk}: no checksum tail"));
        }
        let want = le32(block, t + 8);
        let got = crc32c_update(dir.disk().csum_seed, &block[..t]);
        if want != got {
            return Err(corrupt!(
                "directory {ino} block {lblk}: checksum {got:#x} != {want:#x}"
            ));
        }
    }
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
        if e.ino != 0 {
            if e.ino > fs.sb.inodes_count || name_len == 0 {
                return Err(corrupt!(
                    "directory {ino} block {lblk}: bad entry for inode {}",
                    e.ino
                ));
            }
            if !f(&e) {
                break;
            }
        }
        off += rec_len;
    }
    Ok(limit)
}

/// Calls `f(lblk, block)` on each allocated block of `dir` from logical block
/// `start`; stops early when it returns false.
fn for_each_block(
    dir: &Inode,
    start: u64,
    f: &mut dyn FnMut(u64, &[u8]) -> Result<bool>,
) -> Result<()> {
    let fs = dir.fs();
    let bs = fs.sb.block_size as u64;
    let nblocks = dir.disk().size.div_ceil(bs);
    let mut lblk = start;
    while lblk < nblocks {
        match dir.map(lblk)? {
            Run::Hole { len } => lblk = lblk.saturating_add(len.max(1)),
            Run::Data { pblk, len } => {
                for i in 0..len.min(nblocks - lblk) {
                    let block = fs.cache.get(pblk + i)?;
                    if !f(lblk + i, &block)? {
                        return Ok(());
                    }
                }
                lblk += len.max(1);
            }
        }
    }
    Ok(())
}

/// Returns the inode number of entry `name` in `dir`, if any (a linear scan).
pub(super) fn find(dir: &Inode, name: &[u8]) -> Result<Option<u32>> {
    let mut found = None;
    for_each_block(dir, 0, &mut |lblk, block| {
        scan_block(dir, lblk, block, &mut |e| {
            if e.name == name {
                found = Some(e.ino);
            }
            found.is_none()
        })?;
        Ok(found.is_none())
    })?;
    Ok(found)
}

/// Emits the entries of `dir` from position `pos`; returns the position to resume at.
pub(super) fn readdir(
    dir: &Inode,
    pos: u64,
    emit: &mut dyn FnMut(&DirEntry) -> bool,
) -> Result<u64> {
    let bs = dir.fs().sb.block_size as u64;
    let end = dir.disk().size.div_ceil(bs) * bs;
    if pos >= end {
        return Ok(pos);
    }
    let mut resume = end;
    let mut err = None;
    for_each_block(dir, pos / bs, &mut |lblk, block| {
        let base = lblk * bs;
        let mut stopped = false;
        let limit = entries_end(dir, lblk, block.len());
        scan_block(dir, lblk, block, &mut |e| {
            let here = base + e.offset as u64;
            if here < pos {
                return true;
            }
            let file_type = match dirent_type(e.ftype) {
                Some(t) => t,
                None => match dir.fs().inode(e.ino) {
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
