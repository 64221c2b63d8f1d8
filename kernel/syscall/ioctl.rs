//! ioctl: terminal requests on the console; everything else is ENOTTY, as Linux
//! answers for a file that has no such request.

use super::rw::file;
use super::SyscallContext;
use crate::devices::Console;
use arch::{Errno, Result};

const TCGETS: u64 = 0x5401;
const TIOCGWINSZ: u64 = 0x5413;
const TIOCGPGRP: u64 = 0x540f;
const FIONBIO: u64 = 0x5421;
const FIONREAD: u64 = 0x541b;

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
    if let (FIONREAD, Some(pipe)) = (a[1], crate::pipe::pipe_of(&f)) {
        ctx.write_user(a[2], &(pipe.buffered() as i32).to_ne_bytes())?;
        return Ok(0);
    }
    let Some(console) = f.ops().as_any().downcast_ref::<Console>() else {
        return f.ops().ioctl(a[1] as u32, a[2]);
    };
    match a[1] {
        TCGETS => {
            let t = console.termios().ok_or(Errno::ENOTTY)?;
            ctx.write_user(a[2], &t)?;
            Ok(0)
        }
        TIOCGWINSZ => {
            let w = console.window_size().ok_or(Errno::ENOTTY)?;
            let bytes: Vec<u8> = w.iter().flat_map(|v| v.to_ne_bytes()).collect();
            ctx.write_user(a[2], &bytes)?;
            Ok(0)
        }
        TIOCGPGRP => {
            console.termios().ok_or(Errno::ENOTTY)?;
            let pgid = *crate::task::locked(&ctx.task.process.pgid);
            ctx.write_user(a[2], &pgid.to_ne_bytes())?;
            Ok(0)
        }
        _ => Err(Errno::ENOTTY),
    }
}
