//! inet_diag: the TCP, UDP and raw sockets of AF_INET and AF_INET6
//! (Linux's net/ipv4/inet_diag.c with tcp_diag.c, udp_diag.c and
//! raw_diag.c). A request
//! (`struct inet_diag_req_v2`, or the older `struct inet_diag_req` of
//! TCPDIAG_GETSOCK) asks for a dump of the sockets of a family and
//! protocol in a set of states, narrowed by ports and a `bytecode`
//! filter, or for the one socket its `inet_diag_sockid` names. Each socket
//! is answered with an `inet_diag_msg` (identity, state, queues, owner,
//! inode) and the attributes its `idiag_ext` bits ask for: INET_DIAG_INFO
//! (`struct tcp_info`), MEMINFO, SKMEMINFO, CONG, TOS, TCLASS, and those
//! Linux always adds (SHUTDOWN, SKV6ONLY, SOCKOPT; MARK for CAP_NET_ADMIN;
//! not CGROUP_ID, as a kernel without cgroups). The sockets come from the
//! inet layer's tables (`crate::net::inet::tcp_rows`), as /proc/net/tcp's
//! do.

use super::bytecode::{self, Entry};
use super::{cookie_matches, cookie_words, SkMemInfo, DCCPDIAG_GETSOCK, SOCK_DESTROY};
use crate::net::inet::{
    self, Kind, Row, AF_INET, AF_INET6, IPPROTO_TCP, IPPROTO_UDP, TCP_CLOSE, TCP_LISTEN,
};
use crate::net::netlink::msg::{self, nlm_f, Builder, NLA_HDRLEN, NLA_TYPE_MASK};
use crate::net::netlink::rtnl::{Fail, Reply, Request};
use crate::net::Net;
use arch::Errno;
use std::net::IpAddr;

/// `sizeof(struct inet_diag_req_v2)` and of the older `struct inet_diag_req`.
const REQ_V2_LEN: usize = 56;
const REQ_COMPAT_LEN: usize = 60;
/// `sizeof(struct inet_diag_msg)`.
const MSG_LEN: usize = 72;

/// `INET_DIAG_REQ_*`: the request's attributes.
const REQ_BYTECODE: u16 = 1;
const REQ_PROTOCOL: u16 = 3;

/// `INET_DIAG_*`: the reply's attributes (and, less one, the bits of
/// `idiag_ext` that ask for the first eight).
mod attr {
    pub(super) const MEMINFO: u16 = 1;
    pub(super) const INFO: u16 = 2;
    pub(super) const CONG: u16 = 4;
    pub(super) const TOS: u16 = 5;
    pub(super) const TCLASS: u16 = 6;
    pub(super) const SKMEMINFO: u16 = 7;
    pub(super) const SHUTDOWN: u16 = 8;
    pub(super) const PROTOCOL: u16 = 10;
    pub(super) const SKV6ONLY: u16 = 11;
    pub(super) const PAD: u16 = 14;
    pub(super) const MARK: u16 = 15;
    pub(super) const CLASS_ID: u16 = 17;
    pub(super) const SOCKOPT: u16 = 22;
}

/// The congestion control Linux uses unless told otherwise.
const CONGESTION_CONTROL: &[u8] = b"cubic";
/// What a retransmission timer shows (`idiag_expires`, ms): the RTO.
const RTO_MS: u32 = 200;

/// `IPPROTO_RAW`: raw_diag's protocol, for raw sockets of every protocol.
const IPPROTO_RAW: u32 = 255;

/// A request, whichever structure carried it.
struct InetReq<'a> {
    family: u8,
    protocol: u32,
    /// `inet_diag_req_raw`'s protocol of the raw socket looked up.
    raw_protocol: u8,
    ext: u8,
    states: u32,
    sport: u16,
    dport: u16,
    src: [u8; 16],
    dst: [u8; 16],
    cookie: [u32; 2],
    bytecode: Option<&'a [u8]>,
}

impl InetReq<'_> {
    fn wants(&self, a: u16) -> bool {
        self.ext & (1 << (a - 1)) != 0
    }
}

