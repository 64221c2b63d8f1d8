//! read, write, their vectored and positioned forms, and lseek. Data moves through
//! a kernel buffer between the open file and guest memory. Files that can block
//! (pipes, eventfds) answer `EAGAIN` instead of sleeping; this is the one place
//! that sleeps on them, on the file's wait queue, unless it is `O_NONBLOCK`. A
//! write to a byte stream goes on until every byte is written, and `EPIPE` also
//! raises SIGPIPE, as Linux's pipe_write does. On a socket, read and write
//! are a receive and a send without flags (Linux's sock_read_iter): the
//! socket calls do them, with the socket's timeouts and with a vector as one
//! message, which a file's `read` and `write` cannot give.

use super::arg::Fd;
use super::arg::UserPtr;
use super::msghdr::UserIov;
use crate::net::socket_of;
use crate::signal::{send_to_task, SigInfo, SIGPIPE, SI_USER};
use crate::sleep::{wait_event, Interruptible};
use crate::task::io_accounting::{account_read, account_vectored, account_write};
use crate::task::Task;
use crate::task::TrapContext;
use arch::abi::structs::Iovec;
use arch::{Errno, Result};
use fs::{File, OpenFlags};
use std::sync::Arc;

/// The most one call moves (Linux's MAX_RW_COUNT: INT_MAX rounded down to a page).
const MAX_RW: u64 = 0x7fff_f000;
/// The kernel buffer moves data in pieces of this size.
const CHUNK: usize = 64 * 1024;

/// Runs `op`; while it fails with `EAGAIN` on a file that can block, opened
/// without `O_NONBLOCK`, and `may_block` allows, sleeps on the file's wait queue
/// and runs it again. A signal ends the sleep with `ERESTARTSYS`.
pub(super) fn blocking<T>(
    task: &Task,
    f: &File,
    may_block: bool,
    mut op: impl FnMut() -> Result<T>,
) -> Result<T> {
    let first = op();
    if !matches!(first, Err(Errno::EAGAIN)) || !may_block {
        return first;
    }
    let Some(queue) = f.ops().wait_queue() else {
        return first;
    };
    if f.flags().contains(OpenFlags::O_NONBLOCK) {
        return first;
    }
    // The write family: write, pwrite64, writev, sendfile, splice, pwritev,
    // pwritev2, sendto, sendmsg, sendmmsg.
    let call = task.trap_regs.borrow().orig_rax;
    let write = matches!(call, 1 | 18 | 20 | 40 | 275 | 296 | 328 | 44 | 46 | 307);
    task.waiter.hint(crate::wchan::of_file(f, write));
    let again = wait_event(task, &[queue], None, Interruptible::Signals, || {
        match op() {
            Err(Errno::EAGAIN) => None,
            r => Some(r),
        }
    })?;
    again.unwrap_or(Err(Errno::EAGAIN))
}

