//! UDP-Lite (udplite(7), RFC 3828): IP protocol 136, UDP with a checksum
//! that covers only the first bytes of a datagram. smoltcp has no UDP-Lite,
//! so it travels through two smoltcp raw sockets of the stack (one per IP
//! version), and this module does what Linux's UDP-Lite does above IP:
//! the header, the checksum over the coverage the sender chose
//! (UDPLITE_SEND_CSCOV), the receive checks (a zero checksum, a coverage
//! shorter than the header or longer than the datagram, a wrong checksum,
//! and a coverage below what the receiver asked for with
//! UDPLITE_RECV_CSCOV all drop the datagram), its own port table, and the
//! choice of the receiving socket (Linux's `compute_score`: a socket bound
//! to the address beats a wildcard one, a connected one only hears its
//! peer). UDP and UDP-Lite never see each other's datagrams: they are
//! different IP protocols with different port tables.
//!
//! The sockets themselves are `UdpSocket`s (udp.rs), which UDP-Lite shares
//! with UDP; their queues live here, in the stack, because datagrams arrive
//! while `Stack::poll` runs (`deliver_udplite`, after every round), when a
//! socket's own state may be borrowed by the send that caused them. The
//! raw sockets carry no packet metadata, so the TOS of a datagram is
//! written by the device on the way out and read by it on the way in
//! (device.rs, `PacketKey`).

use super::addr::{unmap, Endpoint};
use super::device::{HeaderMark, PacketInfo, PacketKey};
use super::ports::Ports;
use super::stack::Stack;
use super::{AF_INET, AF_INET6};
use arch::abi::pod::as_bytes;
use arch::{Errno, Result};
use fs::WaitQueue;
use smoltcp::iface::SocketHandle;
use smoltcp::phy::ChecksumCapabilities;
use smoltcp::socket::raw;
use smoltcp::wire::{IpProtocol, IpVersion, Ipv4Packet, Ipv4Repr, Ipv6Packet, Ipv6Repr};
use std::collections::{BTreeMap, VecDeque};
use std::net::IpAddr;
use std::sync::Arc;

pub(crate) const IPPROTO_UDPLITE: i32 = 136;
/// SOL_UDPLITE: the level of UDP-Lite's options.
pub(crate) const SOL_UDPLITE: i32 = 136;
/// The sender's checksum coverage.
const UDPLITE_SEND_CSCOV: i32 = 10;
/// The least coverage the receiver takes.
const UDPLITE_RECV_CSCOV: i32 = 11;
/// The UDP-Lite header: ports, checksum coverage, checksum.
const HEADER_LEN: usize = 8;
/// The raw sockets' buffers: datagrams in flight within one poll.
const RAW_PACKETS: usize = 64;
const RAW_BYTES: usize = 512 * 1024;

/// The checksum coverage options of a socket (UDP's stay unset).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Coverage {
    /// UDPLITE_SEND_CSCOV once set (Linux's `pcslen` with UDPLITE_SEND_CC).
    pub send: Option<u16>,
    /// UDPLITE_RECV_CSCOV once set (`pcrlen` with UDPLITE_RECV_CC).
    pub recv: Option<u16>,
}

impl Coverage {
    /// Sets a coverage option of a UDP-Lite socket (Linux's
    /// `udp_lib_setsockopt`): values below the header are the header's
    /// length, those past 65535 are 65535; zero is the whole datagram.
    pub(super) fn set(&mut self, opt: i32, val: &[u8]) -> Result<()> {
        let Some(raw) = val.get(..4) else {
            return Err(Errno::EINVAL);
        };
        let v = i32::from_ne_bytes([raw[0], raw[1], raw[2], raw[3]]);
        let v = match v {
            0 => 0,
            v if v < HEADER_LEN as i32 => HEADER_LEN as u16,
            v => v.min(u16::MAX.into()) as u16,
        };
        match opt {
            UDPLITE_SEND_CSCOV => self.send = Some(v),
            UDPLITE_RECV_CSCOV => self.recv = Some(v),
            _ => return Err(Errno::ENOPROTOOPT),
        }
        Ok(())
    }

    /// Returns a coverage option (as Linux, UDP sockets read zeros too).
    pub(super) fn get(&self, opt: i32) -> Result<Vec<u8>> {
        let v = match opt {
            UDPLITE_SEND_CSCOV => self.send,
            UDPLITE_RECV_CSCOV => self.recv,
            _ => return Err(Errno::ENOPROTOOPT),
        };
        Ok(as_bytes(&i32::from(v.unwrap_or(0))).to_vec())
    }

