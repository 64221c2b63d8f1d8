//! sendto, sendmsg and sendmmsg, and write(2)/writev(2) on a socket. A
//! stream send goes out in segments, sleeping for room between them, and
//! returns the bytes sent when a later segment fails; EPIPE raises SIGPIPE
//! unless MSG_NOSIGNAL (stream sockets only, as Linux). A datagram is one
//! message: EMSGSIZE past the send buffer, sent whole or not at all.

use super::arg::Fd;
use super::arg::{user_field, UserPtr};
use super::msghdr::{read_control, Control, MsgHdr, UserIov, UIO_MAXIOV};
use super::socket::{name_context, nonblocking, read_sockaddr, sock_wait, socket_file};
use crate::net::unix::{self, Outgoing, UnixAddr, UnixSocket};
use crate::net::{MsgFlags, SockType, Ucred};
use crate::signal::{send_to_task, SigInfo, SIGPIPE, SI_USER};
use crate::task::TrapContext;
use arch::abi::structs::{Mmsghdr, Msghdr};
use arch::{Errno, Result};
use fs::File;
use std::sync::Arc;

/// `sizeof(struct sockaddr_storage)`: sendmsg cuts longer name lengths to it.
const SOCKADDR_STORAGE_LEN: i32 = 128;

/// Sends `iov` (with `ctl`) on `sock`, to the address `to` if given.
pub(super) fn do_send(
    ctx: &TrapContext,
    f: &File,
    sock: &Arc<UnixSocket>,
    iov: &UserIov,
    to: Option<Vec<u8>>,
    ctl: Control,
    flags: MsgFlags,
) -> Result<usize> {
    if flags.contains(MsgFlags::OOB) {
        return Err(Errno::EOPNOTSUPP);
    }
    match sock.kind() {
        SockType::Stream => send_stream(ctx, f, sock, iov, to, ctl, flags),
        _ => send_dgram(ctx, f, sock, iov, to, ctl, flags),
    }
}

/// Raises SIGPIPE for an EPIPE, as a stream send does.
fn sigpipe(ctx: &TrapContext) {
    let uid = ctx.task.process.cred.borrow().uid;
    send_to_task(
        ctx.task,
        SigInfo::kill(SIGPIPE, SI_USER, ctx.task.process.pid, uid),
    );
}

fn send_stream(
    ctx: &TrapContext,
    f: &File,
    sock: &Arc<UnixSocket>,
    iov: &UserIov,
    to: Option<Vec<u8>>,
    mut ctl: Control,
    flags: MsgFlags,
) -> Result<usize> {
    if to.is_some() {
        return Err(if sock.peer().is_some() {
            Errno::EISCONN
        } else {
            Errno::EOPNOTSUPP
        });
    }
    sock.peer().ok_or(Errno::ENOTCONN)?;
    let pipe = |sent: usize| {
        if sent == 0 && !flags.contains(MsgFlags::NOSIGNAL) {
            sigpipe(ctx);
        }
    };
    if sock.is_shut(unix::Shutdown::SEND) {
        pipe(0);
        return Err(Errno::EPIPE);
    }
    let nonblock = nonblocking(f, flags.contains(MsgFlags::DONTWAIT));
    let timeout = sock.options().sndtimeo;
    let current = Ucred::real(ctx.task);
    let mut sent = 0;
    while sent < iov.len() {
        let n = (iov.len() - sent).min(sock.segment_size());
        let mut data = vec![0u8; n];
        if let Err(e) = iov.copy_in(ctx, sent, &mut data) {
            return if sent > 0 { Ok(sent) } else { Err(e) };
        }
        // Credentials go with every segment, open files with the first.
        let mut out = Outgoing {
            data,
            creds: ctl.creds,
            files: std::mem::take(&mut ctl.files),
        };
        let queued = sock_wait(ctx.task, &[sock.wait_queue()], nonblock, timeout, || {
            sock.send_stream(&mut out, current)
        });
        match queued {
            Ok(()) => sent += n,
            Err(e) => {
                if e == Errno::EPIPE {
                    pipe(sent);
                }
                return if sent > 0 { Ok(sent) } else { Err(e) };
            }
        }
    }
    Ok(sent)
}

