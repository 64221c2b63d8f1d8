//! recvfrom, recvmsg and recvmmsg, and read(2)/readv(2) on a socket. The
//! socket's family (`Socket::recvmsg`) copies the data straight to the
//! guest buffers; afterwards recvmsg writes the control messages it
//! returned, then SCM_RIGHTS (installing the received files), the source
//! address and msg_flags.

use super::arg::Fd;
use super::arg::{user_field, UserPtr};
use super::msghdr::{ControlOut, MsgHdr, UserIov, UIO_MAXIOV};
use super::poll::deadline_after;
use super::socket::{socket_file, write_sockaddr};
use super::time::read_timespec;
use crate::net::{MsgFlags, Socket};
use crate::task::TrapContext;
use arch::abi::structs::{Mmsghdr, Msghdr, Timespec};
use arch::{Errno, Result};
use fs::File;
use std::time::Instant;

/// read(2) and readv(2) on a socket: a receive without flags; open files
/// that come with the data are closed.
pub(super) fn read_socket(
    ctx: &TrapContext,
    f: &File,
    sock: &dyn Socket,
    iov: &UserIov,
) -> Result<u64> {
    Ok(sock.recvmsg(ctx, f, iov, MsgFlags::empty())?.n as u64)
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
    let got = sock.recvmsg(ctx, &f, &iov, MsgFlags::from_bits_truncate(flags as u32))?;
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
    sock: &dyn Socket,
    addr: UserPtr<Msghdr>,
    flags: MsgFlags,
) -> Result<usize> {
    let m = MsgHdr::read(ctx, addr)?;
    if m.namelen < 0 {
        return Err(Errno::EINVAL);
    }
    let iov = m.buffers(ctx)?;
    let got = sock.recvmsg(ctx, f, &iov, flags)?;
    let mut control = ControlOut::new(m.control, m.controllen);
    for c in &got.cmsgs {
        control.put(ctx, c.level, c.ty, &c.data);
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
    // Linux reports MSG_CMSG_CLOEXEC back as it was asked for.
    let mut out_flags = got.flags | (flags & MsgFlags::CMSG_CLOEXEC);
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
    Ok(recv_msghdr(ctx, &f, &*sock, msg, flags)? as u64)
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
        let n = match recv_msghdr(ctx, &f, &*sock, user_field!(at, Mmsghdr, msg_hdr), flags) {
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
