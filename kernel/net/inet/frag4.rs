//! IPv4 fragmentation for the cards (RFC 791; Linux's `ip_fragment`).
//! smoltcp sends IPv4 packets up to 65535 bytes (lo's size) with DF set;
//! one for a card whose MTU is smaller is cut here into fragments, as
//! Linux fragments a local datagram larger than the route's MTU (its
//! default `IP_PMTUDISC_WANT` sets DF only on packets that fit). TCP never
//! needs it: its segments follow the peer's MSS. Fragments received are
//! put together by smoltcp.

/// The IPv4 header's flags and offset field: Don't Fragment, More Fragments.
const DF: u16 = 0x4000;
const MF: u16 = 0x2000;

/// Returns the Internet checksum of an IPv4 header.
fn header_checksum(h: &[u8]) -> u16 {
    let mut sum: u32 = 0;
    for w in h.chunks(2) {
        sum += u32::from(u16::from_be_bytes([w[0], *w.get(1).unwrap_or(&0)]));
    }
    while sum > 0xffff {
        sum = (sum & 0xffff) + (sum >> 16);
    }
    !(sum as u16)
}

/// Cuts the IPv4 packet `p` into fragments of at most `mtu` bytes; the
/// packet itself if it fits (or is not a well-formed IPv4 packet).
pub(super) fn fragment(p: &[u8], mtu: usize) -> Vec<Vec<u8>> {
    let ihl = usize::from(p.first().map_or(0, |b| b & 0xf)) * 4;
    if p.len() <= mtu || ihl < 20 || p.len() < ihl || mtu < ihl + 8 {
        return vec![p.to_vec()];
    }
    let (header, payload) = p.split_at(ihl);
    let field = u16::from_be_bytes([header[6], header[7]]);
    // A fragment cut again keeps its place and its More Fragments flag.
    let (base, last_more) = (usize::from(field & 0x1fff) * 8, field & MF != 0);
    let chunk = (mtu - ihl) & !7;
    let mut out = Vec::new();
    let mut off = 0;
    while off < payload.len() {
        let end = (off + chunk).min(payload.len());
        let more = end < payload.len() || last_more;
        let mut f = Vec::with_capacity(ihl + end - off);
        f.extend_from_slice(header);
        f[2..4].copy_from_slice(&((ihl + end - off) as u16).to_be_bytes());
        let field = (((base + off) / 8) as u16) | if more { MF } else { 0 };
        f[6..8].copy_from_slice(&(field & !DF).to_be_bytes());
        f[10..12].fill(0);
        let c = header_checksum(&f[..ihl]);
        f[10..12].copy_from_slice(&c.to_be_bytes());
        f.extend_from_slice(&payload[off..end]);
        out.push(f);
        off = end;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_datagram_is_cut_at_eight_byte_boundaries() {
        let mut p = vec![
            0x45, 0, 0, 0, 0x12, 0x34, 0x40, 0, 64, 17, 0, 0, 10, 0, 0, 2, 10, 0, 0, 1,
        ];
        let len = 20 + 4008;
        p[2..4].copy_from_slice(&(len as u16).to_be_bytes());
        p.extend((0..4008).map(|i| i as u8));
        let frags = fragment(&p, 1500);
        assert_eq!(frags.len(), 3);
        assert_eq!(frags[0].len(), 20 + 1480);
        assert_eq!(frags[2].len(), 20 + 4008 - 2 * 1480);
        for (i, f) in frags.iter().enumerate() {
            let field = u16::from_be_bytes([f[6], f[7]]);
            assert_eq!(usize::from(field & 0x1fff) * 8, i * 1480);
            assert_eq!(field & MF != 0, i < 2);
            assert_eq!(field & DF, 0);
            assert_eq!(header_checksum(&f[..20]), 0, "a valid header checksum");
            assert_eq!(f[4..6], [0x12, 0x34], "the identification is kept");
        }
        let payload: Vec<u8> = frags.iter().flat_map(|f| f[20..].to_vec()).collect();
        assert_eq!(payload, p[20..]);
        assert_eq!(fragment(&p[..1500], 1500).len(), 1);
    }
}
