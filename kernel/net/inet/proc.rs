//! /proc/net/tcp, tcp6, udp and udp6: one line per socket in Linux's
//! format (net/ipv4/tcp_ipv4.c `get_tcp4_sock`, net/ipv6/tcp_ipv6.c), which
//! netstat, ss (without sock_diag) and lsof read: addresses in hex as the
//! kernel stores them, ports in hex, Linux's state numbers, the queues, the
//! owner and the inode that links the line to /proc/PID/fd. `Row` is one
//! socket as these files and sock_diag (kernel/net/diag) see it; the rows
//! come from diag.rs.

use super::addr::Endpoint;
use super::tcp_info::{linux_state, TcpInfo, TCP_CLOSE};
use super::AF_INET6;
use smoltcp::socket::tcp;
use std::fmt::Write;
use std::net::IpAddr;

/// What a socket is to sock_diag: a full socket, a connection in
/// TIME_WAIT (Linux's timewait sock) or a handshake in progress (a request
/// sock): the two last have no owner, inode or options.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Full,
    TimeWait,
    Request,
}

/// One socket as the files and sock_diag show it.
#[derive(Clone)]
pub(crate) struct Row {
    pub family: u16,
    pub local: Endpoint,
    pub remote: Endpoint,
    pub state: u8,
    pub tx_queue: usize,
    pub rx_queue: usize,
    pub uid: u32,
    /// 0 for a connection without a socket file.
    pub inode: u64,
    /// The identity sock_diag reports and checks (`sock_gen_cookie`).
    pub cookie: u64,
    pub kind: Kind,
    /// `sk_shutdown`: RCV_SHUTDOWN 1 (shut down, or the peer's FIN came),
    /// SEND_SHUTDOWN 2.
    pub shutdown: u8,
    /// IP_TOS, which is IPV6_TCLASS too.
    pub tos: u8,
    pub v6only: bool,
    /// The port was chosen by bind(2) (Linux's SOCK_BINDPORT_LOCK).
    pub port_locked: bool,
    pub rcvbuf: usize,
    pub sndbuf: usize,
    /// tcp_info, filled for sock_diag's INET_DIAG_INFO.
    pub info: Option<TcpInfo>,
    /// A raw socket's protocol (sock_diag's INET_DIAG_PROTOCOL).
    pub raw_protocol: Option<u8>,
}

impl Default for Row {
    fn default() -> Row {
        let any = Endpoint::new(super::addr::any(super::AF_INET), 0);
        Row {
            family: super::AF_INET,
            local: any,
            remote: any,
            state: TCP_CLOSE,
            tx_queue: 0,
            rx_queue: 0,
            uid: 0,
            inode: 0,
            cookie: 0,
            kind: Kind::Full,
            shutdown: 0,
            tos: 0,
            v6only: false,
            port_locked: false,
            rcvbuf: 0,
            sndbuf: 0,
            info: None,
            raw_protocol: None,
        }
    }
}

impl Row {
    /// Takes the state, queues and endpoints of the connection `t`.
    pub(super) fn fill_connection(&mut self, t: &tcp::Socket) {
        self.state = linux_state(t.state());
        self.tx_queue = t.send_queue();
        self.rx_queue = t.recv_queue();
        if let Some(l) = t.local_endpoint() {
            self.local = Endpoint::new(l.addr.into(), l.port);
        }
        if let Some(r) = t.remote_endpoint() {
            self.remote = Endpoint::new(r.addr.into(), r.port);
        }
        // The peer's FIN shut the receiving half (Linux's tcp_fin).
        use tcp::State::{CloseWait, Closing, LastAck, TimeWait};
        if matches!(t.state(), CloseWait | LastAck | Closing | TimeWait) {
            self.shutdown |= 1;
        }
    }
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

/// Returns /proc/net/tcp (IPv4 sockets) or /proc/net/tcp6.
pub(crate) fn proc_tcp(net: &crate::net::Net, v6: bool) -> Vec<u8> {
    let rows: Vec<Row> = super::diag::tcp_rows(net, false)
        .into_iter()
        .filter(|r| (r.family == AF_INET6) == v6)
        .collect();
    render(&rows, v6, true)
}

/// Returns /proc/net/udp or /proc/net/udp6.
pub(crate) fn proc_udp(net: &crate::net::Net, v6: bool) -> Vec<u8> {
    let rows: Vec<Row> = super::diag::udp_rows(net)
        .into_iter()
        .filter(|r| (r.family == AF_INET6) == v6)
        .collect();
    render(&rows, v6, false)
}
