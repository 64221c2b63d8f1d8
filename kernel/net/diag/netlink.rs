//! netlink_diag: the netlink sockets (Linux's net/netlink/diag.c), what
//! `ss -A netlink` lists: for each protocol the kernel's own socket (port
//! 0), then the sockets bound to a port or a multicast group, with their
//! destination, groups (NETLINK_DIAG_GROUPS) and memory
//! (NETLINK_DIAG_MEMINFO). Only dumps: a lookup of one socket is
//! EOPNOTSUPP.

use super::{cookie_words, SkMemInfo};
use crate::net::netlink::msg::{self, nlm_f, Builder};
use crate::net::netlink::rtnl::{Fail, Reply, Request};
use crate::net::netlink::{
    DiagView, AF_NETLINK, MAX_LINKS, NETLINK_KOBJECT_UEVENT, NETLINK_ROUTE, NETLINK_SOCK_DIAG,
};
use arch::Errno;

/// `sizeof(struct netlink_diag_req)` and of `struct netlink_diag_msg`.
const REQ_LEN: usize = 20;
const MSG_LEN: usize = 28;

/// `NDIAG_PROTO_ALL`: every protocol.
const PROTO_ALL: u8 = 0xff;

/// `NDIAG_SHOW_*` and the attributes they ask for.
const SHOW_MEMINFO: u32 = 0x1;
const SHOW_GROUPS: u32 = 0x2;
const ATTR_MEMINFO: u16 = 0;
const ATTR_GROUPS: u16 = 1;

/// The protocols whose kernel socket exists here.
const KERNEL_PROTOCOLS: [i32; 3] = [NETLINK_ROUTE, NETLINK_SOCK_DIAG, NETLINK_KOBJECT_UEVENT];

/// Answers a request of AF_NETLINK (Linux's `netlink_diag_handler_dump`):
/// EINVAL if shorter than `netlink_diag_req`, EOPNOTSUPP but for a dump; a
/// dump of a protocol past MAX_LINKS ends with ENOENT.
pub(super) fn handle(r: &Request) -> Result<Reply, Fail> {
    let p = r.payload;
    if p.len() < REQ_LEN {
        return Err(Errno::EINVAL.into());
    }
    if r.hdr.ty != super::SOCK_DIAG_BY_FAMILY || !r.is_dump() {
        return Err(Errno::EOPNOTSUPP.into());
    }
    let protocol = p[1];
    let shown = u32::from_ne_bytes(msg::field(p, 8));
    if protocol != PROTO_ALL && i32::from(protocol) >= MAX_LINKS {
        return Err(Fail {
            in_dump: true,
            ..Errno::ENOENT.into()
        });
    }
    let socks: Vec<DiagView> = r
        .net
        .netlink
        .all()
        .iter()
        .map(|s| s.diag_view())
        .filter(|v| v.portid.is_some() || v.groups != 0)
        .collect();
    let mut msgs = Vec::new();
    for proto in 0..MAX_LINKS {
        if protocol != PROTO_ALL && i32::from(protocol) != proto {
            continue;
        }
        if KERNEL_PROTOCOLS.contains(&proto) {
            let kernel = DiagView {
                protocol: proto,
                kind: crate::net::SOCK_DGRAM,
                portid: Some(0),
                dst_portid: 0,
                dst_group: 0,
                groups: 0,
                rmem: 0,
                rcvbuf: crate::net::Options::default().rcvbuf,
                sndbuf: crate::net::Options::default().sndbuf,
                ino: 0,
            };
            msgs.push(message(r, &kernel, shown));
        }
        for v in socks.iter().filter(|v| v.protocol == proto) {
            msgs.push(message(r, v, shown));
        }
    }
    Ok(Reply::Dump(msgs))
}

/// Returns the message about one socket (Linux's `sk_diag_fill`).
fn message(r: &Request, v: &DiagView, shown: u32) -> Vec<u8> {
    let mut m = [0u8; MSG_LEN];
    m[0] = AF_NETLINK as u8;
    m[1] = v.kind as u8;
    m[2] = v.protocol as u8;
    // ndiag_state: NETLINK_CONNECTED with a default destination.
    m[3] = u8::from(v.dst_portid != 0 || v.dst_group != 0);
    m[4..8].copy_from_slice(&v.portid.unwrap_or(0).to_ne_bytes());
    m[8..12].copy_from_slice(&v.dst_portid.to_ne_bytes());
    m[12..16].copy_from_slice(&v.dst_group.to_ne_bytes());
    m[16..20].copy_from_slice(&(v.ino as u32).to_ne_bytes());
    m[20..28].copy_from_slice(&cookie_words(v.ino));
    let mut b = Builder::new(
        super::SOCK_DIAG_BY_FAMILY,
        nlm_f::MULTI,
        r.hdr.seq,
        r.who.portid,
    );
    b.put(&m);
    if shown & SHOW_GROUPS != 0 && v.groups != 0 {
        b.attr(ATTR_GROUPS, &v.groups.to_ne_bytes());
    }
    if shown & SHOW_MEMINFO != 0 {
        let mem = SkMemInfo {
            rmem_alloc: v.rmem,
            rcvbuf: v.rcvbuf,
            wmem_alloc: 0,
            sndbuf: v.sndbuf,
            wmem_queued: 0,
        };
        b.attr(ATTR_MEMINFO, &mem.bytes());
    }
    b.finish()
}
