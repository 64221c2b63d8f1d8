//! The registry of live Unix sockets (Linux's `unix_socket_table` as the
//! diag and /proc code walk it) and what they show there: `rows` for
//! sock_diag's unix_diag (kernel/net/diag/unix.rs) and the text of
//! /proc/net/unix (Linux's `unix_seq_show`). A socket enters the registry
//! when it is made and leaves it when it is closed; a connection not yet
//! accepted is in it, without an inode (it has no file yet).

use super::{Conn, UnixAddr, UnixSocket};
use crate::net::SockType;
use arch::sync::KernelCell;
use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

/// Every socket not yet closed, by its sockfs inode number.
static REGISTRY: KernelCell<BTreeMap<u64, Weak<UnixSocket>>> = KernelCell::new(BTreeMap::new());

/// Adds a new socket to the registry.
pub(super) fn register(sock: &Arc<UnixSocket>) {
    let mut r = REGISTRY.borrow_mut();
    // Sockets dropped without a close (never filed) leave dead entries.
    if r.len() >= 64 && r.len().is_power_of_two() {
        r.retain(|_, w| w.strong_count() > 0);
    }
    r.insert(sock.sock_inode.ino, Arc::downgrade(sock));
}

/// Removes a closed socket.
pub(super) fn unregister(sock: &UnixSocket) {
    REGISTRY.borrow_mut().remove(&sock.sock_inode.ino);
}

/// Returns the live sockets, upgraded outside the registry's lock.
fn live() -> Vec<Arc<UnixSocket>> {
    let weak: Vec<Weak<UnixSocket>> = REGISTRY.borrow().values().cloned().collect();
    weak.iter()
        .filter_map(Weak::upgrade)
        .filter(|s| !s.is_dead())
        .collect()
}

/// Linux's TCP states as a Unix socket has them (`sk_state`).
pub(crate) const TCP_ESTABLISHED: u8 = 1;
pub(crate) const TCP_CLOSE: u8 = 7;
pub(crate) const TCP_LISTEN: u8 = 10;

/// One socket as sock_diag and /proc/net/unix show it.
pub(crate) struct UnixRow {
    /// The sockfs inode; 0 for a connection not accepted yet.
    pub ino: u64,
    /// The identity sock_diag reports and checks.
    pub cookie: u64,
    pub kind: SockType,
    pub state: u8,
    /// The name as `sun_path` holds it: a path with its NUL, or a NUL and
    /// the abstract name.
    pub name: Option<Vec<u8>>,
    /// The socket file bind(2) made: its inode number and device.
    pub vfs: Option<(u64, u64)>,
    /// The connected peer's inode (0 for one without a file).
    pub peer: Option<u64>,
    /// A listener's pending connections: the inode of each one's client.
    pub icons: Vec<u64>,
    /// UNIX_DIAG_RQLEN: a listener's pending connections and backlog,
    /// else the bytes to read and those sent but not yet read.
    pub rqueue: usize,
    pub wqueue: usize,
    pub rcvbuf: usize,
    pub sndbuf: usize,
    pub shutdown: u8,
    pub uid: u32,
    /// Whether an open file holds it (a struct socket, for Linux).
    pub filed: bool,
    /// References Linux would count: the file (or the listener's queue),
    /// the table, and each socket whose peer it is.
    pub refs: u32,
}

