//! The rtnetlink protocol as plain logic (rtnetlink(7)): the messages of
//! one datagram a program sent to the kernel go in, the messages the
//! kernel answers come out — replies, `NLMSG_ERROR` acks with Linux's
//! NETLINK_CAP_ACK and NETLINK_EXT_ACK forms, and dumps, which the socket
//! hands out a buffer at a time. Following Linux's `netlink_rcv_skb` and
//! `rtnetlink_rcv_msg`: malformed framing ends the datagram silently;
//! messages without NLM_F_REQUEST and control messages are only acked;
//! unknown types are EOPNOTSUPP; changes need CAP_NET_ADMIN (EPERM). The
//! handlers are in link.rs, addr.rs and route.rs; changes they make reach
//! the multicast groups through the namespace (`Net`), before the ack.

use super::msg::{self, nlm_f, Builder, Header, NLMSGERR_ATTR_MSG, NLMSG_ERROR, NLMSG_HDRLEN};
use super::{addr, link, route};
use crate::net::{Net, Origin};
use arch::Errno;

/// `RTM_*`: the rtnetlink message types this kernel answers.
pub(crate) mod rtm {
    pub(crate) const NEWLINK: u16 = 16;
    pub(crate) const DELLINK: u16 = 17;
    pub(crate) const GETLINK: u16 = 18;
    pub(crate) const SETLINK: u16 = 19;
    pub(crate) const NEWADDR: u16 = 20;
    pub(crate) const DELADDR: u16 = 21;
    pub(crate) const GETADDR: u16 = 22;
    pub(crate) const NEWROUTE: u16 = 24;
    pub(crate) const DELROUTE: u16 = 25;
    pub(crate) const GETROUTE: u16 = 26;
    pub(crate) const NEWNEIGH: u16 = 28;
    pub(crate) const DELNEIGH: u16 = 29;
    pub(crate) const GETNEIGH: u16 = 30;
    pub(crate) const NEWRULE: u16 = 32;
    pub(crate) const GETRULE: u16 = 34;
    /// The largest type Linux knows (`RTM_MAX`).
    pub(crate) const MAX: u16 = 123;
}

/// Address families of the family byte.
pub(crate) const AF_UNSPEC: u8 = 0;
pub(crate) const AF_INET: u8 = 2;
pub(crate) const AF_INET6: u8 = 10;

/// Who sent a request, and how its socket wants answers.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Requester {
    /// The sending socket's port id (the pid of replies).
    pub portid: u32,
    /// Whether the sender has CAP_NET_ADMIN.
    pub admin: bool,
    /// NETLINK_GET_STRICT_CHK.
    pub strict: bool,
    /// NETLINK_EXT_ACK.
    pub ext_ack: bool,
    /// NETLINK_CAP_ACK.
    pub cap_ack: bool,
    /// The sender's user id (RTA_UID of `ip route get`).
    pub uid: u32,
}

/// Why a request failed: the errno and, for NETLINK_EXT_ACK, a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Fail {
    pub errno: Errno,
    pub msg: Option<&'static str>,
    /// Whether a dump that started failed: NLMSG_DONE reports it, not an ack.
    pub in_dump: bool,
}

impl From<Errno> for Fail {
    fn from(errno: Errno) -> Fail {
        Fail {
            errno,
            msg: None,
            in_dump: false,
        }
    }
}

/// Returns a failure with an extended-ack message.
pub(crate) fn fail(errno: Errno, msg: &'static str) -> Fail {
    Fail {
        errno,
        msg: Some(msg),
        in_dump: false,
    }
}

/// Marks a dump's failure as one of the dump (Linux validates dump
/// requests in the dump itself).
fn in_dump(r: Result<Reply, Fail>) -> Result<Reply, Fail> {
    r.map_err(|f| Fail { in_dump: true, ..f })
}

