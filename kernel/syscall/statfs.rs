//! statfs and fstatfs: the figures of the filesystem a file is on, as x86_64
//! `struct statfs`.

use super::arg::UserPtr;
use super::namei::vfs;
use super::open::{resolve_at, AT_FDCWD};
use super::rw::file;
use crate::task::TrapContext;
use arch::abi::structs::Statfs;
use arch::Result;
use fs::{StatFs, ST_VALID};

/// Returns `s` as x86_64's `struct statfs`.
fn to_abi(s: &StatFs) -> Statfs {
    Statfs {
        f_type: s.f_type as i64,
        f_bsize: s.bsize as i64,
        f_blocks: s.blocks,
        f_bfree: s.bfree,
        f_bavail: s.bavail,
        f_files: s.files,
        f_ffree: s.ffree,
        f_fsid: [s.fsid[0] as i32, s.fsid[1] as i32],
        f_namelen: s.namelen as i64,
        f_frsize: s.frsize as i64,
        f_flags: s.flags as i64,
        f_spare: [0; 4],
    }
}

pub fn sys_statfs(ctx: &mut TrapContext, path: u64, buf: UserPtr<Statfs>) -> Result<u64> {
    let path = ctx.read_path(path)?;
    let p = resolve_at(ctx, AT_FDCWD as u64, &path, 0, true)?;
    buf.write(ctx, &to_abi(&vfs().statfs(&p)))?;
    Ok(0)
}

/// fstatfs(2) works on `O_PATH` files too; a file with no path (a pipe) gets
/// the figures of an empty in-memory filesystem.
pub fn sys_fstatfs(ctx: &mut TrapContext, fd: u64, buf: UserPtr<Statfs>) -> Result<u64> {
    let s = match file(ctx, fd)?.path() {
        Some(p) => vfs().statfs(p),
        None => StatFs {
            bsize: 4096,
            frsize: 4096,
            namelen: 255,
            flags: ST_VALID,
            ..StatFs::default()
        },
    };
    buf.write(ctx, &to_abi(&s))?;
    Ok(0)
}
