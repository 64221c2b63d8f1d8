//! The structures of Linux's x86_64 user ABI that system calls exchange with
//! guests, each `#[repr(C)]` with its padding spelled out, and checked against
//! the host C library's layout of the same structure in this module's tests.

use super::pod::Pod;

/// `struct timespec`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timespec {
    pub tv_sec: i64,
    pub tv_nsec: i64,
}

/// `struct timeval` (and `struct __kernel_old_timeval`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Timeval {
    pub tv_sec: i64,
    pub tv_usec: i64,
}

/// `struct itimerval` (setitimer(2)).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Itimerval {
    pub it_interval: Timeval,
    pub it_value: Timeval,
}

/// `struct itimerspec` (timer_settime(2), timerfd_settime(2)).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Itimerspec {
    pub it_interval: Timespec,
    pub it_value: Timespec,
}

/// `struct rlimit` (and `struct rlimit64`, the same on x86_64).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rlimit {
    pub rlim_cur: u64,
    pub rlim_max: u64,
}

/// `struct rusage`.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rusage {
    pub ru_utime: Timeval,
    pub ru_stime: Timeval,
    /// maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock,
    /// msgsnd, msgrcv, nsignals, nvcsw, nivcsw.
    pub counters: [i64; 14],
}

/// `struct stat` of x86_64 (arch/x86/include/uapi/asm/stat.h).
#[repr(C)]
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

/// `struct iovec`: one buffer of a vectored call.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Iovec {
    pub iov_base: u64,
    pub iov_len: u64,
}

/// `struct msghdr` (sendmsg(2), recvmsg(2)).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Msghdr {
    pub msg_name: u64,
    pub msg_namelen: i32,
    pub __pad1: i32,
    pub msg_iov: u64,
    pub msg_iovlen: u64,
    pub msg_control: u64,
    pub msg_controllen: u64,
    pub msg_flags: i32,
    pub __pad2: i32,
}

/// `struct pollfd` (poll(2)).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Pollfd {
    pub fd: i32,
    pub events: i16,
    pub revents: i16,
}

/// `struct epoll_event`, packed on x86_64 (12 bytes).
#[repr(C, packed)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct EpollEvent {
    pub events: u32,
    pub data: u64,
}

/// `struct clone_args` (clone3(2)), as of Linux 5.7 (`CLONE_ARGS_SIZE_VER2`).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct CloneArgs {
    pub flags: u64,
    pub pidfd: u64,
    pub child_tid: u64,
    pub parent_tid: u64,
    pub exit_signal: u64,
    pub stack: u64,
    pub stack_size: u64,
    pub tls: u64,
    pub set_tid: u64,
    pub set_tid_size: u64,
    pub cgroup: u64,
}

/// `struct new_utsname` (uname(2)): six NUL-padded fields of 65 bytes.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Utsname {
    pub fields: [[u8; 65]; 6],
}

impl Default for Utsname {
    fn default() -> Self {
        Utsname {
            fields: [[0; 65]; 6],
        }
    }
}

/// The kernel's `struct sigaction` of x86_64 (rt_sigaction(2)): handler,
/// flags, restorer, then the 64-bit mask (not glibc's layout, whose mask comes
/// second and is 128 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct KernelSigaction {
    pub sa_handler: u64,
    pub sa_flags: u64,
    pub sa_restorer: u64,
    pub sa_mask: u64,
}

/// `stack_t` (sigaltstack(2)).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackT {
    pub ss_sp: u64,
    pub ss_flags: i32,
    pub __pad: i32,
    pub ss_size: u64,
}

/// `struct statfs` of x86_64.
#[repr(C)]
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

/// `struct sysinfo` of x86_64 (include/uapi/linux/sysinfo.h).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sysinfo {
    pub uptime: i64,
    pub loads: [u64; 3],
    pub totalram: u64,
    pub freeram: u64,
    pub sharedram: u64,
    pub bufferram: u64,
    pub totalswap: u64,
    pub freeswap: u64,
    pub procs: u16,
    pub pad: u16,
    pub __pad1: u32,
    pub totalhigh: u64,
    pub freehigh: u64,
    pub mem_unit: u32,
    pub __pad2: u32,
}

// SAFETY: #[repr(C)] of two 8-byte integers: no padding, every bit pattern valid.
unsafe impl Pod for Iovec {}
// SAFETY: #[repr(C)] of 8-byte integers: no padding, every bit pattern valid.
unsafe impl Pod for CloneArgs {}
// SAFETY: #[repr(C)] of 8-byte integers: no padding, every bit pattern valid.
unsafe impl Pod for KernelSigaction {}
// SAFETY: #[repr(C)] of 8-byte integers and a pair of 4-byte ones (flags and
// the padding spelled out): no padding, every bit pattern valid.
unsafe impl Pod for StackT {}
// SAFETY: #[repr(C)] of bytes (alignment 1): no padding, every bit pattern valid.
unsafe impl Pod for Utsname {}
// SAFETY: #[repr(C)] of a 4-byte and two 2-byte integers: no padding, every bit
// pattern valid.
unsafe impl Pod for Pollfd {}
// SAFETY: packed, so no padding between or after its two integers; every bit
// pattern valid.
unsafe impl Pod for EpollEvent {}
// SAFETY: #[repr(C)] of 8-byte integers, and of 4-byte ones in pairs with their
// padding spelled out: no padding, every bit pattern valid.
unsafe impl Pod for Msghdr {}

