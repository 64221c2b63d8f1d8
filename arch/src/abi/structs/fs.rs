//! Files: the variable-length records of getdents64(2) and inotify(7) (a
//! fixed header, then a name: `pod::write_record` writes one).

use crate::abi::pod::pod_structs;

pod_structs! {
    /// The fixed part of `struct linux_dirent64`: `d_name` follows right
    /// after it, at byte 19 (the C structure's size, 24, counts padding
    /// the record does not have), and the record is padded to `d_reclen`.
    #[repr(packed)]
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Dirent64 {
        pub d_ino: u64,
        pub d_off: i64,
        pub d_reclen: u16,
        pub d_type: u8,
    }

    /// `struct inotify_event` without its name: `len` bytes of NUL-padded
    /// name follow it.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct InotifyEvent {
        pub wd: i32,
        pub mask: u32,
        pub cookie: u32,
        pub len: u32,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_the_c_library() {
        assert_eq!(size_of::<Dirent64>(), offset_of!(libc::dirent64, d_name));
        assert_eq!(
            offset_of!(Dirent64, d_reclen),
            offset_of!(libc::dirent64, d_reclen)
        );
        assert_eq!(
            offset_of!(Dirent64, d_type),
            offset_of!(libc::dirent64, d_type)
        );
        assert_eq!(size_of::<InotifyEvent>(), size_of::<libc::inotify_event>());
        assert_eq!(
            offset_of!(InotifyEvent, cookie),
            offset_of!(libc::inotify_event, cookie)
        );
    }
}
