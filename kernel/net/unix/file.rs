//! The open file of a socket (Linux's sockfs file): poll, fstat, SIOCINQ and
//! SIOCOUTQ and the /proc/PID/fd link ("socket:[INO]") go to the socket, and
//! its last close releases it. read(2), write(2) and their vector forms are
//! handled by the socket system calls, which find the socket behind the file
//! (`socket_of`) and honour its timeouts and message boundaries;
//! `FileOps::read` and `write` serve the other callers, such as sendfile(2),
//! with one non-blocking attempt.

use super::recv::StreamRead;
use super::send::Outgoing;
use super::UnixSocket;
use crate::net::{SockType, Ucred};
use crate::syscall::UserPtr;
use arch::{Errno, Result};
use fs::{File, FileOps, PollEvents, Stat, UserMemory, WaitQueue};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The `FileOps` of a socket.
pub(crate) struct SocketFile {
    sock: Arc<UnixSocket>,
}

impl SocketFile {
    /// Wraps `sock` in the operations of a new open file.
    pub(crate) fn new(sock: Arc<UnixSocket>) -> Arc<SocketFile> {
        sock.filed.store(true, Ordering::Relaxed);
        Arc::new(SocketFile { sock })
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        self.sock.release(false);
    }
}

/// Returns the socket an open file is, if it is one (Linux's
/// `sock_from_file`; `File::ops_as`).
pub(crate) fn socket_of(f: &File) -> Option<&Arc<UnixSocket>> {
    f.ops_as::<SocketFile>().map(|s| &s.sock)
}

/// Returns the credentials of the task running this code.
fn current_ucred() -> Ucred {
    crate::task::current().map_or(Ucred::NONE, |t| Ucred::real(&t))
}

impl FileOps for SocketFile {
    fn read(&self, _pos: u64, buf: &mut [u8]) -> Result<usize> {
        let len = buf.len();
        let mut copy = |at: usize, data: &[u8]| {
            buf[at..at + data.len()].copy_from_slice(data);
            Ok(())
        };
        if self.sock.kind == SockType::Stream {
            let mut r = StreamRead::new(len, 1, false);
            self.sock.read_stream(&mut r, &mut copy)?;
            return Ok(r.copied);
        }
        Ok(self.sock.read_dgram(len, false, false, &mut copy)?.copied)
    }

    fn write(&self, _pos: u64, data: &[u8]) -> Result<usize> {
        let sock = &self.sock;
        let len = match sock.kind {
            SockType::Stream => data.len().min(sock.segment_size()),
            _ => data.len(),
        };
        let mut out = Outgoing {
            data: data[..len].to_vec(),
            ..Default::default()
        };
        match sock.kind {
            SockType::Stream => sock.send_stream(&mut out, current_ucred())?,
            _ => {
                let peer = sock.peer().ok_or(Errno::ENOTCONN)?;
                sock.send_dgram(&peer, false, &mut out, current_ucred())?;
            }
        }
        Ok(len)
    }

    fn poll(&self) -> PollEvents {
        self.sock.poll()
    }

    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(self.sock.wait_queue())
    }

    fn seekable(&self) -> bool {
        false
    }

    fn is_stream(&self) -> bool {
        self.sock.kind == SockType::Stream
    }

    fn stat(&self) -> Result<Stat> {
        Ok(self.sock.stat())
    }

    /// SIOCINQ (FIONREAD) and SIOCOUTQ (TIOCOUTQ): the bytes waiting to be
    /// read and those sent but not yet read by the peer.
    fn ioctl(&self, user: &dyn UserMemory, cmd: u32, arg: u64) -> Result<u64> {
        const SIOCINQ: u32 = 0x541b;
        const SIOCOUTQ: u32 = 0x5411;
        let n = match cmd {
            SIOCINQ => self.sock.inq()?,
            SIOCOUTQ => self.sock.outq(),
            _ => return Err(Errno::ENOTTY),
        };
        UserPtr::<i32>::new(arg).write(user, &(n as i32))?;
        Ok(0)
    }
}
