//! Host clocks, from which guest clocks are derived.

/// Returns the host clock `clock` (a Linux clock id) as (seconds, nanoseconds), or
/// None if the host does not have it.
pub fn clock_gettime(clock: i32) -> Option<(i64, i64)> {
    let ts = nix::time::clock_gettime(nix::time::ClockId::from_raw(clock)).ok()?;
    Some((ts.tv_sec(), ts.tv_nsec()))
}

/// Returns the CPU time a host process (a stub) has used, in nanoseconds; 0 if
/// it cannot be read.
pub fn process_cpu_ns(pid: i32) -> u64 {
    // MAKE_PROCESS_CPUCLOCK(pid, CPUCLOCK_SCHED).
    cpu_ns(((!pid) << 3) | 2)
}

/// Returns the CPU time host thread `tid` has used (0: the calling thread).
pub fn thread_cpu_ns_of(tid: i32) -> u64 {
    if tid == 0 {
        return thread_cpu_ns();
    }
    // MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED).
    cpu_ns(((!tid) << 3) | 2 | 4)
}

/// The CPU clock of a thread of another host process: the host's thread
/// clocks are its own process's only, so this reads the first field of the
/// thread's `schedstat`, whose file stays open (a read of an open file costs
/// a few microseconds, a path lookup in /proc tens).
#[derive(Default)]
pub struct ThreadClock {
    file: Option<std::fs::File>,
}

impl ThreadClock {
    /// A clock of no thread yet.
    pub const fn new() -> ThreadClock {
        ThreadClock { file: None }
    }

    /// Returns the CPU time thread `tid` of process `tgid` has used, in
    /// nanoseconds (0 once it is gone). The clock stays the first thread's
    /// it was read for.
    pub fn read(&mut self, tgid: i32, tid: i32) -> u64 {
        use std::os::unix::fs::FileExt;
        if self.file.is_none() {
            let path = format!("/proc/{tgid}/task/{tid}/schedstat");
            self.file = std::fs::File::open(path).ok();
        }
        let mut buf = [0u8; 96];
        let n = match &self.file {
            Some(f) => f.read_at(&mut buf, 0).unwrap_or(0),
            None => 0,
        };
        std::str::from_utf8(&buf[..n])
            .ok()
            .and_then(|s| s.split_whitespace().next()?.parse().ok())
            .unwrap_or(0)
    }
}

/// Returns the CPU time the calling host thread has used, in nanoseconds.
pub fn thread_cpu_ns() -> u64 {
    cpu_ns(libc::CLOCK_THREAD_CPUTIME_ID)
}

/// Returns the calling host thread's id.
pub fn gettid() -> i32 {
    nix::unistd::gettid().as_raw()
}

fn cpu_ns(clock: i32) -> u64 {
    clock_gettime(clock).map_or(0, |(s, ns)| s as u64 * 1_000_000_000 + ns as u64)
}

/// Returns the host's monotonic clock in nanoseconds.
pub fn monotonic_ns() -> u64 {
    clock_gettime(libc::CLOCK_MONOTONIC).map_or(0, |(s, n)| s as u64 * 1_000_000_000 + n as u64)
}