fn send_dgram(
    ctx: &TrapContext,
    f: &File,
    sock: &Arc<UnixSocket>,
    iov: &UserIov,
    to: Option<Vec<u8>>,
    ctl: Control,
    flags: MsgFlags,
) -> Result<usize> {
    let to = match sock.kind() {
        // A seqpacket socket sends to its peer whatever the address.
        SockType::SeqPacket => {
            if let Some(e) = sock.take_error() {
                return Err(e);
            }
            if !sock.is_connected() {
                return Err(Errno::ENOTCONN);
            }
            None
        }
        _ => to.map(|raw| UnixAddr::parse(&raw)).transpose()?,
    };
    let opts = sock.options();
    if opts.passcred {
        sock.autobind()?;
    }
    let len = iov.len();
    if len > opts.sndbuf.saturating_sub(32) {
        return Err(Errno::EMSGSIZE);
    }
    let mut data = vec![0u8; len];
    iov.copy_in(ctx, 0, &mut data)?;
    let named = to.is_some();
    let other = match &to {
        Some(addr) => unix::find(&name_context(ctx), addr, sock.kind())?,
        None => sock.peer().ok_or(Errno::ENOTCONN)?,
    };
    let mut out = Outgoing {
        data,
        creds: ctl.creds,
        files: ctl.files,
    };
    let current = Ucred::real(ctx.task);
    let nonblock = nonblocking(f, flags.contains(MsgFlags::DONTWAIT));
    sock_wait(
        ctx.task,
        &[sock.wait_queue(), other.peer_wait()],
        nonblock,
        opts.sndtimeo,
        || sock.send_dgram(&other, named, &mut out, current),
    )?;
    Ok(len)
}

/// write(2) and writev(2) on a socket: a send without flags.
pub(super) fn write_socket(
    ctx: &TrapContext,
    f: &File,
    sock: &Arc<UnixSocket>,
    iov: &UserIov,
) -> Result<u64> {
    Ok(do_send(
        ctx,
        f,
        sock,
        iov,
        None,
        Control::default(),
        MsgFlags::empty(),
    )? as u64)
}

pub fn sys_sendto(
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
    let flags = MsgFlags::from_bits_truncate(flags as u32);
    let to = if addr != 0 {
        Some(read_sockaddr(ctx, addr, addrlen)?).filter(|raw| !raw.is_empty())
    } else {
        None
    };
    Ok(do_send(ctx, &f, &sock, &iov, to, Control::default(), flags)? as u64)
}

/// Sends the message described by the msghdr at `addr`.
fn send_msghdr(
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
    let to = if m.name != 0 && m.namelen != 0 {
        let len = m.namelen.min(SOCKADDR_STORAGE_LEN) as u64;
        Some(read_sockaddr(ctx, m.name, len)?)
    } else {
        None
    };
    let iov = m.buffers(ctx)?;
    if m.controllen > i32::MAX as u64 {
        return Err(Errno::ENOBUFS);
    }
    let ctl = read_control(ctx, m.control, m.controllen)?;
    do_send(ctx, f, sock, &iov, to, ctl, flags)
}

pub fn sys_sendmsg(ctx: &mut TrapContext, fd: Fd, msg: UserPtr<Msghdr>, flags: u64) -> Result<u64> {
    let (f, sock) = socket_file(ctx, fd)?;
    let flags = MsgFlags::from_bits_truncate(flags as u32);
    Ok(send_msghdr(ctx, &f, &sock, msg, flags)? as u64)
}

/// sendmmsg(fd, msgvec, vlen, flags): at most UIO_MAXIOV messages; the
/// count sent, or the first one's error.
pub fn sys_sendmmsg(
    ctx: &mut TrapContext,
    fd: Fd,
    msgvec: UserPtr<Mmsghdr>,
    vlen: u64,
    flags: u64,
) -> Result<u64> {
    let (f, sock) = socket_file(ctx, fd)?;
    let flags = MsgFlags::from_bits_truncate(flags as u32);
    let vlen = (vlen as u32 as u64).min(UIO_MAXIOV);
    let mut sent = 0u64;
    while sent < vlen {
        let at = msgvec.add(sent);
        let n = match send_msghdr(ctx, &f, &sock, user_field!(at, Mmsghdr, msg_hdr), flags) {
            Ok(n) => n,
            Err(e) if sent == 0 => return Err(e),
            Err(_) => break,
        };
        user_field!(at, Mmsghdr, msg_len).write(ctx, &(n as u32))?;
        sent += 1;
    }
    Ok(sent)
}
