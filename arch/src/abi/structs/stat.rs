//! File status: `struct stat` and `struct statfs` of x86_64.

use super::Timespec;
use crate::abi::pod::pod_structs;

pod_structs! {
    /// `struct stat` of x86_64 (arch/x86/include/uapi/asm/stat.h).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Stat {
        pub st_dev: u64,
        pub st_ino: u64,
        pub st_nlink: u64,
        pub st_mode: u32,
        pub st_uid: u32,
        pub st_gid: u32,
        pub __pad0: u32,
        pub st_rdev: u64,
        pub st_size: i64,
        pub st_blksize: i64,
        pub st_blocks: i64,
        pub st_atime: Timespec,
        pub st_mtime: Timespec,
        pub st_ctime: Timespec,
        pub __unused: [i64; 3],
    }

    /// `struct statfs` of x86_64.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Statfs {
        pub f_type: i64,
        pub f_bsize: i64,
        pub f_blocks: u64,
        pub f_bfree: u64,
        pub f_bavail: u64,
        pub f_files: u64,
        pub f_ffree: u64,
        pub f_fsid: [i32; 2],
        pub f_namelen: i64,
        pub f_frsize: i64,
        pub f_flags: i64,
        pub f_spare: [i64; 4],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_the_c_library() {
        assert_eq!(size_of::<Stat>(), size_of::<libc::stat>());
        assert_eq!(offset_of!(Stat, st_mode), offset_of!(libc::stat, st_mode));
        assert_eq!(offset_of!(Stat, st_rdev), offset_of!(libc::stat, st_rdev));
        assert_eq!(
            offset_of!(Stat, st_blocks),
            offset_of!(libc::stat, st_blocks)
        );
        assert_eq!(offset_of!(Stat, st_atime), offset_of!(libc::stat, st_atime));
        assert_eq!(offset_of!(Stat, st_ctime), offset_of!(libc::stat, st_ctime));
        assert_eq!(size_of::<Statfs>(), size_of::<libc::statfs>());
        assert_eq!(offset_of!(Statfs, f_fsid), offset_of!(libc::statfs, f_fsid));
        assert_eq!(
            offset_of!(Statfs, f_namelen),
            offset_of!(libc::statfs, f_namelen)
        );
    }
}
