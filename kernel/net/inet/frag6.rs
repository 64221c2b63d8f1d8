//! IPv6 fragmentation and reassembly (RFC 8200 section 4.5; Linux's
//! `ip6_fragment` and net/ipv6/reassembly.c). smoltcp 0.12 does neither
//! for IPv6, and sends nothing larger than its MTU (65535 bytes, what an
//! IPv4 header can say), so IPv6 packets the stack builds itself beyond
//! that are cut here to the device's MTU, and fragments a device receives
//! are put together here before smoltcp sees the packet.
//!
//! Only a fixed header followed directly by a Fragment header is taken
//! apart (the stack sends no other extension headers). Reassembly follows
//! Linux's limits: a datagram's fragments wait at most 60 seconds
//! (net.ipv6.ip6frag_time) and all waiting fragments hold at most 4 MiB
//! (ip6frag_high_thresh); overlapping fragments drop their datagram
//! (RFC 5722).

use std::collections::BTreeMap;
use std::time::{Duration, Instant};

/// The fixed header's and the Fragment header's lengths.
const IPV6_HEADER: usize = 40;
const FRAG_HEADER: usize = 8;
/// The Fragment header's next-header number.
pub(super) const IPPROTO_FRAGMENT: u8 = 44;
/// How long a datagram's fragments wait.
const FRAG_TIME: Duration = Duration::from_secs(60);
/// How many bytes of fragments may wait in all.
const HIGH_THRESH: usize = 4 << 20;
/// The largest IPv6 payload (without jumbograms).
const MAX_PAYLOAD: usize = 65_535;

/// Cuts the IPv6 packet `p` into fragments of at most `mtu` bytes, with
/// identification `id`; the packet itself if it fits.
pub(super) fn fragment(p: &[u8], mtu: usize, id: u32) -> Vec<Vec<u8>> {
    if p.len() <= mtu || p.len() < IPV6_HEADER || mtu < IPV6_HEADER + FRAG_HEADER + 8 {
        return vec![p.to_vec()];
    }
    let (header, payload) = p.split_at(IPV6_HEADER);
    let next = header[6];
    // Every fragment but the last carries a multiple of 8 bytes.
    let chunk = (mtu - IPV6_HEADER - FRAG_HEADER) & !7;
    let mut out = Vec::new();
    let mut off = 0;
    while off < payload.len() {
        let end = (off + chunk).min(payload.len());
        let more = end < payload.len();
        let mut f = Vec::with_capacity(IPV6_HEADER + FRAG_HEADER + end - off);
        f.extend_from_slice(header);
        f[4..6].copy_from_slice(&((FRAG_HEADER + end - off) as u16).to_be_bytes());
        f[6] = IPPROTO_FRAGMENT;
        f.extend_from_slice(&[next, 0]);
        f.extend_from_slice(&((off as u16) | u16::from(more)).to_be_bytes());
        f.extend_from_slice(&id.to_be_bytes());
        f.extend_from_slice(&payload[off..end]);
        out.push(f);
        off = end;
    }
    out
}

/// Returns whether the IPv6 packet `p` is a fragment.
pub(super) fn is_fragment(p: &[u8]) -> bool {
    p.len() >= IPV6_HEADER + FRAG_HEADER && p[0] >> 4 == 6 && p[6] == IPPROTO_FRAGMENT
}

/// The fragments of one datagram.
struct Datagram {
    /// The first fragment's fixed header (the packet's, once whole).
    header: [u8; IPV6_HEADER],
    /// The protocol the fragments carry.
    next: u8,
    /// The fragments' data by offset.
    parts: BTreeMap<usize, Vec<u8>>,
    /// The datagram's length, once its last fragment came.
    total: Option<usize>,
    bytes: usize,
    since: Instant,
}

/// The datagrams being put together, by source, destination and
/// identification.
#[derive(Default)]
pub(super) struct Reassembly {
    datagrams: BTreeMap<([u8; 32], u32), Datagram>,
    bytes: usize,
}

