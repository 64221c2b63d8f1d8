//! Unix domain sockets (unix(7)), following Linux's net/unix/af_unix.c for
//! everything a program can observe. A `UnixSocket` is one end: its state
//! (unconnected, listening with connections to accept, or connected to a
//! peer), its bound name, its receive queue of `Message`s and its options.
//! Stream sockets carry bytes, datagram and seqpacket sockets messages;
//! seqpacket connects like stream and delivers like datagram.
//!
//! Like every file here, sockets never sleep: an operation that would block
//! answers `EAGAIN`, and the system call layer (kernel/syscall/socket.rs and
//! its neighbours) sleeps on `wait` (readable, writable, state changes) or,
//! for room in another socket's queue, on that socket's `peer_wait`, which a
//! connected datagram socket relays to its own `wait` for poll. Blocking
//! follows Linux's flow control: a sender may queue while the bytes it has
//! in flight stay below its SO_SNDBUF, and a datagram receiver not connected
//! back to its sender takes at most `max_backlog` + 1 messages. All queued
//! messages together are bounded by guest RAM (`crate::kmem`), and the files
//! they carry by their senders' RLIMIT_NOFILE (`inflight`).
//!
//! Every live socket is in a registry (`diag`), from which sock_diag and
//! /proc/net/unix list them.
//!
//! Locking: each socket's state is its own `KernelCell`; no code borrows two
//! of them at once, nor the name table or the registry with one, and
//! messages (which may hold the last reference to an open file, whose
//! release locks other sockets) are dropped outside them.

mod addr;
mod bind;
mod conn;
mod diag;
mod inflight;
mod msg;
mod ops;
mod recv;
mod send;
mod table;
#[cfg(test)]
mod tests;

pub(crate) use addr::{unnamed, UnixAddr};
pub(crate) use bind::find;
pub(crate) use bind::NameContext;
pub(crate) use diag::{proc_net_unix, rows as diag_rows, UnixRow, TCP_LISTEN};
pub(crate) use recv::{DgramRead, StreamRead};
pub(crate) use send::Outgoing;

use crate::net::{Options, Shutdown, SockInode, SockType, Ucred};
use arch::sync::KernelCell;
use arch::Errno;
use fs::{Inode, Owner, PollEvents, WaitQueue, Waker};
use msg::Message;
use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

/// net.unix.max_dgram_qlen: the initial `max_backlog` of every socket.
const MAX_DGRAM_QLEN: usize = 10;

/// Where a socket is in its life (Linux's `sk_state`, TCP_CLOSE,
/// TCP_LISTEN, TCP_ESTABLISHED).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Conn {
    Unconnected,
    Listening,
    Connected,
}

/// A socket's mutable state.
struct State {
    conn: Conn,
    /// The connected peer (a stream's other end, a datagram socket's
    /// default destination). A released stream peer stays, shut down.
    peer: Option<Arc<UnixSocket>>,
    addr: Option<UnixAddr>,
    /// The socket file bind(2) made, held so that its inode (and number)
    /// stays while the socket is bound, as Linux holds the path.
    inode: Option<Arc<dyn Inode>>,
    recv: VecDeque<Message>,
    /// A listener's connections waiting for accept(2) (Linux keeps them in
    /// the receive queue).
    pending: VecDeque<Arc<UnixSocket>>,
    /// A listener's backlog, else max_dgram_qlen: the queue is full above it.
    max_backlog: usize,
    shutdown: Shutdown,
    /// A pending error for SO_ERROR and the next call (ECONNRESET).
    err: Option<Errno>,
    /// SO_PEERCRED: the peer's credentials when it connected.
    peercred: Option<Ucred>,
    opts: Options,
}

