//! Where filesystems get the time they stamp on inodes. The kernel passes a
//! `Clock` to the filesystems it mounts; `HostClock` is the host's
//! `CLOCK_REALTIME`, which the guest's realtime clock is too, and tests pass a
//! clock they control.

use crate::types::Timespec;

/// A source of wall-clock time for inode timestamps.
pub trait Clock: Send + Sync {
    /// Returns the current time.
    fn now(&self) -> Timespec;
}

/// The host's `CLOCK_REALTIME`.
pub struct HostClock;

impl Clock for HostClock {
    fn now(&self) -> Timespec {
        const CLOCK_REALTIME: i32 = 0;
        let (sec, nsec) = arch::host::time::clock_gettime(CLOCK_REALTIME).unwrap_or((0, 0));
        Timespec {
            sec,
            nsec: nsec.clamp(0, 999_999_999) as u32,
        }
    }
}
