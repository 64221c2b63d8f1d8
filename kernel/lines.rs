//! The console and serial lines, each a `Tty` on a host channel chosen on the
//! command line in UML's syntax (`con0=fd:0,fd:1`, `ssl0=pts`, `con=null`):
//! con0 is /dev/console (5:1, also /dev/tty0), conN the virtual console
//! /dev/ttyN (4:N), sslN the serial line /dev/ttySN (4:64+N); con0 is also
//! /dev/hvc0 (229:0), the name of a paravirtual console. Lines not
//! configured do not exist: opening them gives ENODEV, as in UML, and
//! devtmpfs has no node for them. A thread per line feeds host input to its
//! terminal like an interrupt handler.

use crate::cmdline::{Cmdline, LineSpec};
use crate::signal::{self, SigInfo, SIGWINCH, SI_KERNEL};
use arch::abi::structs::Winsize;
use arch::host::console as host;
use drivers::tty::{Tty, TtyDriver};
use std::sync::Arc;
use std::time::Duration;

/// The major number of the virtual consoles and serial lines.
pub const TTY_MAJOR: u32 = 4;
/// The major number of hvc0, the console line by its paravirtual console
/// name (Linux's HVC_MAJOR): the same line as tty0, under the name systemd
/// starts a serial getty on, as for the console of a KVM or Xen guest.
pub const HVC_MAJOR: u32 = 229;
/// The first minor number of the serial lines.
pub const SERIAL_MINOR: u32 = 64;
/// The `tty` group, owner of the virtual consoles' nodes.
const GID_TTY: u32 = 5;
/// The `dialout` group, owner of the serial lines' nodes.
const GID_DIALOUT: u32 = 20;

/// A line's host channel once opened.
#[derive(Clone, Copy)]
struct Channel {
    /// The host fd input comes from (None: no input ever).
    input: Option<host::HostFd>,
    /// The host fd output goes to (None: discarded).
    output: Option<host::HostFd>,
    /// Whether this is a pseudo-terminal the kernel opened, where the host
    /// side may come and go.
    pty: bool,
}

/// A line's output: the host fd of its channel.
struct HostLine(Option<host::HostFd>);

impl TtyDriver for HostLine {
    fn write(&self, data: &[u8]) {
        if let Some(fd) = self.0 {
            host::write_fd(fd, data);
        }
    }
}

/// A configured line: its terminal and host channel.
struct Line {
    tty: Arc<Tty>,
    channel: Channel,
}

/// The console and the configured virtual consoles and serial lines.
pub struct Lines {
    /// con0: /dev/console.
    pub console: Arc<Tty>,
    /// conN at index N (index 0 unused: it is `console`).
    vcs: [Option<Line>; crate::cmdline::MAX_CON],
    /// sslN at index N.
    serial: [Option<Line>; crate::cmdline::MAX_SSL],
    console_channel: Channel,
}

/// Opens the host channel for a line named `what` (as UML names it in its
/// messages: "Serial line 0"); a new pseudo-terminal is announced on stderr.
fn open_channel(spec: LineSpec, what: &str, word: &str) -> Result<Channel, String> {
    match spec {
        LineSpec::Null => Ok(Channel {
            input: None,
            output: None,
            pty: false,
        }),
        LineSpec::Fd { input, output } => {
            let open =
                |fd| host::HostFd::inherited(fd).ok_or(format!("{word}: host fd {fd} is not open"));
            Ok(Channel {
                input: Some(open(input)?),
                output: Some(open(output)?),
                pty: false,
            })
        }
        LineSpec::Pts => {
            let (fd, path) =
                host::open_pty().map_err(|e| format!("{word}: cannot open a host pty: {e}"))?;
            host::write_err(format!("{what} assigned device {path}\n").as_bytes());
            Ok(Channel {
                input: Some(fd),
                output: Some(fd),
                pty: true,
            })
        }
    }
}

/// Creates the terminal `name` on `channel`, sized like the host terminal.
fn new_tty(name: &str, channel: Channel) -> Arc<Tty> {
    let ws = [channel.output, channel.input]
        .into_iter()
        .flatten()
        .find_map(host::window_size)
        .filter(|w| w.ws_row != 0 && w.ws_col != 0)
        .unwrap_or(Winsize {
            ws_row: 24,
            ws_col: 80,
            ..Default::default()
        });
    Arc::new(Tty::new(name, Box::new(HostLine(channel.output)), ws))
}