/// Returns the request's attributes after a header of `hdrlen` bytes, as
/// Linux's `inet_diag_parse_attrs` walks them: the last INET_DIAG_REQ_
/// BYTECODE and INET_DIAG_REQ_PROTOCOL, EINVAL for a protocol attribute
/// that is not 4 bytes.
fn parse_attrs(payload: &[u8], hdrlen: usize) -> Result<(Option<&[u8]>, Option<u32>), Errno> {
    let mut rest = payload.get(msg::align(hdrlen)..).unwrap_or(&[]);
    let (mut bc, mut proto) = (None, None);
    while rest.len() >= NLA_HDRLEN {
        let len = usize::from(u16::from_ne_bytes([rest[0], rest[1]]));
        let ty = u16::from_ne_bytes([rest[2], rest[3]]) & NLA_TYPE_MASK;
        if len < NLA_HDRLEN || len > rest.len() {
            break;
        }
        let value = &rest[NLA_HDRLEN..len];
        match ty {
            REQ_BYTECODE => bc = Some(value),
            REQ_PROTOCOL => {
                let v: [u8; 4] = value.try_into().map_err(|_| Errno::EINVAL)?;
                proto = Some(u32::from_ne_bytes(v));
            }
            _ => {}
        }
        rest = &rest[msg::align(len).min(rest.len())..];
    }
    Ok((bc, proto))
}

/// Reads the socket id at `at`: ports, addresses and cookie.
fn read_id(req: &mut InetReq, p: &[u8], at: usize) {
    req.sport = u16::from_be_bytes(msg::field(p, at));
    req.dport = u16::from_be_bytes(msg::field(p, at + 2));
    req.src = msg::field(p, at + 4);
    req.dst = msg::field(p, at + 20);
    req.cookie = [
        u32::from_ne_bytes(msg::field(p, at + 40)),
        u32::from_ne_bytes(msg::field(p, at + 44)),
    ];
}

/// Answers a SOCK_DIAG_BY_FAMILY or SOCK_DESTROY request of AF_INET or
/// AF_INET6 (Linux's `inet_diag_handler_cmd`): EINVAL if shorter than
/// `inet_diag_req_v2`.
pub(super) fn handle(r: &Request) -> Result<Reply, Fail> {
    let p = r.payload;
    if p.len() < REQ_V2_LEN {
        return Err(Errno::EINVAL.into());
    }
    let (bc, proto) = parse_attrs(p, REQ_V2_LEN)?;
    let mut req = InetReq {
        family: p[0],
        protocol: proto.unwrap_or(u32::from(p[1])),
        raw_protocol: p[3],
        ext: p[2],
        states: u32::from_ne_bytes(msg::field(p, 4)),
        sport: 0,
        dport: 0,
        src: [0; 16],
        dst: [0; 16],
        cookie: [0; 2],
        bytecode: bc,
    };
    read_id(&mut req, p, 8);
    if r.hdr.ty == super::SOCK_DIAG_BY_FAMILY && r.is_dump() {
        return dump(r, &req);
    }
    if r.hdr.ty == SOCK_DESTROY {
        // Closing sockets (ss -K) is not done here: as a kernel without
        // CONFIG_INET_DIAG_DESTROY answers.
        return match protocol_rows(r.net, &req) {
            Some(_) => Err(Errno::EOPNOTSUPP.into()),
            None => Err(Errno::ENOENT.into()),
        };
    }
    exact(r, &req)
}

/// Answers TCPDIAG_GETSOCK and DCCPDIAG_GETSOCK, the requests of programs
/// older than sock_diag (`struct inet_diag_req`; Linux's
/// `inet_diag_rcv_msg_compat`): a dump covers both families.
pub(super) fn compat(r: &Request) -> Result<Reply, Fail> {
    let p = r.payload;
    if p.len() < REQ_COMPAT_LEN {
        return Err(Errno::EINVAL.into());
    }
    let (bc, proto) = parse_attrs(p, REQ_COMPAT_LEN)?;
    let protocol = if r.hdr.ty == DCCPDIAG_GETSOCK {
        0
    } else {
        IPPROTO_TCP as u32
    };
    let mut req = InetReq {
        family: if r.is_dump() { 0 } else { p[0] },
        protocol: proto.unwrap_or(protocol),
        raw_protocol: 0,
        ext: p[3],
        states: u32::from_ne_bytes(msg::field(p, 52)),
        sport: 0,
        dport: 0,
        src: [0; 16],
        dst: [0; 16],
        cookie: [0; 2],
        bytecode: bc,
    };
    read_id(&mut req, p, 4);
    if r.is_dump() {
        dump(r, &req)
    } else {
        exact(r, &req)
    }
}

