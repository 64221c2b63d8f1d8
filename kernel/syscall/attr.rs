//! The system calls that change attributes: chmod, fchmod, fchmodat,
//! fchmodat2, chown, fchown, lchown, fchownat, truncate, ftruncate, and umask.
//! Descriptor forms refuse `O_PATH` files with EBADF, as Linux's fdget() does.

use super::arg::{Fd, UserStr};
use super::namei::vfs;
use super::open::{resolve_at, AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW};
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::{File, FileType, OpenFlags, Path};
use std::sync::Arc;

/// Returns the open file `fd`, refusing `O_PATH` files (EBADF).
pub(super) fn io_file(ctx: &TrapContext, fd: Fd) -> Result<Arc<File>> {
    let f = fd.file(ctx)?;
    if f.flags().contains(OpenFlags::O_PATH) {
        return Err(Errno::EBADF);
    }
    Ok(f)
}

/// Returns the path of the open file `fd` (not `O_PATH`); `None` for files
/// without one (pipes, sockets).
fn fd_path(ctx: &TrapContext, fd: Fd) -> Result<Option<Path>> {
    Ok(io_file(ctx, fd)?.path().cloned())
}

fn do_chmod(ctx: &mut TrapContext, dirfd: Fd, path: UserStr, mode: u64, flags: u64) -> Result<u64> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = path.read_path(ctx)?;
    let p = resolve_at(ctx, dirfd, &path, flags, true)?;
    // Linux cannot change a symlink's mode (fchmodat2(2) with AT_SYMLINK_NOFOLLOW).
    if p.inode().file_type() == FileType::Symlink {
        return Err(Errno::EOPNOTSUPP);
    }
    vfs().chmod(&ctx.cred(), &p, mode as u32)?;
    Ok(0)
}

pub fn sys_chmod(ctx: &mut TrapContext, path: UserStr, mode: u64) -> Result<u64> {
    do_chmod(ctx, Fd::AT_FDCWD, path, mode, 0)
}

pub fn sys_fchmodat(ctx: &mut TrapContext, dirfd: Fd, path: UserStr, mode: u64) -> Result<u64> {
    do_chmod(ctx, dirfd, path, mode, 0)
}

pub fn sys_fchmodat2(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    mode: u64,
    flags: u64,
) -> Result<u64> {
    do_chmod(ctx, dirfd, path, mode, flags)
}

/// fchmod on a file without a path (a pipe) changes nothing that can be seen
/// again, so it succeeds.
pub fn sys_fchmod(ctx: &mut TrapContext, fd: Fd, mode: u64) -> Result<u64> {
    if let Some(p) = fd_path(ctx, fd)? {
        vfs().chmod(&ctx.cred(), &p, mode as u32)?;
    }
    Ok(0)
}

/// Returns `None` for the id -1, which chown leaves alone.
fn id(v: u64) -> Option<u32> {
    let v = v as u32;
    (v != u32::MAX).then_some(v)
}

fn do_chown(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    ids: [u64; 2],
    flags: u64,
) -> Result<u64> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = path.read_path(ctx)?;
    let p = resolve_at(ctx, dirfd, &path, flags, true)?;
    vfs().chown(&ctx.cred(), &p, id(ids[0]), id(ids[1]))?;
    Ok(0)
}

pub fn sys_chown(ctx: &mut TrapContext, path: UserStr, uid: u64, gid: u64) -> Result<u64> {
    do_chown(ctx, Fd::AT_FDCWD, path, [uid, gid], 0)
}

pub fn sys_lchown(ctx: &mut TrapContext, path: UserStr, uid: u64, gid: u64) -> Result<u64> {
    do_chown(ctx, Fd::AT_FDCWD, path, [uid, gid], AT_SYMLINK_NOFOLLOW)
}

pub fn sys_fchownat(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    uid: u64,
    gid: u64,
    flags: u64,
) -> Result<u64> {
    do_chown(ctx, dirfd, path, [uid, gid], flags)
}

pub fn sys_fchown(ctx: &mut TrapContext, fd: Fd, uid: u64, gid: u64) -> Result<u64> {
    if let Some(p) = fd_path(ctx, fd)? {
        vfs().chown(&ctx.cred(), &p, id(uid), id(gid))?;
    }
    Ok(0)
}

pub fn sys_truncate(ctx: &mut TrapContext, path: UserStr, length: u64) -> Result<u64> {
    if (length as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let path = path.read_path(ctx)?;
    let p = resolve_at(ctx, Fd::AT_FDCWD, &path, 0, true)?;
    if p.inode().file_type() == FileType::Regular {
        super::rlimit::fsize_grow(ctx, p.inode().as_ref(), length)?;
    }
    vfs().truncate(&ctx.cred(), &p, length)?;
    Ok(0)
}

/// ftruncate(2): EINVAL unless the file is a regular file open for writing.
pub fn sys_ftruncate(ctx: &mut TrapContext, fd: Fd, length: u64) -> Result<u64> {
    if (length as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let f = io_file(ctx, fd)?;
    let p = f.path().ok_or(Errno::EINVAL)?;
    if !f.flags().writable() || p.inode().file_type() != FileType::Regular {
        return Err(Errno::EINVAL);
    }
    super::rlimit::fsize_grow(ctx, p.inode().as_ref(), length)?;
    vfs().ftruncate(&ctx.cred(), p, length)?;
    Ok(0)
}

/// umask(2): sets the mask (only its 0777 bits) and returns the old one.
pub fn sys_umask(ctx: &mut TrapContext, mask: u64) -> Result<u64> {
    let mut fsc = ctx.task.process.fs.borrow_mut();
    let old = fsc.umask;
    fsc.umask = mask as u32 & 0o777;
    Ok(old as u64)
}
