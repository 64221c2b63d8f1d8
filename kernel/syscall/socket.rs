//! socket, socketpair, bind, listen, accept, accept4, connect, getsockname,
//! getpeername and shutdown (the sockets themselves are kernel/net/), with
//! what the other socket calls share: finding the socket behind a
//! descriptor (ENOTSOCK) and moving socket addresses in and out with
//! Linux's length rules (move_addr_to_kernel / move_addr_to_user).

use super::arg::Fd;
use super::arg::UserPtr;
use crate::net::inet::{self, AF_INET, AF_INET6};
use crate::net::netlink::{self, AF_NETLINK};
use crate::net::packet::{self, AF_PACKET};
use crate::net::unix::UnixSocket;
use crate::net::{socket_of, Shutdown, SockType, Socket, SocketFile, Ucred, AF_MAX, AF_UNIX};
use crate::net::{SOCK_CLOEXEC, SOCK_DGRAM, SOCK_MAX, SOCK_NONBLOCK, SOCK_RAW};
use crate::net::{SOCK_SEQPACKET, SOCK_STREAM, SOCK_TYPE_MASK};
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::File;
use std::sync::Arc;

/// `sizeof(struct sockaddr_storage)`: the most an address may take.
const SOCKADDR_STORAGE_LEN: usize = 128;

/// Returns the open file `fd` and the socket it is (EBADF, ENOTSOCK).
pub(super) fn socket_file(ctx: &TrapContext, fd: Fd) -> Result<(Arc<File>, Arc<dyn Socket>)> {
    let f = fd.file(ctx)?;
    let sock = socket_of(&f).ok_or(Errno::ENOTSOCK)?.clone();
    Ok((f, sock))
}

/// Copies a socket address of `len` bytes in (EINVAL for a negative length
/// or one beyond sockaddr_storage, EFAULT).
pub(super) fn read_sockaddr(ctx: &TrapContext, addr: u64, len: u64) -> Result<Vec<u8>> {
    let len = usize::try_from(len as i32).map_err(|_| Errno::EINVAL)?;
    if len > SOCKADDR_STORAGE_LEN {
        return Err(Errno::EINVAL);
    }
    let mut buf = vec![0u8; len];
    ctx.read_user(addr, &mut buf)?;
    Ok(buf)
}

/// Copies the address `name` out to `addr`, as much as the int at `lenp`
/// allows, and stores its full length there (EINVAL for a negative one).
pub(super) fn write_sockaddr(ctx: &TrapContext, name: &[u8], addr: u64, lenp: u64) -> Result<()> {
    let lenp = UserPtr::<i32>::new(lenp);
    let room = usize::try_from(lenp.read(ctx)?).map_err(|_| Errno::EINVAL)?;
    let n = room.min(name.len());
    if n > 0 {
        ctx.write_user(addr, &name[..n])?;
    }
    lenp.write(ctx, &(name.len() as i32))
}

/// Returns the owner of a new socket's inode: the caller's filesystem ids.
fn owner(ctx: &TrapContext) -> fs::Owner {
    ctx.cred().owner()
}

/// Checks socket(2)'s type flags and family; returns the family, the type
/// and the SOCK_NONBLOCK/SOCK_CLOEXEC flags.
fn socket_args(family: u64, ty: u64) -> Result<(u16, u32, u32)> {
    let ty = ty as u32;
    let flags = ty & !SOCK_TYPE_MASK;
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let family = family as i32;
    if family < 0 || family as u64 >= AF_MAX {
        return Err(Errno::EAFNOSUPPORT);
    }
    let ty = ty & SOCK_TYPE_MASK;
    if ty >= SOCK_MAX {
        return Err(Errno::EINVAL);
    }
    Ok((family as u16, ty, flags))
}

/// Returns the Unix socket type of `ty` (Linux makes a SOCK_RAW Unix
/// socket a datagram socket) for `protocol` 0 or AF_UNIX.
fn unix_type(ty: u32, protocol: i32) -> Result<SockType> {
    if protocol != 0 && protocol != AF_UNIX as i32 {
        return Err(Errno::EPROTONOSUPPORT);
    }
    match ty {
        SOCK_STREAM => Ok(SockType::Stream),
        SOCK_DGRAM | SOCK_RAW => Ok(SockType::Dgram),
        SOCK_SEQPACKET => Ok(SockType::SeqPacket),
        _ => Err(Errno::ESOCKTNOSUPPORT),
    }
}

/// Creates a socket of `family`, `ty` and `protocol`.
fn create(ctx: &TrapContext, family: u16, ty: u32, protocol: i32) -> Result<Arc<dyn Socket>> {
    match family {
        AF_UNIX => Ok(UnixSocket::new(unix_type(ty, protocol)?, owner(ctx))),
        AF_INET | AF_INET6 => {
            inet::create(family, ty, protocol, owner(ctx), &ctx.task.net.borrow())
        }
        AF_NETLINK => netlink::create(ctx, ty, protocol),
        AF_PACKET => Ok(packet::create(ctx, ty, protocol)?),
        _ => Err(Errno::EAFNOSUPPORT),
    }
}

/// Returns a new open file for `sock` with SOCK_NONBLOCK from `flags`.
fn socket_open_file(sock: Arc<dyn Socket>, flags: u32) -> Arc<File> {
    SocketFile::open(sock, flags & SOCK_NONBLOCK != 0)
}

