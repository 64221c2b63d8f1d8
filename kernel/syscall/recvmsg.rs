//! recvfrom, recvmsg and recvmmsg, and read(2)/readv(2) on a socket. The
//! data goes straight to the guest buffers; afterwards recvmsg writes the
//! control messages (SCM_CREDENTIALS with SO_PASSCRED, then SCM_RIGHTS,
//! installing the received files), the source address and msg_flags.

use super::arg::Fd;
use super::arg::{user_field, UserPtr};
use super::msghdr::{ControlOut, MsgHdr, UserIov, SCM_CREDENTIALS, UIO_MAXIOV};
use super::poll::deadline_after;
use super::socket::{nonblocking, sock_wait, socket_file, write_sockaddr};
use super::time::read_timespec;
use crate::net::unix::{DgramRead, StreamRead, UnixSocket};
use crate::net::{MsgFlags, SockType, Ucred};
use crate::task::TrapContext;
use arch::abi::pod::as_bytes;
use arch::abi::structs::{Mmsghdr, Msghdr, Timespec};
use arch::{Errno, Result};
use fs::File;
use std::sync::Arc;
use std::time::Instant;

/// What SCM_CREDENTIALS reports for data sent without credentials: no
/// process and the overflow ids.
const NOBODY: Ucred = Ucred {
    pid: 0,
    uid: 65534,
    gid: 65534,
};

/// What one receive got besides the data.
struct Received {
    /// The call's result: bytes copied, or the datagram's length with MSG_TRUNC.
    n: usize,
    flags: MsgFlags,
    /// The sender's name; None (a zero msg_namelen) if it has none.
    from: Option<Vec<u8>>,
    /// With SO_PASSCRED: the credentials to report.
    creds: Option<Ucred>,
    files: Vec<Arc<File>>,
}

/// Receives into `iov` from `sock` as recvmsg(2) with `flags`.
fn do_recv(
    ctx: &TrapContext,
    f: &File,
    sock: &Arc<UnixSocket>,
    iov: &UserIov,
    flags: MsgFlags,
) -> Result<Received> {
    let opts = sock.options();
    let nonblock = nonblocking(f, flags.contains(MsgFlags::DONTWAIT));
    let peek = flags.contains(MsgFlags::PEEK);
    let mut out = |at: usize, data: &[u8]| iov.copy_out(ctx, at, data);
    let queues = [sock.wait_queue()];
    let mut got = Received {
        n: 0,
        flags: flags & MsgFlags::CMSG_CLOEXEC,
        from: None,
        creds: None,
        files: Vec::new(),
    };
    if sock.kind() == SockType::Stream {
        if flags.contains(MsgFlags::OOB) {
            return Err(Errno::EINVAL);
        }
        let target = if flags.contains(MsgFlags::WAITALL) {
            iov.len()
        } else {
            opts.rcvlowat
        };
        let mut r = StreamRead::new(iov.len(), target, peek);
        let res = sock_wait(ctx.task, &queues, nonblock, opts.rcvtimeo, || {
            sock.read_stream(&mut r, &mut out)
        });
        if let Err(e) = res {
            if r.copied == 0 {
                return Err(e);
            }
        }
        got.n = r.copied;
        got.from = r.from.and_then(|s| s.addr()).map(|a| a.to_bytes());
        if opts.passcred {
            got.creds = Some(match r.creds {
                Some(c) => c.unwrap_or(NOBODY),
                None => Ucred {
                    pid: 0,
                    uid: 0,
                    gid: 0,
                },
            });
        }
        got.files = r.files;
        return Ok(got);
    }
    if flags.contains(MsgFlags::OOB) {
        return Err(Errno::EOPNOTSUPP);
    }
    let d: DgramRead = sock_wait(ctx.task, &queues, nonblock, opts.rcvtimeo, || {
        sock.read_dgram(iov.len(), peek, !nonblock, &mut out)
    })?;
    if d.eof {
        return Ok(got);
    }
    got.n = if flags.contains(MsgFlags::TRUNC) {
        d.len
    } else {
        d.copied
    };
    if d.copied < d.len {
        got.flags |= MsgFlags::TRUNC;
    }
    got.from = d.from.and_then(|s| s.addr()).map(|a| a.to_bytes());
    if opts.passcred {
        got.creds = Some(d.creds.unwrap_or(NOBODY));
    }
    got.files = d.files;
    Ok(got)
}

/// read(2) and readv(2) on a socket: a receive without flags; open files
/// that come with the data are closed.
pub(super) fn read_socket(
    ctx: &TrapContext,
    f: &File,
    sock: &Arc<UnixSocket>,
    iov: &UserIov,
) -> Result<u64> {
    Ok(do_recv(ctx, f, sock, iov, MsgFlags::empty())?.n as u64)
}

