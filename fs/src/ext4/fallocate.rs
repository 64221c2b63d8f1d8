//! fallocate(2) on ext4 (Linux's `ext4_fallocate`) and lseek's `SEEK_DATA`
//! and `SEEK_HOLE`. Allocating maps the holes of a range to unwritten
//! extents, which read as zeroes until written; punching a hole frees the
//! whole blocks of the range and zeroes the partial ones on disk; zeroing a
//! range allocates its holes, marks its whole blocks unwritten and zeroes the
//! partial ones; collapsing and inserting a range (block-aligned) move the
//! extents past it. Each runs in one `Handle`, like a write: the extent tree,
//! bitmaps, descriptors and free counts are committed together, and data
//! goes to the device before them. For `SEEK_DATA` only written extents are
//! data; unwritten ones are holes (the VFS has written back what mappings
//! wrote, so no data waits in the page cache).

use super::disk_inode::DiskInode;
use super::extent::{ExtentMap, Run, UNWRITTEN_MAX_LEN};
use super::handle::Handle;
use super::inode::{Inode, InodeState};
use super::{extent_write, file, Ext4};
use crate::fallocate::FallocMode;
use crate::types::FileType;
use arch::{Errno, Result, PAGE_SIZE};

impl Inode {
    /// Applies `mode` to `[offset, offset + len)` of this regular file and
    /// sets its modification and change times.
    pub(super) fn do_fallocate(&self, mode: FallocMode, offset: u64, len: u64) -> Result<()> {
        match self.kind() {
            FileType::Regular => {}
            FileType::Directory => return Err(Errno::EISDIR),
            _ => return Err(Errno::ENODEV),
        }
        let end = offset.checked_add(len).ok_or(Errno::EFBIG)?;
        if end > file::max_size(&self.fs) {
            return Err(Errno::EFBIG);
        }
        if let FallocMode::UnshareRange { .. } = mode {
            return Err(Errno::EOPNOTSUPP);
        }
        let mut h = self.fs.begin()?;
        let mut st = self.lock()?;
        let ino = self.ino;
        let result = match mode {
            FallocMode::Allocate { keep_size } => {
                allocate(&mut h, ino, &mut st, offset, end, keep_size)
            }
            FallocMode::PunchHole => punch_hole(&mut h, ino, &mut st, offset, end),
            FallocMode::ZeroRange { keep_size } => {
                zero_range(&mut h, ino, &mut st, offset, end, keep_size)
            }
            FallocMode::CollapseRange => collapse_range(&mut h, ino, &mut st, offset, len),
            FallocMode::InsertRange => insert_range(&mut h, ino, &mut st, offset, len),
            FallocMode::UnshareRange { .. } => Err(Errno::EOPNOTSUPP),
        };
        // What was done stays done, also when the rest failed.
        let (disk, map) = st.parts(&self.fs, ino)?;
        extent_write::save(&mut h, disk, map)?;
        self.fs.write_inode(ino, disk)?;
        drop(st);
        h.finish()?;
        result
    }

    /// Returns where the first written block (or, with `hole`, the first
    /// hole or unwritten block) at or after `offset` starts; `ENXIO` at or
    /// past the end, or when only holes follow. A directory is data
    /// throughout, its hole at the largest offset, as Linux's ext4 answers.
    pub(super) fn do_seek_data(&self, offset: u64, hole: bool) -> Result<u64> {
        let fs = &self.fs;
        let mut st = self.lock()?;
        let size = match self.kind() {
            FileType::Regular => st.disk.size,
            FileType::Directory => i64::MAX as u64,
            // Device nodes, FIFOs and sockets: nothing to seek in.
            _ => 0,
        };
        if offset >= size {
            return Err(Errno::ENXIO);
        }
        if self.kind() != FileType::Regular {
            return Ok(if hole { size } else { offset });
        }
        let (_, map) = st.parts(fs, self.ino)?;
        let bs = fs.sb.block_size as u64;
        let (mut lblk, last) = (offset / bs, size.div_ceil(bs));
        while lblk < last {
            let run = map.map(lblk);
            let (Run::Hole { len } | Run::Data { len, .. } | Run::Unwritten { len, .. }) = run;
            if matches!(run, Run::Data { .. }) != hole {
                return Ok((lblk * bs).clamp(offset, size));
            }
            lblk += len;
        }
        if hole {
            Ok(size)
        } else {
            Err(Errno::ENXIO)
        }
    }
}

