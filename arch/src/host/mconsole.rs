//! The host side of the management console (UML's mconsole_user.c): a UNIX
//! datagram socket at `UML_DIR/UMID/mconsole` on which host tools
//! (`uml_mconsole`) send requests; each reply goes back to the address the
//! request came from (the client's own socket, often an abstract one).

use std::io;
use std::os::unix::net::{SocketAddr, UnixDatagram};
use std::path::Path;
use std::time::Duration;

/// The largest datagram read: a request is 12 bytes of header and 512 of
/// data; anything longer is cut there, as UML's recvfrom into its struct.
const MAX_REQUEST: usize = 12 + 512;

/// Where a request came from, to send its replies to.
pub struct Peer(SocketAddr);

/// The mconsole socket.
pub struct McSocket(UnixDatagram);

impl McSocket {
    /// Binds the socket at `path`, replacing any file there (UML's
    /// os_create_unix_socket). The descriptor is close-on-exec: stubs and a
    /// re-executed kernel never hold it. A reply that cannot be sent within
    /// `send_timeout` (a client that does not read) is dropped.
    pub fn bind(path: &Path, send_timeout: Duration) -> io::Result<McSocket> {
        match std::fs::remove_file(path) {
            Err(e) if e.kind() != io::ErrorKind::NotFound => return Err(e),
            _ => {}
        }
        let s = UnixDatagram::bind(path)?;
        s.set_write_timeout(Some(send_timeout))?;
        Ok(McSocket(s))
    }

    /// Waits for the next request; returns its bytes (at most 524) and sender.
    pub fn recv(&self) -> io::Result<(Vec<u8>, Peer)> {
        let mut buf = vec![0u8; MAX_REQUEST];
        let (n, from) = self.0.recv_from(&mut buf)?;
        buf.truncate(n);
        Ok((buf, Peer(from)))
    }

    /// Sends one reply datagram to `to`.
    pub fn send(&self, to: &Peer, data: &[u8]) -> io::Result<()> {
        self.0.send_to_addr(data, &to.0).map(|_| ())
    }
}
