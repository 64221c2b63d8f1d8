//! splice(2), tee(2) and vmsplice(2), with copy semantics: data goes between
//! a pipe and another file, a second pipe or guest memory through a kernel
//! buffer, and tee copies without taking. As Linux's fs/splice.c, a call
//! moves at most what the pipe holds or has room for (a page of room per
//! free pipe page), sleeps only before its first byte, interruptibly, and
//! not at all with `SPLICE_F_NONBLOCK` or an `O_NONBLOCK` pipe (`EAGAIN`);
//! an empty pipe without writers is the end (0). A pipe without readers is
//! `EPIPE` and SIGPIPE. `SPLICE_F_MOVE`, `MORE` and `GIFT` change nothing.

use super::arg::Fd;
use super::arg::UserPtr;
use super::rw::{iovecs, remove_privs, send_sigpipe};
use crate::pipe::{pipe_of, Pipe};
use crate::sleep::{wait_event, Interruptible};
use crate::task::Task;
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::{File, FileType, OpenFlags, WaitQueue};
use std::sync::Arc;

const SPLICE_F_NONBLOCK: u64 = 2;
/// MOVE, NONBLOCK, MORE and GIFT: any other bit is `EINVAL`.
const SPLICE_F_ALL: u64 = 0xf;
/// The most one call moves (MAX_RW_COUNT).
const MAX_RW: u64 = 0x7fff_f000;
/// A pipe feeds another file through a buffer of at most this size.
const CHUNK: usize = 64 * 1024;

/// One try at moving data: `Some(n)` moved `n` bytes (0: the input ended),
/// `None` when nothing can move before something changes.
type Step = Result<Option<usize>>;

/// Returns what a step that cannot go on answers: `EAGAIN` if it may not
/// wait, else "wait".
fn wait_or_again(nonblock: bool) -> Step {
    if nonblock {
        Err(Errno::EAGAIN)
    } else {
        Ok(None)
    }
}

/// Runs `step` until it moves data or fails, sleeping on the files' wait
/// queues in between; a signal ends the sleep with `ERESTARTSYS`. `EPIPE`
/// raises SIGPIPE.
fn wait_step(task: &Arc<Task>, files: &[&File], mut step: impl FnMut() -> Step) -> Result<usize> {
    let first = match step() {
        Ok(Some(n)) => Ok(n),
        Ok(None) => {
            let queues: Vec<&WaitQueue> =
                files.iter().filter_map(|f| f.ops().wait_queue()).collect();
            // No deadline: the wait ends with a step's answer or a signal.
            let r = wait_event(task, &queues, None, Interruptible::Signals, || {
                step().transpose()
            })?;
            r.unwrap_or(Err(Errno::EAGAIN))
        }
        Err(e) => Err(e),
    };
    if first == Err(Errno::EPIPE) {
        send_sigpipe(task);
    }
    first
}

/// Moves up to `len` bytes with `step` (given what is left): the first step
/// may wait, later ones go on only while they move data at once. An error
/// after some progress ends the call with the progress.
fn transfer(
    task: &Arc<Task>,
    files: &[&File],
    len: usize,
    mut step: impl FnMut(usize) -> Step,
) -> Result<usize> {
    let mut done = wait_step(task, files, || step(len))?;
    while done > 0 && done < len {
        match step(len - done) {
            Ok(Some(n)) if n > 0 => done += n,
            Err(Errno::EPIPE) => {
                send_sigpipe(task);
                break;
            }
            _ => break,
        }
    }
    Ok(done)
}

/// Returns the pipe behind `f`, if it is a pipe or FIFO end.
fn pipe(f: &File) -> Option<Arc<Pipe>> {
    pipe_of(f).cloned()
}

