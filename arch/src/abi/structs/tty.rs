//! Terminals: the kernel's `struct termios` (TCGETS, TCSETS) and
//! `struct winsize` (TIOCGWINSZ, TIOCSWINSZ).

use crate::abi::pod::pod_structs;

/// The number of control characters of the kernel's `struct termios`.
pub const NCCS: usize = 19;

pod_structs! {
    /// The kernel's `struct termios` of x86_64 (include/uapi/asm-generic/
    /// termbits.h): four flag words, the line discipline and 19 control
    /// characters, 36 bytes — not the C library's, which adds speeds.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Termios {
        pub c_iflag: u32,
        pub c_oflag: u32,
        pub c_cflag: u32,
        pub c_lflag: u32,
        pub c_line: u8,
        pub c_cc: [u8; NCCS],
    }

    /// `struct winsize`: a terminal's size in characters and pixels.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Winsize {
        pub ws_row: u16,
        pub ws_col: u16,
        pub ws_xpixel: u16,
        pub ws_ypixel: u16,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_the_c_library() {
        // The C library's struct termios is longer (c_ispeed, c_ospeed after
        // 32 control characters); its start is the kernel's.
        assert_eq!(size_of::<Termios>(), 36);
        assert_eq!(
            offset_of!(Termios, c_lflag),
            offset_of!(libc::termios, c_lflag)
        );
        assert_eq!(offset_of!(Termios, c_cc), offset_of!(libc::termios, c_cc));
        assert_eq!(size_of::<Winsize>(), size_of::<libc::winsize>());
        assert_eq!(
            offset_of!(Winsize, ws_col),
            offset_of!(libc::winsize, ws_col)
        );
    }
}
