//! The socket calls of a Unix socket (`Socket` for `UnixSocket`, Linux's
//! `unix_stream_ops`, `unix_dgram_ops` and `unix_seqpacket_ops`): the
//! guest-facing halves of bind, connect, accept, sendmsg and recvmsg, which
//! resolve names, copy the guest's buffers and wait in `sock_wait` on the
//! non-blocking operations of the neighbouring files.

use super::{find, unnamed, DgramRead, NameContext, Outgoing, StreamRead, UnixAddr, UnixSocket};
use crate::net::socket::{
    nonblocking, sigpipe, sock_wait, Cmsg, Received, SendMsg, SockInode, Socket,
};
use crate::net::{sa_family, MsgFlags, Options, Shutdown, SockType, Ucred};
use crate::net::{AF_UNIX, AF_UNSPEC, SOL_SOCKET};
use crate::syscall::{UserIov, UserPtr, SCM_CREDENTIALS};
use crate::task::TrapContext;
use arch::abi::pod::as_bytes;
use arch::{Errno, Result};
use fs::{File, PollEvents, UserMemory, WaitQueue};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// What SCM_CREDENTIALS reports for data sent without credentials: no
/// process and the overflow ids.
const NOBODY: Ucred = Ucred {
    pid: 0,
    uid: 65534,
    gid: 65534,
};

/// Returns what resolving socket file names needs: the caller's
/// credentials, root, working directory and umask.
fn name_context(ctx: &TrapContext) -> NameContext<'static> {
    let fsc = ctx.task.fs();
    NameContext {
        vfs: &crate::boot::kernel().vfs,
        cred: ctx.cred(),
        root: fsc.root,
        cwd: fsc.cwd,
        umask: fsc.umask,
    }
}

/// Returns the credentials of the task running this code.
fn current_ucred() -> Ucred {
    crate::task::current().map_or(Ucred::NONE, |t| Ucred::real(&t))
}

/// Returns the SCM_CREDENTIALS message of `c` as the receiver `ctx` sees it.
fn creds_cmsg(ctx: &TrapContext, c: Ucred) -> Cmsg {
    Cmsg {
        level: SOL_SOCKET,
        ty: SCM_CREDENTIALS,
        data: as_bytes(&c.to_abi(&ctx.task.process)).to_vec(),
    }
}

/// Returns the SCM_TIMESTAMP(NS) message SO_TIMESTAMP(NS) asks for, of the
/// time a datagram was sent (Linux stamps it as it is queued).
fn stamp_cmsg(stamps: crate::net::options::Stamps, (sec, nsec): (i64, i64)) -> Option<Cmsg> {
    use crate::net::options::Stamps;
    use arch::abi::structs::{Timespec, Timeval};
    let (ty, data) = match stamps {
        Stamps::Off => return None,
        Stamps::Micro(ty) => (
            ty,
            as_bytes(&Timeval {
                tv_sec: sec,
                tv_usec: nsec / 1000,
            })
            .to_vec(),
        ),
        Stamps::Nano(ty) => (
            ty,
            as_bytes(&Timespec {
                tv_sec: sec,
                tv_nsec: nsec,
            })
            .to_vec(),
        ),
    };
    Some(Cmsg {
        level: SOL_SOCKET,
        ty,
        data,
    })
}

impl UnixSocket {
    /// Returns this socket as an `Arc`.
    fn me(&self) -> Arc<UnixSocket> {
        self.this
            .upgrade()
            .expect("a socket in use has a reference")
    }

