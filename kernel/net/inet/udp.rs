//! UDP sockets (udp(7)) over smoltcp: a socket gets its smoltcp socket when
//! it is bound (explicitly, or to an ephemeral port by its first send or
//! connect). Linux's semantics kept here: a connected socket's default
//! destination and its filter on senders, AF_UNSPEC disconnecting,
//! truncation with MSG_TRUNC, EMSGSIZE past the largest datagram.

use super::addr::{self, Endpoint, SockAddr};
use super::ports::PortUse;
use super::sockopt::InetOptions;
use super::stack::{with_stack, Stack};
use super::{euid, port_range, read_opt, AF_INET, AF_INET6, IPPROTO_UDP};
use crate::net::socket::{nonblocking, sock_wait, Received, SendMsg, SockInode, Socket};
use crate::net::{MsgFlags, Options, Shutdown, SOCK_DGRAM, SOL_SOCKET};
use crate::syscall::{UserIov, UserPtr};
use crate::task::TrapContext;
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{File, Owner, PollEvents, UserMemory, WaitQueue};
use smoltcp::iface::SocketHandle;
use smoltcp::socket::udp;
use smoltcp::wire::{IpEndpoint, IpListenEndpoint};
use std::sync::Arc;

/// The receive buffer (net.core.rmem_default) and its datagram count.
const RX_BYTES: usize = 212_992;
const RX_PACKETS: usize = 256;
/// The send buffer and its datagram count.
const TX_BYTES: usize = 212_992;
const TX_PACKETS: usize = 64;
/// The largest UDP payload over IPv4 (65535 less the IP and UDP headers);
/// IPv6 without jumbograms takes 65527.
const MAX_PAYLOAD_V4: usize = 65_507;
const MAX_PAYLOAD_V6: usize = 65_527;

struct State {
    opts: Options,
    inet: InetOptions,
    local: Option<Endpoint>,
    /// bind(2) chose the address (a disconnect keeps it).
    addr_bound: bool,
    handle: Option<SocketHandle>,
    peer: Option<Endpoint>,
    shut_rd: bool,
    shut_wr: bool,
}

/// A UDP socket.
pub(crate) struct UdpSocket {
    family: u16,
    id: u64,
    inode: SockInode,
    wait: Arc<WaitQueue>,
    state: KernelCell<State>,
}

impl UdpSocket {
    pub(crate) fn new(family: u16, owner: Owner) -> Arc<UdpSocket> {
        with_stack(|stack| {
            let id = stack.new_id();
            let sock = Arc::new(UdpSocket {
                family,
                id,
                inode: SockInode::new(owner),
                wait: Arc::new(WaitQueue::new()),
                state: KernelCell::new(State {
                    opts: Options::default(),
                    inet: InetOptions::default(),
                    local: None,
                    addr_bound: false,
                    handle: None,
                    peer: None,
                    shut_rd: false,
                    shut_wr: false,
                }),
            });
            stack.udp_socks.insert(id, Arc::downgrade(&sock));
            sock
        })
    }

    /// Takes `ep` (port 0: an ephemeral one) and makes the smoltcp socket.
    fn bind_at(&self, stack: &mut Stack, s: &mut State, ep: Endpoint, uid: u32) -> Result<()> {
        let u = PortUse {
            owner: self.id,
            addr: ep.addr,
            v6only: s.inet.v6only,
            reuseaddr: s.opts.plain(2) != 0,
            reuseport: s.opts.plain(15) != 0,
            uid,
            listening: false,
            time_wait: false,
            remote: None,
        };
        let port = if ep.port == 0 {
            stack.udp_ports.bind_ephemeral(port_range(), u)?
        } else {
            stack.udp_ports.bind(ep.port, u)?;
            ep.port
        };
        let rx = udp::PacketBuffer::new(
            vec![udp::PacketMetadata::EMPTY; RX_PACKETS],
            vec![0u8; RX_BYTES],
        );
        let tx = udp::PacketBuffer::new(
            vec![udp::PacketMetadata::EMPTY; TX_PACKETS],
            vec![0u8; TX_BYTES],
        );
        let mut sock = udp::Socket::new(rx, tx);
        sock.set_hop_limit(s.inet.ttl);
        let listen = IpListenEndpoint {
            addr: (!ep.addr.is_unspecified()).then(|| addr::unmap(ep.addr).into()),
            port,
        };
        if sock.bind(listen).is_err() {
            stack.udp_ports.release(port, self.id);
            return Err(Errno::EINVAL);
        }
        s.handle = Some(stack.add(sock, &self.wait));
        s.local = Some(Endpoint::new(ep.addr, port));
        Ok(())
    }

