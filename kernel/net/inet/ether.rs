//! Ethernet cards under the stack (Linux's net/ethernet/eth.c and the
//! neighbour layer with ARP, net/ipv4/arp.c). smoltcp runs on IP packets
//! (`Medium::Ip`); the device routes each one it sends (`Loopback::route`):
//! a packet for a neighbour on a card gets an Ethernet header with the
//! neighbour's address, which ARP finds (RFC 826): unknown, the packet
//! waits while a request is broadcast, and leaves when the reply comes.
//! Received ARP requests for an address of this host are answered (Linux's
//! default `arp_ignore=0`), and the sender is learnt.
//!
//! IPv6 neighbours are found the same way by neighbour discovery (RFC
//! 4861; Linux's net/ipv6/ndisc.c): a Neighbor Solicitation to the
//! solicited-node group, answered by an Advertisement; solicitations for
//! an address of this host are answered. What concerns address
//! autoconfiguration (a router's advertisement, another host probing or
//! claiming an address) is handed to the stack as an `NdEvent`; the
//! probes and router solicitations it sends are made here.
//!
//! A card that offloads (`NetDriver::offloads`) gets TCP and UDP packets
//! with their checksum left to it and TCP segments of up to 64 KiB whole
//! (`offload`); other cards get them summed and cut to their MTU here.

use super::offload::Flows;
use super::{frag4, frag6, packet};
use crate::net::device::{NetDriver, Offload};
use crate::net::packet::{Frame, ETH_HLEN, ETH_P_IP, ETH_P_IPV6};
use crate::net::Net;
use std::collections::{BTreeMap, VecDeque};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// ARP's EtherType.
pub(crate) const ETH_P_ARP: u16 = 0x0806;
/// How long an unanswered request waits before another is sent.
const RETRANS: Duration = Duration::from_secs(1);
/// How many bytes of packets may wait for one neighbour (Linux's
/// `unres_qlen_bytes`).
const UNRES_QLEN_BYTES: usize = 212_992;
/// The length of an ARP message for IPv4 over Ethernet.
const ARP_LEN: usize = 28;

/// What the stack needs of a card that is up.
pub(super) struct Card {
    pub mac: [u8; 6],
    driver: Arc<dyn NetDriver>,
    /// The card's MTU: packets past it leave in fragments, and TCP's
    /// segments are sized to it.
    pub mtu: usize,
    /// The card fills in checksums and cuts TCP segments.
    pub offloads: bool,
}

impl Card {
    /// Returns card `ifindex` if it is up and has a driver.
    pub(super) fn get(net: &Net, ifindex: i32) -> Option<Card> {
        let st = net.state();
        let d = st.dev(ifindex)?;
        if !d.is_up() {
            return None;
        }
        let driver = d.driver.clone()?;
        Some(Card {
            mac: d.hwaddr,
            offloads: driver.offloads(),
            driver,
            mtu: d.mtu as usize,
        })
    }

    /// Returns the source of a request card `ifindex` sends for a packet
    /// from `from`: that address if the card has it, else the first of
    /// the card's addresses `pick` takes (read only when a neighbour must
    /// be asked for, not for every packet).
    fn source<A: Copy + PartialEq>(
        net: &Net,
        ifindex: i32,
        from: Option<A>,
        addrs: impl Fn(&crate::net::device::NetDevice) -> Vec<A>,
        pick: impl Fn(&A) -> bool,
    ) -> Option<A> {
        let st = net.state();
        let own = addrs(st.dev(ifindex)?);
        from.filter(|f| own.contains(f))
            .or_else(|| own.iter().copied().find(|a| pick(a)))
    }
}

/// Packets waiting for a neighbour's address.
#[derive(Default)]
struct Unresolved {
    packets: VecDeque<Vec<u8>>,
    bytes: usize,
    last_request: Option<Instant>,
}

impl Unresolved {
    /// Keeps the packet `p` (for card `ifindex`) until the neighbour's
    /// address is known, within `UNRES_QLEN_BYTES`; returns whether to ask
    /// for the address now (at most once a second).
    fn wait(&mut self, net: &Net, ifindex: i32, p: Vec<u8>) -> bool {
        if self.bytes + p.len() <= UNRES_QLEN_BYTES {
            self.bytes += p.len();
            self.packets.push_back(p);
        } else {
            net.count_drop(ifindex, false, 1);
        }
        let now = Instant::now();
        if self
            .last_request
            .is_some_and(|t| now.duration_since(t) < RETRANS)
        {
            return false;
        }
        self.last_request = Some(now);
        true
    }
}