/// Reads up to `len` bytes to guest memory at `buf`; sleeps only before the
/// first byte, and only if `may_block`.
fn do_read(
    ctx: &mut TrapContext,
    f: &File,
    buf: u64,
    len: u64,
    off: Option<u64>,
    may_block: bool,
) -> Result<u64> {
    let len = len.min(MAX_RW) as usize;
    let mut done = 0usize;
    let mut kbuf = vec![0u8; len.min(CHUNK)];
    while done < len {
        let n = (len - done).min(CHUNK);
        let got = blocking(ctx.task, f, may_block && done == 0, || match off {
            Some(o) => f.pread(&mut kbuf[..n], o + done as u64),
            None => f.read(&mut kbuf[..n]),
        });
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

/// Writes `data` (already in the kernel) and returns how much went. A byte
/// stream takes all of it unless `O_NONBLOCK`, a signal or an error stops it;
/// other files stop at a short write. `EPIPE` sends SIGPIPE to the caller.
pub(super) fn write_from(
    task: &Arc<Task>,
    f: &File,
    data: &[u8],
    off: Option<u64>,
    may_block: bool,
) -> Result<usize> {
    let stream = f.ops().is_stream();
    let mut done = 0usize;
    while done < data.len() {
        let rest = &data[done..];
        let put = blocking(task, f, may_block && (stream || done == 0), || match off {
            Some(o) => f.pwrite(rest, o + done as u64),
            None => f.write(rest),
        });
        match put {
            Ok(0) => break,
            Ok(p) => done += p,
            Err(e) => {
                if e == Errno::EPIPE {
                    send_sigpipe(task);
                }
                if done == 0 {
                    return Err(e);
                }
                break;
            }
        }
        if !stream && done < data.len() {
            break;
        }
    }
    Ok(done)
}

/// Sends SIGPIPE to `task`, for a write that met a pipe or socket without
/// readers.
pub(super) fn send_sigpipe(task: &Arc<Task>) {
    let info = SigInfo::kill(SIGPIPE, SI_USER, task.process.pid, 0);
    send_to_task(task, info);
}

/// Clears the set-user-ID and set-group-ID bits a write by the caller takes
/// from a regular file (Linux's file_remove_privs()).
pub(super) fn remove_privs(ctx: &TrapContext, f: &File) -> Result<()> {
    match f.inode() {
        Some(inode) if inode.file_type() == fs::FileType::Regular => {
            fs::file_remove_privs(&ctx.cred(), inode.as_ref())
        }
        _ => Ok(()),
    }
}

/// Writes `len` bytes from guest memory at `buf`, a kernel buffer at a time.
fn do_write(
    ctx: &mut TrapContext,
    f: &File,
    buf: u64,
    len: u64,
    off: Option<u64>,
    may_block: bool,
) -> Result<u64> {
    let len = len.min(MAX_RW) as usize;
    let len = super::rlimit::fsize_write(ctx, f, off, len)?;
    if len > 0 {
        remove_privs(ctx, f)?;
    }
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
        let at = off.map(|o| o + done as u64);
        let put = match write_from(ctx.task, f, &kbuf[..n], at, may_block) {
            Ok(p) => p,
            Err(e) if done == 0 => return Err(e),
            Err(_) => break,
        };
        done += put;
        if put < n {
            break;
        }
    }
    Ok(done as u64)
}

pub fn sys_read(ctx: &mut TrapContext, fd: Fd, buf: u64, count: u64) -> Result<u64> {
    let f = fd.file(ctx)?;
    let r = match socket_of(&f) {
        Some(sock) => super::recvmsg::read_socket(ctx, &f, &**sock, &UserIov::single(buf, count)),
        None => do_read(ctx, &f, buf, count, None, true),
    };
    account_read(ctx.task, &r);
    r
}

pub fn sys_write(ctx: &mut TrapContext, fd: Fd, buf: u64, count: u64) -> Result<u64> {
    let f = fd.file(ctx)?;
    let r = match socket_of(&f) {
        Some(sock) => super::sendmsg::write_socket(ctx, &f, &**sock, &UserIov::single(buf, count)),
        None => do_write(ctx, &f, buf, count, None, true),
    };
    account_write(ctx.task, &r);
    r
}

pub fn sys_pread64(ctx: &mut TrapContext, fd: Fd, buf: u64, count: u64, pos: u64) -> Result<u64> {
    let f = fd.file(ctx)?;
    if (pos as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let r = do_read(ctx, &f, buf, count, Some(pos), true);
    account_read(ctx.task, &r);
    r
}

pub fn sys_pwrite64(ctx: &mut TrapContext, fd: Fd, buf: u64, count: u64, pos: u64) -> Result<u64> {
    let f = fd.file(ctx)?;
    if (pos as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let r = do_write(ctx, &f, buf, count, Some(pos), true);
    account_write(ctx.task, &r);
    r
}

/// Reads an iovec array (at most IOV_MAX = 1024 entries).
pub(crate) fn iovecs(ctx: &TrapContext, addr: u64, count: u64) -> Result<Vec<(u64, u64)>> {
    if count > 1024 {
        return Err(Errno::EINVAL);
    }
    let mut total = 0u64;
    let v: Vec<(u64, u64)> = UserPtr::<Iovec>::new(addr)
        .read_array(ctx, count as usize)?
        .into_iter()
        .map(|iov| (iov.iov_base, iov.iov_len))
        .collect();
    for &(_, len) in &v {
        total = total
            .checked_add(len)
            .filter(|t| *t <= i64::MAX as u64)
            .ok_or(Errno::EINVAL)?;
    }
    Ok(v)
}

/// Gathers small iovecs into one buffer, so that a writev of at most `max`
/// bytes stays one write (atomic on a stream, one record on a file of
/// records); `None` if they are too large or unreadable.
fn gather(ctx: &TrapContext, iov: &[(u64, u64)], max: usize) -> Option<Vec<u8>> {
    let total: u64 = iov.iter().map(|&(_, len)| len).sum();
    if iov.len() < 2 || total > max as u64 {
        return None;
    }
    let mut data = vec![0u8; total as usize];
    let mut at = 0usize;
    for &(base, len) in iov {
        let len = len as usize;
        ctx.read_user(base, &mut data[at..at + len]).ok()?;
        at += len;
    }
    Some(data)
}

/// The most a writev to a file of records gathers into one write.
const RECORD_MAX: usize = 64 << 10;

/// readv and writev, counted for /proc/PID/io: the segments in order, stopping at the first short transfer;
/// an error after some progress returns the progress. Only the first segment
/// waits for data; a stream write waits for room for every segment.
fn vectored(
    ctx: &mut TrapContext,
    args: (Fd, u64, u64),
    write: bool,
    off: Option<u64>,
    may_block: bool,
) -> Result<u64> {
    let r = vectored_io(ctx, args, write, off, may_block);
    account_vectored(ctx.task, write, &r);
    r
}

fn vectored_io(
    ctx: &mut TrapContext,
    (fd, iov, iovcnt): (Fd, u64, u64),
    write: bool,
    off: Option<u64>,
    may_block: bool,
) -> Result<u64> {
    let f = fd.file(ctx)?;
    // A socket takes the whole vector as one send or receive.
    if let (Some(sock), None) = (socket_of(&f), off) {
        let iov = UserIov::read(ctx, iov, iovcnt)?;
        return match write {
            true => super::sendmsg::write_socket(ctx, &f, &**sock, &iov),
            false => super::recvmsg::read_socket(ctx, &f, &**sock, &iov),
        };
    }
    let iov = iovecs(ctx, iov, iovcnt)?;
    let stream = f.ops().is_stream();
    // A file of records takes the vector as one (Linux's write_iter).
    let max = match (stream, f.ops().one_record()) {
        (_, true) => Some(RECORD_MAX),
        (true, false) => Some(crate::pipe::PIPE_BUF),
        _ => None,
    };
    if let (true, None, Some(max)) = (write, off, max) {
        if let Some(data) = gather(ctx, &iov, max) {
            return Ok(write_from(ctx.task, &f, &data, None, may_block)? as u64);
        }
    }
    let mut done = 0;
    for (base, len) in iov {
        let at = off.map(|o| o + done);
        let moved = if write {
            do_write(ctx, &f, base, len, at, may_block && (done == 0 || stream))
        } else {
            do_read(ctx, &f, base, len, at, may_block && done == 0)
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

pub fn sys_readv(ctx: &mut TrapContext, fd: Fd, iov: u64, iovcnt: u64) -> Result<u64> {
    vectored(ctx, (fd, iov, iovcnt), false, None, true)
}

pub fn sys_writev(ctx: &mut TrapContext, fd: Fd, iov: u64, iovcnt: u64) -> Result<u64> {
    vectored(ctx, (fd, iov, iovcnt), true, None, true)
}

/// Returns the position preadv/pwritev and their "2" forms use: a negative
/// one (the "2" forms only) means the file's own position.
fn vector_offset(pos: u64, allow_current: bool) -> Result<Option<u64>> {
    match pos as i64 {
        -1 if allow_current => Ok(None),
        p if p < 0 => Err(Errno::EINVAL),
        p => Ok(Some(p as u64)),
    }
}

/// Checks preadv2/pwritev2's RWF_* flags and returns whether the call may
/// block: HIPRI, DSYNC and SYNC change nothing here (writes reach the device
/// at sync anyway); NOWAIT makes a call that would block fail with EAGAIN;
/// APPEND is not offered.
fn rwf_flags(flags: u64) -> Result<bool> {
    const RWF_HIPRI: u64 = 1;
    const RWF_DSYNC: u64 = 2;
    const RWF_SYNC: u64 = 4;
    const RWF_NOWAIT: u64 = 8;
    if flags & !(RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_NOWAIT) != 0 {
        return Err(Errno::EOPNOTSUPP);
    }
    Ok(flags & RWF_NOWAIT == 0)
}

/// preadv(fd, iov, iovcnt, pos): on x86_64 the position is one register.
pub fn sys_preadv(
    ctx: &mut TrapContext,
    fd: Fd,
    iov: u64,
    iovcnt: u64,
    pos_l: u64,
    _pos_h: u64,
) -> Result<u64> {
    let off = vector_offset(pos_l, false)?;
    vectored(ctx, (fd, iov, iovcnt), false, off, true)
}

pub fn sys_pwritev(
    ctx: &mut TrapContext,
    fd: Fd,
    iov: u64,
    iovcnt: u64,
    pos_l: u64,
    _pos_h: u64,
) -> Result<u64> {
    let off = vector_offset(pos_l, false)?;
    vectored(ctx, (fd, iov, iovcnt), true, off, true)
}

pub fn sys_preadv2(
    ctx: &mut TrapContext,
    fd: Fd,
    iov: u64,
    iovcnt: u64,
    pos_l: u64,
    _pos_h: u64,
    flags: u64,
) -> Result<u64> {
    let may_block = rwf_flags(flags)?;
    let off = vector_offset(pos_l, true)?;
    vectored(ctx, (fd, iov, iovcnt), false, off, may_block)
}

pub fn sys_pwritev2(
    ctx: &mut TrapContext,
    fd: Fd,
    iov: u64,
    iovcnt: u64,
    pos_l: u64,
    _pos_h: u64,
    flags: u64,
) -> Result<u64> {
    let may_block = rwf_flags(flags)?;
    let off = vector_offset(pos_l, true)?;
    vectored(ctx, (fd, iov, iovcnt), true, off, may_block)
}

pub fn sys_lseek(ctx: &mut TrapContext, fd: Fd, offset: u64, whence: u64) -> Result<u64> {
    let f = fd.file(ctx)?;
    f.lseek(offset as i64, whence as u32)
}
