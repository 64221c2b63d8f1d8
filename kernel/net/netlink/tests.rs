//! Host unit tests of netlink and rtnetlink: request bytes in, messages
//! out, through a socket of a namespace of their own — framing, acks and
//! their errnos, dumps, changes and the notifications they make, the
//! socket's addresses, queue and options.

use super::msg::{nlm_f, Attrs, Builder, Header, NLMSG_DONE, NLMSG_ERROR};
use super::rtnl::{rtm, AF_INET, AF_INET6};
use super::socket::{opt, sockaddr};
use super::{NetlinkSocket, Sender};
use crate::net::device::iff;
use crate::net::Net;
use arch::Errno;
use std::sync::Arc;

const ROOT: Sender = Sender {
    pid: 100,
    uid: 0,
    gid: 0,
    admin: true,
};
const USER: Sender = Sender {
    pid: 101,
    uid: 1000,
    gid: 1000,
    admin: false,
};

fn socket(net: &Arc<Net>) -> Arc<NetlinkSocket> {
    NetlinkSocket::new(net, crate::net::SOCK_RAW, 0, true, fs::Owner::ROOT)
        .expect("a netlink socket")
}

/// Returns a request of type `ty` with `flags` (NLM_F_REQUEST added),
/// family header `fixed` and attributes `attrs`.
fn request(ty: u16, flags: u16, fixed: &[u8], attrs: &[(u16, &[u8])]) -> Vec<u8> {
    let mut b = Builder::new(ty, flags | nlm_f::REQUEST, 7, 0);
    b.put(fixed);
    for (t, v) in attrs {
        b.attr(*t, v);
    }
    b.finish()
}

/// Reads every queued datagram.
fn drain(s: &NetlinkSocket) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    while let Ok(r) = s.recv(65536, false) {
        out.push(r.data);
    }
    out
}

/// Returns the messages of datagrams.
fn messages(dgrams: &[Vec<u8>]) -> Vec<(Header, Vec<u8>)> {
    dgrams
        .iter()
        .flat_map(|d| {
            super::msg::split(d)
                .into_iter()
                .map(|(h, m)| (h, m[16..].to_vec()))
                .collect::<Vec<_>>()
        })
        .collect()
}

/// Returns the errno of an NLMSG_ERROR payload (0 for an ack).
fn ack_errno(payload: &[u8]) -> i32 {
    -i32::from_ne_bytes(payload[..4].try_into().expect("4 bytes"))
}

/// Sends `req` and returns the single ack's errno.
fn ack_of(s: &NetlinkSocket, req: &[u8], who: &Sender) -> i32 {
    s.send(req, None, who).expect("sent");
    let msgs = messages(&drain(s));
    assert_eq!(msgs.len(), 1, "one answer");
    assert_eq!(msgs[0].0.ty, NLMSG_ERROR);
    ack_errno(&msgs[0].1)
}

fn ifinfo(index: i32, flags: u32, change: u32) -> Vec<u8> {
    let mut h = vec![0u8; 16];
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    h[8..12].copy_from_slice(&flags.to_ne_bytes());
    h[12..16].copy_from_slice(&change.to_ne_bytes());
    h
}

fn ifaddr(family: u8, prefix: u8, index: i32) -> Vec<u8> {
    let mut h = vec![family, prefix, 0, 0, 0, 0, 0, 0];
    h[4..8].copy_from_slice(&index.to_ne_bytes());
    h
}

fn lo_up(s: &NetlinkSocket) {
    let req = request(rtm::NEWLINK, nlm_f::ACK, &ifinfo(1, iff::UP, iff::UP), &[]);
    assert_eq!(ack_of(s, &req, &ROOT), 0);
}

#[test]
fn link_dump_lists_lo_and_ends_with_done() {
    let _k = crate::lock::entered();
    let net = Net::new();
    let s = socket(&net);
    let req = request(rtm::GETLINK, nlm_f::DUMP, &[0u8; 16], &[]);
    assert_eq!(s.send(&req, None, &ROOT), Ok(req.len()));
    let msgs = messages(&drain(&s));
    assert_eq!(msgs.len(), 2);
    let (h, p) = &msgs[0];
    assert_eq!(
        (h.ty, h.flags, h.seq, h.pid),
        (rtm::NEWLINK, nlm_f::MULTI, 7, 100)
    );
    let attrs = Attrs::parse(&p[16..], true).expect("attributes");
    assert_eq!(attrs.str(3, 15), Ok(Some(&b"lo"[..])));
    assert_eq!(attrs.u32(4), Ok(Some(65536)));
    assert_eq!(attrs.str(6, 32), Ok(Some(&b"noop"[..])));
    assert_eq!(
        u32::from_ne_bytes(p[8..12].try_into().expect("flags")),
        iff::LOOPBACK
    );
    assert_eq!(msgs[1].0.ty, NLMSG_DONE);
    assert_eq!(msgs[1].1, 0i32.to_ne_bytes());
}

