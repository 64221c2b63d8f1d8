//! socket, socketpair, bind, listen, accept, accept4, connect, getsockname,
//! getpeername and shutdown (the sockets themselves are kernel/net/), with
//! what the other socket calls share: finding the socket behind a
//! descriptor (ENOTSOCK), moving socket addresses in and out with Linux's
//! length rules (move_addr_to_kernel / move_addr_to_user), and `sock_wait`,
//! the one place socket calls sleep, honouring O_NONBLOCK, MSG_DONTWAIT,
//! SO_RCVTIMEO/SO_SNDTIMEO and signals as Linux's sock_intr_errno does.

use super::arg::Fd;
use super::arg::UserPtr;
use super::poll::deadline_after;
use crate::net::unix::{self, NameContext, SocketFile, UnixAddr, UnixSocket};
use crate::net::{sa_family, SockType, Timeout, Ucred, AF_MAX, AF_UNIX, AF_UNSPEC};
use crate::net::{SOCK_CLOEXEC, SOCK_DGRAM, SOCK_MAX, SOCK_NONBLOCK, SOCK_RAW};
use crate::net::{SOCK_SEQPACKET, SOCK_STREAM, SOCK_TYPE_MASK};
use crate::sleep::{wait_event, Interruptible};
use crate::task::Task;
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::{File, OpenFlags, WaitQueue};
use std::sync::Arc;

/// `sizeof(struct sockaddr_storage)`: the most an address may take.
const SOCKADDR_STORAGE_LEN: usize = 128;
/// net.core.somaxconn: listen(2)'s backlog is capped here.
const SOMAXCONN: u32 = 4096;

/// Returns the open file `fd` and the socket it is (EBADF, ENOTSOCK).
pub(super) fn socket_file(ctx: &TrapContext, fd: Fd) -> Result<(Arc<File>, Arc<UnixSocket>)> {
    let f = fd.file(ctx)?;
    let sock = unix::socket_of(&f).ok_or(Errno::ENOTSOCK)?.clone();
    Ok((f, sock))
}

/// Returns whether a call on `f` must not wait (O_NONBLOCK, or MSG_DONTWAIT
/// given as `dontwait`).
pub(super) fn nonblocking(f: &File, dontwait: bool) -> bool {
    dontwait || f.flags().contains(OpenFlags::O_NONBLOCK)
}

/// Runs `op` until it stops answering EAGAIN, sleeping on `queues` between
/// tries: at once EAGAIN if `nonblock` or a zero timeout; EAGAIN when
/// `timeout` passes; ERESTARTSYS on a signal, or EINTR if a timeout was set.
pub(super) fn sock_wait<T>(
    task: &Task,
    queues: &[&WaitQueue],
    nonblock: bool,
    timeout: Timeout,
    mut op: impl FnMut() -> Result<T>,
) -> Result<T> {
    let first = op();
    if !matches!(first, Err(Errno::EAGAIN)) || nonblock {
        return first;
    }
    let deadline = match timeout {
        Timeout::Forever => None,
        Timeout::After(d) if d.is_zero() => return first,
        Timeout::After(d) => deadline_after(d),
    };
    let again = wait_event(
        task,
        queues,
        deadline,
        Interruptible::Signals,
        || match op() {
            Err(Errno::EAGAIN) => None,
            r => Some(r),
        },
    );
    match again {
        Ok(Some(r)) => r,
        Ok(None) => Err(Errno::EAGAIN),
        Err(Errno::ERESTARTSYS) if timeout != Timeout::Forever => Err(Errno::EINTR),
        Err(e) => Err(e),
    }
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

/// Returns what resolving socket file names needs: the caller's
/// credentials, root, working directory and umask.
pub(super) fn name_context(ctx: &TrapContext) -> NameContext<'static> {
    let fsc = ctx.task.fs();
    NameContext {
        vfs: &crate::boot::kernel().vfs,
        cred: ctx.cred(),
        root: fsc.root,
        cwd: fsc.cwd,
        umask: fsc.umask,
    }
}

/// Returns the owner of a new socket's inode: the caller's filesystem ids.
fn owner(ctx: &TrapContext) -> fs::Owner {
    ctx.cred().owner()
}

