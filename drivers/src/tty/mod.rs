//! Terminals: a `Tty` joins a line discipline, the terminal's settings and
//! window size, and the session and foreground process group that own it, to a
//! driver that carries bytes to the outside (the host terminal for the console).
//! Input arrives through `receive`, which returns the signals the kernel must
//! send to the foreground group; reads never sleep here — they give `EAGAIN`
//! and the kernel sleeps on `wait`, woken when input arrives.

mod ldisc;
pub mod termios;

pub use ldisc::{process_output, Ldisc};
pub use termios::Termios;

use arch::abi::structs::Winsize;
use arch::sync::{Mutex, MutexGuard};
use arch::{Errno, Result};
use fs::{PollEvents, WaitQueue};
use std::sync::atomic::{AtomicU64, Ordering};

/// Where a terminal's output goes.
pub trait TtyDriver: Send + Sync {
    /// Writes bytes that have been through output processing.
    fn write(&self, data: &[u8]);
}

struct State {
    termios: Termios,
    winsize: Winsize,
    ldisc: Ldisc,
    /// The session this is the controlling terminal of (0: none).
    session: i32,
    /// The foreground process group (0: none).
    pgrp: i32,
    /// The outside has no more input (host end of file): reads return 0.
    hung_up: bool,
}

/// A terminal.
pub struct Tty {
    /// The device name (`console`, `pts/0`).
    pub name: String,
    state: Mutex<State>,
    /// Woken when input arrives or the terminal hangs up.
    pub wait: WaitQueue,
    /// How many times the terminal was hung up (vhangup(2), or its session
    /// leader exiting): files opened before the last hangup are dead.
    hangups: AtomicU64,
    driver: Box<dyn TtyDriver>,
}

impl Tty {
    /// Creates a terminal with Linux's default settings.
    pub fn new(name: &str, driver: Box<dyn TtyDriver>, winsize: Winsize) -> Tty {
        Tty {
            name: name.to_string(),
            state: Mutex::new(State {
                termios: Termios::default(),
                winsize,
                ldisc: Ldisc::default(),
                session: 0,
                pgrp: 0,
                hung_up: false,
            }),
            hangups: AtomicU64::new(0),
            wait: WaitQueue::new(),
            driver,
        }
    }

    fn state(&self) -> MutexGuard<'_, State> {
        self.state.lock()
    }

    /// Takes input from the outside; returns (foreground group, signal) pairs
    /// to send. Wakes readers.
    pub fn receive(&self, input: &[u8]) -> Vec<(i32, i32)> {
        let (echo, signals, pgrp) = {
            let mut s = self.state();
            let t = s.termios;
            let r = s.ldisc.receive(&t, input);
            (r.echo, r.signals, s.pgrp)
        };
        if !echo.is_empty() {
            self.driver.write(&echo);
        }
        self.wait.wake_all();
        if pgrp <= 0 {
            return Vec::new();
        }
        signals.into_iter().map(|s| (pgrp, s)).collect()
    }

    /// Marks the end of input from the outside: reads return end of file once
    /// the input is read.
    pub fn end_input(&self) {
        self.state().hung_up = true;
        self.wait.wake_all();
    }

    /// Hangs the terminal up (Linux's `__tty_hangup`): the files open on it
    /// are dead from now on (see `hangups`), pending input is discarded, and
    /// whoever waits on it wakes up.
    pub fn hangup(&self) {
        let mut s = self.state();
        self.hangups.fetch_add(1, Ordering::AcqRel);
        s.ldisc = Ldisc::default();
        s.session = 0;
        s.pgrp = 0;
        drop(s);
        self.wait.wake_all();
    }

    /// Returns the number of hangups so far: a file opened when it was `n`
    /// is hung up once it is larger.
    pub fn hangups(&self) -> u64 {
        self.hangups.load(Ordering::Acquire)
    }

    /// Reads input; `EAGAIN` if there is none yet.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize> {
        let mut s = self.state();
        let t = s.termios;
        match s.ldisc.read(&t, buf) {
            Some(n) => Ok(n),
            None if s.hung_up => Ok(0),
            None => Err(Errno::EAGAIN),
        }
    }

    /// Writes output through output processing.
    pub fn write(&self, data: &[u8]) -> Result<usize> {
        let t = self.state().termios;
        self.driver.write(&process_output(&t, data));
        Ok(data.len())
    }

    /// Returns the poll events: readable with input (or after the end of
    /// input), always writable.
    pub fn poll(&self) -> PollEvents {
        let s = self.state();
        let mut ev = PollEvents::POLLOUT | PollEvents::POLLWRNORM;
        if s.ldisc.readable(&s.termios) {
            ev |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
        }
        // The end of host input reads as end of file for ever, like a ^D
        // on every read, rather than as a hang-up.
        if s.hung_up {
            ev |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
        }
        ev
    }

    /// Returns the bytes a read could take now (FIONREAD).
    pub fn available(&self) -> usize {
        let s = self.state();
        s.ldisc.available(&s.termios)
    }

    /// Returns the settings.
    pub fn termios(&self) -> Termios {
        self.state().termios
    }

    /// Replaces the settings (TCSETS); `flush` discards pending input (TCSETSF).
    pub fn set_termios(&self, t: Termios, flush: bool) {
        let mut s = self.state();
        let was_canon = s.termios.l(termios::ICANON);
        s.termios = t;
        if flush {
            s.ldisc.flush();
        } else if was_canon != t.l(termios::ICANON) {
            s.ldisc.mode_changed(t.l(termios::ICANON));
        }
        drop(s);
        self.wait.wake_all();
    }

    /// Discards pending input (TCFLSH).
    pub fn flush_input(&self) {
        self.state().ldisc.flush();
    }

    /// Returns the window size.
    pub fn winsize(&self) -> Winsize {
        self.state().winsize
    }

    /// Sets the window size; returns the foreground group to send SIGWINCH to
    /// if it changed.
    pub fn set_winsize(&self, ws: Winsize) -> Option<i32> {
        let mut s = self.state();
        if s.winsize == ws {
            return None;
        }
        s.winsize = ws;
        (s.pgrp > 0).then_some(s.pgrp)
    }

    /// Returns (session, foreground process group); 0 for none.
    pub fn owner(&self) -> (i32, i32) {
        let s = self.state();
        (s.session, s.pgrp)
    }

    /// Makes this the controlling terminal of `session` with foreground group
    /// `pgrp` (both 0: of nobody).
    pub fn set_owner(&self, session: i32, pgrp: i32) {
        let mut s = self.state();
        s.session = session;
        s.pgrp = pgrp;
    }

    /// Sets the foreground process group.
    pub fn set_pgrp(&self, pgrp: i32) {
        self.state().pgrp = pgrp;
    }
}