/// The neighbours of the cards, by card.
#[derive(Default)]
pub(super) struct Neighbours {
    arp: BTreeMap<(i32, Ipv4Addr), [u8; 6]>,
    unresolved: BTreeMap<(i32, Ipv4Addr), Unresolved>,
    nd: BTreeMap<(i32, Ipv6Addr), [u8; 6]>,
    unresolved6: BTreeMap<(i32, Ipv6Addr), Unresolved>,
    /// The identification of the next IPv6 packet a card fragments.
    frag_id: u32,
    /// The MSS of the TCP connections over cards that cut segments.
    pub flows: Flows,
    /// What neighbour discovery received for the stack's address
    /// autoconfiguration (taken by the stack).
    pub events: Vec<NdEvent>,
    /// Frames sent, for the packet sockets (taken by the stack).
    pub sent: Vec<(i32, Frame)>,
    /// The namespace whose cards these are.
    pub net: Weak<Net>,
}

/// Writes the Ethernet header to `dst` from `src` of `ethertype` into the
/// room left for it at the start of `f`.
fn link_header(f: &mut [u8], dst: [u8; 6], src: [u8; 6], ethertype: u16) {
    f[..6].copy_from_slice(&dst);
    f[6..12].copy_from_slice(&src);
    f[12..ETH_HLEN].copy_from_slice(&ethertype.to_be_bytes());
}

/// Returns `p` after room for an Ethernet header.
fn with_headroom(p: &[u8]) -> Vec<u8> {
    let mut f = vec![0u8; ETH_HLEN];
    f.extend_from_slice(p);
    f
}

/// Returns the Ethernet frame to `dst` from `src` of `ethertype` carrying
/// `payload`.
fn frame(dst: [u8; 6], src: [u8; 6], ethertype: u16, payload: &[u8]) -> Vec<u8> {
    let mut f = Vec::with_capacity(ETH_HLEN + payload.len());
    f.extend_from_slice(&dst);
    f.extend_from_slice(&src);
    f.extend_from_slice(&ethertype.to_be_bytes());
    f.extend_from_slice(payload);
    f
}

/// Returns an ARP message (`op` 1 request, 2 reply) for IPv4 over Ethernet.
fn arp(op: u16, sha: [u8; 6], spa: Ipv4Addr, tha: [u8; 6], tpa: Ipv4Addr) -> Vec<u8> {
    let mut m = Vec::with_capacity(ARP_LEN);
    m.extend_from_slice(&[0, 1, 0x08, 0x00, 6, 4]);
    m.extend_from_slice(&op.to_be_bytes());
    m.extend_from_slice(&sha);
    m.extend_from_slice(&spa.octets());
    m.extend_from_slice(&tha);
    m.extend_from_slice(&tpa.octets());
    m
}

/// Neighbour discovery's ICMPv6 types, advertisement flags and options.
const ND_ROUTER_SOLICIT: u8 = 133;
const ND_ROUTER_ADVERT: u8 = 134;
const ND_SOLICIT: u8 = 135;
const ND_ADVERT: u8 = 136;
const ND_SOLICITED: u8 = 0x40;
const ND_OVERRIDE: u8 = 0x20;
const OPT_SLLA: u8 = 1;
const OPT_TLLA: u8 = 2;

/// What neighbour discovery received that address autoconfiguration
/// (the stack's `Addrconf`) acts on.
#[derive(Debug, PartialEq, Eq)]
pub(super) enum NdEvent {
    /// Another host probes for `target` or claims it: a duplicate if it
    /// is a tentative address of card `ifindex`.
    Claimed { ifindex: i32, target: Ipv6Addr },
    /// A router advertisement (the ICMPv6 message) from `src`.
    RouterAdvert {
        ifindex: i32,
        src: Ipv6Addr,
        msg: Vec<u8>,
    },
}

