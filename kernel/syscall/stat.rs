//! stat and friends, access checks, and readlink. `struct stat` is laid out as on
//! x86_64 Linux (arch/x86/include/uapi/asm/stat.h, 144 bytes).

use super::open::{resolve_at, resolve_at_as, AT_EMPTY_PATH, AT_FDCWD, AT_SYMLINK_NOFOLLOW};
use super::rw::file;
use crate::task::locked;
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::{Access, FileType, Stat};

/// `AT_EACCESS` (faccessat2): check with the effective ids.
const AT_EACCESS: u64 = 0x200;

/// Encodes `st` as x86_64 `struct stat`.
pub fn stat_bytes(st: &Stat) -> [u8; 144] {
    let mut b = [0u8; 144];
    let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
    put(0, &st.dev.to_ne_bytes());
    put(8, &st.ino.to_ne_bytes());
    put(16, &(st.nlink as u64).to_ne_bytes());
    put(24, &st.mode.to_ne_bytes());
    put(28, &st.uid.to_ne_bytes());
    put(32, &st.gid.to_ne_bytes());
    put(40, &st.rdev.to_ne_bytes());
    put(48, &st.size.to_ne_bytes());
    put(56, &(st.blksize as u64).to_ne_bytes());
    put(64, &st.blocks.to_ne_bytes());
    for (i, t) in [st.atime, st.mtime, st.ctime].iter().enumerate() {
        put(72 + i * 16, &t.sec.to_ne_bytes());
        put(80 + i * 16, &(t.nsec as u64).to_ne_bytes());
    }
    b
}

fn do_stat(ctx: &mut TrapContext, dirfd: u64, path: u64, buf: u64, flags: u64) -> Result<u64> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | 0x800) != 0 {
        return Err(Errno::EINVAL);
    }
    let path = ctx.read_path(path)?;
    let (st, _) = stat_at(ctx, dirfd, &path, flags)?;
    ctx.write_user(buf, &stat_bytes(&st))?;
    Ok(0)
}

/// Returns the attributes of the file a stat call names, and the id of its
/// mount if it has a path. fstat(3) in glibc is fstatat(fd, "",
/// AT_EMPTY_PATH): files without a path (pipes, eventfds) answer through the
/// open file.
pub fn stat_at(
    ctx: &TrapContext,
    dirfd: u64,
    path: &[u8],
    flags: u64,
) -> Result<(Stat, Option<u32>)> {
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 && dirfd as i32 != AT_FDCWD {
        let f = file(ctx, dirfd)?;
        Ok((f.stat()?, f.path().map(|p| p.mnt.id())))
    } else {
        let p = resolve_at(ctx, dirfd, path, flags, true)?;
        Ok((p.inode().stat()?, Some(p.mnt.id())))
    }
}

pub fn sys_stat(ctx: &mut TrapContext, path: u64, statbuf: u64) -> Result<u64> {
    do_stat(ctx, AT_FDCWD as u64, path, statbuf, 0)
}

pub fn sys_lstat(ctx: &mut TrapContext, path: u64, statbuf: u64) -> Result<u64> {
    do_stat(ctx, AT_FDCWD as u64, path, statbuf, AT_SYMLINK_NOFOLLOW)
}

pub fn sys_newfstatat(
    ctx: &mut TrapContext,
    dirfd: u64,
    path: u64,
    statbuf: u64,
    flags: u64,
) -> Result<u64> {
    do_stat(ctx, dirfd, path, statbuf, flags)
}

pub fn sys_fstat(ctx: &mut TrapContext, fd: u64, statbuf: u64) -> Result<u64> {
    let st = file(ctx, fd)?.stat()?;
    ctx.write_user(statbuf, &stat_bytes(&st))?;
    Ok(0)
}

/// access(2): the path walk and the check use the real ids (root's
/// capabilities if the real uid is 0), or the effective ones with
/// `AT_EACCESS`; execute on a `noexec` mount and write to a file (not a
/// device, FIFO or socket) on a read-only one are refused.
fn do_access(ctx: &mut TrapContext, dirfd: u64, path: u64, mode: u64, flags: u64) -> Result<u64> {
    if mode & !7 != 0 || flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_EACCESS) != 0 {
        return Err(Errno::EINVAL);
    }
    let cred = {
        let c = locked(&ctx.task.process.cred);
        if flags & AT_EACCESS != 0 {
            c.fs()
        } else {
            c.real()
        }
    };
    let path = ctx.read_path(path)?;
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

pub fn sys_access(ctx: &mut TrapContext, path: u64, mode: u64) -> Result<u64> {
    do_access(ctx, AT_FDCWD as u64, path, mode, 0)
}

pub fn sys_faccessat(ctx: &mut TrapContext, dirfd: u64, path: u64, mode: u64) -> Result<u64> {
    do_access(ctx, dirfd, path, mode, 0)
}

pub fn sys_faccessat2(
    ctx: &mut TrapContext,
    dirfd: u64,
    path: u64,
    mode: u64,
    flags: u64,
) -> Result<u64> {
    do_access(ctx, dirfd, path, mode, flags)
}

fn do_readlink(ctx: &mut TrapContext, dirfd: u64, path: u64, buf: u64, len: u64) -> Result<u64> {
    if (len as i64) <= 0 {
        return Err(Errno::EINVAL);
    }
    let path = ctx.read_path(path)?;
    let p = resolve_at(ctx, dirfd, &path, AT_SYMLINK_NOFOLLOW, false)?;
    let target = p.inode().readlink()?;
    let n = target.len().min(len as usize);
    ctx.write_user(buf, &target[..n])?;
    Ok(n as u64)
}

pub fn sys_readlink(ctx: &mut TrapContext, path: u64, buf: u64, bufsiz: u64) -> Result<u64> {
    do_readlink(ctx, AT_FDCWD as u64, path, buf, bufsiz)
}

pub fn sys_readlinkat(
    ctx: &mut TrapContext,
    dirfd: u64,
    path: u64,
    buf: u64,
    bufsiz: u64,
) -> Result<u64> {
    do_readlink(ctx, dirfd, path, buf, bufsiz)
}
