//! Writing back: fsync, fdatasync and sync_file_range (the file's dirty
//! page-cache pages, then the whole filesystem of the file, which is more than
//! they must), syncfs and sync. Files that cannot be synchronised (devices,
//! pipes, terminals) give EINVAL, as fsync(2) says, and ESPIPE for
//! sync_file_range(2).

use super::arg::Fd;
use super::attr::io_file;
use super::namei::vfs;
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::FileType;

pub fn sys_fsync(ctx: &mut TrapContext, fd: Fd) -> Result<u64> {
    let f = io_file(ctx, fd)?;
    let p = f.path().ok_or(Errno::EINVAL)?;
    match p.inode().file_type() {
        FileType::Regular | FileType::Directory | FileType::Symlink => {
            if let Some(space) = fs::address_space::find(p.inode().as_ref()) {
                space.write_back()?;
            }
            p.mnt.fs().sync()?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_fdatasync(ctx: &mut TrapContext, fd: Fd) -> Result<u64> {
    sys_fsync(ctx, fd)
}

pub fn sys_syncfs(ctx: &mut TrapContext, fd: Fd) -> Result<u64> {
    if let Some(p) = fd.file(ctx)?.path() {
        fs::sync_filesystem(p.mnt.fs().as_ref())?;
    }
    Ok(0)
}

/// sync(2) always succeeds; failures are logged.
pub fn sys_sync(_ctx: &mut TrapContext) -> Result<u64> {
    let _ = vfs().sync();
    Ok(0)
}

const SYNC_FILE_RANGE_WAIT_BEFORE: u32 = 1;
const SYNC_FILE_RANGE_WRITE: u32 = 2;
const SYNC_FILE_RANGE_WAIT_AFTER: u32 = 4;

/// sync_file_range(2): checks the descriptor (`EBADF`), then the flags and
/// the range (`EINVAL`), then the file type (`ESPIPE` but for regular files,
/// directories, symlinks and block devices); writes back the whole file.
pub fn sys_sync_file_range(
    ctx: &mut TrapContext,
    fd: Fd,
    offset: i64,
    nbytes: i64,
    flags: u32,
) -> Result<u64> {
    let f = io_file(ctx, fd)?;
    let valid = SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE | SYNC_FILE_RANGE_WAIT_AFTER;
    let end = offset.checked_add(nbytes);
    if flags & !valid != 0 || offset < 0 || end.is_none_or(|e| e < 0) {
        return Err(Errno::EINVAL);
    }
    let Some(p) = f.path() else {
        return Err(Errno::ESPIPE);
    };
    match p.inode().file_type() {
        FileType::Regular | FileType::Directory | FileType::Symlink | FileType::BlockDevice => {}
        _ => return Err(Errno::ESPIPE),
    }
    if flags == 0 {
        return Ok(0);
    }
    if let Some(space) = fs::address_space::find(p.inode().as_ref()) {
        space.write_back()?;
    }
    p.mnt.fs().sync()?;
    Ok(0)
}
