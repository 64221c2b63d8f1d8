//! sendfile(2) and copy_file_range(2): data moves from one open file to
//! another through a kernel buffer, a piece at a time, with the reading side's
//! offset taken from (and written back to) guest memory when given, else the
//! file's position. splice, tee and vmsplice are `splice`'s.

use super::arg::Fd;
use super::arg::UserPtr;
use super::rw::{blocking, remove_privs, write_from};
use crate::task::io_accounting::account_copy;
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::File;
use std::sync::Arc;

/// The most one call moves (MAX_RW_COUNT).
const MAX_RW: u64 = 0x7fff_f000;
const CHUNK: usize = 64 * 1024;

/// Reads an optional `loff_t` offset from guest memory.
fn read_offset(ctx: &TrapContext, addr: UserPtr<i64>) -> Result<Option<u64>> {
    if addr.is_null() {
        return Ok(None);
    }
    let v = addr.read(ctx)?;
    if v < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(Some(v as u64))
}

/// Moves the position of `input` back over `n` bytes it read that the
/// writing side did not take, so that the position counts only what went
/// through, as Linux's does; nothing for a read at an offset.
fn unread(input: &File, in_off: Option<u64>, n: usize) {
    if in_off.is_none() && n > 0 && input.ops().seekable() {
        // Back over bytes just read from a seekable file: cannot go below 0.
        let _ = input.lseek(-(n as i64), fs::SEEK_CUR);
    }
}