    /// Binds to an ephemeral port if not bound yet.
    fn autobind(&self, stack: &mut Stack, s: &mut State, uid: u32) -> Result<SocketHandle> {
        if s.handle.is_none() {
            let ep = Endpoint::new(addr::any(self.family), 0);
            self.bind_at(stack, s, ep, uid)?;
        }
        Ok(s.handle.expect("bound"))
    }

    /// Returns the destination of a send to `to` (or the peer): EDESTADDRREQ
    /// without either, EINVAL/EAFNOSUPPORT for a bad address.
    fn destination(&self, s: &State, to: Option<&[u8]>) -> Result<Endpoint> {
        let Some(raw) = to else {
            return s.peer.ok_or(Errno::EDESTADDRREQ);
        };
        match addr::parse(raw, self.family)? {
            SockAddr::Unspec => s.peer.ok_or(Errno::EDESTADDRREQ),
            SockAddr::Inet(ep) if self.family == AF_INET6 && addr::is_inet4(raw) => {
                let _ = ep;
                Err(Errno::EAFNOSUPPORT)
            }
            SockAddr::Inet(ep) => Ok(ep.destination()),
        }
    }

    /// One attempt at queuing `data` to `to`.
    fn send_one(
        &self,
        stack: &mut Stack,
        s: &mut State,
        data: &[u8],
        to: Endpoint,
        uid: u32,
    ) -> Result<usize> {
        if s.shut_wr {
            return Err(Errno::EPIPE);
        }
        let max = if to.addr.is_ipv4() {
            MAX_PAYLOAD_V4
        } else {
            MAX_PAYLOAD_V6
        };
        if data.len() > max || data.len() > s.opts.sndbuf.min(TX_BYTES) {
            return Err(Errno::EMSGSIZE);
        }
        if s.inet.v6only && to.addr.is_ipv4() {
            return Err(Errno::ENETUNREACH);
        }
        if to.port == 0 {
            return Err(Errno::EINVAL);
        }
        let src = stack.source_for(to.addr).ok_or(Errno::ENETUNREACH)?;
        let h = self.autobind(stack, s, uid)?;
        let mut meta = udp::UdpMetadata::from(IpEndpoint::new(to.addr.into(), to.port));
        let local = s.local.map(|l| addr::unmap(l.addr));
        meta.local_address = Some(match local {
            Some(a) if !a.is_unspecified() => a.into(),
            _ => src.into(),
        });
        let sock = stack.sockets.get_mut::<udp::Socket>(h);
        match sock.send_slice(data, meta) {
            Ok(()) => {}
            Err(udp::SendError::BufferFull) => return Err(Errno::EAGAIN),
            Err(udp::SendError::Unaddressable) => return Err(Errno::EINVAL),
        }
        stack.poll();
        Ok(data.len())
    }