#[test]
fn lo_up_then_addresses_and_routes_dump() {
    let _k = crate::lock::entered();
    let net = Net::new();
    let s = socket(&net);
    lo_up(&s);
    let req = request(rtm::GETADDR, nlm_f::DUMP, &[0u8; 8], &[]);
    s.send(&req, None, &ROOT).expect("sent");
    let msgs = messages(&drain(&s));
    assert_eq!(msgs.len(), 3);
    assert_eq!(msgs[0].1[..2], [AF_INET, 8]);
    let a = Attrs::parse(&msgs[0].1[8..], true).expect("attributes");
    assert_eq!(a.get(2), Some(&[127, 0, 0, 1][..]));
    assert_eq!(a.str(3, 15), Ok(Some(&b"lo"[..])));
    assert_eq!(msgs[1].1[..2], [AF_INET6, 128]);
    let req = request(rtm::GETROUTE, nlm_f::DUMP, &[0u8; 12], &[]);
    s.send(&req, None, &ROOT).expect("sent");
    let msgs = messages(&drain(&s));
    assert_eq!(msgs.len(), 5, "3 IPv4 local routes, ::1, DONE");
    // ip route get 127.0.0.1
    let mut rt = [0u8; 12];
    rt[0] = AF_INET;
    let req = request(rtm::GETROUTE, 0, &rt, &[(1, &[127, 0, 0, 1])]);
    s.send(&req, None, &ROOT).expect("sent");
    let msgs = messages(&drain(&s));
    assert_eq!(msgs.len(), 1);
    assert_eq!(msgs[0].0.ty, rtm::NEWROUTE);
    let a = Attrs::parse(&msgs[0].1[12..], true).expect("attributes");
    assert_eq!(a.u32(4), Ok(Some(1)));
    let req = request(rtm::GETROUTE, 0, &rt, &[(1, &[10, 0, 0, 1])]);
    assert_eq!(ack_of(&s, &req, &ROOT), Errno::ENETUNREACH as i32);
}

#[test]
fn malformed_framing_is_ignored_silently() {
    let _k = crate::lock::entered();
    let net = Net::new();
    let s = socket(&net);
    let good = request(rtm::GETLINK, nlm_f::DUMP, &[0u8; 16], &[]);
    // Shorter than a header; a length below 16; a length past the data.
    for bad in [
        good[..10].to_vec(),
        {
            let mut b = good.clone();
            b[0..4].copy_from_slice(&8u32.to_ne_bytes());
            b
        },
        {
            let mut b = good.clone();
            b[0..4].copy_from_slice(&1000u32.to_ne_bytes());
            b
        },
    ] {
        assert_eq!(s.send(&bad, None, &ROOT), Ok(bad.len()));
        assert!(drain(&s).is_empty());
    }
    // No NLM_F_REQUEST: only the ack asked for.
    let mut noreq = good.clone();
    noreq[6..8].copy_from_slice(&nlm_f::ACK.to_ne_bytes());
    assert_eq!(ack_of(&s, &noreq, &ROOT), 0);
    // No family byte: nothing, or an ack.
    let empty = request(rtm::GETLINK, nlm_f::ACK, &[], &[]);
    assert_eq!(ack_of(&s, &empty, &ROOT), 0);
}

