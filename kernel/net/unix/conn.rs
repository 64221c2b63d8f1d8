//! Connections: listen(2), connect(2) of stream and seqpacket sockets, which
//! queue a new socket for the listener to accept (Linux's "embryo", already
//! connected, so the client may send at once), accept(2), connect(2) of
//! datagram sockets (a default destination and the only accepted sender;
//! AF_UNSPEC disconnects), and shutdown(2).

use super::{Conn, UnixSocket};
use crate::net::Shutdown;
use crate::net::Ucred;
use arch::{Errno, Result};
use std::sync::atomic::Ordering;
use std::sync::Arc;

impl UnixSocket {
    /// Listens with room for `backlog` + 1 pending connections; the
    /// listener's SO_PEERCRED (what its clients see) becomes `cred`.
    pub(crate) fn start_listening(&self, backlog: usize, cred: Ucred) -> Result<()> {
        if !self.kind.connection_based() {
            return Err(Errno::EOPNOTSUPP);
        }
        let grown = {
            let mut s = self.state();
            if s.addr.is_none() || s.conn == Conn::Connected {
                return Err(Errno::EINVAL);
            }
            let grown = backlog > s.max_backlog;
            s.max_backlog = backlog;
            s.conn = Conn::Listening;
            s.peercred = Some(cred);
            grown
        };
        self.wait.wake_all();
        if grown {
            self.peer_wait.wake_all();
        }
        Ok(())
    }

    /// Connects to `listener` as a client whose credentials are `cred`:
    /// ECONNREFUSED unless it listens, EAGAIN while its backlog is full (the
    /// caller waits on its `peer_wait`), EISCONN if already connected.
    pub(crate) fn connect_stream(
        self: &Arc<Self>,
        listener: &Arc<UnixSocket>,
        cred: Ucred,
    ) -> Result<()> {
        let (listener_cred, addr, passcred) = {
            let l = listener.state();
            if listener.is_dead() || l.conn != Conn::Listening || l.shutdown.contains(Shutdown::RCV)
            {
                return Err(Errno::ECONNREFUSED);
            }
            if l.recv.len() + l.pending.len() > l.max_backlog {
                return Err(Errno::EAGAIN);
            }
            (l.peercred, l.addr.clone(), l.opts.passcred)
        };
        match self.state().conn {
            Conn::Unconnected => {}
            Conn::Connected => return Err(Errno::EISCONN),
            Conn::Listening => return Err(Errno::EINVAL),
        }
        let embryo = UnixSocket::new_in(self.kind, listener.sock_inode.owner, listener.net.clone());
        {
            let mut e = embryo.state();
            e.conn = Conn::Connected;
            e.peer = Some(self.clone());
            e.peercred = Some(cred);
            e.addr = addr;
            e.opts.passcred = passcred;
        }
        {
            let mut s = self.state();
            s.conn = Conn::Connected;
            s.peer = Some(embryo.clone());
            s.peercred = listener_cred;
        }
        listener.state().pending.push_back(embryo);
        listener.wait.wake_all();
        self.wait.wake_all();
        Ok(())
    }

    /// Takes the next connection of a listener: EINVAL if it does not
    /// listen (or was shut down), EAGAIN if none is pending.
    pub(crate) fn take_connection(&self) -> Result<Arc<UnixSocket>> {
        let conn = {
            let mut s = self.state();
            if s.conn != Conn::Listening {
                return Err(Errno::EINVAL);
            }
            match s.pending.pop_front() {
                Some(c) => c,
                None if s.shutdown.contains(Shutdown::RCV) => return Err(Errno::EINVAL),
                None => return Err(Errno::EAGAIN),
            }
        };
        self.peer_wait.wake_all();
        Ok(conn)
    }

    /// Sets a datagram socket's peer to `to`, or clears it (AF_UNSPEC):
    /// EPERM if `to` is connected to another socket. Changing peers drops
    /// what the old one sent, as Linux's `unix_dgram_disconnected`.
    pub(crate) fn connect_dgram(self: &Arc<Self>, to: Option<Arc<UnixSocket>>) -> Result<()> {
        if let Some(other) = &to {
            if other.is_dead() {
                return Err(Errno::ECONNREFUSED);
            }
            if other.peer().is_some_and(|p| !Arc::ptr_eq(&p, self)) {
                return Err(Errno::EPERM);
            }
        }
        let old = {
            let mut s = self.state();
            s.conn = match to {
                Some(_) => Conn::Connected,
                None => Conn::Unconnected,
            };
            std::mem::replace(&mut s.peer, to.clone())
        };
        if let Some(old) = &old {
            old.peer_wait.remove(&self.relay);
        }
        if let Some(new) = &to {
            new.peer_wait.add(&self.relay);
            new.connected_to.store(true, Ordering::Relaxed);
        }
        self.wait.wake_all();
        let Some(old) = old else {
            return Ok(());
        };
        if to.as_ref().is_some_and(|n| Arc::ptr_eq(n, &old)) {
            return Ok(());
        }
        let dropped = std::mem::take(&mut self.state().recv);
        if !dropped.is_empty() {
            self.peer_wait.wake_all();
            // A two-way datagram link broken on one side tells the other.
            if !old.is_dead() && old.peer().is_some_and(|p| Arc::ptr_eq(&p, self)) {
                old.state().err = Some(Errno::ECONNRESET);
                old.wait.wake_all();
            }
        }
        drop(dropped);
        Ok(())
    }

    /// Shuts down `how`; a stream or seqpacket peer loses the other
    /// direction (our SEND is its RCV and the other way round).
    pub(crate) fn shut(&self, how: Shutdown) {
        let peer = {
            let mut s = self.state();
            s.shutdown |= how;
            s.peer.clone()
        };
        self.wait.wake_all();
        let Some(peer) = peer.filter(|_| self.kind.connection_based()) else {
            return;
        };
        let mut mirrored = Shutdown::empty();
        if how.contains(Shutdown::RCV) {
            mirrored |= Shutdown::SEND;
        }
        if how.contains(Shutdown::SEND) {
            mirrored |= Shutdown::RCV;
        }
        peer.state().shutdown |= mirrored;
        peer.wait.wake_all();
    }

    /// Returns whether `other` may send to this socket: it is not connected,
    /// or connected to `other` (Linux's `unix_may_send`).
    pub(super) fn accepts_from(&self, other: &UnixSocket) -> bool {
        self.peer().is_none_or(|p| std::ptr::eq(&*p, other))
    }

    /// Returns whether the socket is a connected seqpacket or stream end
    /// (sends and receives need it).
    pub(crate) fn is_connected(&self) -> bool {
        self.state().conn == Conn::Connected
    }

    /// Returns whether a datagram to this socket from `from` must wait for
    /// room: the queue is full and this socket is not connected back.
    pub(super) fn must_wait_for(&self, from: &UnixSocket) -> bool {
        !std::ptr::eq(self, from)
            && self.peer().is_none_or(|p| !std::ptr::eq(&*p, from))
            && self.queue_full()
    }
}
