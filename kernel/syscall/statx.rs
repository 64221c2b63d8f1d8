//! statx(2): the `struct statx` of include/uapi/linux/stat.h (256 bytes), with
//! the basic fields and the mount id. Birth time is not recorded, so
//! `STATX_BTIME` is never in the returned mask, as on filesystems without it.

use super::arg::{Fd, UserPtr, UserStr};
use super::open::{AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW};
use crate::task::TrapContext;
use arch::abi::structs::{Statx, StatxTimestamp};
use arch::{Errno, Result};
use fs::{major, minor, Stat, Timespec};

const AT_NO_AUTOMOUNT: u64 = 0x800;
const AT_STATX_FORCE_SYNC: u64 = 0x2000;
const AT_STATX_DONT_SYNC: u64 = 0x4000;
/// The fields of `struct stat` (type, mode, nlink, uid, gid, times, ino, size, blocks).
const STATX_BASIC_STATS: u32 = 0x7ff;
const STATX_MNT_ID: u32 = 0x1000;
const STATX_RESERVED: u32 = 0x8000_0000;

/// Returns `st` (of a file on mount `mnt_id`) as `struct statx`.
fn to_statx(st: &Stat, mnt_id: Option<u32>) -> Statx {
    let time = |t: &Timespec| StatxTimestamp {
        tv_sec: t.sec,
        tv_nsec: t.nsec,
        __reserved: 0,
    };
    Statx {
        stx_mask: STATX_BASIC_STATS | if mnt_id.is_some() { STATX_MNT_ID } else { 0 },
        stx_blksize: st.blksize,
        stx_nlink: st.nlink,
        stx_uid: st.uid,
        stx_gid: st.gid,
        stx_mode: st.mode as u16,
        stx_ino: st.ino,
        stx_size: st.size,
        stx_blocks: st.blocks,
        stx_atime: time(&st.atime),
        stx_ctime: time(&st.ctime),
        stx_mtime: time(&st.mtime),
        stx_rdev_major: major(st.rdev),
        stx_rdev_minor: minor(st.rdev),
        stx_dev_major: major(st.dev),
        stx_dev_minor: minor(st.dev),
        stx_mnt_id: u64::from(mnt_id.unwrap_or(0)),
        ..Default::default()
    }
}

pub fn sys_statx(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    flags: u64,
    mask: u64,
    buf: UserPtr<Statx>,
) -> Result<u64> {
    let known = AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT;
    let sync = AT_STATX_FORCE_SYNC | AT_STATX_DONT_SYNC;
    if flags & !(known | sync) != 0 || flags & sync == sync || mask as u32 & STATX_RESERVED != 0 {
        return Err(Errno::EINVAL);
    }
    // Since Linux 6.11 a null path with AT_EMPTY_PATH means the file itself.
    let path = if path.is_null() && flags & AT_EMPTY_PATH != 0 {
        Vec::new()
    } else {
        path.read_path(ctx)?
    };
    let (st, mnt_id) = super::stat::stat_at(ctx, dirfd, &path, flags)?;
    buf.write(ctx, &to_statx(&st, mnt_id))?;
    Ok(0)
}
