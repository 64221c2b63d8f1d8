//! Raw sockets (raw(7), Linux's net/ipv4/raw.c and net/ipv6/raw.c):
//! `socket(AF_INET[6], SOCK_RAW, protocol)` for CAP_NET_RAW (root here).
//! A socket receives a copy of every packet of its protocol to this host
//! (ICMP_FILTER and ICMP6_FILTER drop ICMP types): IPv4 sockets with the
//! IP header, IPv6 ones without it. A send gets an IP header built by the
//! kernel, unless IP_HDRINCL (IPV6_HDRINCL) says the caller wrote it; for
//! ICMPv6 (and with IPV6_CHECKSUM) the kernel computes the checksum.
//! `IPPROTO_RAW` sockets start with the header included and receive nothing.

use super::addr;
use super::ip_dgram::{Dgram, SIN6_LEN_RFC2133, SOL_RAW};
use super::packet::{self, Header, IPV4_HEADER, MAX_PACKET};
use super::proc::Row;
use super::sockopt::{SOL_IP, SOL_IPV6};
use super::stack::Stack;
use super::taps::{Filter, Kind};
use super::tcp_info::{TCP_CLOSE, TCP_ESTABLISHED};
use super::{read_opt, AF_INET6, IPPROTO_ICMP, IPPROTO_ICMPV6};
use crate::net::socket::{nonblocking, sock_wait, Received, SendMsg, SockInode, Socket};
use crate::net::Net;
use crate::net::{sa_family, MsgFlags, Options, Shutdown, AF_UNSPEC, SOCK_RAW, SOL_SOCKET};
use crate::syscall::UserIov;
use crate::task::TrapContext;
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{File, Owner, PollEvents, UserMemory, WaitQueue};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// `IPPROTO_RAW`: a send-only socket whose sends carry their IP header.
pub(crate) const IPPROTO_RAW: i32 = 255;
/// IPPROTO_MH, whose checksum Linux also computes (at offset 4).
const IPPROTO_MH: i32 = 135;
/// SOL_ICMPV6, the level of ICMP6_FILTER.
const SOL_ICMPV6: i32 = 58;
/// ICMP_FILTER (SOL_RAW) and ICMP6_FILTER (SOL_ICMPV6).
const ICMP_FILTER: i32 = 1;
const ICMP6_FILTER: i32 = 1;
const IP_HDRINCL: i32 = 3;
const IPV6_CHECKSUM: i32 = 7;
const IPV6_HDRINCL: i32 = 36;
/// The largest message an IPv4 send takes.
const MAX_MESSAGE: usize = 0xffff;

/// What a raw socket keeps beyond the common part.
struct RawState {
    /// IPV6_CHECKSUM: where the kernel writes the checksum of a send.
    checksum: Option<usize>,
    /// IPV6_HDRINCL (IPv4 keeps IP_HDRINCL with its other IP options).
    hdrincl6: bool,
    /// False after a disconnect: Linux unhashes the socket, which then
    /// receives nothing and reports port 0.
    hashed: bool,
}

/// A raw socket.
pub(crate) struct RawSocket {
    d: Dgram,
    protocol: i32,
    raw: KernelCell<RawState>,
}

/// Returns whether the caller has CAP_NET_RAW.
fn capable() -> bool {
    crate::capability::capable(arch::abi::capability::CAP_NET_RAW)
}

/// Returns the int an option's bytes hold: EINVAL if shorter.
fn int_of(raw: &[u8]) -> Result<i32> {
    let b: [u8; 4] = raw
        .get(..4)
        .ok_or(Errno::EINVAL)?
        .try_into()
        .expect("4 bytes");
    Ok(i32::from_ne_bytes(b))
}

