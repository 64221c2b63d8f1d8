//! Ping sockets (icmp(7), Linux's net/ipv4/ping.c and net/ipv6/ping.c):
//! `socket(AF_INET, SOCK_DGRAM, IPPROTO_ICMP)` and its IPv6 twin, for the
//! groups in net.ipv4.ping_group_range. The caller sends an ICMP echo
//! request (header and payload); the kernel puts the socket's identifier
//! (its "port": bound, or taken on the first send or connect) into it,
//! computes the checksum and the IP header. A receive returns the echo
//! replies to that identifier, ICMP header and payload without the IP
//! header. smoltcp's interface answers echo requests to local addresses.

use super::addr::{self, Endpoint};
use super::ip_dgram::{Dgram, SOL_RAW};
use super::packet::{self, Header, ICMP_HEADER, IPV4_HEADER, MAX_PACKET};
use super::sockopt::{SOL_IP, SOL_IPV6};
use super::taps::{Filter, Kind};
use super::{read_opt, AF_INET, AF_INET6, IPPROTO_ICMP, IPPROTO_ICMPV6};
use crate::net::socket::{nonblocking, sock_wait, Received, SendMsg, SockInode, Socket};
use crate::net::Net;
use crate::net::{sa_family, MsgFlags, Options, Shutdown, AF_UNSPEC, SOCK_DGRAM, SOL_SOCKET};
use crate::syscall::UserIov;
use crate::task::TrapContext;
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{File, Owner, PollEvents, UserMemory, WaitQueue};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// IP_HDRINCL, which only raw sockets take.
const IP_HDRINCL: i32 = 3;
/// The largest message a send takes (`ping_common_sendmsg`).
const MAX_MESSAGE: usize = 0xffff;

/// What a ping socket keeps beyond the common part.
#[derive(Default)]
struct PingState {
    /// The identifier, once bound.
    ident: Option<u16>,
    /// bind(2) chose it (a disconnect keeps it).
    ident_bound: bool,
}

/// A ping socket.
pub(crate) struct PingSocket {
    d: Dgram,
    ping: KernelCell<PingState>,
}

/// Returns whether the caller may make a ping socket: its effective group
/// or a supplementary one is within net.ipv4.ping_group_range
/// (`ping_init_sock`).
fn may_ping(net: &Net) -> bool {
    let Some(task) = crate::task::current() else {
        return true;
    };
    let (low, high) = net.ping_group_range();
    let c = task.process.cred.borrow();
    let within = |g: &u32| (low..=high).contains(g);
    within(&c.egid) || c.groups.iter().any(within)
}

/// Returns whether `a` is a unicast IPv6 address (or the wildcard) a ping
/// socket may bind: not multicast, not v4-mapped, not link-local (which
/// needs a scope id, and lo has no link-local address).
fn bindable_v6(a: Ipv6Addr) -> bool {
    !(a.is_multicast() || a.to_ipv4_mapped().is_some() || a.is_unicast_link_local())
}

impl PingSocket {
    /// Creates a ping socket of `family`: EACCES outside ping_group_range.
    pub(crate) fn new(family: u16, owner: Owner, net: &Arc<Net>) -> Result<Arc<PingSocket>> {
        if !may_ping(net) {
            return Err(Errno::EACCES);
        }
        let v6 = family == AF_INET6;
        let protocol = if v6 { IPPROTO_ICMPV6 } else { IPPROTO_ICMP };
        let d = Dgram::new(
            family,
            owner,
            Filter::new(v6, protocol as u8, Kind::Ping(None)),
            net,
        );
        // Linux makes IPv6 ping sockets IPv6-only.
        d.state.borrow_mut().inet.v6only = v6;
        Ok(Arc::new(PingSocket {
            d,
            ping: KernelCell::new(PingState::default()),
        }))
    }

    /// Takes identifier `ident` (0: any free one) for the socket.
    fn take_ident(&self, ident: u16) -> Result<u16> {
        let reuse = self.d.state.borrow().opts.plain(2) != 0;
        let got = self
            .d
            .net
            .with_stack(|s| s.taps.bind_ident(self.d.id, ident, reuse))?;
        self.ping.borrow_mut().ident = Some(got);
        Ok(got)
    }