    /// One attempt at taking a datagram: its bytes (copied by `out`), full
    /// length and source.
    fn recv_one(
        &self,
        stack: &mut Stack,
        s: &mut State,
        peek: bool,
        out: &mut Vec<u8>,
    ) -> Result<(usize, Endpoint)> {
        let Some(h) = s.handle else {
            // Nothing can arrive before a bind; a shut-down socket reads EOF.
            if s.shut_rd {
                return Ok((0, Endpoint::new(addr::any(self.family), 0)));
            }
            return Err(Errno::EAGAIN);
        };
        let sock = stack.sockets.get_mut::<udp::Socket>(h);
        loop {
            let (data, meta) = match sock.peek() {
                Ok((d, m)) => (d, *m),
                Err(_) => {
                    if s.shut_rd {
                        return Ok((0, Endpoint::new(addr::any(self.family), 0)));
                    }
                    return Err(Errno::EAGAIN);
                }
            };
            let from = Endpoint::new(meta.endpoint.addr.into(), meta.endpoint.port);
            // A connected socket takes datagrams from its peer only.
            if s.peer.is_some_and(|p| p.unmapped() != from) {
                let _ = sock.recv();
                continue;
            }
            out.clear();
            out.extend_from_slice(data);
            if !peek {
                let _ = sock.recv();
            }
            return Ok((out.len(), from));
        }
    }
}

impl Socket for UdpSocket {
    fn family(&self) -> u16 {
        self.family
    }

    fn sock_type(&self) -> u32 {
        SOCK_DGRAM
    }

    fn protocol(&self) -> i32 {
        IPPROTO_UDP
    }

    fn inode(&self) -> &SockInode {
        &self.inode
    }

    fn bind(&self, ctx: &TrapContext, raw: &[u8]) -> Result<()> {
        let ep = super::bind_endpoint(raw, self.family)?;
        super::check_bind_port(ctx, ep.port)?;
        let uid = euid(ctx);
        with_stack(|stack| {
            let mut s = self.state.borrow_mut();
            if s.handle.is_some() {
                return Err(Errno::EINVAL);
            }
            if !stack.may_bind(ep.addr) {
                return Err(Errno::EADDRNOTAVAIL);
            }
            self.bind_at(stack, &mut s, ep, uid)?;
            s.addr_bound = !ep.addr.is_unspecified();
            Ok(())
        })
    }

    fn connect(&self, ctx: &TrapContext, _f: &File, raw: &[u8]) -> Result<()> {
        let uid = euid(ctx);
        let to = match addr::parse(raw, self.family)? {
            SockAddr::Unspec => {
                let mut s = self.state.borrow_mut();
                s.peer = None;
                if !s.addr_bound {
                    if let Some(l) = s.local.as_mut() {
                        l.addr = addr::any(self.family);
                    }
                }
                return Ok(());
            }
            SockAddr::Inet(ep) => ep.destination(),
        };
        with_stack(|stack| {
            let mut s = self.state.borrow_mut();
            if s.inet.v6only && to.addr.is_ipv4() {
                return Err(Errno::EAFNOSUPPORT);
            }
            let src = stack.source_for(to.addr).ok_or(Errno::ENETUNREACH)?;
            self.autobind(stack, &mut s, uid)?;
            if !s.addr_bound {
                if let Some(l) = s.local.as_mut() {
                    l.addr = src;
                }
            }
            s.peer = Some(to);
            Ok(())
        })
    }

    fn name(&self) -> Vec<u8> {
        let s = self.state.borrow();
        let ep = s.local.unwrap_or(Endpoint::new(addr::any(self.family), 0));
        addr::encode(ep, self.family)
    }

    fn peer_name(&self) -> Result<Vec<u8>> {
        let s = self.state.borrow();
        let p = s.peer.ok_or(Errno::ENOTCONN)?;
        Ok(addr::encode(p, self.family))
    }

    fn shutdown(&self, how: Shutdown) -> Result<()> {
        let mut s = self.state.borrow_mut();
        if s.peer.is_none() {
            // Linux shuts an unconnected datagram socket down, then says so.
            s.shut_rd |= how.contains(Shutdown::RCV);
            s.shut_wr |= how.contains(Shutdown::SEND);
            drop(s);
            self.wait.wake_all();
            return Err(Errno::ENOTCONN);
        }
        s.shut_rd |= how.contains(Shutdown::RCV);
        s.shut_wr |= how.contains(Shutdown::SEND);
        drop(s);
        self.wait.wake_all();
        Ok(())
    }

