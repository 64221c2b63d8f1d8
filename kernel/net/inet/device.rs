//! The loopback device as smoltcp sees it (Linux's drivers/net/loopback.c):
//! every packet sent is queued and comes back in as received, in order,
//! without TCP and UDP checksums (as Linux marks loopback packets
//! CHECKSUM_UNNECESSARY).
//! The queue is drained by `Stack::poll` within the same call.
//!
//! The device is also where the IP header fields smoltcp does not model
//! meet the sockets. smoltcp sends every packet with a zero TOS (traffic
//! class) and one hop limit per socket, and hands a socket no header field
//! of what it received; Linux's sockets set both per datagram (IP_TOS,
//! IP_TTL, IPV6_TCLASS, IPV6_HOPLIMIT as options or control messages) and
//! report them back (IP_RECVTOS, IP_RECVTTL, IPV6_RECVTCLASS,
//! IPV6_RECVHOPLIMIT, IP_PKTINFO's interface). So:
//!
//! - On the way out a sender registers a `HeaderMark` (the hop limit and
//!   TOS its options and control messages chose) for the packet it just
//!   queued in smoltcp, named by a `PacketKey`: its addresses, protocol
//!   and transport header (ports, length or coverage, and UDP-Lite's
//!   checksum), which smoltcp sends as queued. The device writes the mark
//!   into the packet's header as it transmits it (recomputing an IPv4
//!   header checksum). Marks of one key are taken in the order they were
//!   made, which is the order smoltcp sends a socket's datagrams. (smoltcp
//!   0.12 hands a transmit token the `PacketMeta` of a UDP datagram only
//!   for unfragmented IPv4, and none for raw sockets, so the meta cannot
//!   carry marks.)
//! - On the way in the device reads the interface, hop limit and TOS of
//!   every packet that crosses it (`PacketInfo`). For UDP it packs them in
//!   the packet's `PacketMeta` id (smoltcp's packetmeta-id), which smoltcp
//!   stores with the datagram in the socket's buffer, so nothing is kept
//!   for a datagram that is dropped. smoltcp's raw sockets (which carry
//!   UDP-Lite) store no metadata, so for packets of other protocols than
//!   UDP and TCP the device keeps the info by `PacketKey` for a consumer
//!   that drains its raw socket within the same poll (`take_info`).
//!
//! `Stack::poll` forgets the marks and infos no packet claimed at its end.
//!
//! Packets cross lo as Ethernet frames, as in Linux (whose lo has an
//! Ethernet header of zero addresses, ARPHRD_LOOPBACK): packet sockets
//! (net/packet) see every frame sent (PACKET_OUTGOING) and received, and
//! write frames of their own (`inject`), which come back in like any
//! other. While a packet socket exists, the device copies each frame it
//! sends and receives into `captured`, which `Stack::poll` hands to the
//! packet sockets after each round.

use smoltcp::phy::{
    self, Checksum, ChecksumCapabilities, Device, DeviceCapabilities, Medium, PacketMeta,
};
use smoltcp::time::Instant;
use smoltcp::wire::{IpProtocol, Ipv4Packet, Ipv6Packet};
use std::collections::{BTreeMap, BTreeSet, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use super::ether::{Neighbours, ETH_P_ARP};
use super::frag6::{self, Reassembly};
use crate::net::device::{IpSummed, RxFrame};
use crate::net::packet::{self, Frame, ETH_HLEN};
use crate::net::{Net, NextHop};

/// The largest IP packet: what an IPv4 total length can say (lo's MTU is
/// 65536 in Linux; an IP packet cannot use the last byte).
pub(crate) const LOOPBACK_MTU: usize = 65535;
/// lo's interface index (the first device Linux registers).
pub(crate) const LO_IFINDEX: u32 = 1;
/// How many bytes of the transport header a `PacketKey` holds: UDP's and
/// UDP-Lite's whole header, ICMP's type, code, checksum and echo id.
const KEY_HEAD: usize = 8;
/// The id bit saying that a `PacketMeta` id carries an info.
const META_VALID: u32 = 1 << 31;

/// What the device read from the IP header of a received packet.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct PacketInfo {
    /// The interface it came in on.
    pub ifindex: u32,
    /// The IPv4 TTL or IPv6 hop limit.
    pub hop_limit: u8,
    /// The IPv4 TOS byte or IPv6 traffic class (DSCP and ECN).
    pub tos: u8,
}