    /// Takes an identifier if the socket has none (`inet_autobind`):
    /// EAGAIN when none is free.
    fn autobind(&self) -> Result<u16> {
        if let Some(i) = self.ping.borrow().ident {
            return Ok(i);
        }
        self.take_ident(0).map_err(|_| Errno::EAGAIN)
    }

    /// Decodes bind(2)'s address as `ping_check_bind_addr`.
    fn bind_addr(&self, raw: &[u8]) -> Result<(IpAddr, u16)> {
        let fam = sa_family(raw).unwrap_or(u16::MAX);
        let port = |raw: &[u8]| u16::from_be_bytes([raw[2], raw[3]]);
        let a = if self.d.family == AF_INET {
            if raw.len() < addr::SOCKADDR_IN_LEN {
                return Err(Errno::EINVAL);
            }
            let a = Ipv4Addr::new(raw[4], raw[5], raw[6], raw[7]);
            if fam != AF_INET && !(fam == AF_UNSPEC && a.is_unspecified()) {
                return Err(Errno::EAFNOSUPPORT);
            }
            IpAddr::V4(a)
        } else {
            if raw.len() < addr::SOCKADDR_IN6_LEN {
                return Err(Errno::EINVAL);
            }
            if fam != AF_INET6 {
                return Err(Errno::EAFNOSUPPORT);
            }
            let mut o = [0u8; 16];
            o.copy_from_slice(&raw[8..24]);
            let a = Ipv6Addr::from(o);
            if !bindable_v6(a) {
                return Err(Errno::EINVAL);
            }
            IpAddr::V6(a)
        };
        if !a.is_unspecified() && !self.d.net.with_stack(|s| s.is_local(a)) {
            return Err(Errno::EADDRNOTAVAIL);
        }
        Ok((a, port(raw)))
    }

    /// Returns the destination of a send to `to` (or the connected peer),
    /// as `ping_v4_sendmsg` and `ping_v6_sendmsg` check it.
    fn destination(&self, to: Option<&[u8]>) -> Result<IpAddr> {
        let Some(raw) = to else {
            return self.d.state.borrow().peer.ok_or(Errno::EDESTADDRREQ);
        };
        let fam = sa_family(raw).unwrap_or(u16::MAX);
        if self.d.family == AF_INET {
            if raw.len() < addr::SOCKADDR_IN_LEN {
                return Err(Errno::EINVAL);
            }
            if fam != AF_INET {
                return Err(Errno::EAFNOSUPPORT);
            }
            let a = Ipv4Addr::new(raw[4], raw[5], raw[6], raw[7]);
            Ok(Endpoint::new(a.into(), 0).destination().addr)
        } else {
            if raw.len() < addr::SOCKADDR_IN6_LEN {
                return Err(Errno::EINVAL);
            }
            if fam != AF_INET6 {
                return Err(Errno::EAFNOSUPPORT);
            }
            let mut o = [0u8; 16];
            o.copy_from_slice(&raw[8..24]);
            let a = Ipv6Addr::from(o);
            if a.to_ipv4_mapped().is_some() || a.is_unicast_link_local() {
                return Err(Errno::EINVAL);
            }
            // Unlike connect(2) and raw sockets, `::` is not this host here.
            Ok(IpAddr::V6(a))
        }
    }

