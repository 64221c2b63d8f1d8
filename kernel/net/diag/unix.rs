//! unix_diag: the Unix sockets (Linux's net/unix/diag.c). A request
//! (`struct unix_diag_req`) asks for a dump of the sockets in a set of
//! states or for one by inode number, with the attributes its
//! `udiag_show` bits name: the bound name, the socket file (VFS), the
//! peer, a listener's pending connections (ICONS), the queue lengths, the
//! memory and the owner; UNIX_DIAG_SHUTDOWN always. A connection not yet
//! accepted has no inode and is left out.

use super::{cookie_matches, cookie_words, SkMemInfo, SOCK_DESTROY, SOCK_DIAG_BY_FAMILY};
use crate::net::netlink::msg::{self, nlm_f, Builder};
use crate::net::netlink::rtnl::{Fail, Reply, Request};
use crate::net::unix::{diag_rows, UnixRow};
use arch::Errno;

/// `sizeof(struct unix_diag_req)` and of `struct unix_diag_msg`.
const REQ_LEN: usize = 24;
const MSG_LEN: usize = 16;

/// `UDIAG_SHOW_*`: what a request asks to be shown.
mod show {
    pub(super) const NAME: u32 = 0x01;
    pub(super) const VFS: u32 = 0x02;
    pub(super) const PEER: u32 = 0x04;
    pub(super) const ICONS: u32 = 0x08;
    pub(super) const RQLEN: u32 = 0x10;
    pub(super) const MEMINFO: u32 = 0x20;
    pub(super) const UID: u32 = 0x40;
}

/// `UNIX_DIAG_*`: the reply's attributes.
mod attr {
    pub(super) const NAME: u16 = 0;
    pub(super) const VFS: u16 = 1;
    pub(super) const PEER: u16 = 2;
    pub(super) const ICONS: u16 = 3;
    pub(super) const RQLEN: u16 = 4;
    pub(super) const MEMINFO: u16 = 5;
    pub(super) const SHUTDOWN: u16 = 6;
    pub(super) const UID: u16 = 7;
}

/// Returns a device number as the kernel keeps it (`dev_t` of
/// `MKDEV`: 12 bits of major over 20 of minor), from fstat's encoding.
fn kernel_dev(dev: u64) -> u32 {
    (fs::major(dev) << 20) | (fs::minor(dev) & 0xf_ffff)
}

/// Answers a SOCK_DIAG_BY_FAMILY or SOCK_DESTROY request of AF_UNIX
/// (Linux's `unix_diag_handler_dump`): EINVAL if shorter than
/// `unix_diag_req`; no Unix socket can be destroyed (EOPNOTSUPP).
pub(super) fn handle(r: &Request) -> Result<Reply, Fail> {
    if r.hdr.ty == SOCK_DESTROY {
        return Err(Errno::EOPNOTSUPP.into());
    }
    let p = r.payload;
    if p.len() < REQ_LEN {
        return Err(Errno::EINVAL.into());
    }
    let states = u32::from_ne_bytes(msg::field(p, 4));
    let ino = u32::from_ne_bytes(msg::field(p, 8));
    let shown = u32::from_ne_bytes(msg::field(p, 12));
    let cookie = [
        u32::from_ne_bytes(msg::field(p, 16)),
        u32::from_ne_bytes(msg::field(p, 20)),
    ];
    if r.is_dump() {
        let msgs = diag_rows(r.net)
            .iter()
            .filter(|row| row.ino != 0 && states & (1 << row.state) != 0)
            .map(|row| message(r, row, shown, nlm_f::MULTI))
            .collect();
        return Ok(Reply::Dump(msgs));
    }
    // One socket by inode (Linux's `unix_diag_get_exact`).
    if ino == 0 {
        return Err(Errno::EINVAL.into());
    }
    let rows = diag_rows(r.net);
    let row = rows
        .iter()
        .find(|row| row.ino == u64::from(ino))
        .ok_or(Errno::ENOENT)?;
    if !cookie_matches(cookie, row.cookie) {
        return Err(Errno::ESTALE.into());
    }
    Ok(Reply::Msgs(vec![message(r, row, shown, 0)]))
}

/// Returns the message about `row` with the attributes `shown` asks for
/// (Linux's `sk_diag_fill`).
fn message(r: &Request, row: &UnixRow, shown: u32, flags: u16) -> Vec<u8> {
    let mut m = [0u8; MSG_LEN];
    m[0] = crate::net::AF_UNIX as u8;
    m[1] = row.kind.raw() as u8;
    m[2] = row.state;
    m[4..8].copy_from_slice(&(row.ino as u32).to_ne_bytes());
    m[8..16].copy_from_slice(&cookie_words(row.cookie));
    let mut b = Builder::new(SOCK_DIAG_BY_FAMILY, flags, r.hdr.seq, r.who.portid);
    b.put(&m);
    if shown & show::NAME != 0 {
        if let Some(name) = &row.name {
            b.attr(attr::NAME, name);
        }
    }
    if shown & show::VFS != 0 {
        if let Some((ino, dev)) = row.vfs {
            let mut v = (ino as u32).to_ne_bytes().to_vec();
            v.extend_from_slice(&kernel_dev(dev).to_ne_bytes());
            b.attr(attr::VFS, &v);
        }
    }
    if shown & show::PEER != 0 {
        if let Some(peer) = row.peer {
            b.u32(attr::PEER, peer as u32);
        }
    }
    if shown & show::ICONS != 0 && row.state == crate::net::unix::TCP_LISTEN {
        let v: Vec<u8> = row
            .icons
            .iter()
            .flat_map(|&i| (i as u32).to_ne_bytes())
            .collect();
        b.attr(attr::ICONS, &v);
    }
    if shown & show::RQLEN != 0 {
        let mut v = (row.rqueue as u32).to_ne_bytes().to_vec();
        v.extend_from_slice(&(row.wqueue as u32).to_ne_bytes());
        b.attr(attr::RQLEN, &v);
    }
    if shown & show::MEMINFO != 0 {
        let listening = row.state == crate::net::unix::TCP_LISTEN;
        let queued = |n: usize| if listening { 0 } else { n };
        let mem = SkMemInfo {
            rmem_alloc: queued(row.rqueue),
            rcvbuf: row.rcvbuf,
            wmem_alloc: queued(row.wqueue),
            sndbuf: row.sndbuf,
            wmem_queued: 0,
        };
        b.attr(attr::MEMINFO, &mem.bytes());
    }
    b.u8(attr::SHUTDOWN, row.shutdown);
    if shown & show::UID != 0 {
        b.u32(attr::UID, row.uid);
    }
    b.finish()
}
