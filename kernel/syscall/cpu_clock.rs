//! CPU-time clocks: CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID and the
//! dynamic ids clock_getcpuclockid(3) and pthread_getcpuclockid(3) make from
//! a pid or tid (`~pid << 3`, bit 2 for a thread, the low bits saying what is
//! counted: CPUCLOCK_PROF user and system time, CPUCLOCK_VIRT user time only,
//! CPUCLOCK_SCHED all of it). A task's user time is the host CPU time of its
//! guest CPU, its system time that of its kernel thread. Who may be named
//! follows Linux's pid_for_clock (kernel/time/posix-cpu-timers.c): any
//! process by its pid, with no permission check, but a thread only within
//! the caller's own process; anything else is EINVAL. The clocks are read by
//! clock_gettime and clock_getres (`time.rs`), timers (`cpu_timer.rs`) and
//! clock_nanosleep.

use super::sched::{process_times, task_times};
use crate::task::{self, Process, Task};
use arch::{Errno, Result};
use std::sync::{Arc, Weak};
use std::time::Duration;

pub(crate) const CLOCK_PROCESS_CPUTIME_ID: i32 = 2;
pub(crate) const CLOCK_THREAD_CPUTIME_ID: i32 = 3;
const CPUCLOCK_VIRT: i32 = 1;
const CPUCLOCK_SCHED: i32 = 2;
const CPUCLOCK_PERTHREAD_MASK: i32 = 4;

/// Whose CPU time a clock counts.
#[derive(Clone, Debug)]
enum Target {
    Process(Weak<Process>),
    Thread(Weak<Task>, i32),
}

/// One CPU-time clock, bound to its process or thread.
#[derive(Clone, Debug)]
pub(crate) struct CpuClock {
    target: Target,
    /// CPUCLOCK_VIRT: user time only.
    virt: bool,
    /// CPUCLOCK_SCHED: the finest resolution.
    sched: bool,
}

impl CpuClock {
    /// Returns the CPU-time clock `clock` names for `caller`: None if
    /// `clock` is no CPU-time clock, EINVAL if it names nobody it may.
    /// `gettime` admits a process clock made from the caller's own thread
    /// id, as Linux does for clock_gettime only.
    pub(crate) fn lookup(caller: &Arc<Task>, clock: i32, gettime: bool) -> Option<Result<Self>> {
        let (pid, thread, which) = match clock {
            CLOCK_PROCESS_CPUTIME_ID => (0, false, CPUCLOCK_SCHED),
            CLOCK_THREAD_CPUTIME_ID => (0, true, CPUCLOCK_SCHED),
            // Low bits 3 without the thread bit are CLOCKFD (a posix-clock
            // device), which this kernel has none of.
            c if c < 0 => (!(c >> 3), c & CPUCLOCK_PERTHREAD_MASK != 0, c & 3),
            _ => return None,
        };
        if which == 3 {
            return Some(Err(Errno::EINVAL));
        }
        let target = if thread {
            let t = match pid {
                0 => Some(caller.clone()),
                tid => caller.process.find_task(tid),
            };
            match t {
                Some(t) if Arc::ptr_eq(&t.process, &caller.process) => {
                    Target::Thread(Arc::downgrade(&t), t.tid())
                }
                _ => return Some(Err(Errno::EINVAL)),
            }
        } else if pid == 0 || (gettime && pid == caller.process.vnr(caller.tid())) {
            Target::Process(Arc::downgrade(&caller.process))
        } else {
            match caller.process.find_process(pid) {
                Some(p) => Target::Process(Arc::downgrade(&p)),
                None => return Some(Err(Errno::EINVAL)),
            }
        };
        Some(Ok(CpuClock {
            target,
            virt: which == CPUCLOCK_VIRT,
            sched: which == CPUCLOCK_SCHED,
        }))
    }

    /// Returns the clock's reading in nanoseconds; None once the thread it
    /// counts has exited or the process has been reaped.
    pub(crate) fn sample(&self) -> Option<u64> {
        let (user, system) = match &self.target {
            Target::Process(p) => process_times(&*p.upgrade()?),
            Target::Thread(t, tid) => {
                let t = t.upgrade()?;
                match task::find_task(*tid) {
                    Some(live) if Arc::ptr_eq(&live, &t) => task_times(&t),
                    _ => return None,
                }
            }
        };
        Some(if self.virt { user } else { user + system })
    }

    /// Returns how many host threads can add to the clock at once: its
    /// reading grows at most this many times as fast as wall time.
    pub(crate) fn threads(&self) -> u64 {
        match &self.target {
            Target::Process(p) => p.upgrade().map_or(1, |p| p.threads.borrow().len().max(1)) as u64,
            Target::Thread(..) => 1,
        }
    }

    /// Returns whether the clock counts thread `t`.
    pub(crate) fn is_thread(&self, t: &Arc<Task>) -> bool {
        matches!(&self.target, Target::Thread(w, _) if std::ptr::eq(w.as_ptr(), Arc::as_ptr(t)))
    }

    /// Returns the clock's resolution as Linux reports it: a tick (HZ 250)
    /// for the PROF and VIRT clocks, 1 ns for the SCHED ones.
    pub(crate) fn resolution(&self) -> Duration {
        if self.sched {
            Duration::from_nanos(1)
        } else {
            Duration::from_millis(4)
        }
    }
}

/// The shortest and longest wait between two samples of a CPU clock
/// someone waits on (a timer, a sleep).
const FINEST: Duration = Duration::from_millis(1);
const LONGEST: Duration = Duration::from_millis(100);

/// Returns when to look at `clock` again when `left` nanoseconds of CPU
/// time remain: as late as the clock could reach the end if every thread
/// ran all the time, within 1 ms and 100 ms. Near the end this samples more
/// often than RLIMIT_CPU's watcher (10 ms, `task/cpu_limit.rs`), so a timer
/// or a sleep ends within about a millisecond of CPU time per thread after
/// its expiry; a host thread's CPU time cannot be watched exactly.
pub(crate) fn next_sample(clock: &CpuClock, left: u64) -> Duration {
    Duration::from_nanos(left / clock.threads()).clamp(FINEST, LONGEST)
}
