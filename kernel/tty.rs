//! The kernel's side of terminals (the console and serial lines on their host
//! channels are `lines`): the open-file face of a terminal, controlling
//! terminals and job control (a background process reading its terminal gets
//! SIGTTIN; with TOSTOP, writing gets SIGTTOU), and the terminal ioctls.
//!
//! As in Linux, job control is the terminal file's own: its `read`, `write`
//! and `ioctl` check the task that called them (`task::current`), so every
//! system call that reaches a terminal — write(2), sendfile(2), splice(2) —
//! meets the same check.

use crate::signal::{self, sigbit, SigInfo, SI_KERNEL};
use crate::signal::{SIGCONT, SIGHUP, SIGTTIN, SIGTTOU, SIGWINCH};
use crate::syscall::UserPtr;
use crate::task::{self, Process, Task};
use arch::abi::structs::{self as abi, Winsize};
use arch::{Errno, Result};
use drivers::tty::{termios, Termios, Tty};
use fs::{FileOps, OpenFlags, PollEvents, UserMemory, WaitQueue};
use std::sync::Arc;

/// Returns the device number of terminal `tty`: 4:N for the virtual console
/// ttyN, 4:64+N for the serial line ttySN, 136:N for /dev/pts/N, and 4:0
/// (tty0, UML's first console line) for the console itself, which is what
/// /dev/console leads to, as in UML.
pub fn device_number(tty: &Tty) -> u64 {
    let number = |prefix: &str| tty.name.strip_prefix(prefix)?.parse::<u32>().ok();
    if let Some(n) = number("pts/") {
        fs::makedev(crate::pty::PTS_MAJOR, n)
    } else if let Some(n) = number("ttyS") {
        fs::makedev(crate::lines::TTY_MAJOR, crate::lines::SERIAL_MINOR + n)
    } else if let Some(n) = number("tty") {
        fs::makedev(crate::lines::TTY_MAJOR, n)
    } else {
        fs::makedev(crate::lines::TTY_MAJOR, 0)
    }
}

/// An open terminal; a pty slave's also keeps its pair's count of open slaves.
/// Once the terminal hangs up, the file is dead (Linux's `hung_up_tty_fops`):
/// reads give end of file, writes and most ioctls `EIO`, and poll reports
/// everything, so its holders notice and let go. Files opened as
/// /dev/console are the exception, as in Linux, where they are redirected to
/// the console's terminal rather than opened on it: they outlive hangups.
pub struct TtyFile {
    tty: Arc<Tty>,
    #[expect(dead_code, reason = "held for its Drop, which counts open pty slaves")]
    hold: Option<crate::pty::SlaveHold>,
    /// The terminal's hangup count when this file was opened; None for
    /// /dev/console.
    generation: Option<u64>,
}

impl TtyFile {
    /// Opens `tty`; `hold` keeps a pty slave counted as open.
    pub fn new(tty: Arc<Tty>, hold: Option<crate::pty::SlaveHold>) -> TtyFile {
        let generation = Some(tty.hangups());
        TtyFile {
            tty,
            hold,
            generation,
        }
    }

    /// Opens `tty` as /dev/console.
    pub fn console(tty: Arc<Tty>) -> TtyFile {
        TtyFile {
            tty,
            hold: None,
            generation: None,
        }
    }

    /// Returns whether the terminal hung up since this file was opened.
    pub fn hung_up(&self) -> bool {
        self.generation.is_some_and(|g| g != self.tty.hangups())
    }
}