#[test]
fn errors_are_acked_with_linux_errnos() {
    let _k = crate::lock::entered();
    let net = Net::new();
    let s = socket(&net);
    let unknown = request(200, 0, &[0u8; 4], &[]);
    assert_eq!(ack_of(&s, &unknown, &ROOT), Errno::EOPNOTSUPP as i32);
    let short = request(rtm::GETLINK, 0, &[0u8; 4], &[]);
    assert_eq!(ack_of(&s, &short, &ROOT), Errno::EINVAL as i32);
    let nodev = request(rtm::GETLINK, 0, &ifinfo(9, 0, 0), &[]);
    assert_eq!(ack_of(&s, &nodev, &ROOT), Errno::ENODEV as i32);
    let byname = request(rtm::GETLINK, 0, &ifinfo(0, 0, 0), &[(3, b"nope\0")]);
    assert_eq!(ack_of(&s, &byname, &ROOT), Errno::ENODEV as i32);
    let short_mtu = request(rtm::SETLINK, 0, &ifinfo(1, 0, 0), &[(4, &[1, 2])]);
    assert_eq!(ack_of(&s, &short_mtu, &ROOT), Errno::ERANGE as i32);
    let long_name = request(
        rtm::SETLINK,
        0,
        &ifinfo(1, 0, 0),
        &[(3, b"0123456789abcdefg\0")],
    );
    assert_eq!(ack_of(&s, &long_name, &ROOT), Errno::ERANGE as i32);
    let eperm = request(
        rtm::NEWADDR,
        0,
        &ifaddr(AF_INET, 8, 1),
        &[(2, &[10, 0, 0, 1])],
    );
    assert_eq!(ack_of(&s, &eperm, &USER), Errno::EPERM as i32);
    let nolocal = request(rtm::NEWADDR, 0, &ifaddr(AF_INET, 8, 1), &[]);
    assert_eq!(ack_of(&s, &nolocal, &ROOT), Errno::EINVAL as i32);
    let badprefix = request(
        rtm::NEWADDR,
        0,
        &ifaddr(AF_INET, 33, 1),
        &[(2, &[10, 0, 0, 1])],
    );
    assert_eq!(ack_of(&s, &badprefix, &ROOT), Errno::EINVAL as i32);
    let del = request(
        rtm::DELADDR,
        0,
        &ifaddr(AF_INET, 8, 1),
        &[(2, &[10, 0, 0, 1])],
    );
    assert_eq!(ack_of(&s, &del, &ROOT), Errno::EADDRNOTAVAIL as i32);
    let dellink = request(rtm::DELLINK, 0, &ifinfo(1, 0, 0), &[]);
    assert_eq!(ack_of(&s, &dellink, &ROOT), Errno::EOPNOTSUPP as i32);
}

#[test]
fn acks_copy_the_request_unless_capped_and_carry_ext_ack_messages() {
    let _k = crate::lock::entered();
    let net = Net::new();
    let s = socket(&net);
    let bad = request(rtm::GETLINK, 0, &ifinfo(-1, 0, 0), &[]);
    s.send(&bad, None, &ROOT).expect("sent");
    let m = messages(&drain(&s));
    assert_eq!(m[0].0.flags, 0);
    assert_eq!(m[0].1.len(), 4 + bad.len(), "the whole request follows");
    assert_eq!(&m[0].1[4..], &bad[..]);
    s.setsockopt(opt::CAP_ACK, 1, true).expect("CAP_ACK");
    s.setsockopt(opt::EXT_ACK, 1, true).expect("EXT_ACK");
    s.send(&bad, None, &ROOT).expect("sent");
    let m = messages(&drain(&s));
    assert_eq!(m[0].0.flags, nlm_f::CAPPED | nlm_f::ACK_TLVS);
    assert_eq!(ack_errno(&m[0].1), Errno::EINVAL as i32);
    let tlvs = Attrs::parse(&m[0].1[20..], true).expect("TLVs");
    assert!(tlvs.get(1).is_some_and(|t| t.len() > 1));
    // A success ack is always capped.
    s.setsockopt(opt::CAP_ACK, 0, true).expect("CAP_ACK");
    let ok = request(
        rtm::SETLINK,
        nlm_f::ACK,
        &ifinfo(1, 0, 0),
        &[(4, &1500u32.to_ne_bytes())],
    );
    s.send(&ok, None, &ROOT).expect("sent");
    let m = messages(&drain(&s));
    assert_eq!((m[0].0.flags, m[0].1.len()), (nlm_f::CAPPED, 20));
    assert_eq!(net.mtu(1), Some(1500));
}