/// Checks that `f`, the side of a splice that is no pipe, can take part:
/// regular files, devices, FIFOs and sockets; `EINVAL` for directories and
/// anonymous files (eventfd, epoll, ...), which Linux gives no splice
/// operations.
fn check_splice_file(f: &File) -> Result<()> {
    let kind = match f.inode() {
        Some(inode) => Some(inode.file_type()),
        // A socket says so; an anonymous file has no type.
        None => f.stat().ok().and_then(|st| FileType::from_mode(st.mode)),
    };
    match kind {
        Some(FileType::Directory) | None => Err(Errno::EINVAL),
        Some(_) => Ok(()),
    }
}

/// Reads the `loff_t` at `addr`, if given.
fn read_offset(ctx: &TrapContext, addr: UserPtr<i64>) -> Result<Option<i64>> {
    if addr.is_null() {
        return Ok(None);
    }
    addr.read(ctx).map(Some)
}

/// Checks a transfer of `len` bytes at `pos` of `f` (Linux's
/// rw_verify_area): an offset needs a seekable file, and neither the offset,
/// the count nor their sum may be negative (`EINVAL`). Returns the offset.
fn verify_area(f: &File, off: Option<i64>, len: u64) -> Result<Option<u64>> {
    if (len as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let Some(pos) = off else {
        return Ok(None);
    };
    if !f.ops().seekable() || pos < 0 || pos.checked_add(len as i64).is_none() {
        return Err(Errno::EINVAL);
    }
    Ok(Some(pos as u64))
}

/// splice(fd_in, off_in, fd_out, off_out, len, flags).
pub fn sys_splice(
    ctx: &mut TrapContext,
    fd_in: Fd,
    off_in: UserPtr<i64>,
    fd_out: Fd,
    off_out: UserPtr<i64>,
    len: u64,
    flags: u64,
) -> Result<u64> {
    if len == 0 {
        return Ok(0);
    }
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    let input = fd_in.file(ctx)?;
    let output = fd_out.file(ctx)?;
    let (ipipe, opipe) = (pipe(&input), pipe(&output));
    if (ipipe.is_some() && !off_in.is_null()) || (opipe.is_some() && !off_out.is_null()) {
        return Err(Errno::ESPIPE);
    }
    let out_off = read_offset(ctx, off_out)?;
    let in_off = read_offset(ctx, off_in)?;
    if !input.flags().readable() || !output.flags().writable() {
        return Err(Errno::EBADF);
    }
    let nonblock = |pipe_end: &File| {
        flags & SPLICE_F_NONBLOCK != 0 || pipe_end.flags().contains(OpenFlags::O_NONBLOCK)
    };
    let n = match (ipipe, opipe) {
        (Some(i), Some(o)) => {
            if Arc::ptr_eq(&i, &o) {
                return Err(Errno::EINVAL);
            }
            let nb = nonblock(&input) || nonblock(&output);
            let step = || pipe_to_pipe(&i, &o, len.min(MAX_RW) as usize, nb, true);
            wait_step(ctx.task, &[&input, &output], step)?
        }
        (Some(i), None) => {
            check_splice_file(&output)?;
            if output.flags().contains(OpenFlags::O_APPEND) {
                return Err(Errno::EINVAL);
            }
            let mut off = verify_area(&output, out_off, len)?;
            remove_privs(ctx, &output)?;
            let nb = nonblock(&input);
            let n = pipe_to_file(ctx.task, &i, &input, &output, &mut off, len, nb)?;
            if let Some(o) = off {
                off_out.write(ctx, &(o as i64))?;
            }
            n
        }
        (None, Some(o)) => {
            check_splice_file(&input)?;
            let mut off = verify_area(&input, in_off, len)?;
            let nb = nonblock(&output);
            let n = file_to_pipe(ctx.task, &input, &mut off, &o, &output, len, nb)?;
            if let Some(o) = off {
                off_in.write(ctx, &(o as i64))?;
            }
            n
        }
        (None, None) => return Err(Errno::EINVAL),
    };
    Ok(n as u64)
}

/// Moves (or, for tee, copies) what fits of `ipipe`'s data into `opipe`:
/// waits for data while `ipipe` has writers, 0 once it has none, then for
/// room; `EPIPE` if `opipe` has no readers.
fn pipe_to_pipe(ipipe: &Pipe, opipe: &Pipe, len: usize, nonblock: bool, take: bool) -> Step {
    let avail = match ipipe.available() {
        Err(Errno::EAGAIN) => return wait_or_again(nonblock),
        r => r?,
    };
    let room = opipe.room()?;
    if avail == 0 {
        return Ok(Some(0));
    }
    if room == 0 {
        return wait_or_again(nonblock);
    }
    let mut buf = vec![0u8; len.min(avail).min(room)];
    let n = ipipe.peek(&mut buf);
    let put = opipe.put(&buf[..n])?;
    if take {
        ipipe.consume(put);
    }
    Ok(Some(put))
}

/// Moves up to `len` bytes from the pipe `ipipe` (the open file `input`) to
/// `output`, at `off` if given (and advances it).
fn pipe_to_file(
    task: &Arc<Task>,
    ipipe: &Pipe,
    input: &File,
    output: &File,
    off: &mut Option<u64>,
    len: u64,
    nonblock: bool,
) -> Result<usize> {
    let out_nonblock = output.flags().contains(OpenFlags::O_NONBLOCK);
    let mut buf = Vec::new();
    let step = |rest: usize| -> Step {
        let avail = match ipipe.available() {
            Err(Errno::EAGAIN) => return wait_or_again(nonblock),
            r => r?,
        };
        if avail == 0 {
            return Ok(Some(0));
        }
        buf.resize(rest.min(avail).min(CHUNK), 0);
        let n = ipipe.peek(&mut buf);
        let put = match *off {
            Some(o) => output.pwrite(&buf[..n], o),
            None => output.write(&buf[..n]),
        };
        match put {
            Err(Errno::EAGAIN) => wait_or_again(out_nonblock),
            Err(e) => Err(e),
            Ok(k) => {
                ipipe.consume(k);
                *off = off.map(|o| o + k as u64);
                Ok(Some(k))
            }
        }
    };
    transfer(task, &[input, output], len.min(MAX_RW) as usize, step)
}

/// Moves up to `len` bytes from `input`, at `off` if given (and advances
/// it), into the pipe `opipe` (the open file `output`): no more than its
/// room, which it waits for.
fn file_to_pipe(
    task: &Arc<Task>,
    input: &File,
    off: &mut Option<u64>,
    opipe: &Pipe,
    output: &File,
    len: u64,
    nonblock: bool,
) -> Result<usize> {
    let in_nonblock = nonblock || input.flags().contains(OpenFlags::O_NONBLOCK);
    let mut buf = Vec::new();
    let step = |rest: usize| -> Step {
        let room = opipe.room()?;
        if room == 0 {
            return wait_or_again(nonblock);
        }
        buf.resize(rest.min(room), 0);
        let got = match *off {
            Some(o) => input.pread(&mut buf, o),
            None => input.read(&mut buf),
        };
        match got {
            Err(Errno::EAGAIN) => wait_or_again(in_nonblock),
            Err(e) => Err(e),
            Ok(k) => {
                let put = opipe.put(&buf[..k])?;
                *off = off.map(|o| o + put as u64);
                Ok(Some(put))
            }
        }
    };
    transfer(task, &[input, output], len.min(MAX_RW) as usize, step)
}

/// tee(fd_in, fd_out, len, flags): copies what fits of one pipe's data into
/// another, leaving it in the first.
pub fn sys_tee(ctx: &mut TrapContext, fd_in: Fd, fd_out: Fd, len: u64, flags: u64) -> Result<u64> {
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let input = fd_in.file(ctx)?;
    let output = fd_out.file(ctx)?;
    if !input.flags().readable() || !output.flags().writable() {
        return Err(Errno::EBADF);
    }
    let (Some(i), Some(o)) = (pipe(&input), pipe(&output)) else {
        return Err(Errno::EINVAL);
    };
    if Arc::ptr_eq(&i, &o) {
        return Err(Errno::EINVAL);
    }
    let nb = flags & SPLICE_F_NONBLOCK != 0
        || (input.flags() | output.flags()).contains(OpenFlags::O_NONBLOCK);
    let step = || pipe_to_pipe(&i, &o, len.min(MAX_RW) as usize, nb, false);
    Ok(wait_step(ctx.task, &[&input, &output], step)? as u64)
}

/// vmsplice(fd, iov, nr_segs, flags): from guest memory into a pipe's write
/// end (no more than its room, which it waits for), or from a read end into
/// guest memory; `EBADF` for a file that is no pipe.
pub fn sys_vmsplice(
    ctx: &mut TrapContext,
    fd: Fd,
    iov: u64,
    nr_segs: u64,
    flags: u64,
) -> Result<u64> {
    if flags & !SPLICE_F_ALL != 0 {
        return Err(Errno::EINVAL);
    }
    let f = fd.file(ctx)?;
    let to_pipe = match f.flags() {
        fl if fl.writable() => true,
        fl if fl.readable() => false,
        _ => return Err(Errno::EBADF),
    };
    let mut segs = iovecs(ctx, iov, nr_segs)?;
    let mut total = 0u64;
    for seg in &mut segs {
        seg.1 = seg.1.min(MAX_RW - total);
        total += seg.1;
    }
    if total == 0 {
        return Ok(0);
    }
    let pipe = pipe(&f).ok_or(Errno::EBADF)?;
    let nb = flags & SPLICE_F_NONBLOCK != 0;
    let total = total as usize;
    let n = if to_pipe {
        wait_step(ctx.task, &[&f], || {
            let room = pipe.room()?;
            if room == 0 {
                return wait_or_again(nb);
            }
            let data = gather(ctx, &segs, total.min(room))?;
            Ok(Some(pipe.put(&data)?))
        })?
    } else {
        wait_step(ctx.task, &[&f], || {
            let avail = match pipe.available() {
                Err(Errno::EAGAIN) => return wait_or_again(nb),
                r => r?,
            };
            let mut data = vec![0u8; total.min(avail)];
            let n = pipe.peek(&mut data);
            let copied = scatter(ctx, &segs, &data[..n])?;
            pipe.consume(copied);
            Ok(Some(copied))
        })?
    };
    Ok(n as u64)
}

/// Reads up to `len` bytes from the guest memory of `segs`, stopping at the
/// first unreadable byte (`EFAULT` if that is the first).
fn gather(ctx: &TrapContext, segs: &[(u64, u64)], len: usize) -> Result<Vec<u8>> {
    let mut data = Vec::with_capacity(len);
    for &(base, seg_len) in segs {
        let want = (seg_len as usize).min(len - data.len());
        let at = data.len();
        data.resize(at + want, 0);
        if ctx.read_user(base, &mut data[at..]).is_err() {
            data.truncate(at);
            break;
        }
        if data.len() == len {
            break;
        }
    }
    if data.is_empty() {
        return Err(Errno::EFAULT);
    }
    Ok(data)
}

/// Writes `data` to the guest memory of `segs` in order, stopping at the
/// first unwritable segment (`EFAULT` if that is the first); returns how
/// much was written.
fn scatter(ctx: &TrapContext, segs: &[(u64, u64)], data: &[u8]) -> Result<usize> {
    let mut done = 0;
    for &(base, seg_len) in segs {
        let n = (seg_len as usize).min(data.len() - done);
        if ctx.write_user(base, &data[done..done + n]).is_err() {
            break;
        }
        done += n;
        if done == data.len() {
            return Ok(done);
        }
    }
    if done == 0 && !data.is_empty() {
        return Err(Errno::EFAULT);
    }
    Ok(done)
}