/// Returns a neighbour discovery message (an IPv6 packet, hop limit 255)
/// of `ty` with `flags` from `src` to `dst` about `target`, carrying the
/// link-layer address option `opt` (its type and the MAC) if any.
fn ndisc(
    ty: u8,
    flags: u8,
    src: Ipv6Addr,
    dst: Ipv6Addr,
    target: Option<Ipv6Addr>,
    opt: Option<(u8, [u8; 6])>,
) -> Vec<u8> {
    let mut icmp = vec![ty, 0, 0, 0, flags, 0, 0, 0];
    if let Some(target) = target {
        icmp.extend_from_slice(&target.octets());
    }
    if let Some((opt, mac)) = opt {
        icmp.extend_from_slice(&[opt, 1]);
        icmp.extend_from_slice(&mac);
    }
    packet::fill_checksum(&mut icmp, 2, Some((src, dst, 58)));
    let h = packet::Header {
        src: IpAddr::V6(src),
        dst: IpAddr::V6(dst),
        protocol: 58,
        ttl: 255,
        tos: 0,
    };
    packet::build_v6(&h, &icmp)
}

/// Returns the solicited-node multicast group of `a` (RFC 4291 2.7.1).
fn solicited_node(a: Ipv6Addr) -> Ipv6Addr {
    let t = a.octets();
    Ipv6Addr::from([
        0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0xff, t[13], t[14], t[15],
    ])
}

/// Returns the Ethernet group address of the IPv6 multicast address `a`.
fn multicast_mac6(a: Ipv6Addr) -> [u8; 6] {
    let g = a.octets();
    [0x33, 0x33, g[12], g[13], g[14], g[15]]
}

/// Returns the source of a neighbour discovery message out of card
/// `ifindex` for a packet from `from`: that address if the card has it,
/// else the card's link-local address; only addresses past duplicate
/// address detection.
fn link_source(net: &Net, ifindex: i32, from: Option<Ipv6Addr>) -> Option<Ipv6Addr> {
    let addrs = |d: &crate::net::device::NetDevice| {
        d.addrs6
            .iter()
            .filter(|a| a.usable())
            .map(|a| a.addr)
            .collect()
    };
    Card::source(net, ifindex, from, addrs, |a: &Ipv6Addr| {
        a.segments()[0] == 0xfe80
    })
}

/// Returns the Ethernet group address of the IPv4 multicast address `a`.
fn multicast_mac(a: Ipv4Addr) -> [u8; 6] {
    let o = a.octets();
    [0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]]
}

impl Neighbours {
    /// Returns the namespace whose cards these are.
    fn net(&self) -> Arc<Net> {
        super::stack::owner(&self.net)
    }

    /// Sends `frame` out of `ifindex` by `card`, counting it; the packet
    /// sockets but its `sender` see it leave.
    fn transmit_from(
        &mut self,
        ifindex: i32,
        card: &Card,
        frame: Vec<u8>,
        offload: Offload,
        sender: Option<u64>,
    ) {
        let len = frame.len() as u64;
        if crate::net::packet::capturing() {
            let partial = offload.csum.is_some();
            self.sent
                .push((ifindex, Frame::outgoing(frame.clone(), sender, partial)));
        }
        match card.driver.transmit(frame, offload) {
            Ok(()) => self.net().count_tx(ifindex, 1, len),
            Err(_) => self.net().count_drop(ifindex, false, 1),
        }
    }

    /// Sends `frame`, which the stack made, out of `ifindex` by `card`.
    fn transmit(&mut self, ifindex: i32, card: &Card, frame: Vec<u8>) {
        self.transmit_from(ifindex, card, frame, Offload::default(), None);
    }

    /// Sends the IP packet in `f` (after room for its Ethernet header) of
    /// `ethertype` to `dst` out of `ifindex`: whole with its offloads if
    /// the card takes them, else summed here and, past the card's MTU, cut
    /// by `fragment`.
    fn send_ip<I: IntoIterator<Item = Vec<u8>>>(
        &mut self,
        ifindex: i32,
        card: &Card,
        (dst, ethertype): ([u8; 6], u16),
        mut f: Vec<u8>,
        fragment: impl FnOnce(&mut Self, &[u8]) -> I,
    ) {
        let mut offload = None;
        if card.offloads {
            offload = self.flows.offload(&mut f[ETH_HLEN..], card.mtu);
        }
        if offload.is_none() {
            packet::fill_transport_checksum(&mut f[ETH_HLEN..]);
        }
        if offload.is_some() || f.len() - ETH_HLEN <= card.mtu {
            link_header(&mut f, dst, card.mac, ethertype);
            self.transmit_from(ifindex, card, f, offload.unwrap_or_default(), None);
            return;
        }
        for p in fragment(self, &f[ETH_HLEN..]) {
            let f = frame(dst, card.mac, ethertype, &p);
            self.transmit(ifindex, card, f);
        }
    }

