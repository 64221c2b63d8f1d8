//! What ping sockets (ping.rs) and raw sockets (raw.rs) share, Linux's
//! datagram core for them: a receive queue fed by the stack's taps
//! (`skb_recv_datagram`), truncation, the control messages of a receive
//! (`sock_recv_timestamp`, `ip_cmsg_recv`, `ip6_datagram_recv_ctl`),
//! `datagram_poll`, shutdown, and the SOL_SOCKET options the generic layer
//! does not keep (SO_TIMESTAMP and SO_TIMESTAMPNS, socket(7)).

use super::addr::{self, Endpoint};
use super::cmsg::{self, Arrival};
use super::device::{PacketInfo, LO_IFINDEX};
use super::packet::MAX_PACKET;
use super::sockopt::InetOptions;
use super::stack::Stack;
use super::taps::{Filter, Packet};
use super::AF_INET6;
use crate::net::socket::{nonblocking, sock_wait, Cmsg, Received, SockInode};
use crate::net::Net;
use crate::net::{MsgFlags, Options, Shutdown, SOL_SOCKET};
use crate::syscall::{UserIov, UserPtr};
use crate::task::TrapContext;
use arch::abi::pod::as_bytes;
use arch::abi::structs::{Timespec, Timeval};
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{File, Owner, PollEvents, UserMemory, WaitQueue};
use std::net::IpAddr;
use std::sync::Arc;

/// SOL_RAW: the level of ICMP_FILTER and of IPv6's IPV6_CHECKSUM.
pub(super) const SOL_RAW: i32 = 255;
const SO_REUSEADDR: i32 = 2;
const SO_TIMESTAMP_OLD: i32 = 29;
const SO_TIMESTAMPNS_OLD: i32 = 35;
const SO_TIMESTAMP_NEW: i32 = 63;
const SO_TIMESTAMPNS_NEW: i32 = 64;
/// SIN6_LEN_RFC2133: the shortest `sockaddr_in6` Linux takes.
pub(super) const SIN6_LEN_RFC2133: usize = 24;
/// SIOCINQ (FIONREAD), SIOCOUTQ and SIOCGSTAMP.
const SIOCINQ: u32 = 0x541b;
const SIOCOUTQ: u32 = 0x5411;
const SIOCGSTAMP: u32 = 0x8906;

/// Which receive time stamps a socket asked for (SO_TIMESTAMP and
/// SO_TIMESTAMPNS, old or new layout).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Stamps {
    Off,
    Micro { new: bool },
    Nano { new: bool },
}

/// The state ping and raw sockets keep alike.
pub(super) struct DgramState {
    pub opts: Options,
    pub inet: InetOptions,
    stamps: Stamps,
    /// The local address bind(2) or connect(2) chose; None before either.
    pub local: Option<IpAddr>,
    /// bind(2) chose the address (a disconnect keeps it).
    pub addr_bound: bool,
    /// The default destination connect(2) set.
    pub peer: Option<IpAddr>,
    pub shut_rd: bool,
    pub shut_wr: bool,
    /// When the last packet was received (SIOCGSTAMP).
    last_stamp: Option<(i64, i64)>,
}

/// The common part of a ping or raw socket.
pub(super) struct Dgram {
    pub family: u16,
    /// The network namespace the socket was made in.
    pub net: Arc<Net>,
    /// The socket's id in the stack (its receiver, its ping identifier).
    pub id: u64,
    pub inode: SockInode,
    pub wait: Arc<WaitQueue>,
    pub state: KernelCell<DgramState>,
}

impl Dgram {
    /// Returns a socket of `family` receiving what `filter` takes.
    pub(super) fn new(family: u16, owner: Owner, filter: Filter, net: &Arc<Net>) -> Dgram {
        let wait = Arc::new(WaitQueue::new());
        let mut opts = Options::default();
        // Linux's raw and ping protocols are INET_PROTOSW_REUSE: SO_REUSEADDR
        // starts on (ping sockets share identifiers unless it is turned off).
        opts.set_plain(SO_REUSEADDR, 1);
        let id = net.with_stack(|s| {
            let id = s.new_id();
            s.taps
                .open(&mut s.sockets, id, filter, opts.rcvbuf, wait.clone());
            id
        });
        Dgram {
            family,
            net: net.clone(),
            id,
            inode: SockInode::new(owner),
            wait,
            state: KernelCell::new(DgramState {
                opts,
                inet: InetOptions::default(),
                stamps: Stamps::Off,
                local: None,
                addr_bound: false,
                peer: None,
                shut_rd: false,
                shut_wr: false,
                last_stamp: None,
            }),
        }
    }

