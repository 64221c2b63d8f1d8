//! statfs and fstatfs: the figures of the filesystem a file is on, as x86_64
//! `struct statfs`.

use super::arg::{Fd, UserPtr, UserStr};
use super::namei::vfs;
use super::open::resolve_at;
use crate::task::TrapContext;
use arch::abi::structs::Statfs;
use arch::{Result, PAGE_SIZE};
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

pub fn sys_statfs(ctx: &mut TrapContext, path: UserStr, buf: UserPtr<Statfs>) -> Result<u64> {
    let path = path.read_path(ctx)?;
    let p = resolve_at(ctx, Fd::AT_FDCWD, &path, 0, true)?;
    buf.write(ctx, &to_abi(&vfs().statfs(&p)))?;
    Ok(0)
}

/// fstatfs(2) works on `O_PATH` files too; a file with no path (a pipe) gets
/// the figures of an empty in-memory filesystem.
pub fn sys_fstatfs(ctx: &mut TrapContext, fd: Fd, buf: UserPtr<Statfs>) -> Result<u64> {
    let s = match fd.file(ctx)?.path() {
        Some(p) => vfs().statfs(p),
        None => StatFs {
            bsize: PAGE_SIZE,
            frsize: PAGE_SIZE,
            namelen: 255,
            flags: ST_VALID,
            ..StatFs::default()
        },
    };
    buf.write(ctx, &to_abi(&s))?;
    Ok(0)
}
