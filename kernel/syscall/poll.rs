//! poll and ppoll, and what they share with select, pselect6 and the epoll
//! waits: sleeping on the wait queues of many files at once, timeouts as
//! deadlines, the temporary signal mask of the p* variants (kept as the task's
//! `saved_mask`, as rt_sigsuspend does, so a handler's frame restores the old
//! one), and writing back the time left. As on Linux, an interrupted poll
//! resumes through restart_syscall with its original deadline (poll(2)).

use super::arg::UserPtr;
use super::time::read_timespec;
use crate::signal::UNBLOCKABLE;
use crate::sleep::{wait_event, Interruptible};
use crate::task::Task;
use crate::task::TrapContext;
use arch::abi::pod::Pod;
use arch::abi::resource::RLIMIT_NOFILE;
use arch::abi::structs::{Pollfd, Timespec};
use arch::{Errno, Result};
use fs::{File, PollEvents, WaitQueue};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Returns the deadline `d` from now; None (never) if that is beyond any clock.
pub(crate) fn deadline_after(d: Duration) -> Option<Instant> {
    Some(super::time::deadline_after(d))
}

/// Sleeps on the wait queues of `files` until `scan` yields, `deadline` passes
/// (`Ok(None)`) or a signal arrives (`ERESTARTSYS`).
pub(super) fn wait_files<T>(
    task: &Task,
    files: &[&Arc<File>],
    deadline: Option<Instant>,
    scan: impl FnMut() -> Option<T>,
) -> Result<Option<T>> {
    let mut queues: Vec<&WaitQueue> = Vec::new();
    for q in files.iter().filter_map(|f| f.ops().wait_queue()) {
        if !queues.iter().any(|have| std::ptr::eq(*have, q)) {
            queues.push(q);
        }
    }
    wait_event(task, &queues, deadline, Interruptible::Signals, scan)
}

/// Installs the temporary signal mask at `addr` (none if 0) of ppoll, pselect6
/// or epoll_pwait; `size` must be the kernel's sigset size.
pub(super) fn set_user_sigmask(ctx: &TrapContext, addr: u64, size: u64) -> Result<()> {
    if addr == 0 {
        return Ok(());
    }
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    let mask = ctx.read_u64(addr)? & !UNBLOCKABLE;
    let mut s = ctx.task.signal.borrow_mut();
    s.saved_mask = Some(s.mask);
    s.mask = mask;
    Ok(())
}

/// Puts back the mask `set_user_sigmask` replaced, unless the call was
/// interrupted: then signal delivery restores it, through the handler's frame
/// or once no handler runs (Linux's restore_saved_sigmask_unless).
pub(super) fn restore_saved_sigmask_unless(task: &Task, interrupted: bool) {
    if interrupted {
        return;
    }
    let mut s = task.signal.borrow_mut();
    if let Some(m) = s.saved_mask.take() {
        s.mask = m;
    }
}

/// Writes the time left until `deadline` back to the timeout at `addr` (a
/// `struct timespec` for pselect6 and ppoll, a `struct timeval` for select),
/// as they do; a failed write turns an interruption into a plain EINTR, as
/// on Linux.
pub(super) fn write_time_left<T: Pod + From<Duration>>(
    ctx: &TrapContext,
    addr: UserPtr<T>,
    deadline: Option<Instant>,
    ret: Result<u64>,
) -> Result<u64> {
    let Some(deadline) = deadline else {
        return ret;
    };
    let left = deadline.saturating_duration_since(Instant::now());
    match (addr.write(ctx, &left.into()), ret) {
        (Err(_), Err(Errno::ERESTARTNOHAND)) => Err(Errno::EINTR),
        (_, r) => r,
    }
}

/// Polls the `nfds` pollfds at `ufds` until one is ready or `deadline`; writes
/// back the revents and returns how many are non-zero.
fn do_poll(ctx: &TrapContext, ufds: u64, nfds: u64, deadline: Option<Instant>) -> Result<u64> {
    // RLIMIT_NOFILE, which Linux never lets past nr_open (2^20).
    let limit = ctx.task.process.rlimit(RLIMIT_NOFILE);
    if nfds > limit.min(1 << 20) {
        return Err(Errno::EINVAL);
    }
    let ufds = UserPtr::<Pollfd>::new(ufds);
    let mut pfds = ufds.read_array(ctx, nfds as usize)?;
    let files: Vec<Option<Arc<File>>> = {
        let table = ctx.task.files();
        let table = table.borrow();
        pfds.iter()
            .map(|p| (p.fd >= 0).then(|| table.get(p.fd).ok()).flatten())
            .collect()
    };
    let scan = || {
        let revents: Vec<u16> = pfds
            .iter()
            .zip(&files)
            .map(|(p, f)| match f {
                _ if p.fd < 0 => 0,
                None => PollEvents::POLLNVAL.bits() as u16,
                Some(f) => {
                    let wanted = PollEvents::from_bits_truncate(p.events as u16 as u32)
                        | PollEvents::POLLERR
                        | PollEvents::POLLHUP;
                    (f.ops().poll() & wanted).bits() as u16
                }
            })
            .collect();
        revents.iter().any(|&r| r != 0).then_some(revents)
    };
    let live: Vec<&Arc<File>> = files.iter().flatten().collect();
    let revents = wait_files(ctx.task, &live, deadline, scan)?.unwrap_or(vec![0; pfds.len()]);
    for (p, &r) in pfds.iter_mut().zip(&revents) {
        p.revents = r as i16;
    }
    ufds.write_array(ctx, &pfds)?;
    Ok(revents.iter().filter(|&&r| r != 0).count() as u64)
}

/// Runs a poll that resumes after a handler-less signal with the same deadline.
fn poll_restartable(
    ctx: &mut TrapContext,
    ufds: u64,
    nfds: u64,
    deadline: Option<Instant>,
) -> Result<u64> {
    match do_poll(ctx, ufds, nfds, deadline) {
        Err(Errno::ERESTARTSYS) => {
            *ctx.task.restart.borrow_mut() = Some(Box::new(move |ctx: &mut TrapContext| {
                poll_restartable(ctx, ufds, nfds, deadline)
            }));
            Err(Errno::ERESTART_RESTARTBLOCK)
        }
        r => r,
    }
}

pub fn sys_poll(ctx: &mut TrapContext, fds: u64, nfds: u64, timeout: u64) -> Result<u64> {
    let timeout = timeout as i32;
    let deadline = if timeout < 0 {
        None
    } else {
        deadline_after(Duration::from_millis(timeout as u64))
    };
    poll_restartable(ctx, fds, nfds, deadline)
}

pub fn sys_ppoll(
    ctx: &mut TrapContext,
    ufds: u64,
    nfds: u64,
    tsp: u64,
    sigmask: u64,
    sigsetsize: u64,
) -> Result<u64> {
    let timeout = if tsp != 0 {
        Some(read_timespec(ctx, tsp)?)
    } else {
        None
    };
    let deadline = timeout.and_then(deadline_after);
    set_user_sigmask(ctx, sigmask, sigsetsize)?;
    let ret = match do_poll(ctx, ufds, nfds, deadline) {
        Err(Errno::ERESTARTSYS) => Err(Errno::ERESTARTNOHAND),
        r => r,
    };
    restore_saved_sigmask_unless(ctx.task, ret == Err(Errno::ERESTARTNOHAND));
    if timeout.is_some_and(|t| t.is_zero()) {
        return ret;
    }
    write_time_left(ctx, UserPtr::<Timespec>::new(tsp), deadline, ret)
}
