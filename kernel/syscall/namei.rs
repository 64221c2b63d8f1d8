//! The system calls that make a name: mkdir, mkdirat, mknod, mknodat, symlink,
//! symlinkat, link, linkat. The process umask is applied here, as Linux applies
//! it in the VFS callers (mkdir(2), mknod(2)); everything else is `Vfs`'s.

use super::arg::{Fd, UserStr};
use super::open::{resolve_at, start_dir, AT_EMPTY_PATH};
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::{Path, Vfs};

/// `AT_SYMLINK_FOLLOW` (linkat).
const AT_SYMLINK_FOLLOW: u64 = 0x400;

pub(super) fn vfs() -> &'static Vfs {
    &crate::boot::kernel().vfs
}

/// Reads the path at `addr` and returns it with (root, start directory) for
/// resolving it from `dirfd`; an empty path is ENOENT before `dirfd` is looked at.
pub(super) fn path_at(
    ctx: &TrapContext,
    dirfd: Fd,
    path: UserStr,
) -> Result<(Vec<u8>, Path, Path)> {
    let path = path.read_path(ctx)?;
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let (root, start) = start_dir(ctx, dirfd, &path)?;
    Ok((path, root, start))
}

fn do_mkdir(ctx: &mut TrapContext, dirfd: Fd, path: UserStr, mode: u64) -> Result<u64> {
    let (path, root, start) = path_at(ctx, dirfd, path)?;
    let mode = mode as u32 & 0o1777 & !ctx.task.fs().umask;
    vfs().mkdir(&ctx.cred(), &root, &start, &path, mode)?;
    Ok(0)
}

pub fn sys_mkdir(ctx: &mut TrapContext, path: UserStr, mode: u64) -> Result<u64> {
    do_mkdir(ctx, Fd::AT_FDCWD, path, mode)
}

pub fn sys_mkdirat(ctx: &mut TrapContext, dirfd: Fd, path: UserStr, mode: u64) -> Result<u64> {
    do_mkdir(ctx, dirfd, path, mode)
}

/// mknod's `dev` is Linux's 32-bit encoding, which equals the low half of the
/// 64-bit `dev_t` for every number it can express.
fn do_mknod(ctx: &mut TrapContext, dirfd: Fd, path: UserStr, mode: u64, dev: u64) -> Result<u64> {
    let (path, root, start) = path_at(ctx, dirfd, path)?;
    let mode = mode as u32 & !ctx.task.fs().umask;
    vfs().mknod(&ctx.cred(), &root, &start, &path, mode, dev as u32 as u64)?;
    Ok(0)
}

pub fn sys_mknod(ctx: &mut TrapContext, path: UserStr, mode: u64, dev: u64) -> Result<u64> {
    do_mknod(ctx, Fd::AT_FDCWD, path, mode, dev)
}

pub fn sys_mknodat(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    mode: u64,
    dev: u64,
) -> Result<u64> {
    do_mknod(ctx, dirfd, path, mode, dev)
}

fn do_symlink(ctx: &mut TrapContext, target: UserStr, dirfd: Fd, path: UserStr) -> Result<u64> {
    let target = target.read_path(ctx)?;
    let (path, root, start) = path_at(ctx, dirfd, path)?;
    vfs().symlink(&ctx.cred(), &root, &start, &target, &path)?;
    Ok(0)
}

pub fn sys_symlink(ctx: &mut TrapContext, target: UserStr, linkpath: UserStr) -> Result<u64> {
    do_symlink(ctx, target, Fd::AT_FDCWD, linkpath)
}

pub fn sys_symlinkat(
    ctx: &mut TrapContext,
    target: UserStr,
    newdirfd: Fd,
    linkpath: UserStr,
) -> Result<u64> {
    do_symlink(ctx, target, newdirfd, linkpath)
}

/// linkat(2): the old name is not followed unless `AT_SYMLINK_FOLLOW`;
/// `AT_EMPTY_PATH` links the file `olddirfd` itself (also an unnamed
/// `O_TMPFILE` file), which needs CAP_DAC_READ_SEARCH or the credentials the
/// file was opened with (`ENOENT`), as Linux does since 6.10. Linux compares
/// the credential object, which a fork or any id change replaces; the ids
/// are compared here.
fn do_link(
    ctx: &mut TrapContext,
    olddirfd: Fd,
    oldpath: UserStr,
    newdirfd: Fd,
    newpath: UserStr,
    flags: u64,
) -> Result<u64> {
    if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let old = oldpath.read_path(ctx)?;
    let by_fd = olddirfd != Fd::AT_FDCWD && old.first() != Some(&b'/');
    if flags & AT_EMPTY_PATH != 0 && by_fd {
        let cred = ctx.cred();
        let dac_read_search = cred.capable(arch::abi::capability::CAP_DAC_READ_SEARCH);
        if !dac_read_search && olddirfd.file(ctx)?.cred() != Some(&cred) {
            return Err(Errno::ENOENT);
        }
    }
    let old = resolve_at(
        ctx,
        olddirfd,
        &old,
        flags & AT_EMPTY_PATH,
        flags & AT_SYMLINK_FOLLOW != 0,
    )?;
    let (new, root, start) = path_at(ctx, newdirfd, newpath)?;
    vfs().link(&ctx.cred(), &root, &old, &start, &new)?;
    Ok(0)
}

pub fn sys_link(ctx: &mut TrapContext, oldpath: UserStr, newpath: UserStr) -> Result<u64> {
    do_link(ctx, Fd::AT_FDCWD, oldpath, Fd::AT_FDCWD, newpath, 0)
}

pub fn sys_linkat(
    ctx: &mut TrapContext,
    olddirfd: Fd,
    oldpath: UserStr,
    newdirfd: Fd,
    newpath: UserStr,
    flags: u64,
) -> Result<u64> {
    do_link(ctx, olddirfd, oldpath, newdirfd, newpath, flags)
}