/// What a handler answers.
pub(crate) enum Reply {
    /// Nothing but the ack the request may ask for.
    Done,
    /// Messages, each its own datagram (a GET's answer).
    Msgs(Vec<Vec<u8>>),
    /// The messages of a dump, to be framed with NLM_F_MULTI and NLMSG_DONE.
    Dump(Vec<Vec<u8>>),
}

/// One request, as the handlers see it.
pub(crate) struct Request<'a> {
    pub net: &'a Net,
    pub who: Requester,
    pub hdr: Header,
    /// The payload after the netlink header.
    pub payload: &'a [u8],
}

impl Request<'_> {
    /// Returns the origin notifications of this request's changes carry.
    pub(crate) fn origin(&self) -> Origin {
        Origin {
            portid: self.who.portid,
            seq: self.hdr.seq,
        }
    }

    /// Returns whether the request asks for a dump.
    pub(crate) fn is_dump(&self) -> bool {
        self.hdr.flags & nlm_f::DUMP != 0
    }

    /// Returns the attributes after a family header of `hdrlen` bytes:
    /// EINVAL if the payload is shorter than the header (`nlmsg_parse`).
    pub(crate) fn attrs(&self, hdrlen: usize, strict: bool) -> Result<msg::Attrs<'_>, Fail> {
        let rest = self
            .payload
            .get(msg::align(hdrlen)..)
            .or_else(|| (self.payload.len() == hdrlen).then_some(&[][..]))
            .ok_or(Errno::EINVAL)?;
        Ok(msg::Attrs::parse(rest, strict)?)
    }
}

/// What one datagram to the kernel produced.
#[derive(Default)]
pub(crate) struct Outcome {
    /// Datagrams for the sender, in order.
    pub datagrams: Vec<Vec<u8>>,
    /// A dump started: its messages, already framed as NLM_F_MULTI and
    /// ending in NLMSG_DONE, for the socket to hand out.
    pub dump: Option<Vec<Vec<u8>>>,
}

/// Handles the messages of one datagram `data` sent to the kernel.
/// `dumping` says whether the socket still has a dump in progress (a
/// second one is EBUSY).
pub(crate) fn process(net: &Net, who: Requester, data: &[u8], dumping: bool) -> Outcome {
    process_with(net, who, data, dumping, dispatch)
}

/// Answers one request of a netlink protocol (its `rcv_msg`).
pub(crate) type Handler = fn(&Request) -> Result<Reply, Fail>;

/// Handles the messages of one datagram `data` sent to the kernel with
/// `handler` answering each request: the framing, acks and dumps of
/// Linux's `netlink_rcv_skb` and `netlink_dump`, which every protocol
/// shares.
pub(crate) fn process_with(
    net: &Net,
    who: Requester,
    data: &[u8],
    dumping: bool,
    handler: Handler,
) -> Outcome {
    let mut out = Outcome::default();
    for (hdr, whole) in msg::split(data) {
        let mut result: Result<Reply, Fail> = Ok(Reply::Done);
        if hdr.flags & nlm_f::REQUEST != 0 && hdr.ty >= msg::NLMSG_MIN_TYPE {
            let req = Request {
                net,
                who,
                hdr,
                payload: &whole[NLMSG_HDRLEN..],
            };
            result = handler(&req);
        }
        match result {
            Ok(Reply::Dump(msgs)) => {
                if dumping || out.dump.is_some() {
                    out.datagrams
                        .push(ack(&who, &hdr, whole, Some(&Errno::EBUSY.into())));
                    continue;
                }
                out.dump = Some(frame_dump(&who, &hdr, msgs, None));
                // A dump that started is not acked (Linux's -EINTR).
                continue;
            }
            Ok(Reply::Msgs(msgs)) => {
                out.datagrams.extend(msgs);
                if hdr.flags & nlm_f::ACK != 0 {
                    out.datagrams.push(ack(&who, &hdr, whole, None));
                }
            }
            Ok(Reply::Done) => {
                if hdr.flags & nlm_f::ACK != 0 {
                    out.datagrams.push(ack(&who, &hdr, whole, None));
                }
            }
            Err(f) if f.in_dump => {
                if dumping || out.dump.is_some() {
                    out.datagrams
                        .push(ack(&who, &hdr, whole, Some(&Errno::EBUSY.into())));
                    continue;
                }
                out.dump = Some(frame_dump(&who, &hdr, Vec::new(), Some(&f)));
            }
            Err(f) => out.datagrams.push(ack(&who, &hdr, whole, Some(&f))),
        }
    }
    out
}