impl RawSocket {
    /// Creates a raw socket of `family` for `protocol` (1..IPPROTO_MAX):
    /// EPERM without CAP_NET_RAW.
    pub(crate) fn new(
        family: u16,
        protocol: i32,
        owner: Owner,
        net: &Arc<Net>,
    ) -> Result<Arc<RawSocket>> {
        if !capable() {
            return Err(Errno::EPERM);
        }
        let v6 = family == AF_INET6;
        // No IP packet carries a protocol past 255 (Linux takes up to 262).
        let mut filter = Filter::new(v6, protocol.min(IPPROTO_RAW) as u8, Kind::Raw);
        filter.hashed = protocol <= IPPROTO_RAW;
        let checksum = match protocol {
            IPPROTO_ICMPV6 if v6 => Some(2),
            IPPROTO_MH if v6 => Some(4),
            _ => None,
        };
        filter.checksum = checksum.is_some();
        let d = Dgram::new(family, owner, filter, net);
        if protocol == IPPROTO_RAW && !v6 {
            let on = 1i32.to_ne_bytes();
            let _ = d
                .state
                .borrow_mut()
                .inet
                .set(family, false, SOL_IP, IP_HDRINCL, &on);
        }
        let sock = Arc::new(RawSocket {
            d,
            protocol,
            raw: KernelCell::new(RawState {
                checksum,
                hdrincl6: protocol == IPPROTO_RAW,
                hashed: true,
            }),
        });
        net.with_stack(|s| s.raw_socks.insert(sock.d.id, Arc::downgrade(&sock)));
        Ok(sock)
    }

    /// Returns what sock_diag reports of the socket (Linux's raw_diag):
    /// the protocol as its local port, TCP_ESTABLISHED once connected;
    /// None once unhashed.
    pub(super) fn row(&self, stack: &Stack) -> Option<Row> {
        if !self.raw.borrow().hashed {
            return None;
        }
        let s = self.d.state.borrow();
        let any = addr::any(self.d.family);
        Some(Row {
            family: self.d.family,
            local: addr::Endpoint::new(s.local.unwrap_or(any), self.protocol as u16),
            remote: addr::Endpoint::new(s.peer.unwrap_or(any), 0),
            state: if s.peer.is_some() {
                TCP_ESTABLISHED
            } else {
                TCP_CLOSE
            },
            rx_queue: stack.taps.queued(self.d.id),
            uid: self.d.inode.owner.uid,
            inode: self.d.inode.ino,
            cookie: self.d.id,
            shutdown: u8::from(s.shut_rd) | (u8::from(s.shut_wr) << 1),
            tos: s.inet.tos,
            rcvbuf: s.opts.rcvbuf,
            sndbuf: s.opts.sndbuf,
            raw_protocol: Some(self.protocol as u8),
            ..Row::default()
        })
    }

    /// Returns whether sends carry the caller's IP header.
    fn hdrincl(&self) -> bool {
        if self.d.v6() {
            self.raw.borrow().hdrincl6
        } else {
            self.d.state.borrow().inet.plain(SOL_IP, IP_HDRINCL) != 0
        }
    }

