//! File data: reads through the extent map (holes and unwritten extents read as
//! zeroes), writes that fill holes with newly allocated blocks (near the
//! blocks before them, or the inode's group) and turn unwritten extents into
//! written ones, truncation that frees the blocks past the new end, and symlink
//! targets (in `i_block` for fast symlinks, in one block otherwise). Data goes
//! straight to the device; bytes past the end of file in its last block are
//! kept zero, so that extending a file shows zeroes.

use super::disk_inode::DiskInode;
use super::extent::{ExtentMap, Run};
use super::extent_write;
use super::handle::Handle;
use super::inode::InodeState;
use super::Ext4;
use arch::{Errno, Result};

/// The most blocks one step of a write allocates and writes.
const WRITE_CHUNK_BLOCKS: u64 = 256;

/// Returns the largest file size, Linux's `s_maxbytes` for extent-mapped
/// files: 2^32 - 1 blocks.
pub(super) fn max_size(fs: &Ext4) -> u64 {
    (fs.sb.block_size as u64) * ((1 << 32) - 1)
}

/// Reads file data at `offset`, short at end of file.
pub(super) fn read(
    fs: &Ext4,
    ino: u32,
    st: &mut InodeState,
    offset: u64,
    buf: &mut [u8],
) -> Result<usize> {
    let (disk, map) = st.parts(fs, ino)?;
    let size = disk.size;
    if offset >= size {
        return Ok(0);
    }
    let n = buf
        .len()
        .min((size - offset).min(usize::MAX as u64) as usize);
    let bs = fs.sb.block_size as u64;
    let dev = fs.cache.device();
    let mut done = 0usize;
    while done < n {
        let pos = offset + done as u64;
        let within = pos % bs;
        let run = map.map(pos / bs);
        let (Run::Hole { len } | Run::Data { len, .. } | Run::Unwritten { len, .. }) = run;
        let run_bytes = len.saturating_mul(bs).saturating_sub(within).max(1);
        let chunk = ((n - done) as u64).min(run_bytes) as usize;
        let dst = &mut buf[done..done + chunk];
        match run {
            Run::Hole { .. } | Run::Unwritten { .. } => dst.fill(0),
            Run::Data { pblk, .. } => dev.read_at(pblk * bs + within, dst).map_err(|e| {
                log::error!("ext4: inode {ino}: read of block {pblk} failed: {e}");
                Errno::EIO
            })?,
        }
        done += chunk;
    }
    Ok(n)
}

/// Returns where to look for free blocks for logical block `lblk` of a file.
pub(super) fn goal(h: &Handle, ino: u32, map: &ExtentMap, lblk: u64) -> u64 {
    let i = map.extents.partition_point(|e| (e.lblk as u64) < lblk);
    match i.checked_sub(1).and_then(|i| map.extents.get(i)) {
        Some(e) => e.pblk + (lblk - e.lblk as u64),
        None => {
            let sb = &h.fs.sb;
            sb.group_first_block((ino - 1) / sb.inodes_per_group)
        }
    }
}

/// Zeroes the bytes of the file's last block past `size`, if it is written.
pub(super) fn zero_tail(fs: &Ext4, map: &ExtentMap, size: u64) -> Result<()> {
    let bs = fs.sb.block_size as u64;
    let within = size % bs;
    if within == 0 {
        return Ok(());
    }
    if let Run::Data { pblk, .. } = map.map(size / bs) {
        let zeroes = vec![0u8; (bs - within) as usize];
        fs.cache.device().write_at(pblk * bs + within, &zeroes)?;
    }
    Ok(())
}

