//! stat and friends, access checks, and readlink. `struct stat` is laid out as on
//! x86_64 Linux (arch/x86/include/uapi/asm/stat.h, 144 bytes).

use super::arg::{Fd, UserPtr, UserStr};
use super::open::{resolve_at, resolve_at_as, AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW};
use crate::task::TrapContext;
use arch::abi::structs as abi;
use arch::{Errno, Result};
use fs::{Access, FileType, Stat};

/// `AT_EACCESS` (faccessat2): check with the effective ids.
const AT_EACCESS: u64 = 0x200;

/// Returns `st` as x86_64's `struct stat`.
fn to_abi(st: &Stat) -> abi::Stat {
    let ts = |t: fs::Timespec| abi::Timespec {
        tv_sec: t.sec,
        tv_nsec: t.nsec as i64,
    };
    abi::Stat {
        st_dev: st.dev,
        st_ino: st.ino,
        st_nlink: st.nlink as u64,
        st_mode: st.mode,
        st_uid: st.uid,
        st_gid: st.gid,
        st_rdev: st.rdev,
        st_size: st.size as i64,
        st_blksize: st.blksize as i64,
        st_blocks: st.blocks as i64,
        st_atime: ts(st.atime),
        st_mtime: ts(st.mtime),
        st_ctime: ts(st.ctime),
        ..Default::default()
    }
}

fn do_stat(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    buf: UserPtr<abi::Stat>,
    flags: u64,
) -> Result<u64> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = path.read_path(ctx)?;
    let (st, _) = stat_at(ctx, dirfd, &path, flags)?;
    buf.write(ctx, &to_abi(&st))?;
    Ok(0)
}

/// Returns the attributes of the file a stat call names, and the id of its
/// mount if it has a path. fstat(3) in glibc is fstatat(fd, "",
/// AT_EMPTY_PATH): files without a path (pipes, eventfds) answer through the
/// open file.
pub fn stat_at(
    ctx: &TrapContext,
    dirfd: Fd,
    path: &[u8],
    flags: u64,
) -> Result<(Stat, Option<u32>)> {
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 && dirfd != Fd::AT_FDCWD {
        let f = dirfd.file(ctx)?;
        Ok((f.stat()?, f.path().map(|p| p.mnt.id())))
    } else {
        let p = resolve_at(ctx, dirfd, path, flags, true)?;
        Ok((p.inode().stat()?, Some(p.mnt.id())))
    }
}

pub fn sys_stat(ctx: &mut TrapContext, path: UserStr, statbuf: UserPtr<abi::Stat>) -> Result<u64> {
    do_stat(ctx, Fd::AT_FDCWD, path, statbuf, 0)
}

pub fn sys_lstat(ctx: &mut TrapContext, path: UserStr, statbuf: UserPtr<abi::Stat>) -> Result<u64> {
    do_stat(ctx, Fd::AT_FDCWD, path, statbuf, AT_SYMLINK_NOFOLLOW)
}

pub fn sys_newfstatat(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    statbuf: UserPtr<abi::Stat>,
    flags: u64,
) -> Result<u64> {
    do_stat(ctx, dirfd, path, statbuf, flags)
}

pub fn sys_fstat(ctx: &mut TrapContext, fd: Fd, statbuf: UserPtr<abi::Stat>) -> Result<u64> {
    let st = fd.file(ctx)?.stat()?;
    statbuf.write(ctx, &to_abi(&st))?;
    Ok(0)
}

/// access(2): the path walk and the check use the real ids (root's
/// capabilities if the real uid is 0), or the effective ones with
/// `AT_EACCESS`; execute on a `noexec` mount and write to a file (not a
/// device, FIFO or socket) on a read-only one are refused.
fn do_access(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    mode: u64,
    flags: u64,
) -> Result<u64> {
    if mode & !7 != 0 || flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_EACCESS) != 0 {
        return Err(Errno::EINVAL);
    }
    let cred = {
        let c = ctx.task.process.cred.borrow();
        if flags & AT_EACCESS != 0 {
            c.fs()
        } else {
            c.real()
        }
    };
    let path = path.read_path(ctx)?;
    let p = resolve_at_as(ctx, &cred, dirfd, &path, flags, true)?;
    if mode == 0 {
        return Ok(0);
    }
    let want = Access::from_bits_truncate(mode as u32);
    let ft = p.inode().file_type();
    if want.contains(Access::EXEC) && ft == FileType::Regular && p.mnt.noexec() {
        return Err(Errno::EACCES);
    }
    fs::permission(&cred, &p.inode().stat()?, want)?;
    let special = !matches!(
        ft,
        FileType::Regular | FileType::Directory | FileType::Symlink
    );
    if want.contains(Access::WRITE) && !special && p.mnt.read_only() {
        return Err(Errno::EROFS);
    }
    Ok(0)
}

pub fn sys_access(ctx: &mut TrapContext, path: UserStr, mode: u64) -> Result<u64> {
    do_access(ctx, Fd::AT_FDCWD, path, mode, 0)
}

pub fn sys_faccessat(ctx: &mut TrapContext, dirfd: Fd, path: UserStr, mode: u64) -> Result<u64> {
    do_access(ctx, dirfd, path, mode, 0)
}

pub fn sys_faccessat2(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    mode: u64,
    flags: u64,
) -> Result<u64> {
    do_access(ctx, dirfd, path, mode, flags)
}

fn do_readlink(ctx: &mut TrapContext, dirfd: Fd, path: UserStr, buf: u64, len: u64) -> Result<u64> {
    if (len as i64) <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = path.read_path(ctx)?;
    // An empty path names the symlink dirfd is open on (O_PATH), as since
    // Linux 2.6.39; another file that way is ENOENT (readlink(2)).
    let empty = path.is_empty();
    let at = AT_SYMLINK_NOFOLLOW | if empty { AT_EMPTY_PATH } else { 0 };
    let p = resolve_at(ctx, dirfd, &path, at, false)?;
    if empty && p.inode().file_type() != FileType::Symlink {
        return Err(Errno::ENOENT);
    }
    let target = p.inode().readlink()?;
    let n = target.len().min(len as usize);
    ctx.write_user(buf, &target[..n])?;
    Ok(n as u64)
}

pub fn sys_readlink(ctx: &mut TrapContext, path: UserStr, buf: u64, bufsiz: u64) -> Result<u64> {
    do_readlink(ctx, Fd::AT_FDCWD, path, buf, bufsiz)
}

pub fn sys_readlinkat(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    buf: u64,
    bufsiz: u64,
) -> Result<u64> {
    do_readlink(ctx, dirfd, path, buf, bufsiz)
}
