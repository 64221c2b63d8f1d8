//! Host unit tests of sock_diag: requests in, messages out through a
//! NETLINK_SOCK_DIAG socket — the errnos of malformed requests, dumps and
//! lookups of Unix sockets, the protocol attribute of inet requests.

use crate::net::netlink::msg::{nlm_f, Attrs, Builder, Header, NLMSG_DONE, NLMSG_ERROR};
use crate::net::netlink::{NetlinkSocket, Sender, NETLINK_SOCK_DIAG};
use crate::net::unix::UnixSocket;
use crate::net::{Net, SockType, Ucred};
use arch::Errno;
use std::sync::Arc;

const USER: Sender = Sender {
    pid: 101,
    uid: 1000,
    gid: 1000,
    admin: false,
};

fn socket(net: &Arc<Net>) -> Arc<NetlinkSocket> {
    NetlinkSocket::new(
        net,
        crate::net::SOCK_RAW,
        NETLINK_SOCK_DIAG,
        false,
        fs::Owner::ROOT,
    )
    .expect("a sock_diag socket")
}

/// Sends a request of type `ty` with `flags` and payload `fixed`, then
/// `attrs`; returns the messages answered (header, payload).
fn ask(ty: u16, flags: u16, fixed: &[u8], attrs: &[(u16, &[u8])]) -> Vec<(Header, Vec<u8>)> {
    let net = Net::new();
    let s = socket(&net);
    let mut b = Builder::new(ty, flags | nlm_f::REQUEST, 7, 0);
    b.put(fixed);
    for (t, v) in attrs {
        b.attr(*t, v);
    }
    s.send(&b.finish(), None, &USER).expect("send");
    let mut out = Vec::new();
    while let Ok(r) = s.recv(65536, false) {
        for (h, m) in crate::net::netlink::msg::split(&r.data) {
            out.push((h, m[16..].to_vec()));
        }
    }
    out
}

/// Returns the errno of an NLMSG_ERROR answer (0 for an ack).
fn error_of(msgs: &[(Header, Vec<u8>)]) -> Option<i32> {
    msgs.iter()
        .find(|(h, _)| h.ty == NLMSG_ERROR)
        .map(|(_, p)| -i32::from_ne_bytes([p[0], p[1], p[2], p[3]]))
}

/// Returns the result an NLMSG_DONE carries.
fn done_of(msgs: &[(Header, Vec<u8>)]) -> Option<i32> {
    msgs.iter()
        .find(|(h, _)| h.ty == NLMSG_DONE)
        .map(|(_, p)| -i32::from_ne_bytes([p[0], p[1], p[2], p[3]]))
}

fn inet_req(family: u8, protocol: u8, states: u32) -> Vec<u8> {
    let mut r = vec![0u8; 56];
    r[0] = family;
    r[1] = protocol;
    r[4..8].copy_from_slice(&states.to_ne_bytes());
    r
}

fn unix_req(states: u32, ino: u32, show: u32) -> Vec<u8> {
    let mut r = vec![0u8; 24];
    r[0] = 1;
    r[4..8].copy_from_slice(&states.to_ne_bytes());
    r[8..12].copy_from_slice(&ino.to_ne_bytes());
    r[12..16].copy_from_slice(&show.to_ne_bytes());
    r[16..24].fill(0xff);
    r
}

