//! statx(2): the `struct statx` of include/uapi/linux/stat.h (256 bytes), with
//! the basic fields and the mount id. Birth time is not recorded, so
//! `STATX_BTIME` is never in the returned mask, as on filesystems without it.

use super::arg::{Fd, UserStr};
use super::open::{AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW};
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::{major, minor, Stat, Timespec};

const AT_NO_AUTOMOUNT: u64 = 0x800;
const AT_STATX_FORCE_SYNC: u64 = 0x2000;
const AT_STATX_DONT_SYNC: u64 = 0x4000;
/// The fields of `struct stat` (type, mode, nlink, uid, gid, times, ino, size, blocks).
const STATX_BASIC_STATS: u32 = 0x7ff;
const STATX_MNT_ID: u32 = 0x1000;
const STATX_RESERVED: u32 = 0x8000_0000;

/// Encodes `st` (of a file on mount `mnt_id`) as `struct statx`.
fn statx_bytes(st: &Stat, mnt_id: Option<u32>) -> [u8; 256] {
    let mut b = [0u8; 256];
    let mut put = |off: usize, v: &[u8]| b[off..off + v.len()].copy_from_slice(v);
    let mask = STATX_BASIC_STATS | if mnt_id.is_some() { STATX_MNT_ID } else { 0 };
    put(0, &mask.to_ne_bytes());
    put(4, &st.blksize.to_ne_bytes());
    put(16, &st.nlink.to_ne_bytes());
    put(20, &st.uid.to_ne_bytes());
    put(24, &st.gid.to_ne_bytes());
    put(28, &(st.mode as u16).to_ne_bytes());
    put(32, &st.ino.to_ne_bytes());
    put(40, &st.size.to_ne_bytes());
    put(48, &st.blocks.to_ne_bytes());
    let time = |t: &Timespec| {
        let mut v = [0u8; 16];
        v[..8].copy_from_slice(&t.sec.to_ne_bytes());
        v[8..12].copy_from_slice(&t.nsec.to_ne_bytes());
        v
    };
    put(64, &time(&st.atime));
    put(96, &time(&st.ctime));
    put(112, &time(&st.mtime));
    put(128, &major(st.rdev).to_ne_bytes());
    put(132, &minor(st.rdev).to_ne_bytes());
    put(136, &major(st.dev).to_ne_bytes());
    put(140, &minor(st.dev).to_ne_bytes());
    put(144, &u64::from(mnt_id.unwrap_or(0)).to_ne_bytes());
    b
}

pub fn sys_statx(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    flags: u64,
    mask: u64,
    buf: u64,
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
    ctx.write_user(buf, &statx_bytes(&st, mnt_id))?;
    Ok(0)
}
