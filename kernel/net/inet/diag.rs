//! The Internet sockets as Linux's hash tables hold them, for sock_diag
//! (kernel/net/diag, Linux's tcp_diag.c and udp_diag.c), /proc/net/tcp and
//! udp (proc.rs) and /proc/net/sockstat: every TCP listener and connection
//! (also those waiting in a listener's accept queue, handshakes in
//! progress, and connections closed but still finishing, TIME_WAIT among
//! them), every bound UDP socket and every raw socket. A TCP socket that has no connection
//! and does not listen is in no table, and neither here.

use super::addr::Endpoint;
use super::proc::{Kind, Row};
use super::stack::Stack;
use super::tcp::TcpSocket;
use super::tcp_info::{
    TcpInfo, TCP_CLOSE, TCP_ESTABLISHED, TCP_FIN_WAIT2, TCP_LISTEN, TCP_SYN_RECV, TCP_TIME_WAIT,
};
use super::{AF_INET, AF_INET6};
use crate::net::Net;
use crate::net::Socket;
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp;
use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::{Arc, Weak};

/// Returns the cookie of a connection that has no socket: one that stays
/// while the connection does and never equals a socket id.
fn handle_cookie(h: SocketHandle) -> u64 {
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    h.hash(&mut hasher);
    hasher.finish() | 1 << 63
}

/// Returns the row of connection `h` of a socket of `family` owned by
/// `uid` that has no socket file; None once it is closed.
fn connection_row(stack: &mut Stack, h: SocketHandle, family: u16, uid: u32) -> Option<Row> {
    let t = stack.tcp(h);
    if t.state() == tcp::State::Closed {
        return None;
    }
    let mut row = Row {
        family,
        uid,
        cookie: handle_cookie(h),
        ..Row::default()
    };
    row.fill_connection(t);
    row.info = Some(TcpInfo::of(t));
    match row.state {
        TCP_TIME_WAIT | TCP_FIN_WAIT2 => {
            // Linux's timewait sock keeps only the connection's identity;
            // a closed connection in FIN_WAIT2 becomes one at once.
            row.kind = Kind::TimeWait;
            row.uid = 0;
        }
        TCP_SYN_RECV => {
            row.kind = Kind::Request;
            row.uid = 0;
        }
        _ => {}
    }
    Some(row)
}

/// Makes the addresses of a row what Linux keeps: an IPv6 socket's IPv4
/// addresses v4-mapped, an IPv4 socket's as they are. An IPv6 socket bound
/// to an IPv6 address (not a v4-mapped one) is IPv6-only, as Linux's
/// `__inet6_bind` makes it.
fn normalize(row: &mut Row) {
    if row.family == AF_INET6 {
        for ep in [&mut row.local, &mut row.remote] {
            if let IpAddr::V4(a) = ep.addr {
                *ep = Endpoint::new(IpAddr::V6(a.to_ipv6_mapped()), ep.port);
            }
        }
        if let IpAddr::V6(a) = row.local.addr {
            if !a.is_unspecified() && a.to_ipv4_mapped().is_none() {
                row.v6only = true;
            }
        }
    }
}

/// Returns the TCP sockets: listeners first, then connections; with
/// `info`, each with its tcp_info.
pub(crate) fn tcp_rows(net: &Net, info: bool) -> Vec<Row> {
    let mut rows = net.with_stack(|stack| {
        let socks: Vec<Arc<TcpSocket>> =
            stack.tcp_socks.values().filter_map(Weak::upgrade).collect();
        let mut rows = Vec::new();
        for s in &socks {
            let mut row = s.row(stack);
            if row.state == TCP_CLOSE {
                continue;
            }
            if info {
                row.info = Some(s.info_in(stack));
            }
            rows.push(row);
        }
        rows.sort_by_key(|r| r.state != TCP_LISTEN);
        // What listeners hold: connections for accept(2) and handshakes.
        let ids: Vec<u64> = stack.listeners.keys().copied().collect();
        for id in ids {
            let Some(owner) = stack.tcp_socks.get(&id).and_then(Weak::upgrade) else {
                continue;
            };
            let (family, uid) = (owner.family(), owner.inode().owner.uid);
            let mut handles: Vec<SocketHandle> = stack
                .listeners
                .get(&id)
                .map(|l| l.ready.iter().copied().collect())
                .unwrap_or_default();
            let listeners = std::mem::take(&mut stack.listeners);
            if let Some(l) = listeners.get(&id) {
                handles.extend(l.handshakes(stack));
            }
            stack.listeners = listeners;
            rows.extend(
                handles
                    .into_iter()
                    .filter_map(|h| connection_row(stack, h, family, uid)),
            );
        }
        for (h, family, uid) in stack.orphans() {
            if let Some(mut row) = connection_row(stack, h, family, uid) {
                // tcp_close shuts both directions.
                row.shutdown = 3;
                rows.push(row);
            }
        }
        rows
    });
    for row in rows.iter_mut() {
        normalize(row);
        if !info {
            row.info = None;
        }
    }
    rows
}