    /// Returns the coverage field of a datagram of `len` bytes (header
    /// included) and the bytes its checksum covers, as Linux's
    /// `udplite_sender_cscov`: by default, and for a coverage not below the
    /// length, the field says the length and the checksum covers it all.
    fn sender(&self, len: usize) -> (u16, usize) {
        match self.send {
            Some(c) if usize::from(c) < len => (c, if c == 0 { len } else { c.into() }),
            _ => (len as u16, len),
        }
    }
}

/// A datagram waiting in a UDP-Lite socket's queue.
pub(super) struct Datagram {
    pub from: Endpoint,
    /// The destination address and port.
    pub to: Endpoint,
    /// What the device read from the IP header.
    pub info: Option<PacketInfo>,
    pub data: Vec<u8>,
}

/// A bound UDP-Lite socket as the receive path sees it.
pub(super) struct Binding {
    pub family: u16,
    pub local: Endpoint,
    pub v6only: bool,
    /// The connected peer (unmapped).
    pub peer: Option<Endpoint>,
    /// UDPLITE_RECV_CSCOV.
    pub recv_cscov: Option<u16>,
    pub queue: VecDeque<Datagram>,
    bytes: usize,
    wait: Arc<WaitQueue>,
    /// When it was bound: among equals the last bound takes a datagram.
    seq: u64,
}

impl Binding {
    pub(super) fn new(family: u16, local: Endpoint, v6only: bool, wait: &Arc<WaitQueue>) -> Self {
        Binding {
            family,
            local,
            v6only,
            peer: None,
            recv_cscov: None,
            queue: VecDeque::new(),
            bytes: 0,
            wait: wait.clone(),
            seq: 0,
        }
    }

    /// Takes the first datagram.
    pub(super) fn pop(&mut self) -> Option<Datagram> {
        let d = self.queue.pop_front()?;
        self.bytes -= d.data.len();
        Some(d)
    }

    /// Returns how well the socket matches a datagram `from` → `to`
    /// (Linux's `compute_score`); None if it may not take it.
    fn score(&self, from: Endpoint, to: Endpoint) -> Option<u32> {
        let local = self.local.addr;
        let mut score = match to.addr {
            IpAddr::V4(_) => {
                if self.family == AF_INET6 && self.v6only {
                    return None;
                }
                let score = if self.family == AF_INET { 2 } else { 1 };
                match unmap(local) {
                    a if a.is_unspecified() => score,
                    a if a == to.addr => score + 4,
                    _ => return None,
                }
            }
            IpAddr::V6(_) => {
                if self.family != AF_INET6 || unmap(local).is_ipv4() && !local.is_unspecified() {
                    return None;
                }
                match local {
                    a if a.is_unspecified() => 0,
                    a if a == to.addr => 4,
                    _ => return None,
                }
            }
        };
        if let Some(peer) = self.peer {
            if peer != from {
                return None;
            }
            score += 8;
        }
        Some(score)
    }
}

/// UDP-Lite's part of a stack.
pub(crate) struct UdpLite {
    pub(super) ports: Ports,
    /// The bound sockets by socket id.
    pub(super) bound: BTreeMap<u64, Binding>,
    raw4: Option<SocketHandle>,
    raw6: Option<SocketHandle>,
    next_seq: u64,
}

impl Default for UdpLite {
    fn default() -> Self {
        UdpLite {
            ports: Ports::new(false),
            bound: BTreeMap::new(),
            raw4: None,
            raw6: None,
            next_seq: 0,
        }
    }
}

impl UdpLite {
    /// Adds the receive side of socket `id`.
    pub(super) fn bind(&mut self, id: u64, mut b: Binding) {
        self.next_seq += 1;
        b.seq = self.next_seq;
        self.bound.insert(id, b);
    }

    /// Returns the socket to take a datagram `from` → `to`.
    fn lookup(&self, from: Endpoint, to: Endpoint) -> Option<u64> {
        self.bound
            .iter()
            .filter(|(_, b)| b.local.port == to.port)
            .filter_map(|(&id, b)| Some((b.score(from, to)?, b.seq, id)))
            .max()
            .map(|(_, _, id)| id)
    }
}

/// Returns the one's complement sum (RFC 1071) of `data` added to `sum`.
fn sum(mut acc: u32, data: &[u8]) -> u32 {
    let mut words = data.chunks_exact(2);
    for w in &mut words {
        acc += u32::from(u16::from_be_bytes([w[0], w[1]]));
    }
    if let [last] = words.remainder() {
        acc += u32::from(*last) << 8;
    }
    while acc > 0xffff {
        acc = (acc & 0xffff) + (acc >> 16);
    }
    acc
}

