//! Files: openat2(2)'s `struct open_how`, record locks' `struct flock`,
//! and the variable-length records of getdents64(2) and inotify(7) (a fixed
//! header, then a name: `pod::write_record` writes one).

use crate::abi::pod::pod_structs;

pod_structs! {
    /// `struct open_how` (openat2(2)), version 0 (`OPEN_HOW_SIZE_VER0`).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct OpenHow {
        pub flags: u64,
        pub mode: u64,
        pub resolve: u64,
    }

    /// `struct f_owner_ex` (fcntl(2)'s F_GETOWN_EX and F_SETOWN_EX): the
    /// kind of owner (`F_OWNER_TID`, `F_OWNER_PID`, `F_OWNER_PGRP`) and its
    /// id.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct FOwnerEx {
        pub kind: i32,
        pub pid: i32,
    }

    /// `struct kcmp_epoll_slot` (kcmp(2)'s KCMP_EPOLL_TFD): an epoll
    /// descriptor, the descriptor a target was added under, and which of
    /// the targets added under it.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct KcmpEpollSlot {
        pub efd: u32,
        pub tfd: u32,
        pub toff: u32,
    }

    /// `struct flock` of x86_64 (and `struct flock64`, the same): a record
    /// lock as fcntl(2) takes and reports it.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Flock {
        pub l_type: i16,
        pub l_whence: i16,
        pub __pad0: i32,
        pub l_start: i64,
        pub l_len: i64,
        pub l_pid: i32,
        pub __pad1: i32,
    }

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
        assert_eq!(size_of::<OpenHow>(), size_of::<libc::open_how>());
        assert_eq!(
            offset_of!(OpenHow, resolve),
            offset_of!(libc::open_how, resolve)
        );
        assert_eq!(size_of::<Flock>(), size_of::<libc::flock>());
        assert_eq!(
            offset_of!(Flock, l_whence),
            offset_of!(libc::flock, l_whence)
        );
        assert_eq!(offset_of!(Flock, l_start), offset_of!(libc::flock, l_start));
        assert_eq!(offset_of!(Flock, l_pid), offset_of!(libc::flock, l_pid));
        assert_eq!(size_of::<Dirent64>(), offset_of!(libc::dirent64, d_name));
        assert_eq!(
            offset_of!(Dirent64, d_reclen),
            offset_of!(libc::dirent64, d_reclen)
        );
        assert_eq!(
            offset_of!(Dirent64, d_type),
            offset_of!(libc::dirent64, d_type)
        );
        // `struct f_owner_ex { int type; pid_t pid; }` (libc has none).
        assert_eq!((size_of::<FOwnerEx>(), offset_of!(FOwnerEx, pid)), (8, 4));
        assert_eq!(size_of::<InotifyEvent>(), size_of::<libc::inotify_event>());
        assert_eq!(
            offset_of!(InotifyEvent, cookie),
            offset_of!(libc::inotify_event, cookie)
        );
    }
}
