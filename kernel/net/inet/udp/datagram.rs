//! The path of one datagram through a UDP or UDP-Lite socket: its
//! destination, the source address, hop limit and TOS a send's control
//! messages and the socket's options give it (the mark the device writes
//! into its header), and on receive its bytes with what the device read
//! from the header that arrived (for the control messages).

use super::{Incoming, Rx, State, UdpSocket, MAX_PAYLOAD_V4, MAX_PAYLOAD_V6, TX_BYTES};
use crate::net::inet::addr::{self, Endpoint, SockAddr};
use crate::net::inet::cmsg::{Arrival, SendParams};
use crate::net::inet::device::{HeaderMark, PacketInfo, PacketKey};
use crate::net::inet::packet::{self, Header, IPV6_HEADER, MAX_PACKET};
use crate::net::inet::stack::Stack;
use crate::net::inet::{AF_INET6, IPPROTO_UDP};
use arch::{Errno, Result};
use smoltcp::iface::SocketHandle;
use smoltcp::socket::udp;
use smoltcp::wire::IpEndpoint;
use std::net::IpAddr;

/// The length of a UDP header.
const UDP_HEADER: usize = 8;

impl UdpSocket {
    /// Checks the source address and interface a send's control messages
    /// chose for a datagram to an IPv4 (`v4`) or IPv6 destination, in the
    /// order Linux's IPv4 route lookup (`ip_route_output_key_hash_rcu`)
    /// and `ip6_datagram_send_ctl` do: over IPv4 EINVAL for a multicast,
    /// broadcast or "this network" source, ENETUNREACH for one not of this
    /// host, then ENODEV for an interface that does not exist; over IPv6
    /// ENODEV, then EINVAL for a source not of this host.
    pub(super) fn check_params(stack: &Stack, p: &SendParams, v4: bool) -> Result<()> {
        let src = p.src.filter(|a| !a.is_unspecified());
        let no_dev = p.ifindex.is_some_and(|i| stack.net().device(i).is_none());
        match src {
            Some(IpAddr::V4(a)) if v4 => {
                if a.is_multicast() || a.is_broadcast() || a.octets()[0] == 0 {
                    return Err(Errno::EINVAL);
                }
                if !stack.is_local(IpAddr::V4(a)) {
                    return Err(Errno::ENETUNREACH);
                }
            }
            _ if no_dev => return Err(Errno::ENODEV),
            Some(a) if addr::unmap(a).is_ipv4() || !stack.is_local(a) => {
                return Err(Errno::EINVAL);
            }
            _ => {}
        }
        if no_dev {
            return Err(Errno::ENODEV);
        }
        Ok(())
    }