// SAFETY: #[repr(C)] of 8-byte integers and one pair of 4-byte ones (the fsid):
// no padding, every bit pattern valid.
unsafe impl Pod for Statfs {}
// SAFETY: #[repr(C)] of 8-byte integers, with the 2+2+4 bytes after `procs`
// and the 4 after `mem_unit` spelled out: no padding, every bit pattern valid.
unsafe impl Pod for Sysinfo {}

// SAFETY: each of these is #[repr(C)] of 8-byte integers (and of structures
// made only of them), or of 4-byte integers in pairs (Stat's mode/uid and
// gid/__pad0), so it has no padding, and every bit pattern is a valid value.
unsafe impl Pod for Timespec {}
// SAFETY: as above.
unsafe impl Pod for Timeval {}
// SAFETY: as above.
unsafe impl Pod for Itimerval {}
// SAFETY: as above.
unsafe impl Pod for Itimerspec {}
// SAFETY: as above.
unsafe impl Pod for Rlimit {}
// SAFETY: as above.
unsafe impl Pod for Rusage {}
// SAFETY: as above.
unsafe impl Pod for Stat {}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    /// Each structure has the size (and the offsets of its named fields) of
    /// the host C library's, which follows the kernel's.
    #[test]
    fn layouts_match_the_c_library() {
        assert_eq!(size_of::<Timespec>(), size_of::<libc::timespec>());
        assert_eq!(size_of::<Timeval>(), size_of::<libc::timeval>());
        assert_eq!(size_of::<Itimerval>(), size_of::<libc::itimerval>());
        assert_eq!(size_of::<Itimerspec>(), size_of::<libc::itimerspec>());
        assert_eq!(size_of::<Rlimit>(), size_of::<libc::rlimit>());
        assert_eq!(size_of::<Rusage>(), size_of::<libc::rusage>());
        assert_eq!(
            offset_of!(Rusage, counters),
            offset_of!(libc::rusage, ru_maxrss)
        );
        assert_eq!(size_of::<Stat>(), size_of::<libc::stat>());
        assert_eq!(offset_of!(Stat, st_mode), offset_of!(libc::stat, st_mode));
        assert_eq!(offset_of!(Stat, st_rdev), offset_of!(libc::stat, st_rdev));
        assert_eq!(
            offset_of!(Stat, st_blocks),
            offset_of!(libc::stat, st_blocks)
        );
        assert_eq!(offset_of!(Stat, st_atime), offset_of!(libc::stat, st_atime));
        assert_eq!(offset_of!(Stat, st_ctime), offset_of!(libc::stat, st_ctime));
        assert_eq!(size_of::<Iovec>(), size_of::<libc::iovec>());
        assert_eq!(size_of::<Pollfd>(), size_of::<libc::pollfd>());
        assert_eq!(size_of::<Utsname>(), size_of::<libc::utsname>());
        assert_eq!(size_of::<CloneArgs>(), 88);
        assert_eq!(size_of::<KernelSigaction>(), 32);
        assert_eq!(size_of::<StackT>(), size_of::<libc::stack_t>());
        assert_eq!(
            offset_of!(StackT, ss_size),
            offset_of!(libc::stack_t, ss_size)
        );
        assert_eq!(
            offset_of!(Pollfd, revents),
            offset_of!(libc::pollfd, revents)
        );
        assert_eq!(size_of::<EpollEvent>(), size_of::<libc::epoll_event>());
        assert_eq!(size_of::<Msghdr>(), size_of::<libc::msghdr>());
        assert_eq!(
            offset_of!(Msghdr, msg_iov),
            offset_of!(libc::msghdr, msg_iov)
        );
        assert_eq!(
            offset_of!(Msghdr, msg_controllen),
            offset_of!(libc::msghdr, msg_controllen)
        );
        assert_eq!(
            offset_of!(Msghdr, msg_flags),
            offset_of!(libc::msghdr, msg_flags)
        );
        assert_eq!(size_of::<Statfs>(), size_of::<libc::statfs>());
        assert_eq!(offset_of!(Statfs, f_fsid), offset_of!(libc::statfs, f_fsid));
        assert_eq!(
            offset_of!(Statfs, f_namelen),
            offset_of!(libc::statfs, f_namelen)
        );
        assert_eq!(size_of::<Sysinfo>(), size_of::<libc::sysinfo>());
        assert_eq!(offset_of!(Sysinfo, procs), offset_of!(libc::sysinfo, procs));
        assert_eq!(
            offset_of!(Sysinfo, totalhigh),
            offset_of!(libc::sysinfo, totalhigh)
        );
        assert_eq!(
            offset_of!(Sysinfo, mem_unit),
            offset_of!(libc::sysinfo, mem_unit)
        );
    }

    #[test]
    fn bytes_round_trip() {
        let t = Itimerspec {
            it_interval: Timespec {
                tv_sec: 1,
                tv_nsec: 2,
            },
            it_value: Timespec {
                tv_sec: 3,
                tv_nsec: 4,
            },
        };
        let b = crate::abi::pod::as_bytes(&t).to_vec();
        assert_eq!(b.len(), 32);
        assert_eq!(crate::abi::pod::from_bytes::<Itimerspec>(&b), Some(t));
        assert_eq!(crate::abi::pod::from_bytes::<Itimerspec>(&b[..31]), None);
    }
}