impl PacketInfo {
    /// Returns the packet meta carrying the info (15 bits of interface
    /// index, the TOS and the hop limit).
    fn to_meta(self) -> PacketMeta {
        let mut meta = PacketMeta::default();
        meta.id = META_VALID
            | (self.ifindex & 0x7fff) << 16
            | u32::from(self.tos) << 8
            | u32::from(self.hop_limit);
        meta
    }

    /// Returns the info a received datagram's meta carries; None for one
    /// that did not come through this device.
    pub(crate) fn from_meta(meta: PacketMeta) -> Option<PacketInfo> {
        (meta.id & META_VALID != 0).then_some(PacketInfo {
            ifindex: (meta.id >> 16) & 0x7fff,
            tos: (meta.id >> 8) as u8,
            hop_limit: meta.id as u8,
        })
    }

    /// Reads the header of the IP packet `packet` received on `ifindex`.
    fn read(packet: &[u8], ifindex: u32) -> Option<PacketInfo> {
        let (hop_limit, tos) = match packet.first()? >> 4 {
            4 => {
                let p = Ipv4Packet::new_checked(packet).ok()?;
                (p.hop_limit(), p.dscp() << 2 | p.ecn())
            }
            6 => {
                let p = Ipv6Packet::new_checked(packet).ok()?;
                (p.hop_limit(), p.traffic_class())
            }
            _ => return None,
        };
        Some(PacketInfo {
            ifindex,
            hop_limit,
            tos,
        })
    }
}

/// The IP header fields a sender asks the device to write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct HeaderMark {
    /// The IPv4 TTL or IPv6 hop limit.
    pub hop_limit: u8,
    /// The IPv4 TOS byte or IPv6 traffic class.
    pub tos: u8,
}

impl HeaderMark {
    /// Writes the mark into the header of the IP packet `packet`.
    fn apply(self, packet: &mut [u8]) {
        match packet.first().map(|b| b >> 4) {
            Some(4) => {
                if let Ok(mut p) = Ipv4Packet::new_checked(&mut packet[..]) {
                    p.set_hop_limit(self.hop_limit);
                    p.set_dscp(self.tos >> 2);
                    p.set_ecn(self.tos & 3);
                    p.fill_checksum();
                }
            }
            Some(6) => {
                if let Ok(mut p) = Ipv6Packet::new_checked(&mut packet[..]) {
                    p.set_hop_limit(self.hop_limit);
                    p.set_traffic_class(self.tos);
                }
            }
            _ => {}
        }
    }
}

/// Names an IP packet: its addresses, its protocol and the first bytes of
/// its payload (the transport header; UDP's checksum left out, which
/// smoltcp fills in or not as the device's checksum capabilities say).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct PacketKey {
    src: IpAddr,
    dst: IpAddr,
    protocol: u8,
    head: [u8; KEY_HEAD],
}

impl PacketKey {
    /// Returns the key of a packet from `src` to `dst` of `protocol` whose
    /// payload starts with `payload`.
    pub(crate) fn new(src: IpAddr, dst: IpAddr, protocol: u8, payload: &[u8]) -> PacketKey {
        let mut head = [0u8; KEY_HEAD];
        let n = payload.len().min(KEY_HEAD);
        head[..n].copy_from_slice(&payload[..n]);
        if protocol == u8::from(IpProtocol::Udp) {
            head[6..].fill(0);
        }
        PacketKey {
            src,
            dst,
            protocol,
            head,
        }
    }