/// Returns the UDP-Lite checksum of a datagram of `len` bytes from `src`
/// to `dst` whose covered bytes are `covered` (checksum field zero): the
/// pseudo-header says the whole length (RFC 3828 3.1).
fn checksum(src: IpAddr, dst: IpAddr, len: usize, covered: &[u8]) -> u16 {
    let mut acc = 0;
    for a in [src, dst] {
        acc = match a {
            IpAddr::V4(v4) => sum(acc, &v4.octets()),
            IpAddr::V6(v6) => sum(acc, &v6.octets()),
        };
    }
    acc = sum(acc, &(len as u32).to_be_bytes());
    acc = sum(acc, &[0, IPPROTO_UDPLITE as u8]);
    !(sum(acc, covered) as u16)
}

impl Stack {
    /// Returns the raw socket carrying UDP-Lite over IPv4 (`v4`) or IPv6,
    /// made at first use.
    fn udplite_raw(&mut self, v4: bool) -> SocketHandle {
        let slot = if v4 {
            self.udplite.raw4
        } else {
            self.udplite.raw6
        };
        if let Some(h) = slot {
            return h;
        }
        let buffer = || {
            raw::PacketBuffer::new(
                vec![raw::PacketMetadata::EMPTY; RAW_PACKETS],
                vec![0u8; RAW_BYTES],
            )
        };
        let version = if v4 { IpVersion::Ipv4 } else { IpVersion::Ipv6 };
        let sock = raw::Socket::new(
            version,
            IpProtocol::from(IPPROTO_UDPLITE as u8),
            buffer(),
            buffer(),
        );
        let h = self.sockets.add(sock);
        if v4 {
            self.udplite.raw4 = Some(h);
        } else {
            self.udplite.raw6 = Some(h);
        }
        h
    }

    /// Queues a UDP-Lite datagram of `data` from `src`:`port` to `to`
    /// (addresses of one IP version), its header written as `mark` says,
    /// its checksum covering what `cov` says; EAGAIN if the raw socket is
    /// full.
    pub(super) fn send_udplite(
        &mut self,
        src: IpAddr,
        port: u16,
        to: Endpoint,
        data: &[u8],
        mark: HeaderMark,
        cov: Coverage,
    ) -> Result<()> {
        let len = HEADER_LEN + data.len();
        let mut seg = vec![0u8; len];
        seg[0..2].copy_from_slice(&port.to_be_bytes());
        seg[2..4].copy_from_slice(&to.port.to_be_bytes());
        let (field, covered) = cov.sender(len);
        seg[4..6].copy_from_slice(&field.to_be_bytes());
        seg[HEADER_LEN..].copy_from_slice(data);
        let csum = match checksum(src, to.addr, len, &seg[..covered]) {
            // Zero says "no checksum", which UDP-Lite does not allow.
            0 => 0xffff,
            c => c,
        };
        seg[6..8].copy_from_slice(&csum.to_be_bytes());
        let packet = match (src, to.addr) {
            (IpAddr::V4(s), IpAddr::V4(d)) => {
                let repr = Ipv4Repr {
                    src_addr: s,
                    dst_addr: d,
                    next_header: IpProtocol::from(IPPROTO_UDPLITE as u8),
                    payload_len: len,
                    hop_limit: mark.hop_limit,
                };
                let mut buf = vec![0u8; repr.buffer_len() + len];
                repr.emit(
                    &mut Ipv4Packet::new_unchecked(&mut buf[..]),
                    &ChecksumCapabilities::default(),
                );
                buf[repr.buffer_len()..].copy_from_slice(&seg);
                buf
            }
            (IpAddr::V6(s), IpAddr::V6(d)) => {
                let repr = Ipv6Repr {
                    src_addr: s,
                    dst_addr: d,
                    next_header: IpProtocol::from(IPPROTO_UDPLITE as u8),
                    payload_len: len,
                    hop_limit: mark.hop_limit,
                };
                let mut buf = vec![0u8; repr.buffer_len() + len];
                repr.emit(&mut Ipv6Packet::new_unchecked(&mut buf[..]));
                buf[repr.buffer_len()..].copy_from_slice(&seg);
                buf
            }
            _ => return Err(Errno::EINVAL),
        };
        let h = self.udplite_raw(src.is_ipv4());
        match self.sockets.get_mut::<raw::Socket>(h).send_slice(&packet) {
            Ok(()) => {}
            Err(raw::SendError::BufferFull) => return Err(Errno::EAGAIN),
        }
        let key = PacketKey::new(src, to.addr, IPPROTO_UDPLITE as u8, &seg);
        self.lo.mark(key, mark);
        Ok(())
    }

