//! A TCP connection's data path: one non-blocking attempt at sending or
//! receiving (the socket calls wait between attempts), and the send
//! buffer's room, which SO_SNDBUF may make smaller than smoltcp's.

use super::{Conn, State, TcpSocket};
use crate::net::inet::stack::Stack;
use arch::{Errno, Result};
use smoltcp::socket::tcp;

impl TcpSocket {
    /// Returns the bytes a send may queue now: a send buffer the program
    /// sized (SO_SNDBUF) is that size even when smoltcp's is bigger.
    pub(super) fn send_room(s: &State, t: &tcp::Socket) -> usize {
        let cap = Self::send_capacity(s, t);
        cap.saturating_sub(t.send_queue())
    }

    /// Returns the size of the send buffer.
    pub(super) fn send_capacity(s: &State, t: &tcp::Socket) -> usize {
        if s.opts.sndbuf_locked {
            t.send_capacity().min(s.opts.sndbuf)
        } else {
            t.send_capacity()
        }
    }

    /// One attempt at sending `data`: the bytes queued, EAGAIN without room.
    pub(super) fn send_some(&self, stack: &mut Stack, s: &mut State, data: &[u8]) -> Result<usize> {
        self.refresh(stack, s);
        if let Some(e) = s.err.take().or_else(|| self.reset_error(stack, s)) {
            return Err(e);
        }
        let h = match s.conn {
            Conn::Connected(h) => h,
            Conn::Connecting(_) => return Err(Errno::EAGAIN),
            // Linux's sk_stream_wait_connect: no connection is a broken pipe.
            _ => return Err(Errno::EPIPE),
        };
        if s.shut_wr || !stack.tcp(h).may_send() {
            return Err(Errno::EPIPE);
        }
        if data.is_empty() {
            return Ok(0);
        }
        let room = Self::send_room(s, stack.tcp(h));
        let data = &data[..data.len().min(room)];
        let n = stack.tcp(h).send_slice(data).map_err(|_| Errno::EPIPE)?;
        if n == 0 {
            return Err(Errno::EAGAIN);
        }
        stack.poll();
        Ok(n)
    }

    /// One attempt at receiving into `buf`: the bytes read (0 at end of
    /// file), EAGAIN with nothing to read yet.
    pub(super) fn recv_some(
        &self,
        stack: &mut Stack,
        s: &mut State,
        buf: &mut [u8],
        peek: bool,
    ) -> Result<usize> {
        self.refresh(stack, s);
        if let Some(e) = s.err.take() {
            return Err(e);
        }
        let h = match s.conn {
            Conn::Connected(h) => h,
            Conn::Connecting(_) => return Err(Errno::EAGAIN),
            _ => return Err(Errno::ENOTCONN),
        };
        if buf.is_empty() {
            return Ok(0);
        }
        let t = stack.tcp(h);
        let r = if peek {
            t.peek_slice(buf)
        } else {
            t.recv_slice(buf)
        };
        match r {
            Ok(0) if s.shut_rd => Ok(0),
            Ok(0) => Err(Errno::EAGAIN),
            Ok(n) => {
                if !peek {
                    // The window opened: let smoltcp say so.
                    stack.poll();
                }
                Ok(n)
            }
            Err(tcp::RecvError::Finished) => Ok(0),
            Err(tcp::RecvError::InvalidState) => {
                if let Some(e) = self.reset_error(stack, s) {
                    return Err(e);
                }
                Ok(0)
            }
        }
    }
}