    /// Returns whether the socket is an IPv6 one.
    pub(super) fn v6(&self) -> bool {
        self.family == AF_INET6
    }

    /// Returns the address getsockname reports with `port`.
    pub(super) fn name(&self, port: u16) -> Vec<u8> {
        let s = self.state.borrow();
        let a = s.local.unwrap_or(addr::any(self.family));
        addr::encode(Endpoint::new(a, port), self.family)
    }

    /// Returns the source address of a packet to `dst`: the bound one, or
    /// the route's (ENETUNREACH when no interface reaches `dst`).
    pub(super) fn source(&self, stack: &Stack, dst: IpAddr) -> Result<IpAddr> {
        let route = stack.source_for(dst).ok_or(Errno::ENETUNREACH)?;
        Ok(match self.state.borrow().local {
            Some(a) if !a.is_unspecified() => a,
            _ => route,
        })
    }

    /// Decodes connect(2)'s address (not AF_UNSPEC) as Linux's
    /// `__ip4_datagram_connect` and `ip6_datagram_connect_v6_only` check
    /// it; returns the peer (the wildcard meaning this host).
    pub(super) fn connect_dst(&self, raw: &[u8]) -> Result<IpAddr> {
        let fam = crate::net::sa_family(raw).ok_or(Errno::EINVAL)?;
        let dst = if self.v6() {
            if fam != AF_INET6 {
                return Err(Errno::EAFNOSUPPORT);
            }
            if raw.len() < SIN6_LEN_RFC2133 {
                return Err(Errno::EINVAL);
            }
            let mut o = [0u8; 16];
            o.copy_from_slice(&raw[8..24]);
            let a = std::net::Ipv6Addr::from(o);
            if a.to_ipv4_mapped().is_some() {
                // An IPv4 peer: these sockets are IPv6 only.
                return Err(Errno::ENETUNREACH);
            }
            IpAddr::V6(a)
        } else {
            if raw.len() < addr::SOCKADDR_IN_LEN {
                return Err(Errno::EINVAL);
            }
            if fam != super::AF_INET {
                return Err(Errno::EAFNOSUPPORT);
            }
            IpAddr::V4(std::net::Ipv4Addr::new(raw[4], raw[5], raw[6], raw[7]))
        };
        let dst = Endpoint::new(dst, 0).destination().addr;
        self.net
            .with_stack(|s| s.source_for(dst))
            .ok_or(Errno::ENETUNREACH)?;
        Ok(dst)
    }

    /// Makes `dst` the peer (and, unless bind(2) chose one, its route's
    /// source the local address); returns the local address receives are
    /// filtered on.
    pub(super) fn set_peer(&self, dst: IpAddr) -> Option<IpAddr> {
        let src = self.net.with_stack(|s| s.source_for(dst));
        let mut s = self.state.borrow_mut();
        if !s.addr_bound {
            s.local = src;
        }
        s.peer = Some(dst);
        s.local.filter(|a| !a.is_unspecified())
    }

    /// Forgets the peer (connect(2) to AF_UNSPEC, `__udp_disconnect`) and
    /// the local address bind(2) did not choose; returns the local address
    /// receives are filtered on.
    pub(super) fn clear_peer(&self) -> Option<IpAddr> {
        let mut s = self.state.borrow_mut();
        s.peer = None;
        if !s.addr_bound {
            s.local = None;
        }
        s.local.filter(|a| !a.is_unspecified())
    }

    /// Returns the TTL (hop limit) and TOS (traffic class) of a packet sent.
    pub(super) fn ttl_tos(&self) -> (u8, u8) {
        let s = self.state.borrow();
        let v4 = !self.v6();
        (s.inet.hop_limit(self.family, v4), s.inet.tos(v4))
    }

    /// Queues the IP packet `p` and moves it: EPIPE after SHUT_WR.
    pub(super) fn transmit(&self, stack: &mut Stack, protocol: u8, p: &[u8]) -> Result<()> {
        if self.state.borrow().shut_wr {
            return Err(Errno::EPIPE);
        }
        if self.v6() && p.len() > MAX_PACKET {
            // Past what smoltcp sends: in fragments.
            stack.send_ip6(p);
            return Ok(());
        }
        stack
            .taps
            .send(&mut stack.sockets, self.v6(), protocol, p)?;
        stack.poll();
        Ok(())
    }