impl UnixSocket {
    /// Returns the socket as sock_diag sees it; `refs` is filled by `rows`.
    fn row(&self) -> UnixRow {
        let filed = self.filed.load(Ordering::Relaxed);
        let (name, vfs, peer, pending, shutdown, opts, conn, backlog) = {
            let s = self.state();
            let vfs = s
                .inode
                .as_ref()
                .and_then(|i| i.stat().ok())
                .map(|st| (st.ino, st.dev));
            (
                s.addr.clone(),
                vfs,
                s.peer.clone(),
                s.pending.clone(),
                s.shutdown.bits(),
                s.opts.clone(),
                s.conn,
                s.max_backlog,
            )
        };
        let state = match conn {
            Conn::Listening => TCP_LISTEN,
            Conn::Connected => TCP_ESTABLISHED,
            Conn::Unconnected if self.connected_to.load(Ordering::Relaxed) => TCP_ESTABLISHED,
            Conn::Unconnected => TCP_CLOSE,
        };
        let (rqueue, wqueue) = if conn == Conn::Listening {
            (pending.len(), backlog)
        } else {
            (self.inq().unwrap_or(0), self.outq())
        };
        let icons = pending
            .iter()
            .map(|embryo| embryo.peer().map_or(0, |client| client.diag_ino()))
            .collect();
        UnixRow {
            ino: self.diag_ino(),
            cookie: self.sock_inode.ino,
            kind: self.kind,
            state,
            name: name.map(|a| match a {
                UnixAddr::Path(mut p) => {
                    p.push(0);
                    p
                }
                UnixAddr::Abstract(n) => {
                    let mut v = vec![0];
                    v.extend_from_slice(&n);
                    v
                }
            }),
            vfs,
            peer: peer.map(|p| p.diag_ino()),
            icons,
            rqueue,
            wqueue,
            rcvbuf: opts.rcvbuf,
            sndbuf: opts.sndbuf,
            shutdown,
            uid: self.sock_inode.owner.uid,
            filed,
            refs: 2,
        }
    }

    /// Returns the inode number sock_diag reports: none (0) before an open
    /// file holds the socket, as Linux's `sock_i_ino` of a socket without
    /// a `struct socket`.
    fn diag_ino(&self) -> u64 {
        if self.filed.load(Ordering::Relaxed) {
            self.sock_inode.ino
        } else {
            0
        }
    }
}

/// Returns every live socket.
pub(crate) fn rows(net: &crate::net::Net) -> Vec<UnixRow> {
    let socks: Vec<_> = live()
        .into_iter()
        .filter(|s| std::ptr::eq(&*s.net, net))
        .collect();
    let mut peered: BTreeMap<usize, u32> = BTreeMap::new();
    for s in &socks {
        if let Some(p) = s.peer() {
            *peered.entry(Arc::as_ptr(&p) as usize).or_default() += 1;
        }
    }
    let rows = socks
        .iter()
        .map(|s| {
            let mut row = s.row();
            row.refs += peered.get(&(Arc::as_ptr(s) as usize)).copied().unwrap_or(0);
            row
        })
        .collect();
    drop(socks);
    rows
}

/// Returns a number standing for the socket where Linux prints its
/// address (`%pK`, hashed): fixed for the socket, not a kernel address.
fn pseudo_address(cookie: u64) -> u64 {
    let x = cookie.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (x ^ (x >> 29)) & 0xffff_ffff
}

/// Returns /proc/net/unix: a header and one line per socket with its
/// reference count, __SO_ACCEPTCON for a listener, type, `socket_state`
/// (connected, unconnected; a connection not accepted connecting), inode
/// and name (an abstract one with '@' for each NUL).
pub(crate) fn proc_net_unix(net: &crate::net::Net) -> Vec<u8> {
    const SO_ACCEPTCON: u32 = 1 << 16;
    const SS_UNCONNECTED: u8 = 1;
    const SS_CONNECTING: u8 = 2;
    const SS_CONNECTED: u8 = 3;
    const SS_DISCONNECTING: u8 = 4;
    let mut out = b"Num       RefCount Protocol Flags    Type St Inode Path\n".to_vec();
    for r in rows(net) {
        let established = r.state == TCP_ESTABLISHED;
        let st = match (r.filed, established) {
            (true, true) => SS_CONNECTED,
            (true, false) => SS_UNCONNECTED,
            (false, true) => SS_CONNECTING,
            (false, false) => SS_DISCONNECTING,
        };
        let flags = if r.state == TCP_LISTEN {
            SO_ACCEPTCON
        } else {
            0
        };
        let _ = write!(
            &mut out,
            "{:016x}: {:08X} {:08X} {:08X} {:04X} {:02X} {:5}",
            pseudo_address(r.cookie),
            r.refs,
            0,
            flags,
            r.kind.raw(),
            st,
            r.ino
        );
        if let Some(name) = &r.name {
            out.push(b' ');
            let shown = match name.split_first() {
                Some((0, rest)) => {
                    out.push(b'@');
                    rest
                }
                _ => &name[..name.len().saturating_sub(1)],
            };
            out.extend(shown.iter().map(|&c| if c == 0 { b'@' } else { c }));
        }
        out.push(b'\n');
    }
    out
}
