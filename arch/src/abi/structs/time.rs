//! Time: `struct timespec`, `struct timeval` and the interval timers' pairs
//! of them.

use crate::abi::pod::pod_structs;

pod_structs! {
    /// `struct timespec` (and `struct __kernel_timespec`, the same on x86_64).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Timespec {
        pub tv_sec: i64,
        pub tv_nsec: i64,
    }

    /// `struct timeval` (and `struct __kernel_old_timeval`).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Timeval {
        pub tv_sec: i64,
        pub tv_usec: i64,
    }

    /// `struct itimerval` (setitimer(2)).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Itimerval {
        pub it_interval: Timeval,
        pub it_value: Timeval,
    }

    /// `struct itimerspec` (timer_settime(2), timerfd_settime(2)).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Itimerspec {
        pub it_interval: Timespec,
        pub it_value: Timespec,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::pod::{as_bytes, from_bytes};
    use std::mem::size_of;

    #[test]
    fn layouts_match_the_c_library() {
        assert_eq!(size_of::<Timespec>(), size_of::<libc::timespec>());
        assert_eq!(size_of::<Timeval>(), size_of::<libc::timeval>());
        assert_eq!(size_of::<Itimerval>(), size_of::<libc::itimerval>());
        assert_eq!(size_of::<Itimerspec>(), size_of::<libc::itimerspec>());
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
        let b = as_bytes(&t).to_vec();
        assert_eq!(b.len(), 32);
        assert_eq!(from_bytes::<Itimerspec>(&b), Some(t));
        assert_eq!(from_bytes::<Itimerspec>(&b[..31]), None);
    }
}