pub fn sys_recvfrom(
    ctx: &mut TrapContext,
    fd: Fd,
    buf: u64,
    len: u64,
    flags: u64,
    addr: u64,
    addrlen: u64,
) -> Result<u64> {
    let (f, sock) = socket_file(ctx, fd)?;
    let iov = UserIov::single(buf, len);
    let got = do_recv(
        ctx,
        &f,
        &sock,
        &iov,
        MsgFlags::from_bits_truncate(flags as u32),
    )?;
    if addr != 0 {
        write_sockaddr(ctx, got.from.as_deref().unwrap_or(&[]), addr, addrlen)?;
    }
    Ok(got.n as u64)
}

/// Receives into the msghdr at `addr` and fills in its name, control
/// messages, msg_flags and msg_controllen.
fn recv_msghdr(
    ctx: &TrapContext,
    f: &File,
    sock: &Arc<UnixSocket>,
    addr: UserPtr<Msghdr>,
    flags: MsgFlags,
) -> Result<usize> {
    let m = MsgHdr::read(ctx, addr)?;
    if m.namelen < 0 {
        return Err(Errno::EINVAL);
    }
    let iov = m.buffers(ctx)?;
    let got = do_recv(ctx, f, sock, &iov, flags)?;
    let mut control = ControlOut::new(m.control, m.controllen);
    if let Some(c) = got.creds {
        control.put(ctx, SCM_CREDENTIALS, as_bytes(&c.to_abi()));
    }
    control.put_rights(ctx, got.files, flags.contains(MsgFlags::CMSG_CLOEXEC));
    if m.name != 0 {
        write_sockaddr(
            ctx,
            got.from.as_deref().unwrap_or(&[]),
            m.name,
            user_field!(addr, Msghdr, msg_namelen).addr(),
        )?;
    }
    let mut out_flags = got.flags;
    if control.truncated {
        out_flags |= MsgFlags::CTRUNC;
    }
    user_field!(addr, Msghdr, msg_flags).write(ctx, &(out_flags.bits() as i32))?;
    user_field!(addr, Msghdr, msg_controllen).write(ctx, &(control.used as u64))?;
    Ok(got.n)
}

pub fn sys_recvmsg(ctx: &mut TrapContext, fd: Fd, msg: UserPtr<Msghdr>, flags: u64) -> Result<u64> {
    let (f, sock) = socket_file(ctx, fd)?;
    let flags = MsgFlags::from_bits_truncate(flags as u32);
    Ok(recv_msghdr(ctx, &f, &sock, msg, flags)? as u64)
}

/// recvmmsg(fd, msgvec, vlen, flags, timeout): receives up to vlen messages;
/// MSG_WAITFORONE makes all but the first non-blocking. As Linux, the
/// timeout is only looked at after each message.
pub fn sys_recvmmsg(
    ctx: &mut TrapContext,
    fd: Fd,
    msgvec: UserPtr<Mmsghdr>,
    vlen: u64,
    flags: u64,
    timeout: u64,
) -> Result<u64> {
    let (f, sock) = socket_file(ctx, fd)?;
    let mut flags = MsgFlags::from_bits_truncate(flags as u32);
    let vlen = (vlen as u32 as u64).min(UIO_MAXIOV);
    let deadline = if timeout != 0 {
        deadline_after(read_timespec(ctx, timeout)?)
    } else {
        None
    };
    let mut got = 0u64;
    while got < vlen {
        let at = msgvec.add(got);
        let n = match recv_msghdr(ctx, &f, &sock, user_field!(at, Mmsghdr, msg_hdr), flags) {
            Ok(n) => n,
            Err(e) if got == 0 => return Err(e),
            Err(_) => break,
        };
        user_field!(at, Mmsghdr, msg_len).write(ctx, &(n as u32))?;
        got += 1;
        if flags.contains(MsgFlags::WAITFORONE) {
            flags |= MsgFlags::DONTWAIT;
        }
        if deadline.is_some_and(|d| Instant::now() >= d) {
            break;
        }
    }
    // The time left goes back into the timeout, as Linux writes it.
    if let (true, Some(d)) = (got > 0, deadline) {
        let left = d.saturating_duration_since(Instant::now());
        let left = Timespec {
            tv_sec: left.as_secs() as i64,
            tv_nsec: left.subsec_nanos().into(),
        };
        UserPtr::new(timeout).write(ctx, &left)?;
    }
    Ok(got)
}