#[test]
fn changes_are_announced_to_groups() {
    let _k = crate::lock::entered();
    let net = Net::new();
    let s = socket(&net);
    let l = socket(&net);
    // RTMGRP_LINK | RTMGRP_IPV4_IFADDR
    l.bind(&sockaddr(0, 0x11), 200).expect("bind");
    l.setsockopt(opt::PKTINFO, 1, true).expect("PKTINFO");
    lo_up(&s);
    let req = request(
        rtm::NEWADDR,
        nlm_f::ACK | nlm_f::CREATE | nlm_f::EXCL,
        &ifaddr(AF_INET, 24, 1),
        &[(2, &[10, 1, 2, 3])],
    );
    assert_eq!(ack_of(&s, &req, &ROOT), 0);
    let mut got = Vec::new();
    while let Ok(r) = l.recv(65536, false) {
        got.push((r.group, messages(&[r.data])[0].0.ty));
    }
    assert_eq!(
        got,
        vec![(1, rtm::NEWLINK), (5, rtm::NEWADDR), (5, rtm::NEWADDR),],
        "lo up (127.0.0.1 too) and 10.1.2.3"
    );
    assert_eq!(ack_of(&s, &req, &ROOT), Errno::EEXIST as i32);
    // IPv6 only when asked for.
    l.setsockopt(opt::ADD_MEMBERSHIP, 9, true).expect("join");
    let req6 = request(
        rtm::NEWADDR,
        0,
        &ifaddr(AF_INET6, 64, 1),
        &[(
            1,
            &"2001:db8::1"
                .parse::<std::net::Ipv6Addr>()
                .expect("v6")
                .octets(),
        )],
    );
    s.send(&req6, None, &ROOT).expect("sent");
    assert!(drain(&s).is_empty(), "no ack unasked");
    let r = l.recv(65536, false).expect("the new IPv6 address");
    assert_eq!(r.group, 9);
    assert_eq!(
        l.setsockopt(opt::ADD_MEMBERSHIP, 0, true),
        Err(Errno::EINVAL)
    );
}

#[test]
fn ports_bind_and_autobind() {
    let _k = crate::lock::entered();
    let net = Net::new();
    let a = socket(&net);
    let b = socket(&net);
    a.autobind(300);
    assert_eq!(a.name(), sockaddr(300, 0));
    b.autobind(300);
    let p = b.bound_port().expect("bound") as i32;
    assert!(p <= -4096, "{p}");
    let c = socket(&net);
    assert_eq!(c.bind(&sockaddr(300, 0), 301), Err(Errno::EADDRINUSE));
    assert_eq!(c.bind(&sockaddr(300, 0)[..8], 301), Err(Errno::EINVAL));
    c.bind(&sockaddr(5000, 0), 301).expect("bind");
    assert_eq!(c.bind(&sockaddr(5001, 0), 301), Err(Errno::EINVAL));
    assert_eq!(
        NetlinkSocket::new(&net, crate::net::SOCK_RAW, 16, true, fs::Owner::ROOT).err(),
        Some(Errno::EPROTONOSUPPORT)
    );
    assert_eq!(
        NetlinkSocket::new(&net, crate::net::SOCK_STREAM, 0, true, fs::Owner::ROOT).err(),
        Some(Errno::ESOCKTNOSUPPORT)
    );
    // Another port: root only.
    assert_eq!(
        a.send(b"x", Some(&sockaddr(5000, 0)), &USER),
        Err(Errno::EPERM)
    );
    assert_eq!(a.send(b"hi", Some(&sockaddr(5000, 0)), &ROOT), Ok(2));
    let r = c.recv(100, false).expect("from a");
    assert_eq!((r.data, r.name), (b"hi".to_vec(), sockaddr(300, 0)));
    assert_eq!(
        a.send(b"x", Some(&sockaddr(77, 0)), &ROOT),
        Err(Errno::ECONNREFUSED)
    );
}

#[test]
fn peek_and_trunc_report_the_whole_datagram() {
    let _k = crate::lock::entered();
    let net = Net::new();
    let s = socket(&net);
    let req = request(rtm::GETLINK, nlm_f::DUMP, &[0u8; 16], &[]);
    s.send(&req, None, &ROOT).expect("sent");
    let peeked = s.recv(0, true).expect("peek");
    assert!(peeked.data.is_empty());
    assert!(peeked.len > 100);
    let r = s.recv(10, false).expect("truncated");
    assert_eq!((r.data.len(), r.len), (10, peeked.len));
    assert_eq!(s.recv(10, false).err(), Some(Errno::EAGAIN));
}

