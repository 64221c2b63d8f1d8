//! ioctl(2): `FIONBIO`, which every file has, here; every other request is
//! the file's own (`FileOps::ioctl`): terminal requests on terminals and pty
//! masters, FIONREAD on pipes and inotify instances, SIOCINQ (FIONREAD) and
//! SIOCOUTQ on sockets, and ENOTTY, as Linux answers, for a file without it.

use super::arg::Fd;
use super::arg::UserPtr;
use crate::task::TrapContext;
use arch::Result;

const FIONBIO: u64 = 0x5421;

pub fn sys_ioctl(ctx: &mut TrapContext, fd: Fd, cmd: u64, arg: u64) -> Result<u64> {
    let f = fd.file(ctx)?;
    if cmd == FIONBIO {
        let on = UserPtr::<i32>::new(arg).read(ctx)? != 0;
        let mut flags = f.flags();
        flags.set(fs::OpenFlags::O_NONBLOCK, on);
        f.set_flags(flags);
        return Ok(0);
    }
    f.ops().ioctl(ctx, cmd as u32, arg)
}