/// One end of a Unix socket.
pub(crate) struct UnixSocket {
    kind: SockType,
    /// The network namespace the socket was made in: where its abstract
    /// name lives.
    pub(crate) net: Arc<crate::net::Net>,
    sock_inode: SockInode,
    /// This socket, for the operations that hand it to others.
    this: Weak<UnixSocket>,
    state: KernelCell<State>,
    /// Set by release: the socket is closed and takes nothing more.
    dead: AtomicBool,
    /// Set once an open file holds the socket (a connection is accepted).
    filed: AtomicBool,
    /// A datagram socket another connected to: Linux marks it
    /// TCP_ESTABLISHED too (for sock_diag and /proc/net/unix), for good.
    connected_to: AtomicBool,
    /// Woken on any change a reader, writer, acceptor or poller waits for.
    wait: WaitQueue,
    /// Woken when the receive queue (or a listener's backlog) gets room.
    peer_wait: WaitQueue,
    /// Bytes (with overhead) of this socket's messages not yet consumed.
    wmem: AtomicUsize,
    /// Relays wake-ups of a connected datagram peer's `peer_wait` to `wait`.
    relay: Arc<dyn Waker>,
}

/// Wakes a socket's waiters when the queue it sends to gets room.
struct Relay(Weak<UnixSocket>);

impl Waker for Relay {
    fn wake(&self) {
        if let Some(s) = self.0.upgrade() {
            s.wait.wake_all();
        }
    }
}

impl UnixSocket {
    /// Creates an unconnected socket of `kind`, its inode owned by `owner`,
    /// in the caller's network namespace.
    pub(crate) fn new(kind: SockType, owner: Owner) -> Arc<UnixSocket> {
        UnixSocket::new_in(kind, owner, crate::net::current())
    }

    /// Creates an unconnected socket of `kind` in network namespace `net`.
    fn new_in(kind: SockType, owner: Owner, net: Arc<crate::net::Net>) -> Arc<UnixSocket> {
        let sock = Arc::new_cyclic(|me| UnixSocket {
            kind,
            net,
            sock_inode: SockInode::new(owner),
            this: me.clone(),
            state: KernelCell::new(State {
                conn: Conn::Unconnected,
                peer: None,
                addr: None,
                inode: None,
                recv: VecDeque::new(),
                pending: VecDeque::new(),
                max_backlog: MAX_DGRAM_QLEN,
                shutdown: Shutdown::empty(),
                err: None,
                peercred: None,
                opts: Options::default(),
            }),
            dead: AtomicBool::new(false),
            filed: AtomicBool::new(false),
            connected_to: AtomicBool::new(false),
            wait: WaitQueue::new(),
            peer_wait: WaitQueue::new(),
            wmem: AtomicUsize::new(0),
            relay: Arc::new(Relay(me.clone())),
        });
        diag::register(&sock);
        sock
    }

    /// Creates a connected pair (socketpair(2)); each end's SO_PEERCRED is
    /// `cred`, the creator's.
    pub(crate) fn pair(kind: SockType, owner: Owner, cred: Ucred) -> [Arc<UnixSocket>; 2] {
        let a = UnixSocket::new(kind, owner);
        let b = UnixSocket::new(kind, owner);
        for (me, other) in [(&a, &b), (&b, &a)] {
            let mut s = me.state();
            s.conn = Conn::Connected;
            s.peer = Some(other.clone());
            s.peercred = Some(cred);
        }
        if kind == SockType::Dgram {
            a.peer_wait.add(&b.relay);
            b.peer_wait.add(&a.relay);
        }
        [a, b]
    }

