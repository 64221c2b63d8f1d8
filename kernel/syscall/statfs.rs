//! statfs and fstatfs: the figures of the filesystem a file is on, as x86_64
//! `struct statfs` (120 bytes: eleven 64-bit fields, the fsid as two 32-bit
//! words, and four spare words).

use super::namei::vfs;
use super::open::{resolve_at, AT_FDCWD};
use super::rw::file;
use crate::task::TrapContext;
use arch::Result;
use fs::{StatFs, ST_VALID};

/// Encodes `s` as x86_64 `struct statfs`.
fn statfs_bytes(s: &StatFs) -> [u8; 120] {
    let mut b = [0u8; 120];
    let words = [
        s.f_type, s.bsize, s.blocks, s.bfree, s.bavail, s.files, s.ffree,
    ];
    for (i, w) in words.iter().enumerate() {
        b[i * 8..i * 8 + 8].copy_from_slice(&w.to_ne_bytes());
    }
    b[56..60].copy_from_slice(&s.fsid[0].to_ne_bytes());
    b[60..64].copy_from_slice(&s.fsid[1].to_ne_bytes());
    for (i, w) in [s.namelen, s.frsize, s.flags].iter().enumerate() {
        b[64 + i * 8..72 + i * 8].copy_from_slice(&w.to_ne_bytes());
    }
    b
}

pub fn sys_statfs(ctx: &mut TrapContext, path: u64, buf: u64) -> Result<u64> {
    let path = ctx.read_path(path)?;
    let p = resolve_at(ctx, AT_FDCWD as u64, &path, 0, true)?;
    ctx.write_user(buf, &statfs_bytes(&vfs().statfs(&p)))?;
    Ok(0)
}

/// fstatfs(2) works on `O_PATH` files too; a file with no path (a pipe) gets
/// the figures of an empty in-memory filesystem.
pub fn sys_fstatfs(ctx: &mut TrapContext, fd: u64, buf: u64) -> Result<u64> {
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
    ctx.write_user(buf, &statfs_bytes(&s))?;
    Ok(0)
}
