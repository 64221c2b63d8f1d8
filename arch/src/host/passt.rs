//! User-mode networking through passt (Debian's `passt` package, the
//! network podman and QEMU use without privilege): a child process that
//! gives a guest's card a network made of the host's own sockets (NAT of
//! TCP, UDP and ICMP, DHCP, NDP, DNS forwarding, port forwards). The two
//! talk over a UNIX stream socket: each Ethernet frame is preceded by its
//! length, 32 bits big-endian (QEMU's stream netdev protocol). passt runs
//! in the foreground (`-f`) and quits when the kernel's end of the socket
//! closes (`-1`), which the host closes when the kernel exits, however it
//! exits. (passt drops root for nobody, which clears a parent-death
//! signal; and given a descriptor with `-F` instead of its socket, this
//! passt spins when the kernel goes: hence the socket.)

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags};
use std::io;
use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixStream;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

/// The user passt becomes when started as root (nobody, nogroup).
const NOBODY: u32 = 65_534;

/// Returns a number for the next passt's directory.
fn next_id() -> u32 {
    static NEXT: AtomicU32 = AtomicU32::new(0);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

/// How much is read from passt's socket at once.
const READ_CHUNK: usize = 256 << 10;

/// The longest frame taken from passt (a 64 KiB packet and its header).
const MAX_FRAME: usize = 65_536 + 14;

/// How many bytes of frames wait for passt's socket before more are
/// dropped (the card's transmit ring).
const TX_QUEUE: usize = 1 << 20;

/// Frames the socket has not taken yet, from `head` on.
#[derive(Default)]
struct TxQueue {
    buf: Vec<u8>,
    head: usize,
}

/// A running passt and the kernel's end of its socket.
pub struct Passt {
    sock: OwnedFd,
    _child: Child,
    /// Bytes read that do not yet make a whole frame.
    rx: Mutex<Vec<u8>>,
    /// Frames waiting for room in the socket.
    tx: Mutex<TxQueue>,
    /// Wakes the card's thread to wait for that room (a self-pipe: what
    /// is written to the first end is read from the second).
    kick: (UnixStream, UnixStream),
}

impl Passt {
    /// Starts passt with `args` (its port forwards), listening on a UNIX
    /// socket in a private directory, and connects to it; passt quits when
    /// the kernel's end closes (`-1`).
    pub fn spawn(args: &[String]) -> io::Result<Passt> {
        let dir =
            std::env::temp_dir().join(format!("linux-passt-{}-{}", std::process::id(), next_id()));
        std::fs::create_dir(&dir)?;
        std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700))?;
        // Run as root, passt becomes nobody: the directory is its alone.
        // SAFETY: geteuid has no preconditions and cannot fail.
        if unsafe { libc::geteuid() } == 0 {
            std::os::unix::fs::chown(&dir, Some(NOBODY), Some(NOBODY))?;
        }
        let path = dir.join("sock");
        let result = Self::start(args, &path);
        let _ = std::fs::remove_file(&path);
        let _ = std::fs::remove_dir(&dir);
        result
    }

    fn start(args: &[String], path: &std::path::Path) -> io::Result<Passt> {
        let mut cmd = Command::new("passt");
        cmd.args(["-f", "-q", "-1", "-s"])
            .arg(path)
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped());
        let mut child = cmd.spawn().map_err(|e| match e.kind() {
            io::ErrorKind::NotFound => {
                io::Error::new(e.kind(), "passt is not installed (apt-get install passt)")
            }
            _ => e,
        })?;
        // What passt says goes to a thread that keeps its last words, for
        // the message if it gives up (a forwarded port that is busy).
        let said = std::sync::Arc::new(Mutex::new(String::new()));
        if let Some(err) = child.stderr.take() {
            let said = said.clone();
            let _ = std::thread::Builder::new()
                .name("passt-stderr".into())
                .spawn(move || {
                    use std::io::BufRead;
                    for line in io::BufReader::new(err).lines().map_while(Result::ok) {
                        let noise = line.starts_with("Failed to send")
                            || line.starts_with("Don't run as root");
                        if !noise {
                            *said.lock().unwrap_or_else(|e| e.into_inner()) = line;
                        }
                    }
                });
        }
        let last_words = |said: &Mutex<String>| said.lock().map(|s| s.clone()).unwrap_or_default();
        // passt makes its socket once it is ready.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        let stream = loop {
            match UnixStream::connect(path) {
                Ok(s) => break s,
                Err(_) if std::time::Instant::now() < deadline => {
                    if let Ok(Some(status)) = child.try_wait() {
                        // Its last words reach the reader thread first.
                        std::thread::sleep(std::time::Duration::from_millis(50));
                        let why = last_words(&said);
                        return Err(io::Error::other(format!(
                            "passt exited at start ({status}): {why}"
                        )));
                    }
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                Err(e) => {
                    let _ = child.kill();
                    return Err(io::Error::other(format!("cannot reach passt: {e}")));
                }
            }
        };
        stream.set_nonblocking(true)?;
        let kick = UnixStream::pair()?;
        kick.0.set_nonblocking(true)?;
        kick.1.set_nonblocking(true)?;
        Ok(Passt {
            sock: OwnedFd::from(stream),
            _child: child,
            rx: Mutex::new(Vec::new()),
            tx: Mutex::new(TxQueue::default()),
            kick,
        })
    }

    /// Writes what the socket takes of the frames waiting; returns whether
    /// all went.
    fn flush(&self, q: &mut TxQueue) -> io::Result<bool> {
        while q.head < q.buf.len() {
            match nix::unistd::write(self.sock.as_fd(), &q.buf[q.head..]) {
                Ok(n) => q.head += n,
                Err(Errno::EINTR) => {}
                Err(Errno::EAGAIN) => {
                    // Keep the queue from growing by what went.
                    if q.head > q.buf.len() / 2 {
                        q.buf.drain(..q.head);
                        q.head = 0;
                    }
                    return Ok(false);
                }
                Err(e) => return Err(e.into()),
            }
        }
        q.buf.clear();
        q.head = 0;
        Ok(true)
    }

    /// Sends one frame: what the socket does not take now waits (within
    /// `TX_QUEUE`, `WouldBlock` past it: the frame dropped) and goes when
    /// there is room, which the card's thread waits for (`wait_readable`).
    pub fn send(&self, frame: &[u8]) -> io::Result<()> {
        let mut tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        let was_waiting = !self.flush(&mut tx)?;
        if tx.buf.len() - tx.head + 4 + frame.len() > TX_QUEUE {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        tx.buf
            .extend_from_slice(&(frame.len() as u32).to_be_bytes());
        tx.buf.extend_from_slice(frame);
        if !self.flush(&mut tx)? && !was_waiting {
            // The thread sleeps without waiting for room: wake it.
            let _ = (&self.kick.0).write(&[1]);
        }
        Ok(())
    }

    /// Reads what passt sent and returns the whole frames in it (at most
    /// `max`); an error once passt is gone.
    pub fn recv(&self, max: usize) -> io::Result<Vec<Vec<u8>>> {
        let mut rx = self.rx.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            // Straight into the buffer's free room.
            rx.reserve(READ_CHUNK);
            let room = rx.spare_capacity_mut();
            // SAFETY: read(2) writes at most `room.len()` bytes at the start
            // of the vector's spare capacity, which this function holds
            // exclusively and which read(2) does not read; the socket is open.
            let n =
                unsafe { libc::read(self.sock.as_raw_fd(), room.as_mut_ptr().cast(), room.len()) };
            match n {
                0 => return Err(io::ErrorKind::UnexpectedEof.into()),
                n if n > 0 => {
                    let len = rx.len() + n as usize;
                    // SAFETY: read(2) initialised the `n` bytes past the
                    // length, within the capacity.
                    unsafe { rx.set_len(len) };
                }
                _ => match Errno::last() {
                    Errno::EINTR => continue,
                    Errno::EAGAIN => break,
                    e => return Err(e.into()),
                },
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

    /// Waits up to `timeout_ms` for passt to send, writing frames that
    /// wait as the socket makes room; returns whether passt sent (or is
    /// gone).
    pub fn wait_readable(&self, timeout_ms: u16) -> bool {
        let waiting = {
            let tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
            tx.head < tx.buf.len()
        };
        let mut events = PollFlags::POLLIN;
        if waiting {
            events |= PollFlags::POLLOUT;
        }
        let mut fds = [
            PollFd::new(self.sock.as_fd(), events),
            PollFd::new(self.kick.1.as_fd(), PollFlags::POLLIN),
        ];
        if !nix::poll::poll(&mut fds, timeout_ms).is_ok_and(|n| n > 0) {
            return false;
        }
        let ready = |i: usize| fds[i].revents().unwrap_or(PollFlags::empty());
        let (sock, kicked) = (ready(0), ready(1));
        if kicked.contains(PollFlags::POLLIN) {
            let mut drain = [0u8; 64];
            while matches!((&self.kick.1).read(&mut drain), Ok(n) if n > 0) {}
        }
        if sock.contains(PollFlags::POLLOUT) {
            let mut tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
            let _ = self.flush(&mut tx);
        }
        sock.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR)
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
