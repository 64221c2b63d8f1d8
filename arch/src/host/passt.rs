//! User-mode networking through passt (Debian's `passt` package, the
//! network podman and QEMU use without privilege): a child process that
//! gives a guest's card a network made of the host's own sockets (NAT of
//! TCP, UDP and ICMP, DHCP, NDP, DNS forwarding, port forwards). The two
//! talk over a UNIX stream socket: each Ethernet frame is preceded by its
//! length, 32 bits big-endian (QEMU's stream netdev protocol). passt runs
//! in the foreground (`-f`) and quits when the kernel's end of the socket
//! closes (`-1`), which the host closes when the kernel exits, however it
//! exits; a card removed while the kernel runs drops its `Passt`, which
//! shuts the socket down and reaps passt. (passt drops root for nobody, which clears a parent-death
//! signal; and given a descriptor with `-F` instead of its socket, this
//! passt spins when the kernel goes: hence the socket.)

use nix::errno::Errno;
use nix::poll::{PollFd, PollFlags};
use std::collections::VecDeque;
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

/// The passt processes started, for `stop_all`.
static STARTED: Mutex<Vec<u32>> = Mutex::new(Vec::new());

/// Ends every passt this kernel started, as it exits: passt quits by
/// itself when the socket closes, but not while stuck.
pub fn stop_all() {
    let pids = std::mem::take(&mut *STARTED.lock().unwrap_or_else(|e| e.into_inner()));
    for pid in pids {
        if let Ok(pid) = i32::try_from(pid) {
            let _ =
                nix::sys::signal::kill(nix::unistd::Pid::from_raw(pid), nix::sys::signal::SIGKILL);
        }
    }
}

/// How much is read from passt's socket at once.
const READ_CHUNK: usize = 256 << 10;

/// The longest frame taken from passt (a 64 KiB packet and its header).
const MAX_FRAME: usize = 65_536 + 14;

/// How many bytes of frames wait for passt's socket before more are
/// dropped (the card's transmit ring).
const TX_QUEUE: usize = 1 << 20;

