//! ioctl: terminal requests on the console, FIONREAD on pipes and inotify
//! instances, SIOCINQ (FIONREAD) and SIOCOUTQ on sockets; everything else is
//! ENOTTY, as Linux answers for a file that has no such request.

use super::rw::file;
use crate::task::TrapContext;
use arch::{Errno, Result};

const FIONBIO: u64 = 0x5421;
const FIONREAD: u64 = 0x541b;
/// SIOCOUTQ of sockets.
const TIOCOUTQ: u64 = 0x5411;

pub fn sys_ioctl(ctx: &mut TrapContext, fd: u64, cmd: u64, arg: u64) -> Result<u64> {
    let f = file(ctx, fd)?;
    if cmd == FIONBIO {
        let mut v = [0u8; 4];
        ctx.read_user(arg, &mut v)?;
        let mut flags = f.flags();
        flags.set(fs::OpenFlags::O_NONBLOCK, u32::from_ne_bytes(v) != 0);
        f.set_flags(flags);
        return Ok(0);
    }
    if let Some(sock) = crate::net::unix::socket_of(&f) {
        let n = match cmd {
            FIONREAD => sock.inq()?,
            TIOCOUTQ => sock.outq(),
            _ => return Err(Errno::ENOTTY),
        };
        ctx.write_user(arg, &(n as i32).to_ne_bytes())?;
        return Ok(0);
    }
    if let (FIONREAD, Some(pipe)) = (cmd, crate::pipe::pipe_of(&f)) {
        ctx.write_user(arg, &(pipe.buffered() as i32).to_ne_bytes())?;
        return Ok(0);
    }
    if let (FIONREAD, Some(group)) = (cmd, crate::inotify::inotify_of(&f)) {
        ctx.write_user(arg, &(group.pending() as i32).to_ne_bytes())?;
        return Ok(0);
    }
    if let Some(m) = crate::pty::master_of(&f) {
        return crate::pty::master_ioctl(ctx, m, cmd as u32, arg);
    }
    if crate::tty::hung_up(&f) {
        return Err(crate::tty::hung_up_ioctl(cmd as u32));
    }
    match crate::tty::tty_of(&f) {
        Some(tty) => crate::tty::ioctl(ctx, &tty, cmd as u32, arg),
        None => f.ops().ioctl(cmd as u32, arg),
    }
}