impl FileOps for TtyFile {
    fn read(&self, _: u64, buf: &mut [u8]) -> Result<usize> {
        if self.hung_up() {
            return Ok(0);
        }
        if let Some(task) = task::current() {
            job_control(&task, &self.tty, Access::Read)?;
        }
        self.tty.read(buf)
    }
    fn write(&self, _: u64, data: &[u8]) -> Result<usize> {
        if self.hung_up() {
            return Err(Errno::EIO);
        }
        if let Some(task) = task::current() {
            job_control(&task, &self.tty, Access::Write)?;
        }
        self.tty.write(data)
    }
    fn seekable(&self) -> bool {
        false
    }
    fn poll(&self) -> PollEvents {
        if self.hung_up() {
            return PollEvents::POLLIN
                | PollEvents::POLLOUT
                | PollEvents::POLLERR
                | PollEvents::POLLHUP
                | PollEvents::POLLRDNORM
                | PollEvents::POLLWRNORM;
        }
        self.tty.poll()
    }
    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.tty.wait)
    }
    /// A hung-up terminal answers most requests with `EIO`.
    fn ioctl(&self, user: &dyn UserMemory, cmd: u32, arg: u64) -> Result<u64> {
        if self.hung_up() {
            return Err(hung_up_ioctl(cmd));
        }
        let task = task::current().ok_or(Errno::ENOTTY)?;
        ioctl(&task, user, &self.tty, cmd, arg)
    }
}

/// Returns whether `sig` is ignored or blocked by the thread `task`.
fn ignored_or_blocked(task: &Task, sig: i32) -> bool {
    let handler = task.process.sigactions.borrow()[sig as usize - 1].handler;
    handler == signal::SIG_IGN || task.signal.borrow().mask & sigbit(sig) != 0
}

/// What a caller does to its terminal, for job control.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Access {
    Read,
    /// A write: checked only with TOSTOP.
    Write,
    /// A change of settings or foreground group (Linux's tty_check_change).
    Change,
}

/// Applies job control to an access of `tty` by `task` (Linux's
/// `__tty_check_change`): a process in a background group of the terminal's
/// session is stopped with SIGTTIN or SIGTTOU (the call restarts once it
/// continues); a read that ignores SIGTTIN gets EIO, other accesses that
/// ignore SIGTTOU go ahead.
fn job_control(task: &Task, tty: &Arc<Tty>, access: Access) -> Result<()> {
    let p = &task.process;
    let is_ctty = p
        .ctty
        .borrow()
        .as_ref()
        .is_some_and(|c| Arc::ptr_eq(c, tty));
    let (_, fg) = tty.owner();
    let pgid = *p.pgid.borrow();
    if !is_ctty || fg == 0 || fg == pgid {
        return Ok(());
    }
    let sig = if access == Access::Read {
        if ignored_or_blocked(task, SIGTTIN) {
            return Err(Errno::EIO);
        }
        SIGTTIN
    } else {
        let tostop = tty.termios().l(termios::TOSTOP);
        if (access == Access::Write && !tostop) || ignored_or_blocked(task, SIGTTOU) {
            return Ok(());
        }
        SIGTTOU
    };
    signal::send_to_group(pgid, SigInfo::new(sig, SI_KERNEL));
    Err(Errno::ERESTARTSYS)
}

/// Opens `file` on its terminal for the current task: without `O_NOCTTY`,
/// the terminal becomes the controlling terminal of the opener's session if
/// the opener leads a session that has none and nobody owns the terminal
/// (Linux's `tty_open_proc_set_tty`).
pub fn open(file: TtyFile, flags: OpenFlags) -> Arc<dyn FileOps> {
    let task = task::current();
    if let (Some(task), false) = (task, flags.contains(OpenFlags::O_NOCTTY)) {
        let p = &task.process;
        let sid = *p.sid.borrow();
        let tty = &file.tty;
        if sid == p.pid && p.ctty.borrow().is_none() && tty.owner().0 == 0 {
            tty.set_owner(sid, *p.pgid.borrow());
            set_session_ctty(sid, Some(tty));
        }
    }
    Arc::new(file)
}

