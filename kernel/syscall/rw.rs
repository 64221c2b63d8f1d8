//! read, write, their vectored and positioned forms, and lseek. Data moves through
//! a kernel buffer between the open file and guest memory.

use super::SyscallContext;
use crate::task::locked;
use arch::{Errno, Result};
use fs::File;
use std::sync::Arc;

/// The most one call moves (Linux's MAX_RW_COUNT: INT_MAX rounded down to a page).
const MAX_RW: u64 = 0x7fff_f000;
/// The kernel buffer moves data in pieces of this size.
const CHUNK: usize = 64 * 1024;

pub(super) fn file(ctx: &SyscallContext, fd: u64) -> Result<Arc<File>> {
    locked(&ctx.task.files()).get(fd as i32)
}

fn do_read(
    ctx: &mut SyscallContext,
    f: &File,
    buf: u64,
    len: u64,
    off: Option<u64>,
) -> Result<u64> {
    let len = len.min(MAX_RW) as usize;
    let mut done = 0usize;
    let mut kbuf = vec![0u8; len.min(CHUNK)];
    while done < len {
        let n = (len - done).min(CHUNK);
        let got = match off {
            Some(o) => f.pread(&mut kbuf[..n], o + done as u64),
            None => f.read(&mut kbuf[..n]),
        };
        let got = match got {
            Ok(g) => g,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        ctx.write_user(buf + done as u64, &kbuf[..got])?;
        done += got;
        // Stop at a short read: a terminal line, a pipe's contents, end of file.
        if got < n {
            break;
        }
    }
    Ok(done as u64)
}

fn do_write(
    ctx: &mut SyscallContext,
    f: &File,
    buf: u64,
    len: u64,
    off: Option<u64>,
) -> Result<u64> {
    let len = len.min(MAX_RW) as usize;
    let mut done = 0usize;
    let mut kbuf = vec![0u8; len.min(CHUNK)];
    while done < len {
        let n = (len - done).min(CHUNK);
        if let Err(e) = ctx.read_user(buf + done as u64, &mut kbuf[..n]) {
            if done == 0 {
                return Err(e);
            }
            break;
        }
        let put = match off {
            Some(o) => f.pwrite(&kbuf[..n], o + done as u64),
            None => f.write(&kbuf[..n]),
        };
        match put {
            Ok(p) => done += p,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        }
        if done < len && put.is_ok_and(|p| p < n) {
            break;
        }
    }
    Ok(done as u64)
}

pub fn sys_read(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    let f = file(ctx, a[0])?;
    do_read(ctx, &f, a[1], a[2], None)
}

pub fn sys_write(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    let f = file(ctx, a[0])?;
    do_write(ctx, &f, a[1], a[2], None)
}

pub fn sys_pread64(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    let f = file(ctx, a[0])?;
    if (a[3] as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    do_read(ctx, &f, a[1], a[2], Some(a[3]))
}

pub fn sys_pwrite64(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    let f = file(ctx, a[0])?;
    if (a[3] as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    do_write(ctx, &f, a[1], a[2], Some(a[3]))
}

/// Reads an iovec array (at most IOV_MAX = 1024 entries).
fn iovecs(ctx: &SyscallContext, addr: u64, count: u64) -> Result<Vec<(u64, u64)>> {
    if count > 1024 {
        return Err(Errno::EINVAL);
    }
    let mut raw = vec![0u8; count as usize * 16];
    ctx.read_user(addr, &mut raw)?;
    let mut total = 0u64;
    let v: Vec<(u64, u64)> = raw
        .chunks_exact(16)
        .map(|c| {
            let base = u64::from_ne_bytes(c[..8].try_into().expect("8 bytes"));
            let len = u64::from_ne_bytes(c[8..].try_into().expect("8 bytes"));
            (base, len)
        })
        .collect();
    for &(_, len) in &v {
        total = total
            .checked_add(len)
            .filter(|t| *t <= i64::MAX as u64)
            .ok_or(Errno::EINVAL)?;
    }
    Ok(v)
}

/// readv and writev: the segments in order, stopping at the first short transfer;
/// an error after some progress returns the progress.
fn vectored(ctx: &mut SyscallContext, a: [u64; 6], write: bool) -> Result<u64> {
    let f = file(ctx, a[0])?;
    let mut done = 0;
    for (base, len) in iovecs(ctx, a[1], a[2])? {
        let moved = if write {
            do_write(ctx, &f, base, len, None)
        } else {
            do_read(ctx, &f, base, len, None)
        };
        let n = match moved {
            Ok(n) => n,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += n;
        if n < len {
            break;
        }
    }
    Ok(done)
}

pub fn sys_readv(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    vectored(ctx, a, false)
}

pub fn sys_writev(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    vectored(ctx, a, true)
}

pub fn sys_lseek(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    let f = file(ctx, a[0])?;
    f.lseek(a[1] as i64, a[2] as u32)
}
