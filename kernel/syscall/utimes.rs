//! Setting file times: utimensat (with `UTIME_NOW` and `UTIME_OMIT`, a NULL
//! times pointer for "now", a NULL path for the file `dirfd` as futimens uses
//! it), and the older utimes, futimesat and utime.

use super::arg::{Fd, UserStr};
use super::attr::io_file;
use super::namei::vfs;
use super::open::{resolve_at, AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW};
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::{AttrTime, Timespec};

const UTIME_NOW: i64 = (1 << 30) - 1;
const UTIME_OMIT: i64 = (1 << 30) - 2;

/// A requested (atime, mtime); `None` leaves one alone.
type Times = [Option<AttrTime>; 2];

/// Converts (seconds, nanoseconds), honouring the UTIME_* values.
fn time(sec: i64, nsec: i64) -> Result<Option<AttrTime>> {
    match nsec {
        UTIME_OMIT => Ok(None),
        UTIME_NOW => Ok(Some(AttrTime::Now)),
        0..=999_999_999 => Ok(Some(AttrTime::At(Timespec {
            sec,
            nsec: nsec as u32,
        }))),
        _ => Err(Errno::EINVAL),
    }
}

/// Reads two pairs of 64-bit words at `addr`; `scale` turns the second of each
/// into nanoseconds (1000 for `struct timeval`, 1 for `struct timespec`).
fn read_times(ctx: &TrapContext, addr: u64, scale: i64, max: i64) -> Result<Times> {
    const NOW: Times = [Some(AttrTime::Now); 2];
    if addr == 0 {
        return Ok(NOW);
    }
    let mut raw = [0u8; 32];
    ctx.read_user(addr, &mut raw)?;
    let word = |i: usize| {
        let b: [u8; 8] = raw[i * 8..i * 8 + 8].try_into().expect("8 bytes");
        i64::from_ne_bytes(b)
    };
    let mut out: Times = [None; 2];
    for (i, t) in out.iter_mut().enumerate() {
        let (sec, frac) = (word(2 * i), word(2 * i + 1));
        if scale != 1 && !(0..max).contains(&frac) {
            return Err(Errno::EINVAL);
        }
        *t = time(sec, frac.saturating_mul(scale))?;
    }
    Ok(out)
}

/// Sets `times` on `path` from `dirfd`, or on the file `dirfd` if `path` is NULL.
fn do_utimes(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    times: Times,
    flags: u64,
) -> Result<u64> {
    if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
        return Err(Errno::EINVAL);
    }
    let p = if path.is_null() && dirfd != Fd::AT_FDCWD {
        if flags & AT_SYMLINK_NOFOLLOW != 0 {
            return Err(Errno::EINVAL);
        }
        io_file(ctx, dirfd)?.path().cloned().ok_or(Errno::EINVAL)?
    } else {
        let path = path.read_path(ctx)?;
        resolve_at(ctx, dirfd, &path, flags, true)?
    };
    vfs().utimes(&ctx.cred(), &p, times[0], times[1])?;
    Ok(0)
}

/// utimensat(2): both times `UTIME_OMIT` is success before anything is looked
/// at, as on Linux.
pub fn sys_utimensat(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    times: u64,
    flags: u64,
) -> Result<u64> {
    let times = read_times(ctx, times, 1, 0)?;
    if times == [None, None] {
        return Ok(0);
    }
    do_utimes(ctx, dirfd, path, times, flags)
}

pub fn sys_futimesat(ctx: &mut TrapContext, dirfd: Fd, path: UserStr, times: u64) -> Result<u64> {
    let times = read_times(ctx, times, 1000, 1_000_000)?;
    do_utimes(ctx, dirfd, path, times, 0)
}

pub fn sys_utimes(ctx: &mut TrapContext, path: UserStr, times: u64) -> Result<u64> {
    let times = read_times(ctx, times, 1000, 1_000_000)?;
    do_utimes(ctx, Fd::AT_FDCWD, path, times, 0)
}

/// utime(2): `struct utimbuf` holds whole seconds only.
pub fn sys_utime(ctx: &mut TrapContext, path: UserStr, buf: u64) -> Result<u64> {
    let mut times: Times = [Some(AttrTime::Now); 2];
    if buf != 0 {
        let mut raw = [0u8; 16];
        ctx.read_user(buf, &mut raw)?;
        for (i, t) in times.iter_mut().enumerate() {
            let b: [u8; 8] = raw[i * 8..i * 8 + 8].try_into().expect("8 bytes");
            *t = Some(AttrTime::At(Timespec {
                sec: i64::from_ne_bytes(b),
                nsec: 0,
            }));
        }
    }
    do_utimes(ctx, Fd::AT_FDCWD, path, times, 0)
}
