//! Host clocks, from which guest clocks are derived.

/// Returns the host clock `clock` (a Linux clock id) as (seconds, nanoseconds), or
/// None if the host does not have it.
pub fn clock_gettime(clock: i32) -> Option<(i64, i64)> {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: clock_gettime writes one timespec to a valid pointer.
    let r = unsafe { libc::clock_gettime(clock, &mut ts) };
    (r == 0).then_some((ts.tv_sec, ts.tv_nsec))
}