/// Opens /dev/tty (5:0) for the current task: its controlling terminal
/// (`ENXIO` without one).
pub fn open_dev_tty() -> Result<Arc<dyn FileOps>> {
    let task = task::current().ok_or(Errno::ENXIO)?;
    let tty = task.process.ctty.borrow().clone().ok_or(Errno::ENXIO)?;
    let hold = crate::pty::hold_for(&tty);
    Ok(Arc::new(TtyFile::new(tty, hold)))
}

/// Sets the controlling terminal of every process of session `sid`.
fn set_session_ctty(sid: i32, tty: Option<&Arc<Tty>>) {
    for q in crate::task::all_processes() {
        if *q.sid.borrow() == sid {
            *q.ctty.borrow_mut() = tty.cloned();
        }
    }
}

/// A session leader lets go of its controlling terminal (Linux's
/// `disassociate_ctty`): on exit, or by TIOCNOTTY. The terminal then belongs
/// to no session, and no process of the session has it as controlling
/// terminal any more. When the leader exits, a terminal that is not a
/// pseudo-terminal hangs up, so that the files the session still has open on
/// it read end of file and the shells that hold them end; otherwise the
/// foreground group gets SIGHUP, and SIGCONT too when the leader lives on.
pub fn disassociate_ctty(p: &Process, on_exit: bool) {
    let Some(tty) = p.ctty.take() else {
        return;
    };
    let (sid, fg) = tty.owner();
    if sid != p.pid {
        return;
    }
    tty.set_owner(0, 0);
    set_session_ctty(sid, None);
    if on_exit && !tty.name.starts_with("pts/") {
        tty.hangup();
        return;
    }
    if fg > 0 {
        signal::send_to_group(fg, SigInfo::new(SIGHUP, SI_KERNEL));
        if !on_exit {
            signal::send_to_group(fg, SigInfo::new(SIGCONT, SI_KERNEL));
        }
    }
}

/// vhangup(2): hangs up the caller's controlling terminal (Linux's
/// `tty_vhangup`): every file open on it is dead, its session loses it, and
/// the session leader gets SIGHUP and SIGCONT.
pub fn vhangup(p: &Process) {
    let Some(tty) = p.ctty.borrow().clone() else {
        return;
    };
    let (sid, _) = tty.owner();
    if sid > 0 {
        set_session_ctty(sid, None);
        if let Some(leader) = crate::task::find_process(sid) {
            signal::send_to_process(&leader, SigInfo::new(SIGHUP, SI_KERNEL));
            signal::send_to_process(&leader, SigInfo::new(SIGCONT, SI_KERNEL));
        }
    }
    tty.hangup();
}

const TCGETS: u32 = 0x5401;
const TCSETS: u32 = 0x5402;
const TCSETSW: u32 = 0x5403;
const TCSETSF: u32 = 0x5404;
const TCSBRK: u32 = 0x5409;
const TCXONC: u32 = 0x540a;
const TCFLSH: u32 = 0x540b;
const TIOCSCTTY: u32 = 0x540e;
const TIOCGPGRP: u32 = 0x540f;
const TIOCSPGRP: u32 = 0x5410;
const TIOCOUTQ: u32 = 0x5411;
const TIOCGWINSZ: u32 = 0x5413;
const TIOCSWINSZ: u32 = 0x5414;
const FIONREAD: u32 = 0x541b;
const TIOCNOTTY: u32 = 0x5422;
const TIOCGSID: u32 = 0x5429;
const TCSBRKP: u32 = 0x5425;
const TCGETA: u32 = 0x5405;
const TCSETA: u32 = 0x5406;
const TCSETAW: u32 = 0x5407;
const TCSETAF: u32 = 0x5408;
const TIOCSTI: u32 = 0x5412;
const TIOCGETD: u32 = 0x5424;
const TIOCSETD: u32 = 0x5423;
/// The one line discipline there is.
const N_TTY: i32 = 0;
/// `sizeof(struct termio)`: four 16-bit flag words, the line, 8 control
/// characters and a byte of padding.
const TERMIO_SIZE: usize = 18;
const NCC: usize = 8;