    fn sendmsg(&self, ctx: &TrapContext, f: &File, msg: SendMsg) -> Result<usize> {
        if msg.flags.contains(MsgFlags::OOB) {
            return Err(Errno::EOPNOTSUPP);
        }
        let to = self.destination(&self.state.borrow(), msg.to.as_deref())?;
        let len = msg.iov.len();
        let max = if self.family == AF_INET {
            MAX_PAYLOAD_V4
        } else {
            MAX_PAYLOAD_V6
        };
        if len > max {
            return Err(Errno::EMSGSIZE);
        }
        let mut data = vec![0u8; len];
        msg.iov.copy_in(ctx, 0, &mut data)?;
        let uid = euid(ctx);
        let nonblock = nonblocking(f, msg.flags.contains(MsgFlags::DONTWAIT));
        let timeout = self.options().sndtimeo;
        let r = sock_wait(ctx.task, &[&self.wait], nonblock, timeout, || {
            with_stack(|stack| self.send_one(stack, &mut self.state.borrow_mut(), &data, to, uid))
        });
        if r == Err(Errno::EPIPE) && !msg.flags.contains(MsgFlags::NOSIGNAL) {
            let uid = ctx.task.process.cred.borrow().uid;
            crate::signal::send_to_task(
                ctx.task,
                crate::signal::SigInfo::kill(
                    crate::signal::SIGPIPE,
                    crate::signal::SI_USER,
                    ctx.task.process.pid,
                    uid,
                ),
            );
        }
        r
    }

    fn recvmsg(
        &self,
        ctx: &TrapContext,
        f: &File,
        iov: &UserIov,
        flags: MsgFlags,
    ) -> Result<Received> {
        if flags.contains(MsgFlags::OOB) {
            return Err(Errno::EOPNOTSUPP);
        }
        let nonblock = nonblocking(f, flags.contains(MsgFlags::DONTWAIT));
        let peek = flags.contains(MsgFlags::PEEK);
        let timeout = self.options().rcvtimeo;
        let mut data = Vec::new();
        let (len, from) = sock_wait(ctx.task, &[&self.wait], nonblock, timeout, || {
            with_stack(|stack| self.recv_one(stack, &mut self.state.borrow_mut(), peek, &mut data))
        })?;
        let n = len.min(iov.len());
        iov.copy_out(ctx, 0, &data[..n])?;
        let mut got = Received::bytes(if flags.contains(MsgFlags::TRUNC) {
            len
        } else {
            n
        });
        if n < len {
            got.flags |= MsgFlags::TRUNC;
        }
        got.from = Some(addr::encode(from, self.family));
        Ok(got)
    }

    fn options(&self) -> Options {
        self.state.borrow().opts.clone()
    }

    fn set_options(&self, f: &mut dyn FnMut(&mut Options)) {
        f(&mut self.state.borrow_mut().opts);
        self.wait.wake_all();
    }