/// Copies up to `len` bytes from `input` (at `in_off`, else its position) to
/// `output` (at `out_off`, else its position); returns how much moved and the
/// offsets after it.
fn copy(
    ctx: &mut TrapContext,
    input: &File,
    mut in_off: Option<u64>,
    output: &File,
    mut out_off: Option<u64>,
    len: u64,
) -> Result<(u64, Option<u64>, Option<u64>)> {
    let len = len.min(MAX_RW) as usize;
    let mut buf = vec![0u8; len.min(CHUNK)];
    let mut done = 0usize;
    remove_privs(ctx, output)?;
    while done < len {
        let n = (len - done).min(CHUNK);
        let got = blocking(ctx.task, input, done == 0, || match in_off {
            Some(o) => input.pread(&mut buf[..n], o),
            None => input.read(&mut buf[..n]),
        });
        let got = match got {
            Ok(0) => break,
            Ok(g) => g,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        let put = match out_off {
            Some(o) => output.pwrite(&buf[..got], o),
            None => write_from(ctx.task, output, &buf[..got], None, true),
        };
        let put = match put {
            Ok(p) => p,
            Err(e) => {
                // A write stopped by job control restarts: what it did not
                // take must be read again.
                unread(input, in_off, got);
                if done == 0 {
                    return Err(e);
                }
                break;
            }
        };
        done += put;
        in_off = in_off.map(|o| o + put as u64);
        out_off = out_off.map(|o| o + put as u64);
        if put < got {
            unread(input, in_off, got - put);
            break;
        }
        if got < n {
            break;
        }
    }
    Ok((done as u64, in_off, out_off))
}

/// sendfile(out_fd, in_fd, offset, count).
pub fn sys_sendfile(
    ctx: &mut TrapContext,
    out_fd: Fd,
    in_fd: Fd,
    offp: UserPtr<i64>,
    count: u64,
) -> Result<u64> {
    let input = in_fd.file(ctx)?;
    let output = out_fd.file(ctx)?;
    if !input.flags().readable() || !output.flags().writable() {
        return Err(Errno::EBADF);
    }
    let off = read_offset(ctx, offp)?;
    if off.is_some() && !input.ops().seekable() {
        return Err(Errno::ESPIPE);
    }
    let copied = copy(ctx, &input, off, &output, None, count);
    account_copy(ctx.task, &copied.as_ref().map(|c| c.0).map_err(|e| *e));
    let (n, in_off, _) = copied?;
    if let Some(o) = in_off {
        offp.write(ctx, &(o as i64))?;
    }
    Ok(n)
}

/// Checks the two files of copy_file_range in Linux's order
/// (`generic_file_rw_checks`, then the filesystems): `EISDIR` if either is a
/// directory, `EINVAL` if either is no regular file (a terminal, a pipe),
/// `EBADF` for the wrong access mode or an `O_APPEND` output, `EXDEV` for
/// files of two filesystems.
fn check_copy_files(input: &File, output: &File) -> Result<()> {
    let kinds = [input, output].map(|f| f.inode().map(|i| i.file_type()));
    if kinds.contains(&Some(fs::FileType::Directory)) {
        return Err(Errno::EISDIR);
    }
    if kinds.iter().any(|k| *k != Some(fs::FileType::Regular)) {
        return Err(Errno::EINVAL);
    }
    if !input.flags().readable()
        || !output.flags().writable()
        || output.flags().contains(fs::OpenFlags::O_APPEND)
    {
        return Err(Errno::EBADF);
    }
    match (input.path(), output.path()) {
        (Some(a), Some(b)) if Arc::ptr_eq(a.mnt.fs(), b.mnt.fs()) => Ok(()),
        _ => Err(Errno::EXDEV),
    }
}

/// Reads copy_file_range's optional `loff_t` at `addr` (`EFAULT` before
/// anything is checked, as Linux reads it first).
fn read_raw_offset(ctx: &TrapContext, addr: UserPtr<i64>) -> Result<Option<i64>> {
    if addr.is_null() {
        return Ok(None);
    }
    addr.read(ctx).map(Some)
}

/// copy_file_range(fd_in, off_in, fd_out, off_out, len, flags), with
/// Linux's order of errors.
pub fn sys_copy_file_range(
    ctx: &mut TrapContext,
    in_fd: Fd,
    in_offp: UserPtr<i64>,
    out_fd: Fd,
    out_offp: UserPtr<i64>,
    len: u64,
    flags: u64,
) -> Result<u64> {
    let input = in_fd.file(ctx)?;
    let output = out_fd.file(ctx)?;
    // Linux does not find O_PATH files for I/O calls at all.
    if (input.flags() | output.flags()).contains(fs::OpenFlags::O_PATH) {
        return Err(Errno::EBADF);
    }
    let in_off = read_raw_offset(ctx, in_offp)?;
    let out_off = read_raw_offset(ctx, out_offp)?;
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    check_copy_files(&input, &output)?;
    let offset = |off: Option<i64>| match off {
        Some(o) if o < 0 => Err(Errno::EINVAL),
        o => Ok(o.map(|o| o as u64)),
    };
    let (in_off, out_off) = (offset(in_off)?, offset(out_off)?);
    // Overlapping ranges of one file are refused.
    let same = match (input.inode(), output.inode()) {
        (Some(a), Some(b)) => a.is_same(b.as_ref()),
        _ => false,
    };
    if same {
        let i = in_off.unwrap_or(input.pos());
        let o = out_off.unwrap_or(output.pos());
        if i < o.saturating_add(len) && o < i.saturating_add(len) {
            return Err(Errno::EINVAL);
        }
    }
    let (in_pos, out_pos) = (
        in_off.unwrap_or(input.pos()),
        out_off.unwrap_or(output.pos()),
    );
    let copied = copy(ctx, &input, Some(in_pos), &output, Some(out_pos), len);
    account_copy(ctx.task, &copied.as_ref().map(|c| c.0).map_err(|e| *e));
    let (n, _, _) = copied?;
    match in_off {
        Some(_) => in_offp.write(ctx, &((in_pos + n) as i64))?,
        None => {
            input.lseek((in_pos + n) as i64, fs::SEEK_SET)?;
        }
    }
    match out_off {
        Some(_) => out_offp.write(ctx, &((out_pos + n) as i64))?,
        None => {
            output.lseek((out_pos + n) as i64, fs::SEEK_SET)?;
        }
    }
    Ok(n)
}

/// posix_fadvise(2) (`fadvise64`): advice about a range of a file. There is
/// no readahead to tune and no cache to drop early, so after Linux's checks
/// the advice has no effect, which the call's contract allows.
pub fn sys_fadvise64(
    ctx: &mut TrapContext,
    fd: Fd,
    _offset: u64,
    len: u64,
    advice: u64,
) -> Result<u64> {
    const POSIX_FADV_NOREUSE: u64 = 5;
    let f = fd.file(ctx)?;
    if f.inode().is_none() && !f.ops().seekable() {
        return Err(Errno::ESPIPE);
    }
    if (len as i64) < 0 || advice > POSIX_FADV_NOREUSE {
        return Err(Errno::EINVAL);
    }
    Ok(0)
}
