//! File status: `struct stat` and `struct statfs` of x86_64, and statx(2)'s
//! `struct statx`.

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

    /// `struct statx_timestamp`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct StatxTimestamp {
        pub tv_sec: i64,
        pub tv_nsec: u32,
        pub __reserved: i32,
    }

    /// `struct statx` (include/uapi/linux/stat.h, 256 bytes), with the
    /// fields of Linux 6.16.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Statx {
        pub stx_mask: u32,
        pub stx_blksize: u32,
        pub stx_attributes: u64,
        pub stx_nlink: u32,
        pub stx_uid: u32,
        pub stx_gid: u32,
        pub stx_mode: u16,
        pub __spare0: [u16; 1],
        pub stx_ino: u64,
        pub stx_size: u64,
        pub stx_blocks: u64,
        pub stx_attributes_mask: u64,
        pub stx_atime: StatxTimestamp,
        pub stx_btime: StatxTimestamp,
        pub stx_ctime: StatxTimestamp,
        pub stx_mtime: StatxTimestamp,
        pub stx_rdev_major: u32,
        pub stx_rdev_minor: u32,
        pub stx_dev_major: u32,
        pub stx_dev_minor: u32,
        pub stx_mnt_id: u64,
        pub stx_dio_mem_align: u32,
        pub stx_dio_offset_align: u32,
        pub stx_subvol: u64,
        pub stx_atomic_write_unit_min: u32,
        pub stx_atomic_write_unit_max: u32,
        pub stx_atomic_write_segments_max: u32,
        pub stx_dio_read_offset_align: u32,
        pub stx_atomic_write_unit_max_opt: u32,
        pub __spare2: [u32; 1],
        pub __spare3: [u64; 8],
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
        assert_eq!(
            size_of::<StatxTimestamp>(),
            size_of::<libc::statx_timestamp>()
        );
        assert_eq!(size_of::<Statx>(), size_of::<libc::statx>());
        assert_eq!(size_of::<Statx>(), 256);
        assert_eq!(
            offset_of!(Statx, stx_mode),
            offset_of!(libc::statx, stx_mode)
        );
        assert_eq!(offset_of!(Statx, stx_ino), offset_of!(libc::statx, stx_ino));
        assert_eq!(
            offset_of!(Statx, stx_atime),
            offset_of!(libc::statx, stx_atime)
        );
        assert_eq!(
            offset_of!(Statx, stx_mtime),
            offset_of!(libc::statx, stx_mtime)
        );
        assert_eq!(
            offset_of!(Statx, stx_rdev_major),
            offset_of!(libc::statx, stx_rdev_major)
        );
        assert_eq!(
            offset_of!(Statx, stx_mnt_id),
            offset_of!(libc::statx, stx_mnt_id)
        );
        assert_eq!(
            offset_of!(Statx, stx_subvol),
            offset_of!(libc::statx, stx_subvol)
        );
        assert_eq!(
            offset_of!(Statx, stx_atomic_write_segments_max),
            offset_of!(libc::statx, stx_atomic_write_segments_max)
        );
    }
}
