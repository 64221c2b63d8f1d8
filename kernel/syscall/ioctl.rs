//! ioctl: terminal requests on the console, FIONREAD on pipes and inotify
//! instances, SIOCINQ (FIONREAD) and SIOCOUTQ on sockets; everything else is
//! ENOTTY, as Linux answers for a file that has no such request.

use super::rw::file;
use super::SyscallContext;
use arch::{Errno, Result};

const FIONBIO: u64 = 0x5421;
const FIONREAD: u64 = 0x541b;
/// SIOCOUTQ of sockets.
const TIOCOUTQ: u64 = 0x5411;

pub fn sys_ioctl(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    let f = file(ctx, a[0])?;
    if a[1] == FIONBIO {
        let mut v = [0u8; 4];
        ctx.read_user(a[2], &mut v)?;
        let mut flags = f.flags();
        flags.set(fs::OpenFlags::O_NONBLOCK, u32::from_ne_bytes(v) != 0);
        f.set_flags(flags);
        return Ok(0);
    }
    if let Some(sock) = crate::net::unix::socket_of(&f) {
        let n = match a[1] {
            FIONREAD => sock.inq()?,
            TIOCOUTQ => sock.outq(),
            _ => return Err(Errno::ENOTTY),
        };
        ctx.write_user(a[2], &(n as i32).to_ne_bytes())?;
        return Ok(0);
    }
    if let (FIONREAD, Some(pipe)) = (a[1], crate::pipe::pipe_of(&f)) {
        ctx.write_user(a[2], &(pipe.buffered() as i32).to_ne_bytes())?;
        return Ok(0);
    }
    if let (FIONREAD, Some(group)) = (a[1], crate::inotify::inotify_of(&f)) {
        ctx.write_user(a[2], &(group.pending() as i32).to_ne_bytes())?;
        return Ok(0);
    }
    if let Some(m) = crate::pty::master_of(&f) {
        return crate::pty::master_ioctl(ctx, m, a[1] as u32, a[2]);
    }
    if crate::tty::hung_up(&f) {
        return Err(crate::tty::hung_up_ioctl(a[1] as u32));
    }
    match crate::tty::tty_of(&f) {
        Some(tty) => crate::tty::ioctl(ctx, &tty, a[1] as u32, a[2]),
        None => f.ops().ioctl(a[1] as u32, a[2]),
    }
}