    fn state(&self) -> arch::sync::KernelRefMut<'_, State> {
        self.state.borrow_mut()
    }

    pub(crate) fn kind(&self) -> SockType {
        self.kind
    }

    pub(crate) fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Relaxed)
    }

    /// Returns the queue woken when this socket's receive queue gets room.
    pub(crate) fn peer_wait(&self) -> &WaitQueue {
        &self.peer_wait
    }

    /// Returns the bound name, if any.
    pub(crate) fn addr(&self) -> Option<UnixAddr> {
        self.state().addr.clone()
    }

    /// Returns the connected peer, if any.
    pub(crate) fn peer(&self) -> Option<Arc<UnixSocket>> {
        self.state().peer.clone()
    }

    /// Returns whether the direction `how` is shut down.
    pub(crate) fn is_shut(&self, how: Shutdown) -> bool {
        self.state().shutdown.contains(how)
    }

    /// Returns the bytes charged to this socket's send buffer (SIOCOUTQ).
    pub(crate) fn outq(&self) -> usize {
        self.wmem.load(Ordering::Relaxed)
    }

    /// Returns what SIOCINQ (FIONREAD) reports: the unread bytes of a stream
    /// or seqpacket socket, the size of a datagram socket's next message;
    /// EINVAL for a listener.
    pub(crate) fn inq(&self) -> Result<usize, Errno> {
        let s = self.state();
        if s.conn == Conn::Listening {
            return Err(Errno::EINVAL);
        }
        Ok(match self.kind {
            SockType::Dgram => s.recv.front().map_or(0, |m| m.data.len()),
            _ => s.recv.iter().map(|m| m.rest().len()).sum(),
        })
    }

    /// Returns whether the send buffer has room for poll (Linux's
    /// `unix_writable`: a quarter of SO_SNDBUF or less in flight).
    fn writable(&self, s: &State) -> bool {
        s.conn != Conn::Listening && self.wmem.load(Ordering::Relaxed) * 4 <= s.opts.sndbuf
    }

    /// Returns whether the receive queue (or a listener's backlog) is full.
    fn queue_full(&self) -> bool {
        let s = self.state();
        s.recv.len() + s.pending.len() > s.max_backlog
    }

    /// Returns the events ready now, as Linux's `unix_poll` (stream) and
    /// `unix_dgram_poll` (datagram and seqpacket) compute them.
    fn poll_events(&self) -> PollEvents {
        let s = self.state();
        let mut ev = PollEvents::empty();
        let readable = PollEvents::POLLIN | PollEvents::POLLRDNORM;
        if s.err.is_some() {
            ev |= PollEvents::POLLERR;
        }
        if s.shutdown == Shutdown::all() {
            ev |= PollEvents::POLLHUP;
        }
        if s.shutdown.contains(Shutdown::RCV) {
            ev |= PollEvents::POLLRDHUP | readable;
        }
        if !s.recv.is_empty() || !s.pending.is_empty() {
            ev |= readable;
        }
        if self.kind.connection_based() && s.conn == Conn::Unconnected {
            ev |= PollEvents::POLLHUP;
        }
        let mut writable = self.writable(&s);
        let peer = s.peer.clone();
        drop(s);
        if writable && self.kind != SockType::Stream {
            if let Some(other) = peer {
                let back = other.peer().is_some_and(|p| std::ptr::eq(&*p, self));
                if !back && !other.is_dead() && other.queue_full() {
                    writable = false;
                }
            }
        }
        if writable {
            ev |= PollEvents::POLLOUT | PollEvents::POLLWRNORM | PollEvents::POLLWRBAND;
        }
        ev
    }

    /// Closes the socket (its file's last close, or a listener's release of
    /// a connection never accepted, `embryo`): unbinds it, shuts a stream
    /// peer down (with ECONNRESET if data was left unread here or the
    /// connection was never accepted), wakes everyone and drops the queues.
    pub(crate) fn close(&self, embryo: bool) {
        if self.dead.swap(true, Ordering::Relaxed) {
            return;
        }
        let (peer, recv, pending, addr, inode) = {
            let mut s = self.state();
            s.shutdown = Shutdown::all();
            s.conn = Conn::Unconnected;
            (
                s.peer.take(),
                std::mem::take(&mut s.recv),
                std::mem::take(&mut s.pending),
                s.addr.clone(),
                s.inode.take(),
            )
        };
        let name = match &addr {
            Some(UnixAddr::Abstract(n)) => Some(&n[..]),
            _ => None,
        };
        table::unbind(self, name, inode.as_deref().and_then(bind::inode_key));
        diag::unregister(self);
        self.wait.wake_all();
        self.peer_wait.wake_all();
        if let Some(peer) = peer {
            if self.kind.connection_based() {
                let mut p = peer.state();
                p.shutdown = Shutdown::all();
                if !recv.is_empty() || embryo {
                    p.err = Some(Errno::ECONNRESET);
                }
            }
            peer.peer_wait.remove(&self.relay);
            peer.wait.wake_all();
        }
        drop(recv);
        for conn in pending {
            conn.close(true);
        }
        drop(inode);
    }
}