/// Returns `t` as the old `struct termio` (Linux's kernel_termios_to_user_termio):
/// the low 16 bits of each flag word.
fn to_termio(t: &Termios) -> [u8; TERMIO_SIZE] {
    let mut b = [0u8; TERMIO_SIZE];
    for (i, f) in [t.iflag, t.oflag, t.cflag, t.lflag].into_iter().enumerate() {
        b[i * 2..i * 2 + 2].copy_from_slice(&(f as u16).to_ne_bytes());
    }
    b[8] = t.line;
    b[9..9 + NCC].copy_from_slice(&t.cc[..NCC]);
    b
}

/// Returns `t` with the low 16 bits of its flags, its line and first 8
/// control characters taken from the `struct termio` in `b` (Linux's
/// user_termio_to_kernel_termios).
fn from_termio(mut t: Termios, b: &[u8; TERMIO_SIZE]) -> Termios {
    let word = |i: usize| u32::from(u16::from_ne_bytes([b[i * 2], b[i * 2 + 1]]));
    t.iflag = (t.iflag & 0xffff_0000) | word(0);
    t.oflag = (t.oflag & 0xffff_0000) | word(1);
    t.cflag = (t.cflag & 0xffff_0000) | word(2);
    t.lflag = (t.lflag & 0xffff_0000) | word(3);
    t.line = b[8];
    t.cc[..NCC].copy_from_slice(&b[9..9 + NCC]);
    t
}

/// Handles the settings ioctls both sides of a terminal share (a pty master
/// acts on its slave's): termios, window size, flushing.
pub fn master_side_ioctl(user: &dyn UserMemory, tty: &Arc<Tty>, cmd: u32, arg: u64) -> Result<u64> {
    let put_i32 = |v: i32| UserPtr::<i32>::new(arg).write(user, &v);
    match cmd {
        TCGETS => UserPtr::new(arg).write(user, &tty.termios().to_abi())?,
        TCSETS | TCSETSW | TCSETSF => {
            let t = UserPtr::<abi::Termios>::new(arg).read(user)?;
            tty.set_termios(Termios::from_abi(t), cmd == TCSETSF);
        }
        TCGETA => UserPtr::new(arg).write(user, &to_termio(&tty.termios()))?,
        TCSETA | TCSETAW | TCSETAF => {
            let b = UserPtr::<[u8; TERMIO_SIZE]>::new(arg).read(user)?;
            tty.set_termios(from_termio(tty.termios(), &b), cmd == TCSETAF);
        }
        TIOCGETD => put_i32(N_TTY)?,
        TIOCSETD => {
            if UserPtr::<i32>::new(arg).read(user)? != N_TTY {
                return Err(Errno::EINVAL);
            }
        }
        TIOCGWINSZ => UserPtr::new(arg).write(user, &tty.winsize())?,
        TIOCSWINSZ => {
            let ws = UserPtr::<Winsize>::new(arg).read(user)?;
            if let Some(pgrp) = tty.set_winsize(ws) {
                signal::send_to_group(pgrp, SigInfo::new(SIGWINCH, SI_KERNEL));
            }
        }
        TIOCOUTQ => put_i32(0)?,
        TCFLSH => match arg {
            0 | 2 => tty.flush_input(),
            1 => {}
            _ => return Err(Errno::EINVAL),
        },
        TCXONC if arg <= 3 => {}
        TCSBRK | TCSBRKP => {}
        TIOCGPGRP => put_i32(crate::pid_ns::current().nr(tty.owner().1))?,
        _ => return Err(Errno::ENOTTY),
    }
    Ok(0)
}

/// Returns the error of an ioctl on a hung-up terminal file.
fn hung_up_ioctl(cmd: u32) -> Errno {
    if cmd == TIOCSPGRP {
        Errno::ENOTTY
    } else {
        Errno::EIO
    }
}