/// Returns the sockets of the request's protocol; None for a protocol
/// without inet_diag here (Linux's missing handler).
fn protocol_rows(net: &Net, req: &InetReq) -> Option<Vec<Row>> {
    match req.protocol {
        p if p == IPPROTO_TCP as u32 => Some(inet::tcp_rows(net, req.wants(attr::INFO))),
        p if p == IPPROTO_UDP as u32 => Some(inet::udp_rows(net)),
        IPPROTO_RAW => Some(inet::raw_rows(net)),
        _ => None,
    }
}

/// Returns an address as the message carries it: an IPv4 socket's in the
/// first word, an IPv6 socket's in all four.
fn addr_bytes(a: IpAddr) -> [u8; 16] {
    let mut b = [0u8; 16];
    match a {
        IpAddr::V4(v4) => b[..4].copy_from_slice(&v4.octets()),
        IpAddr::V6(v6) => b.copy_from_slice(&v6.octets()),
    }
    b
}

/// Returns whether the bytecode lets `row` through.
fn passes(req: &InetReq, row: &Row) -> bool {
    let Some(bc) = req.bytecode else {
        return true;
    };
    let (s, d) = (addr_bytes(row.local.addr), addr_bytes(row.remote.addr));
    let alen = if row.family == AF_INET6 { 16 } else { 4 };
    let full = row.kind == Kind::Full;
    bytecode::run(
        bc,
        &Entry {
            family: row.family as u8,
            saddr: &s[..alen],
            daddr: &d[..alen],
            sport: row.local.port,
            dport: row.remote.port,
            ifindex: 0,
            userlocks: Entry::userlocks(full && row.port_locked),
            mark: 0,
        },
    )
}

/// Returns whether a dump of `req` includes `row` (Linux's
/// `inet_diag_dump_icsk`, `udp_dump` and `raw_diag_dump`): its state is
/// asked for (raw_diag looks at no state), its family and ports match the
/// request's where it gives them (raw_diag wants the family), and the
/// bytecode lets it through. Listeners are left out when a remote port is
/// asked for.
fn selected(req: &InetReq, row: &Row, tcp: bool) -> bool {
    if row.raw_protocol.is_some() {
        if u16::from(req.family) != row.family {
            return false;
        }
    } else if req.states & (1 << row.state) == 0
        || (req.family != 0 && u16::from(req.family) != row.family)
    {
        return false;
    }
    if tcp && row.state == TCP_LISTEN && req.dport != 0 {
        return false;
    }
    if req.sport != 0 && req.sport != row.local.port {
        return false;
    }
    if req.dport != 0 && req.dport != row.remote.port {
        return false;
    }
    passes(req, row)
}

/// Dumps the sockets of the request (a failure to start is the request's
/// error; a protocol without inet_diag ends the dump with ENOENT).
fn dump(r: &Request, req: &InetReq) -> Result<Reply, Fail> {
    if let Some(bc) = req.bytecode {
        bytecode::audit(bc, r.who.admin)?;
    }
    let Some(rows) = protocol_rows(r.net, req) else {
        return Err(Fail {
            in_dump: true,
            ..Errno::ENOENT.into()
        });
    };
    let tcp = req.protocol == IPPROTO_TCP as u32;
    let msgs = rows
        .iter()
        .filter(|row| selected(req, row, tcp))
        .map(|row| message(r, req, row, tcp, nlm_f::MULTI))
        .collect();
    Ok(Reply::Dump(msgs))
}

