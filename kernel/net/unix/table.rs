//! The names bound sockets answer to (Linux's unix socket hash tables): abstract
//! names, keyed by network namespace, socket type and name as Linux hashes
//! them (so a stream and a datagram socket may share one, and each network
//! namespace has names of its own), and socket files, keyed by the identity
//! (device, inode number) of the inode bind(2) created. A socket leaves the
//! table when it is released; the inode it holds cannot be reused meanwhile.

use super::UnixSocket;
use crate::net::SockType;
use arch::sync::KernelCell;
use arch::{Errno, Result};
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

/// The identity of a socket file: (st_dev, st_ino).
pub(super) type InodeKey = (u64, u64);

/// An abstract name's key: the namespace's inode number, type and name.
type NameKey = (u32, SockType, Vec<u8>);

struct Table {
    names: BTreeMap<NameKey, Weak<UnixSocket>>,
    inodes: BTreeMap<InodeKey, Weak<UnixSocket>>,
    /// The next autobind number tried (five hex digits).
    next_auto: u32,
}

static TABLE: KernelCell<Table> = KernelCell::new(Table {
    names: BTreeMap::new(),
    inodes: BTreeMap::new(),
    next_auto: 0,
});

/// The number of autobind names ("%05x").
const AUTO_NAMES: u32 = 1 << 20;

/// Returns whether an entry still stands for a socket (release removes a
/// socket's entries, so one that is alive holds its name).
fn taken(w: &Weak<UnixSocket>) -> bool {
    w.strong_count() > 0
}

/// Returns the live socket of an entry taken out of the table, upgraded
/// outside its lock (dropping a socket may release others).
fn live(w: Option<Weak<UnixSocket>>) -> Option<Arc<UnixSocket>> {
    w?.upgrade().filter(|s| !s.is_dead())
}

/// Binds the abstract `name` for sockets of `kind` (EADDRINUSE if taken).
pub(super) fn bind_abstract(kind: SockType, name: &[u8], sock: &Arc<UnixSocket>) -> Result<()> {
    let mut t = TABLE.borrow_mut();
    let key = (sock.net.inum, kind, name.to_vec());
    if t.names.get(&key).is_some_and(taken) {
        return Err(Errno::EADDRINUSE);
    }
    t.names.insert(key, Arc::downgrade(sock));
    Ok(())
}

/// Binds a free autobind name ("\0" and five hex digits) and returns it
/// (ENOSPC when all are taken).
pub(super) fn autobind(kind: SockType, sock: &Arc<UnixSocket>) -> Result<Vec<u8>> {
    let mut t = TABLE.borrow_mut();
    for _ in 0..AUTO_NAMES {
        let n = t.next_auto;
        t.next_auto = (n + 1) % AUTO_NAMES;
        let name = format!("{n:05x}").into_bytes();
        let key = (sock.net.inum, kind, name.clone());
        if !t.names.get(&key).is_some_and(taken) {
            t.names.insert(key, Arc::downgrade(sock));
            return Ok(name);
        }
    }
    Err(Errno::ENOSPC)
}

/// Records that `sock` is bound to the socket file `key`.
pub(super) fn bind_inode(key: InodeKey, sock: &Arc<UnixSocket>) {
    TABLE.borrow_mut().inodes.insert(key, Arc::downgrade(sock));
}

/// Returns the live socket bound to the abstract `name` for `kind` in
/// network namespace `net`.
pub(super) fn find_abstract(
    net: &crate::net::Net,
    kind: SockType,
    name: &[u8],
) -> Option<Arc<UnixSocket>> {
    let key = (net.inum, kind, name.to_vec());
    let entry = TABLE.borrow().names.get(&key).cloned();
    live(entry)
}

/// Returns the live socket bound to the socket file `key`.
pub(super) fn find_inode(key: InodeKey) -> Option<Arc<UnixSocket>> {
    let entry = TABLE.borrow().inodes.get(&key).cloned();
    live(entry)
}

/// Removes `sock`'s entries (the abstract `name` or the file `key`).
pub(super) fn unbind(sock: &UnixSocket, name: Option<&[u8]>, key: Option<InodeKey>) {
    let mine = |w: &Weak<UnixSocket>| std::ptr::eq(w.as_ptr(), sock);
    let mut t = TABLE.borrow_mut();
    if let Some(name) = name {
        let k = (sock.net.inum, sock.kind(), name.to_vec());
        if t.names.get(&k).is_some_and(mine) {
            t.names.remove(&k);
        }
    }
    if let Some(k) = key {
        if t.inodes.get(&k).is_some_and(mine) {
            t.inodes.remove(&k);
        }
    }
}