    /// Sends the echo message `msg` (header and payload) to `to`.
    fn send_bytes(&self, msg: &mut [u8], to: Option<&[u8]>) -> Result<usize> {
        let ident = self.autobind()?;
        if msg.len() > MAX_MESSAGE {
            return Err(Errno::EMSGSIZE);
        }
        if msg.len() < ICMP_HEADER {
            return Err(Errno::EINVAL);
        }
        let v6 = self.d.v6();
        let (ty, code) = (msg[0], msg[1]);
        let echo = if v6 {
            [packet::ICMPV6_ECHO_REQUEST, packet::ICMPV6_EXT_ECHO_REQUEST]
        } else {
            [packet::ICMP_ECHO, packet::ICMP_EXT_ECHO]
        };
        if code != 0 || !echo.contains(&ty) {
            return Err(Errno::EINVAL);
        }
        let dst = self.destination(to)?;
        // An IPv4 packet cannot be larger; IPv6 sends a larger one in
        // fragments (`Dgram::transmit`).
        if !v6 && msg.len() + IPV4_HEADER > MAX_PACKET {
            return Err(Errno::EMSGSIZE);
        }
        msg[4..6].copy_from_slice(&ident.to_be_bytes());
        self.d.net.with_stack(|stack| {
            let src = self.d.source(stack, dst)?;
            let (ttl, tos) = self.d.ttl_tos();
            let protocol = if v6 { IPPROTO_ICMPV6 } else { IPPROTO_ICMP } as u8;
            let h = Header {
                src,
                dst,
                protocol,
                ttl,
                tos,
            };
            let p = match (src, dst) {
                (IpAddr::V6(s), IpAddr::V6(d)) => {
                    packet::fill_checksum(msg, 2, Some((s, d, protocol)));
                    packet::build_v6(&h, msg)
                }
                _ => {
                    packet::fill_checksum(msg, 2, None);
                    packet::build_v4(&h, msg)
                }
            };
            self.d.transmit(stack, protocol, &p)
        })?;
        Ok(msg.len())
    }
}

impl Socket for PingSocket {
    fn net(&self) -> &Arc<crate::net::Net> {
        &self.d.net
    }

    fn family(&self) -> u16 {
        self.d.family
    }

    fn sock_type(&self) -> u32 {
        SOCK_DGRAM
    }

    fn protocol(&self) -> i32 {
        if self.d.v6() {
            IPPROTO_ICMPV6
        } else {
            IPPROTO_ICMP
        }
    }

    fn inode(&self) -> &SockInode {
        &self.d.inode
    }

    /// bind(2) as `ping_bind`: the port is the identifier (any, without
    /// privilege), EINVAL once the socket has one.
    fn bind(&self, _ctx: &TrapContext, raw: &[u8]) -> Result<()> {
        let (a, port) = self.bind_addr(raw)?;
        if self.ping.borrow().ident.is_some() {
            return Err(Errno::EINVAL);
        }
        self.take_ident(port)?;
        self.ping.borrow_mut().ident_bound = port != 0;
        let local = (!a.is_unspecified()).then_some(a);
        self.d
            .net
            .with_stack(|s| s.taps.filter(self.d.id).local = local);
        let mut s = self.d.state.borrow_mut();
        s.addr_bound = !a.is_unspecified();
        s.local = Some(a);
        Ok(())
    }

    /// connect(2) as `inet_dgram_connect` with `ip4_datagram_connect` or
    /// `ip6_datagram_connect_v6_only`: AF_UNSPEC disconnects, forgetting
    /// the identifier and address bind(2) did not choose.
    fn connect(&self, _ctx: &TrapContext, _f: &File, raw: &[u8]) -> Result<()> {
        let fam = sa_family(raw).ok_or(Errno::EINVAL)?;
        if fam == AF_UNSPEC {
            let local = self.d.clear_peer();
            let mut p = self.ping.borrow_mut();
            let dropped = match (p.ident_bound, p.ident) {
                (false, Some(i)) => {
                    p.ident = None;
                    Some(i)
                }
                _ => None,
            };
            self.d.net.with_stack(|s| {
                if let Some(i) = dropped {
                    s.taps.release_ident(self.d.id, i);
                    s.taps.filter(self.d.id).kind = Kind::Ping(None);
                }
                s.taps.filter(self.d.id).local = local;
            });
            return Ok(());
        }
        self.autobind()?;
        let dst = self.d.connect_dst(raw)?;
        let local = self.d.set_peer(dst);
        self.d
            .net
            .with_stack(|s| s.taps.filter(self.d.id).local = local);
        Ok(())
    }

    fn name(&self) -> Vec<u8> {
        self.d.name(self.ping.borrow().ident.unwrap_or(0))
    }

    /// Linux reports no peer even when connected: the peer has no port.
    fn peer_name(&self) -> Result<Vec<u8>> {
        Err(Errno::ENOTCONN)
    }