    /// Returns the destination and protocol of a send to `to` (or the
    /// peer), as `raw_sendmsg` and `rawv6_sendmsg` check them.
    fn destination(&self, to: Option<&[u8]>) -> Result<(IpAddr, u8)> {
        let own = self.protocol as u8;
        let Some(raw) = to else {
            let peer = self.d.state.borrow().peer;
            return peer.map(|p| (p, own)).ok_or(Errno::EDESTADDRREQ);
        };
        let fam = sa_family(raw).unwrap_or(u16::MAX);
        if !self.d.v6() {
            if raw.len() < addr::SOCKADDR_IN_LEN {
                return Err(Errno::EINVAL);
            }
            if fam != super::AF_INET && fam != AF_UNSPEC {
                return Err(Errno::EAFNOSUPPORT);
            }
            let a = Ipv4Addr::new(raw[4], raw[5], raw[6], raw[7]);
            return Ok((addr::Endpoint::new(a.into(), 0).destination().addr, own));
        }
        if raw.len() < SIN6_LEN_RFC2133 {
            return Err(Errno::EINVAL);
        }
        if fam != AF_INET6 && fam != AF_UNSPEC {
            return Err(Errno::EAFNOSUPPORT);
        }
        // The port is the protocol of the packet (0: the socket's).
        let proto = i32::from(u16::from_be_bytes([raw[2], raw[3]]));
        let proto = match proto {
            0 => self.protocol,
            p if p != self.protocol && self.protocol != IPPROTO_RAW => return Err(Errno::EINVAL),
            p if p > 255 => return Err(Errno::EINVAL),
            p => p,
        };
        let mut o = [0u8; 16];
        o.copy_from_slice(&raw[8..24]);
        let a = Ipv6Addr::from(o);
        // `::` means this host (a BSD habit rawv6_sendmsg keeps).
        let a = if a.is_unspecified() {
            Ipv6Addr::LOCALHOST
        } else {
            a
        };
        Ok((IpAddr::V6(a), proto as u8))
    }

    /// Sends `data` to `to` (or the peer): the payload of a packet the
    /// kernel addresses, or the whole packet with IP_HDRINCL.
    fn send_bytes(&self, data: &mut [u8], to: Option<&[u8]>) -> Result<usize> {
        let v6 = self.d.v6();
        if !v6 && data.len() > MAX_MESSAGE {
            return Err(Errno::EMSGSIZE);
        }
        let (dst, protocol) = self.destination(to)?;
        let hdrincl = self.hdrincl();
        // Linux reads the ICMP type and code before routing
        // (`raw_probe_proto_opt`): shorter than that is EFAULT.
        let probe = match i32::from(protocol) {
            IPPROTO_ICMP if !v6 && !hdrincl => 2,
            IPPROTO_ICMPV6 if v6 && !hdrincl => 2,
            IPPROTO_MH if v6 && !hdrincl => 4,
            _ => 0,
        };
        if data.len() < probe {
            return Err(Errno::EFAULT);
        }
        if addr::unmap(dst) != dst {
            return Err(Errno::ENETUNREACH);
        }
        self.d.net.with_stack(|stack| {
            let src = self.d.source(stack, dst)?;
            let (ttl, tos) = self.d.ttl_tos();
            let h = Header {
                src,
                dst,
                protocol,
                ttl,
                tos,
            };
            let p = match (hdrincl, src, dst) {
                (true, IpAddr::V4(s), _) => {
                    if data.len() < IPV4_HEADER {
                        return Err(Errno::EINVAL);
                    }
                    packet::complete_v4(data, s).ok_or(Errno::EINVAL)?;
                    data.to_vec()
                }
                (true, _, _) => {
                    if data.len() > MAX_PACKET {
                        return Err(Errno::EMSGSIZE);
                    }
                    data.to_vec()
                }
                (false, IpAddr::V4(_), _) => {
                    if data.len() + IPV4_HEADER > MAX_PACKET {
                        return Err(Errno::EMSGSIZE);
                    }
                    packet::build_v4(&h, data)
                }
                (false, IpAddr::V6(s), IpAddr::V6(d)) => {
                    if let Some(off) = self.raw.borrow().checksum {
                        if off + 1 >= data.len() {
                            return Err(Errno::EINVAL);
                        }
                        packet::fill_checksum(data, off, Some((s, d, protocol)));
                        if protocol == 17 && data[off..off + 2] == [0, 0] {
                            // UDP sends a zero checksum as all ones.
                            data[off..off + 2].copy_from_slice(&[0xff, 0xff]);
                        }
                    }
                    // A larger packet than smoltcp sends goes in fragments
                    // (`Dgram::transmit`), up to the largest IPv6 payload.
                    if data.len() > MAX_PACKET {
                        return Err(Errno::EMSGSIZE);
                    }
                    packet::build_v6(&h, data)
                }
                (false, _, _) => return Err(Errno::ENETUNREACH),
            };
            // The header decides which tap carries it (IP_HDRINCL).
            let on_wire = packet::parse(&p).map_or(protocol, |r| r.protocol);
            self.d.transmit(stack, on_wire, &p)
        })?;
        Ok(data.len())
    }