    /// Sends the IPv4 packet in `f` to `dst` out of `ifindex`.
    fn send4(&mut self, ifindex: i32, card: &Card, dst: [u8; 6], f: Vec<u8>) {
        let mtu = card.mtu;
        self.send_ip(ifindex, card, (dst, ETH_P_IP), f, |_, p| {
            frag4::fragment(p, mtu)
        });
    }

    /// Sends the frame a packet socket (`sender`) wrote out of card
    /// `ifindex` as it is: ENXIO without a card, ENETDOWN if it is down.
    pub(super) fn xmit_frame(
        &mut self,
        ifindex: i32,
        frame: Vec<u8>,
        sender: u64,
    ) -> arch::Result<()> {
        let Some(card) = Card::get(&self.net(), ifindex) else {
            return Err(match self.net().device(ifindex) {
                Some(_) => arch::Errno::ENETDOWN,
                None => arch::Errno::ENXIO,
            });
        };
        self.transmit_from(ifindex, &card, frame, Offload::default(), Some(sender));
        Ok(())
    }

    /// Sends the IPv4 packet in `f` (after room for its Ethernet header)
    /// out of card `ifindex` to the neighbour `via` (`broadcast`: to every
    /// host of the link), resolving its address first if need be.
    pub(super) fn output4(&mut self, ifindex: i32, via: Ipv4Addr, broadcast: bool, mut f: Vec<u8>) {
        let Some(card) = Card::get(&self.net(), ifindex) else {
            return;
        };
        packet::clamp_mss(&mut f[ETH_HLEN..], card.mtu);
        let dst = if broadcast || via == Ipv4Addr::BROADCAST {
            Some([0xff; 6])
        } else if via.is_multicast() {
            Some(multicast_mac(via))
        } else {
            self.arp.get(&(ifindex, via)).copied()
        };
        if let Some(dst) = dst {
            self.send4(ifindex, &card, dst, f);
            return;
        }
        // Wait for the neighbour's address; ask for it at most once a second.
        let from = f
            .get(ETH_HLEN + 12..ETH_HLEN + 16)
            .map(|s| Ipv4Addr::new(s[0], s[1], s[2], s[3]));
        let net = self.net();
        let u = self.unresolved.entry((ifindex, via)).or_default();
        if !u.wait(&net, ifindex, f) {
            return;
        }
        let addrs = |d: &crate::net::device::NetDevice| d.addrs4.iter().map(|a| a.local).collect();
        let src = Card::source(&self.net(), ifindex, from, addrs, |_| true);
        let Some(src) = src else {
            return;
        };
        let req = arp(1, card.mac, src, [0; 6], via);
        let f = frame([0xff; 6], card.mac, ETH_P_ARP, &req);
        self.transmit(ifindex, &card, f);
    }

    /// Takes an ARP message received on card `ifindex`: learns the
    /// sender's address (sending what waited for it) and answers a request
    /// for an address of this host (`is_local`).
    pub(super) fn arp_input(
        &mut self,
        ifindex: i32,
        m: &[u8],
        is_local: impl Fn(Ipv4Addr) -> bool,
    ) {
        if m.len() < ARP_LEN || m[..6] != [0, 1, 0x08, 0x00, 6, 4] {
            return;
        }
        let op = u16::from_be_bytes([m[6], m[7]]);
        let mut sha = [0u8; 6];
        sha.copy_from_slice(&m[8..14]);
        let spa = Ipv4Addr::new(m[14], m[15], m[16], m[17]);
        let tpa = Ipv4Addr::new(m[24], m[25], m[26], m[27]);
        if sha[0] & 1 != 0 || spa.is_unspecified() {
            return;
        }
        let Some(card) = Card::get(&self.net(), ifindex) else {
            return;
        };
        let for_us = is_local(tpa);
        // Learn the sender when the message is for us, or update what is
        // known already (Linux's arp_process).
        if for_us || self.arp.contains_key(&(ifindex, spa)) {
            self.arp.insert((ifindex, spa), sha);
            if let Some(u) = self.unresolved.remove(&(ifindex, spa)) {
                for p in u.packets {
                    self.send4(ifindex, &card, sha, p);
                }
            }
        }
        if op == 1 && for_us {
            let reply = arp(2, card.mac, tpa, sha, spa);
            let f = frame(sha, card.mac, ETH_P_ARP, &reply);
            self.transmit(ifindex, &card, f);
        }
    }

