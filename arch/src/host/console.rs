//! Host channels for the guest's terminal lines: the host's standard output
//! for kernel messages, and host file descriptors (the host terminal, pipes,
//! pseudo-terminals the kernel opens) behind the console and serial lines —
//! raw mode on a host terminal and its restoration on every way out, window
//! sizes, and waiting for input.

use crate::abi::structs::Winsize;
use nix::errno::Errno;
use nix::fcntl::OFlag;
use nix::poll::{PollFd, PollFlags};
use nix::pty;
use nix::sys::termios::{self, SetArg, Termios};
use std::io::{self, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};

/// Writes all of `data` to the host's standard output.
pub fn write(data: &[u8]) -> io::Result<()> {
    let mut out = io::stdout().lock();
    out.write_all(data)?;
    out.flush()
}

/// Returns whether the host's standard output is a terminal (checked once).
pub fn stdout_is_terminal() -> bool {
    static IS_TTY: std::sync::OnceLock<bool> = std::sync::OnceLock::new();
    *IS_TTY.get_or_init(|| io::IsTerminal::is_terminal(&io::stdout()))
}

/// Writes all of `data` to the host's standard error (kernel messages when the
/// console is not the place for them).
pub fn write_err(data: &[u8]) {
    let _ = io::stderr().lock().write_all(data);
}

/// A host file descriptor behind a terminal line: standard input or output, a
/// descriptor inherited from the command line (`con0=fd:3,fd:4`), or a
/// pseudo-terminal the kernel opened. Such descriptors stay open as long as the
/// kernel runs, which is what lets a line copy its `HostFd` freely.
#[derive(Clone, Copy, Debug)]
pub struct HostFd(BorrowedFd<'static>);

impl HostFd {
    /// Returns the descriptor `fd` this process inherited, if it is open.
    pub fn inherited(fd: i32) -> Option<HostFd> {
        if fd < 0 {
            return None;
        }
        // SAFETY: 1. F_GETFD only reads the flags of the descriptor, and any
        // number is allowed. 2. Once it succeeded, `fd` is open, and it stays
        // open for the rest of the process as `BorrowedFd<'static>` requires:
        // the kernel never closes a descriptor it inherited.
        unsafe {
            if libc::fcntl(fd, libc::F_GETFD) < 0 {
                return None;
            }
            Some(HostFd(BorrowedFd::borrow_raw(fd)))
        }
    }

    /// Returns the descriptor's number.
    pub fn raw(self) -> i32 {
        self.0.as_raw_fd()
    }
}

/// Writes all of `data` to host fd `fd`. Standard output goes through the
/// same lock as kernel messages. When a non-blocking fd (a pseudo-terminal
/// nobody reads) stays full for a while, the rest is dropped, as a serial
/// line with nobody listening loses it.
pub fn write_fd(fd: HostFd, mut data: &[u8]) {
    if fd.raw() == 1 {
        let _ = write(data);
        return;
    }
    while !data.is_empty() {
        match nix::unistd::write(fd.0, data) {
            Ok(n) if n > 0 => data = &data[n..],
            Err(Errno::EINTR) => {}
            Err(Errno::EAGAIN) if wait_fd(fd, PollFlags::POLLOUT, 200) => {}
            _ => return,
        }
    }
}

/// Reads what is available from host fd `fd`, blocking (unless the fd is
/// non-blocking) until there is something; 0 at end of file.
pub fn read(fd: HostFd, buf: &mut [u8]) -> io::Result<usize> {
    Ok(nix::unistd::read(fd.0, buf)?)
}

/// The host terminal's window size.
pub fn window_size(fd: HostFd) -> Option<Winsize> {
    let mut w = Winsize::default();
    // SAFETY: TIOCGWINSZ writes one struct winsize (8 bytes, the layout of
    // Winsize) to the pointer, which is valid for writes of that size.
    // (nix has no safe wrapper of this request.)
    let r = unsafe { libc::ioctl(fd.raw(), libc::TIOCGWINSZ, &mut w as *mut Winsize) };
    (r == 0).then_some(w)
}

/// The settings of each host terminal the kernel made raw, to put back.
static SAVED: std::sync::Mutex<Vec<(HostFd, Termios)>> = std::sync::Mutex::new(Vec::new());

/// Puts the host terminal on fd `fd` in raw mode, so that every key goes to
/// the guest's line discipline, as UML does; returns false if `fd` is not a
/// terminal. `restore` undoes it; every way out of the kernel calls it.
pub fn enter_raw(fd: HostFd) -> bool {
    let Ok(t) = termios::tcgetattr(fd.0) else {
        return false;
    };
    let mut saved = SAVED.lock().unwrap_or_else(|e| e.into_inner());
    if !saved.iter().any(|(f, _)| f.raw() == fd.raw()) {
        saved.push((fd, t.clone()));
    }
    let mut raw = t;
    termios::cfmakeraw(&mut raw);
    let _ = termios::tcsetattr(fd.0, SetArg::TCSANOW, &raw);
    true
}

/// Puts every host terminal `enter_raw` changed back as it was.
pub fn restore() {
    let saved = SAVED.lock().unwrap_or_else(|e| e.into_inner());
    for (fd, t) in saved.iter() {
        let _ = termios::tcsetattr(fd.0, SetArg::TCSANOW, t);
    }
}

/// Waits up to `timeout_ms` for host fd `fd` to be readable (or at its end,
/// or hung up); returns whether it is.
pub fn wait_readable(fd: HostFd, timeout_ms: u16) -> bool {
    wait_fd(fd, PollFlags::POLLIN, timeout_ms)
}

fn wait_fd(fd: HostFd, events: PollFlags, timeout_ms: u16) -> bool {
    let mut fds = [PollFd::new(fd.0, events)];
    nix::poll::poll(&mut fds, timeout_ms).is_ok_and(|n| n > 0)
}

/// Opens a new host pseudo-terminal; returns its master fd (non-blocking,
/// close-on-exec, the slave in raw mode) and the slave's path, such as
/// `/dev/pts/7`, for a user to attach a terminal program to. The master stays
/// open as long as the kernel runs.
pub fn open_pty() -> io::Result<(HostFd, String)> {
    let flags = OFlag::O_RDWR | OFlag::O_NOCTTY | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
    let master = pty::posix_openpt(flags)?;
    pty::grantpt(&master)?;
    pty::unlockpt(&master)?;
    let name = pty::ptsname_r(&master)?;
    // Settings made through the master apply to the slave: raw, so the host
    // side neither echoes the guest's output back nor edits its input.
    if let Ok(mut t) = termios::tcgetattr(&master) {
        termios::cfmakeraw(&mut t);
        let _ = termios::tcsetattr(&master, SetArg::TCSANOW, &t);
    }
    let master: &'static OwnedFd = Box::leak(Box::new(OwnedFd::from(master)));
    Ok((HostFd(master.as_fd()), name))
}