/// Handles a terminal ioctl on `tty` by `task`.
fn ioctl(task: &Task, user: &dyn UserMemory, tty: &Arc<Tty>, cmd: u32, arg: u64) -> Result<u64> {
    let p = task.process.clone();
    let is_ctty = p
        .ctty
        .borrow()
        .as_ref()
        .is_some_and(|c| Arc::ptr_eq(c, tty));
    let put_i32 = |v: i32| UserPtr::<i32>::new(arg).write(user, &v);
    match cmd {
        TCSETS | TCSETSW | TCSETSF | TCSETA | TCSETAW | TCSETAF | TIOCSWINSZ | TIOCSETD
            if is_ctty =>
        {
            job_control(task, tty, Access::Change)?;
            return master_side_ioctl(user, tty, cmd, arg);
        }
        FIONREAD => put_i32(tty.available() as i32)?,
        TIOCSTI => {
            // Linux's tiocsti: faking input into another's terminal needs
            // CAP_SYS_ADMIN; the byte is read after that check.
            if !is_ctty
                && !p
                    .cred
                    .borrow()
                    .capable(arch::abi::capability::CAP_SYS_ADMIN)
            {
                return Err(Errno::EPERM);
            }
            let ch = UserPtr::<u8>::new(arg).read(user)?;
            for (pgrp, sig) in tty.receive(&[ch]) {
                signal::send_to_group(pgrp, SigInfo::new(sig, SI_KERNEL));
            }
        }
        TIOCSCTTY => {
            let sid = *p.sid.borrow();
            if sid != p.pid || p.ctty.borrow().is_some() {
                return if is_ctty { Ok(0) } else { Err(Errno::EPERM) };
            }
            let (owner, _) = tty.owner();
            if owner != 0 {
                // Stealing another session's terminal needs CAP_SYS_ADMIN
                // and arg 1.
                if arg != 1
                    || !p
                        .cred
                        .borrow()
                        .capable(arch::abi::capability::CAP_SYS_ADMIN)
                {
                    return Err(Errno::EPERM);
                }
                set_session_ctty(owner, None);
            }
            tty.set_owner(sid, *p.pgid.borrow());
            set_session_ctty(sid, Some(tty));
        }
        TIOCNOTTY => {
            if !is_ctty {
                return Err(Errno::ENOTTY);
            }
            if *p.sid.borrow() == p.pid {
                disassociate_ctty(&p, false);
            } else {
                *p.ctty.borrow_mut() = None;
            }
        }
        TIOCGPGRP | TIOCGSID => {
            if !is_ctty {
                return Err(Errno::ENOTTY);
            }
            let (sid, pgrp) = tty.owner();
            // As the caller's PID namespace numbers them.
            put_i32(p.vnr(if cmd == TIOCGSID { sid } else { pgrp }))?;
        }
        TIOCSPGRP => {
            if !is_ctty {
                return Err(Errno::ENOTTY);
            }
            job_control(task, tty, Access::Change)?;
            let pgrp = UserPtr::<i32>::new(arg).read(user)?;
            if pgrp < 0 {
                return Err(Errno::EINVAL);
            }
            // A number of the caller's PID namespace (Linux's find_vpid).
            let pgrp = p.global(pgrp).ok_or(Errno::ESRCH)?;
            let sid = *p.sid.borrow();
            let exists = crate::task::all_processes()
                .iter()
                .any(|q| *q.pgid.borrow() == pgrp && q.exit_status.borrow().is_none());
            if !exists {
                return Err(Errno::ESRCH);
            }
            let same_session = crate::task::all_processes()
                .iter()
                .any(|q| *q.pgid.borrow() == pgrp && *q.sid.borrow() == sid);
            if !same_session {
                return Err(Errno::EPERM);
            }
            tty.set_pgrp(pgrp);
        }
        _ => return master_side_ioctl(user, tty, cmd, arg),
    }
    Ok(0)
}
