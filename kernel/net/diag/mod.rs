//! NETLINK_SOCK_DIAG (sock_diag(7), Linux's net/core/sock_diag.c): what
//! `ss` asks the kernel about sockets. A request names a family in the
//! first byte of its `sock_diag_req`; `inet` answers AF_INET and AF_INET6
//! (TCP, UDP: Linux's inet_diag.c, tcp_diag.c, udp_diag.c, with the
//! filter `bytecode` of `ss sport = :80`), `unix` answers AF_UNIX (Linux's
//! net/unix/diag.c), `netlink` AF_NETLINK (net/netlink/diag.c). Other
//! families have no handler (ENOENT).
//!
//! The netlink socket (kernel/net/netlink) hands each datagram to
//! `process`, and the framing, acks and dumps are rtnetlink's
//! (`rtnl::process_with`), as Linux's sock_diag uses `netlink_rcv_skb`.
//! Any user may ask (ss runs unprivileged); only INET_DIAG_MARK and the
//! mark filter need CAP_NET_ADMIN, as in Linux.

mod bytecode;
mod inet;
mod netlink;
#[cfg(test)]
mod tests;
mod unix;

use super::netlink::rtnl::{self, Fail, Outcome, Reply, Request, Requester};
use super::Net;
use arch::Errno;

/// The message types of NETLINK_SOCK_DIAG: the requests of old programs
/// (`struct inet_diag_req`), and the ones by family.
const TCPDIAG_GETSOCK: u16 = 18;
const DCCPDIAG_GETSOCK: u16 = 19;
const SOCK_DIAG_BY_FAMILY: u16 = 20;
const SOCK_DESTROY: u16 = 21;

/// `sizeof(struct sock_diag_req)`: the family and protocol bytes.
const SOCK_DIAG_REQ_LEN: usize = 2;

/// `INET_DIAG_NOCOOKIE`: a cookie word that matches any socket.
const NOCOOKIE: u32 = u32::MAX;

/// Handles the messages of one datagram sent to the kernel's sock_diag.
pub(crate) fn process(net: &Net, who: Requester, data: &[u8], dumping: bool) -> Outcome {
    rtnl::process_with(net, who, data, dumping, rcv_msg)
}

/// Routes one request (Linux's `sock_diag_rcv_msg`): EINVAL for a type
/// sock_diag does not have.
fn rcv_msg(req: &Request) -> Result<Reply, Fail> {
    match req.hdr.ty {
        TCPDIAG_GETSOCK | DCCPDIAG_GETSOCK => inet::compat(req),
        SOCK_DIAG_BY_FAMILY | SOCK_DESTROY => by_family(req),
        _ => Err(Errno::EINVAL.into()),
    }
}

/// Answers a request by family (Linux's `__sock_diag_cmd`): EINVAL if it
/// is shorter than `sock_diag_req` or the family is past AF_MAX, ENOENT for
/// a family without sock_diag.
fn by_family(req: &Request) -> Result<Reply, Fail> {
    if req.payload.len() < SOCK_DIAG_REQ_LEN {
        return Err(Errno::EINVAL.into());
    }
    let family = u16::from(req.payload[0]);
    if u64::from(family) >= super::AF_MAX {
        return Err(Errno::EINVAL.into());
    }
    match family {
        super::inet::AF_INET | super::inet::AF_INET6 => inet::handle(req),
        super::AF_UNIX => unix::handle(req),
        super::netlink::AF_NETLINK => netlink::handle(req),
        _ => Err(Errno::ENOENT.into()),
    }
}

/// Returns whether the cookie words `want` (as a request carries them)
/// match `cookie`: both INET_DIAG_NOCOOKIE match any (Linux's
/// `sock_diag_check_cookie`).
fn cookie_matches(want: [u32; 2], cookie: u64) -> bool {
    (want[0] == NOCOOKIE && want[1] == NOCOOKIE)
        || (want[0] == cookie as u32 && want[1] == (cookie >> 32) as u32)
}

/// Returns the cookie as the two words a message carries.
fn cookie_words(cookie: u64) -> [u8; 8] {
    let mut b = [0u8; 8];
    b[..4].copy_from_slice(&(cookie as u32).to_ne_bytes());
    b[4..].copy_from_slice(&((cookie >> 32) as u32).to_ne_bytes());
    b
}

/// `SK_MEMINFO_*`: the nine words of INET_DIAG_SKMEMINFO and
/// UNIX_DIAG_MEMINFO (Linux's `sock_diag_put_meminfo`).
struct SkMemInfo {
    rmem_alloc: usize,
    rcvbuf: usize,
    wmem_alloc: usize,
    sndbuf: usize,
    wmem_queued: usize,
}

impl SkMemInfo {
    fn bytes(&self) -> Vec<u8> {
        let words = [
            self.rmem_alloc,
            self.rcvbuf,
            self.wmem_alloc,
            self.sndbuf,
            0, // forward allocation
            self.wmem_queued,
            0, // option memory
            0, // backlog
            0, // drops
        ];
        words
            .iter()
            .flat_map(|&w| (w.min(u32::MAX as usize) as u32).to_ne_bytes())
            .collect()
    }
}