/// Returns the address of a request's id for a lookup of `family`: an
/// IPv6 request with both addresses v4-mapped looks up IPv4 sockets.
fn lookup_addrs(req: &InetReq) -> Option<(IpAddr, IpAddr)> {
    let v6 = |b: [u8; 16]| std::net::Ipv6Addr::from(b);
    match u16::from(req.family) {
        AF_INET => {
            let v4 = |b: [u8; 16]| IpAddr::from([b[0], b[1], b[2], b[3]]);
            Some((v4(req.src), v4(req.dst)))
        }
        AF_INET6 => {
            let (s, d) = (v6(req.src), v6(req.dst));
            match (s.to_ipv4_mapped(), d.to_ipv4_mapped()) {
                (Some(s4), Some(d4)) => Some((s4.into(), d4.into())),
                _ => Some((s.into(), d.into())),
            }
        }
        _ => None,
    }
}

/// Returns whether a socket bound to `bound` receives what is sent to
/// `to` (the wildcard of its family takes everything of that family; an
/// IPv6 wildcard takes IPv4 too unless IPv6-only).
fn receives(row: &Row, to: IpAddr) -> bool {
    let bound = inet::unmap(row.local.addr);
    if bound.is_unspecified() {
        return bound.is_ipv4() == to.is_ipv4() || (row.family == AF_INET6 && !row.v6only);
    }
    bound == to
}

/// Answers a request for one socket (Linux's `inet_diag_find_one_icsk`
/// and `udp_dump_one`): TCP looks up the connection from the id's source
/// to its destination, then a listener on the source; UDP the socket that
/// would receive a datagram from the source to the destination. ENOENT
/// when none is found or (TCP) the cookie is another's; ESTALE for UDP's
/// cookie.
fn exact(r: &Request, req: &InetReq) -> Result<Reply, Fail> {
    let rows = protocol_rows(r.net, req).ok_or(Errno::ENOENT)?;
    let (src, dst) = lookup_addrs(req).ok_or(Errno::EINVAL)?;
    let tcp = req.protocol == IPPROTO_TCP as u32;
    let unmap = inet::unmap;
    if req.protocol == IPPROTO_RAW {
        // raw_diag's `raw_lookup`: the protocol, and the addresses the
        // socket is bound and connected to where it has them; no cookie.
        let row = rows
            .iter()
            .find(|row| {
                row.raw_protocol == Some(req.raw_protocol)
                    && u16::from(req.family) == row.family
                    && (row.remote.addr.is_unspecified() || unmap(row.remote.addr) == dst)
                    && (row.local.addr.is_unspecified() || unmap(row.local.addr) == src)
            })
            .ok_or(Errno::ENOENT)?;
        return Ok(Reply::Msgs(vec![message(r, req, row, false, 0)]));
    }
    let found = if tcp {
        let conn = rows.iter().find(|row| {
            row.state != TCP_LISTEN
                && row.local.port == req.sport
                && row.remote.port == req.dport
                && unmap(row.local.addr) == src
                && unmap(row.remote.addr) == dst
        });
        conn.or_else(|| {
            rows.iter().find(|row| {
                row.state == TCP_LISTEN && row.local.port == req.sport && receives(row, src)
            })
        })
    } else {
        let to = |row: &&Row| row.local.port == req.dport && receives(row, dst);
        let connected = |row: &&Row| row.remote.port == req.sport && unmap(row.remote.addr) == src;
        let unconnected = |row: &&Row| row.remote.port == 0;
        rows.iter()
            .filter(to)
            .find(connected)
            .or_else(|| rows.iter().filter(to).find(unconnected))
    };
    let row = found.ok_or(Errno::ENOENT)?;
    if !cookie_matches(req.cookie, row.cookie) {
        return Err(if tcp { Errno::ENOENT } else { Errno::ESTALE }.into());
    }
    Ok(Reply::Msgs(vec![message(r, req, row, tcp, 0)]))
}

/// Returns `inet_diag_sockopt`'s two bytes: IS_ICSK for TCP, MC_LOOP
/// (set at creation), MC_ALL (IPv4's), HDRINCL for an IPPROTO_RAW socket.
fn sockopt(row: &Row, tcp: bool) -> [u8; 2] {
    const IS_ICSK: u8 = 1 << 1;
    const HDRINCL: u8 = 1 << 3;
    const MC_LOOP: u8 = 1 << 4;
    const MC_ALL: u8 = 1 << 6;
    let mut b = MC_LOOP;
    if tcp {
        b |= IS_ICSK;
    }
    if row.family == AF_INET {
        b |= MC_ALL;
    }
    if row.raw_protocol == Some(IPPROTO_RAW as u8) {
        b |= HDRINCL;
    }
    [b, 0]
}

