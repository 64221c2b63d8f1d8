//! What raw and ping sockets receive and send through (Linux's
//! `raw_v4_input`, `ipv6_raw_deliver` and `ping_rcv`). smoltcp hands a
//! copy of every packet of one IP version and protocol to each of its raw
//! sockets; the stack keeps one such socket, a *tap*, per version and
//! protocol in use. After every round of `Stack::poll`, `deliver` empties
//! the taps and queues each packet on every receiver whose filter takes
//! it (protocol, addresses, ICMP_FILTER, a ping socket's identifier),
//! waking its waiters. A send queues a whole IP packet on the tap of its
//! protocol, which smoltcp transmits (rewriting the IPv4 header from what
//! it parses: options, TOS and identifier are not kept). The identifiers
//! of ping sockets (Linux's `ping_get_port`, one table for both families)
//! are here too.

use super::packet::{self, Received};
use arch::{Errno, Result};
use fs::WaitQueue;
use smoltcp::iface::{SocketHandle, SocketSet};
use smoltcp::socket::raw;
use smoltcp::wire::{IpProtocol, IpVersion};
use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;

/// The receive buffer of a tap (smoltcp's copy of each packet waits there
/// until the end of the poll round) and its packet count.
const TAP_RX_BYTES: usize = 256 << 10;
const TAP_RX_PACKETS: usize = 256;
/// The send buffer of a tap (emptied by the poll after each send).
const TAP_TX_BYTES: usize = 128 << 10;
const TAP_TX_PACKETS: usize = 16;
/// What a queued packet costs beyond its bytes (Linux charges an skb's
/// truesize against SO_RCVBUF).
const PACKET_OVERHEAD: usize = 256;

/// Which packets a receiver takes besides its protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Kind {
    /// A raw socket: every packet of its protocol.
    Raw,
    /// A ping socket: echo replies to its identifier, none before it has one.
    Ping(Option<u16>),
}

/// A receiver's filter (the fields of Linux's `__raw_v4_lookup`,
/// `icmp_filter` and `ping_lookup`).
#[derive(Clone, Debug)]
pub(super) struct Filter {
    pub v6: bool,
    pub protocol: u8,
    pub kind: Kind,
    /// The bound (or connected) local address; None takes any.
    pub local: Option<IpAddr>,
    /// A connected raw socket's peer: only its packets.
    pub peer: Option<IpAddr>,
    /// ICMP_FILTER: ICMP types below 32 whose bit is set are dropped.
    pub icmp: u32,
    /// ICMP6_FILTER: ICMPv6 types whose bit is set are dropped.
    pub icmp6: [u32; 8],
    /// IPV6_CHECKSUM of an IPv6 raw socket: packets whose checksum is
    /// wrong are dropped.
    pub checksum: bool,
    /// False once Linux would have unhashed the socket (a raw socket
    /// disconnected with AF_UNSPEC): nothing arrives.
    pub hashed: bool,
    /// When a ping socket took its identifier: of the ping sockets of a
    /// family sharing one, the last to take it gets the replies (Linux
    /// adds it at the head of its hash chain).
    bound_at: u64,
}

impl Filter {
    /// Returns a filter of a socket of `protocol` that takes everything.
    pub(super) fn new(v6: bool, protocol: u8, kind: Kind) -> Filter {
        Filter {
            v6,
            protocol,
            kind,
            local: None,
            peer: None,
            icmp: 0,
            icmp6: [0; 8],
            checksum: false,
            hashed: true,
            bound_at: 0,
        }
    }

    /// Returns whether the receiver takes the packet `h` with `payload`.
    fn takes(&self, h: &Received, payload: &[u8]) -> bool {
        if !self.hashed || h.protocol != self.protocol || h.src.is_ipv6() != self.v6 {
            return false;
        }
        if self
            .local
            .is_some_and(|a| !a.is_unspecified() && a != h.dst)
        {
            return false;
        }
        let ty = payload.first().copied();
        match self.kind {
            Kind::Ping(ident) => {
                let echo_reply = if self.v6 {
                    [packet::ICMPV6_ECHO_REPLY, packet::ICMPV6_EXT_ECHO_REPLY]
                } else {
                    [packet::ICMP_ECHOREPLY, packet::ICMP_EXT_ECHOREPLY]
                };
                let id = payload.get(4..6).map(|b| u16::from_be_bytes([b[0], b[1]]));
                ident.is_some() && id == ident && ty.is_some_and(|t| echo_reply.contains(&t))
            }
            Kind::Raw => {
                if self.peer.is_some_and(|p| p != h.src) {
                    return false;
                }
                match (self.v6, self.protocol) {
                    // Linux looks at a whole ICMP header or drops it.
                    (false, 1) => match ty.filter(|_| payload.len() >= packet::ICMP_HEADER) {
                        Some(t) if t < 32 => self.icmp & (1 << t) == 0,
                        Some(_) => true,
                        None => false,
                    },
                    (true, 58) => {
                        let Some(t) = ty.filter(|_| payload.len() >= 4) else {
                            return false;
                        };
                        if self.icmp6[usize::from(t >> 5)] & (1 << (t & 31)) != 0 {
                            return false;
                        }
                        !self.checksum || checksum_ok(h, payload)
                    }
                    _ => !self.checksum || checksum_ok(h, payload),
                }
            }
        }
    }
}