    /// Returns the key of the IP packet `packet`; None if it is not one
    /// or its transport header does not follow the IP header directly.
    pub(crate) fn of(packet: &[u8]) -> Option<PacketKey> {
        match packet.first()? >> 4 {
            4 => {
                let p = Ipv4Packet::new_checked(packet).ok()?;
                let proto = u8::from(p.next_header());
                Some(Self::new(
                    p.src_addr().into(),
                    p.dst_addr().into(),
                    proto,
                    p.payload(),
                ))
            }
            6 => {
                let p = Ipv6Packet::new_checked(packet).ok()?;
                let proto = u8::from(p.next_header());
                Some(Self::new(
                    p.src_addr().into(),
                    p.dst_addr().into(),
                    proto,
                    p.payload(),
                ))
            }
            _ => None,
        }
    }

    /// Returns whether smoltcp carries what the device read itself (UDP,
    /// in the meta) or the sockets have no use for it (TCP).
    fn has_meta(&self) -> bool {
        self.protocol == u8::from(IpProtocol::Udp) || self.protocol == u8::from(IpProtocol::Tcp)
    }
}

/// The loopback device: a queue of IP packets, its counters, and the
/// header fields of packets in flight that travel without metadata.
#[derive(Default)]
pub(crate) struct Loopback {
    /// Frames sent, to be received.
    queue: VecDeque<InFlight>,
    /// Copies of the frames that crossed lo, for packet sockets.
    pub captured: Vec<Frame>,
    /// Copies of the frames the cards received, by card.
    pub captured_on: Vec<(i32, Frame)>,
    /// Packets and bytes that went round (Linux counts each as sent and
    /// received), until taken.
    packets: u64,
    bytes: u64,
    /// The TCP ports whose listeners have no room (their SYNs are dropped).
    pub full_ports: BTreeSet<u16>,
    /// Packets dropped, until taken.
    dropped: u64,
    /// Marks for packets queued in smoltcp, to write on transmit.
    marks: BTreeMap<PacketKey, VecDeque<HeaderMark>>,
    /// What the device read from received packets without metadata.
    infos: BTreeMap<PacketKey, VecDeque<PacketInfo>>,
    /// IPv6 fragments received, being put together.
    reassembly: Reassembly,
    /// The identification of the next IPv6 packet fragmented.
    frag_id: u32,
    /// lo's MTU (the namespace's setting): IPv6 packets past it leave in
    /// fragments.
    pub mtu: usize,
    /// The addresses of the interfaces that are up (what is this host).
    pub local: Vec<(IpAddr, u8)>,
    /// The neighbours of the Ethernet cards.
    pub neigh: Neighbours,
    /// The namespace whose loopback device this is.
    pub net: std::sync::Weak<Net>,
}

/// Where a packet the stack sends goes.
enum Output {
    /// Round lo, to this host.
    Loopback,
    /// Out of a card to a neighbour (every host of the link, `broadcast`).
    Card {
        oif: i32,
        via: IpAddr,
        broadcast: bool,
    },
    /// Nowhere: no route.
    Drop,
}

/// Returns the destination address of the IP packet `ip`.
fn ip_dst(ip: &[u8]) -> Option<IpAddr> {
    match ip.first()? >> 4 {
        4 => {
            let d: [u8; 4] = ip.get(16..20)?.try_into().ok()?;
            Some(IpAddr::from(d))
        }
        6 => {
            let d: [u8; 16] = ip.get(24..40)?.try_into().ok()?;
            Some(IpAddr::from(d))
        }
        _ => None,
    }
}

/// What the stack reads of a card once for a batch of frames it received.
pub(crate) struct RxCard {
    pub ifindex: i32,
    pub mac: [u8; 6],
    pub mtu: usize,
    /// It cuts TCP segments (`NetDriver::offloads`).
    pub offloads: bool,
}

/// A frame on its way round lo.
struct InFlight {
    /// The frame, with its Ethernet header.
    frame: Vec<u8>,
    /// Its TCP or UDP checksum was left to the device.
    csum_partial: bool,
    /// A packet socket wrote it or a card received it: it did not come
    /// from this host's stack, and is routed as any packet from outside.
    foreign: bool,
    /// The device it came in on.
    ifindex: i32,
}