    /// One attempt at taking a packet: None after SHUT_RD with nothing left.
    fn take(&self, peek: bool) -> Result<Option<Packet>> {
        let p = self.net.with_stack(|s| s.taps.take(self.id, peek));
        let mut s = self.state.borrow_mut();
        match p {
            Some(p) => {
                s.last_stamp = Some(p.stamp);
                Ok(Some(p))
            }
            None if s.shut_rd => Ok(None),
            None => Err(Errno::EAGAIN),
        }
    }

    /// Receives one packet as recvmsg(2): its bytes (truncated to `iov`,
    /// with MSG_TRUNC; the full length if the caller asked MSG_TRUNC and
    /// `trunc_full`, as raw sockets answer), the source address with port
    /// 0, and the control messages asked for.
    pub(super) fn recv(
        &self,
        ctx: &TrapContext,
        f: &File,
        iov: &UserIov,
        flags: MsgFlags,
        trunc_full: bool,
    ) -> Result<Received> {
        if flags.contains(MsgFlags::OOB) {
            return Err(Errno::EOPNOTSUPP);
        }
        if flags.contains(MsgFlags::ERRQUEUE) {
            // ICMP errors are never queued (IP_RECVERR is only kept).
            return Err(Errno::EAGAIN);
        }
        let nonblock = nonblocking(f, flags.contains(MsgFlags::DONTWAIT));
        let timeout = self.state.borrow().opts.rcvtimeo;
        let peek = flags.contains(MsgFlags::PEEK);
        let got = sock_wait(ctx.task, &[&self.wait], nonblock, timeout, || {
            self.take(peek)
        })?;
        let Some(p) = got else {
            return Ok(Received::bytes(0));
        };
        let n = p.data.len().min(iov.len());
        iov.copy_out(ctx, 0, &p.data[..n])?;
        let asked = if trunc_full { flags } else { MsgFlags::empty() };
        let mut r = Received::datagram(n, p.data.len(), asked);
        r.from = Some(addr::encode(Endpoint::new(p.src, 0), self.family));
        r.cmsgs = self.cmsgs(&p);
        Ok(r)
    }

    /// Returns the control messages a receive of `p` carries, in Linux's
    /// order: the time stamp, then the IP level's.
    fn cmsgs(&self, p: &Packet) -> Vec<Cmsg> {
        let s = self.state.borrow();
        let mut out = Vec::new();
        let (sec, nsec) = p.stamp;
        match s.stamps {
            Stamps::Off => {}
            Stamps::Micro { new } => out.push(Cmsg {
                level: SOL_SOCKET,
                ty: if new {
                    SO_TIMESTAMP_NEW
                } else {
                    SO_TIMESTAMP_OLD
                },
                data: as_bytes(&Timeval {
                    tv_sec: sec,
                    tv_usec: nsec / 1000,
                })
                .to_vec(),
            }),
            Stamps::Nano { new } => out.push(Cmsg {
                level: SOL_SOCKET,
                ty: if new {
                    SO_TIMESTAMPNS_NEW
                } else {
                    SO_TIMESTAMPNS_OLD
                },
                data: as_bytes(&Timespec {
                    tv_sec: sec,
                    tv_nsec: nsec,
                })
                .to_vec(),
            }),
        }
        // The IP level's, from what the header said (the taps regenerate
        // it: see taps.rs).
        let arrival = Arrival {
            to: Endpoint::new(p.dst, 0),
            info: Some(PacketInfo {
                ifindex: LO_IFINDEX,
                hop_limit: p.ttl,
                tos: p.tos,
            }),
        };
        out.extend(cmsg::received(self.family, s.inet.recv, &arrival));
        out
    }

    /// Takes a packet without waiting, for read(2) paths other than the
    /// socket calls.
    pub(super) fn read(&self, buf: &mut [u8]) -> Result<usize> {
        match self.take(false)? {
            Some(p) => {
                let n = p.data.len().min(buf.len());
                buf[..n].copy_from_slice(&p.data[..n]);
                Ok(n)
            }
            None => Ok(0),
        }
    }

    /// Returns the events ready now (`datagram_poll`).
    pub(super) fn poll(&self) -> PollEvents {
        let ready = self.net.with_stack(|s| s.taps.next_len(self.id).is_some());
        let s = self.state.borrow();
        let mut ev = PollEvents::POLLOUT | PollEvents::POLLWRNORM | PollEvents::POLLWRBAND;
        if ready || s.shut_rd {
            ev |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
        }
        if s.shut_rd {
            ev |= PollEvents::POLLRDHUP;
        }
        if s.shut_rd && s.shut_wr {
            ev |= PollEvents::POLLHUP;
        }
        ev
    }

