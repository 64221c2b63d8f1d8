//! UDP and UDP-Lite sockets (udp(7), udplite(7)). A UDP socket gets its
//! smoltcp socket when it is bound (explicitly, or to an ephemeral port by
//! its first send or connect); a UDP-Lite socket gets its place in the
//! stack's UDP-Lite table (udplite.rs), which carries its datagrams over
//! smoltcp raw sockets. Linux's semantics kept here for both: a connected
//! socket's default destination and its filter on senders, AF_UNSPEC
//! disconnecting, truncation with MSG_TRUNC, EMSGSIZE past the largest
//! datagram, and the IP-level control messages (cmsg.rs): those a send
//! carries set the source address, hop limit and TOS of its datagram,
//! which the device writes into the header (device.rs), and a receive
//! returns those the socket asked for, from the header that arrived. The
//! path of one datagram is in datagram.rs.

mod datagram;

use super::addr::{self, Endpoint, SockAddr};
use super::cmsg::{self, Arrival, SendParams};
use super::ports::{PortUse, Ports};
use super::sockopt::{InetOptions, SOL_UDP};
use super::stack::Stack;
use super::udplite::{Binding, Coverage, IPPROTO_UDPLITE, SOL_UDPLITE};
use super::{euid, read_opt, AF_INET, IPPROTO_UDP};
use crate::net::socket::{nonblocking, sigpipe, sock_wait, Received, SendMsg, SockInode, Socket};
use crate::net::Net;
use crate::net::{MsgFlags, Options, Shutdown, SOCK_DGRAM, SOL_SOCKET};
use crate::syscall::{UserIov, UserPtr};
use crate::task::TrapContext;
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{File, Owner, PollEvents, UserMemory, WaitQueue};
use smoltcp::iface::SocketHandle;
use smoltcp::socket::udp;
use smoltcp::wire::IpListenEndpoint;
use std::sync::Arc;

/// The receive buffer (net.core.rmem_default) and its datagram count.
pub(super) const RX_BYTES: usize = 212_992;
pub(super) const RX_PACKETS: usize = 256;
/// The send buffer and its datagram count.
const TX_BYTES: usize = 212_992;
const TX_PACKETS: usize = 64;
/// The largest UDP payload over IPv4 (65535 less the IP and UDP headers);
/// IPv6 without jumbograms takes 65527.
const MAX_PAYLOAD_V4: usize = 65_507;
const MAX_PAYLOAD_V6: usize = 65_527;

/// The protocol of a datagram socket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Proto {
    Udp,
    UdpLite,
}

/// Where a bound socket's datagrams arrive.
#[derive(Clone, Copy)]
enum Rx {
    /// Its smoltcp UDP socket.
    Udp(SocketHandle),
    /// Its queue in the stack's UDP-Lite table, under the socket's id.
    UdpLite,
}

struct State {
    opts: Options,
    inet: InetOptions,
    /// UDP-Lite's checksum coverage (UDP's stays unset).
    cscov: Coverage,
    local: Option<Endpoint>,
    /// bind(2) chose the address (a disconnect keeps it).
    addr_bound: bool,
    /// Set once bound.
    rx: Option<Rx>,
    peer: Option<Endpoint>,
    shut_rd: bool,
    shut_wr: bool,
}

/// A datagram looked at in the receive queue: its length, source and
/// what its control messages tell.
struct Incoming {
    len: usize,
    from: Endpoint,
    arrival: Arrival,
}

/// A UDP or UDP-Lite socket.
pub(crate) struct UdpSocket {
    family: u16,
    /// The network namespace the socket was made in.
    pub(super) net: Arc<Net>,
    proto: Proto,
    id: u64,
    inode: SockInode,
    wait: Arc<WaitQueue>,
    state: KernelCell<State>,
}

impl UdpSocket {
    pub(crate) fn new(family: u16, proto: Proto, owner: Owner, net: &Arc<Net>) -> Arc<UdpSocket> {
        net.with_stack(|stack| {
            let id = stack.new_id();
            let sock = Arc::new(UdpSocket {
                family,
                net: net.clone(),
                proto,
                id,
                inode: SockInode::new(owner),
                wait: Arc::new(WaitQueue::new()),
                state: KernelCell::new(State {
                    opts: Options::default(),
                    inet: InetOptions::default(),
                    cscov: Coverage::default(),
                    local: None,
                    addr_bound: false,
                    rx: None,
                    peer: None,
                    shut_rd: false,
                    shut_wr: false,
                }),
            });
            if proto == Proto::Udp {
                stack.udp_socks.insert(id, Arc::downgrade(&sock));
            }
            sock
        })
    }

