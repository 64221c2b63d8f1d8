//! Host channels for the guest's terminal lines: the host's standard output
//! for kernel messages, and host file descriptors (the host terminal, pipes,
//! pseudo-terminals the kernel opens) behind the console and serial lines —
//! raw mode on a host terminal and its restoration on every way out, window
//! sizes, and waiting for input.

use std::io::{self, Write};

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

/// Writes all of `data` to host fd `fd`. Standard output goes through the
/// same lock as kernel messages. When a non-blocking fd (a pseudo-terminal
/// nobody reads) stays full for a while, the rest is dropped, as a serial
/// line with nobody listening loses it.
pub fn write_fd(fd: i32, mut data: &[u8]) {
    if fd == 1 {
        let _ = write(data);
        return;
    }
    while !data.is_empty() {
        // SAFETY: write reads at most data.len() bytes from a valid slice.
        let r = unsafe { libc::write(fd, data.as_ptr().cast(), data.len()) };
        if r > 0 {
            data = &data[r as usize..];
            continue;
        }
        match io::Error::last_os_error().raw_os_error() {
            Some(libc::EINTR) => {}
            Some(libc::EAGAIN) if wait_fd(fd, libc::POLLOUT, 200) => {}
            _ => return,
        }
    }
}

/// Reads what is available from host fd `fd`, blocking (unless the fd is
/// non-blocking) until there is something; 0 at end of file.
pub fn read(fd: i32, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: read writes at most buf.len() bytes to a valid slice.
    let r = unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) };
    if r < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(r as usize)
}

/// Returns whether host fd `fd` is open.
pub fn fd_is_open(fd: i32) -> bool {
    // SAFETY: F_GETFD only reads the fd's flags; any fd number is allowed.
    fd >= 0 && unsafe { libc::fcntl(fd, libc::F_GETFD) } >= 0
}

/// Returns whether host fd `fd` is a terminal.
pub fn is_terminal(fd: i32) -> bool {
    // SAFETY: isatty only queries the fd; any fd number is allowed.
    unsafe { libc::isatty(fd) == 1 }
}

/// The host terminal's settings, in the layout of Linux's `struct termios`
/// (the kernel's, as TCGETS returns it: 36 bytes).
pub fn termios(fd: i32) -> Option<[u8; 36]> {
    let mut t = [0u8; 36];
    // SAFETY: TCGETS writes one kernel struct termios (36 bytes) to the pointer.
    let r = unsafe { libc::ioctl(fd, libc::TCGETS, t.as_mut_ptr()) };
    (r == 0).then_some(t)
}

/// The host terminal's window size as `struct winsize` (rows, cols, xpixel, ypixel).
pub fn window_size(fd: i32) -> Option<[u16; 4]> {
    let mut w = [0u16; 4];
    // SAFETY: TIOCGWINSZ writes one struct winsize (8 bytes) to the pointer.
    let r = unsafe { libc::ioctl(fd, libc::TIOCGWINSZ, w.as_mut_ptr()) };
    (r == 0).then_some(w)
}

/// The settings of each host terminal the kernel made raw, to put back.
static SAVED: std::sync::Mutex<Vec<(i32, libc::termios)>> = std::sync::Mutex::new(Vec::new());

/// Puts the host terminal on fd `fd` in raw mode, so that every key goes to
/// the guest's line discipline, as UML does; returns false if `fd` is not a
/// terminal. `restore` undoes it; every way out of the kernel calls it.
pub fn enter_raw(fd: i32) -> bool {
    // SAFETY: an all-zero termios is a valid value for tcgetattr to fill.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: tcgetattr writes one termios to a valid pointer.
    if unsafe { libc::tcgetattr(fd, &mut t) } != 0 {
        return false;
    }
    let mut saved = SAVED.lock().unwrap_or_else(|e| e.into_inner());
    if !saved.iter().any(|(f, _)| *f == fd) {
        saved.push((fd, t));
    }
    let mut raw = t;
    // SAFETY: cfmakeraw only edits the struct it is given.
    unsafe { libc::cfmakeraw(&mut raw) };
    // SAFETY: tcsetattr reads one termios from a valid pointer.
    unsafe { libc::tcsetattr(fd, libc::TCSANOW, &raw) };
    true
}

/// Puts every host terminal `enter_raw` changed back as it was.
pub fn restore() {
    let saved = SAVED.lock().unwrap_or_else(|e| e.into_inner());
    for (fd, t) in saved.iter() {
        // SAFETY: tcsetattr reads one termios from a valid pointer.
        unsafe { libc::tcsetattr(*fd, libc::TCSANOW, t) };
    }
}

/// Waits up to `timeout_ms` for host fd `fd` to be readable (or at its end,
/// or hung up); returns whether it is.
pub fn wait_readable(fd: i32, timeout_ms: i32) -> bool {
    wait_fd(fd, libc::POLLIN, timeout_ms)
}

fn wait_fd(fd: i32, events: i16, timeout_ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd,
        events,
        revents: 0,
    };
    // SAFETY: poll reads and writes one pollfd in a valid array of length 1.
    let r = unsafe { libc::poll(&mut p, 1, timeout_ms) };
    r > 0
}

/// Opens a new host pseudo-terminal; returns its master fd (non-blocking,
/// close-on-exec, the slave in raw mode) and the slave's path, such as
/// `/dev/pts/7`, for a user to attach a terminal program to.
pub fn open_pty() -> io::Result<(i32, String)> {
    let flags = libc::O_RDWR | libc::O_NOCTTY | libc::O_CLOEXEC | libc::O_NONBLOCK;
    // SAFETY: posix_openpt takes only flags and returns a new fd or -1.
    let fd = unsafe { libc::posix_openpt(flags) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    let fail = |fd: i32| {
        let e = io::Error::last_os_error();
        // SAFETY: fd is the master this function opened and nobody else holds.
        unsafe { libc::close(fd) };
        Err(e)
    };
    // SAFETY: grantpt and unlockpt act on the master fd opened above.
    if unsafe { libc::grantpt(fd) } != 0 || unsafe { libc::unlockpt(fd) } != 0 {
        return fail(fd);
    }
    let mut name = [0u8; 128];
    // SAFETY: ptsname_r writes a NUL-terminated name of at most name.len()
    // bytes to a valid buffer.
    if unsafe { libc::ptsname_r(fd, name.as_mut_ptr().cast(), name.len()) } != 0 {
        return fail(fd);
    }
    let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
    // Settings made through the master apply to the slave: raw, so the host
    // side neither echoes the guest's output back nor edits its input.
    // SAFETY: an all-zero termios is a valid value for tcgetattr to fill.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: tcgetattr writes one termios to a valid pointer.
    if unsafe { libc::tcgetattr(fd, &mut t) } == 0 {
        // SAFETY: cfmakeraw only edits the struct it is given.
        unsafe { libc::cfmakeraw(&mut t) };
        // SAFETY: tcsetattr reads one termios from a valid pointer.
        unsafe { libc::tcsetattr(fd, libc::TCSANOW, &t) };
    }
    Ok((fd, String::from_utf8_lossy(&name[..len]).into_owned()))
}