/// Returns whether an IPv4 packet from outside the stack is a martian
/// Linux drops (`ip_route_input_slow` without route_localnet): from or
/// to 127.0.0.0/8.
fn martian(ip: &[u8]) -> bool {
    ip.first().is_some_and(|b| b >> 4 == 4)
        && (ip.get(12) == Some(&127) || ip.get(16) == Some(&127))
}

/// Returns the destination port of a TCP SYN (without ACK) in the IPv4 or
/// IPv6 packet `p`, if it is one.
fn syn_port(p: &[u8]) -> Option<u16> {
    const TCP: u8 = 6;
    let tcp = match p.first()? >> 4 {
        4 if *p.get(9)? == TCP => p.get(usize::from(p[0] & 0xf) * 4..)?,
        6 if *p.get(6)? == TCP => p.get(40..)?,
        _ => return None,
    };
    let flags = *tcp.get(13)?;
    let (syn, ack) = (flags & 0x02 != 0, flags & 0x10 != 0);
    (syn && !ack).then(|| u16::from_be_bytes([tcp[2], tcp[3]]))
}

/// Returns the transport protocol of the IPv4 or IPv6 packet `p`.
fn ip_protocol(p: &[u8]) -> Option<u8> {
    match p.first()? >> 4 {
        4 => p.get(9).copied(),
        6 => p.get(6).copied(),
        _ => None,
    }
}

impl Loopback {
    /// Returns whether packets wait to be received.
    pub(crate) fn pending(&self) -> bool {
        !self.queue.is_empty()
    }

    /// Returns the packets dropped since the last call.
    pub(crate) fn take_dropped(&mut self) -> u64 {
        std::mem::take(&mut self.dropped)
    }

    /// Returns the packets and bytes that went round since the last call.
    pub(crate) fn take_counts(&mut self) -> (u64, u64) {
        (
            std::mem::take(&mut self.packets),
            std::mem::take(&mut self.bytes),
        )
    }

    /// Drops the packets in flight (the device went down).
    pub(crate) fn flush(&mut self) {
        self.queue.clear();
    }

    /// Sends `frame`, an IP packet after room for lo's link header, which
    /// is written here (zero addresses and the IP version's EtherType).
    fn send_frame(&mut self, mut frame: Vec<u8>, csum_partial: bool) {
        let ethertype = match frame.get(ETH_HLEN).map(|b| b >> 4) {
            Some(6) => packet::ETH_P_IPV6,
            _ => packet::ETH_P_IP,
        };
        frame[12..ETH_HLEN].copy_from_slice(&ethertype.to_be_bytes());
        if packet::capturing() {
            let copy = Frame::outgoing(frame.clone(), None, csum_partial);
            self.captured.push(copy);
        }
        self.packets += 1;
        self.bytes += frame.len() as u64;
        self.queue.push_back(InFlight {
            frame,
            csum_partial,
            foreign: false,
            ifindex: LO_IFINDEX as i32,
        });
    }

    /// Sends the IPv6 packet `p`, in fragments if it is larger than the
    /// MTU (Linux's `ip6_fragment`).
    pub(crate) fn send_ip6(&mut self, p: &[u8]) {
        self.frag_id = self.frag_id.wrapping_add(1);
        for f in frag6::fragment(p, self.mtu, self.frag_id) {
            let mut frame = vec![0u8; ETH_HLEN];
            frame.extend_from_slice(&f);
            self.send_frame(frame, false);
        }
    }

    /// Sends the Ethernet frame `frame` a packet socket (`sender`) wrote:
    /// the other packet sockets see it leave, then it comes back in.
    pub(crate) fn inject(&mut self, frame: Vec<u8>, sender: u64) {
        if packet::capturing() {
            self.captured
                .push(Frame::outgoing(frame.clone(), Some(sender), false));
        }
        self.packets += 1;
        self.bytes += frame.len() as u64;
        self.queue.push_back(InFlight {
            frame,
            csum_partial: false,
            foreign: true,
            ifindex: LO_IFINDEX as i32,
        });
    }

