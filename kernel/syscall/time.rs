//! Clocks and sleeping. Wall and monotonic clocks come from the host's; CPU-time
//! clocks (`cpu_clock.rs`) are the host CPU time of the task's guest CPU,
//! where its guest code runs, and of its kernel thread.

use super::arg::UserPtr;
use crate::sleep::{wait_event, Interruptible};
use crate::task::TrapContext;
use arch::abi::structs::{Itimerspec, Timespec, Timeval, Timezone};
use arch::{Errno, Result};
use std::time::{Duration, Instant};

use super::cpu_clock::{CpuClock, CLOCK_PROCESS_CPUTIME_ID, CLOCK_THREAD_CPUTIME_ID};

/// Where a guest clock's time comes from.
#[derive(Clone, Copy)]
enum ClockSource {
    /// The host clock with this id.
    Host(i32),
    /// The host CPU time of the caller's guest code (the fixed CPU-time clocks).
    GuestCpu,
}

/// Returns the source of guest clock `clock` (EINVAL for one Linux does not have).
fn clock_source(clock: i32) -> Result<ClockSource> {
    match clock {
        0 | 1 | 4 | 5 | 6 | 7 | 11 => Ok(ClockSource::Host(clock)),
        CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => Ok(ClockSource::GuestCpu),
        _ => Err(Errno::EINVAL),
    }
}

/// Returns the host clock id of guest clock `clock`, which must be one of the
/// host's (EINVAL for a CPU-time clock).
fn host_clock(clock: i32) -> Result<i32> {
    match clock_source(clock)? {
        ClockSource::Host(id) => Ok(id),
        ClockSource::GuestCpu => Err(Errno::EINVAL),
    }
}

pub fn sys_clock_gettime(ctx: &mut TrapContext, clock: i32, tp: UserPtr<Timespec>) -> Result<u64> {
    let cpu = CpuClock::lookup(ctx.task, clock, true);
    let (s, ns) = match cpu {
        Some(c) => {
            let ns = c?.sample().ok_or(Errno::EINVAL)?;
            ((ns / 1_000_000_000) as i64, (ns % 1_000_000_000) as i64)
        }
        None => {
            let now = guest_clock_now(host_clock(clock)?).ok_or(Errno::EINVAL)?;
            (now.as_secs() as i64, i64::from(now.subsec_nanos()))
        }
    };
    tp.write(
        ctx,
        &Timespec {
            tv_sec: s,
            tv_nsec: ns,
        },
    )?;
    Ok(0)
}

/// clock_settime(2): the guest's clocks are the host's, which the kernel may
/// not change: setting CLOCK_REALTIME is refused with EPERM, as for a caller
/// without CAP_SYS_TIME; other clocks cannot be set (EINVAL).
pub fn sys_clock_settime(ctx: &mut TrapContext, clock: i32, tp: u64) -> Result<u64> {
    read_timespec(ctx, tp)?;
    if clock != 0 {
        return Err(Errno::EINVAL);
    }
    Err(Errno::EPERM)
}

/// settimeofday(2): see `sys_clock_settime`; a null time (only a time zone) is
/// accepted and has no effect, as Linux keeps the zone only for FAT.
pub fn sys_settimeofday(ctx: &mut TrapContext, utv: UserPtr<Timeval>, _tz: u64) -> Result<u64> {
    if utv.is_null() {
        return Ok(0);
    }
    let tv = utv.read(ctx)?;
    if !(0..1_000_000).contains(&tv.tv_usec) {
        return Err(Errno::EINVAL);
    }
    Err(Errno::EPERM)
}

pub fn sys_clock_getres(ctx: &mut TrapContext, clock: i32, res: UserPtr<Timespec>) -> Result<u64> {
    let coarse = clock == 5 || clock == 6;
    let cpu = match CpuClock::lookup(ctx.task, clock, false) {
        Some(c) => Some(c?.resolution()),
        None => {
            clock_source(clock)?;
            None
        }
    };
    if !res.is_null() {
        // Linux reports 1 ns for high-resolution clocks and the tick for coarse ones.
        let ns = match cpu {
            Some(r) => r.as_nanos() as i64,
            None if coarse => 4_000_000,
            None => 1,
        };
        res.write(
            ctx,
            &Timespec {
                tv_sec: 0,
                tv_nsec: ns,
            },
        )?;
    }
    Ok(0)
}

pub fn sys_gettimeofday(
    ctx: &mut TrapContext,
    tv: UserPtr<Timeval>,
    tz: UserPtr<Timezone>,
) -> Result<u64> {
    let (s, ns) = arch::host::time::clock_gettime(0).ok_or(Errno::EINVAL)?;
    if !tv.is_null() {
        tv.write(
            ctx,
            &Timeval {
                tv_sec: s,
                tv_usec: ns / 1000,
            },
        )?;
    }
    if !tz.is_null() {
        tz.write(ctx, &Timezone::default())?;
    }
    Ok(0)
}

pub fn sys_time(ctx: &mut TrapContext, tloc: UserPtr<i64>) -> Result<u64> {
    let (s, _) = arch::host::time::clock_gettime(0).ok_or(Errno::EINVAL)?;
    if !tloc.is_null() {
        tloc.write(ctx, &s)?;
    }
    Ok(s as u64)
}

/// Returns the `struct itimerspec` of a timer with `value` left and `interval`.
pub(crate) fn to_itimerspec(value: Duration, interval: Duration) -> Itimerspec {
    Itimerspec {
        it_interval: interval.into(),
        it_value: value.into(),
    }
}