    /// Forgets what was learnt on the cards that are not up (went down
    /// or away), as Linux flushes a device's neighbours.
    pub(super) fn forget_down(&mut self, up: impl Fn(i32) -> bool) {
        self.arp.retain(|(i, _), _| up(*i));
        self.unresolved.retain(|(i, _), _| up(*i));
        self.nd.retain(|(i, _), _| up(*i));
        self.unresolved6.retain(|(i, _), _| up(*i));
    }

    /// Sends the IPv6 packet in `f` (after room for its Ethernet header)
    /// to `dst` out of `ifindex`.
    fn send6(&mut self, ifindex: i32, card: &Card, dst: [u8; 6], f: Vec<u8>) {
        let mtu = card.mtu;
        self.send_ip(ifindex, card, (dst, ETH_P_IPV6), f, |s, p| {
            s.frag_id = s.frag_id.wrapping_add(1);
            frag6::fragment(p, mtu, s.frag_id)
        });
    }

    /// Sends the IPv6 packet in `f` (after room for its Ethernet header)
    /// out of card `ifindex` to the neighbour `via`, finding its address
    /// first if need be.
    pub(super) fn output6(&mut self, ifindex: i32, via: Ipv6Addr, mut f: Vec<u8>) {
        let Some(card) = Card::get(&self.net(), ifindex) else {
            return;
        };
        packet::clamp_mss(&mut f[ETH_HLEN..], card.mtu);
        let dst = if via.is_multicast() {
            Some(multicast_mac6(via))
        } else {
            self.nd.get(&(ifindex, via)).copied()
        };
        if let Some(dst) = dst {
            self.send6(ifindex, &card, dst, f);
            return;
        }
        let from = f
            .get(ETH_HLEN + 8..ETH_HLEN + 24)
            .and_then(|s| <[u8; 16]>::try_from(s).ok())
            .map(Ipv6Addr::from);
        let net = self.net();
        let u = self.unresolved6.entry((ifindex, via)).or_default();
        if !u.wait(&net, ifindex, f) {
            return;
        }
        let Some(src) = link_source(&self.net(), ifindex, from) else {
            return;
        };
        // A Neighbor Solicitation to the target's solicited-node group.
        let group = solicited_node(via);
        let ns = ndisc(
            ND_SOLICIT,
            0,
            src,
            group,
            Some(via),
            Some((OPT_SLLA, card.mac)),
        );
        self.send6(ifindex, &card, multicast_mac6(group), with_headroom(&ns));
    }

    /// Sends duplicate address detection's probe for `target` out of card
    /// `ifindex` (RFC 4862 5.4.2): a Neighbor Solicitation from the
    /// unspecified address to the target's solicited-node group.
    pub(super) fn dad_probe(&mut self, ifindex: i32, target: Ipv6Addr) {
        let Some(card) = Card::get(&self.net(), ifindex) else {
            return;
        };
        let group = solicited_node(target);
        let ns = ndisc(
            ND_SOLICIT,
            0,
            Ipv6Addr::UNSPECIFIED,
            group,
            Some(target),
            None,
        );
        self.send6(ifindex, &card, multicast_mac6(group), with_headroom(&ns));
    }

    /// Sends a Router Solicitation out of card `ifindex` to all routers
    /// (RFC 4861 6.3.7), from its link-local address once that is usable.
    pub(super) fn router_solicit(&mut self, ifindex: i32) {
        let Some(card) = Card::get(&self.net(), ifindex) else {
            return;
        };
        let routers = Ipv6Addr::new(0xff02, 0, 0, 0, 0, 0, 0, 2);
        let src = link_source(&self.net(), ifindex, None);
        let opt = src.map(|_| (OPT_SLLA, card.mac));
        let src = src.unwrap_or(Ipv6Addr::UNSPECIFIED);
        let rs = ndisc(ND_ROUTER_SOLICIT, 0, src, routers, None, opt);
        self.send6(ifindex, &card, multicast_mac6(routers), with_headroom(&rs));
    }

