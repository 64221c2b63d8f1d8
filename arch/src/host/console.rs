//! The host terminal as the guest console: the kernel's standard input and output.

use std::io::{self, Read, Write};

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

/// Reads what is available from the host's standard input, blocking until there is
/// something; 0 at end of file.
pub fn read(buf: &mut [u8]) -> io::Result<usize> {
    // Bypass std's buffered stdin: the guest must see exactly what arrives.
    let mut file = std::mem::ManuallyDrop::new(stdin_file());
    file.read(buf)
}

fn stdin_file() -> std::fs::File {
    use std::os::fd::FromRawFd;
    // SAFETY: fd 0 stays open for the life of the process; the File is wrapped in
    // ManuallyDrop by the only caller, so it never closes it.
    unsafe { std::fs::File::from_raw_fd(0) }
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

/// The host terminal's settings before the kernel made it raw, to put back.
static SAVED: std::sync::Mutex<Option<libc::termios>> = std::sync::Mutex::new(None);

/// Puts the host terminal on standard input in raw mode, so that every key goes
/// to the guest's line discipline, as UML does; returns false if standard input
/// is not a terminal. `restore` undoes it; every way out of the kernel calls it.
pub fn enter_raw() -> bool {
    // SAFETY: an all-zero termios is a valid value for tcgetattr to fill.
    let mut t: libc::termios = unsafe { std::mem::zeroed() };
    // SAFETY: tcgetattr writes one termios to a valid pointer.
    if unsafe { libc::tcgetattr(0, &mut t) } != 0 {
        return false;
    }
    *SAVED.lock().unwrap_or_else(|e| e.into_inner()) = Some(t);
    let mut raw = t;
    // SAFETY: cfmakeraw only edits the struct it is given.
    unsafe { libc::cfmakeraw(&mut raw) };
    // SAFETY: tcsetattr reads one termios from a valid pointer.
    unsafe { libc::tcsetattr(0, libc::TCSANOW, &raw) };
    true
}

/// Puts the host terminal back as it was before `enter_raw`.
pub fn restore() {
    if let Some(t) = SAVED.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        // SAFETY: tcsetattr reads one termios from a valid pointer.
        unsafe { libc::tcsetattr(0, libc::TCSANOW, t) };
    }
}

/// Waits up to `timeout_ms` for standard input to be readable (or at its end);
/// returns whether it is.
pub fn wait_readable(timeout_ms: i32) -> bool {
    let mut p = libc::pollfd {
        fd: 0,
        events: libc::POLLIN,
        revents: 0,
    };
    // SAFETY: poll reads and writes one pollfd in a valid array of length 1.
    let r = unsafe { libc::poll(&mut p, 1, timeout_ms) };
    r > 0
}