    /// Reads an ICMP filter option of at most `size` bytes into `filter`,
    /// as `raw_seticmpfilter`: a shorter value changes its first bytes.
    fn set_filter(&self, ctx: &TrapContext, val: u64, len: usize, v6: bool) -> Result<()> {
        let size = if v6 { 32 } else { 4 };
        let raw = read_opt(ctx, val, len.min(size))?;
        self.d.net.with_stack(|s| {
            let f = s.taps.filter(self.d.id);
            let mut bytes: Vec<u8> = if v6 {
                f.icmp6.iter().flat_map(|w| w.to_ne_bytes()).collect()
            } else {
                f.icmp.to_ne_bytes().to_vec()
            };
            bytes[..raw.len()].copy_from_slice(&raw);
            let word =
                |i: usize| u32::from_ne_bytes(bytes[i * 4..i * 4 + 4].try_into().expect("4 bytes"));
            if v6 {
                for (i, w) in f.icmp6.iter_mut().enumerate() {
                    *w = word(i);
                }
            } else {
                f.icmp = word(0);
            }
        });
        Ok(())
    }

    /// Sets an option of `do_rawv6_setsockopt` (IPV6_CHECKSUM, IPV6_HDRINCL).
    fn set_raw6(
        &self,
        ctx: &TrapContext,
        level: i32,
        opt: i32,
        val: u64,
        len: usize,
    ) -> Result<()> {
        if len < 4 {
            return Err(Errno::EINVAL);
        }
        let v = int_of(&read_opt(ctx, val, 4)?)?;
        match opt {
            IPV6_HDRINCL => self.raw.borrow_mut().hdrincl6 = v != 0,
            IPV6_CHECKSUM => {
                if self.protocol == IPPROTO_ICMPV6 && level == SOL_IPV6 {
                    // RFC 3542: not at the IPv6 level of an ICMPv6 socket.
                    return Err(Errno::EINVAL);
                }
                if v > 0 && v & 1 != 0 {
                    return Err(Errno::EINVAL);
                }
                let off = (v >= 0).then_some(v as usize);
                self.raw.borrow_mut().checksum = off;
                self.d
                    .net
                    .with_stack(|s| s.taps.filter(self.d.id).checksum = off.is_some());
            }
            _ => return Err(Errno::ENOPROTOOPT),
        }
        Ok(())
    }

    /// Returns an option of `do_rawv6_getsockopt`.
    fn raw6_option(&self, opt: i32) -> Result<Vec<u8>> {
        let r = self.raw.borrow();
        let v = match opt {
            IPV6_CHECKSUM => r.checksum.map_or(-1, |o| o as i32),
            IPV6_HDRINCL => r.hdrincl6 as i32,
            _ => return Err(Errno::ENOPROTOOPT),
        };
        Ok(v.to_ne_bytes().to_vec())
    }
}

impl Socket for RawSocket {
    fn net(&self) -> &Arc<crate::net::Net> {
        &self.d.net
    }

    fn family(&self) -> u16 {
        self.d.family
    }

    fn sock_type(&self) -> u32 {
        SOCK_RAW
    }

    fn protocol(&self) -> i32 {
        self.protocol
    }

    fn inode(&self) -> &SockInode {
        &self.d.inode
    }