impl Lines {
    /// Opens the lines the command line configures. Errors are one line
    /// naming the word at fault.
    pub fn open(c: &Cmdline) -> Result<Lines, String> {
        let con0 = c.con[0].unwrap_or(LineSpec::Fd {
            input: 0,
            output: 1,
        });
        let console_channel = open_channel(con0, "Virtual console 0", "con0")?;
        let mut vcs: [Option<Line>; crate::cmdline::MAX_CON] = Default::default();
        for (n, spec) in c.con.iter().enumerate().skip(1) {
            if let Some(spec) = *spec {
                let what = format!("Virtual console {n}");
                let channel = open_channel(spec, &what, &format!("con{n}"))?;
                let tty = new_tty(&format!("tty{n}"), channel);
                vcs[n] = Some(Line { tty, channel });
            }
        }
        let mut serial: [Option<Line>; crate::cmdline::MAX_SSL] = Default::default();
        for (n, spec) in c.ssl.iter().enumerate() {
            if let Some(spec) = *spec {
                let what = format!("Serial line {n}");
                let channel = open_channel(spec, &what, &format!("ssl{n}"))?;
                let tty = new_tty(&format!("ttyS{n}"), channel);
                serial[n] = Some(Line { tty, channel });
            }
        }
        Ok(Lines {
            console: new_tty("console", console_channel),
            vcs,
            serial,
            console_channel,
        })
    }

    /// Returns the terminal of device 4:`minor`: Some(None) for a line of
    /// ours that is not configured, None for a minor that is no line at all.
    pub fn by_minor(&self, minor: u32) -> Option<Option<Arc<Tty>>> {
        let n = minor as usize;
        let line = match minor {
            0 => return Some(Some(self.console.clone())),
            1..SERIAL_MINOR if n < self.vcs.len() => &self.vcs[n],
            SERIAL_MINOR.. if n - (SERIAL_MINOR as usize) < self.serial.len() => {
                &self.serial[n - SERIAL_MINOR as usize]
            }
            _ => return None,
        };
        Some(line.as_ref().map(|l| l.tty.clone()))
    }

    /// Returns the device nodes of the configured lines: name, device number,
    /// permission bits, group.
    pub fn nodes(&self) -> Vec<(String, u64, u32, u32)> {
        let mut nodes = vec![(
            "tty0".to_string(),
            fs::makedev(TTY_MAJOR, 0),
            0o620,
            GID_TTY,
        )];
        nodes.push((
            "hvc0".to_string(),
            fs::makedev(HVC_MAJOR, 0),
            0o620,
            GID_TTY,
        ));
        for (n, _) in self.vcs.iter().enumerate().filter(|(_, l)| l.is_some()) {
            let dev = fs::makedev(TTY_MAJOR, n as u32);
            nodes.push((format!("tty{n}"), dev, 0o620, GID_TTY));
        }
        for (n, _) in self.serial.iter().enumerate().filter(|(_, l)| l.is_some()) {
            let dev = fs::makedev(TTY_MAJOR, SERIAL_MINOR + n as u32);
            nodes.push((format!("ttyS{n}"), dev, 0o660, GID_DIALOUT));
        }
        nodes
    }

    /// Starts the input thread of every line that has input.
    pub fn start_input(&self) {
        let console = std::iter::once((&self.console, self.console_channel));
        let others = self
            .vcs
            .iter()
            .chain(self.serial.iter())
            .flatten()
            .map(|l| (&l.tty, l.channel));
        for (tty, channel) in console.chain(others) {
            let Some(fd) = channel.input else { continue };
            let tty = tty.clone();
            let is_terminal = if channel.pty {
                true
            } else {
                host::enter_raw(fd)
            };
            let spawned = std::thread::Builder::new()
                .name(tty.name.clone())
                .spawn(move || line_input(tty, fd, is_terminal, channel.pty));
            if let Err(e) = spawned {
                log::error!("cannot start the input thread of a terminal line: {e}");
            }
        }
    }
}

/// Feeds host input from `fd` to `tty`: a blocking host wait outside the
/// kernel lock, then the line discipline under it. On a terminal it wakes now
/// and then to notice a changed window size. A pseudo-terminal nobody has
/// open on the host side is waited out; the end of any other input ends the
/// terminal's input.
fn line_input(tty: Arc<Tty>, fd: host::HostFd, is_terminal: bool, pty: bool) {
    let mut buf = [0u8; 4096];
    loop {
        if is_terminal && !host::wait_readable(fd, 250) {
            if let Some(ws) = host::window_size(fd).filter(|w| w.ws_row != 0) {
                crate::lock::enter();
                if let Some(pgrp) = tty.set_winsize(ws) {
                    signal::send_to_group(pgrp, SigInfo::new(SIGWINCH, SI_KERNEL));
                }
                crate::lock::leave();
            }
            continue;
        }
        let n = match host::read(fd, &mut buf) {
            Ok(n) if n > 0 || !pty => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => continue,
            Ok(_) | Err(_) if pty => {
                std::thread::sleep(Duration::from_millis(100));
                continue;
            }
            Ok(_) | Err(_) => 0,
        };
        crate::lock::enter();
        if n == 0 {
            tty.end_input();
            crate::lock::leave();
            return;
        }
        for (pgrp, sig) in tty.receive(&buf[..n]) {
            signal::send_to_group(pgrp, SigInfo::new(sig, SI_KERNEL));
        }
        crate::lock::leave();
    }
}