    /// Returns whether `a` is an address of this host: one of an
    /// interface that is up, or in 127.0.0.0/8 while lo has 127.0.0.1/8.
    pub(crate) fn is_local(&self, a: IpAddr) -> bool {
        self.local.iter().any(|&(l, prefix)| {
            l == a || (l.is_loopback() && a.is_loopback() && l.is_ipv4() && prefix <= 8)
        })
    }

    /// Decides where a packet to `dst` goes (Linux's output route).
    fn output(&self, dst: IpAddr) -> Output {
        if self.is_local(dst) {
            return Output::Loopback;
        }
        match super::stack::owner(&self.net).nexthop(dst) {
            Some(NextHop::Via { oif, via }) if oif != LO_IFINDEX as i32 => Output::Card {
                oif,
                via,
                broadcast: false,
            },
            Some(NextHop::Broadcast { oif }) if oif != LO_IFINDEX as i32 => Output::Card {
                oif,
                via: dst,
                broadcast: true,
            },
            Some(_) => Output::Loopback,
            // Multicast without a route stays on this host.
            None if dst.is_multicast() => Output::Loopback,
            None => Output::Drop,
        }
    }

    /// Takes a frame card `ifindex` received (Linux's
    /// `__netif_receive_skb`): the packet sockets see it, ARP answers and
    /// learns, and IP packets for this host go on to the stack.
    pub(crate) fn netif_receive(&mut self, card: &RxCard, rx: RxFrame) {
        let RxFrame { frame, ip_summed } = rx;
        let (ifindex, mac, mtu) = (card.ifindex, card.mac, card.mtu);
        let partial = ip_summed == IpSummed::Partial;
        super::stack::owner(&self.net).count_rx(ifindex, 1, frame.len() as u64);
        if frame.len() < ETH_HLEN {
            return;
        }
        let pkt_type = packet::pkt_type(&frame, &mac, &[0xff; 6]);
        if packet::capturing() {
            self.captured_on
                .push((ifindex, Frame::incoming(frame.clone(), pkt_type, partial)));
        }
        if pkt_type == packet::pkt::OTHERHOST {
            return;
        }
        let ethertype = u16::from_be_bytes([frame[12], frame[13]]);
        if ethertype == ETH_P_ARP {
            let local = |a: Ipv4Addr| self.local.iter().any(|&(l, _)| l == IpAddr::V4(a));
            let mut neigh = std::mem::take(&mut self.neigh);
            neigh.arp_input(ifindex, &frame[ETH_HLEN..], local);
            self.neigh = neigh;
            return;
        }
        if ethertype == packet::ETH_P_IPV6 {
            let local = |a: Ipv6Addr| self.local.iter().any(|&(l, _)| l == IpAddr::V6(a));
            let mut neigh = std::mem::take(&mut self.neigh);
            let was_nd = neigh.ndisc_input(ifindex, &frame[ETH_HLEN..], local);
            self.neigh = neigh;
            if was_nd {
                return;
            }
        }
        let Some(dst) = ip_dst(&frame[ETH_HLEN..]) else {
            return;
        };
        // Not for this host: this host does not forward.
        let to_us =
            self.is_local(dst) || dst.is_multicast() || dst == IpAddr::V4(Ipv4Addr::BROADCAST);
        if !packet::to_ip(&frame, pkt_type) || !to_us {
            return;
        }
        // lo's packets carry no TCP or UDP checksum; a card's must be right,
        // unless the host checked it or never computed it.
        if ip_summed == IpSummed::None && !super::packet::transport_checksum_ok(&frame[ETH_HLEN..])
        {
            super::stack::owner(&self.net).count_drop(ifindex, true, 1);
            return;
        }
        // A peer's SYN may offer segments larger than the card carries:
        // smoltcp sizes its segments by the offer alone (past here nothing
        // checks TCP checksums). A card that cuts segments itself takes
        // them as large as lo's.
        let mut frame = frame;
        if card.offloads {
            self.neigh.flows.received(&mut frame[ETH_HLEN..], mtu);
        } else {
            super::packet::clamp_mss(&mut frame[ETH_HLEN..], mtu);
        }
        self.queue.push_back(InFlight {
            frame,
            csum_partial: partial,
            foreign: true,
            ifindex,
        });
    }