    /// bind(2) as `raw_bind` (no family check, rebinding allowed) and
    /// `rawv6_bind`: EINVAL while connected.
    fn bind(&self, _ctx: &TrapContext, raw: &[u8]) -> Result<()> {
        let connected = self.d.state.borrow().peer.is_some();
        let a = if self.d.v6() {
            if raw.len() < SIN6_LEN_RFC2133 || sa_family(raw) != Some(AF_INET6) {
                return Err(Errno::EINVAL);
            }
            let mut o = [0u8; 16];
            o.copy_from_slice(&raw[8..24]);
            let a = Ipv6Addr::from(o);
            if a.to_ipv4_mapped().is_some() {
                return Err(Errno::EADDRNOTAVAIL);
            }
            if connected {
                return Err(Errno::EINVAL);
            }
            if a.is_unicast_link_local() {
                // lo has no link-local address.
                return Err(Errno::EINVAL);
            }
            IpAddr::V6(a)
        } else {
            if connected || raw.len() < addr::SOCKADDR_IN_LEN {
                return Err(Errno::EINVAL);
            }
            IpAddr::V4(Ipv4Addr::new(raw[4], raw[5], raw[6], raw[7]))
        };
        if !a.is_unspecified() && !self.d.net.with_stack(|s| s.is_local(a)) {
            return Err(Errno::EADDRNOTAVAIL);
        }
        let local = (!a.is_unspecified()).then_some(a);
        {
            let mut s = self.d.state.borrow_mut();
            s.local = Some(a);
            s.addr_bound = local.is_some();
        }
        self.d
            .net
            .with_stack(|s| s.taps.filter(self.d.id).local = local);
        Ok(())
    }

    /// connect(2) sets the default destination and takes packets from it
    /// only; AF_UNSPEC disconnects, and as Linux's `__udp_disconnect` that
    /// also unhashes a raw socket: it receives nothing afterwards.
    fn connect(&self, _ctx: &TrapContext, _f: &File, raw: &[u8]) -> Result<()> {
        let fam = sa_family(raw).ok_or(Errno::EINVAL)?;
        if fam == AF_UNSPEC {
            let local = self.d.clear_peer();
            self.raw.borrow_mut().hashed = false;
            self.d.net.with_stack(|s| {
                let f = s.taps.filter(self.d.id);
                f.local = local;
                f.peer = None;
                f.hashed = false;
            });
            return Ok(());
        }
        let dst = self.d.connect_dst(raw)?;
        let local = self.d.set_peer(dst);
        self.d.net.with_stack(|s| {
            let f = s.taps.filter(self.d.id);
            f.local = local;
            f.peer = Some(dst);
        });
        Ok(())
    }

    /// The local address with the protocol as its port (0 once unhashed).
    fn name(&self) -> Vec<u8> {
        let port = if self.raw.borrow().hashed {
            self.protocol as u16
        } else {
            0
        };
        self.d.name(port)
    }

    /// Linux reports no peer even when connected: the peer has no port.
    fn peer_name(&self) -> Result<Vec<u8>> {
        Err(Errno::ENOTCONN)
    }

    fn shutdown(&self, how: Shutdown) -> Result<()> {
        self.d.shutdown(how)
    }