/// Returns how much of what was written to the stream socket `fd` its
/// reader has not read yet (SIOCOUTQ: 0 once the reader took it all).
fn unread_bytes(fd: std::os::fd::BorrowedFd) -> io::Result<usize> {
    let mut n: libc::c_int = 0;
    // SAFETY: SIOCOUTQ writes one int through the pointer, which points to
    // `n`; the descriptor is borrowed, so open.
    let r = unsafe { libc::ioctl(fd.as_raw_fd(), libc::TIOCOUTQ, &mut n) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(usize::try_from(n).unwrap_or(0))
}

/// Frames the socket has not taken yet, from `head` on, and frames held
/// back until passt has read all that went before them (`Passt::send`).
#[derive(Default)]
struct TxQueue {
    buf: Vec<u8>,
    head: usize,
    held: VecDeque<(Vec<u8>, bool)>,
    held_bytes: usize,
    /// The last frame written must be read alone.
    last_alone: bool,
}

/// A running passt and the kernel's end of its socket.
pub struct Passt {
    sock: OwnedFd,
    child: Child,
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
        STARTED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .push(child.id());
        Self::attach(stream, child)
    }

    /// Makes the kernel's end of the socket to `child`.
    fn attach(stream: UnixStream, child: Child) -> io::Result<Passt> {
        stream.set_nonblocking(true)?;
        let kick = UnixStream::pair()?;
        kick.0.set_nonblocking(true)?;
        kick.1.set_nonblocking(true)?;
        Ok(Passt {
            sock: OwnedFd::from(stream),
            child,
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
    ///
    /// A frame sent `alone` reaches passt in a read of its own: it is
    /// written once passt has read everything before it, and nothing
    /// follows it until passt has read it. Debian 12's passt (of March
    /// 2023) spins for ever on some batches of two or more TCP segments
    /// of one connection: its handler for a connection's run of segments
    /// may answer for one segment and then for the whole run, and the
    /// count it subtracts them from wraps (tap.c, `while ((n -=
    /// tcp_tap_handler(...)))`). The runs that do it start with a
    /// handshake or closing segment (a SYN and its retransmission, a
    /// SYN-ACK and its retransmission, acknowledgements after the guest's
    /// FIN): the card sends those alone.
    pub fn send(&self, frame: &[u8], alone: bool) -> io::Result<()> {
        let mut tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
        let was_waiting = !self.flush(&mut tx)?;
        if tx.buf.len() - tx.head + tx.held_bytes + 4 + frame.len() > TX_QUEUE {
            return Err(io::ErrorKind::WouldBlock.into());
        }
        let hold = !tx.held.is_empty() || ((alone || tx.last_alone) && !self.drained(&tx));
        if hold {
            tx.held_bytes += frame.len();
            tx.held.push_back((frame.to_vec(), alone));
            if tx.held.len() == 1 {
                // The thread polls for passt to read while frames are held.
                let _ = (&self.kick.0).write(&[1]);
            }
            return Ok(());
        }
        Self::append(&mut tx, frame, alone);
        if !self.flush(&mut tx)? && !was_waiting {
            // The thread sleeps without waiting for room: wake it.
            let _ = (&self.kick.0).write(&[1]);
        }
        Ok(())
    }

    fn append(tx: &mut TxQueue, frame: &[u8], alone: bool) {
        tx.buf
            .extend_from_slice(&(frame.len() as u32).to_be_bytes());
        tx.buf.extend_from_slice(frame);
        tx.last_alone = alone;
    }

    /// Returns whether passt has read every frame written.
    fn drained(&self, tx: &TxQueue) -> bool {
        tx.head == tx.buf.len() && unread_bytes(self.sock.as_fd()).unwrap_or(0) == 0
    }

    /// Writes the held frames that may go now.
    fn release(&self, tx: &mut TxQueue) {
        while let Some((_, alone)) = tx.held.front() {
            if (*alone || tx.last_alone) && !self.drained(tx) {
                return;
            }
            let Some((frame, alone)) = tx.held.pop_front() else {
                return;
            };
            tx.held_bytes -= frame.len();
            Self::append(tx, &frame, alone);
            if !matches!(self.flush(tx), Ok(true)) {
                return;
            }
        }
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
        let (waiting, holding) = {
            let mut tx = self.tx.lock().unwrap_or_else(|e| e.into_inner());
            self.release(&mut tx);
            (tx.head < tx.buf.len(), !tx.held.is_empty())
        };
        let mut events = PollFlags::POLLIN;
        if waiting {
            events |= PollFlags::POLLOUT;
        }
        let mut fds = [
            PollFd::new(self.sock.as_fd(), events),
            PollFd::new(self.kick.1.as_fd(), PollFlags::POLLIN),
        ];
        // No event says passt has read all: while frames are held, look
        // again every millisecond.
        let timeout_ms = if holding { 1 } else { timeout_ms };
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
            if matches!(self.flush(&mut tx), Ok(true)) {
                self.release(&mut tx);
            }
        }
        sock.intersects(PollFlags::POLLIN | PollFlags::POLLHUP | PollFlags::POLLERR)
    }

    /// Wakes the card's thread in `wait_readable` (or makes its next wait
    /// return at once).
    pub fn kick(&self) {
        let _ = (&self.kick.0).write(&[1]);
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

/// How long a passt whose socket was shut down has to quit before it is
/// killed.
const QUIT_WAIT: std::time::Duration = std::time::Duration::from_secs(2);

impl Drop for Passt {
    /// Ends passt when its card goes (hot-unplug): shuts the socket down,
    /// which passt (`-1`) quits on, waits for it, killing it if it stays,
    /// and reaps it, so that its forwarded host ports are free on return.
    fn drop(&mut self) {
        let _ = nix::sys::socket::shutdown(self.sock.as_raw_fd(), nix::sys::socket::Shutdown::Both);
        let deadline = std::time::Instant::now() + QUIT_WAIT;
        while matches!(self.child.try_wait(), Ok(None)) {
            if std::time::Instant::now() >= deadline {
                let _ = self.child.kill();
                let _ = self.child.wait();
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
        }
        let id = self.child.id();
        STARTED
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .retain(|&pid| pid != id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reads what waits on `peer` (passt's end) in one read.
    fn read_batch(peer: &mut UnixStream) -> Vec<u8> {
        let mut buf = vec![0u8; 4096];
        let n = peer.read(&mut buf).unwrap_or(0);
        buf.truncate(n);
        buf
    }

    fn framed(frames: &[&[u8]]) -> Vec<u8> {
        let mut v = Vec::new();
        for f in frames {
            v.extend_from_slice(&(f.len() as u32).to_be_bytes());
            v.extend_from_slice(f);
        }
        v
    }

    #[test]
    fn frames_sent_alone_reach_passt_in_reads_of_their_own() {
        let (ours, mut peer) = UnixStream::pair().expect("socketpair");
        peer.set_nonblocking(true).expect("nonblocking");
        let child = Command::new("true").spawn().expect("spawn true");
        let p = Passt::attach(ours, child).expect("attach");
        p.send(b"data1", false).expect("send");
        p.send(b"data2", false).expect("send");
        // A handshake segment waits for passt to read the data.
        p.send(b"syn", true).expect("send");
        p.send(b"data3", false).expect("send");
        assert_eq!(read_batch(&mut peer), framed(&[b"data1", b"data2"]));
        p.wait_readable(0);
        assert_eq!(read_batch(&mut peer), framed(&[b"syn"]), "alone");
        p.wait_readable(0);
        assert_eq!(read_batch(&mut peer), framed(&[b"data3"]));
        // With nothing unread, it goes at once, and still alone.
        p.send(b"ack", true).expect("send");
        p.send(b"data4", false).expect("send");
        assert_eq!(read_batch(&mut peer), framed(&[b"ack"]));
        p.wait_readable(0);
        assert_eq!(read_batch(&mut peer), framed(&[b"data4"]));
    }
}
