//! Processes and the system: resource limits and usage, `struct tms`,
//! `struct sched_param`, `struct sysinfo`, `struct new_utsname`, clone3's
//! `struct clone_args` and the robust futex list of set_robust_list(2).

use super::Timeval;
use crate::abi::pod::pod_structs;

pod_structs! {
    /// `struct rlimit` (and `struct rlimit64`, the same on x86_64).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Rlimit {
        pub rlim_cur: u64,
        pub rlim_max: u64,
    }

    /// `struct rusage`.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Rusage {
        pub ru_utime: Timeval,
        pub ru_stime: Timeval,
        /// maxrss, ixrss, idrss, isrss, minflt, majflt, nswap, inblock, oublock,
        /// msgsnd, msgrcv, nsignals, nvcsw, nivcsw.
        pub counters: [i64; 14],
    }

    /// `struct tms` (times(2)): CPU times in clock ticks.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Tms {
        pub tms_utime: i64,
        pub tms_stime: i64,
        pub tms_cutime: i64,
        pub tms_cstime: i64,
    }

    /// `struct sched_param` (sched_setparam(2), sched_setscheduler(2)).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SchedParam {
        pub sched_priority: i32,
    }

    /// `struct sysinfo` of x86_64 (include/uapi/linux/sysinfo.h).
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

    /// `struct new_utsname` (uname(2)): six NUL-padded fields of 65 bytes.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Utsname {
        pub fields: [[u8; 65]; 6],
    }

    /// `struct clone_args` (clone3(2)), as of Linux 5.7 (`CLONE_ARGS_SIZE_VER2`).
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
}

pod_structs! {
    /// `struct robust_list_head` (set_robust_list(2)): the list of robust
    /// futexes a thread holds, which the kernel walks when it exits.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct RobustListHead {
        /// `list.next`: the first entry (a `struct robust_list`, whose
        /// first word is the next entry's address), or the head itself.
        pub list: u64,
        /// Where an entry's futex word is, relative to the entry.
        pub futex_offset: i64,
        /// The entry being added or removed, if any.
        pub list_op_pending: u64,
    }
}

impl Default for Utsname {
    fn default() -> Self {
        Utsname {
            fields: [[0; 65]; 6],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_the_c_library() {
        assert_eq!(size_of::<Rlimit>(), size_of::<libc::rlimit>());
        assert_eq!(size_of::<Rusage>(), size_of::<libc::rusage>());
        assert_eq!(
            offset_of!(Rusage, counters),
            offset_of!(libc::rusage, ru_maxrss)
        );
        assert_eq!(size_of::<Tms>(), size_of::<libc::tms>());
        assert_eq!(
            offset_of!(Tms, tms_cstime),
            offset_of!(libc::tms, tms_cstime)
        );
        assert_eq!(size_of::<SchedParam>(), size_of::<libc::sched_param>());
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
        assert_eq!(size_of::<Utsname>(), size_of::<libc::utsname>());
        assert_eq!(size_of::<CloneArgs>(), 88);
        assert_eq!(size_of::<RobustListHead>(), 24);
    }
}