/// Returns the `NLMSG_ERROR` message answering the request `whole` (Linux's
/// `netlink_ack`): the negated errno and the request's header, followed by
/// the request's payload for an error unless NETLINK_CAP_ACK
/// (NLM_F_CAPPED otherwise), and with NETLINK_EXT_ACK the failure's
/// message as NLMSGERR_ATTR_MSG (NLM_F_ACK_TLVS).
fn ack(who: &Requester, hdr: &Header, whole: &[u8], r: Option<&Fail>) -> Vec<u8> {
    let err = r.map_or(0, |f| f.errno as i32);
    let mut flags = 0;
    let echoed = if err != 0 && !who.cap_ack {
        whole
    } else {
        flags |= nlm_f::CAPPED;
        &whole[..NLMSG_HDRLEN]
    };
    let tlv = r.and_then(|f| f.msg).filter(|_| who.ext_ack && err != 0);
    if tlv.is_some() {
        flags |= nlm_f::ACK_TLVS;
    }
    let mut b = Builder::new(NLMSG_ERROR, flags, hdr.seq, who.portid);
    let mut body = (-err).to_ne_bytes().to_vec();
    body.extend_from_slice(echoed);
    b.put(&body);
    if let Some(m) = tlv {
        b.str(NLMSGERR_ATTR_MSG, m.as_bytes());
    }
    b.finish()
}

/// Marks the messages of a dump NLM_F_MULTI and appends NLMSG_DONE with
/// its result as an int: 0, or the negated errno of a dump that failed
/// (with NETLINK_EXT_ACK, its message as NLMSGERR_ATTR_MSG).
fn frame_dump(
    who: &Requester,
    hdr: &Header,
    mut msgs: Vec<Vec<u8>>,
    failed: Option<&Fail>,
) -> Vec<Vec<u8>> {
    for m in msgs.iter_mut() {
        if let Some(Header { flags, .. }) = Header::parse(m) {
            m[6..8].copy_from_slice(&(flags | nlm_f::MULTI).to_ne_bytes());
        }
    }
    let err = failed.map_or(0, |f| -(f.errno as i32));
    let tlv = failed.and_then(|f| f.msg).filter(|_| who.ext_ack);
    let flags = if tlv.is_some() {
        nlm_f::MULTI | nlm_f::ACK_TLVS
    } else {
        nlm_f::MULTI
    };
    let mut done = Builder::new(msg::NLMSG_DONE, flags, hdr.seq, who.portid);
    done.put(&err.to_ne_bytes());
    if let Some(m) = tlv {
        done.str(NLMSGERR_ATTR_MSG, m.as_bytes());
    }
    msgs.push(done.finish());
    msgs
}