    fn sendmsg_stream(&self, ctx: &TrapContext, f: &File, mut msg: SendMsg) -> Result<usize> {
        let flags = msg.flags;
        if msg.to.is_some() {
            return Err(if self.peer().is_some() {
                Errno::EISCONN
            } else {
                Errno::EOPNOTSUPP
            });
        }
        self.peer().ok_or(Errno::ENOTCONN)?;
        let pipe = |sent: usize| {
            if sent == 0 {
                sigpipe(ctx, flags);
            }
        };
        if self.is_shut(Shutdown::SEND) {
            pipe(0);
            return Err(Errno::EPIPE);
        }
        let nonblock = nonblocking(f, flags.contains(MsgFlags::DONTWAIT));
        let timeout = self.options().sndtimeo;
        let current = Ucred::real(ctx.task);
        let me = self.me();
        let iov = msg.iov;
        let mut sent = 0;
        while sent < iov.len() {
            let n = (iov.len() - sent).min(self.segment_size());
            let mut data = vec![0u8; n];
            if let Err(e) = iov.copy_in(ctx, sent, &mut data) {
                return if sent > 0 { Ok(sent) } else { Err(e) };
            }
            // Credentials go with every segment, open files with the first.
            let mut out = Outgoing {
                data,
                creds: msg.control.creds,
                files: std::mem::take(&mut msg.control.files),
            };
            let queued = sock_wait(ctx.task, &[&self.wait], nonblock, timeout, || {
                me.send_stream(&mut out, current)
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

    fn sendmsg_dgram(&self, ctx: &TrapContext, f: &File, msg: SendMsg) -> Result<usize> {
        let to = match self.kind {
            // A seqpacket socket sends to its peer whatever the address.
            SockType::SeqPacket => {
                if let Some(e) = self.take_error() {
                    return Err(e);
                }
                if !self.is_connected() {
                    return Err(Errno::ENOTCONN);
                }
                None
            }
            _ => msg.to.map(|raw| UnixAddr::parse(&raw)).transpose()?,
        };
        let opts = self.options();
        let me = self.me();
        if opts.passcred {
            me.autobind()?;
        }
        let len = msg.iov.len();
        if len > opts.sndbuf.saturating_sub(32) {
            return Err(Errno::EMSGSIZE);
        }
        let mut data = vec![0u8; len];
        msg.iov.copy_in(ctx, 0, &mut data)?;
        let named = to.is_some();
        let other = match &to {
            Some(addr) => find(&name_context(ctx), addr, self.kind, &self.net)?,
            None => self.peer().ok_or(Errno::ENOTCONN)?,
        };
        let mut out = Outgoing {
            data,
            creds: msg.control.creds,
            files: msg.control.files,
        };
        let current = Ucred::real(ctx.task);
        let nonblock = nonblocking(f, msg.flags.contains(MsgFlags::DONTWAIT));
        sock_wait(
            ctx.task,
            &[&self.wait, other.peer_wait()],
            nonblock,
            opts.sndtimeo,
            || me.send_dgram(&other, named, &mut out, current),
        )?;
        Ok(len)
    }

    fn recvmsg_stream(
        &self,
        ctx: &TrapContext,
        nonblock: bool,
        iov: &UserIov,
        flags: MsgFlags,
    ) -> Result<Received> {
        if flags.contains(MsgFlags::OOB) {
            return Err(Errno::EINVAL);
        }
        let opts = self.options();
        let target = if flags.contains(MsgFlags::WAITALL) {
            iov.len()
        } else {
            opts.rcvlowat
        };
        let mut r = StreamRead::new(iov.len(), target, flags.contains(MsgFlags::PEEK));
        let mut out = |at: usize, data: &[u8]| iov.copy_out(ctx, at, data);
        let res = sock_wait(ctx.task, &[&self.wait], nonblock, opts.rcvtimeo, || {
            self.read_stream(&mut r, &mut out)
        });
        if let Err(e) = res {
            if r.copied == 0 {
                return Err(e);
            }
        }
        let mut got = Received::bytes(r.copied);
        got.from = r.from.and_then(|s| s.addr()).map(|a| a.to_bytes());
        if opts.passcred {
            got.cmsgs.push(creds_cmsg(
                ctx,
                match r.creds {
                    Some(c) => c.unwrap_or(NOBODY),
                    None => Ucred {
                        pid: 0,
                        uid: 0,
                        gid: 0,
                    },
                },
            ));
        }
        got.files = r.files;
        Ok(got)
    }

    fn recvmsg_dgram(
        &self,
        ctx: &TrapContext,
        nonblock: bool,
        iov: &UserIov,
        flags: MsgFlags,
    ) -> Result<Received> {
        if flags.contains(MsgFlags::OOB) {
            return Err(Errno::EOPNOTSUPP);
        }
        let opts = self.options();
        let peek = flags.contains(MsgFlags::PEEK);
        let mut out = |at: usize, data: &[u8]| iov.copy_out(ctx, at, data);
        let d: DgramRead = sock_wait(ctx.task, &[&self.wait], nonblock, opts.rcvtimeo, || {
            self.read_dgram(iov.len(), peek, !nonblock, &mut out)
        })?;
        if d.eof {
            return Ok(Received::bytes(0));
        }
        let mut got = Received::datagram(d.copied, d.len, flags);
        got.from = d.from.and_then(|s| s.addr()).map(|a| a.to_bytes());
        got.cmsgs.extend(stamp_cmsg(opts.stamps, d.stamp));
        if opts.passcred {
            got.cmsgs.push(creds_cmsg(ctx, d.creds.unwrap_or(NOBODY)));
        }
        got.files = d.files;
        Ok(got)
    }
}

impl Socket for UnixSocket {
    fn net(&self) -> &Arc<crate::net::Net> {
        &self.net
    }

    fn family(&self) -> u16 {
        AF_UNIX
    }

    fn sock_type(&self) -> u32 {
        self.kind.raw()
    }

    fn inode(&self) -> &SockInode {
        &self.sock_inode
    }

    fn bind(&self, ctx: &TrapContext, raw: &[u8]) -> Result<()> {
        // An address of only the family asks for an autobind name.
        let addr = if raw.len() == size_of::<u16>() && sa_family(raw) == Some(AF_UNIX) {
            None
        } else {
            Some(UnixAddr::parse(raw)?)
        };
        self.me().bind(&name_context(ctx), addr)
    }

    fn connect(&self, ctx: &TrapContext, f: &File, raw: &[u8]) -> Result<()> {
        let me = self.me();
        if self.kind == SockType::Dgram {
            let family = sa_family(raw).ok_or(Errno::EINVAL)?;
            if family == AF_UNSPEC {
                return me.connect_dgram(None);
            }
        }
        let addr = UnixAddr::parse(raw)?;
        if self.options().passcred {
            me.autobind()?;
        }
        let other = find(&name_context(ctx), &addr, self.kind, &self.net)?;
        if self.kind == SockType::Dgram {
            return me.connect_dgram(Some(other));
        }
        let cred = Ucred::effective(ctx.task);
        let timeout = self.options().sndtimeo;
        sock_wait(
            ctx.task,
            &[other.peer_wait(), &self.wait],
            nonblocking(f, false),
            timeout,
            || me.connect_stream(&other, cred),
        )
    }

    fn listen(&self, ctx: &TrapContext, backlog: u32) -> Result<()> {
        self.start_listening(backlog as usize, Ucred::effective(ctx.task))
    }

    fn accept(&self, ctx: &TrapContext, f: &File) -> Result<(Arc<dyn Socket>, Vec<u8>)> {
        if !self.kind.connection_based() {
            return Err(Errno::EOPNOTSUPP);
        }
        let timeout = self.options().rcvtimeo;
        let conn = sock_wait(
            ctx.task,
            &[&self.wait],
            nonblocking(f, false),
            timeout,
            || self.take_connection(),
        )?;
        let name = conn.peer_name().unwrap_or_else(|_| unnamed());
        Ok((conn, name))
    }

    fn name(&self) -> Vec<u8> {
        self.addr().map_or_else(unnamed, |a: UnixAddr| a.to_bytes())
    }

    fn peer_name(&self) -> Result<Vec<u8>> {
        Ok(self.peer().ok_or(Errno::ENOTCONN)?.name())
    }

    fn shutdown(&self, how: Shutdown) -> Result<()> {
        self.shut(how);
        Ok(())
    }

    fn sendmsg(&self, ctx: &TrapContext, f: &File, msg: SendMsg) -> Result<usize> {
        if msg.flags.contains(MsgFlags::OOB) {
            return Err(Errno::EOPNOTSUPP);
        }
        match self.kind {
            SockType::Stream => self.sendmsg_stream(ctx, f, msg),
            _ => self.sendmsg_dgram(ctx, f, msg),
        }
    }

    fn recvmsg(
        &self,
        ctx: &TrapContext,
        f: &File,
        iov: &UserIov,
        flags: MsgFlags,
    ) -> Result<Received> {
        let nonblock = nonblocking(f, flags.contains(MsgFlags::DONTWAIT));
        match self.kind {
            SockType::Stream => self.recvmsg_stream(ctx, nonblock, iov, flags),
            _ => self.recvmsg_dgram(ctx, nonblock, iov, flags),
        }
    }

    fn options(&self) -> Options {
        self.state().opts.clone()
    }

    fn set_options(&self, f: &mut dyn FnMut(&mut Options)) {
        f(&mut self.state().opts);
        // A bigger send buffer or a new low-water mark may let waiters on.
        self.wait.wake_all();
    }

    fn take_error(&self) -> Option<Errno> {
        self.state().err.take()
    }

    fn is_listening(&self) -> bool {
        self.state().conn == super::Conn::Listening
    }

    fn peercred(&self) -> Ucred {
        self.state().peercred.unwrap_or(Ucred::NONE)
    }

    fn poll(&self) -> PollEvents {
        self.poll_events()
    }

    fn wait_queue(&self) -> &WaitQueue {
        &self.wait
    }

    /// SIOCINQ (FIONREAD) and SIOCOUTQ (TIOCOUTQ): the bytes waiting to be
    /// read and those sent but not yet read by the peer.
    fn ioctl(&self, user: &dyn UserMemory, cmd: u32, arg: u64) -> Result<u64> {
        const SIOCINQ: u32 = 0x541b;
        const SIOCOUTQ: u32 = 0x5411;
        let n = match cmd {
            SIOCINQ => self.inq()?,
            SIOCOUTQ => self.outq(),
            _ => return Err(Errno::ENOTTY),
        };
        UserPtr::<i32>::new(arg).write(user, &(n as i32))?;
        Ok(0)
    }

    fn read(&self, buf: &mut [u8]) -> Result<usize> {
        let len = buf.len();
        let mut copy = |at: usize, data: &[u8]| {
            buf[at..at + data.len()].copy_from_slice(data);
            Ok(())
        };
        if self.kind == SockType::Stream {
            let mut r = StreamRead::new(len, 1, false);
            self.read_stream(&mut r, &mut copy)?;
            return Ok(r.copied);
        }
        Ok(self.read_dgram(len, false, false, &mut copy)?.copied)
    }

    fn write(&self, data: &[u8]) -> Result<usize> {
        let me = self.me();
        let len = match self.kind {
            SockType::Stream => data.len().min(self.segment_size()),
            _ => data.len(),
        };
        let mut out = Outgoing {
            data: data[..len].to_vec(),
            ..Default::default()
        };
        match self.kind {
            SockType::Stream => me.send_stream(&mut out, current_ucred())?,
            _ => {
                let peer = self.peer().ok_or(Errno::ENOTCONN)?;
                me.send_dgram(&peer, false, &mut out, current_ucred())?;
            }
        }
        Ok(len)
    }

    fn is_stream(&self) -> bool {
        self.kind == SockType::Stream
    }

    fn attach_file(&self) {
        self.filed.store(true, Ordering::Relaxed);
    }

    fn release(&self) {
        self.close(false);
    }
}