pub fn sys_socket(ctx: &mut TrapContext, family: u64, type_: u64, protocol: u64) -> Result<u64> {
    let (family, ty, flags) = socket_args(family, type_)?;
    let f = socket_open_file(create(ctx, family, ty, protocol as i32)?, flags);
    let fd = ctx.task.files().borrow_mut().alloc(
        f,
        flags & SOCK_CLOEXEC != 0,
        ctx.task.process.nofile(),
    )?;
    Ok(fd as u64)
}

pub fn sys_socketpair(
    ctx: &mut TrapContext,
    family: u64,
    type_: u64,
    protocol: u64,
    sv: UserPtr<[i32; 2]>,
) -> Result<u64> {
    let (family, ty, flags) = socket_args(family, type_)?;
    match family {
        AF_UNIX => {}
        AF_INET | AF_INET6 | AF_PACKET => return Err(Errno::EOPNOTSUPP),
        _ => return Err(Errno::EAFNOSUPPORT),
    }
    let kind = unix_type(ty, protocol as i32)?;
    let cred = Ucred::effective(ctx.task);
    let [x, y] = UnixSocket::pair(kind, owner(ctx), cred);
    let cloexec = flags & SOCK_CLOEXEC != 0;
    let files = ctx.task.files();
    let (fx, fy) = {
        let mut t = files.borrow_mut();
        let fx = t.alloc(
            socket_open_file(x, flags),
            cloexec,
            ctx.task.process.nofile(),
        )?;
        match t.alloc(
            socket_open_file(y, flags),
            cloexec,
            ctx.task.process.nofile(),
        ) {
            Ok(fy) => (fx, fy),
            Err(e) => {
                let _ = t.close(fx);
                return Err(e);
            }
        }
    };
    if let Err(e) = sv.write(ctx, &[fx, fy]) {
        let mut t = files.borrow_mut();
        let _ = t.close(fx);
        let _ = t.close(fy);
        return Err(e);
    }
    Ok(0)
}

pub fn sys_bind(ctx: &mut TrapContext, fd: Fd, addr: u64, addrlen: u64) -> Result<u64> {
    let (_, sock) = socket_file(ctx, fd)?;
    let raw = read_sockaddr(ctx, addr, addrlen)?;
    sock.bind(ctx, &raw)?;
    Ok(0)
}

pub fn sys_listen(ctx: &mut TrapContext, fd: Fd, backlog: u64) -> Result<u64> {
    let (_, sock) = socket_file(ctx, fd)?;
    // net.core.somaxconn caps the backlog; a negative one is a huge
    // unsigned one, so somaxconn.
    let somaxconn = sock.net().sysctl.get("core/somaxconn");
    let somaxconn = somaxconn
        .first()
        .map_or(4096, |&v| v.clamp(0, u32::MAX as i64) as u32);
    let backlog = (backlog as u32).min(somaxconn);
    sock.listen(ctx, backlog)?;
    Ok(0)
}

fn do_accept(ctx: &mut TrapContext, fd: Fd, addr: u64, lenp: u64, flags: u64) -> Result<u64> {
    let flags = flags as u32;
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let (f, sock) = socket_file(ctx, fd)?;
    let (conn, name) = sock.accept(ctx, &f)?;
    let file = socket_open_file(conn, flags);
    if addr != 0 {
        write_sockaddr(ctx, &name, addr, lenp)?;
    }
    let fd = ctx.task.files().borrow_mut().alloc(
        file,
        flags & SOCK_CLOEXEC != 0,
        ctx.task.process.nofile(),
    )?;
    Ok(fd as u64)
}

pub fn sys_accept(ctx: &mut TrapContext, fd: Fd, addr: u64, addrlen: u64) -> Result<u64> {
    do_accept(ctx, fd, addr, addrlen, 0)
}

pub fn sys_accept4(
    ctx: &mut TrapContext,
    fd: Fd,
    addr: u64,
    addrlen: u64,
    flags: u64,
) -> Result<u64> {
    do_accept(ctx, fd, addr, addrlen, flags)
}

pub fn sys_connect(ctx: &mut TrapContext, fd: Fd, addr: u64, addrlen: u64) -> Result<u64> {
    let (f, sock) = socket_file(ctx, fd)?;
    let raw = read_sockaddr(ctx, addr, addrlen)?;
    sock.connect(ctx, &f, &raw)?;
    Ok(0)
}

pub fn sys_getsockname(ctx: &mut TrapContext, fd: Fd, addr: u64, addrlen: u64) -> Result<u64> {
    let (_, sock) = socket_file(ctx, fd)?;
    write_sockaddr(ctx, &sock.name(), addr, addrlen)?;
    Ok(0)
}

pub fn sys_getpeername(ctx: &mut TrapContext, fd: Fd, addr: u64, addrlen: u64) -> Result<u64> {
    let (_, sock) = socket_file(ctx, fd)?;
    write_sockaddr(ctx, &sock.peer_name()?, addr, addrlen)?;
    Ok(0)
}

pub fn sys_shutdown(ctx: &mut TrapContext, fd: Fd, how: u64) -> Result<u64> {
    let (_, sock) = socket_file(ctx, fd)?;
    let how = match how as i32 {
        0 => Shutdown::RCV,
        1 => Shutdown::SEND,
        2 => Shutdown::all(),
        _ => return Err(Errno::EINVAL),
    };
    sock.shutdown(how)?;
    Ok(0)
}