    /// Returns the destination of a send to `to` (or the peer): EDESTADDRREQ
    /// without either, EINVAL/EAFNOSUPPORT for a bad address.
    pub(super) fn destination(&self, s: &State, to: Option<&[u8]>) -> Result<Endpoint> {
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

    /// Sends `data` from `src`, `port` to `to` in an IPv6 packet built
    /// here, which the stack fragments.
    fn send_whole_v6(
        stack: &mut Stack,
        src: IpAddr,
        port: u16,
        to: Endpoint,
        data: &[u8],
        mark: HeaderMark,
    ) {
        let (IpAddr::V6(s6), IpAddr::V6(d6)) = (src, to.addr) else {
            return;
        };
        let mut udp = Vec::with_capacity(UDP_HEADER + data.len());
        udp.extend_from_slice(&port.to_be_bytes());
        udp.extend_from_slice(&to.port.to_be_bytes());
        udp.extend_from_slice(&((UDP_HEADER + data.len()) as u16).to_be_bytes());
        udp.extend_from_slice(&[0, 0]);
        udp.extend_from_slice(data);
        let proto = IPPROTO_UDP as u8;
        packet::fill_checksum(&mut udp, 6, Some((s6, d6, proto)));
        if udp[6..8] == [0, 0] {
            // UDP over IPv6 sends a zero checksum as all ones.
            udp[6..8].copy_from_slice(&[0xff, 0xff]);
        }
        let h = Header {
            src,
            dst: to.addr,
            protocol: proto,
            ttl: mark.hop_limit,
            tos: mark.tos,
        };
        stack.send_ip6(&packet::build_v6(&h, &udp));
    }

    /// One attempt at queuing `data` to `to`, with what the send's control
    /// messages asked for (`p`, checked).
    pub(super) fn send_one(
        &self,
        stack: &mut Stack,
        s: &mut State,
        data: &[u8],
        to: Endpoint,
        p: &SendParams,
        uid: u32,
    ) -> Result<usize> {
        if s.shut_wr {
            return Err(Errno::EPIPE);
        }
        let v4 = to.addr.is_ipv4();
        let max = if v4 { MAX_PAYLOAD_V4 } else { MAX_PAYLOAD_V6 };
        if data.len() > max || data.len() > s.opts.sndbuf.min(TX_BYTES) {
            return Err(Errno::EMSGSIZE);
        }
        if s.inet.v6only && v4 {
            return Err(Errno::ENETUNREACH);
        }
        if to.port == 0 {
            return Err(Errno::EINVAL);
        }
        let route_src = stack.source_for(to.addr).ok_or(Errno::ENETUNREACH)?;
        let rx = self.autobind(stack, s, uid)?;
        // The bound address, if it is of the destination's IP version.
        let bound = s
            .local
            .map(|l| addr::unmap(l.addr))
            .filter(|a| !a.is_unspecified() && a.is_ipv4() == v4);
        // IP_PKTINFO's wildcard source is the route's, even on a bound
        // socket; IPV6_PKTINFO's leaves the bound one (cmsg.rs).
        let src = match p.src.map(addr::unmap) {
            Some(a) if a.is_unspecified() => route_src,
            Some(a) => a,
            None => bound.unwrap_or(route_src),
        };
        let mark = HeaderMark {
            hop_limit: p
                .hop_limit
                .unwrap_or_else(|| s.inet.hop_limit(self.family, v4)),
            tos: p.tos.unwrap_or_else(|| s.inet.tos(v4)),
        };
        match rx {
            // smoltcp sends no IPv6 packet past 65535 bytes; IPv6 sends
            // larger ones in fragments.
            Rx::Udp(_) if !v4 && data.len() + IPV6_HEADER + UDP_HEADER > MAX_PACKET => {
                let port = s.local.map_or(0, |l| l.port);
                Self::send_whole_v6(stack, src, port, to, data, mark);
            }
            Rx::Udp(h) => {
                let mut meta = udp::UdpMetadata::from(IpEndpoint::new(to.addr.into(), to.port));
                meta.local_address = Some(src.into());
                let sock = stack.sockets.get_mut::<udp::Socket>(h);
                match sock.send_slice(data, meta) {
                    Ok(()) => {}
                    Err(udp::SendError::BufferFull) => return Err(Errno::EAGAIN),
                    Err(udp::SendError::Unaddressable) => return Err(Errno::EINVAL),
                }
                // The header smoltcp will write: ports and length.
                let port = s.local.map_or(0, |l| l.port);
                let mut head = [0u8; 8];
                head[0..2].copy_from_slice(&port.to_be_bytes());
                head[2..4].copy_from_slice(&to.port.to_be_bytes());
                head[4..6].copy_from_slice(&((data.len() + 8) as u16).to_be_bytes());
                let key = PacketKey::new(src, to.addr, IPPROTO_UDP as u8, &head);
                stack.lo.mark(key, mark);
            }
            Rx::UdpLite => {
                let port = s.local.map_or(0, |l| l.port);
                stack.send_udplite(src, port, to, data, mark, s.cscov)?;
            }
        }
        stack.poll();
        Ok(data.len())
    }

    /// Tells a UDP-Lite socket's receive side its new local address and
    /// peer (after connect(2)).
    pub(super) fn rebind(&self, stack: &mut Stack, s: &State) {
        if let (Some(b), Some(local)) = (self.binding(stack), s.local) {
            b.local = local;
            b.peer = s.peer.map(Endpoint::unmapped);
        }
    }

    /// One attempt at taking a datagram: its bytes (copied by `out`), full
    /// length, source and arrival.
    pub(super) fn recv_one(
        &self,
        stack: &mut Stack,
        s: &mut State,
        peek: bool,
        out: &mut Vec<u8>,
    ) -> Result<Incoming> {
        let eof = || Incoming {
            len: 0,
            from: Endpoint::new(addr::any(self.family), 0),
            arrival: Arrival {
                to: Endpoint::new(addr::any(self.family), 0),
                info: None,
            },
        };
        let got = match s.rx {
            None => None,
            Some(Rx::Udp(h)) => Self::recv_udp(stack, s, h, peek, out),
            Some(Rx::UdpLite) => {
                let b = self.binding(stack).expect("bound");
                let d = if peek {
                    b.queue
                        .front()
                        .map(|d| (d.from, d.to, d.info, d.data.clone()))
                } else {
                    b.pop().map(|d| (d.from, d.to, d.info, d.data))
                };
                d.map(|(from, to, info, data)| {
                    *out = data;
                    Incoming {
                        len: out.len(),
                        from,
                        arrival: Arrival { to, info },
                    }
                })
            }
        };
        match got {
            Some(got) => Ok(got),
            // A shut-down socket reads EOF.
            None if s.shut_rd => Ok(eof()),
            None => Err(Errno::EAGAIN),
        }
    }

    /// Takes (or peeks at) the first datagram of the smoltcp socket `h`
    /// that the socket's filter lets through.
    fn recv_udp(
        stack: &mut Stack,
        s: &State,
        h: SocketHandle,
        peek: bool,
        out: &mut Vec<u8>,
    ) -> Option<Incoming> {
        let sock = stack.sockets.get_mut::<udp::Socket>(h);
        loop {
            let (data, meta) = sock.peek().map(|(d, m)| (d, *m)).ok()?;
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
            let port = s.local.map_or(0, |l| l.port);
            let dst = meta.local_address.map(IpAddr::from);
            let to = Endpoint::new(dst.unwrap_or(from.addr), port);
            let info = PacketInfo::from_meta(meta.meta);
            return Some(Incoming {
                len: out.len(),
                from,
                arrival: Arrival { to, info },
            });
        }
    }
}
