//! dup, dup2, dup3 and fcntl: file descriptors as references to open file
//! descriptions, which share offset and status flags. fcntl's record locks
//! are in `flock`.

use super::rw::file;
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::OpenFlags;

const F_DUPFD: u64 = 0;
const F_GETFD: u64 = 1;
const F_SETFD: u64 = 2;
const F_GETFL: u64 = 3;
const F_SETFL: u64 = 4;
const F_DUPFD_CLOEXEC: u64 = 1030;
const FD_CLOEXEC: u64 = 1;

pub fn sys_dup(ctx: &mut TrapContext, fd: u64) -> Result<u64> {
    let f = file(ctx, fd)?;
    Ok(ctx.task.files().borrow_mut().alloc(f, false)? as u64)
}

fn dup3(ctx: &mut TrapContext, old: u64, new: u64, cloexec: bool) -> Result<u64> {
    let f = file(ctx, old)?;
    if (new as i32) < 0 {
        return Err(Errno::EBADF);
    }
    ctx.task
        .files()
        .borrow_mut()
        .install(new as i32, f, cloexec)?;
    Ok(new)
}

pub fn sys_dup2(ctx: &mut TrapContext, oldfd: u64, newfd: u64) -> Result<u64> {
    if oldfd == newfd {
        file(ctx, oldfd)?;
        return Ok(newfd);
    }
    dup3(ctx, oldfd, newfd, false)
}

pub fn sys_dup3(ctx: &mut TrapContext, oldfd: u64, newfd: u64, flags: u64) -> Result<u64> {
    const O_CLOEXEC: u64 = 0o2000000;
    if oldfd == newfd || flags & !O_CLOEXEC != 0 {
        return Err(Errno::EINVAL);
    }
    dup3(ctx, oldfd, newfd, flags & O_CLOEXEC != 0)
}

pub fn sys_fcntl(ctx: &mut TrapContext, fd: u64, cmd: u64, arg: u64) -> Result<u64> {
    use super::flock::*;
    let f = file(ctx, fd)?;
    let fd = fd as i32;
    if matches!(
        cmd,
        F_GETLK | F_SETLK | F_SETLKW | F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW
    ) {
        return fcntl_lock(ctx, &f, cmd, arg);
    }
    let files = ctx.task.files();
    let mut files = files.borrow_mut();
    match cmd {
        F_DUPFD | F_DUPFD_CLOEXEC => {
            if arg as i64 >= 1024 || (arg as i64) < 0 {
                return Err(Errno::EINVAL);
            }
            Ok(files.alloc_from(arg as i32, f, cmd == F_DUPFD_CLOEXEC)? as u64)
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
            f.set_flags((f.flags() - settable) | new);
            Ok(0)
        }
        super::pipe::F_SETPIPE_SZ | super::pipe::F_GETPIPE_SZ => super::pipe::fcntl(&f, cmd, arg),
        cmd => {
            log::debug!("fcntl command {cmd} not supported");
            Err(Errno::EINVAL)
        }
    }
}