/// Sets the modification and change times to now.
fn modified(h: &Handle, disk: &mut DiskInode) {
    let now = h.now();
    disk.mtime = now;
    disk.ctime = now;
}

/// Writes the inode and its extent tree and commits, so that the blocks
/// freed since the last commit can be allocated again.
fn commit(h: &mut Handle, ino: u32, disk: &mut DiskInode, map: &mut ExtentMap) -> Result<()> {
    extent_write::save(h, disk, map)?;
    h.fs.write_inode(ino, disk)?;
    h.commit()
}

/// Makes sure the extent tree of `map` can hold `extents` extents: `ENOSPC`
/// (before anything changes) if the blocks it would need are not free, even
/// after a commit.
fn tree_room(
    h: &mut Handle,
    ino: u32,
    disk: &mut DiskInode,
    map: &mut ExtentMap,
    extents: usize,
) -> Result<()> {
    let bs = h.fs.sb.block_size as usize;
    let tree = extent_write::tree_blocks(extents, bs);
    let need = tree.saturating_sub(map.tree.len()) as u64;
    if need > h.usable_blocks() && h.has_pending_frees() {
        commit(h, ino, disk, map)?;
    }
    if need > h.usable_blocks() {
        return Err(Errno::ENOSPC);
    }
    Ok(())
}

/// Maps the holes among the blocks of `[offset, end)` to newly allocated
/// unwritten extents; returns the block up to which all of the range is
/// mapped, which is short of its end only with the error that stopped it.
fn allocate_blocks(
    h: &mut Handle,
    ino: u32,
    st: &mut InodeState,
    offset: u64,
    end: u64,
) -> (u64, Result<()>) {
    let fs = h.fs;
    let bs = fs.sb.block_size as u64;
    let (mut lblk, last) = (offset / bs, end.div_ceil(bs));
    let (disk, map) = match st.parts(fs, ino) {
        Ok(parts) => parts,
        Err(e) => return (lblk, Err(e)),
    };
    while lblk < last {
        let len = match map.map(lblk) {
            Run::Data { len, .. } | Run::Unwritten { len, .. } => {
                lblk += len.min(last - lblk);
                continue;
            }
            Run::Hole { len } => len.min(last - lblk),
        };
        let want = len.min(UNWRITTEN_MAX_LEN as u64);
        let goal = file::goal(h, ino, map, lblk);
        let reserve = extent_write::reserve_for(map, bs as usize);
        match h.alloc_blocks(goal, want, reserve) {
            Ok((pblk, n)) => {
                map.insert_unwritten(lblk, pblk, n);
                disk.blocks_512 += n * (bs / 512);
                lblk += n;
            }
            Err(Errno::ENOSPC) if h.has_pending_frees() => {
                if let Err(e) = commit(h, ino, disk, map) {
                    return (lblk, Err(e));
                }
            }
            Err(e) => return (lblk, Err(e)),
        }
    }
    (lblk, Ok(()))
}

/// Grows the file to `size` if it is smaller, zeroing what its last block
/// holds past the old end.
fn grow(fs: &Ext4, disk: &mut DiskInode, map: &ExtentMap, size: u64) -> Result<()> {
    if size > disk.size {
        file::zero_tail(fs, map, disk.size)?;
        disk.size = size;
    }
    Ok(())
}

/// Allocates `[offset, end)` (mode 0, `KEEP_SIZE`). Out of space, what was
/// allocated stays and the file still grows over it, as on Linux.
fn allocate(
    h: &mut Handle,
    ino: u32,
    st: &mut InodeState,
    offset: u64,
    end: u64,
    keep_size: bool,
) -> Result<()> {
    modified(h, &mut st.disk);
    let (lblk, result) = allocate_blocks(h, ino, st, offset, end);
    let bs = h.fs.sb.block_size as u64;
    if !keep_size && lblk > offset / bs {
        let (disk, map) = st.parts(h.fs, ino)?;
        grow(h.fs, disk, map, (lblk * bs).min(end))?;
    }
    result
}

/// Writes zeroes to the bytes of `[offset, end)` in the written blocks at
/// its edges that it covers only in part.
fn zero_partial(fs: &Ext4, map: &ExtentMap, offset: u64, end: u64) -> Result<()> {
    let bs = fs.sb.block_size as u64;
    let zero = |from: u64, to: u64| -> Result<()> {
        if let Run::Data { pblk, .. } = map.map(from / bs) {
            let zeroes = vec![0u8; (to - from) as usize];
            fs.cache.device().write_at(pblk * bs + from % bs, &zeroes)?;
        }
        Ok(())
    };
    let mut at = offset;
    if !at.is_multiple_of(bs) {
        let to = end.min(at - at % bs + bs);
        zero(at, to)?;
        at = to;
    }
    if at < end && !end.is_multiple_of(bs) {
        zero((end - end % bs).max(at), end)?;
    }
    Ok(())
}