    /// Asks for `mark` to be written into the packet `key` names when it
    /// is sent (one mark per packet, in the order they are sent).
    pub(crate) fn mark(&mut self, key: PacketKey, mark: HeaderMark) {
        self.marks.entry(key).or_default().push_back(mark);
    }

    /// Takes what the device read from the received packet `key` names.
    pub(crate) fn take_info(&mut self, key: &PacketKey) -> Option<PacketInfo> {
        let infos = self.infos.get_mut(key)?;
        let info = infos.pop_front();
        if infos.is_empty() {
            self.infos.remove(key);
        }
        info
    }

    /// Forgets the marks and infos no packet claimed (what smoltcp
    /// dropped); `Stack::poll` calls it when it is done.
    pub(crate) fn forget_notes(&mut self) {
        self.marks.clear();
        self.infos.clear();
    }

    /// Takes the mark registered for the packet `key` names.
    fn take_mark(&mut self, key: &PacketKey) -> Option<HeaderMark> {
        let marks = self.marks.get_mut(key)?;
        let mark = marks.pop_front();
        if marks.is_empty() {
            self.marks.remove(key);
        }
        mark
    }
}

impl Device for Loopback {
    type RxToken<'a> = RxToken;
    type TxToken<'a> = TxToken<'a>;

    fn capabilities(&self) -> DeviceCapabilities {
        let mut caps = DeviceCapabilities::default();
        caps.max_transmission_unit = LOOPBACK_MTU;
        caps.medium = Medium::Ip;
        caps.checksum = ChecksumCapabilities::ignored();
        // ICMP and the IPv4 header are summed in software even on lo
        // (Linux offloads only TCP's and UDP's); nothing is verified.
        caps.checksum.ipv4 = Checksum::Tx;
        caps.checksum.icmpv4 = Checksum::Tx;
        caps.checksum.icmpv6 = Checksum::Tx;
        caps
    }

    fn receive(&mut self, _now: Instant) -> Option<(RxToken, TxToken<'_>)> {
        loop {
            let InFlight {
                frame: buffer,
                csum_partial,
                foreign,
                ifindex,
            } = self.queue.pop_front()?;
            let on_lo = ifindex == LO_IFINDEX as i32;
            // lo's own and broadcast addresses are all zeros; a card's frames
            // were shown to the packet sockets as they came in.
            let pkt_type = if on_lo {
                packet::pkt_type(&buffer, &[0; 6], &[0; 6])
            } else {
                packet::pkt::HOST
            };
            if on_lo && packet::capturing() {
                let frame = Frame::incoming(buffer.clone(), pkt_type, csum_partial);
                self.captured.push(frame);
            }
            // Frames for another address or protocol go no further.
            if !packet::to_ip(&buffer, pkt_type) {
                continue;
            }
            let mut buffer = buffer;
            if foreign && martian(&buffer[ETH_HLEN..]) {
                continue;
            }
            if frag6::is_fragment(&buffer[ETH_HLEN..]) {
                let Some(whole) = self
                    .reassembly
                    .add(&buffer[ETH_HLEN..], std::time::Instant::now())
                else {
                    continue;
                };
                buffer.truncate(ETH_HLEN);
                buffer.extend_from_slice(&whole);
            }
            let ip = &buffer[ETH_HLEN..];
            // A listener with a full accept queue does not see new
            // connections: their SYN is dropped and sent again later, as
            // Linux drops it (tcp_conn_request).
            if syn_port(ip).is_some_and(|p| self.full_ports.contains(&p)) {
                self.dropped += 1;
                continue;
            }
            let info = PacketInfo::read(ip, ifindex as u32);
            if let (Some(info), Some(key)) = (info, PacketKey::of(ip)) {
                if !key.has_meta() {
                    self.infos.entry(key).or_default().push_back(info);
                }
            }
            return Some((RxToken { buffer, info }, TxToken { dev: self }));
        }
    }