/// Checks socket(2)'s family, type and protocol; returns the type and the
/// SOCK_NONBLOCK/SOCK_CLOEXEC flags.
fn socket_args(family: u64, ty: u64, protocol: u64) -> Result<(SockType, u32)> {
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
    if family as u16 != AF_UNIX {
        return Err(Errno::EAFNOSUPPORT);
    }
    let protocol = protocol as i32;
    if protocol != 0 && protocol != AF_UNIX as i32 {
        return Err(Errno::EPROTONOSUPPORT);
    }
    let kind = match ty {
        SOCK_STREAM => SockType::Stream,
        // Linux makes a SOCK_RAW Unix socket a datagram socket.
        SOCK_DGRAM | SOCK_RAW => SockType::Dgram,
        SOCK_SEQPACKET => SockType::SeqPacket,
        _ => return Err(Errno::ESOCKTNOSUPPORT),
    };
    Ok((kind, flags))
}

/// Returns a new open file for `sock` with SOCK_NONBLOCK from `flags`.
pub(super) fn socket_open_file(sock: Arc<UnixSocket>, flags: u32) -> Arc<File> {
    let mut status = OpenFlags::O_RDWR;
    if flags & SOCK_NONBLOCK != 0 {
        status |= OpenFlags::O_NONBLOCK;
    }
    File::new(None, SocketFile::new(sock), status)
}

pub fn sys_socket(ctx: &mut TrapContext, family: u64, type_: u64, protocol: u64) -> Result<u64> {
    let (kind, flags) = socket_args(family, type_, protocol)?;
    let f = socket_open_file(UnixSocket::new(kind, owner(ctx)), flags);
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
    let (kind, flags) = socket_args(family, type_, protocol)?;
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
    // An address of only the family asks for an autobind name.
    let addr = if raw.len() == size_of::<u16>() && sa_family(&raw) == Some(AF_UNIX) {
        None
    } else {
        Some(UnixAddr::parse(&raw)?)
    };
    sock.bind(&name_context(ctx), addr)?;
    Ok(0)
}

pub fn sys_listen(ctx: &mut TrapContext, fd: Fd, backlog: u64) -> Result<u64> {
    let (_, sock) = socket_file(ctx, fd)?;
    // A negative backlog is a huge unsigned one: somaxconn.
    let backlog = (backlog as u32).min(SOMAXCONN);
    sock.listen(backlog as usize, Ucred::effective(ctx.task))?;
    Ok(0)
}

fn do_accept(ctx: &mut TrapContext, fd: Fd, addr: u64, lenp: u64, flags: u64) -> Result<u64> {
    let flags = flags as u32;
    if flags & !(SOCK_NONBLOCK | SOCK_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let (f, sock) = socket_file(ctx, fd)?;
    if !sock.kind().connection_based() {
        return Err(Errno::EOPNOTSUPP);
    }
    let timeout = sock.options().rcvtimeo;
    let conn = sock_wait(
        ctx.task,
        &[sock.wait_queue()],
        nonblocking(&f, false),
        timeout,
        || sock.accept(),
    )?;
    let name = conn.peer_name().unwrap_or_else(|_| unix::unnamed());
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
    if sock.kind() == SockType::Dgram {
        let family = sa_family(&raw).ok_or(Errno::EINVAL)?;
        if family == AF_UNSPEC {
            sock.connect_dgram(None)?;
            return Ok(0);
        }
    }
    let addr = UnixAddr::parse(&raw)?;
    if sock.options().passcred {
        sock.autobind()?;
    }
    let other = unix::find(&name_context(ctx), &addr, sock.kind())?;
    if sock.kind() == SockType::Dgram {
        sock.connect_dgram(Some(other))?;
        return Ok(0);
    }
    let cred = Ucred::effective(ctx.task);
    let timeout = sock.options().sndtimeo;
    sock_wait(
        ctx.task,
        &[other.peer_wait(), sock.wait_queue()],
        nonblocking(&f, false),
        timeout,
        || sock.connect_stream(&other, cred),
    )?;
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
        0 => unix::Shutdown::RCV,
        1 => unix::Shutdown::SEND,
        2 => unix::Shutdown::all(),
        _ => return Err(Errno::EINVAL),
    };
    sock.shutdown(how);
    Ok(0)
}
