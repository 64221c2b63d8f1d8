//! The generic options every socket keeps (socket(7), Linux's `struct sock`
//! fields that `sk_setsockopt` sets): buffer sizes with Linux's doubling and
//! limits, receive and send timeouts, the low-water mark, SO_PASSCRED,
//! SO_LINGER, and the flags that are accepted and read back but change
//! nothing for a Unix socket (SO_REUSEADDR, SO_KEEPALIVE...).

use std::collections::BTreeMap;
use std::time::Duration;

/// net.core.wmem_default / rmem_default, and wmem_max / rmem_max.
const BUF_DEFAULT: usize = 212_992;
const BUF_MAX: usize = 212_992;
/// Linux's SOCK_MIN_SNDBUF and SOCK_MIN_RCVBUF on x86_64.
const MIN_SNDBUF: usize = 4608;
const MIN_RCVBUF: usize = 2304;

/// SO_DEBUG, SO_REUSEADDR, SO_DONTROUTE, SO_BROADCAST, SO_KEEPALIVE,
/// SO_OOBINLINE, SO_NO_CHECK, SO_PRIORITY, SO_REUSEPORT, SO_PASSSEC: kept,
/// read back, otherwise without effect here. SO_PRIORITY keeps its value,
/// the others are booleans.
pub(crate) const PLAIN_OPTIONS: [i32; 10] = [1, 2, 5, 6, 9, 10, 11, 12, 15, 34];
const SO_PRIORITY: i32 = 12;

/// How long a blocking socket call may wait (`sk_rcvtimeo`, `sk_sndtimeo`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Timeout {
    Forever,
    /// A zero duration means the call does not wait at all.
    After(Duration),
}

/// The receive time stamps a socket asked for (SO_TIMESTAMP and
/// SO_TIMESTAMPNS, in the old or new layout: their option numbers).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Stamps {
    Off,
    Micro(i32),
    Nano(i32),
}

/// A socket's options.
#[derive(Clone, Debug)]
pub(crate) struct Options {
    pub passcred: bool,
    /// SO_TIMESTAMP / SO_TIMESTAMPNS on a Unix socket.
    pub stamps: Stamps,
    pub sndbuf: usize,
    pub rcvbuf: usize,
    /// SO_SNDBUF / SO_RCVBUF were set (Linux's SOCK_SNDBUF_LOCK and
    /// SOCK_RCVBUF_LOCK: TCP stops sizing the buffers itself).
    pub sndbuf_locked: bool,
    pub rcvbuf_locked: bool,
    pub rcvtimeo: Timeout,
    pub sndtimeo: Timeout,
    /// SO_RCVLOWAT: the bytes a stream read waits for (at least 1).
    pub rcvlowat: usize,
    /// SO_LINGER's (l_onoff, l_linger).
    pub linger: (i32, i32),
    /// SO_BINDTODEVICE's interface index (0: none).
    pub bound_dev: i32,
    plain: BTreeMap<i32, i32>,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            passcred: false,
            stamps: Stamps::Off,
            sndbuf: BUF_DEFAULT,
            rcvbuf: BUF_DEFAULT,
            sndbuf_locked: false,
            rcvbuf_locked: false,
            rcvtimeo: Timeout::Forever,
            sndtimeo: Timeout::Forever,
            rcvlowat: 1,
            linger: (0, 0),
            bound_dev: 0,
            plain: BTreeMap::new(),
        }
    }
}

impl Options {
    /// SO_SNDBUF: Linux doubles the request (for its bookkeeping overhead)
    /// within [SOCK_MIN_SNDBUF, 2 * wmem_max].
    pub(crate) fn set_sndbuf(&mut self, val: i32) {
        let v = (val.max(0) as usize).min(BUF_MAX);
        self.sndbuf = (v * 2).max(MIN_SNDBUF);
        self.sndbuf_locked = true;
    }

    /// SO_RCVBUF, as SO_SNDBUF with its own minimum.
    pub(crate) fn set_rcvbuf(&mut self, val: i32) {
        let v = (val.max(0) as usize).min(BUF_MAX);
        self.rcvbuf = (v * 2).max(MIN_RCVBUF);
        self.rcvbuf_locked = true;
    }

    /// SO_RCVLOWAT: negative means INT_MAX, zero means 1.
    pub(crate) fn set_rcvlowat(&mut self, val: i32) {
        self.rcvlowat = if val < 0 {
            i32::MAX as usize
        } else {
            (val as usize).max(1)
        };
    }

    /// Sets one of `PLAIN_OPTIONS`.
    pub(crate) fn set_plain(&mut self, opt: i32, val: i32) {
        let v = if opt == SO_PRIORITY {
            val
        } else {
            (val != 0) as i32
        };
        self.plain.insert(opt, v);
    }

    /// Returns one of `PLAIN_OPTIONS` (0 until set).
    pub(crate) fn plain(&self, opt: i32) -> i32 {
        self.plain.get(&opt).copied().unwrap_or(0)
    }
}
