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

    /// One attempt at sending up to `max` bytes, which `source` fills in
    /// order straight into the send buffer (at most two pieces, as the
    /// buffer is a ring): the bytes queued, EAGAIN without room. Bytes
    /// `source` fails to give are not sent; its error is the result if it
    /// gave none.
    pub(super) fn send_some(
        &self,
        stack: &mut Stack,
        s: &mut State,
        max: usize,
        source: &mut dyn FnMut(&mut [u8]) -> Result<()>,
    ) -> Result<usize> {
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
        if max == 0 {
            return Ok(0);
        }
        let room = Self::send_room(s, stack.tcp(h));
        let max = max.min(room);
        let t = stack.tcp(h);
        let (mut queued, mut failed) = (0, None);
        for _ in 0..2 {
            let got = t.send(|buf| {
                let n = buf.len().min(max - queued);
                match source(&mut buf[..n]) {
                    Ok(()) => (n, n),
                    Err(e) => {
                        failed = Some(e);
                        (0, 0)
                    }
                }
            });
            let n = got.map_err(|_| Errno::EPIPE)?;
            queued += n;
            if n == 0 || queued == max || failed.is_some() {
                break;
            }
        }
        if queued == 0 {
            return Err(failed.unwrap_or(Errno::EAGAIN));
        }
        stack.poll();
        Ok(queued)
    }

    /// One attempt at receiving up to `max` bytes, handed to `sink` in
    /// order straight from the receive buffer (at most two pieces, as the
    /// buffer is a ring): the bytes read (0 at end of file), EAGAIN with
    /// nothing to read yet. Bytes `sink` fails to take stay; its error is
    /// the result if it took none.
    pub(super) fn recv_some(
        &self,
        stack: &mut Stack,
        s: &mut State,
        max: usize,
        peek: bool,
        sink: &mut dyn FnMut(&[u8]) -> Result<()>,
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
        if max == 0 {
            return Ok(0);
        }
        let t = stack.tcp(h);
        let window_before = t.recv_capacity() - t.recv_queue();
        let r = if peek {
            let mut buf = vec![0u8; max.min(t.recv_queue())];
            match t.peek_slice(&mut buf) {
                Ok(n) if n > 0 => {
                    sink(&buf[..n])?;
                    Ok(n)
                }
                other => other,
            }
        } else {
            let (mut taken, mut r) = (0, Ok(0));
            let mut failed = None;
            for _ in 0..2 {
                let got = t.recv(|data| {
                    let n = data.len().min(max - taken);
                    match sink(&data[..n]) {
                        Ok(()) => (n, n),
                        Err(e) => {
                            failed = Some(e);
                            (0, 0)
                        }
                    }
                });
                match got {
                    Ok(n) => {
                        taken += n;
                        r = Ok(taken);
                        if n == 0 || taken == max || failed.is_some() {
                            break;
                        }
                    }
                    Err(e) => {
                        if taken == 0 {
                            r = Err(e);
                        }
                        break;
                    }
                }
            }
            if let (Some(e), 0) = (failed, taken) {
                return Err(e);
            }
            r
        };
        match r {
            Ok(0) if s.shut_rd => Ok(0),
            Ok(0) => Err(Errno::EAGAIN),
            Ok(n) => {
                // The window opened: smoltcp says so once it has at least
                // doubled (as its `window_to_update`); polling for less
                // would send nothing, and costs as much.
                let t = stack.tcp(h);
                let window = t.recv_capacity() - t.recv_queue();
                if !peek && window >= 2 * window_before {
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