    /// Shuts down directions as `inet_shutdown`: an unconnected socket is
    /// shut down and answers ENOTCONN.
    pub(super) fn shutdown(&self, how: Shutdown) -> Result<()> {
        let mut s = self.state.borrow_mut();
        s.shut_rd |= how.contains(Shutdown::RCV);
        s.shut_wr |= how.contains(Shutdown::SEND);
        let connected = s.peer.is_some();
        drop(s);
        self.wait.wake_all();
        if connected {
            Ok(())
        } else {
            Err(Errno::ENOTCONN)
        }
    }

    /// Changes the generic options; SO_RCVBUF bounds the receive queue.
    pub(super) fn set_options(&self, f: &mut dyn FnMut(&mut Options)) {
        let rcvbuf = {
            let mut s = self.state.borrow_mut();
            f(&mut s.opts);
            s.opts.rcvbuf
        };
        self.net.with_stack(|s| s.taps.set_rcvbuf(self.id, rcvbuf));
        self.wait.wake_all();
    }

    /// Sets the SOL_SOCKET options kept here (None for the generic ones).
    pub(super) fn set_socket_option(
        &self,
        ctx: &TrapContext,
        opt: i32,
        val: u64,
        len: usize,
    ) -> Option<Result<()>> {
        match opt {
            SO_TIMESTAMP_OLD | SO_TIMESTAMPNS_OLD | SO_TIMESTAMP_NEW | SO_TIMESTAMPNS_NEW => {
                Some((|| {
                    if len < 4 {
                        return Err(Errno::EINVAL);
                    }
                    let on = UserPtr::<i32>::new(val).read(ctx)? != 0;
                    let new = matches!(opt, SO_TIMESTAMP_NEW | SO_TIMESTAMPNS_NEW);
                    self.state.borrow_mut().stamps = match opt {
                        _ if !on => Stamps::Off,
                        SO_TIMESTAMP_OLD | SO_TIMESTAMP_NEW => Stamps::Micro { new },
                        _ => Stamps::Nano { new },
                    };
                    Ok(())
                })())
            }
            _ => None,
        }
    }

    /// Returns the SOL_SOCKET options kept here (None for the generic ones).
    pub(super) fn socket_option(&self, opt: i32) -> Option<Result<Vec<u8>>> {
        let s = self.state.borrow();
        let int = |v: bool| Some(Ok((v as i32).to_ne_bytes().to_vec()));
        match opt {
            SO_TIMESTAMP_OLD => int(s.stamps == Stamps::Micro { new: false }),
            SO_TIMESTAMP_NEW => int(s.stamps == Stamps::Micro { new: true }),
            SO_TIMESTAMPNS_OLD => int(s.stamps == Stamps::Nano { new: false }),
            SO_TIMESTAMPNS_NEW => int(s.stamps == Stamps::Nano { new: true }),
            _ => None,
        }
    }

    /// SIOCINQ: the length of the next packet (`inq` says how much of it
    /// counts); SIOCOUTQ: 0, sends leave at once; SIOCGSTAMP: when the
    /// last packet arrived (ENOENT before one did).
    pub(super) fn ioctl(
        &self,
        user: &dyn UserMemory,
        cmd: u32,
        arg: u64,
        inq: impl Fn(usize) -> usize,
    ) -> Result<u64> {
        match cmd {
            SIOCINQ | SIOCOUTQ => {
                let n = match cmd {
                    SIOCINQ => self
                        .net
                        .with_stack(|s| s.taps.next_len(self.id))
                        .map_or(0, inq),
                    _ => 0,
                };
                UserPtr::<i32>::new(arg).write(user, &(n as i32))?;
                Ok(0)
            }
            SIOCGSTAMP => {
                let (sec, nsec) = self.state.borrow().last_stamp.ok_or(Errno::ENOENT)?;
                let tv = Timeval {
                    tv_sec: sec,
                    tv_usec: nsec / 1000,
                };
                UserPtr::<Timeval>::new(arg).write(user, &tv)?;
                Ok(0)
            }
            _ => Err(Errno::ENOTTY),
        }
    }

    /// Closes the socket: its receiver (and ping identifier) go.
    pub(super) fn release(&self) {
        self.net.with_stack(|s| s.taps.close(self.id));
    }
}