/// Returns whether an IPv6 payload's checksum is right.
fn checksum_ok(h: &Received, payload: &[u8]) -> bool {
    match (h.src, h.dst) {
        (IpAddr::V6(s), IpAddr::V6(d)) => packet::checksum_ok_v6(payload, s, d, h.protocol),
        _ => true,
    }
}

/// A packet queued on a receiver.
#[derive(Clone, Debug)]
pub(super) struct Packet {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub ttl: u8,
    pub tos: u8,
    /// What a receive returns: the whole packet for an IPv4 raw socket,
    /// else the payload (ICMP message).
    pub data: Vec<u8>,
    /// The time it arrived (CLOCK_REALTIME: seconds, nanoseconds).
    pub stamp: (i64, i64),
}

struct Receiver {
    filter: Filter,
    queue: VecDeque<Packet>,
    /// What the queue is charged (against `rcvbuf`).
    charged: usize,
    rcvbuf: usize,
    wait: Arc<WaitQueue>,
}

struct Tap {
    handle: SocketHandle,
    /// The receivers that need it; a tap only sent through has none and
    /// goes at the next delivery.
    users: usize,
}

/// The taps, receivers and ping identifiers of a stack.
#[derive(Default)]
pub(crate) struct Taps {
    taps: BTreeMap<(bool, u8), Tap>,
    receivers: BTreeMap<u64, Receiver>,
    /// Ping identifiers and their holders (socket id, SO_REUSEADDR).
    idents: BTreeMap<u16, Vec<(u64, bool)>>,
    rover: u16,
    /// Identifiers taken so far (the order of `Filter::bound_at`).
    binds: u64,
}

impl Taps {
    /// Returns the tap of `v6` and `protocol`, made if there is none.
    fn tap(&mut self, sockets: &mut SocketSet<'static>, v6: bool, protocol: u8) -> &mut Tap {
        self.taps.entry((v6, protocol)).or_insert_with(|| {
            let rx = raw::PacketBuffer::new(
                vec![raw::PacketMetadata::EMPTY; TAP_RX_PACKETS],
                vec![0u8; TAP_RX_BYTES],
            );
            let tx = raw::PacketBuffer::new(
                vec![raw::PacketMetadata::EMPTY; TAP_TX_PACKETS],
                vec![0u8; TAP_TX_BYTES],
            );
            let version = if v6 { IpVersion::Ipv6 } else { IpVersion::Ipv4 };
            let sock = raw::Socket::new(version, IpProtocol::from(protocol), rx, tx);
            Tap {
                handle: sockets.add(sock),
                users: 0,
            }
        })
    }

    /// Registers the receiver `id` with `filter`, queueing at most `rcvbuf`
    /// bytes and waking `wait`.
    pub(super) fn open(
        &mut self,
        sockets: &mut SocketSet<'static>,
        id: u64,
        filter: Filter,
        rcvbuf: usize,
        wait: Arc<WaitQueue>,
    ) {
        self.tap(sockets, filter.v6, filter.protocol).users += 1;
        self.receivers.insert(
            id,
            Receiver {
                filter,
                queue: VecDeque::new(),
                charged: 0,
                rcvbuf,
                wait,
            },
        );
    }

    /// Removes the receiver `id` and its identifier.
    pub(super) fn close(&mut self, id: u64) {
        if let Some(r) = self.receivers.remove(&id) {
            if let Some(t) = self.taps.get_mut(&(r.filter.v6, r.filter.protocol)) {
                t.users = t.users.saturating_sub(1);
            }
            if let Kind::Ping(Some(ident)) = r.filter.kind {
                self.release_ident(id, ident);
            }
        }
    }

