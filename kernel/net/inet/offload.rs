//! Checksum and segmentation offload to the cards that take them (a TAP
//! device with its `virtio_net_hdr`): what Linux does with
//! `NETIF_F_HW_CSUM` and `NETIF_F_TSO`. A TCP or UDP packet leaves with
//! its checksum left to the card, and a TCP segment past the card's MTU
//! leaves whole, for the card to cut into segments of the peer's MSS.
//!
//! smoltcp sizes its segments by the MSS the peer offered, so for a card
//! that cuts segments, the offer in a SYN received is remembered per
//! connection and raised to what lo carries: smoltcp then sends up to
//! 64 KiB at once, and each large segment is cut to the remembered size.
//! (Linux's TCP does the same: it builds segments of up to 64 KiB, the
//! GSO size being the MSS.)

use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;

use super::device::LOOPBACK_MTU;
use super::packet::{self, checksum_at, syn_mss_at, transport};
use crate::net::device::{Gso, Offload};
use crate::net::packet::ETH_HLEN;

/// How many connections' MSS are remembered; past it the oldest is
/// forgotten, and its segments are cut by the card's MTU alone.
const FLOWS: usize = 4096;

/// A TCP connection: this host's address and port, then the peer's.
type Flow = (IpAddr, u16, IpAddr, u16);

/// The MSS the peers of the connections over offloading cards offered.
#[derive(Default)]
pub(super) struct Flows {
    mss: BTreeMap<Flow, u16>,
    order: VecDeque<Flow>,
}

/// Returns the addresses and ports of the TCP segment `p` (an IP packet),
/// source first, and its flags.
fn tcp_flow(p: &[u8]) -> Option<(Flow, u8)> {
    let (range, proto, _) = transport(p)?;
    let tcp = p.get(range)?;
    if proto != 6 || tcp.len() < 20 {
        return None;
    }
    let (src, dst) = match p[0] >> 4 {
        4 => (
            IpAddr::from(<[u8; 4]>::try_from(&p[12..16]).ok()?),
            IpAddr::from(<[u8; 4]>::try_from(&p[16..20]).ok()?),
        ),
        _ => (
            IpAddr::from(<[u8; 16]>::try_from(&p[8..24]).ok()?),
            IpAddr::from(<[u8; 16]>::try_from(&p[24..40]).ok()?),
        ),
    };
    let port = |at: usize| u16::from_be_bytes([tcp[at], tcp[at + 1]]);
    Some(((src, port(0), dst, port(2)), tcp[13]))
}

/// TCP's RST flag.
const RST: u8 = 0x04;

impl Flows {
    /// Takes the IP packet `p` received from a card of `mtu` that cuts
    /// segments: a SYN's MSS offer is remembered (no more than the card
    /// carries) and raised to lo's; a reset forgets its connection.
    pub(super) fn received(&mut self, p: &mut [u8], mtu: usize) {
        let Some(((src, sport, dst, dport), flags)) = tcp_flow(p) else {
            return;
        };
        let flow = (dst, dport, src, sport);
        if flags & RST != 0 {
            self.mss.remove(&flow);
            return;
        }
        let Some((at, ip_header)) = syn_mss_at(p) else {
            return;
        };
        let fixed = if src.is_ipv4() { 20 } else { 40 };
        let offered = u16::from_be_bytes([p[at], p[at + 1]]);
        let carried = mtu.saturating_sub(fixed + 20).min(0xffff) as u16;
        if self.mss.insert(flow, offered.min(carried)).is_none() {
            self.order.push_back(flow);
            while self.order.len() > FLOWS {
                if let Some(old) = self.order.pop_front() {
                    self.mss.remove(&old);
                }
            }
        }
        let lo = (LOOPBACK_MTU - ip_header - 20) as u16;
        p[at..at + 2].copy_from_slice(&lo.to_be_bytes());
    }