    /// Returns the port table of the socket's protocol.
    fn ports<'a>(&self, stack: &'a mut Stack) -> &'a mut Ports {
        match self.proto {
            Proto::Udp => &mut stack.udp_ports,
            Proto::UdpLite => &mut stack.udplite.ports,
        }
    }

    /// Returns the UDP-Lite socket's place in the stack (bound).
    fn binding<'a>(&self, stack: &'a mut Stack) -> Option<&'a mut Binding> {
        stack.udplite.bound.get_mut(&self.id)
    }

    /// Takes `ep` (port 0: an ephemeral one) and makes the smoltcp socket.
    fn bind_at(&self, stack: &mut Stack, s: &mut State, ep: Endpoint, uid: u32) -> Result<()> {
        let u = PortUse::new(self.id, ep.addr, &s.opts, s.inet.v6only, uid);
        let port = if ep.port == 0 {
            {
                let range = stack.net().ip_local_port_range();
                self.ports(stack).bind_ephemeral(range, u)?
            }
        } else {
            self.ports(stack).bind(ep.port, u)?;
            ep.port
        };
        let local = Endpoint::new(ep.addr, port);
        if self.proto == Proto::UdpLite {
            let mut b = Binding::new(self.family, local, s.inet.v6only, &self.wait);
            b.recv_cscov = s.cscov.recv;
            stack.udplite.bind(self.id, b);
            s.rx = Some(Rx::UdpLite);
            s.local = Some(local);
            return Ok(());
        }
        let rx = udp::PacketBuffer::new(
            vec![udp::PacketMetadata::EMPTY; RX_PACKETS],
            vec![0u8; RX_BYTES],
        );
        let tx = udp::PacketBuffer::new(
            vec![udp::PacketMetadata::EMPTY; TX_PACKETS],
            vec![0u8; TX_BYTES],
        );
        // The device writes each datagram's hop limit (`send_one`); the
        // socket's is what a datagram the device gets no mark for keeps.
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
        s.rx = Some(Rx::Udp(stack.add(sock, &self.wait)));
        s.local = Some(local);
        Ok(())
    }

    /// Binds to an ephemeral port if not bound yet.
    fn autobind(&self, stack: &mut Stack, s: &mut State, uid: u32) -> Result<Rx> {
        if s.rx.is_none() {
            let ep = Endpoint::new(addr::any(self.family), 0);
            self.bind_at(stack, s, ep, uid)?;
        }
        Ok(s.rx.expect("bound"))
    }
}

impl Socket for UdpSocket {
    fn net(&self) -> &Arc<crate::net::Net> {
        &self.net
    }

    fn family(&self) -> u16 {
        self.family
    }

    fn sock_type(&self) -> u32 {
        SOCK_DGRAM
    }

    fn protocol(&self) -> i32 {
        match self.proto {
            Proto::Udp => IPPROTO_UDP,
            Proto::UdpLite => IPPROTO_UDPLITE,
        }
    }

    fn inode(&self) -> &SockInode {
        &self.inode
    }