    /// Returns the filter of receiver `id`.
    pub(super) fn filter(&mut self, id: u64) -> &mut Filter {
        &mut self
            .receivers
            .get_mut(&id)
            .expect("an open receiver")
            .filter
    }

    /// Sets what the queue of `id` may hold (SO_RCVBUF).
    pub(super) fn set_rcvbuf(&mut self, id: u64, rcvbuf: usize) {
        if let Some(r) = self.receivers.get_mut(&id) {
            r.rcvbuf = rcvbuf;
        }
    }

    /// Takes (or with `peek` copies) the next packet queued for `id`.
    pub(super) fn take(&mut self, id: u64, peek: bool) -> Option<Packet> {
        let r = self.receivers.get_mut(&id)?;
        if peek {
            return r.queue.front().cloned();
        }
        let p = r.queue.pop_front()?;
        r.charged -= p.data.len() + PACKET_OVERHEAD;
        Some(p)
    }

    /// Returns what the queue of `id` is charged (sock_diag's rmem).
    pub(super) fn queued(&self, id: u64) -> usize {
        self.receivers.get(&id).map_or(0, |r| r.charged)
    }

    /// Returns the length of the next packet queued for `id`.
    pub(super) fn next_len(&self, id: u64) -> Option<usize> {
        self.receivers.get(&id)?.queue.front().map(|p| p.data.len())
    }

    /// Queues the IP packet `p` of `v6` and `protocol` for sending:
    /// ENOBUFS when the tap's buffer is full.
    pub(super) fn send(
        &mut self,
        sockets: &mut SocketSet<'static>,
        v6: bool,
        protocol: u8,
        p: &[u8],
    ) -> Result<()> {
        let h = self.tap(sockets, v6, protocol).handle;
        sockets
            .get_mut::<raw::Socket>(h)
            .send_slice(p)
            .map_err(|_| Errno::ENOBUFS)
    }

    /// Takes the packets out of the taps and queues them on the receivers
    /// that take them; drops the taps nobody receives from.
    pub(crate) fn deliver(&mut self, sockets: &mut SocketSet<'static>) {
        let stamp = arch::host::time::clock_gettime(0).unwrap_or((0, 0));
        for tap in self.taps.values() {
            let sock = sockets.get_mut::<raw::Socket>(tap.handle);
            while let Ok(p) = sock.recv() {
                let Some(h) = packet::parse(p) else {
                    continue;
                };
                let payload = &p[h.header_len.min(p.len())..];
                // Every raw socket that takes it gets a copy, and one ping
                // socket: the last bound of those that take it.
                let ping = self
                    .receivers
                    .iter()
                    .filter(|(_, r)| matches!(r.filter.kind, Kind::Ping(_)))
                    .filter(|(_, r)| r.filter.takes(&h, payload))
                    .max_by_key(|(_, r)| r.filter.bound_at)
                    .map(|(&id, _)| id);
                for (id, r) in self.receivers.iter_mut() {
                    let wanted = match r.filter.kind {
                        Kind::Ping(_) => ping == Some(*id),
                        Kind::Raw => r.filter.takes(&h, payload),
                    };
                    if !wanted || r.charged >= r.rcvbuf {
                        continue;
                    }
                    let data = if r.filter.v6 || matches!(r.filter.kind, Kind::Ping(_)) {
                        payload.to_vec()
                    } else {
                        p.to_vec()
                    };
                    r.charged += data.len() + PACKET_OVERHEAD;
                    r.queue.push_back(Packet {
                        src: h.src,
                        dst: h.dst,
                        ttl: h.ttl,
                        tos: h.tos,
                        data,
                        stamp,
                    });
                    r.wait.wake_all();
                }
            }
        }
        self.taps.retain(|_, t| {
            let idle = t.users == 0 && sockets.get::<raw::Socket>(t.handle).send_queue() == 0;
            if idle {
                sockets.remove(t.handle);
            }
            !idle
        });
    }

