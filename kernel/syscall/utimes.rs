//! Setting file times: utimensat (with `UTIME_NOW` and `UTIME_OMIT`, a NULL
//! times pointer for "now", a NULL path for the file `dirfd` as futimens uses
//! it), and the older utimes, futimesat and utime.

use super::arg::{Fd, UserPtr, UserStr};
use super::attr::io_file;
use super::namei::vfs;
use super::open::{resolve_at, AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW};
use crate::task::TrapContext;
use arch::abi::structs as abi;
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

/// Both times "now", what a NULL times pointer asks for.
const NOW: Times = [Some(AttrTime::Now); 2];

/// Reads utimensat's `struct timespec[2]` (NULL: now).
fn read_timespecs(ctx: &TrapContext, times: UserPtr<[abi::Timespec; 2]>) -> Result<Times> {
    if times.is_null() {
        return Ok(NOW);
    }
    let [a, m] = times.read(ctx)?;
    Ok([time(a.tv_sec, a.tv_nsec)?, time(m.tv_sec, m.tv_nsec)?])
}

/// Reads utimes's `struct timeval[2]` (NULL: now); microseconds must be
/// below a second.
fn read_timevals(ctx: &TrapContext, times: UserPtr<[abi::Timeval; 2]>) -> Result<Times> {
    if times.is_null() {
        return Ok(NOW);
    }
    let [a, m] = times.read(ctx)?;
    let at = |tv: abi::Timeval| {
        if !(0..1_000_000).contains(&tv.tv_usec) {
            return Err(Errno::EINVAL);
        }
        time(tv.tv_sec, tv.tv_usec * 1000)
    };
    Ok([at(a)?, at(m)?])
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
    times: UserPtr<[abi::Timespec; 2]>,
    flags: u64,
) -> Result<u64> {
    let times = read_timespecs(ctx, times)?;
    if times == [None, None] {
        return Ok(0);
    }
    do_utimes(ctx, dirfd, path, times, flags)
}

pub fn sys_futimesat(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    times: UserPtr<[abi::Timeval; 2]>,
) -> Result<u64> {
    let times = read_timevals(ctx, times)?;
    do_utimes(ctx, dirfd, path, times, 0)
}

pub fn sys_utimes(
    ctx: &mut TrapContext,
    path: UserStr,
    times: UserPtr<[abi::Timeval; 2]>,
) -> Result<u64> {
    let times = read_timevals(ctx, times)?;
    do_utimes(ctx, Fd::AT_FDCWD, path, times, 0)
}

/// utime(2): `struct utimbuf` holds whole seconds only.
pub fn sys_utime(ctx: &mut TrapContext, path: UserStr, buf: UserPtr<abi::Utimbuf>) -> Result<u64> {
    let mut times = NOW;
    if !buf.is_null() {
        let b = buf.read(ctx)?;
        let at = |sec| Some(AttrTime::At(Timespec { sec, nsec: 0 }));
        times = [at(b.actime), at(b.modtime)];
    }
    do_utimes(ctx, Fd::AT_FDCWD, path, times, 0)
}
