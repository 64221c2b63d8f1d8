//! The line discipline (Linux's N_TTY): what happens to the bytes a terminal
//! receives before a program reads them — CR/NL translation, signal characters,
//! line editing in canonical mode (erase, word erase, kill, EOF), echo — and to
//! the bytes a program writes on their way out (NL to CR NL).

use super::termios::*;
use arch::abi::signal::{SIGINT, SIGQUIT, SIGTSTP};
use std::collections::VecDeque;

/// The longest line canonical mode keeps (Linux's N_TTY_BUF_SIZE less one).
const MAX_LINE: usize = 4095;

/// A completed canonical line; an EOF marker is an empty line with `eof`.
#[derive(Debug)]
struct Line {
    data: Vec<u8>,
    eof: bool,
}

/// The input side of a terminal.
#[derive(Debug, Default)]
pub struct Ldisc {
    /// Canonical mode: completed lines, ready to read.
    lines: VecDeque<Line>,
    /// Canonical mode: the line being edited.
    edit: Vec<u8>,
    /// Non-canonical mode: bytes ready to read.
    raw: VecDeque<u8>,
    /// The previous byte was VLNEXT: take this one literally.
    lnext: bool,
}

/// What receiving input asks of the terminal's owner.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Received {
    /// Bytes to echo (already through output processing).
    pub echo: Vec<u8>,
    /// Signals for the foreground process group.
    pub signals: Vec<i32>,
}

fn is_ctl(c: u8) -> bool {
    (c < 0x20 && c != b'\t' && c != b'\n') || c == 0x7f
}

impl Ldisc {
    /// Returns how many bytes a read could take now.
    pub fn available(&self, t: &Termios) -> usize {
        if t.l(ICANON) {
            self.lines.iter().map(|l| l.data.len()).sum()
        } else {
            self.raw.len()
        }
    }

    /// Returns whether a read would return now (data, or an EOF marker).
    pub fn readable(&self, t: &Termios) -> bool {
        if t.l(ICANON) {
            !self.lines.is_empty()
        } else {
            !self.raw.is_empty() || t.cc[VMIN] == 0
        }
    }

    /// Discards all input (TCFLSH, a signal character without NOFLSH).
    pub fn flush(&mut self) {
        self.lines.clear();
        self.edit.clear();
        self.raw.clear();
    }

    /// Moves input between the modes when ICANON changes, as Linux does: text
    /// being edited becomes readable, and lines become plain bytes.
    pub fn mode_changed(&mut self, now_canonical: bool) {
        if now_canonical {
            if !self.raw.is_empty() {
                let data: Vec<u8> = self.raw.drain(..).collect();
                self.lines.push_back(Line { data, eof: false });
            }
        } else {
            for l in self.lines.drain(..) {
                self.raw.extend(l.data);
            }
            self.raw.extend(self.edit.drain(..));
        }
    }

    /// Reads into `buf`; None if a read must wait. Canonical reads return at
    /// most one line, and 0 at an EOF marker.
    pub fn read(&mut self, t: &Termios, buf: &mut [u8]) -> Option<usize> {
        if !t.l(ICANON) {
            if self.raw.is_empty() {
                return (t.cc[VMIN] == 0).then_some(0);
            }
            let n = buf.len().min(self.raw.len());
            for (i, b) in self.raw.drain(..n).enumerate() {
                buf[i] = b;
            }
            return Some(n);
        }
        let line = self.lines.front_mut()?;
        if line.eof && line.data.is_empty() {
            self.lines.pop_front();
            return Some(0);
        }
        let n = buf.len().min(line.data.len());
        buf[..n].copy_from_slice(&line.data[..n]);
        line.data.drain(..n);
        if line.data.is_empty() {
            self.lines.pop_front();
        }
        Some(n)
    }

    /// Processes received bytes.
    pub fn receive(&mut self, t: &Termios, input: &[u8]) -> Received {
        let mut r = Received::default();
        let mut echo = Vec::new();
        for &byte in input {
            self.receive_byte(t, byte, &mut echo, &mut r.signals);
        }
        if t.l(ECHO) || t.l(ECHONL) {
            r.echo = process_output(t, &echo);
        }
        r
    }

    fn echo_char(t: &Termios, c: u8, echo: &mut Vec<u8>) {
        if !t.l(ECHO) {
            return;
        }
        if t.l(ECHOCTL) && is_ctl(c) {
            echo.extend_from_slice(&[b'^', c ^ 0x40]);
        } else {
            echo.push(c);
        }
    }

    /// Removes the last character of the line being edited (a whole UTF-8
    /// sequence with IUTF8), echoing its erasure.
    fn erase_char(&mut self, t: &Termios, echo: &mut Vec<u8>) -> bool {
        let Some(mut c) = self.edit.pop() else {
            return false;
        };
        if t.i(IUTF8) {
            while c & 0xc0 == 0x80 {
                match self.edit.pop() {
                    Some(p) => c = p,
                    None => break,
                }
            }
        }
        if t.l(ECHO) && t.l(ECHOE) {
            let width = if t.l(ECHOCTL) && is_ctl(c) { 2 } else { 1 };
            for _ in 0..width {
                echo.extend_from_slice(b"\x08 \x08");
            }
        }
        true
    }

