//! What a receive queue holds (Linux's `sk_buff` with its `unix_skb_parms`):
//! the data, how much of it a stream reader has consumed, the credentials
//! and open files that travel with it, and the sender's charge. As Linux's
//! `sk_wmem_alloc`, a message counts against its sender's send buffer until
//! it is consumed or dropped; dropping it gives the room back and wakes the
//! sender's writers. It is also charged against guest RAM (`kmem`) and
//! its files count as in flight for the sender's user (`inflight`), both
//! given back when it is dropped.

use super::inflight::InFlight;
use super::send::Outgoing;
use super::UnixSocket;
use crate::kmem::{self, KmemCharge};
use crate::net::Ucred;
use arch::{Errno, Result};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// What a message costs its sender beyond its data (an skb's overhead).
const OVERHEAD: usize = 512;

/// One message: a datagram, or a segment of a stream.
pub(super) struct Message {
    /// First, so that it is freed before the charges are given back.
    pub data: Vec<u8>,
    /// Bytes a stream reader has consumed from the front.
    pub consumed: usize,
    /// The sender's credentials, when either end asked for them or the
    /// sender gave SCM_CREDENTIALS.
    pub creds: Option<Ucred>,
    /// SCM_RIGHTS: open files in flight.
    pub files: InFlight,
    /// When it was sent (CLOCK_REALTIME: seconds, nanoseconds), for
    /// SO_TIMESTAMP.
    pub stamp: (i64, i64),
    charge: Charge,
    _memory: KmemCharge,
}

/// A message's claim on its sender's send buffer.
struct Charge {
    sender: Arc<UnixSocket>,
    size: usize,
}

impl Drop for Charge {
    fn drop(&mut self) {
        self.sender.wmem.fetch_sub(self.size, Ordering::Relaxed);
        self.sender.wait.wake_all();
    }
}

impl Message {
    /// Creates a message from `sender` of what `out` holds, charging its
    /// send buffer and guest RAM: ENOBUFS without RAM for it, ETOOMANYREFS
    /// if the sender's user has too many files in flight; `out` is taken
    /// only on success.
    pub fn new(
        sender: &Arc<UnixSocket>,
        out: &mut Outgoing,
        creds: Option<Ucred>,
    ) -> Result<Message> {
        let size = out.data.len() + OVERHEAD;
        // As Linux's sock_alloc_send_pskb when the skb's allocation fails.
        let memory = kmem::charge(size).map_err(|_| Errno::ENOBUFS)?;
        let files = InFlight::attach(&mut out.files)?;
        sender.wmem.fetch_add(size, Ordering::Relaxed);
        Ok(Message {
            data: std::mem::take(&mut out.data),
            consumed: 0,
            creds,
            files,
            stamp: arch::host::time::clock_gettime(0).unwrap_or((0, 0)),
            charge: Charge {
                sender: sender.clone(),
                size,
            },
            _memory: memory,
        })
    }

    /// Returns the bytes not consumed yet.
    pub fn rest(&self) -> &[u8] {
        &self.data[self.consumed..]
    }

    /// Returns the socket that sent it.
    pub fn sender(&self) -> &Arc<UnixSocket> {
        &self.charge.sender
    }
}