#[test]
fn overflow_drops_and_reports_enobufs_once() {
    let _k = crate::lock::entered();
    let net = Net::new();
    let s = socket(&net);
    let l = socket(&net);
    l.bind(&sockaddr(0, 1), 200).expect("bind");
    l.set_options(|o| o.set_rcvbuf(1));
    for mtu in 1000..1100u32 {
        net.set_mtu(1, mtu).expect("mtu");
    }
    assert_eq!(l.recv(65536, false).err(), Some(Errno::ENOBUFS));
    let mut n = 0;
    while l.recv(65536, false).is_ok() {
        n += 1;
    }
    assert!((1..10).contains(&n), "{n} kept");
    net.set_mtu(1, 1500).expect("mtu");
    assert!(
        l.recv(65536, false).is_ok(),
        "delivery resumes once drained"
    );
    drop(s);
}

#[test]
fn large_dumps_come_in_several_datagrams() {
    let _k = crate::lock::entered();
    let net = Net::new();
    let s = socket(&net);
    lo_up(&s);
    for i in 0..200u8 {
        let req = request(
            rtm::NEWADDR,
            nlm_f::CREATE,
            &ifaddr(AF_INET, 32, 1),
            &[(2, &[10, 9, 0, i])],
        );
        s.send(&req, None, &ROOT).expect("sent");
    }
    // A new socket: no read has grown its dump buffers yet.
    let s = socket(&net);
    let req = request(rtm::GETADDR, nlm_f::DUMP, &ifaddr(AF_INET, 0, 0), &[]);
    s.send(&req, None, &ROOT).expect("sent");
    let again = request(rtm::GETLINK, nlm_f::DUMP, &[0u8; 16], &[]);
    s.send(&again, None, &ROOT).expect("sent");
    let mut dgrams = drain(&s);
    let pos = dgrams
        .iter()
        .position(|d| Header::parse(d).is_some_and(|h| h.ty == NLMSG_ERROR))
        .expect("an ack");
    let ack = dgrams.remove(pos);
    assert_eq!(
        ack_errno(&ack[16..]),
        Errno::EBUSY as i32,
        "one dump at a time"
    );
    assert!(dgrams.len() >= 2, "{} datagrams", dgrams.len());
    assert!(dgrams.iter().all(|d| d.len() <= 32768));
    let msgs = messages(&dgrams);
    assert_eq!(msgs.len(), 202);
    assert_eq!(msgs.last().map(|m| m.0.ty), Some(NLMSG_DONE));
}

/// Random requests, framed or not, as root and as a user: every one is
/// answered or ignored, none panics, and the socket keeps working.
#[test]
fn random_requests_never_panic() {
    let _k = crate::lock::entered();
    let net = Net::new();
    let s = socket(&net);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    let mut rand = move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    };
    lo_up(&s);
    for i in 0..20_000 {
        let known = [16, 17, 18, 19, 20, 21, 22, 24, 25, 26, 28, 30, 34];
        let ty = if rand() % 4 == 0 {
            16 + (rand() % 112) as u16
        } else {
            known[(rand() % known.len() as u64) as usize]
        };
        let flags = (rand() & 0xfff) as u16 | nlm_f::REQUEST;
        let len = (rand() % 96) as usize;
        let mut body: Vec<u8> = (0..len).map(|_| rand() as u8).collect();
        // Often a plausible family and attribute framing.
        if len > 0 && rand() % 2 == 0 {
            body[0] = [0, AF_INET, AF_INET6][(rand() % 3) as usize];
        }
        if len > 20 && rand() % 2 == 0 {
            let at = [8, 12, 16][(rand() % 3) as usize];
            let alen = (rand() % 24) as u16;
            body[at..at + 2].copy_from_slice(&alen.to_ne_bytes());
            body[at + 2..at + 4].copy_from_slice(&((rand() % 64) as u16).to_ne_bytes());
        }
        let mut req = Builder::new(ty, flags, i, 0);
        req.put(&body);
        let mut data = req.finish();
        if rand() % 8 == 0 {
            let cut = (rand() as usize) % (data.len() + 1);
            data.truncate(cut);
        }
        let who = if rand() % 4 == 0 { &USER } else { &ROOT };
        let _ = s.send(&data, None, who);
        drain(&s);
    }
    let req = request(rtm::GETLINK, nlm_f::DUMP, &[0u8; 16], &[]);
    s.send(&req, None, &ROOT).expect("sent");
    assert!(!messages(&drain(&s)).is_empty());
}