    fn sendmsg(&self, ctx: &TrapContext, f: &File, msg: SendMsg) -> Result<usize> {
        let len = msg.iov.len();
        let limit = if self.d.v6() {
            i32::MAX as usize
        } else {
            MAX_MESSAGE
        };
        if len > limit {
            return Err(Errno::EMSGSIZE);
        }
        if msg.flags.contains(MsgFlags::OOB) {
            return Err(Errno::EOPNOTSUPP);
        }
        // Nothing sent is larger than an IP packet; check the address
        // before copying what cannot go.
        if len > MAX_PACKET {
            self.destination(msg.to.as_deref())?;
            return Err(Errno::EMSGSIZE);
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
        self.d.recv(ctx, f, iov, flags, true)
    }

    fn options(&self) -> Options {
        self.d.state.borrow().opts.clone()
    }

    fn set_options(&self, f: &mut dyn FnMut(&mut Options)) {
        self.d.set_options(f)
    }

    /// `raw_setsockopt` and `rawv6_setsockopt`: ICMP_FILTER (SOL_RAW) of
    /// IPv4 ICMP sockets, ICMP6_FILTER (SOL_ICMPV6) of ICMPv6 ones,
    /// IPV6_CHECKSUM and IPV6_HDRINCL, then the IP (IPv6) level.
    fn setsockopt(
        &self,
        ctx: &TrapContext,
        level: i32,
        opt: i32,
        val: u64,
        len: usize,
    ) -> Option<Result<()>> {
        let v6 = self.d.v6();
        Some(match (v6, level, opt) {
            (_, SOL_SOCKET, _) => return self.d.set_socket_option(ctx, opt, val, len),
            (false, SOL_RAW, ICMP_FILTER) if self.protocol != IPPROTO_ICMP => {
                Err(Errno::EOPNOTSUPP)
            }
            (false, SOL_RAW, ICMP_FILTER) => self.set_filter(ctx, val, len, false),
            (true, SOL_ICMPV6, _) if self.protocol != IPPROTO_ICMPV6 => Err(Errno::EOPNOTSUPP),
            (true, SOL_ICMPV6, ICMP6_FILTER) => self.set_filter(ctx, val, len, true),
            (true, SOL_RAW, _) | (true, SOL_IPV6, IPV6_CHECKSUM | IPV6_HDRINCL) => {
                self.set_raw6(ctx, level, opt, val, len)
            }
            (false, SOL_IP, _) | (true, SOL_IPV6, _) => {
                let raw = match read_opt(ctx, val, len) {
                    Ok(r) => r,
                    Err(e) => return Some(Err(e)),
                };
                let family = self.d.family;
                return self
                    .d
                    .state
                    .borrow_mut()
                    .inet
                    .set(family, false, level, opt, &raw);
            }
            _ => Err(Errno::ENOPROTOOPT),
        })
    }

    fn getsockopt(
        &self,
        _ctx: &TrapContext,
        level: i32,
        opt: i32,
        _len: usize,
    ) -> Option<Result<Vec<u8>>> {
        let v6 = self.d.v6();
        let filter = || self.d.net.with_stack(|s| s.taps.filter(self.d.id).clone());
        Some(match (v6, level, opt) {
            (_, SOL_SOCKET, _) => return self.d.socket_option(opt),
            (false, SOL_RAW, ICMP_FILTER) if self.protocol != IPPROTO_ICMP => {
                Err(Errno::EOPNOTSUPP)
            }
            (false, SOL_RAW, ICMP_FILTER) => Ok(filter().icmp.to_ne_bytes().to_vec()),
            (true, SOL_ICMPV6, _) if self.protocol != IPPROTO_ICMPV6 => Err(Errno::EOPNOTSUPP),
            (true, SOL_ICMPV6, ICMP6_FILTER) => Ok(filter()
                .icmp6
                .iter()
                .flat_map(|w| w.to_ne_bytes())
                .collect()),
            (true, SOL_RAW, _) | (true, SOL_IPV6, IPV6_CHECKSUM | IPV6_HDRINCL) => {
                self.raw6_option(opt)
            }
            (false, SOL_IP, _) | (true, SOL_IPV6, _) => {
                let family = self.d.family;
                return self.d.state.borrow().inet.get(family, false, level, opt);
            }
            _ => Err(Errno::ENOPROTOOPT),
        })
    }

    fn poll(&self) -> PollEvents {
        self.d.poll()
    }

    fn wait_queue(&self) -> &WaitQueue {
        &self.d.wait
    }

    /// SIOCINQ: the size of the next packet as a receive returns it.
    fn ioctl(&self, user: &dyn UserMemory, cmd: u32, arg: u64) -> Result<u64> {
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
        self.d.net.with_stack(|s| s.raw_socks.remove(&self.d.id));
        self.d.release();
    }
}
