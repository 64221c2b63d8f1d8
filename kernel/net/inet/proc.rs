//! /proc/net/tcp, tcp6, udp and udp6: one line per socket in Linux's
//! format (net/ipv4/tcp_ipv4.c `get_tcp4_sock`, net/ipv6/tcp_ipv6.c), which
//! netstat, ss (without sock_diag) and lsof read: addresses in hex as the
//! kernel stores them, ports in hex, Linux's state numbers, the queues, the
//! owner and the inode that links the line to /proc/PID/fd.

use super::addr::Endpoint;
use super::stack::{with_stack, Stack};
use super::tcp_info::linux_state;
use super::AF_INET6;
use smoltcp::socket::tcp;
use std::fmt::Write;
use std::net::IpAddr;

/// One socket as the files show it.
pub(super) struct Row {
    pub family: u16,
    pub local: Endpoint,
    pub remote: Endpoint,
    pub state: u8,
    pub tx_queue: usize,
    pub rx_queue: usize,
    pub uid: u32,
    pub inode: u64,
}

/// Returns `a` as /proc/net prints it: the 32-bit words of the address in
/// network order, each printed as the host reads it.
fn hex_addr(a: IpAddr, v6: bool) -> String {
    match (a, v6) {
        (IpAddr::V4(v4), false) => format!("{:08X}", u32::from_le_bytes(v4.octets())),
        (a, _) => {
            let v6 = match a {
                IpAddr::V4(v4) => v4.to_ipv6_mapped(),
                IpAddr::V6(v6) => v6,
            };
            v6.octets()
                .chunks_exact(4)
                .map(|w| format!("{:08X}", u32::from_le_bytes([w[0], w[1], w[2], w[3]])))
                .collect()
        }
    }
}

/// Returns the file of `rows`: TCP's or UDP's header and lines.
fn render(rows: &[Row], v6: bool, tcp: bool) -> Vec<u8> {
    let mut out = String::new();
    if v6 {
        out.push_str("  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n");
    } else if tcp {
        out.push_str("  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode                                                     \n");
    } else {
        out.push_str("   sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode ref pointer drops             \n");
    }
    for (i, r) in rows.iter().enumerate() {
        let _ = write!(
            out,
            "{:>width$}: {}:{:04X} {}:{:04X} {:02X} {:08X}:{:08X} 00:00000000 00000000 {:>5} {:>8} {}",
            i,
            hex_addr(r.local.addr, v6),
            r.local.port,
            hex_addr(r.remote.addr, v6),
            r.remote.port,
            r.state,
            r.tx_queue,
            r.rx_queue,
            r.uid,
            0,
            r.inode,
            width = if tcp || v6 { 4 } else { 5 },
        );
        out.push_str(if tcp {
            " 1 0000000000000000 100 0 0 10 0\n"
        } else {
            " 2 0000000000000000 0\n"
        });
    }
    out.into_bytes()
}

/// Returns the rows of the closed connections still finishing (TIME_WAIT
/// and the like), which have no socket any more.
fn orphan_rows(stack: &mut Stack, v6: bool) -> Vec<Row> {
    let mut rows = Vec::new();
    for h in stack.orphan_handles() {
        let t = stack.tcp(h);
        let (Some(l), Some(r)) = (t.local_endpoint(), t.remote_endpoint()) else {
            continue;
        };
        let local = Endpoint::new(l.addr.into(), l.port);
        if local.addr.is_ipv6() != v6 {
            continue;
        }
        rows.push(Row {
            family: if v6 { AF_INET6 } else { super::AF_INET },
            local,
            remote: Endpoint::new(r.addr.into(), r.port),
            state: linux_state(t.state()),
            tx_queue: 0,
            rx_queue: 0,
            uid: 0,
            inode: 0,
        });
    }
    rows
}

/// Returns /proc/net/tcp (IPv4 sockets) or /proc/net/tcp6.
pub(crate) fn proc_tcp(v6: bool) -> Vec<u8> {
    with_stack(|stack| {
        let socks: Vec<_> = stack
            .tcp_socks
            .values()
            .filter_map(|w| w.upgrade())
            .collect();
        let mut rows: Vec<Row> = socks
            .iter()
            .map(|s| s.row(stack))
            .filter(|r| (r.family == AF_INET6) == v6)
            .collect();
        rows.extend(orphan_rows(stack, v6));
        render(&rows, v6, true)
    })
}

/// Returns /proc/net/udp or /proc/net/udp6.
pub(crate) fn proc_udp(v6: bool) -> Vec<u8> {
    with_stack(|stack| {
        let socks: Vec<_> = stack
            .udp_socks
            .values()
            .filter_map(|w| w.upgrade())
            .collect();
        let rows: Vec<Row> = socks
            .iter()
            .filter_map(|s| s.row(stack))
            .filter(|r| (r.family == AF_INET6) == v6)
            .collect();
        render(&rows, v6, false)
    })
}

/// Returns the Linux state number of a TCP socket's connection.
pub(super) fn tcp_state(t: &tcp::Socket) -> u8 {
    linux_state(t.state())
}