    /// Takes the ping identifier `ident` for socket `id` (0: a free one
    /// after the last one given, as Linux's `ping_get_port`) and makes its
    /// receiver take the replies to it: EADDRINUSE if another holds it
    /// and not both have SO_REUSEADDR (on unless turned off), or none is
    /// free.
    pub(super) fn bind_ident(&mut self, id: u64, ident: u16, reuse: bool) -> Result<u16> {
        let ident = if ident == 0 {
            let mut candidate = self.rover;
            let free = (0..=u16::MAX).find_map(|_| {
                candidate = candidate.wrapping_add(1).max(1);
                (!self.idents.contains_key(&candidate)).then_some(candidate)
            });
            let ident = free.ok_or(Errno::EADDRINUSE)?;
            self.rover = ident;
            ident
        } else {
            let holders = self.idents.get(&ident).map_or(&[][..], Vec::as_slice);
            if holders.iter().any(|&(o, r)| o != id && !(r && reuse)) {
                return Err(Errno::EADDRINUSE);
            }
            ident
        };
        self.idents.entry(ident).or_default().push((id, reuse));
        self.binds += 1;
        if let Some(r) = self.receivers.get_mut(&id) {
            r.filter.kind = Kind::Ping(Some(ident));
            r.filter.bound_at = self.binds;
        }
        Ok(ident)
    }

    /// Gives back socket `id`'s hold on `ident`.
    pub(super) fn release_ident(&mut self, id: u64, ident: u16) {
        if let Some(h) = self.idents.get_mut(&ident) {
            h.retain(|&(o, _)| o != id);
            if h.is_empty() {
                self.idents.remove(&ident);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn v4(protocol: u8, payload: &[u8]) -> (Received, Vec<u8>) {
        let h = packet::Header {
            src: Ipv4Addr::LOCALHOST.into(),
            dst: Ipv4Addr::LOCALHOST.into(),
            protocol,
            ttl: 64,
            tos: 0,
        };
        let p = packet::build_v4(&h, payload);
        (packet::parse(&p).expect("well formed"), payload.to_vec())
    }

    #[test]
    fn filters_follow_linux() {
        let echo_reply = [0u8, 0, 0, 0, 0x12, 0x34, 0, 1];
        let (h, payload) = v4(1, &echo_reply);
        let mut ping = Filter::new(false, 1, Kind::Ping(Some(0x1234)));
        assert!(ping.takes(&h, &payload));
        ping.kind = Kind::Ping(Some(0x1235));
        assert!(!ping.takes(&h, &payload));
        ping.kind = Kind::Ping(None);
        assert!(!ping.takes(&h, &payload));
        // An echo request to the identifier is not a ping socket's.
        let (req, req_payload) = v4(1, &[8, 0, 0, 0, 0x12, 0x34, 0, 1]);
        let ping = Filter::new(false, 1, Kind::Ping(Some(0x1234)));
        assert!(!ping.takes(&req, &req_payload));

        let mut raw = Filter::new(false, 1, Kind::Raw);
        assert!(raw.takes(&h, &payload) && raw.takes(&req, &req_payload));
        raw.icmp = 1 << 8;
        assert!(raw.takes(&h, &payload) && !raw.takes(&req, &req_payload));
        raw.peer = Some(Ipv4Addr::new(127, 0, 0, 2).into());
        assert!(!raw.takes(&h, &payload));
        let raw6 = Filter::new(true, 1, Kind::Raw);
        assert!(!raw6.takes(&h, &payload));
        let udp = Filter::new(false, 17, Kind::Raw);
        assert!(!udp.takes(&h, &payload));
    }

    #[test]
    fn icmp6_filter_and_checksum() {
        let lo = Ipv6Addr::LOCALHOST;
        let mut payload = vec![129u8, 0, 0, 0, 0, 1, 0, 1];
        packet::fill_checksum(&mut payload, 2, Some((lo, lo, 58)));
        let h = Received {
            src: lo.into(),
            dst: lo.into(),
            protocol: 58,
            ttl: 64,
            tos: 0,
            header_len: 40,
        };
        let mut f = Filter::new(true, 58, Kind::Raw);
        f.checksum = true;
        assert!(f.takes(&h, &payload));
        f.icmp6[4] = 1 << 1;
        assert!(!f.takes(&h, &payload));
        f.icmp6[4] = 0;
        payload[7] ^= 1;
        assert!(!f.takes(&h, &payload));
    }

    #[test]
    fn ping_identifiers() {
        let mut t = Taps::default();
        let a = t.bind_ident(1, 0, false).expect("free");
        let b = t.bind_ident(2, 0, false).expect("free");
        assert_ne!(a, b);
        assert_eq!(t.bind_ident(3, a, false), Err(Errno::EADDRINUSE));
        t.bind_ident(4, 9, true).expect("free");
        t.bind_ident(5, 9, true).expect("both reuse");
        assert_eq!(t.bind_ident(6, 9, false), Err(Errno::EADDRINUSE));
        t.release_ident(1, a);
        assert_eq!(t.bind_ident(3, a, false), Ok(a));
    }
}
