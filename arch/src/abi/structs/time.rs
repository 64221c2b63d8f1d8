//! Time: `struct timespec`, `struct timeval` and the interval timers' pairs
//! of them, with their conversions to and from `Duration`.

use crate::abi::pod::pod_structs;
use std::time::Duration;

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

    /// `struct utimbuf` (utime(2)): whole seconds.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Utimbuf {
        pub actime: i64,
        pub modtime: i64,
    }

    /// `struct timezone` (gettimeofday(2)).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Timezone {
        pub tz_minuteswest: i32,
        pub tz_dsttime: i32,
    }
}

impl Timespec {
    /// Returns the duration this holds; None if it is not a valid
    /// non-negative time (a negative second or nanoseconds past a second:
    /// Linux's `timespec64_valid` fails, and calls return EINVAL).
    pub fn to_duration(self) -> Option<Duration> {
        let sec = u64::try_from(self.tv_sec).ok()?;
        let nsec = u32::try_from(self.tv_nsec)
            .ok()
            .filter(|&n| n < 1_000_000_000)?;
        Some(Duration::new(sec, nsec))
    }
}

impl From<Duration> for Timespec {
    fn from(d: Duration) -> Self {
        Timespec {
            tv_sec: d.as_secs() as i64,
            tv_nsec: d.subsec_nanos().into(),
        }
    }
}

impl Timeval {
    /// Returns the duration this holds; None if it is not a valid
    /// non-negative time (a negative second or microseconds past a second).
    pub fn to_duration(self) -> Option<Duration> {
        let sec = u64::try_from(self.tv_sec).ok()?;
        let usec = u32::try_from(self.tv_usec)
            .ok()
            .filter(|&u| u < 1_000_000)?;
        Some(Duration::new(sec, usec * 1000))
    }
}

impl From<Duration> for Timeval {
    fn from(d: Duration) -> Self {
        Timeval {
            tv_sec: d.as_secs() as i64,
            tv_usec: d.subsec_micros().into(),
        }
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
        assert_eq!(size_of::<Utimbuf>(), size_of::<libc::utimbuf>());
        // The libc crate keeps `struct timezone` opaque.
        assert_eq!(size_of::<Timezone>(), 8);
    }

    #[test]
    fn durations() {
        let d = Duration::new(3, 999_999_999);
        assert_eq!(Timespec::from(d).to_duration(), Some(d));
        assert_eq!(
            Timeval::from(d).to_duration(),
            Some(Duration::new(3, 999_999_000))
        );
        let bad = |tv_sec, tv_nsec| Timespec { tv_sec, tv_nsec }.to_duration();
        assert_eq!(bad(-1, 0), None);
        assert_eq!(bad(0, -1), None);
        assert_eq!(bad(0, 1_000_000_000), None);
        let tv = Timeval {
            tv_sec: 0,
            tv_usec: 1_000_000,
        };
        assert_eq!(tv.to_duration(), None);
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