/// Punches a hole in `[offset, end)`: whole blocks are freed, partial ones
/// zeroed. Like Linux's ext4, nothing is punched at or past the end of the
/// file but the rest of the page that holds the end.
fn punch_hole(h: &mut Handle, ino: u32, st: &mut InodeState, offset: u64, end: u64) -> Result<()> {
    let fs = h.fs;
    let bs = fs.sb.block_size as u64;
    let (disk, map) = st.parts(fs, ino)?;
    modified(h, disk);
    if offset >= disk.size {
        return Ok(());
    }
    // As Linux: a hole punched past the end of the file stops at the end of
    // the page that holds the end.
    let end = end.min(disk.size.next_multiple_of(PAGE_SIZE));
    let (first, last) = (offset.div_ceil(bs), end / bs);
    // Cutting one extent in two is the most it can add.
    tree_room(h, ino, disk, map, map.extents.len() + 1)?;
    zero_partial(fs, map, offset, end)?;
    if first < last {
        file::free_runs(h, disk, map.remove_range(first, last))?;
    }
    Ok(())
}

/// Zeroes `[offset, end)`: its holes are allocated (whole blocks around
/// it), its whole blocks become unwritten and its partial ones are zeroed;
/// the file grows to `end` unless `keep_size`.
fn zero_range(
    h: &mut Handle,
    ino: u32,
    st: &mut InodeState,
    offset: u64,
    end: u64,
    keep_size: bool,
) -> Result<()> {
    let fs = h.fs;
    let bs = fs.sb.block_size as u64;
    modified(h, &mut st.disk);
    allocate_blocks(h, ino, st, offset, end).1?;
    let (disk, map) = st.parts(fs, ino)?;
    let (first, last) = (offset.div_ceil(bs), end / bs);
    if first < last {
        // Each written extent longer than an unwritten one can be becomes two.
        let mut after = map.clone();
        after.set_unwritten(first, last);
        tree_room(h, ino, disk, map, after.extents.len())?;
        map.set_unwritten(first, last);
    }
    zero_partial(fs, map, offset, end)?;
    if !keep_size {
        grow(fs, disk, map, end)?;
    }
    Ok(())
}

/// Removes `[offset, offset + len)` (block-aligned, `EINVAL` otherwise, and
/// ending before the end of the file): its blocks are freed and the
/// extents after it move down; the file shrinks by `len`.
fn collapse_range(
    h: &mut Handle,
    ino: u32,
    st: &mut InodeState,
    offset: u64,
    len: u64,
) -> Result<()> {
    let fs = h.fs;
    let bs = fs.sb.block_size as u64;
    let (disk, map) = st.parts(fs, ino)?;
    if !(offset | len).is_multiple_of(bs) || offset + len >= disk.size {
        return Err(Errno::EINVAL);
    }
    tree_room(h, ino, disk, map, map.extents.len() + 1)?;
    modified(h, disk);
    let (first, n) = (offset / bs, len / bs);
    file::free_runs(h, disk, map.remove_range(first, first + n))?;
    map.shift_down(first + n, n);
    disk.size -= len;
    Ok(())
}

/// Inserts a hole of `len` bytes at `offset` (block-aligned, `EINVAL`
/// otherwise, and inside the file): the extents from there move up and the
/// file grows by `len` (`EFBIG` past the largest size).
fn insert_range(
    h: &mut Handle,
    ino: u32,
    st: &mut InodeState,
    offset: u64,
    len: u64,
) -> Result<()> {
    let fs = h.fs;
    let bs = fs.sb.block_size as u64;
    let (disk, map) = st.parts(fs, ino)?;
    if !(offset | len).is_multiple_of(bs) || offset >= disk.size {
        return Err(Errno::EINVAL);
    }
    if len > file::max_size(fs) - disk.size {
        return Err(Errno::EFBIG);
    }
    tree_room(h, ino, disk, map, map.extents.len() + 1)?;
    map.shift_up(offset / bs, len / bs)?;
    modified(h, disk);
    disk.size += len;
    Ok(())
}