/// Reads a `struct itimerspec`: its interval and value (EINVAL if either
/// is out of range).
pub(crate) fn read_itimerspec(
    ctx: &TrapContext,
    addr: UserPtr<Itimerspec>,
) -> Result<(Duration, Duration)> {
    let its = addr.read(ctx)?;
    let interval = its.it_interval.to_duration().ok_or(Errno::EINVAL)?;
    let value = its.it_value.to_duration().ok_or(Errno::EINVAL)?;
    Ok((interval, value))
}

/// Reads a `struct timespec` (EINVAL if out of range).
pub(crate) fn read_timespec(ctx: &TrapContext, addr: u64) -> Result<Duration> {
    UserPtr::<Timespec>::new(addr)
        .read(ctx)?
        .to_duration()
        .ok_or(Errno::EINVAL)
}

/// The longest wait the kernel schedules: a century, which no guest outlives,
/// so that a huge timeout from a guest cannot overflow the host's clock.
const MAX_WAIT: Duration = Duration::from_secs(100 * 365 * 24 * 3600);

/// Returns the host deadline `d` from now.
pub(crate) fn deadline_after(d: Duration) -> Instant {
    Instant::now() + d.min(MAX_WAIT)
}

/// The host's readings of its monotonic clocks (MONOTONIC, MONOTONIC_RAW,
/// BOOTTIME) when the kernel started: the guest's monotonic clocks count
/// from there, as Linux's count from boot (systemd reports the kernel's part
/// of the boot from CLOCK_MONOTONIC).
static BOOT_READINGS: std::sync::OnceLock<[Duration; 3]> = std::sync::OnceLock::new();

/// Takes the host clocks' readings at boot (before any guest code runs).
pub fn record_boot_clocks() {
    BOOT_READINGS.get_or_init(|| {
        [1, 4, 7].map(|c| {
            let (s, ns) = arch::host::time::clock_gettime(c).unwrap_or((0, 0));
            Duration::new(s as u64, ns as u32)
        })
    });
}

/// Returns what host clock `clock` reads now as the guest sees it: the
/// monotonic ones less their reading at boot, the others unchanged.
pub(crate) fn guest_clock_now(clock: i32) -> Option<Duration> {
    let (s, ns) = arch::host::time::clock_gettime(clock)?;
    let now = Duration::new(s as u64, ns as u32);
    let boot = BOOT_READINGS.get().copied().unwrap_or_default();
    let offset = match clock {
        1 | 6 => boot[0],
        4 => boot[1],
        7 | 9 => boot[2],
        _ => Duration::ZERO,
    };
    Some(now.saturating_sub(offset))
}

/// Returns the moment guest clock `clock` reads `abs`, as a host deadline.
pub(crate) fn deadline_from_abs(clock: i32, abs: Duration) -> Result<Instant> {
    let now = guest_clock_now(clock).ok_or(Errno::EINVAL)?;
    Ok(deadline_after(abs.saturating_sub(now)))
}

/// Sleeps until `deadline`; an interrupted sleep leaves a continuation so that
/// it resumes where it was after a handler-less signal (a stop and continue),
/// and stores the time left at `rem` for nanosleep(2) callers.
fn sleep_until(ctx: &mut TrapContext, deadline: Instant, rem: u64) -> Result<u64> {
    let task = ctx.task.clone();
    match wait_event(&task, &[], Some(deadline), Interruptible::Signals, || {
        None::<()>
    }) {
        Ok(_) => Ok(0),
        Err(_) => {
            if rem != 0 {
                let left = deadline.saturating_duration_since(Instant::now());
                UserPtr::<Timespec>::new(rem).write(ctx, &left.into())?;
            }
            *task.restart.borrow_mut() = Some(Box::new(move |ctx: &mut TrapContext| {
                sleep_until(ctx, deadline, rem)
            }));
            Err(Errno::ERESTART_RESTARTBLOCK)
        }
    }
}

pub fn sys_nanosleep(ctx: &mut TrapContext, req: u64, rem: u64) -> Result<u64> {
    let d = read_timespec(ctx, req)?;
    sleep_until(ctx, deadline_after(d), rem)
}

/// clock_nanosleep(2). On a CPU-time clock the caller sleeps until that
/// process (or another thread of its own) has used the CPU time asked for
/// (`cpu_timer::sleep`); its own thread's clock is EINVAL, as in Linux.
pub fn sys_clock_nanosleep(
    ctx: &mut TrapContext,
    clock: i32,
    flags: u64,
    req: u64,
    rem: u64,
) -> Result<u64> {
    const TIMER_ABSTIME: u64 = 1;
    let abs = flags & TIMER_ABSTIME != 0;
    let cpu = match CpuClock::lookup(ctx.task, clock, false) {
        Some(c) => Some(c?),
        None => {
            clock_source(clock)?;
            None
        }
    };
    let d = read_timespec(ctx, req)?;
    if let Some(c) = cpu {
        if c.is_thread(ctx.task) {
            return Err(Errno::EINVAL);
        }
        return super::cpu_timer::sleep(ctx, c, abs, d, rem);
    }
    let id = host_clock(clock)?;
    if abs {
        // An absolute sleep is simply restarted; it has no time left to report.
        let deadline = deadline_from_abs(id, d)?;
        let task = ctx.task.clone();
        return match wait_event(&task, &[], Some(deadline), Interruptible::Signals, || {
            None::<()>
        }) {
            Ok(_) => Ok(0),
            Err(_) => Err(Errno::ERESTARTNOHAND),
        };
    }
    sleep_until(ctx, deadline_after(d), rem)
}