/// Returns the UDP sockets that are bound.
pub(crate) fn udp_rows(net: &Net) -> Vec<Row> {
    let mut rows = net.with_stack(|stack| {
        let socks: Vec<_> = stack.udp_socks.values().filter_map(Weak::upgrade).collect();
        socks
            .iter()
            .filter_map(|s| s.row(stack))
            .collect::<Vec<Row>>()
    });
    rows.iter_mut().for_each(normalize);
    rows
}

/// Returns the raw sockets that are hashed (all but those a disconnect
/// unhashed).
pub(crate) fn raw_rows(net: &Net) -> Vec<Row> {
    let mut rows = net.with_stack(|stack| {
        let socks: Vec<_> = stack.raw_socks.values().filter_map(Weak::upgrade).collect();
        socks
            .iter()
            .filter_map(|s| s.row(stack))
            .collect::<Vec<Row>>()
    });
    rows.iter_mut().for_each(normalize);
    rows
}

/// Returns how many TCP connections are in ESTABLISHED or CLOSE_WAIT
/// (the MIB's tcpCurrEstab, which Linux keeps as they change state).
pub(crate) fn curr_estab(net: &Net) -> usize {
    const TCP_CLOSE_WAIT: u8 = 8;
    tcp_rows(net, false)
        .iter()
        .filter(|r| r.kind == Kind::Full && matches!(r.state, TCP_ESTABLISHED | TCP_CLOSE_WAIT))
        .count()
}

/// Returns the pages `bytes` of queued data take (Linux counts protocol
/// memory in pages).
fn pages(bytes: usize) -> usize {
    bytes.div_ceil(arch::PAGE_SIZE as usize)
}

/// Returns the TCP, UDP, UDP-Lite and raw lines of /proc/net/sockstat
/// (`v6` false) or sockstat6, as Linux's `sockstat_seq_show` and `sockstat6_seq_show`
/// count: sockets in the tables by family ("inuse", TIME_WAIT apart),
/// closed connections ("orphan", "tw"), every TCP socket ("alloc") and
/// the pages their queues hold ("mem").
pub(crate) fn sockstat(net: &Net, v6: bool) -> String {
    let tcp = tcp_rows(net, false);
    let udp = udp_rows(net);
    let family = if v6 { AF_INET6 } else { AF_INET };
    let inuse = |rows: &[Row]| {
        rows.iter()
            .filter(|r| r.family == family && r.kind == Kind::Full)
            .count()
    };
    let raw = raw_rows(net);
    if v6 {
        return format!(
            "TCP6: inuse {}\nUDP6: inuse {}\nUDPLITE6: inuse 0\nRAW6: inuse {}\n",
            inuse(&tcp),
            inuse(&udp),
            inuse(&raw)
        );
    }
    // Closed connections are shut both ways; no other socket without a
    // file is.
    let orphan = tcp
        .iter()
        .filter(|r| r.kind == Kind::Full && r.inode == 0 && r.shutdown == 3)
        .count();
    let tw = tcp.iter().filter(|r| r.kind == Kind::TimeWait).count();
    let filed = tcp.iter().filter(|r| r.inode != 0).count();
    let unhashed = net
        .with_stack(|stack| stack.tcp_socks.len())
        .saturating_sub(filed);
    let alloc = tcp.iter().filter(|r| r.kind == Kind::Full).count() + unhashed;
    let mem = |rows: &[Row]| {
        let queued = rows
            .iter()
            .filter(|r| r.state != TCP_LISTEN)
            .map(|r| r.tx_queue + r.rx_queue);
        pages(queued.sum())
    };
    format!(
        "TCP: inuse {} orphan {orphan} tw {tw} alloc {alloc} mem {}\nUDP: inuse {} mem {}\n\
         UDPLITE: inuse 0\nRAW: inuse {}\n",
        inuse(&tcp),
        mem(&tcp),
        inuse(&udp),
        mem(&udp),
        inuse(&raw),
    )
}
