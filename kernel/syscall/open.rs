//! open, openat, creat, close; the working directory (getcwd, chdir, fchdir); directory
//! listing (getdents64). Path resolution starts at the task's root and cwd, or at a
//! directory file descriptor for the *at calls.

use super::arg::{Fd, UserStr};
use crate::sleep::{wait_event, Interruptible};
use crate::task::Task;
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::{Credentials, File, FileType, LookupFlags, OpenFlags, Path};
use std::sync::Arc;

/// `AT_SYMLINK_NOFOLLOW`.
pub const AT_SYMLINK_NOFOLLOW: u64 = 0x100;
/// `AT_EMPTY_PATH`.
pub const AT_EMPTY_PATH: u64 = 0x1000;

/// Returns (root, starting directory) for resolving `path` relative to `dirfd`.
pub fn start_dir(ctx: &TrapContext, dirfd: Fd, path: &[u8]) -> Result<(Path, Path)> {
    let fsc = ctx.task.fs();
    if path.first() == Some(&b'/') || dirfd == Fd::AT_FDCWD {
        return Ok((fsc.root, fsc.cwd));
    }
    let f = dirfd.file(ctx)?;
    let p = f.path().cloned().ok_or(Errno::ENOTDIR)?;
    if p.inode().file_type() != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    Ok((fsc.root, p))
}

/// Resolves `path` relative to `dirfd`; `AT_EMPTY_PATH` with an empty path means
/// the file `dirfd` itself.
pub fn resolve_at(
    ctx: &TrapContext,
    dirfd: Fd,
    path: &[u8],
    flags: u64,
    follow: bool,
) -> Result<Path> {
    resolve_at_as(ctx, &ctx.cred(), dirfd, path, flags, follow)
}

/// Resolves `path` relative to `dirfd` with the rights of `cred`.
pub fn resolve_at_as(
    ctx: &TrapContext,
    cred: &Credentials,
    dirfd: Fd,
    path: &[u8],
    flags: u64,
    follow: bool,
) -> Result<Path> {
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 {
        if dirfd == Fd::AT_FDCWD {
            return Ok(ctx.task.fs().cwd);
        }
        return dirfd.file(ctx)?.path().cloned().ok_or(Errno::EBADF);
    }
    // An empty path is refused before dirfd is looked at (Linux's getname).
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    let (root, start) = start_dir(ctx, dirfd, path)?;
    let mut lf = LookupFlags::empty();
    if follow && flags & AT_SYMLINK_NOFOLLOW == 0 {
        lf |= LookupFlags::FOLLOW;
    }
    crate::boot::kernel()
        .vfs
        .lookup(cred, &root, &start, path, lf)
}

fn do_open(ctx: &mut TrapContext, dirfd: Fd, path: UserStr, flags: u64, mode: u64) -> Result<u64> {
    let path = path.read_path(ctx)?;
    let flags = OpenFlags::from_bits_truncate(flags as u32);
    let (root, start) = start_dir(ctx, dirfd, &path)?;
    let how = OpenHow {
        flags,
        mode: mode as u32,
        resolve: LookupFlags::empty(),
    };
    open_file(ctx, &root, &start, &path, how)
}

/// What to open and how, as openat2(2)'s `struct open_how` says.
pub(super) struct OpenHow {
    pub flags: OpenFlags,
    pub mode: u32,
    pub resolve: LookupFlags,
}

/// Waits while the open of `f` may not return yet (a FIFO end without its
/// partner); `ERESTARTSYS` if a signal comes first (the open fails and the
/// file closes).
fn wait_open(task: &Task, f: &File) -> Result<()> {
    let (Some(queue), true) = (f.ops().wait_queue(), f.ops().open_pending()) else {
        return Ok(());
    };
    wait_event(task, &[queue], None, Interruptible::Signals, || {
        (!f.ops().open_pending()).then_some(())
    })?;
    Ok(())
}

/// Opens `path` from `start` (absolute paths from `root`) and installs it
/// as a new descriptor; a FIFO end waits here for its partner.
pub(super) fn open_file(
    ctx: &mut TrapContext,
    root: &Path,
    start: &Path,
    path: &[u8],
    how: OpenHow,
) -> Result<u64> {
    let OpenHow {
        flags,
        mode,
        resolve,
    } = how;
    let umask = ctx.task.fs().umask;
    let k = crate::boot::kernel();
    let f = k.vfs.open_resolve(
        &ctx.cred(),
        root,
        start,
        path,
        flags,
        mode & 0o7777 & !umask,
        resolve,
        &k.devices,
    )?;
    wait_open(ctx.task, &f)?;
    let fd = ctx.task.files().borrow_mut().alloc(
        f,
        flags.contains(OpenFlags::O_CLOEXEC),
        ctx.task.process.nofile(),
    )?;
    Ok(fd as u64)
}

pub fn sys_open(ctx: &mut TrapContext, path: UserStr, flags: u64, mode: u64) -> Result<u64> {
    do_open(ctx, Fd::AT_FDCWD, path, flags, mode)
}