    /// Prepares the IP packet `p` to leave a card of `mtu` that offloads:
    /// a TCP or UDP checksum is left to the card (the field gets the sum
    /// of the pseudo-header), and a TCP segment past the MTU is to be cut.
    /// None when the packet must be finished here: not TCP or UDP, or a
    /// UDP datagram to fragment (each fragment cannot sum the whole).
    pub(super) fn offload(&mut self, p: &mut [u8], mtu: usize) -> Option<Offload> {
        let (range, proto, pseudo) = transport(p)?;
        let at = checksum_at(proto)?;
        let ip_header = range.start;
        if range.len() < at + 2 || (p.len() > mtu && proto != 6) {
            return None;
        }
        let field = ip_header + at;
        p[field..field + 2].copy_from_slice(&(!packet::fold(pseudo)).to_be_bytes());
        let start = (ETH_HLEN + ip_header) as u16;
        let mut o = Offload {
            csum: Some((start, at as u16)),
            gso: None,
        };
        if p.len() > mtu {
            let ((src, sport, dst, dport), flags) = tcp_flow(p)?;
            if flags & RST != 0 {
                self.mss.remove(&(src, sport, dst, dport));
            }
            let tcp_header = usize::from(p[ip_header + 12] >> 4) * 4;
            let fixed = if src.is_ipv4() { 20 } else { 40 };
            let carried = mtu.saturating_sub(fixed + 20);
            let mss = self
                .mss
                .get(&(src, sport, dst, dport))
                .map_or(carried, |&m| usize::from(m).min(carried));
            // The MSS leaves out options, which each segment repeats.
            let size = mss.saturating_sub(ip_header - fixed + tcp_header - 20);
            if size == 0 {
                return None;
            }
            o.gso = Some(Gso {
                v6: !src.is_ipv4(),
                size: size as u16,
                hdr_len: (ETH_HLEN + ip_header + tcp_header) as u16,
            });
        }
        Some(o)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An IPv4 TCP segment from 10.0.0.2:1000 to 10.0.0.1:2000 with
    /// `flags`, the MSS option `mss` and `payload` bytes.
    fn segment(flags: u8, mss: Option<u16>, payload: usize) -> Vec<u8> {
        let opts = if mss.is_some() { 4 } else { 0 };
        let total = 20 + 20 + opts + payload;
        let mut p = vec![
            0x45,
            0,
            (total >> 8) as u8,
            total as u8,
            0,
            0,
            0x40,
            0,
            64,
            6,
            0,
            0,
        ];
        p.extend_from_slice(&[10, 0, 0, 2, 10, 0, 0, 1]);
        p.extend_from_slice(&[0x03, 0xe8, 0x07, 0xd0, 0, 0, 0, 1, 0, 0, 0, 0]);
        p.push((((20 + opts) / 4) << 4) as u8);
        p.extend_from_slice(&[flags, 0xff, 0xff, 0, 0, 0, 0]);
        if let Some(m) = mss {
            p.extend_from_slice(&[2, 4]);
            p.extend_from_slice(&m.to_be_bytes());
        }
        p.resize(total, 0xab);
        p
    }

    /// Swaps the addresses and ports, as the reply of the connection.
    fn reply(mut p: Vec<u8>) -> Vec<u8> {
        let (a, b) = (p[12..16].to_vec(), p[16..20].to_vec());
        p[12..16].copy_from_slice(&b);
        p[16..20].copy_from_slice(&a);
        let (s, d) = (p[20..22].to_vec(), p[22..24].to_vec());
        p[20..22].copy_from_slice(&d);
        p[22..24].copy_from_slice(&s);
        p
    }

    #[test]
    fn large_segments_are_cut_to_the_peer_mss() {
        let mut f = Flows::default();
        // The peer offers 1400: smoltcp is told lo's size.
        let mut syn = reply(segment(0x02, Some(1400), 0));
        f.received(&mut syn, 1500);
        assert_eq!(u16::from_be_bytes([syn[42], syn[43]]), 65495);
        let mut big = segment(0x10, None, 30_000);
        let o = f.offload(&mut big, 1500).expect("offloaded");
        assert_eq!(o.csum, Some((34, 16)));
        let gso = o.gso.expect("cut");
        assert_eq!((gso.v6, gso.size, gso.hdr_len), (false, 1400, 54));
        // The field holds the pseudo-header's sum: summing the segment
        // over it gives the checksum.
        let (range, _, _) = transport(&big).expect("tcp");
        let c = packet::fold(packet::sum(&big[range.clone()], 0));
        big[range.start + 16..range.start + 18].copy_from_slice(&c.to_be_bytes());
        assert!(packet::transport_checksum_ok(&big));
        // Without an offer known, the card's MTU decides.
        let mut other = segment(0x10, None, 3000);
        other[20] = 9;
        let gso = f.offload(&mut other, 1500).and_then(|o| o.gso);
        assert_eq!(gso.map(|g| g.size), Some(1460));
        // A reset forgets the connection.
        f.received(&mut reply(segment(0x04, None, 0)), 1500);
        assert!(f.mss.is_empty());
    }

    #[test]
    fn small_packets_leave_only_their_checksum() {
        let mut f = Flows::default();
        let mut p = segment(0x18, None, 100);
        let o = f.offload(&mut p, 1500).expect("offloaded");
        assert_eq!(o.gso, None);
        // UDP past the MTU is fragmented, summed here.
        let mut udp = segment(0x18, None, 3000);
        udp[9] = 17;
        assert_eq!(f.offload(&mut udp, 1500), None);
    }
}