/// Returns the message answering `req` about `row` (Linux's
/// `inet_sk_diag_fill`, `inet_twsk_diag_fill`, `inet_req_diag_fill`).
fn message(r: &Request, req: &InetReq, row: &Row, tcp: bool, flags: u16) -> Vec<u8> {
    let mut m = vec![0u8; MSG_LEN];
    m[0] = row.family as u8;
    m[1] = row.state;
    m[4..6].copy_from_slice(&row.local.port.to_be_bytes());
    m[6..8].copy_from_slice(&row.remote.port.to_be_bytes());
    m[8..24].copy_from_slice(&addr_bytes(row.local.addr));
    m[24..40].copy_from_slice(&addr_bytes(row.remote.addr));
    m[44..52].copy_from_slice(&cookie_words(row.cookie));
    let put = |m: &mut [u8], at: usize, v: u32| m[at..at + 4].copy_from_slice(&v.to_ne_bytes());
    match row.kind {
        Kind::TimeWait => m[2] = 3,
        Kind::Request => {
            m[2] = 1;
            put(&mut m, 52, RTO_MS * 5);
        }
        Kind::Full => {
            put(&mut m, 56, row.rx_queue as u32);
            put(&mut m, 60, row.tx_queue as u32);
            put(&mut m, 64, row.uid);
            put(&mut m, 68, row.inode as u32);
            if tcp && row.state != TCP_LISTEN && row.tx_queue > 0 {
                // Data in flight: the retransmission timer runs.
                m[2] = 1;
                put(&mut m, 52, RTO_MS);
            }
        }
    }
    let mut b = Builder::new(r.hdr.ty, flags, r.hdr.seq, r.who.portid);
    b.put(&m);
    if row.kind != Kind::Full {
        if r.who.admin {
            b.u32(attr::MARK, 0);
        }
        return b.finish();
    }
    b.u8(attr::SHUTDOWN, row.shutdown);
    if req.wants(attr::TOS) {
        b.u8(attr::TOS, row.tos);
    }
    if row.family == AF_INET6 {
        if req.wants(attr::TCLASS) {
            b.u8(attr::TCLASS, row.tos);
        }
        if row.state == TCP_LISTEN || row.state == TCP_CLOSE {
            b.u8(attr::SKV6ONLY, u8::from(row.v6only));
        }
    }
    if r.who.admin {
        b.u32(attr::MARK, 0);
    }
    if req.wants(attr::TCLASS) {
        // The class id, or the socket's priority without one.
        b.u32(attr::CLASS_ID, 0);
    }
    b.attr(attr::SOCKOPT, &sockopt(row, tcp));
    if req.wants(attr::MEMINFO) {
        let words = [row.rx_queue, row.tx_queue, 0, row.tx_queue];
        let bytes: Vec<u8> = words
            .iter()
            .flat_map(|&w| (w as u32).to_ne_bytes())
            .collect();
        b.attr(attr::MEMINFO, &bytes);
    }
    if req.wants(attr::SKMEMINFO) {
        let listening = row.state == TCP_LISTEN;
        let queued = |n: usize| if listening { 0 } else { n };
        let mem = SkMemInfo {
            rmem_alloc: queued(row.rx_queue),
            rcvbuf: row.rcvbuf,
            wmem_alloc: queued(row.tx_queue),
            sndbuf: row.sndbuf,
            wmem_queued: queued(row.tx_queue),
        };
        b.attr(attr::SKMEMINFO, &mem.bytes());
    }
    if let Some(p) = row.raw_protocol {
        b.u8(attr::PROTOCOL, p);
    }
    if !tcp {
        return b.finish();
    }
    if req.wants(attr::INFO) {
        let info = row.info.clone().unwrap_or_default();
        let bytes = info.to_bytes(usize::MAX);
        b.attr64(attr::INFO, &bytes, attr::PAD);
    }
    if req.wants(attr::CONG) {
        b.str(attr::CONG, CONGESTION_CONTROL);
    }
    b.finish()
}
