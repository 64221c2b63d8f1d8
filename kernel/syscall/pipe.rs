//! pipe, pipe2, and the pipe requests of fcntl (F_GETPIPE_SZ, F_SETPIPE_SZ).
//! The pipe itself is kernel/pipe.rs.

use super::arg::UserPtr;
use crate::pipe::{new_pipe, pipe_of};
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::{File, OpenFlags};

pub const F_SETPIPE_SZ: u32 = 1031;
pub const F_GETPIPE_SZ: u32 = 1032;

fn do_pipe2(ctx: &mut TrapContext, fds: UserPtr<[i32; 2]>, flags: u32) -> Result<u64> {
    // O_NOTIFICATION_PIPE needs watch queues, which we lack: EINVAL like the rest.
    let allowed = OpenFlags::O_CLOEXEC | OpenFlags::O_NONBLOCK | OpenFlags::O_DIRECT;
    let flags = OpenFlags::from_bits(flags)
        .filter(|f| allowed.contains(*f))
        .ok_or(Errno::EINVAL)?;
    let cloexec = flags.contains(OpenFlags::O_CLOEXEC);
    // O_DIRECT (packet mode) is accepted and kept in the flags; data stays a stream.
    let status = flags & (OpenFlags::O_NONBLOCK | OpenFlags::O_DIRECT);
    let (r, w) = new_pipe()?;
    let rf = File::new(None, r, status);
    let wf = File::new(None, w, status | OpenFlags::O_WRONLY);
    let files = ctx.task.files();
    let (rfd, wfd) = {
        let mut t = files.borrow_mut();
        let rfd = t.alloc(rf, cloexec, ctx.task.process.nofile())?;
        match t.alloc(wf, cloexec, ctx.task.process.nofile()) {
            Ok(wfd) => (rfd, wfd),
            Err(e) => {
                let _ = t.close(rfd);
                return Err(e);
            }
        }
    };
    if let Err(e) = fds.write(ctx, &[rfd, wfd]) {
        let mut t = files.borrow_mut();
        let _ = t.close(rfd);
        let _ = t.close(wfd);
        return Err(e);
    }
    Ok(0)
}

pub fn sys_pipe(ctx: &mut TrapContext, fds: UserPtr<[i32; 2]>) -> Result<u64> {
    do_pipe2(ctx, fds, 0)
}

pub fn sys_pipe2(ctx: &mut TrapContext, fds: UserPtr<[i32; 2]>, flags: u32) -> Result<u64> {
    do_pipe2(ctx, fds, flags)
}

/// fcntl F_GETPIPE_SZ and F_SETPIPE_SZ; `EBADF` for a file that is no pipe.
pub fn fcntl(f: &File, cmd: u32, arg: u64) -> Result<u64> {
    let pipe = pipe_of(f).ok_or(Errno::EBADF)?;
    match cmd {
        F_GETPIPE_SZ => Ok(pipe.capacity() as u64),
        // Linux takes the size as an unsigned int.
        F_SETPIPE_SZ => Ok(pipe.set_capacity(arg as u32 as u64)? as u64),
        _ => Err(Errno::EINVAL),
    }
}
