//! IP packets as raw and ping sockets build and read them: the IPv4 and
//! IPv6 headers (Linux's `struct iphdr`, `struct ipv6hdr`), the Internet
//! checksum (RFC 1071) with the IPv6 pseudo-header ICMPv6 sums over, and
//! the ICMP message types the sockets look at (icmp(7), RFC 792, RFC 4443).

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The length of an IPv4 header without options and of an IPv6 header.
pub(super) const IPV4_HEADER: usize = 20;
pub(super) const IPV6_HEADER: usize = 40;
/// The length of an ICMP (and ICMPv6) echo header: type, code, checksum,
/// identifier, sequence.
pub(super) const ICMP_HEADER: usize = 8;
/// The largest IP packet the loopback device carries (an IPv4 total
/// length; smoltcp fragments neither family's packets on send).
pub(super) const MAX_PACKET: usize = 65_535;

pub(super) const ICMP_ECHOREPLY: u8 = 0;
pub(super) const ICMP_ECHO: u8 = 8;
/// RFC 8335 extended echo (PROBE), which ping sockets also carry.
pub(super) const ICMP_EXT_ECHO: u8 = 42;
pub(super) const ICMP_EXT_ECHOREPLY: u8 = 43;
pub(super) const ICMPV6_ECHO_REQUEST: u8 = 128;
pub(super) const ICMPV6_ECHO_REPLY: u8 = 129;
pub(super) const ICMPV6_EXT_ECHO_REQUEST: u8 = 160;
pub(super) const ICMPV6_EXT_ECHO_REPLY: u8 = 161;

/// Returns the one's complement sum of `data` (as big-endian 16-bit
/// words, an odd last byte padded with zero) added to `sum`, unfolded.
pub(super) fn sum(data: &[u8], sum: u32) -> u32 {
    // Big-endian 32-bit words summed in 64 bits, folded at the end, sum
    // the same as 16-bit ones (RFC 1071's "parallel summation").
    let mut acc = u64::from(sum);
    let mut words = data.chunks_exact(4);
    for w in &mut words {
        acc += u64::from(u32::from_be_bytes([w[0], w[1], w[2], w[3]]));
    }
    let rest = words.remainder();
    let mut tail = [0u8; 4];
    tail[..rest.len()].copy_from_slice(rest);
    acc += u64::from(u32::from_be_bytes(tail));
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc as u32
}