/// Routes one request to its handler (rtnetlink_rcv_msg).
fn dispatch(req: &Request) -> Result<Reply, Fail> {
    let ty = req.hdr.ty;
    if ty > rtm::MAX {
        return Err(Errno::EOPNOTSUPP.into());
    }
    // Every rtnetlink message has at least the family byte.
    let Some(&family) = req.payload.first() else {
        return Ok(Reply::Done);
    };
    let kind = (ty - msg::NLMSG_MIN_TYPE) & 3;
    let is_get = kind == 2;
    if !is_get && !req.who.admin {
        return Err(Errno::EPERM.into());
    }
    if is_get && req.is_dump() {
        return match ty {
            rtm::GETLINK => in_dump(link::dump(req)),
            rtm::GETADDR => in_dump(addr::dump(req, family)),
            rtm::GETROUTE => in_dump(route::dump(req, family)),
            rtm::GETNEIGH => in_dump(neigh_dump(req)),
            rtm::GETRULE => in_dump(route::dump_rules(req, family)),
            _ => Err(Errno::EOPNOTSUPP.into()),
        };
    }
    match (ty, family) {
        (rtm::GETLINK, _) => link::get(req),
        (rtm::NEWLINK, _) => link::new(req),
        (rtm::SETLINK, _) => link::set(req),
        (rtm::DELLINK, _) => link::del(req),
        (rtm::NEWADDR, AF_INET | AF_INET6) => addr::new(req, family),
        (rtm::DELADDR, AF_INET | AF_INET6) => addr::del(req, family),
        (rtm::GETADDR, AF_INET6) => addr::get6(req),
        (rtm::NEWROUTE, AF_INET | AF_INET6) => route::new(req, family),
        (rtm::DELROUTE, AF_INET | AF_INET6) => route::del(req, family),
        (rtm::GETROUTE, AF_INET | AF_INET6) => route::get(req, family),
        (rtm::NEWNEIGH | rtm::DELNEIGH, _) => Err(Errno::EOPNOTSUPP.into()),
        _ => Err(Errno::EOPNOTSUPP.into()),
    }
}

/// `struct ndmsg` is 12 bytes.
const NDMSG_LEN: usize = 12;

/// RTM_GETNEIGH dump: the neighbours ARP and neighbour discovery learnt
/// on the cards (lo has none), of the device asked for; a strict request has its header
/// checked as Linux does.
fn neigh_dump(req: &Request) -> Result<Reply, Fail> {
    let p = req.payload;
    let family = p.first().copied().unwrap_or(0);
    let only = if p.len() >= 8 {
        i32::from_ne_bytes(msg::field(p, 4))
    } else {
        0
    };
    if req.who.strict {
        if req.payload.len() < NDMSG_LEN {
            return Err(fail(
                Errno::EINVAL,
                "invalid header for neighbor dump request",
            ));
        }
        let p = req.payload;
        let state = u16::from_ne_bytes([p[8], p[9]]);
        if p[1] != 0 || p[2] != 0 || p[3] != 0 || state != 0 || p[11] != 0 {
            return Err(fail(
                Errno::EINVAL,
                "invalid values in header for neighbor dump request",
            ));
        }
        let ifindex = i32::from_ne_bytes(msg::field(p, 4));
        if ifindex != 0 && req.net.device(ifindex).is_none() {
            return Err(Errno::ENODEV.into());
        }
    }
    let msgs = crate::net::inet::neighbours(req.net)
        .into_iter()
        .filter(|&(i, _, _)| only == 0 || i == only)
        .filter_map(|(ifindex, addr, mac)| {
            let (fam, octets) = match addr {
                std::net::IpAddr::V4(a) => (crate::net::inet::AF_INET, a.octets().to_vec()),
                std::net::IpAddr::V6(a) => (crate::net::inet::AF_INET6, a.octets().to_vec()),
            };
            if family != 0 && family != fam as u8 {
                return None;
            }
            // struct ndmsg: family, padding, index, NUD_REACHABLE, flags,
            // RTN_UNICAST.
            let mut h = [0u8; NDMSG_LEN];
            h[0] = fam as u8;
            h[4..8].copy_from_slice(&ifindex.to_ne_bytes());
            h[8..10].copy_from_slice(&2u16.to_ne_bytes());
            h[11] = 1;
            let mut b = msg::Builder::new(rtm::NEWNEIGH, 0, req.hdr.seq, req.who.portid);
            b.put(&h).attr(1, &octets).attr(2, &mac);
            Some(b.finish())
        })
        .collect();
    Ok(Reply::Dump(msgs))
}
