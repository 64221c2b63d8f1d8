//! ioctl(2): `FIONBIO` and `FIOASYNC`, which every file has, `FIONREAD` of
//! a regular file,
//! and the attribute flags
//! (`FS_IOC_GETFLAGS`/`FS_IOC_SETFLAGS`, ioctl_iflags(2)) and their
//! `struct fsxattr` form (`FS_IOC_FSGETXATTR`/`FS_IOC_FSSETXATTR`) of files
//! whose filesystem keeps them, here; every other request is the file's own
//! (`FileOps::ioctl`): terminal requests on terminals and pty masters,
//! FIONREAD on pipes and inotify instances, SIOCINQ (FIONREAD) and SIOCOUTQ
//! on sockets, and ENOTTY, as Linux answers, for a file without it.

use super::arg::Fd;
use super::arg::UserPtr;
use super::namei::vfs;
use crate::task::TrapContext;
use arch::{Errno, Result};

const FIONBIO: u64 = 0x5421;
const FIOASYNC: u64 = 0x5452;
const FIONREAD: u64 = 0x541b;
const S_IFMT: u32 = 0o170_000;
const S_IFREG: u32 = 0o100_000;
/// `_IOR('f', 1, long)`; the flags are an `int` all the same. The
/// `int`-numbered requests are for 32-bit callers only (ENOTTY here).
const FS_IOC_GETFLAGS: u64 = 0x8008_6601;
/// `_IOW('f', 2, long)`.
const FS_IOC_SETFLAGS: u64 = 0x4008_6602;
/// `_IOR('X', 31, struct fsxattr)`.
const FS_IOC_FSGETXATTR: u64 = 0x801c_581f;
/// `_IOW('X', 32, struct fsxattr)`.
const FS_IOC_FSSETXATTR: u64 = 0x401c_5820;
/// A `struct fsxattr` in `u32`s: five fields and eight bytes of padding.
const FSXATTR_WORDS: usize = 7;

pub fn sys_ioctl(ctx: &mut TrapContext, fd: Fd, cmd: u64, arg: u64) -> Result<u64> {
    let f = fd.file(ctx)?;
    if cmd == FIONBIO {
        let on = UserPtr::<i32>::new(arg).read(ctx)? != 0;
        let mut flags = f.flags();
        flags.set(fs::OpenFlags::O_NONBLOCK, on);
        f.set_flags(flags);
        return Ok(0);
    }
    if cmd == FIOASYNC {
        // O_ASYNC as F_SETFL sets it (Linux's ioctl_fioasync).
        let on = UserPtr::<i32>::new(arg).read(ctx)? != 0;
        let flags = f.flags();
        if flags.contains(fs::OpenFlags::O_ASYNC) != on {
            f.set_flags(flags ^ fs::OpenFlags::O_ASYNC);
            crate::fasync::set_async(&f, fd.0, on);
        }
        return Ok(0);
    }
    if cmd == FIONREAD {
        // A regular file answers with its size less the position, negative
        // past the end, truncated to an int (Linux's do_vfs_ioctl); any other
        // file with its own count.
        let st = f.stat()?;
        if st.mode & S_IFMT == S_IFREG {
            let left = st.size.wrapping_sub(f.pos()) as i32;
            UserPtr::<i32>::new(arg).write(ctx, &left)?;
            return Ok(0);
        }
    }
    if let (FS_IOC_GETFLAGS | FS_IOC_SETFLAGS, Some(path)) = (cmd, f.path()) {
        // A file whose filesystem keeps no flags (a device node, a FIFO)
        // gets the request as its own, as Linux's do_vfs_ioctl falls back.
        let done = if cmd == FS_IOC_GETFLAGS {
            vfs().fileattr_get(path).and_then(|flags| {
                UserPtr::<u32>::new(arg).write(ctx, &flags)?;
                Ok(0)
            })
        } else {
            let flags = UserPtr::<u32>::new(arg).read(ctx)?;
            vfs().fileattr_set(&ctx.cred(), path, flags).map(|()| 0)
        };
        if done != Err(Errno::ENOTTY) {
            return done;
        }
    }
    if let (FS_IOC_FSGETXATTR | FS_IOC_FSSETXATTR, Some(path)) = (cmd, f.path()) {
        let user = UserPtr::<u32>::new(arg);
        let done = if cmd == FS_IOC_FSGETXATTR {
            vfs().fsxattr_get(path).and_then(|x| {
                let words = [
                    x.xflags,
                    x.extsize,
                    x.nextents,
                    x.projid,
                    x.cowextsize,
                    0,
                    0,
                ];
                user.write_array(ctx, &words)?;
                Ok(0)
            })
        } else {
            let w = user.read_array(ctx, FSXATTR_WORDS)?;
            let get = |i: usize| w.get(i).copied().unwrap_or(0);
            let fsx = fs::fileattr::FsXattr {
                xflags: get(0),
                extsize: get(1),
                nextents: get(2),
                projid: get(3),
                cowextsize: get(4),
            };
            vfs().fsxattr_set(&ctx.cred(), path, fsx).map(|()| 0)
        };
        if done != Err(Errno::ENOTTY) {
            return done;
        }
    }
    f.ops().ioctl(ctx, cmd as u32, arg)
}