/// Returns the Internet checksum of a sum from `sum`: folded and inverted.
pub(super) fn fold(mut sum: u32) -> u16 {
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Returns the sum of the IPv6 pseudo-header (RFC 8200 8.1) of a payload
/// of `len` bytes of protocol `next` from `src` to `dst`.
pub(super) fn pseudo_v6(src: Ipv6Addr, dst: Ipv6Addr, len: usize, next: u8) -> u32 {
    let mut s = sum(&src.octets(), 0);
    s = sum(&dst.octets(), s);
    s = sum(&(len as u32).to_be_bytes(), s);
    sum(&[0, 0, 0, next], s)
}

/// Returns the sum of the IPv4 pseudo-header (RFC 793, RFC 768) of a
/// payload of `len` bytes of protocol `proto` from `src` to `dst`.
fn pseudo_v4(src: &[u8], dst: &[u8], len: usize, proto: u8) -> u32 {
    let s = sum(src, sum(dst, 0));
    sum(&[0, proto], sum(&(len as u16).to_be_bytes(), s))
}

/// Returns the transport part of the IP packet `p` (not a fragment past
/// the first, nor an IPv6 packet with extension headers), its protocol
/// and the sum of its pseudo-header; None for anything else.
pub(super) fn transport(p: &[u8]) -> Option<(std::ops::Range<usize>, u8, u32)> {
    match p.first()? >> 4 {
        4 => {
            let ihl = usize::from(p[0] & 0xf) * 4;
            let total = usize::from(u16::from_be_bytes([*p.get(2)?, *p.get(3)?]));
            let frag = u16::from_be_bytes([*p.get(6)?, *p.get(7)?]);
            // A fragmented datagram's checksum covers all its fragments.
            if frag & 0x3fff != 0 || total > p.len() || ihl < 20 || ihl > total {
                return None;
            }
            let proto = p[9];
            Some((
                ihl..total,
                proto,
                pseudo_v4(&p[12..16], &p[16..20], total - ihl, proto),
            ))
        }
        6 => {
            let len = usize::from(u16::from_be_bytes([*p.get(4)?, *p.get(5)?]));
            let end = IPV6_HEADER.checked_add(len).filter(|&e| e <= p.len())?;
            let next = p[6];
            let s = sum(&p[8..40], 0);
            let s = sum(&(len as u32).to_be_bytes(), s);
            Some((IPV6_HEADER..end, next, sum(&[0, 0, 0, next], s)))
        }
        _ => None,
    }
}

/// Where the checksum of a TCP or UDP header is.
pub(super) fn checksum_at(proto: u8) -> Option<usize> {
    match proto {
        6 => Some(16),
        17 => Some(6),
        _ => None,
    }
}

/// Lowers the MSS option of a TCP SYN in the IP packet `p` to what a link
/// of `mtu` bytes carries (its MTU less the IP and TCP headers), as Linux
/// sizes segments by the route's MTU whatever the peer offers; returns
/// whether it changed (the TCP checksum is then stale).
pub(super) fn clamp_mss(p: &mut [u8], mtu: usize) -> bool {
    let Some((at, ip_header)) = syn_mss_at(p) else {
        return false;
    };
    let most = mtu.saturating_sub(ip_header + 20).min(0xffff) as u16;
    if u16::from_be_bytes([p[at], p[at + 1]]) <= most {
        return false;
    }
    p[at..at + 2].copy_from_slice(&most.to_be_bytes());
    true
}

/// Returns where the value of the MSS option of the TCP SYN in the IP
/// packet `p` is, and the length of its IP header; None for other
/// packets and SYNs without the option.
pub(super) fn syn_mss_at(p: &[u8]) -> Option<(usize, usize)> {
    let (range, proto, _) = transport(p)?;
    let ip_header = range.start;
    let tcp = &p[range];
    // A SYN, with options past the fixed header.
    if proto != 6 || tcp.len() < 20 || tcp[13] & 0x02 == 0 {
        return None;
    }
    let data_off = usize::from(tcp[12] >> 4) * 4;
    let mut i = 20;
    while i + 1 < data_off.min(tcp.len()) {
        match tcp[i] {
            0 => break,
            1 => i += 1,
            2 if tcp[i + 1] == 4 && i + 4 <= tcp.len() => {
                return Some((ip_header + i + 2, ip_header))
            }
            _ => i += usize::from(tcp[i + 1]).max(2),
        }
    }
    None
}

/// Fills in the TCP or UDP checksum of the IP packet `p`, which lo leaves
/// out (a card's packets need it; Linux's `skb_checksum_help`).
pub(super) fn fill_transport_checksum(p: &mut [u8]) {
    let Some((range, proto, pseudo)) = transport(p) else {
        return;
    };
    let Some(at) = checksum_at(proto) else {
        return;
    };
    let seg = &mut p[range];
    if seg.len() < at + 2 {
        return;
    }
    seg[at..at + 2].fill(0);
    let mut c = fold(sum(seg, pseudo));
    if proto == 17 && c == 0 {
        // UDP sends a zero checksum as all ones.
        c = 0xffff;
    }
    seg[at..at + 2].copy_from_slice(&c.to_be_bytes());
}

/// Returns whether the TCP or UDP checksum of the IP packet `p` is right
/// (UDP over IPv4 may carry none); true for other packets.
pub(super) fn transport_checksum_ok(p: &[u8]) -> bool {
    let Some((range, proto, pseudo)) = transport(p) else {
        return true;
    };
    let Some(at) = checksum_at(proto) else {
        return true;
    };
    let seg = &p[range];
    if seg.len() < at + 2 {
        return false;
    }
    if proto == 17 && p[0] >> 4 == 4 && seg[at..at + 2] == [0, 0] {
        return true;
    }
    fold(sum(seg, pseudo)) == 0
}

/// Writes the checksum of `data` into the two bytes at `offset` (zeroed
/// first), over the IPv6 pseudo-header when `v6` gives the addresses.
pub(super) fn fill_checksum(data: &mut [u8], offset: usize, v6: Option<(Ipv6Addr, Ipv6Addr, u8)>) {
    data[offset..offset + 2].fill(0);
    let start = match v6 {
        Some((src, dst, next)) => pseudo_v6(src, dst, data.len(), next),
        None => 0,
    };
    let c = fold(sum(data, start));
    data[offset..offset + 2].copy_from_slice(&c.to_be_bytes());
}

/// Returns whether the checksum at `offset` of an IPv6 payload is right.
pub(super) fn checksum_ok_v6(data: &[u8], src: Ipv6Addr, dst: Ipv6Addr, next: u8) -> bool {
    fold(sum(data, pseudo_v6(src, dst, data.len(), next))) == 0
}

/// What the sender asks of the IP header.
#[derive(Clone, Copy, Debug)]
pub(super) struct Header {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub protocol: u8,
    pub ttl: u8,
    /// IP_TOS / IPV6_TCLASS.
    pub tos: u8,
}

/// Returns an IPv4 packet with `payload` (src and dst must be IPv4); its
/// identifier is left to smoltcp, which writes the header again.
pub(super) fn build_v4(h: &Header, payload: &[u8]) -> Vec<u8> {
    let (IpAddr::V4(src), IpAddr::V4(dst)) = (h.src, h.dst) else {
        unreachable!("an IPv4 header of IPv6 addresses");
    };
    let total = IPV4_HEADER + payload.len();
    let mut p = Vec::with_capacity(total);
    p.extend_from_slice(&[0x45, h.tos]);
    p.extend_from_slice(&(total as u16).to_be_bytes());
    p.extend_from_slice(&[0, 0, 0, 0, h.ttl, h.protocol, 0, 0]);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(payload);
    fill_checksum(&mut p[..IPV4_HEADER], 10, None);
    p
}

/// Completes an IPv4 header the sender wrote itself (IP_HDRINCL) as
/// Linux's `raw_send_hdrinc`: a zero source becomes `src`, the total
/// length is the packet's, the checksum is computed (smoltcp chooses the
/// identifier when it sends). Returns None for a header longer than the
/// packet.
pub(super) fn complete_v4(p: &mut [u8], src: Ipv4Addr) -> Option<()> {
    let ihl = usize::from(p.first()? & 0x0f) * 4;
    if ihl > p.len() {
        return None;
    }
    if ihl < IPV4_HEADER {
        return Some(());
    }
    if p[12..16] == [0, 0, 0, 0] {
        p[12..16].copy_from_slice(&src.octets());
    }
    let total = p.len() as u16;
    p[2..4].copy_from_slice(&total.to_be_bytes());
    fill_checksum(&mut p[..ihl], 10, None);
    Some(())
}

/// Returns an IPv6 packet with `payload` (src and dst must be IPv6).
pub(super) fn build_v6(h: &Header, payload: &[u8]) -> Vec<u8> {
    let (IpAddr::V6(src), IpAddr::V6(dst)) = (h.src, h.dst) else {
        unreachable!("an IPv6 header of IPv4 addresses");
    };
    let mut p = Vec::with_capacity(IPV6_HEADER + payload.len());
    let first = 0x6000_0000u32 | (u32::from(h.tos) << 20);
    p.extend_from_slice(&first.to_be_bytes());
    p.extend_from_slice(&(payload.len() as u16).to_be_bytes());
    p.extend_from_slice(&[h.protocol, h.ttl]);
    p.extend_from_slice(&src.octets());
    p.extend_from_slice(&dst.octets());
    p.extend_from_slice(payload);
    p
}

/// What a received packet's IP header says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct Received {
    pub src: IpAddr,
    pub dst: IpAddr,
    pub protocol: u8,
    pub ttl: u8,
    pub tos: u8,
    /// Where the payload starts.
    pub header_len: usize,
}

