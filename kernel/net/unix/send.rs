//! Sending: a stream segment to the connected peer, or a datagram to a peer
//! or named socket (Linux's `unix_stream_sendmsg` and `unix_dgram_sendmsg`,
//! one queued message per call). Either answers EAGAIN while the sender's
//! send buffer is used up (and a datagram also while the receiver's queue is
//! full); the caller sleeps and tries again with the same message, which is
//! taken only once queued. Credentials go with a message when the sender
//! gave them, when either end has SO_PASSCRED, or when the receiver is a
//! connection not accepted yet.

use super::msg::Message;
use super::UnixSocket;
use crate::net::Shutdown;
use crate::net::{SockType, Ucred};
use arch::{Errno, Result};
use fs::File;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// What one send queues: the data, explicit SCM_CREDENTIALS, SCM_RIGHTS.
#[derive(Default)]
pub(crate) struct Outgoing {
    pub data: Vec<u8>,
    pub creds: Option<Ucred>,
    pub files: Vec<Arc<File>>,
}

impl UnixSocket {
    /// Returns the largest stream segment (Linux keeps two in the pipe:
    /// half the send buffer, and at most 64 KiB here).
    pub(crate) fn segment_size(&self) -> usize {
        (self.state().opts.sndbuf / 2)
            .saturating_sub(64)
            .clamp(1, 64 * 1024)
    }

    /// Returns whether the send buffer is used up.
    fn send_buffer_full(&self, sndbuf: usize) -> bool {
        self.wmem.load(Ordering::Relaxed) >= sndbuf
    }

    /// Returns the credentials a message to `to` carries.
    fn creds_for(
        &self,
        to: &UnixSocket,
        out: &Outgoing,
        passcred: bool,
        current: Ucred,
    ) -> Option<Ucred> {
        if out.creds.is_some() {
            return out.creds;
        }
        let wanted = passcred || to.state().opts.passcred || !to.filed.load(Ordering::Relaxed);
        wanted.then_some(current)
    }

    /// Queues `out` on the connected peer of a stream socket: ENOTCONN
    /// without one, EPIPE once either side shut the direction down or the
    /// peer is gone (the caller raises SIGPIPE).
    pub(crate) fn send_stream(self: &Arc<Self>, out: &mut Outgoing, current: Ucred) -> Result<()> {
        let (peer, passcred) = {
            let s = self.state();
            if s.shutdown.contains(Shutdown::SEND) {
                return Err(Errno::EPIPE);
            }
            let peer = s.peer.clone().ok_or(Errno::ENOTCONN)?;
            if self.send_buffer_full(s.opts.sndbuf) {
                return Err(Errno::EAGAIN);
            }
            (peer, s.opts.passcred)
        };
        let creds = self.creds_for(&peer, out, passcred, current);
        {
            let mut p = peer.state();
            if peer.is_dead() || p.shutdown.contains(Shutdown::RCV) {
                return Err(Errno::EPIPE);
            }
            let msg = Message::new(self, out, creds)?;
            p.recv.push_back(msg);
        }
        peer.wait.wake_all();
        Ok(())
    }

    /// Queues the datagram `out` on `to` (`named`: given by address rather
    /// than the connected peer): EPERM if `to` is connected elsewhere,
    /// ECONNREFUSED (and disconnection) if our peer is gone, EPIPE if `to`
    /// shut down reading, EAGAIN while `to`'s queue is full.
    pub(crate) fn send_dgram(
        self: &Arc<Self>,
        to: &Arc<UnixSocket>,
        named: bool,
        out: &mut Outgoing,
        current: Ucred,
    ) -> Result<()> {
        let passcred = {
            let mut s = self.state();
            if let Some(e) = s.err.take() {
                return Err(e);
            }
            if s.shutdown.contains(Shutdown::SEND) {
                return Err(Errno::EPIPE);
            }
            if self.send_buffer_full(s.opts.sndbuf) {
                return Err(Errno::EAGAIN);
            }
            s.opts.passcred
        };
        if !to.accepts_from(self) {
            return Err(Errno::EPERM);
        }
        if to.is_dead() {
            if self.kind == SockType::SeqPacket {
                return Err(Errno::EPIPE);
            }
            if self.peer().is_some_and(|p| Arc::ptr_eq(&p, to)) {
                self.connect_dgram(None)?;
                return Err(Errno::ECONNREFUSED);
            }
            return Err(if named {
                Errno::ECONNREFUSED
            } else {
                Errno::ECONNRESET
            });
        }
        if to.state().shutdown.contains(Shutdown::RCV) {
            return Err(Errno::EPIPE);
        }
        if to.must_wait_for(self) {
            return Err(Errno::EAGAIN);
        }
        let creds = self.creds_for(to, out, passcred, current);
        let msg = Message::new(self, out, creds)?;
        to.state().recv.push_back(msg);
        to.wait.wake_all();
        Ok(())
    }
}