impl Reassembly {
    /// Takes the fragment `p`; returns the whole packet (with the fixed
    /// header's next header and length made the datagram's) once every
    /// fragment of its datagram came. Malformed fragments are dropped.
    pub(super) fn add(&mut self, p: &[u8], now: Instant) -> Option<Vec<u8>> {
        self.expire(now);
        if !is_fragment(p) {
            return None;
        }
        let plen = usize::from(u16::from_be_bytes([p[4], p[5]]));
        let end_of_packet = (IPV6_HEADER + plen).min(p.len());
        let data = p.get(IPV6_HEADER + FRAG_HEADER..end_of_packet)?;
        let next = p[IPV6_HEADER];
        let word = u16::from_be_bytes([p[IPV6_HEADER + 2], p[IPV6_HEADER + 3]]);
        let (off, more) = (usize::from(word & !7), word & 1 != 0);
        let id = u32::from_be_bytes(p[IPV6_HEADER + 4..IPV6_HEADER + 8].try_into().ok()?);
        let end = off + data.len();
        // All but the last fragment carry multiples of 8; none reaches
        // past the largest payload.
        if (more && data.len() % 8 != 0) || end > MAX_PAYLOAD || data.is_empty() {
            return None;
        }
        if off == 0 && !more {
            // An atomic fragment (RFC 6946): the packet itself.
            return Some(Self::whole(p[..IPV6_HEADER].try_into().ok()?, next, data));
        }
        if self.bytes + data.len() > HIGH_THRESH {
            return None;
        }
        let mut key = ([0u8; 32], id);
        key.0.copy_from_slice(&p[8..IPV6_HEADER]);
        let d = self.datagrams.entry(key).or_insert_with(|| Datagram {
            header: p[..IPV6_HEADER].try_into().unwrap_or([0; IPV6_HEADER]),
            next,
            parts: BTreeMap::new(),
            total: None,
            bytes: 0,
            since: now,
        });
        let overlaps = d
            .parts
            .range(..end)
            .next_back()
            .is_some_and(|(&o, v)| o + v.len() > off)
            || d.total.is_some_and(|t| end > t || (!more && end != t));
        if overlaps {
            let d = self.datagrams.remove(&key)?;
            self.bytes -= d.bytes;
            return None;
        }
        if off == 0 {
            d.header.copy_from_slice(&p[..IPV6_HEADER]);
            d.next = next;
        }
        if !more {
            d.total = Some(end);
        }
        d.parts.insert(off, data.to_vec());
        d.bytes += data.len();
        self.bytes += data.len();
        let total = d.total?;
        let mut at = 0;
        for (&o, v) in &d.parts {
            if o != at {
                return None;
            }
            at += v.len();
        }
        if at != total {
            return None;
        }
        let d = self.datagrams.remove(&key)?;
        self.bytes -= d.bytes;
        let payload: Vec<u8> = d.parts.into_values().flatten().collect();
        Some(Self::whole(d.header, d.next, &payload))
    }

    /// Returns the packet of `header` carrying `payload` of `next`.
    fn whole(header: [u8; IPV6_HEADER], next: u8, payload: &[u8]) -> Vec<u8> {
        let mut p = Vec::with_capacity(IPV6_HEADER + payload.len());
        p.extend_from_slice(&header);
        p[4..6].copy_from_slice(&(payload.len() as u16).to_be_bytes());
        p[6] = next;
        p.extend_from_slice(payload);
        p
    }

    /// Drops the datagrams that waited too long.
    fn expire(&mut self, now: Instant) {
        let bytes = &mut self.bytes;
        self.datagrams.retain(|_, d| {
            let keep = now.saturating_duration_since(d.since) < FRAG_TIME;
            if !keep {
                *bytes -= d.bytes;
            }
            keep
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn packet(len: usize) -> Vec<u8> {
        let mut p = vec![0u8; IPV6_HEADER];
        p[0] = 0x60;
        p[4..6].copy_from_slice(&(len as u16).to_be_bytes());
        p[6] = 17;
        p[7] = 64;
        p[23] = 1;
        p[39] = 1;
        p.extend((0..len).map(|i| i as u8));
        p
    }

    #[test]
    fn fragments_go_back_together() {
        let p = packet(65_535);
        let frags = fragment(&p, 65_536, 7);
        assert_eq!(frags.len(), 2);
        assert_eq!(frags[0].len(), 65_536);
        assert_eq!(frags[1].len(), 48 + 65_535 - 65_488);
        let mut r = Reassembly::default();
        let now = Instant::now();
        // In either order.
        assert_eq!(r.add(&frags[1], now), None);
        assert_eq!(r.add(&frags[0], now), Some(p.clone()));
        assert_eq!(r.bytes, 0);
        let small = fragment(&p, 1280, 8);
        assert_eq!(small.len(), 65_535usize.div_ceil(1232));
        assert!(small.iter().all(|f| f.len() <= 1280));
        let mut whole = None;
        for f in &small {
            whole = r.add(f, now);
        }
        assert_eq!(whole, Some(p));
    }

    #[test]
    fn overlaps_and_old_fragments_are_dropped() {
        let p = packet(3000);
        let frags = fragment(&p, 1280, 9);
        let mut r = Reassembly::default();
        let now = Instant::now();
        assert_eq!(r.add(&frags[0], now), None);
        // The first again overlaps itself: the datagram is gone.
        assert_eq!(r.add(&frags[0], now), None);
        assert_eq!(r.bytes, 0);
        assert_eq!(r.add(&frags[1], now), None);
        assert_eq!(r.add(&frags[2], now + FRAG_TIME), None);
        assert!(r.datagrams.len() == 1 && r.bytes == frags[2].len() - 48);
    }

    #[test]
    fn a_packet_that_fits_is_left_whole() {
        let p = packet(100);
        assert_eq!(fragment(&p, 1500, 1), vec![p]);
    }
}
