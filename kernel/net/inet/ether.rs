//! Ethernet cards under the stack (Linux's net/ethernet/eth.c and the
//! neighbour layer with ARP, net/ipv4/arp.c). smoltcp runs on IP packets
//! (`Medium::Ip`); the device routes each one it sends (`Loopback::route`):
//! a packet for a neighbour on a card gets an Ethernet header with the
//! neighbour's address, which ARP finds (RFC 826): unknown, the packet
//! waits while a request is broadcast, and leaves when the reply comes.
//! Received ARP requests for an address of this host are answered (Linux's
//! default `arp_ignore=0`), and the sender is learnt.
//!
//! IPv6 over a card (neighbour discovery) is not built yet: IPv6 packets
//! for a card are dropped.

use super::{frag4, packet};
use crate::net::device::NetDriver;
use crate::net::init_net;
use crate::net::packet::{Frame, ETH_HLEN, ETH_P_IP};
use std::collections::{BTreeMap, VecDeque};
use std::net::Ipv4Addr;
use std::sync::Arc;
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
    /// The card's MTU: IPv4 packets past it leave in fragments.
    mtu: usize,
    /// The card's IPv4 addresses (the source of ARP requests).
    addrs4: Vec<Ipv4Addr>,
}

impl Card {
    /// Returns card `ifindex` if it is up and has a driver.
    pub(super) fn get(ifindex: i32) -> Option<Card> {
        let net = init_net();
        let st = net.state();
        let d = st.dev(ifindex)?;
        if !d.is_up() {
            return None;
        }
        Some(Card {
            mac: d.hwaddr,
            driver: d.driver.clone()?,
            mtu: d.mtu as usize,
            addrs4: d.addrs4.iter().map(|a| a.local).collect(),
        })
    }
}

/// Packets waiting for a neighbour's address.
#[derive(Default)]
struct Unresolved {
    packets: VecDeque<Vec<u8>>,
    bytes: usize,
    last_request: Option<Instant>,
}

/// The neighbours of the cards, by card.
#[derive(Default)]
pub(super) struct Neighbours {
    arp: BTreeMap<(i32, Ipv4Addr), [u8; 6]>,
    unresolved: BTreeMap<(i32, Ipv4Addr), Unresolved>,
    /// Frames sent, for the packet sockets (taken by the stack).
    pub sent: Vec<(i32, Frame)>,
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

/// Returns the Ethernet group address of the IPv4 multicast address `a`.
fn multicast_mac(a: Ipv4Addr) -> [u8; 6] {
    let o = a.octets();
    [0x01, 0x00, 0x5e, o[1] & 0x7f, o[2], o[3]]
}

impl Neighbours {
    /// Sends `frame` out of `ifindex` by `card`, counting it; the packet
    /// sockets but its `sender` see it leave.
    fn transmit_from(&mut self, ifindex: i32, card: &Card, frame: Vec<u8>, sender: Option<u64>) {
        let len = frame.len() as u64;
        match card.driver.transmit(&frame) {
            Ok(()) => init_net().count_tx(ifindex, 1, len),
            Err(_) => init_net().count_drop(ifindex, false, 1),
        }
        if crate::net::packet::capturing() {
            self.sent
                .push((ifindex, Frame::outgoing(frame, sender, false)));
        }
    }

    /// Sends `frame`, which the stack made, out of `ifindex` by `card`.
    fn transmit(&mut self, ifindex: i32, card: &Card, frame: Vec<u8>) {
        self.transmit_from(ifindex, card, frame, None);
    }

    /// Sends the frame a packet socket (`sender`) wrote out of card
    /// `ifindex` as it is: ENXIO without a card, ENETDOWN if it is down.
    pub(super) fn xmit_frame(
        &mut self,
        ifindex: i32,
        frame: Vec<u8>,
        sender: u64,
    ) -> arch::Result<()> {
        let Some(card) = Card::get(ifindex) else {
            return Err(match init_net().device(ifindex) {
                Some(_) => arch::Errno::ENETDOWN,
                None => arch::Errno::ENXIO,
            });
        };
        self.transmit_from(ifindex, &card, frame, Some(sender));
        Ok(())
    }

    /// Sends the IPv4 packet `p` out of card `ifindex` to the neighbour
    /// `via` (`broadcast`: to every host of the link), resolving its
    /// address first if need be.
    pub(super) fn output4(&mut self, ifindex: i32, via: Ipv4Addr, broadcast: bool, mut p: Vec<u8>) {
        let Some(card) = Card::get(ifindex) else {
            return;
        };
        packet::fill_transport_checksum(&mut p);
        let dst = if broadcast || via == Ipv4Addr::BROADCAST {
            Some([0xff; 6])
        } else if via.is_multicast() {
            Some(multicast_mac(via))
        } else {
            self.arp.get(&(ifindex, via)).copied()
        };
        if let Some(dst) = dst {
            for p in frag4::fragment(&p, card.mtu) {
                let f = frame(dst, card.mac, ETH_P_IP, &p);
                self.transmit(ifindex, &card, f);
            }
            return;
        }
        // Wait for the neighbour's address; ask for it at most once a second.
        let src = p
            .get(12..16)
            .map(|s| Ipv4Addr::new(s[0], s[1], s[2], s[3]))
            .filter(|s| card.addrs4.contains(s))
            .or_else(|| card.addrs4.first().copied());
        let u = self.unresolved.entry((ifindex, via)).or_default();
        if u.bytes + p.len() <= UNRES_QLEN_BYTES {
            u.bytes += p.len();
            u.packets.push_back(p);
        } else {
            init_net().count_drop(ifindex, false, 1);
        }
        let now = Instant::now();
        if u.last_request
            .is_some_and(|t| now.duration_since(t) < RETRANS)
        {
            return;
        }
        u.last_request = Some(now);
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
        let Some(card) = Card::get(ifindex) else {
            return;
        };
        let for_us = is_local(tpa);
        // Learn the sender when the message is for us, or update what is
        // known already (Linux's arp_process).
        if for_us || self.arp.contains_key(&(ifindex, spa)) {
            self.arp.insert((ifindex, spa), sha);
            if let Some(u) = self.unresolved.remove(&(ifindex, spa)) {
                for p in u.packets.iter().flat_map(|p| frag4::fragment(p, card.mtu)) {
                    let f = frame(sha, card.mac, ETH_P_IP, &p);
                    self.transmit(ifindex, &card, f);
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
    }

    /// Returns the neighbours known: card, address, link-layer address.
    pub(super) fn entries(&self) -> Vec<(i32, Ipv4Addr, [u8; 6])> {
        self.arp.iter().map(|(&(i, a), &m)| (i, a, m)).collect()
    }
}