    /// Hands the UDP-Lite datagrams the raw sockets received to their
    /// sockets; `Stack::poll` calls it after every round.
    pub(super) fn deliver_udplite(&mut self) {
        for h in [self.udplite.raw4, self.udplite.raw6].into_iter().flatten() {
            while let Ok(packet) = self.sockets.get_mut::<raw::Socket>(h).recv() {
                let packet = packet.to_vec();
                self.udplite_input(&packet);
            }
        }
    }

    /// Checks one received IP packet of UDP-Lite and queues its datagram
    /// on the socket that takes it; drops it otherwise (Linux's
    /// `udplite_checksum_init` and `udp_queue_rcv_one_skb`).
    fn udplite_input(&mut self, packet: &[u8]) {
        let (src, dst, payload) = match packet.first().map(|b| b >> 4) {
            Some(4) => match Ipv4Packet::new_checked(packet) {
                Ok(p) => (
                    IpAddr::V4(p.src_addr()),
                    IpAddr::V4(p.dst_addr()),
                    p.payload(),
                ),
                Err(_) => return,
            },
            Some(6) => match Ipv6Packet::new_checked(packet) {
                Ok(p) => (
                    IpAddr::V6(p.src_addr()),
                    IpAddr::V6(p.dst_addr()),
                    p.payload(),
                ),
                Err(_) => return,
            },
            _ => return,
        };
        let key = PacketKey::new(src, dst, IPPROTO_UDPLITE as u8, payload);
        // The device read the header as it crossed (smoltcp's raw socket
        // writes a header of its own, without the TOS).
        let info = self.lo.take_info(&key);
        let len = payload.len();
        if len < HEADER_LEN || payload[6..8] == [0, 0] {
            return;
        }
        let field = usize::from(u16::from_be_bytes([payload[4], payload[5]]));
        let covered = match field {
            0 => len,
            c if c < HEADER_LEN || c > len => return,
            c => c,
        };
        // With the checksum field summed in, a right checksum makes zero.
        if checksum(src, dst, len, &payload[..covered]) != 0 {
            return;
        }
        let from = Endpoint::new(src, u16::from_be_bytes([payload[0], payload[1]]));
        let to = Endpoint::new(dst, u16::from_be_bytes([payload[2], payload[3]]));
        let Some(id) = self.udplite.lookup(from, to) else {
            // Linux answers with an ICMP port unreachable; not sent here.
            return;
        };
        let b = self.udplite.bound.get_mut(&id).expect("looked up");
        let partial = covered < len;
        if let (true, Some(min)) = (partial, b.recv_cscov) {
            // Full coverage asked for (0), or less than the least asked.
            if min == 0 || covered < usize::from(min) {
                return;
            }
        }
        let data = payload[HEADER_LEN..].to_vec();
        if b.queue.len() >= super::udp::RX_PACKETS || b.bytes + data.len() > super::udp::RX_BYTES {
            return;
        }
        b.bytes += data.len();
        b.queue.push_back(Datagram {
            from,
            to,
            info,
            data,
        });
        b.wait.wake_all();
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::Ipv4Addr;

    #[test]
    fn coverage_follows_linux() {
        let mut c = Coverage::default();
        assert_eq!(c.sender(100), (100, 100));
        c.set(UDPLITE_SEND_CSCOV, &3i32.to_ne_bytes())
            .expect("valid");
        assert_eq!(c.send, Some(8));
        assert_eq!(c.sender(100), (8, 8));
        c.set(UDPLITE_SEND_CSCOV, &0i32.to_ne_bytes())
            .expect("valid");
        assert_eq!(c.sender(100), (0, 100));
        c.set(UDPLITE_SEND_CSCOV, &200i32.to_ne_bytes())
            .expect("valid");
        assert_eq!(c.sender(100), (100, 100));
        c.set(UDPLITE_RECV_CSCOV, &100_000i32.to_ne_bytes())
            .expect("valid");
        assert_eq!(c.recv, Some(u16::MAX));
        assert_eq!(c.set(UDPLITE_RECV_CSCOV, &[1, 0]), Err(Errno::EINVAL));
        assert_eq!(c.set(1, &[0; 4]), Err(Errno::ENOPROTOOPT));
    }

    #[test]
    fn checksum_is_rfc1071_over_the_pseudo_header() {
        // Pseudo-header 127.0.0.1 → 127.0.0.1, protocol 136, length 8,
        // then a header of ports 1 → 2, coverage 8.
        let lo = IpAddr::V4(Ipv4Addr::LOCALHOST);
        let seg = [0, 1, 0, 2, 0, 8, 0, 0];
        let words: u32 = 0x7f00 + 0x0001 + 0x7f00 + 0x0001 + 8 + 136 + 1 + 2 + 8;
        assert_eq!(checksum(lo, lo, 8, &seg), !(words as u16));
    }
}
