//! A TCP connection's data path: sendmsg and recvmsg, which wait between
//! non-blocking attempts at sending or receiving, and the send buffer's
//! room, which SO_SNDBUF may make smaller than smoltcp's.

use super::{Conn, State, TcpSocket, BUFFER};
use crate::net::inet::stack::Stack;
use crate::net::socket::{nonblocking, sigpipe, sock_wait, Received, SendMsg, Socket};
use crate::net::MsgFlags;
use crate::syscall::UserIov;
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::File;
use smoltcp::socket::tcp;

impl TcpSocket {
    /// sendmsg(2) on a connection: the guest's bytes in rounds of up to
    /// the buffer's size, each waiting for room (SO_SNDTIMEO, or not at all
    /// when non-blocking); what was sent once something was.
    pub(super) fn do_sendmsg(&self, ctx: &TrapContext, f: &File, msg: SendMsg) -> Result<usize> {
        let flags = msg.flags;
        if flags.contains(MsgFlags::OOB) {
            return Err(Errno::EOPNOTSUPP);
        }
        // As Linux, an address given to a stream socket is ignored.
        let nonblock = nonblocking(f, flags.contains(MsgFlags::DONTWAIT));
        let timeout = self.options().sndtimeo;
        let iov = msg.iov;
        let total = iov.len();
        let mut sent = 0;
        // The guest's bytes are taken once per round, outside the stack (a
        // copy straight into smoltcp's ring measured slower: 6.5 against
        // 9.5 Gbit/s over a TAP card).
        let mut chunk = Vec::new();
        loop {
            let n = (total - sent).min(BUFFER);
            chunk.resize(n, 0);
            if let Err(e) = iov.copy_in(ctx, sent, &mut chunk) {
                return if sent > 0 { Ok(sent) } else { Err(e) };
            }
            let r = sock_wait(ctx.task, &[&self.wait], nonblock, timeout, || {
                let mut at = 0;
                let mut source = |b: &mut [u8]| {
                    b.copy_from_slice(&chunk[at..at + b.len()]);
                    at += b.len();
                    Ok(())
                };
                self.net.with_stack(|stack| {
                    self.send_some(stack, &mut self.state.borrow_mut(), n, &mut source)
                })
            });
            match r {
                Ok(k) => {
                    sent += k;
                    if sent >= total {
                        return Ok(sent);
                    }
                }
                Err(e) => {
                    if sent > 0 {
                        return Ok(sent);
                    }
                    if e == Errno::EPIPE {
                        sigpipe(ctx, flags);
                    }
                    return Err(e);
                }
            }
        }
    }

    /// recvmsg(2) on a connection: waits for data (SO_RCVTIMEO, or not at
    /// all when non-blocking) until SO_RCVLOWAT bytes, or the whole buffer
    /// with MSG_WAITALL, came.
    pub(super) fn do_recvmsg(
        &self,
        ctx: &TrapContext,
        f: &File,
        iov: &UserIov,
        flags: MsgFlags,
    ) -> Result<Received> {
        if flags.contains(MsgFlags::OOB) {
            return Err(Errno::EINVAL);
        }
        let nonblock = nonblocking(f, flags.contains(MsgFlags::DONTWAIT));
        let peek = flags.contains(MsgFlags::PEEK);
        let opts = self.options();
        let len = iov.len();
        let target = if flags.contains(MsgFlags::WAITALL) && !peek {
            len
        } else {
            opts.rcvlowat.min(len)
        };
        // MSG_TRUNC on a stream discards what it reads (tcp_recvmsg).
        let discard = flags.contains(MsgFlags::TRUNC);
        let mut copied = 0;
        loop {
            let room = len - copied;
            let r = sock_wait(ctx.task, &[&self.wait], nonblock, opts.rcvtimeo, || {
                // Straight from the receive buffer to the guest's.
                let mut at = copied;
                let mut sink = |d: &[u8]| {
                    if !discard {
                        iov.copy_out(ctx, at, d)?;
                    }
                    at += d.len();
                    Ok(())
                };
                self.net.with_stack(|stack| {
                    self.recv_some(stack, &mut self.state.borrow_mut(), room, peek, &mut sink)
                })
            });
            match r {
                Ok(0) => break,
                Ok(n) => {
                    copied += n;
                    if copied >= target.max(1) || peek || copied >= len {
                        break;
                    }
                }
                Err(e) if copied == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(Received::bytes(copied))
    }

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