    fn receive_byte(&mut self, t: &Termios, mut c: u8, echo: &mut Vec<u8>, signals: &mut Vec<i32>) {
        let canon = t.l(ICANON);
        if std::mem::take(&mut self.lnext) {
            self.put(t, c, echo);
            return;
        }
        if c == b'\r' {
            if t.i(IGNCR) {
                return;
            }
            if t.i(ICRNL) {
                c = b'\n';
            }
        } else if c == b'\n' && t.i(INLCR) {
            c = b'\r';
        }
        let cc = |i: usize| t.cc[i] != 0 && t.cc[i] == c;
        if t.i(IXON) && (cc(VSTOP) || cc(VSTART)) {
            // Output flow control: consumed (output is never held here).
            return;
        }
        if t.l(ISIG) {
            let sig = if cc(VINTR) {
                Some(SIGINT)
            } else if cc(VQUIT) {
                Some(SIGQUIT)
            } else if cc(VSUSP) {
                Some(SIGTSTP)
            } else {
                None
            };
            if let Some(s) = sig {
                if !t.l(NOFLSH) {
                    self.flush();
                }
                Self::echo_char(t, c, echo);
                signals.push(s);
                return;
            }
        }
        if canon && t.l(IEXTEN) && cc(VLNEXT) {
            self.lnext = true;
            return;
        }
        if !canon {
            self.raw.push_back(c);
            Self::echo_char(t, c, echo);
            return;
        }
        if cc(VERASE) {
            self.erase_char(t, echo);
        } else if t.l(IEXTEN) && cc(VWERASE) {
            while self.edit.last().is_some_and(|b| *b == b' ' || *b == b'\t') {
                self.erase_char(t, echo);
            }
            while self.edit.last().is_some_and(|b| *b != b' ' && *b != b'\t') {
                self.erase_char(t, echo);
            }
        } else if cc(VKILL) {
            if t.l(ECHOKE) {
                while self.erase_char(t, echo) {}
            } else {
                self.edit.clear();
                if t.l(ECHO) && t.l(ECHOK) {
                    echo.push(b'\n');
                }
            }
        } else if cc(VEOF) {
            let data = std::mem::take(&mut self.edit);
            self.lines.push_back(Line { data, eof: true });
        } else if t.l(IEXTEN) && cc(VREPRINT) {
            Self::echo_char(t, c, echo);
            if t.l(ECHO) {
                echo.push(b'\n');
                echo.extend_from_slice(&self.edit);
            }
        } else if c == b'\n' || cc(VEOL) || cc(VEOL2) {
            self.edit.push(c);
            if t.l(ECHO) || (c == b'\n' && t.l(ECHONL)) {
                echo.push(c);
            }
            let data = std::mem::take(&mut self.edit);
            self.lines.push_back(Line { data, eof: false });
        } else {
            self.put(t, c, echo);
        }
    }

    /// Adds a plain character to the input.
    fn put(&mut self, t: &Termios, c: u8, echo: &mut Vec<u8>) {
        if t.l(ICANON) {
            if self.edit.len() >= MAX_LINE {
                return;
            }
            self.edit.push(c);
        } else {
            self.raw.push_back(c);
        }
        Self::echo_char(t, c, echo);
    }
}

/// Applies output processing (OPOST: ONLCR, OCRNL) to bytes a program writes.
pub fn process_output(t: &Termios, data: &[u8]) -> Vec<u8> {
    if t.oflag & OPOST == 0 || t.oflag & (ONLCR | OCRNL) == 0 {
        return data.to_vec();
    }
    let mut out = Vec::with_capacity(data.len() + data.len() / 16);
    for &c in data {
        match c {
            b'\n' if t.oflag & ONLCR != 0 => out.extend_from_slice(b"\r\n"),
            b'\r' if t.oflag & OCRNL != 0 => out.push(b'\n'),
            _ => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read_all(l: &mut Ldisc, t: &Termios) -> Vec<u8> {
        let mut buf = [0u8; 64];
        let n = l.read(t, &mut buf).expect("readable");
        buf[..n].to_vec()
    }

    #[test]
    fn canonical_editing_and_echo() {
        let t = Termios::default();
        let mut l = Ldisc::default();
        let r = l.receive(&t, b"abc\x7fd\r");
        assert_eq!(r.echo, b"abc\x08 \x08d\r\n");
        assert_eq!(read_all(&mut l, &t), b"abd\n");
        assert!(l.read(&t, &mut [0u8; 4]).is_none());
        l.receive(&t, b"one two\x17three\n");
        assert_eq!(read_all(&mut l, &t), b"one three\n");
        l.receive(&t, b"gone\x15kept\n");
        assert_eq!(read_all(&mut l, &t), b"kept\n");
    }

    #[test]
    fn eof_and_signals() {
        let t = Termios::default();
        let mut l = Ldisc::default();
        l.receive(&t, b"part\x04\x04");
        assert_eq!(read_all(&mut l, &t), b"part");
        assert_eq!(l.read(&t, &mut [0u8; 4]), Some(0));
        let r = l.receive(&t, b"typed\x03");
        assert_eq!(r.signals, vec![SIGINT]);
        assert_eq!(r.echo, b"typed^C");
        assert!(!l.readable(&t), "a signal character flushes the input");
        assert_eq!(l.receive(&t, b"\x1a\x1c").signals, vec![SIGTSTP, SIGQUIT]);
    }

    #[test]
    fn raw_mode_and_output() {
        let mut t = Termios::default();
        t.lflag &= !(ICANON | ECHO | ISIG);
        t.iflag &= !ICRNL;
        let mut l = Ldisc::default();
        let r = l.receive(&t, b"x\r\x03");
        assert!(r.echo.is_empty() && r.signals.is_empty());
        assert_eq!(read_all(&mut l, &t), b"x\r\x03");
        assert_eq!(process_output(&t, b"a\nb"), b"a\r\nb");
        t.oflag &= !OPOST;
        assert_eq!(process_output(&t, b"a\nb"), b"a\nb");
    }

    #[test]
    fn termios_round_trips() {
        let t = Termios::default();
        assert_eq!(Termios::from_abi(t.to_abi()), t);
        assert_eq!(t.to_abi().c_cc[VINTR], 3);
    }
}