    fn shutdown(&self, how: Shutdown) -> Result<()> {
        self.d.shutdown(how)
    }

    /// sendmsg(2) as `inet_sendmsg` (which takes an identifier first) and
    /// `ping_common_sendmsg`.
    fn sendmsg(&self, ctx: &TrapContext, f: &File, msg: SendMsg) -> Result<usize> {
        self.autobind()?;
        let len = msg.iov.len();
        if len > MAX_MESSAGE {
            return Err(Errno::EMSGSIZE);
        }
        if len < ICMP_HEADER {
            return Err(Errno::EINVAL);
        }
        if msg.flags.contains(MsgFlags::OOB) {
            return Err(Errno::EOPNOTSUPP);
        }
        let mut data = vec![0u8; len];
        msg.iov.copy_in(ctx, 0, &mut data)?;
        let nonblock = nonblocking(f, msg.flags.contains(MsgFlags::DONTWAIT));
        let timeout = self.d.state.borrow().opts.sndtimeo;
        sock_wait(ctx.task, &[&self.d.wait], nonblock, timeout, || {
            self.send_bytes(&mut data, msg.to.as_deref())
        })
    }

    fn recvmsg(
        &self,
        ctx: &TrapContext,
        f: &File,
        iov: &UserIov,
        flags: MsgFlags,
    ) -> Result<Received> {
        self.d.recv(ctx, f, iov, flags, false)
    }

    fn options(&self) -> Options {
        self.d.state.borrow().opts.clone()
    }

    fn set_options(&self, f: &mut dyn FnMut(&mut Options)) {
        self.d.set_options(f)
    }

    /// The IP (or IPv6) level as `ip_setsockopt` (`ipv6_setsockopt`, which
    /// hands SOL_IP to the IPv4 code for a datagram socket); ENOPROTOOPT
    /// for other levels and for the raw sockets' options.
    fn setsockopt(
        &self,
        ctx: &TrapContext,
        level: i32,
        opt: i32,
        val: u64,
        len: usize,
    ) -> Option<Result<()>> {
        if level == SOL_SOCKET {
            return self.d.set_socket_option(ctx, opt, val, len);
        }
        let ours = level == SOL_IP || (level == SOL_IPV6 && self.d.v6());
        if !ours || (level == SOL_IP && opt == IP_HDRINCL) {
            return Some(Err(Errno::ENOPROTOOPT));
        }
        let raw = match read_opt(ctx, val, len) {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        self.d
            .state
            .borrow_mut()
            .inet
            .set(self.d.family, false, level, opt, &raw)
    }

    fn getsockopt(
        &self,
        _ctx: &TrapContext,
        level: i32,
        opt: i32,
        _len: usize,
    ) -> Option<Result<Vec<u8>>> {
        if level == SOL_SOCKET {
            return self.d.socket_option(opt);
        }
        let ours = level == SOL_IP || (level == SOL_IPV6 && self.d.v6());
        if !ours || level == SOL_RAW {
            return Some(Err(Errno::ENOPROTOOPT));
        }
        self.d
            .state
            .borrow()
            .inet
            .get(self.d.family, false, level, opt)
    }

    fn poll(&self) -> PollEvents {
        self.d.poll()
    }

    fn wait_queue(&self) -> &WaitQueue {
        &self.d.wait
    }

    /// Ping sockets answer no queue ioctls (ENOTTY), only SIOCGSTAMP.
    fn ioctl(&self, user: &dyn UserMemory, cmd: u32, arg: u64) -> Result<u64> {
        const SIOCGSTAMP: u32 = 0x8906;
        if cmd != SIOCGSTAMP {
            return Err(Errno::ENOTTY);
        }
        self.d.ioctl(user, cmd, arg, |n| n)
    }

    fn read(&self, buf: &mut [u8]) -> Result<usize> {
        self.d.read(buf)
    }

    fn write(&self, data: &[u8]) -> Result<usize> {
        self.send_bytes(&mut data.to_vec(), None)
    }

    fn is_stream(&self) -> bool {
        false
    }

    fn release(&self) {
        self.d.release();
    }
}
