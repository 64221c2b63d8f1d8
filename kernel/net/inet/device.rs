//! The loopback device as smoltcp sees it (Linux's drivers/net/loopback.c):
//! every packet sent is queued and comes back in as received, in order,
//! without TCP and UDP checksums (as Linux marks loopback packets
//! CHECKSUM_UNNECESSARY).
//! The queue is drained by `Stack::poll` within the same call.

use smoltcp::phy::{self, Checksum, ChecksumCapabilities, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use std::collections::{BTreeSet, VecDeque};

/// The largest IP packet: what an IPv4 total length can say (lo's MTU is
/// 65536 in Linux; an IP packet cannot use the last byte).
pub(crate) const LOOPBACK_MTU: usize = 65535;

/// The loopback device: a queue of IP packets and its counters.
#[derive(Default)]
pub(crate) struct Loopback {
    queue: VecDeque<Vec<u8>>,
    /// Packets and bytes that went round (Linux counts each as sent and
    /// received), until taken.
    packets: u64,
    bytes: u64,
    /// The TCP ports whose listeners have no room (their SYNs are dropped).
    pub full_ports: BTreeSet<u16>,
    /// Packets dropped, until taken.
    dropped: u64,
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
            let buffer = self.queue.pop_front()?;
            // A listener with a full accept queue does not see new
            // connections: their SYN is dropped and sent again later, as
            // Linux drops it (tcp_conn_request).
            if syn_port(&buffer).is_some_and(|p| self.full_ports.contains(&p)) {
                self.dropped += 1;
                continue;
            }
            return Some((RxToken { buffer }, TxToken { dev: self }));
        }
    }

    fn transmit(&mut self, _now: Instant) -> Option<TxToken<'_>> {
        Some(TxToken { dev: self })
    }
}

pub(crate) struct RxToken {
    buffer: Vec<u8>,
}

impl phy::RxToken for RxToken {
    fn consume<R, F: FnOnce(&[u8]) -> R>(self, f: F) -> R {
        f(&self.buffer)
    }
}

pub(crate) struct TxToken<'a> {
    dev: &'a mut Loopback,
}

impl phy::TxToken for TxToken<'_> {
    fn consume<R, F: FnOnce(&mut [u8]) -> R>(self, len: usize, f: F) -> R {
        let mut buffer = vec![0u8; len];
        let r = f(&mut buffer);
        self.dev.packets += 1;
        self.dev.bytes += len as u64;
        self.dev.queue.push_back(buffer);
        r
    }
}
