//! What a TCP connection reports of itself: its state in Linux's numbering
//! (for TCP_INFO, /proc/net/tcp and sock_diag) and `struct tcp_info`
//! (TCP_INFO and sock_diag's INET_DIAG_INFO). smoltcp keeps no round-trip
//! estimate or congestion window that it shows, so those fields hold what
//! Linux reports of an idle loopback connection.

use super::tcp::TcpSocket;
use smoltcp::socket::tcp;

/// Linux's TCP states (include/net/tcp_states.h) that are not smoltcp's.
pub(crate) const TCP_ESTABLISHED: u8 = 1;
pub(crate) const TCP_SYN_RECV: u8 = 3;
pub(crate) const TCP_FIN_WAIT2: u8 = 5;
pub(crate) const TCP_TIME_WAIT: u8 = 6;
pub(crate) const TCP_CLOSE: u8 = 7;
pub(crate) const TCP_LISTEN: u8 = 10;

/// Returns Linux's number of a TCP state (include/net/tcp_states.h).
pub(crate) fn linux_state(s: tcp::State) -> u8 {
    match s {
        tcp::State::Established => TCP_ESTABLISHED,
        tcp::State::SynSent => 2,
        tcp::State::SynReceived => TCP_SYN_RECV,
        tcp::State::FinWait1 => 4,
        tcp::State::FinWait2 => TCP_FIN_WAIT2,
        tcp::State::TimeWait => TCP_TIME_WAIT,
        tcp::State::Closed => TCP_CLOSE,
        tcp::State::CloseWait => 8,
        tcp::State::LastAck => 9,
        tcp::State::Listen => TCP_LISTEN,
        tcp::State::Closing => 11,
    }
}

/// `sizeof(struct tcp_info)` up to tcpi_snd_wnd, what the C library's
/// headers describe.
pub(crate) const TCP_INFO_LEN: usize = 232;

/// The fields of `struct tcp_info` this kernel knows.
#[derive(Clone, Default)]
pub(crate) struct TcpInfo {
    pub state: u8,
    pub rto_us: u32,
    pub snd_mss: u32,
    pub rcv_mss: u32,
    /// A listener's: the connections ready for accept(2).
    pub unacked: u32,
    /// A listener's backlog (tcpi_sacked).
    pub sacked: u32,
    pub rtt_us: u32,
    pub snd_cwnd: u32,
    pub rcv_space: u32,
    /// Bytes queued but not yet sent (tcpi_notsent_bytes).
    pub notsent: u32,
    /// The peer's window as this end may fill it (tcpi_snd_wnd).
    pub snd_wnd: u32,
}

impl TcpInfo {
    /// Returns what a connection `t` reports.
    pub(crate) fn of(t: &tcp::Socket) -> TcpInfo {
        let mss = (super::device::LOOPBACK_MTU - 40 - 12) as u32;
        TcpInfo {
            state: linux_state(t.state()),
            rto_us: 200_000,
            snd_mss: mss,
            rcv_mss: mss,
            unacked: t.send_queue() as u32,
            sacked: 0,
            rtt_us: 50,
            snd_cwnd: 10,
            rcv_space: t.recv_capacity() as u32,
            notsent: 0,
            snd_wnd: t.send_capacity() as u32,
        }
    }

    /// Returns what a socket without a connection in `state` reports.
    pub(crate) fn unconnected(state: u8) -> TcpInfo {
        TcpInfo {
            state,
            ..Default::default()
        }
    }

    /// Returns what a listener with `ready` connections waiting for
    /// accept(2) and room for `backlog` reports (Linux's aliased fields).
    pub(crate) fn listener(ready: usize, backlog: usize) -> TcpInfo {
        TcpInfo {
            state: TCP_LISTEN,
            unacked: ready as u32,
            sacked: backlog as u32,
            ..Default::default()
        }
    }

    /// Returns the structure's bytes, cut to `len` (the caller's buffer).
    pub(crate) fn to_bytes(&self, len: usize) -> Vec<u8> {
        let mut b = vec![0u8; TCP_INFO_LEN];
        b[0] = self.state;
        let connected = self.snd_mss != 0;
        let mut put = |off: usize, v: u32| b[off..off + 4].copy_from_slice(&v.to_ne_bytes());
        put(8, self.rto_us);
        put(16, self.snd_mss);
        put(20, self.rcv_mss);
        put(24, self.unacked);
        put(28, self.sacked);
        put(96, self.rcv_space);
        put(144, self.notsent); // tcpi_notsent_bytes
        put(228, self.snd_wnd); // tcpi_snd_wnd
        if connected {
            put(60, 65535); // tcpi_pmtu
            put(64, self.rcv_space); // tcpi_rcv_ssthresh
            put(68, self.rtt_us);
            put(72, self.rtt_us / 2); // tcpi_rttvar
            put(76, i32::MAX as u32); // tcpi_snd_ssthresh
            put(80, self.snd_cwnd);
            put(84, self.snd_mss); // tcpi_advmss
            put(88, 3); // tcpi_reordering
            put(148, self.rtt_us); // tcpi_min_rtt
        }
        b.truncate(len);
        b
    }
}

impl TcpSocket {
    /// Returns TCP_INFO's bytes, at most `len`.
    pub(crate) fn tcp_info(&self, len: usize) -> Vec<u8> {
        self.info().to_bytes(len)
    }
}
