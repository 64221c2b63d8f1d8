//! User-mode networking through passt (Debian's `passt` package, the
//! network podman and QEMU use without privilege): a child process that
//! gives a guest's card a network made of the host's own sockets (NAT of
//! TCP, UDP and ICMP, DHCP, NDP, DNS forwarding, port forwards). The two
//! talk over a stream socket pair: each Ethernet frame is preceded by its
//! length, 32 bits big-endian (QEMU's stream netdev protocol). passt runs
//! in the foreground (`-f`), quits when the kernel closes its end (`-1`),
//! and gets SIGTERM if the kernel dies first.

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags};
use nix::sys::socket::{socketpair, AddressFamily, SockFlag, SockType};
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::process::CommandExt;
use std::process::{Child, Command, Stdio};
use std::sync::Mutex;

/// The longest frame taken from passt (a 64 KiB packet and its header).
const MAX_FRAME: usize = 65_536 + 14;

/// A running passt and the kernel's end of its socket.
pub struct Passt {
    sock: OwnedFd,
    _child: Child,
    /// Bytes read that do not yet make a whole frame.
    rx: Mutex<Vec<u8>>,
    /// The rest of a frame the socket did not take whole.
    tx: Mutex<Vec<u8>>,
}

impl Passt {
    /// Starts passt with `args` (its port forwards) on a new socket pair.
    pub fn spawn(args: &[String]) -> io::Result<Passt> {
        let (ours, theirs) = socketpair(
            AddressFamily::Unix,
            SockType::Stream,
            None,
            SockFlag::SOCK_CLOEXEC | SockFlag::SOCK_NONBLOCK,
        )?;
        let fd = theirs.as_raw_fd();
        let mut cmd = Command::new("passt");
        cmd.args(["-f", "-q", "-1", "-F", &fd.to_string()])
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null());
        // SAFETY: the closure runs in the child between fork and exec and
        // calls only async-signal-safe functions (fcntl, prctl) on a
        // descriptor the child inherited; it touches no Rust state.
        unsafe {
            cmd.pre_exec(move || {
                // The child's end stays open across exec, blocking.
                if libc::fcntl(fd, libc::F_SETFD, 0) < 0 || libc::fcntl(fd, libc::F_SETFL, 0) < 0 {
                    return Err(io::Error::last_os_error());
                }
                if libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGTERM) < 0 {
                    return Err(io::Error::last_os_error());
                }
                Ok(())
            });
        }
        let child = cmd.spawn().map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => {
                io::Error::new(e.kind(), "passt is not installed (apt-get install passt)")
            }
            _ => e,
        })?;
        drop(theirs);
        Ok(Passt {
            sock: ours,
            _child: child,
            rx: Mutex::new(Vec::new()),
            tx: Mutex::new(Vec::new()),
        })
    }

    /// Writes what is pending of the last frame; returns whether all went.
    fn flush(&self, pending: &mut Vec<u8>) -> io::Result<bool> {
        while !pending.is_empty() {
            match nix::unistd::write(self.sock.as_fd(), pending) {
                Ok(n) => {
                    pending.drain(..n);
                }
                Err(Errno::EINTR) => {}
                Err(Errno::EAGAIN) => return Ok(false),
                Err(e) => return Err(e.into()),
            }
        }
        Ok(true)
    }

    /// Sends one frame; `WouldBlock` (the frame dropped) while passt has
    /// not taken the last one whole.
    pub fn send(&self, frame: &[u8]) -> io::Result<()> {
        let mut tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        if !self.flush(&mut tx)? {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        tx.extend_from_slice(&(frame.len() as u32).to_be_bytes());
        tx.extend_from_slice(frame);
        // What does not go now goes before the next frame.
        self.flush(&mut tx)?;
        Ok(())
    }

    /// Reads what passt sent and returns the whole frames in it (at most
    /// `max`); an error once passt is gone.
    pub fn recv(&self, max: usize) -> io::Result<Vec<Vec<u8>>> {
        let mut rx = self.rx.lock().unwrap_or_else(|e| e.into_inner());
        let mut buf = vec![0u8; 1 << 16];
        loop {
            match nix::unistd::read(self.sock.as_fd(), &mut buf) {
                Ok(0) => return Err(io::ErrorKind::UnexpectedEof.into()),
                Ok(n) => rx.extend_from_slice(&buf[..n]),
                Err(Errno::EINTR) => continue,
                Err(Errno::EAGAIN) => break,
                Err(e) => return Err(e.into()),
            }
            if rx.len() > max * MAX_FRAME {
                break;
            }
        }
        let mut frames = Vec::new();
        let mut at = 0;
        while frames.len() < max && rx.len() >= at + 4 {
            let len = u32::from_be_bytes([rx[at], rx[at + 1], rx[at + 2], rx[at + 3]]) as usize;
            if len > MAX_FRAME {
                return Err(io::Error::new(
                    io::ErrorKind::InvalidData,
                    "passt sent an overlong frame",
                ));
            }
            if rx.len() < at + 4 + len {
                break;
            }
            frames.push(rx[at + 4..at + 4 + len].to_vec());
            at += 4 + len;
        }
        rx.drain(..at);
        Ok(frames)
    }

    /// Waits up to `timeout_ms` for passt to send; returns whether it did
    /// (or is gone).
    pub fn wait_readable(&self, timeout_ms: u16) -> bool {
        let mut fds = [PollFd::new(self.sock.as_fd(), PollFlags::POLLIN)];
        nix::poll::poll(&mut fds, timeout_ms).is_ok_and(|n| n > 0)
    }

    /// Returns whether a whole frame already read waits to be taken.
    pub fn has_buffered(&self) -> bool {
        let rx = self.rx.lock().unwrap_or_else(|e| e.into_inner());
        rx.len() >= 4 && {
            let len = u32::from_be_bytes([rx[0], rx[1], rx[2], rx[3]]) as usize;
            rx.len() >= 4 + len
        }
    }
}