#[test]
fn malformed_requests() {
    let _k = crate::lock::entered();
    let e = |m: &[(Header, Vec<u8>)]| error_of(m);
    let dump = nlm_f::DUMP;
    assert_eq!(e(&ask(20, dump, &[2], &[])), Some(Errno::EINVAL as i32));
    assert_eq!(
        e(&ask(20, dump, &[2, 6, 0, 0], &[])),
        Some(Errno::EINVAL as i32)
    );
    assert_eq!(
        e(&ask(20, dump, &inet_req(46, 6, !0), &[])),
        Some(Errno::EINVAL as i32)
    );
    assert_eq!(
        e(&ask(20, dump, &inet_req(3, 6, !0), &[])),
        Some(Errno::ENOENT as i32)
    );
    assert_eq!(
        e(&ask(99, dump, &inet_req(2, 6, !0), &[])),
        Some(Errno::EINVAL as i32)
    );
    assert_eq!(
        e(&ask(21, 0, &unix_req(0, 0, 0), &[])),
        Some(Errno::EOPNOTSUPP as i32)
    );
    assert_eq!(
        e(&ask(20, dump, &unix_req(0, 0, 0)[..8], &[])),
        Some(Errno::EINVAL as i32)
    );
    // A protocol without inet_diag: the dump starts and ends with ENOENT.
    let m = ask(20, dump, &inet_req(2, 200, !0), &[]);
    assert_eq!(
        (error_of(&m), done_of(&m)),
        (None, Some(Errno::ENOENT as i32))
    );
    // INET_DIAG_REQ_PROTOCOL of another size than 4.
    let m = ask(20, dump, &inet_req(2, 6, !0), &[(3, &[17, 0])]);
    assert_eq!(error_of(&m), Some(Errno::EINVAL as i32));
    let m = ask(20, dump, &inet_req(2, 6, !0), &[(3, &262u32.to_ne_bytes())]);
    assert_eq!(done_of(&m), Some(Errno::ENOENT as i32));
    // Malformed bytecode is the request's error, not the dump's.
    let m = ask(20, dump, &inet_req(2, 6, !0), &[(1, &[99, 4, 8, 0])]);
    assert_eq!(
        (error_of(&m), done_of(&m)),
        (Some(Errno::EINVAL as i32), None)
    );
    // The mark condition needs CAP_NET_ADMIN.
    let mark = [10, 12, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0];
    let m = ask(20, dump, &inet_req(2, 6, !0), &[(1, &mark)]);
    assert_eq!(error_of(&m), Some(Errno::EPERM as i32));
    // Exact lookups of nothing.
    let m = ask(20, 0, &unix_req(0, 0, 0), &[]);
    assert_eq!(error_of(&m), Some(Errno::EINVAL as i32));
    let m = ask(20, 0, &unix_req(0, 0x7fff_fff0, 0), &[]);
    assert_eq!(error_of(&m), Some(Errno::ENOENT as i32));
}

#[test]
fn unix_pairs_and_their_peers() {
    let _k = crate::lock::entered();
    let cred = Ucred {
        pid: 1,
        uid: 0,
        gid: 0,
    };
    let [a, b] = UnixSocket::pair(SockType::Stream, fs::Owner::ROOT, cred);
    // Only sockets an open file holds have an inode for sock_diag.
    let m = ask(20, nlm_f::DUMP, &unix_req(!0, 0, 0x04), &[]);
    assert_eq!(done_of(&m), Some(0));
    let inos: Vec<u32> = m
        .iter()
        .filter(|(h, _)| h.ty == 20)
        .map(|(_, p)| u32::from_ne_bytes([p[4], p[5], p[6], p[7]]))
        .collect();
    assert!(!inos.contains(&0), "{inos:?}");
    let rows = crate::net::unix::diag_rows(crate::net::init_net());
    let ino = crate::net::Socket::inode(&*a).ino;
    let row = rows.iter().find(|r| r.cookie == ino);
    let row = row.expect("the pair is registered");
    assert_eq!((row.ino, row.peer, row.state), (0, Some(0), 1));
    let text =
        String::from_utf8(crate::net::unix::proc_net_unix(crate::net::init_net())).expect("text");
    assert!(text.starts_with("Num       RefCount Protocol Flags    Type St Inode Path\n"));
    assert!(
        text.contains(": 00000003 00000000 00000000 0001 02     0\n"),
        "{text}"
    );
    drop((a, b));
}

#[test]
fn attributes_parse() {
    let _k = crate::lock::entered();
    let m = ask(20, nlm_f::DUMP, &unix_req(!0, 0, 0), &[]);
    for (h, p) in m.iter().filter(|(h, _)| h.ty == 20) {
        assert!(h.flags & nlm_f::MULTI != 0);
        let attrs = Attrs::parse(&p[16..], true).expect("attributes");
        assert!(attrs.get(6).is_some(), "UNIX_DIAG_SHUTDOWN always");
    }
}
