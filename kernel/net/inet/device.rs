//! The loopback device as smoltcp sees it (Linux's drivers/net/loopback.c):
//! every packet sent is queued and comes back in as received, in order,
//! without checksums (as Linux marks loopback packets CHECKSUM_UNNECESSARY).
//! The queue is drained by `Stack::poll` within the same call.

use smoltcp::phy::{self, ChecksumCapabilities, Device, DeviceCapabilities, Medium};
use smoltcp::time::Instant;
use std::collections::VecDeque;

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
}

impl Loopback {
    /// Returns whether packets wait to be received.
    pub(crate) fn pending(&self) -> bool {
        !self.queue.is_empty()
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
        caps
    }

    fn receive(&mut self, _now: Instant) -> Option<(RxToken, TxToken<'_>)> {
        let buffer = self.queue.pop_front()?;
        Some((RxToken { buffer }, TxToken { dev: self }))
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
