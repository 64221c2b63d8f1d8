//! dup, dup2, dup3 and fcntl: file descriptors as references to open file
//! descriptions, which share offset and status flags. fcntl's record locks
//! are in `flock`.

use super::arg::Fd;
use crate::fasync::{self, F_GETOWN, F_GETOWN_EX, F_GETSIG, F_SETOWN, F_SETOWN_EX, F_SETSIG};
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::OpenFlags;

const F_DUPFD: u32 = 0;
const F_GETFD: u32 = 1;
const F_SETFD: u32 = 2;
const F_GETFL: u32 = 3;
const F_SETFL: u32 = 4;
const F_DUPFD_CLOEXEC: u32 = 1030;
const FD_CLOEXEC: u64 = 1;

pub fn sys_dup(ctx: &mut TrapContext, fd: Fd) -> Result<u64> {
    let f = fd.file(ctx)?;
    let nofile = ctx.task.process.nofile();
    Ok(ctx.task.files().borrow_mut().alloc(f, false, nofile)? as u64)
}

fn dup3(ctx: &mut TrapContext, old: Fd, new: Fd, cloexec: bool) -> Result<u64> {
    let f = old.file(ctx)?;
    let nofile = ctx.task.process.nofile();
    ctx.task
        .files()
        .borrow_mut()
        .install(new.0, f, cloexec, nofile)?;
    Ok(new.0 as u64)
}

pub fn sys_dup2(ctx: &mut TrapContext, oldfd: Fd, newfd: Fd) -> Result<u64> {
    if oldfd == newfd {
        oldfd.file(ctx)?;
        return Ok(newfd.0 as u64);
    }
    dup3(ctx, oldfd, newfd, false)
}

pub fn sys_dup3(ctx: &mut TrapContext, oldfd: Fd, newfd: Fd, flags: u32) -> Result<u64> {
    const O_CLOEXEC: u32 = 0o2000000;
    if oldfd == newfd || flags & !O_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    dup3(ctx, oldfd, newfd, flags & O_CLOEXEC != 0)
}

/// fcntl(fd, cmd, arg): `cmd` is an `int`; `arg` an `unsigned long`, read as
/// each command's type.
pub fn sys_fcntl(ctx: &mut TrapContext, fd: Fd, cmd: u32, arg: u64) -> Result<u64> {
    use super::flock::*;
    let f = fd.file(ctx)?;
    if matches!(
        cmd as u64,
        F_GETLK | F_SETLK | F_SETLKW | F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW
    ) {
        return fcntl_lock(ctx, &f, cmd as u64, arg);
    }
    if cmd == crate::memfd::F_ADD_SEALS || cmd == crate::memfd::F_GET_SEALS {
        return crate::memfd::fcntl_seals(&f, cmd, arg);
    }
    let nofile = ctx.task.process.nofile();
    let files = ctx.task.files();
    let mut files = files.borrow_mut();
    let fd = fd.0;
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            // An argument at or past RLIMIT_NOFILE is EINVAL.
            let min = usize::try_from(arg).unwrap_or(usize::MAX);
            Ok(files.alloc_from(min, f, cmd == F_DUPFD_CLOEXEC, nofile)? as u64)
        }
        F_GETFD => Ok(if files.cloexec(fd)? { FD_CLOEXEC } else { 0 }),
        F_SETFD => {
            files.set_cloexec(fd, arg & FD_CLOEXEC != 0)?;
            Ok(0)
        }
        F_GETFL => Ok(f.flags().bits() as u64),
        F_SETFL => {
            // Only these status flags change; the access mode and creation flags stay.
            let settable = OpenFlags::O_APPEND
                | OpenFlags::O_NONBLOCK
                | OpenFlags::O_ASYNC
                | OpenFlags::O_DIRECT
                | OpenFlags::O_NOATIME;
            let new = OpenFlags::from_bits_truncate(arg as u32) & settable;
            // O_NOATIME is for the owner (fcntl(2)).
            if (new ^ f.flags()).contains(OpenFlags::O_NOATIME) {
                if let Some(inode) = f.inode() {
                    if !ctx.cred().owns(&inode.stat()?) {
                        return Err(Errno::EPERM);
                    }
                }
            }
            // An append-only file keeps O_APPEND (fcntl(2)).
            if (new ^ f.flags()).contains(OpenFlags::O_APPEND)
                && f.inode()
                    .is_some_and(|i| fs::fileattr::is_append(i.as_ref()))
            {
                return Err(Errno::EPERM);
            }
            let toggled = (new ^ f.flags()).contains(OpenFlags::O_ASYNC);
            f.set_flags((f.flags() - settable) | new);
            if toggled {
                fasync::set_async(&f, fd, new.contains(OpenFlags::O_ASYNC));
            }
            Ok(0)
        }
        F_SETOWN | F_GETOWN | F_SETSIG | F_GETSIG | F_SETOWN_EX | F_GETOWN_EX => {
            drop(files);
            fasync::fcntl(ctx, &f, cmd, arg)
        }
        super::pipe::F_SETPIPE_SZ | super::pipe::F_GETPIPE_SZ => super::pipe::fcntl(&f, cmd, arg),
        cmd => {
            log::debug!("fcntl command {cmd} not supported");
            Err(Errno::EINVAL)
        }
    }
}