/// Writes `data` at `offset`, allocating blocks for holes; returns the bytes
/// written (short only when the disk filled up).
pub(super) fn write(
    h: &mut Handle,
    ino: u32,
    st: &mut InodeState,
    offset: u64,
    data: &[u8],
) -> Result<usize> {
    let fs = h.fs;
    let max = max_size(fs);
    if offset >= max {
        return Err(Errno::EFBIG);
    }
    let len = (data.len() as u64).min(max - offset) as usize;
    if len == 0 {
        return Ok(0);
    }
    let (disk, map) = st.parts(fs, ino)?;
    if offset > disk.size {
        zero_tail(fs, map, disk.size)?;
    }
    let bs = fs.sb.block_size as u64;
    let dev = fs.cache.device().clone();
    let mut done = 0usize;
    let mut err = None;
    while done < len {
        let pos = offset + done as u64;
        let (lblk, within) = (pos / bs, pos % bs);
        let rest = (len - done) as u64;
        let want = (within + rest).div_ceil(bs).min(WRITE_CHUNK_BLOCKS);
        let (pblk, nblocks, fresh) = match map.map(lblk) {
            Run::Data { pblk, len } => (pblk, len.min(want), false),
            Run::Unwritten { pblk, len } => (pblk, len.min(want), true),
            Run::Hole { len } => {
                let reserve = extent_write::reserve_for(map, bs as usize);
                match h.alloc_blocks(goal(h, ino, map, lblk), len.min(want), reserve) {
                    Ok((pblk, n)) => {
                        map.insert(lblk, pblk, n);
                        disk.blocks_512 += n * (bs / 512);
                        (pblk, n, true)
                    }
                    Err(e) => {
                        err = Some(e);
                        break;
                    }
                }
            }
        };
        let chunk = (nblocks * bs - within).min(rest) as usize;
        let src = &data[done..done + chunk];
        let r = if fresh {
            // Whole blocks, zero around the data.
            let mut buf = vec![0u8; (nblocks * bs) as usize];
            buf[within as usize..within as usize + chunk].copy_from_slice(src);
            dev.write_at(pblk * bs, &buf)
        } else {
            dev.write_at(pblk * bs + within, src)
        };
        if let Err(e) = r {
            log::error!("ext4: inode {ino}: write of block {pblk} failed: {e}");
            err = Some(Errno::EIO);
            break;
        }
        if let Run::Unwritten { .. } = map.map(lblk) {
            map.mark_written(lblk, nblocks);
        }
        done += chunk;
    }
    if done > 0 {
        disk.size = disk.size.max(offset + done as u64);
        let now = h.now();
        disk.mtime = now;
        disk.ctime = now;
    }
    extent_write::save(h, disk, map)?;
    fs.write_inode(ino, disk)?;
    match err {
        Some(e) if done == 0 => Err(e),
        _ => Ok(done),
    }
}

/// Sets the size of a regular file, freeing the blocks past a smaller one,
/// or past the same one: as Linux's ext4, a truncate that does not grow the
/// file drops the blocks fallocated past its end.
pub(super) fn truncate(h: &mut Handle, ino: u32, st: &mut InodeState, size: u64) -> Result<()> {
    let fs = h.fs;
    if size > max_size(fs) {
        return Err(Errno::EFBIG);
    }
    let (disk, map) = st.parts(fs, ino)?;
    let bs = fs.sb.block_size as u64;
    if size <= disk.size {
        free_from(h, disk, map, size.div_ceil(bs))?;
    }
    if size < disk.size {
        zero_tail(fs, map, size)?;
    } else if size > disk.size {
        zero_tail(fs, map, disk.size)?;
    }
    disk.size = size;
    extent_write::save(h, disk, map)
}

/// Unmaps and frees every block of a file from logical block `lblk` on.
pub(super) fn free_from(
    h: &mut Handle,
    disk: &mut DiskInode,
    map: &mut ExtentMap,
    lblk: u64,
) -> Result<()> {
    free_runs(h, disk, map.remove_from(lblk))
}

/// Frees the blocks of `runs` (first physical block, count), as an extent
/// map's removals return them, and takes them off the inode's block count.
pub(super) fn free_runs(h: &mut Handle, disk: &mut DiskInode, runs: Vec<(u64, u64)>) -> Result<()> {
    let per_block = h.fs.sb.block_size as u64 / 512;
    for (pblk, n) in runs {
        h.free_blocks(pblk, n)?;
        disk.blocks_512 = disk.blocks_512.saturating_sub(n * per_block);
    }
    Ok(())
}

/// Returns the target of a symlink.
pub(super) fn readlink(fs: &Ext4, ino: u32, st: &mut InodeState) -> Result<Vec<u8>> {
    let size = st.disk.size as usize;
    if !st.disk.has_extents() {
        // A fast symlink: the target is stored in i_block itself.
        return match st.disk.i_block.get(..size) {
            Some(target) => Ok(target.to_vec()),
            None => Err(corrupt!("inode {ino}: fast symlink of {size} bytes")),
        };
    }
    let (_, map) = st.parts(fs, ino)?;
    match map.map(0) {
        Run::Data { pblk, .. } => {
            let block = fs.cache.get(pblk)?;
            match block.get(..size) {
                Some(target) => Ok(target.to_vec()),
                None => Err(corrupt!("inode {ino}: symlink of {size} bytes")),
            }
        }
        _ => Err(corrupt!("inode {ino}: symlink without a block")),
    }
}