    fn bind(&self, ctx: &TrapContext, raw: &[u8]) -> Result<()> {
        let ep = super::bind_endpoint(raw, self.family)?;
        super::check_bind_port(ctx, ep.port)?;
        let uid = euid(ctx);
        self.net.with_stack(|stack| {
            let mut s = self.state.borrow_mut();
            if s.rx.is_some() {
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
                return self.net.with_stack(|stack| {
                    let mut s = self.state.borrow_mut();
                    s.peer = None;
                    if !s.addr_bound {
                        if let Some(l) = s.local.as_mut() {
                            l.addr = addr::any(self.family);
                        }
                    }
                    self.rebind(stack, &s);
                    Ok(())
                });
            }
            SockAddr::Inet(ep) => ep.destination(),
        };
        self.net.with_stack(|stack| {
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
            self.rebind(stack, &s);
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
        let v4 = to.addr.is_ipv4();
        let params = cmsg::parse_send(self.family, v4, &msg.control.proto)?;
        self.net
            .with_stack(|stack| Self::check_params(stack, &params, v4))?;
        let mut data = vec![0u8; len];
        msg.iov.copy_in(ctx, 0, &mut data)?;
        let uid = euid(ctx);
        let nonblock = nonblocking(f, msg.flags.contains(MsgFlags::DONTWAIT));
        let timeout = self.options().sndtimeo;
        let r = sock_wait(ctx.task, &[&self.wait], nonblock, timeout, || {
            self.net.with_stack(|stack| {
                let mut s = self.state.borrow_mut();
                self.send_one(stack, &mut s, &data, to, &params, uid)
            })
        });
        if r == Err(Errno::EPIPE) {
            sigpipe(ctx, msg.flags);
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
        let got = sock_wait(ctx.task, &[&self.wait], nonblock, timeout, || {
            self.net.with_stack(|stack| {
                self.recv_one(stack, &mut self.state.borrow_mut(), peek, &mut data)
            })
        })?;
        let len = got.len;
        let n = len.min(iov.len());
        iov.copy_out(ctx, 0, &data[..n])?;
        let mut r = Received::datagram(n, len, flags);
        r.from = Some(addr::encode(got.from, self.family));
        let recv = self.state.borrow().inet.recv;
        r.cmsgs = cmsg::received(self.family, recv, &got.arrival);
        Ok(r)
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
        if level == SOL_UDP || level == SOL_UDPLITE {
            // udp_lib_setsockopt: one level for both protocols; the
            // coverage options are UDP-Lite's only.
            if self.proto == Proto::Udp {
                return Some(Err(Errno::ENOPROTOOPT));
            }
            let r = s.cscov.set(opt, &raw);
            let recv = s.cscov.recv;
            if s.rx.is_some() {
                self.net.with_stack(|stack| {
                    if let Some(b) = self.binding(stack) {
                        b.recv_cscov = recv;
                    }
                });
            }
            return Some(r);
        }
        let r = s.inet.set(self.family, false, level, opt, &raw)?;
        if let (Ok(()), Some(Rx::Udp(h))) = (&r, s.rx) {
            let ttl = s.inet.ttl;
            self.net
                .with_stack(|stack| stack.sockets.get_mut::<udp::Socket>(h).set_hop_limit(ttl));
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
        let s = self.state.borrow();
        if level == SOL_UDP || level == SOL_UDPLITE {
            return Some(s.cscov.get(opt));
        }
        s.inet.get(self.family, false, level, opt)
    }

    fn poll(&self) -> PollEvents {
        self.net.with_stack(|stack| {
            let s = self.state.borrow();
            let mut ev = PollEvents::empty();
            let (readable, writable) = match s.rx {
                Some(Rx::Udp(h)) => {
                    let u = stack.sockets.get::<udp::Socket>(h);
                    (u.can_recv(), u.can_send())
                }
                Some(Rx::UdpLite) => {
                    let ready = self.binding(stack).is_some_and(|b| !b.queue.is_empty());
                    (ready, true)
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
        let rx = self.state.borrow().rx;
        let n = self.net.with_stack(|stack| match rx {
            None => 0,
            Some(Rx::Udp(h)) => {
                let u = stack.sockets.get_mut::<udp::Socket>(h);
                if cmd == SIOCOUTQ {
                    u.send_queue()
                } else {
                    u.peek().map_or(0, |(d, _)| d.len())
                }
            }
            // A UDP-Lite datagram leaves within its send.
            Some(Rx::UdpLite) if cmd == SIOCOUTQ => 0,
            Some(Rx::UdpLite) => self
                .binding(stack)
                .and_then(|b| b.queue.front())
                .map_or(0, |d| d.data.len()),
        });
        UserPtr::<i32>::new(arg).write(user, &(n as i32))?;
        Ok(0)
    }

    fn read(&self, buf: &mut [u8]) -> Result<usize> {
        let mut data = Vec::new();
        let got = self.net.with_stack(|stack| {
            self.recv_one(stack, &mut self.state.borrow_mut(), false, &mut data)
        })?;
        let n = got.len.min(buf.len());
        buf[..n].copy_from_slice(&data[..n]);
        Ok(n)
    }

    fn write(&self, data: &[u8]) -> Result<usize> {
        let to = self.destination(&self.state.borrow(), None)?;
        let uid = crate::task::current().map_or(0, |t| t.process.cred.borrow().euid);
        let params = SendParams::default();
        self.net.with_stack(|stack| {
            self.send_one(stack, &mut self.state.borrow_mut(), data, to, &params, uid)
        })
    }

    fn is_stream(&self) -> bool {
        false
    }

    fn release(&self) {
        let mut s = self.state.borrow_mut();
        let rx = s.rx.take();
        let port = s.local.map_or(0, |l| l.port);
        self.net.with_stack(|stack| {
            stack.udp_socks.remove(&self.id);
            match rx {
                Some(Rx::Udp(h)) => stack.remove(h),
                Some(Rx::UdpLite) => {
                    stack.udplite.bound.remove(&self.id);
                }
                None => return,
            }
            self.ports(stack).release(port, self.id);
        });
    }
}

impl UdpSocket {
    /// Returns the socket's line of /proc/net/udp and what sock_diag
    /// reports of it; None until it is bound.
    pub(super) fn row(&self, stack: &mut Stack) -> Option<super::proc::Row> {
        let s = self.state.borrow();
        let Some(Rx::Udp(h)) = s.rx else {
            return None;
        };
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
            tos: s.inet.tos,
            v6only: s.inet.v6only,
            rcvbuf: s.opts.rcvbuf,
            sndbuf: s.opts.sndbuf,
            ..Default::default()
        })
    }
}
