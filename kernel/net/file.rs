//! The open file of a socket (Linux's sockfs file): poll, fstat, ioctls and
//! the /proc/PID/fd link ("socket:[INO]") go to the socket, and its last
//! close releases it. read(2), write(2) and their vector forms are handled
//! by the socket system calls, which find the socket behind the file
//! (`socket_of`) and honour its timeouts and message boundaries;
//! `FileOps::read` and `write` serve the other callers, such as sendfile(2),
//! with one non-blocking attempt.

use super::Socket;
use arch::{Errno, Result};
use fs::{File, FileOps, OpenFlags, PollEvents, Stat, UserMemory, WaitQueue};
use std::sync::Arc;

/// The `FileOps` of a socket.
pub(crate) struct SocketFile {
    sock: Arc<dyn Socket>,
}

impl SocketFile {
    /// Returns a new open file for `sock`, non-blocking if `nonblock`.
    pub(crate) fn open(sock: Arc<dyn Socket>, nonblock: bool) -> Arc<File> {
        let mut status = OpenFlags::O_RDWR;
        if nonblock {
            status |= OpenFlags::O_NONBLOCK;
        }
        sock.attach_file();
        File::new(None, Arc::new(SocketFile { sock }), status)
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        self.sock.release();
    }
}

/// Returns the socket an open file is, if it is one (Linux's
/// `sock_from_file`).
pub(crate) fn socket_of(f: &File) -> Option<&Arc<dyn Socket>> {
    f.ops_as::<SocketFile>().map(|s| &s.sock)
}

impl FileOps for SocketFile {
    fn read(&self, _pos: u64, buf: &mut [u8]) -> Result<usize> {
        self.sock.read(buf)
    }

    fn write(&self, _pos: u64, data: &[u8]) -> Result<usize> {
        self.sock.write(data)
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
        self.sock.is_stream()
    }

    fn stat(&self) -> Result<Stat> {
        Ok(self.sock.inode().stat())
    }

    /// The socket's own ioctls, then those of the network interfaces (with
    /// the IPv4 address requests for an AF_INET socket, as Linux's inet_ioctl).
    fn ioctl(&self, user: &dyn UserMemory, cmd: u32, arg: u64) -> Result<u64> {
        match self.sock.ioctl(user, cmd, arg) {
            Err(Errno::ENOTTY) if self.sock.family() == super::inet::AF_INET => {
                super::ioctl::devinet_ioctl(self.sock.net(), user, cmd, arg)
            }
            Err(Errno::ENOTTY) => super::dev_ioctl(self.sock.net(), user, cmd, arg),
            r => r,
        }
    }
}
