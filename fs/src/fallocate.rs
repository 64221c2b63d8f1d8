//! fallocate(2) through the VFS (Linux's `vfs_fallocate`): the mode decoded
//! once into a `FallocMode`, the checks every filesystem shares in Linux's
//! order, the filesystem's `Inode::fallocate`, and then the page cache of a
//! mapped file brought in step with what it did (Linux's
//! `truncate_pagecache_range`).
//!
//! Linux 6.x refuses every mode bit it does not know, and every combination
//! of known ones it does not offer, with `EOPNOTSUPP` (older kernels gave
//! `EINVAL` for some); we follow the newer kernel, as the host shows it.

use crate::address_space;
use crate::file::File;
use crate::inode::Inode;
use crate::types::FileType;
use arch::{Errno, Result};

const FALLOC_FL_KEEP_SIZE: u32 = 0x01;
const FALLOC_FL_PUNCH_HOLE: u32 = 0x02;
const FALLOC_FL_COLLAPSE_RANGE: u32 = 0x08;
const FALLOC_FL_ZERO_RANGE: u32 = 0x10;
const FALLOC_FL_INSERT_RANGE: u32 = 0x20;
const FALLOC_FL_UNSHARE_RANGE: u32 = 0x40;

/// What a fallocate(2) call asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FallocMode {
    /// Allocates the range (mode 0); the file grows to its end unless
    /// `keep_size` (`FALLOC_FL_KEEP_SIZE`).
    Allocate { keep_size: bool },
    /// Deallocates the range, which then reads as zeroes
    /// (`FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE`).
    PunchHole,
    /// Makes the range read as zeroes, allocated (`FALLOC_FL_ZERO_RANGE`);
    /// the file grows to its end unless `keep_size`.
    ZeroRange { keep_size: bool },
    /// Removes the range; what followed it moves down and the file shrinks
    /// (`FALLOC_FL_COLLAPSE_RANGE`).
    CollapseRange,
    /// Inserts a hole of the range's length at its start; what followed
    /// moves up and the file grows (`FALLOC_FL_INSERT_RANGE`).
    InsertRange,
    /// Gives the range blocks of its own where it shares them with other
    /// files (`FALLOC_FL_UNSHARE_RANGE`).
    UnshareRange { keep_size: bool },
}

impl FallocMode {
    /// Returns the mode that `bits` ask for; `EOPNOTSUPP` for unknown bits
    /// and for combinations Linux does not offer.
    pub fn from_bits(bits: u32) -> Result<FallocMode> {
        let keep_size = bits & FALLOC_FL_KEEP_SIZE != 0;
        Ok(match bits & !FALLOC_FL_KEEP_SIZE {
            0 => FallocMode::Allocate { keep_size },
            FALLOC_FL_PUNCH_HOLE if keep_size => FallocMode::PunchHole,
            FALLOC_FL_ZERO_RANGE => FallocMode::ZeroRange { keep_size },
            FALLOC_FL_COLLAPSE_RANGE if !keep_size => FallocMode::CollapseRange,
            FALLOC_FL_INSERT_RANGE if !keep_size => FallocMode::InsertRange,
            FALLOC_FL_UNSHARE_RANGE => FallocMode::UnshareRange { keep_size },
            _ => return Err(Errno::EOPNOTSUPP),
        })
    }
}

impl File {
    /// Applies `mode` to `[offset, offset + len)` of the file (fallocate(2));
    /// the caller has refused negative offsets and empty ranges (`EINVAL`).
    /// `EBADF` unless open for writing, `ESPIPE` for FIFOs, `EISDIR`,
    /// `ENODEV` for what is not a regular file, `EFBIG` past the largest
    /// offset, `EROFS` on a read-only mount.
    pub fn fallocate(&self, mode: FallocMode, offset: u64, len: u64) -> Result<()> {
        if !self.flags().writable() || self.flags().contains(crate::OpenFlags::O_PATH) {
            return Err(Errno::EBADF);
        }
        if let Some(inode) = self.inode() {
            // An append-only file may only grow (vfs_fallocate).
            let grows = matches!(mode, FallocMode::Allocate { .. });
            crate::fileattr::may_modify(inode.as_ref(), !grows)?;
        }
        let file_type = self.stat().ok().and_then(|st| FileType::from_mode(st.mode));
        match file_type {
            Some(FileType::Regular) => {}
            Some(FileType::Fifo) => return Err(Errno::ESPIPE),
            Some(FileType::Directory) => return Err(Errno::EISDIR),
            // Linux lets block devices through to their own fallocate.
            Some(FileType::BlockDevice) => return Err(Errno::EOPNOTSUPP),
            _ => return Err(Errno::ENODEV),
        }
        if offset
            .checked_add(len)
            .is_none_or(|end| end > i64::MAX as u64)
        {
            return Err(Errno::EFBIG);
        }
        let inode = self.inode().ok_or(Errno::EOPNOTSUPP)?;
        if self.path().is_some_and(|p| p.mnt.read_only()) {
            return Err(Errno::EROFS);
        }
        fallocate(inode.as_ref(), mode, offset, len)?;
        self.notify(crate::fsnotify::IN_MODIFY);
        Ok(())
    }
}

/// Deallocates `[offset, offset + len)` of a regular file the caller may
/// write, keeping its size (madvise's `MADV_REMOVE`), with the page cache
/// and its mappings in step; `EOPNOTSUPP` where the filesystem cannot.
pub fn punch_hole(inode: &dyn Inode, offset: u64, len: u64) -> Result<()> {
    fallocate(inode, FallocMode::PunchHole, offset, len)
}

/// Applies `mode` to `inode`, keeping its page cache, if it has one, in step:
/// a punched or zeroed range reads as zeroes through the cache and every
/// mapping, moved data is read again, and a size change is noted.
fn fallocate(inode: &dyn Inode, mode: FallocMode, offset: u64, len: u64) -> Result<()> {
    let Some(space) = address_space::find(inode) else {
        return inode.fallocate(mode, offset, len);
    };
    let moves = matches!(mode, FallocMode::CollapseRange | FallocMode::InsertRange);
    if moves {
        // The filesystem moves what is on disk: put the cached data there.
        space.write_back()?;
    }
    if matches!(mode, FallocMode::PunchHole | FallocMode::ZeroRange { .. }) {
        space.invalidate_range_begin(offset, offset + len);
    }
    let old = inode.stat()?.size;
    let result = inode.fallocate(mode, offset, len);
    if result.is_ok() {
        match mode {
            FallocMode::PunchHole | FallocMode::ZeroRange { .. } => {
                space.invalidate_range(offset, offset + len)
            }
            _ if moves => space.invalidate_from(offset),
            _ => {}
        }
    }
    // An allocation that ran out of space may still have grown the file.
    let new = inode.stat()?.size;
    if new != old {
        space.resize(old, new);
    }
    result
}
