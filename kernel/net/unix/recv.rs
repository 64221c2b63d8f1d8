//! Receiving (Linux's `unix_stream_read_generic` and `__unix_dgram_recvmsg`).
//! A stream read gathers bytes across messages until it has its target (1
//! byte, SO_RCVLOWAT, or everything with MSG_WAITALL), stopping early after
//! data that carried open files and, with SO_PASSCRED, where the writer's
//! credentials change; a read may take several passes with sleeps between
//! them, so `StreamRead` keeps what it has. A datagram read takes one
//! message, truncated to the buffer. MSG_PEEK leaves the data queued and
//! gives copies of the files. Data is handed to `out(offset, bytes)`, which
//! copies it to the reader; a message is consumed only after that worked.

use super::msg::Message;
use super::{Conn, UnixSocket};
use crate::net::Shutdown;
use crate::net::{SockType, Ucred};
use arch::{Errno, Result};
use fs::File;
use std::sync::Arc;

/// Copies received bytes to the reader at an offset into its buffers.
pub(crate) type Out<'a> = &'a mut dyn FnMut(usize, &[u8]) -> Result<()>;

/// A stream read in progress.
pub(crate) struct StreamRead {
    /// The room in the reader's buffers.
    pub len: usize,
    /// The bytes the read waits for.
    pub target: usize,
    pub peek: bool,
    pub copied: usize,
    /// With SO_PASSCRED: the credentials of the bytes read so far (set by
    /// the first message).
    pub creds: Option<Option<Ucred>>,
    /// The socket that sent the first bytes (for the source address).
    pub from: Option<Arc<UnixSocket>>,
    pub files: Vec<Arc<File>>,
}

impl StreamRead {
    pub(crate) fn new(len: usize, target: usize, peek: bool) -> StreamRead {
        StreamRead {
            len,
            target: target.min(len),
            peek,
            copied: 0,
            creds: None,
            from: None,
            files: Vec::new(),
        }
    }
}

/// One datagram read.
#[derive(Default)]
pub(crate) struct DgramRead {
    /// The bytes copied.
    pub copied: usize,
    /// The message's length (more than `copied` when truncated).
    pub len: usize,
    pub from: Option<Arc<UnixSocket>>,
    /// The message's credentials (None if it carries none).
    pub creds: Option<Ucred>,
    pub files: Vec<Arc<File>>,
    /// When it was sent.
    pub stamp: (i64, i64),
    /// Set when reading ended with no message: the socket is shut down.
    pub eof: bool,
}

impl UnixSocket {
    /// Makes one pass of a stream read: Ok once it is complete (the target
    /// reached, end of file, a boundary, a failed copy after some bytes),
    /// EAGAIN when it must wait for more, a pending error (ECONNRESET) if
    /// nothing was read, EINVAL on a socket that is not connected.
    pub(crate) fn read_stream(&self, r: &mut StreamRead, out: Out) -> Result<()> {
        let mut consumed: Vec<Message> = Vec::new();
        let result = self.read_stream_locked(r, out, &mut consumed);
        // Dropping them gives their senders room: outside our lock.
        drop(consumed);
        result
    }

    fn read_stream_locked(
        &self,
        r: &mut StreamRead,
        out: Out,
        consumed: &mut Vec<Message>,
    ) -> Result<()> {
        let mut s = self.state();
        if s.conn != Conn::Connected {
            return Err(Errno::EINVAL);
        }
        if r.len == 0 {
            return Ok(());
        }
        let passcred = s.opts.passcred;
        let mut skip = if r.peek { r.copied } else { 0 };
        let mut i = 0;
        loop {
            let Some(m) = s.recv.get_mut(i) else {
                if r.copied >= r.target || (r.peek && r.copied > 0) {
                    return Ok(());
                }
                if r.copied == 0 {
                    if let Some(e) = s.err.take() {
                        return Err(e);
                    }
                }
                if s.shutdown.contains(Shutdown::RCV) {
                    return Ok(());
                }
                return Err(Errno::EAGAIN);
            };
            let avail = m.rest().len();
            if skip >= avail {
                skip -= avail;
                i += 1;
                continue;
            }
            match r.creds {
                Some(c) if c != m.creds => return Ok(()),
                None if passcred => r.creds = Some(m.creds),
                _ => {}
            }
            if r.from.is_none() {
                r.from = Some(m.sender().clone());
            }
            let chunk = (avail - skip).min(r.len - r.copied);
            if let Err(e) = out(r.copied, &m.rest()[skip..skip + chunk]) {
                return if r.copied == 0 { Err(e) } else { Ok(()) };
            }
            r.copied += chunk;
            if r.peek {
                if !m.files.is_empty() {
                    r.files.extend(m.files.iter().cloned());
                    return Ok(());
                }
                skip = 0;
                i += 1;
            } else {
                m.consumed += chunk;
                let had_files = !m.files.is_empty();
                r.files.append(&mut m.files.take());
                if !m.rest().is_empty() {
                    return Ok(());
                }
                if let Some(m) = s.recv.remove(i) {
                    consumed.push(m);
                }
                if had_files {
                    return Ok(());
                }
            }
            if r.copied == r.len {
                return Ok(());
            }
        }
    }

    /// Reads one message of a datagram or seqpacket socket into a buffer of
    /// `len` bytes: a pending error first, ENOTCONN for an unconnected
    /// seqpacket socket, EAGAIN if none is queued, end of file (`eof`) when
    /// reading was shut down — for a datagram socket only if `may_wait`, as
    /// Linux answers EAGAIN to a non-blocking one.
    pub(crate) fn read_dgram(
        &self,
        len: usize,
        peek: bool,
        may_wait: bool,
        out: Out,
    ) -> Result<DgramRead> {
        let msg = {
            let mut s = self.state();
            if self.kind == SockType::SeqPacket && s.conn != Conn::Connected {
                return Err(Errno::ENOTCONN);
            }
            if let Some(e) = s.err.take() {
                return Err(e);
            }
            let eof = s.shutdown.contains(Shutdown::RCV)
                && (may_wait || self.kind == SockType::SeqPacket);
            if peek {
                let Some(m) = s.recv.front() else {
                    return if eof {
                        Ok(DgramRead {
                            eof,
                            ..Default::default()
                        })
                    } else {
                        Err(Errno::EAGAIN)
                    };
                };
                let copied = len.min(m.data.len());
                out(0, &m.data[..copied])?;
                return Ok(DgramRead {
                    copied,
                    len: m.data.len(),
                    from: Some(m.sender().clone()),
                    creds: m.creds,
                    files: m.files.to_vec(),
                    stamp: m.stamp,
                    eof: false,
                });
            }
            match s.recv.pop_front() {
                Some(m) => m,
                None if eof => {
                    return Ok(DgramRead {
                        eof,
                        ..Default::default()
                    })
                }
                None => return Err(Errno::EAGAIN),
            }
        };
        self.peer_wait.wake_all();
        let mut msg = msg;
        let copied = len.min(msg.data.len());
        out(0, &msg.data[..copied])?;
        Ok(DgramRead {
            copied,
            len: msg.data.len(),
            from: Some(msg.sender().clone()),
            creds: msg.creds,
            files: msg.files.take(),
            stamp: msg.stamp,
            eof: false,
        })
    }
}
