//! The system calls that remove or move a name: unlink, unlinkat (with
//! `AT_REMOVEDIR`), rmdir, rename, renameat, renameat2. The rules are `Vfs`'s.

use super::arg::{Fd, UserStr};
use super::namei::{path_at, vfs};
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::RenameFlags;

/// `AT_REMOVEDIR` (unlinkat).
const AT_REMOVEDIR: u64 = 0x200;

fn do_unlink(ctx: &mut TrapContext, dirfd: Fd, path: UserStr, flags: u64) -> Result<u64> {
    if flags & !AT_REMOVEDIR != 0 {
        return Err(Errno::EINVAL);
    }
    let (path, root, start) = path_at(ctx, dirfd, path)?;
    if flags & AT_REMOVEDIR != 0 {
        vfs().rmdir(&ctx.cred(), &root, &start, &path)?;
    } else {
        vfs().unlink(&ctx.cred(), &root, &start, &path)?;
    }
    Ok(0)
}

pub fn sys_unlink(ctx: &mut TrapContext, path: UserStr) -> Result<u64> {
    do_unlink(ctx, Fd::AT_FDCWD, path, 0)
}

pub fn sys_unlinkat(ctx: &mut TrapContext, dirfd: Fd, path: UserStr, flags: u64) -> Result<u64> {
    do_unlink(ctx, dirfd, path, flags)
}

pub fn sys_rmdir(ctx: &mut TrapContext, path: UserStr) -> Result<u64> {
    do_unlink(ctx, Fd::AT_FDCWD, path, AT_REMOVEDIR)
}

fn do_rename(
    ctx: &mut TrapContext,
    olddirfd: Fd,
    oldpath: UserStr,
    newdirfd: Fd,
    newpath: UserStr,
    flags: u64,
) -> Result<u64> {
    let flags = u32::try_from(flags)
        .ok()
        .and_then(RenameFlags::from_bits)
        .ok_or(Errno::EINVAL)?;
    let (old, root, old_start) = path_at(ctx, olddirfd, oldpath)?;
    let (new, _, new_start) = path_at(ctx, newdirfd, newpath)?;
    vfs().rename(
        &ctx.cred(),
        &root,
        &old_start,
        &old,
        &new_start,
        &new,
        flags,
    )?;
    Ok(0)
}

pub fn sys_rename(ctx: &mut TrapContext, oldpath: UserStr, newpath: UserStr) -> Result<u64> {
    do_rename(ctx, Fd::AT_FDCWD, oldpath, Fd::AT_FDCWD, newpath, 0)
}

pub fn sys_renameat(
    ctx: &mut TrapContext,
    olddirfd: Fd,
    oldpath: UserStr,
    newdirfd: Fd,
    newpath: UserStr,
) -> Result<u64> {
    do_rename(ctx, olddirfd, oldpath, newdirfd, newpath, 0)
}

pub fn sys_renameat2(
    ctx: &mut TrapContext,
    olddirfd: Fd,
    oldpath: UserStr,
    newdirfd: Fd,
    newpath: UserStr,
    flags: u64,
) -> Result<u64> {
    do_rename(ctx, olddirfd, oldpath, newdirfd, newpath, flags)
}
