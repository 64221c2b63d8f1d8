//! sendto, sendmsg and sendmmsg, and write(2)/writev(2) on a socket: the
//! guest's message (destination, buffers, control messages) decoded with
//! Linux's length rules and handed to the socket's family (`Socket::sendmsg`).

use super::arg::Fd;
use super::arg::{user_field, UserPtr};
use super::msghdr::{read_control, Control, MsgHdr, UserIov, UIO_MAXIOV};
use super::socket::{read_sockaddr, socket_file};
use crate::net::socket::SendMsg;
use crate::net::{MsgFlags, Socket};
use crate::task::TrapContext;
use arch::abi::structs::{Mmsghdr, Msghdr};
use arch::{Errno, Result};
use fs::File;

/// `sizeof(struct sockaddr_storage)`: sendmsg cuts longer name lengths to it.
const SOCKADDR_STORAGE_LEN: i32 = 128;

/// Sends `iov` (with `control`) on `sock`, to the address `to` if given.
fn do_send(
    ctx: &TrapContext,
    f: &File,
    sock: &dyn Socket,
    iov: &UserIov,
    to: Option<Vec<u8>>,
    control: Control,
    flags: MsgFlags,
) -> Result<usize> {
    let msg = SendMsg {
        iov,
        to,
        control,
        flags,
    };
    sock.sendmsg(ctx, f, msg)
}

/// write(2) and writev(2) on a socket: a send without flags.
pub(super) fn write_socket(
    ctx: &TrapContext,
    f: &File,
    sock: &dyn Socket,
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
    Ok(do_send(ctx, &f, &*sock, &iov, to, Control::default(), flags)? as u64)
}

/// Sends the message described by the msghdr at `addr`.
fn send_msghdr(
    ctx: &TrapContext,
    f: &File,
    sock: &dyn Socket,
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
    Ok(send_msghdr(ctx, &f, &*sock, msg, flags)? as u64)
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
        let n = match send_msghdr(ctx, &f, &*sock, user_field!(at, Mmsghdr, msg_hdr), flags) {
            Ok(n) => n,
            Err(e) if sent == 0 => return Err(e),
            Err(_) => break,
        };
        user_field!(at, Mmsghdr, msg_len).write(ctx, &(n as u32))?;
        sent += 1;
    }
    Ok(sent)
}