    fn setsockopt(
        &self,
        ctx: &TrapContext,
        level: i32,
        opt: i32,
        val: u64,
        len: usize,
    ) -> Option<Result<()>> {
        if level == SOL_SOCKET {
            return None;
        }
        let raw = match read_opt(ctx, val, len) {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        let mut s = self.state.borrow_mut();
        let r = s.inet.set(self.family, false, level, opt, &raw)?;
        if let (Ok(()), Some(h)) = (&r, s.handle) {
            let ttl = s.inet.ttl;
            with_stack(|stack| stack.sockets.get_mut::<udp::Socket>(h).set_hop_limit(ttl));
        }
        Some(r)
    }

    fn getsockopt(
        &self,
        _ctx: &TrapContext,
        level: i32,
        opt: i32,
        _len: usize,
    ) -> Option<Result<Vec<u8>>> {
        self.state.borrow().inet.get(self.family, false, level, opt)
    }

    fn poll(&self) -> PollEvents {
        with_stack(|stack| {
            let s = self.state.borrow();
            let mut ev = PollEvents::empty();
            let (readable, writable) = match s.handle {
                Some(h) => {
                    let u = stack.sockets.get::<udp::Socket>(h);
                    (u.can_recv(), u.can_send())
                }
                None => (false, true),
            };
            if readable || s.shut_rd {
                ev |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
            }
            if s.shut_rd {
                ev |= PollEvents::POLLRDHUP;
            }
            if s.shut_rd && s.shut_wr {
                ev |= PollEvents::POLLHUP;
            }
            if writable {
                ev |= PollEvents::POLLOUT | PollEvents::POLLWRNORM | PollEvents::POLLWRBAND;
            }
            ev
        })
    }

    fn wait_queue(&self) -> &WaitQueue {
        &self.wait
    }

    /// SIOCINQ: the size of the next datagram; SIOCOUTQ: the bytes queued.
    fn ioctl(&self, user: &dyn UserMemory, cmd: u32, arg: u64) -> Result<u64> {
        const SIOCINQ: u32 = 0x541b;
        const SIOCOUTQ: u32 = 0x5411;
        if cmd != SIOCINQ && cmd != SIOCOUTQ {
            return Err(Errno::ENOTTY);
        }
        let h = self.state.borrow().handle;
        let n = match h {
            None => 0,
            Some(h) => with_stack(|stack| {
                let u = stack.sockets.get_mut::<udp::Socket>(h);
                if cmd == SIOCOUTQ {
                    u.send_queue()
                } else {
                    u.peek().map_or(0, |(d, _)| d.len())
                }
            }),
        };
        UserPtr::<i32>::new(arg).write(user, &(n as i32))?;
        Ok(0)
    }

    fn read(&self, buf: &mut [u8]) -> Result<usize> {
        let mut data = Vec::new();
        let (len, _) = with_stack(|stack| {
            self.recv_one(stack, &mut self.state.borrow_mut(), false, &mut data)
        })?;
        let n = len.min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        Ok(n)
    }

    fn write(&self, data: &[u8]) -> Result<usize> {
        let to = self.destination(&self.state.borrow(), None)?;
        let uid = crate::task::current().map_or(0, |t| t.process.cred.borrow().euid);
        with_stack(|stack| self.send_one(stack, &mut self.state.borrow_mut(), data, to, uid))
    }

    fn is_stream(&self) -> bool {
        false
    }

    fn release(&self) {
        let mut s = self.state.borrow_mut();
        let handle = s.handle.take();
        let port = s.local.map_or(0, |l| l.port);
        with_stack(|stack| {
            stack.udp_socks.remove(&self.id);
            if let Some(h) = handle {
                stack.remove(h);
                stack.udp_ports.release(port, self.id);
            }
        });
    }
}

impl UdpSocket {
    /// Returns the socket's line of /proc/net/udp and what sock_diag
    /// reports of it; None until it is bound.
    pub(super) fn row(&self, stack: &mut Stack) -> Option<super::proc::Row> {
        let s = self.state.borrow();
        let h = s.handle?;
        let u = stack.sockets.get::<udp::Socket>(h);
        let any = Endpoint::new(addr::any(self.family), 0);
        Some(super::proc::Row {
            family: self.family,
            local: s.local.unwrap_or(any),
            remote: s.peer.unwrap_or(any),
            // TCP_ESTABLISHED when connected, else TCP_CLOSE, as Linux.
            state: if s.peer.is_some() { 1 } else { 7 },
            tx_queue: u.send_queue(),
            rx_queue: u.recv_queue(),
            uid: self.inode.owner.uid,
            inode: self.inode.ino,
            cookie: self.id,
            shutdown: u8::from(s.shut_rd) | (u8::from(s.shut_wr) << 1),
            tos: s.inet.tos as u8,
            v6only: s.inet.v6only,
            rcvbuf: s.opts.rcvbuf,
            sndbuf: s.opts.sndbuf,
            ..Default::default()
        })
    }
}
