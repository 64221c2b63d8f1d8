//! What a TCP connection reports of itself: its state in Linux's numbering
//! (for TCP_INFO and /proc/net/tcp) and `struct tcp_info`.

use super::tcp::TcpSocket;
use smoltcp::socket::tcp;

/// Returns Linux's number of a TCP state (include/net/tcp_states.h).
pub(crate) fn linux_state(s: tcp::State) -> u8 {
    match s {
        tcp::State::Established => 1,
        tcp::State::SynSent => 2,
        tcp::State::SynReceived => 3,
        tcp::State::FinWait1 => 4,
        tcp::State::FinWait2 => 5,
        tcp::State::TimeWait => 6,
        tcp::State::Closed => 7,
        tcp::State::CloseWait => 8,
        tcp::State::LastAck => 9,
        tcp::State::Listen => 10,
        tcp::State::Closing => 11,
    }
}

/// The fields of `struct tcp_info` up to tcpi_total_retrans (104 bytes),
/// the part every version of the structure has.
#[derive(Default)]
pub(crate) struct TcpInfo {
    pub state: u8,
    pub rto_us: u32,
    pub snd_mss: u32,
    pub rcv_mss: u32,
    pub unacked: u32,
    pub rtt_us: u32,
    pub snd_cwnd: u32,
    pub rcv_space: u32,
}

impl TcpInfo {
    /// Returns the structure's bytes, cut to `len` (the caller's buffer).
    pub(crate) fn to_bytes(&self, len: usize) -> Vec<u8> {
        let mut b = vec![0u8; 104];
        b[0] = self.state;
        let mut put = |off: usize, v: u32| b[off..off + 4].copy_from_slice(&v.to_ne_bytes());
        put(8, self.rto_us);
        put(12, 40_000); // tcpi_ato
        put(16, self.snd_mss);
        put(20, self.rcv_mss);
        put(24, self.unacked);
        put(60, 65535); // tcpi_pmtu
        put(64, u32::MAX >> 1); // tcpi_rcv_ssthresh
        put(68, self.rtt_us);
        put(72, self.rtt_us / 2); // tcpi_rttvar
        put(76, i32::MAX as u32); // tcpi_snd_ssthresh
        put(80, self.snd_cwnd);
        put(84, self.snd_mss); // tcpi_advmss
        put(88, 3); // tcpi_reordering
        put(96, self.rcv_space);
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