    /// Takes a neighbour discovery message `p` (an IPv6 packet) received on
    /// card `ifindex`; returns whether it was one. Solicitations for an
    /// address of this host are answered, advertisements learnt.
    pub(super) fn ndisc_input(
        &mut self,
        ifindex: i32,
        p: &[u8],
        is_local: impl Fn(Ipv6Addr) -> bool,
    ) -> bool {
        // ICMPv6 right after the fixed header, of types 133 to 137.
        if p.len() < 40 + 8 || p[6] != 58 || !(ND_ROUTER_SOLICIT..=137).contains(&p[40]) {
            return false;
        }
        let addr =
            |at: usize| Ipv6Addr::from(<[u8; 16]>::try_from(&p[at..at + 16]).unwrap_or([0; 16]));
        let (src, ty) = (addr(8), p[40]);
        // RFC 4861 6.1.2, 7.1: a hop limit of 255, code 0; an advertising
        // router speaks from its link-local address.
        if p[7] != 255 || p[41] != 0 {
            return true;
        }
        if ty == ND_ROUTER_ADVERT {
            if p.len() >= 40 + 16 && src.segments()[0] & 0xffc0 == 0xfe80 {
                self.events.push(NdEvent::RouterAdvert {
                    ifindex,
                    src,
                    msg: p[40..].to_vec(),
                });
            }
            return true;
        }
        if !matches!(ty, ND_SOLICIT | ND_ADVERT) || p.len() < 40 + 24 {
            return true;
        }
        let target = addr(48);
        let Some(card) = Card::get(&self.net(), ifindex) else {
            return true;
        };
        // The link-layer address option (source for a solicitation,
        // target for an advertisement).
        let mut lladdr = None;
        let mut opts = &p[64..];
        while opts.len() >= 8 && opts[1] != 0 {
            let len = usize::from(opts[1]) * 8;
            if opts.len() < len {
                break;
            }
            if matches!(opts[0], OPT_SLLA | OPT_TLLA) {
                lladdr = <[u8; 6]>::try_from(&opts[2..8]).ok();
            }
            opts = &opts[len..];
        }
        let learn = |s: &mut Self, ip: Ipv6Addr, mac: [u8; 6]| {
            s.nd.insert((ifindex, ip), mac);
            if let Some(u) = s.unresolved6.remove(&(ifindex, ip)) {
                for q in u.packets {
                    s.send6(ifindex, &card, mac, q);
                }
            }
        };
        match ty {
            ND_SOLICIT if is_local(target) => {
                let to = if src.is_unspecified() {
                    Ipv6Addr::from([0xff, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1])
                } else {
                    src
                };
                if let (Some(mac), false) = (lladdr, src.is_unspecified()) {
                    learn(self, src, mac);
                }
                let flags = if src.is_unspecified() {
                    ND_OVERRIDE
                } else {
                    ND_SOLICITED | ND_OVERRIDE
                };
                let na = ndisc(
                    ND_ADVERT,
                    flags,
                    target,
                    to,
                    Some(target),
                    Some((OPT_TLLA, card.mac)),
                );
                let dst = match lladdr {
                    Some(mac) if !src.is_unspecified() => mac,
                    _ => [0x33, 0x33, 0, 0, 0, 1],
                };
                self.send6(ifindex, &card, dst, with_headroom(&na));
            }
            // Someone probing for an address not (yet) this host's.
            ND_SOLICIT if src.is_unspecified() => {
                self.events.push(NdEvent::Claimed { ifindex, target });
            }
            ND_ADVERT => {
                self.events.push(NdEvent::Claimed { ifindex, target });
                if let Some(mac) = lladdr {
                    let known = self.nd.contains_key(&(ifindex, target))
                        || self.unresolved6.contains_key(&(ifindex, target));
                    if known {
                        learn(self, target, mac);
                    }
                }
            }
            _ => {}
        }
        true
    }

    /// Returns the neighbours known: card, address, link-layer address.
    pub(super) fn entries(&self) -> Vec<(i32, IpAddr, [u8; 6])> {
        let v4 = self.arp.iter().map(|(&(i, a), &m)| (i, IpAddr::V4(a), m));
        let v6 = self.nd.iter().map(|(&(i, a), &m)| (i, IpAddr::V6(a), m));
        v4.chain(v6).collect()
    }
}
