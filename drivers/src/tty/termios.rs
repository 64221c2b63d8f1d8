//! A terminal's settings, the fields of the kernel's `struct termios`
//! (`arch::abi::structs::Termios`, which TCGETS and TCSETS copy), the bits
//! and control characters the line discipline reads, and the values a new
//! terminal starts with (Linux's `tty_std_termios`).

use arch::abi::structs as abi;
pub use arch::abi::structs::NCCS;

/// c_iflag bits.
pub const IGNBRK: u32 = 0o1;
pub const BRKINT: u32 = 0o2;
pub const INLCR: u32 = 0o100;
pub const IGNCR: u32 = 0o200;
pub const ICRNL: u32 = 0o400;
pub const IUCLC: u32 = 0o1000;
pub const IXON: u32 = 0o2000;
pub const IXANY: u32 = 0o4000;
pub const IMAXBEL: u32 = 0o20000;
pub const IUTF8: u32 = 0o40000;
/// c_oflag bits.
pub const OPOST: u32 = 0o1;
pub const ONLCR: u32 = 0o4;
pub const OCRNL: u32 = 0o10;
/// c_cflag bits.
pub const B38400: u32 = 0o17;
pub const CS8: u32 = 0o60;
pub const CREAD: u32 = 0o200;
pub const HUPCL: u32 = 0o2000;
/// c_lflag bits.
pub const ISIG: u32 = 0o1;
pub const ICANON: u32 = 0o2;
pub const ECHO: u32 = 0o10;
pub const ECHOE: u32 = 0o20;
pub const ECHOK: u32 = 0o40;
pub const ECHONL: u32 = 0o100;
pub const NOFLSH: u32 = 0o200;
pub const TOSTOP: u32 = 0o400;
pub const ECHOCTL: u32 = 0o1000;
pub const ECHOKE: u32 = 0o4000;
pub const IEXTEN: u32 = 0o100000;

/// Indexes into c_cc.
pub const VINTR: usize = 0;
pub const VQUIT: usize = 1;
pub const VERASE: usize = 2;
pub const VKILL: usize = 3;
pub const VEOF: usize = 4;
pub const VTIME: usize = 5;
pub const VMIN: usize = 6;
pub const VSTART: usize = 8;
pub const VSTOP: usize = 9;
pub const VSUSP: usize = 10;
pub const VEOL: usize = 11;
pub const VREPRINT: usize = 12;
pub const VWERASE: usize = 14;
pub const VLNEXT: usize = 15;
pub const VEOL2: usize = 16;

/// A terminal's settings.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Termios {
    pub iflag: u32,
    pub oflag: u32,
    pub cflag: u32,
    pub lflag: u32,
    pub line: u8,
    pub cc: [u8; NCCS],
}

impl Default for Termios {
    /// Linux's defaults for a new terminal.
    fn default() -> Self {
        let mut cc = [0u8; NCCS];
        cc[VINTR] = 3;
        cc[VQUIT] = 0x1c;
        cc[VERASE] = 0x7f;
        cc[VKILL] = 0x15;
        cc[VEOF] = 4;
        cc[VMIN] = 1;
        cc[VSTART] = 0x11;
        cc[VSTOP] = 0x13;
        cc[VSUSP] = 0x1a;
        cc[VREPRINT] = 0x12;
        cc[13] = 0x0f; // VDISCARD
        cc[VWERASE] = 0x17;
        cc[VLNEXT] = 0x16;
        Termios {
            iflag: ICRNL | IXON | IUTF8,
            oflag: OPOST | ONLCR,
            cflag: B38400 | CS8 | CREAD | HUPCL,
            lflag: ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
            line: 0,
            cc,
        }
    }
}

impl Termios {
    /// Returns these settings as the kernel's `struct termios`.
    pub fn to_abi(self) -> abi::Termios {
        abi::Termios {
            c_iflag: self.iflag,
            c_oflag: self.oflag,
            c_cflag: self.cflag,
            c_lflag: self.lflag,
            c_line: self.line,
            c_cc: self.cc,
        }
    }

    /// Returns the settings a kernel `struct termios` holds.
    pub fn from_abi(t: abi::Termios) -> Termios {
        Termios {
            iflag: t.c_iflag,
            oflag: t.c_oflag,
            cflag: t.c_cflag,
            lflag: t.c_lflag,
            line: t.c_line,
            cc: t.c_cc,
        }
    }

    /// Returns whether lflag `bit` is set.
    pub fn l(&self, bit: u32) -> bool {
        self.lflag & bit != 0
    }

    /// Returns whether iflag `bit` is set.
    pub fn i(&self, bit: u32) -> bool {
        self.iflag & bit != 0
    }
}