    fn transmit(&mut self, _now: Instant) -> Option<TxToken<'_>> {
        Some(TxToken { dev: self })
    }
}

pub(crate) struct RxToken {
    buffer: Vec<u8>,
    info: Option<PacketInfo>,
}

impl phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.buffer[ETH_HLEN..])
    }

    fn meta(&self) -> PacketMeta {
        self.info.map(PacketInfo::to_meta).unwrap_or_default()
    }
}

pub(crate) struct TxToken<'a> {
    dev: &'a mut Loopback,
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        // lo's link header: zero addresses and the IP version's EtherType.
        let mut buffer = vec![0u8; ETH_HLEN + len];
        let r = f(&mut buffer[ETH_HLEN..]);
        let ip = &mut buffer[ETH_HLEN..];
        match ip_dst(ip).map(|d| self.dev.output(d)) {
            Some(Output::Loopback) | None => {}
            Some(Output::Drop) => return r,
            Some(Output::Card {
                oif,
                via,
                broadcast,
            }) => {
                match via {
                    IpAddr::V4(via) => self.dev.neigh.output4(oif, via, broadcast, buffer),
                    IpAddr::V6(via) => self.dev.neigh.output6(oif, via, buffer),
                }
                return r;
            }
        }
        if !self.dev.marks.is_empty() {
            let mark = PacketKey::of(ip).and_then(|k| self.dev.take_mark(&k));
            if let Some(mark) = mark {
                mark.apply(ip);
            }
        }
        // smoltcp sends IPv6 packets past lo's MTU whole (an ICMPv6 echo
        // reply to a large request); IPv6 sends them in fragments.
        if ip.first().is_some_and(|b| b >> 4 == 6) && len > self.dev.mtu {
            let ip = buffer.split_off(ETH_HLEN);
            self.dev.send_ip6(&ip);
            return r;
        }
        // TCP and UDP leave their checksum to the device (Linux's
        // CHECKSUM_PARTIAL on lo), which does not fill it in.
        let partial = matches!(ip_protocol(ip), Some(6 | 17));
        self.dev.send_frame(buffer, partial);
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn metas_round_trip() {
        let info = PacketInfo {
            ifindex: 1,
            hop_limit: 2,
            tos: 0xb8,
        };
        assert_eq!(PacketInfo::from_meta(info.to_meta()), Some(info));
        assert_eq!(PacketInfo::from_meta(PacketMeta::default()), None);
    }

    #[test]
    fn marks_are_written_in_order() {
        use smoltcp::phy::TxToken as _;
        use std::net::Ipv6Addr;
        let mut lo = Loopback::default();
        let a = IpAddr::V6(Ipv6Addr::LOCALHOST);
        // ::1 is this host's: the packets go round lo.
        lo.local = vec![(a, 128)];
        let udp = [0, 1, 0, 2, 0, 9, 0xab, 0xcd];
        let mut packet = vec![0x60, 0, 0, 0, 0, 9, 17, 64];
        packet.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        packet.extend_from_slice(&Ipv6Addr::LOCALHOST.octets());
        packet.extend_from_slice(&udp);
        packet.push(b'x');
        // The key leaves UDP's checksum out.
        let key = PacketKey::new(a, a, 17, &[0, 1, 0, 2, 0, 9, 0, 0]);
        lo.mark(
            key,
            HeaderMark {
                hop_limit: 2,
                tos: 0x28,
            },
        );
        lo.mark(
            key,
            HeaderMark {
                hop_limit: 3,
                tos: 0,
            },
        );
        for want in [(2, 0x28), (3, 0), (64, 0)] {
            let tx = lo.transmit(Instant::ZERO).expect("lo transmits");
            tx.consume(packet.len(), |b| b.copy_from_slice(&packet));
            let sent = lo.queue.pop_back().expect("queued").frame;
            assert_eq!(sent[12..14], [0x86, 0xdd]);
            let info = PacketInfo::read(&sent[ETH_HLEN..], LO_IFINDEX).expect("an IPv6 packet");
            assert_eq!((info.hop_limit, info.tos), want);
        }
    }
}