/// Reads the header of the IPv4 or IPv6 packet `p` (as smoltcp hands it
/// to a raw socket: well formed); None if it is not.
pub(super) fn parse(p: &[u8]) -> Option<Received> {
    match p.first()? >> 4 {
        4 => {
            let header_len = usize::from(p[0] & 0x0f) * 4;
            if header_len < IPV4_HEADER || p.len() < header_len {
                return None;
            }
            let a = |i: usize| Ipv4Addr::new(p[i], p[i + 1], p[i + 2], p[i + 3]);
            Some(Received {
                src: a(12).into(),
                dst: a(16).into(),
                protocol: p[9],
                ttl: p[8],
                tos: p[1],
                header_len,
            })
        }
        6 => {
            if p.len() < IPV6_HEADER {
                return None;
            }
            let a = |i: usize| {
                let mut o = [0u8; 16];
                o.copy_from_slice(&p[i..i + 16]);
                Ipv6Addr::from(o)
            };
            Some(Received {
                src: a(8).into(),
                dst: a(24).into(),
                protocol: p[6],
                ttl: p[7],
                tos: ((u16::from_be_bytes([p[0], p[1]]) >> 4) & 0xff) as u8,
                header_len: IPV6_HEADER,
            })
        }
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_rfc1071() {
        // RFC 1071's example words sum to 0xddf2.
        let data = [0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7];
        assert_eq!(fold(sum(&data, 0)), !0xddf2);
        // A packet with its checksum filled in sums to zero.
        let mut icmp = vec![8, 0, 0, 0, 0x12, 0x34, 0, 1, b'h', b'i', b'!'];
        fill_checksum(&mut icmp, 2, None);
        assert_eq!(fold(sum(&icmp, 0)), 0);
    }

    #[test]
    fn headers_round_trip() {
        let h = Header {
            src: Ipv4Addr::LOCALHOST.into(),
            dst: Ipv4Addr::new(127, 0, 0, 2).into(),
            protocol: 1,
            ttl: 64,
            tos: 0x10,
        };
        let p = build_v4(&h, b"abcd");
        assert_eq!(fold(sum(&p[..IPV4_HEADER], 0)), 0);
        let r = parse(&p).expect("a well-formed header");
        assert_eq!(
            (r.src, r.dst, r.protocol, r.ttl, r.tos),
            (h.src, h.dst, 1, 64, 0x10)
        );
        assert_eq!(&p[r.header_len..], b"abcd");

        let h6 = Header {
            src: Ipv6Addr::LOCALHOST.into(),
            dst: Ipv6Addr::LOCALHOST.into(),
            protocol: 58,
            ttl: 9,
            tos: 0xb8,
        };
        let mut payload = vec![128, 0, 0, 0, 0, 1, 0, 2];
        fill_checksum(
            &mut payload,
            2,
            Some((Ipv6Addr::LOCALHOST, Ipv6Addr::LOCALHOST, 58)),
        );
        assert!(checksum_ok_v6(
            &payload,
            Ipv6Addr::LOCALHOST,
            Ipv6Addr::LOCALHOST,
            58
        ));
        let p6 = build_v6(&h6, &payload);
        let r6 = parse(&p6).expect("a well-formed header");
        assert_eq!(
            (r6.protocol, r6.ttl, r6.tos, r6.header_len),
            (58, 9, 0xb8, IPV6_HEADER)
        );

        let mut raw = build_v4(&h, b"xy");
        raw[12..16].fill(0);
        raw[2..4].fill(0);
        complete_v4(&mut raw, Ipv4Addr::LOCALHOST).expect("header fits");
        assert_eq!(&raw[12..16], &[127, 0, 0, 1]);
        assert_eq!(u16::from_be_bytes([raw[2], raw[3]]), 22);
        assert_eq!(fold(sum(&raw[..IPV4_HEADER], 0)), 0);
        assert!(complete_v4(&mut [0x4f, 0, 0], Ipv4Addr::LOCALHOST).is_none());
    }

    #[test]
    fn a_syn_offering_more_than_the_link_carries_is_clamped() {
        // An IPv4 SYN from 10.0.0.1 offering an MSS of 65480 (passt's).
        let mut tcp = vec![0u8; 24];
        tcp[12] = 6 << 4;
        tcp[13] = 0x12;
        tcp[20..24].copy_from_slice(&[2, 4, 0xff, 0xc8]);
        let h = Header {
            src: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 1)),
            dst: IpAddr::V4(Ipv4Addr::new(10, 0, 0, 2)),
            protocol: 6,
            ttl: 64,
            tos: 0,
        };
        let mut p = build_v4(&h, &tcp);
        assert!(clamp_mss(&mut p, 1500));
        assert_eq!(p[IPV4_HEADER + 22..IPV4_HEADER + 24], 1460u16.to_be_bytes());
        // Already small enough: left alone.
        assert!(!clamp_mss(&mut p, 9000));
        // Not a SYN: left alone.
        p[IPV4_HEADER + 13] = 0x10;
        p[IPV4_HEADER + 22..IPV4_HEADER + 24].copy_from_slice(&[0xff, 0xc8]);
        assert!(!clamp_mss(&mut p, 1500));
    }
}