/// creat(2): open with O_CREAT | O_WRONLY | O_TRUNC.
pub fn sys_creat(ctx: &mut TrapContext, path: UserStr, mode: u64) -> Result<u64> {
    let flags = OpenFlags::O_CREAT | OpenFlags::O_WRONLY | OpenFlags::O_TRUNC;
    do_open(ctx, Fd::AT_FDCWD, path, flags.bits() as u64, mode)
}

pub fn sys_openat(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    flags: u64,
    mode: u64,
) -> Result<u64> {
    do_open(ctx, dirfd, path, flags, mode)
}

pub fn sys_close(ctx: &mut TrapContext, fd: Fd) -> Result<u64> {
    ctx.task.files().borrow_mut().close(fd.0)?;
    Ok(0)
}

/// close_range(2): closes (or with `CLOSE_RANGE_CLOEXEC` marks close-on-exec)
/// every open descriptor from `first` to `last`, after making the file table
/// the caller's own with `CLOSE_RANGE_UNSHARE`; `EINVAL` for unknown flags or
/// `first` past `last`.
pub fn sys_close_range(ctx: &mut TrapContext, first: u64, last: u64, flags: u64) -> Result<u64> {
    const CLOSE_RANGE_UNSHARE: u64 = 2;
    const CLOSE_RANGE_CLOEXEC: u64 = 4;
    let (first, last) = (first as u32, last as u32);
    if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
        return Err(Errno::EINVAL);
    }
    if flags & CLOSE_RANGE_UNSHARE != 0 {
        let copy = ctx.task.files().borrow().clone();
        *ctx.task.process.files.borrow_mut() = Arc::new(arch::sync::KernelCell::new(copy));
    }
    let files = ctx.task.files();
    let fds: Vec<i32> = files
        .borrow()
        .fds()
        .into_iter()
        .filter(|&fd| (first..=last).contains(&(fd as u32)))
        .collect();
    for fd in fds {
        if flags & CLOSE_RANGE_CLOEXEC != 0 {
            files.borrow_mut().set_cloexec(fd, true)?;
        } else {
            // Each file is released after the table is let go.
            let f = files.borrow().get(fd);
            let _ = files.borrow_mut().close(fd);
            drop(f);
        }
    }
    Ok(0)
}

/// getcwd(2): ENOENT once the working directory was removed.
pub fn sys_getcwd(ctx: &mut TrapContext, buf: u64, size: u64) -> Result<u64> {
    let fsc = ctx.task.fs();
    if fsc.cwd.dentry.is_deleted() {
        return Err(Errno::ENOENT);
    }
    let mut path = fsc.cwd.to_bytes(&fsc.root);
    path.push(0);
    if (size as usize) < path.len() {
        return Err(Errno::ERANGE);
    }
    ctx.write_user(buf, &path)?;
    Ok(path.len() as u64)
}

/// Makes `p` the working directory: it must be a directory the caller may
/// search.
fn set_cwd(ctx: &mut TrapContext, p: Path) -> Result<u64> {
    if p.inode().file_type() != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    fs::permission(&ctx.cred(), &p.inode().stat()?, fs::Access::EXEC)?;
    ctx.task.process.fs.borrow_mut().cwd = p;
    Ok(0)
}

pub fn sys_chdir(ctx: &mut TrapContext, path: UserStr) -> Result<u64> {
    let path = path.read_path(ctx)?;
    let p = resolve_at(ctx, Fd::AT_FDCWD, &path, 0, true)?;
    set_cwd(ctx, p)
}

pub fn sys_fchdir(ctx: &mut TrapContext, fd: Fd) -> Result<u64> {
    let p = fd.file(ctx)?.path().cloned().ok_or(Errno::ENOTDIR)?;
    set_cwd(ctx, p)
}

/// chroot(2): makes a directory the caller's root (Linux's `ksys_chroot`):
/// ENOTDIR for another file, EACCES without search permission on it, then
/// EPERM without CAP_SYS_CHROOT. The working directory stays.
pub fn sys_chroot(ctx: &mut TrapContext, path: UserStr) -> Result<u64> {
    let path = path.read_path(ctx)?;
    let p = resolve_at(ctx, Fd::AT_FDCWD, &path, 0, true)?;
    if p.inode().file_type() != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    fs::permission(&ctx.cred(), &p.inode().stat()?, fs::Access::EXEC)?;
    if !ctx
        .task
        .process
        .cred
        .borrow()
        .capable(arch::abi::capability::CAP_SYS_CHROOT)
    {
        return Err(Errno::EPERM);
    }
    ctx.task.process.fs.borrow_mut().root = p;
    Ok(0)
}

pub fn sys_getdents64(ctx: &mut TrapContext, fd: Fd, dirp: u64, count: u64) -> Result<u64> {
    let f = fd.file(ctx)?;
    let mut buf = vec![0u8; (count as usize).min(1 << 20)];
    let n = f.getdents64(&mut buf)?;
    ctx.write_user(dirp, &buf[..n])?;
    Ok(n as u64)
}
