//! epoll_create, epoll_create1, epoll_ctl and the waits (epoll_wait,
//! epoll_pwait, epoll_pwait2) over kernel/epoll.rs. As Linux does (signal(7)),
//! an interrupted wait fails with EINTR and is never restarted.

use super::arg::Fd;
use super::arg::UserPtr;
use super::poll::{deadline_after, restore_saved_sigmask_unless, set_user_sigmask};
use super::time::read_timespec;
use crate::epoll::{epoll_of, Epoll, EPOLLET, EPOLLEXCLUSIVE, EPOLLWAKEUP};
use crate::sleep::{wait_event, Interruptible};
use crate::task::TrapContext;
use arch::abi::structs::EpollEvent;
use arch::{Errno, Result};
use fs::{File, OpenFlags, PollEvents};
use std::sync::Arc;
use std::time::{Duration, Instant};

const EPOLL_CTL_ADD: i32 = 1;
const EPOLL_CTL_DEL: i32 = 2;
const EPOLL_CTL_MOD: i32 = 3;
/// The size of the packed x86_64 `struct epoll_event` (u32 events, u64 data).
const EVENT_SIZE: usize = std::mem::size_of::<EpollEvent>();
/// The most events one wait may ask for (Linux's EP_MAX_EVENTS).
const MAX_EVENTS: i32 = i32::MAX / EVENT_SIZE as i32;
/// The only flags EPOLLEXCLUSIVE combines with.
const EXCLUSIVE_OK: u32 = PollEvents::POLLIN.bits()
    | PollEvents::POLLOUT.bits()
    | PollEvents::POLLERR.bits()
    | PollEvents::POLLHUP.bits()
    | EPOLLWAKEUP
    | EPOLLET
    | EPOLLEXCLUSIVE;

fn create(ctx: &TrapContext, cloexec: bool) -> Result<u64> {
    let f = File::new(None, Arc::new(Epoll::default()), OpenFlags::O_RDWR);
    Ok(ctx
        .task
        .files()
        .borrow_mut()
        .alloc(f, cloexec, ctx.task.process.nofile())? as u64)
}

pub fn sys_epoll_create(ctx: &mut TrapContext, size: i32) -> Result<u64> {
    if size <= 0 {
        return Err(Errno::EINVAL);
    }
    create(ctx, false)
}

pub fn sys_epoll_create1(ctx: &mut TrapContext, flags: u32) -> Result<u64> {
    let cloexec = OpenFlags::O_CLOEXEC.bits();
    if flags & !cloexec != 0 {
        return Err(Errno::EINVAL);
    }
    create(ctx, flags & cloexec != 0)
}

pub fn sys_epoll_ctl(ctx: &mut TrapContext, epfd: Fd, op: i32, fd: Fd, event: u64) -> Result<u64> {
    let (events, data) = if op != EPOLL_CTL_DEL {
        let ev = UserPtr::<EpollEvent>::new(event).read(ctx)?;
        (ev.events, ev.data)
    } else {
        (0, 0)
    };
    let ep_file = epfd.file(ctx)?;
    let target = fd.file(ctx)?;
    // Files that never block (regular files, /dev/null) cannot be watched.
    if target.ops().wait_queue().is_none() {
        return Err(Errno::EPERM);
    }
    if Arc::ptr_eq(&ep_file, &target) {
        return Err(Errno::EINVAL);
    }
    let ep = epoll_of(&ep_file).ok_or(Errno::EINVAL)?;
    let nested = epoll_of(&target);
    if events & EPOLLEXCLUSIVE != 0
        && (op == EPOLL_CTL_MOD
            || (op == EPOLL_CTL_ADD && (nested.is_some() || events & !EXCLUSIVE_OK != 0)))
    {
        return Err(Errno::EINVAL);
    }
    let fd = fd.0;
    match op {
        EPOLL_CTL_ADD => {
            if let Some(inner) = nested {
                if std::ptr::eq(inner, ep) || inner.reaches(ep, 1)? {
                    return Err(Errno::ELOOP);
                }
            }
            ep.add(fd, &target, events, data)?;
        }
        EPOLL_CTL_MOD => ep.modify(fd, &target, events, data)?,
        EPOLL_CTL_DEL => ep.delete(fd, &target)?,
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}

/// Waits for events of epoll `epfd` until `deadline` and stores up to
/// `maxevents` of them at `events`; returns how many.
fn do_epoll_wait(
    ctx: &TrapContext,
    epfd: Fd,
    events: u64,
    maxevents: i32,
    deadline: Option<Instant>,
) -> Result<u64> {
    let max = maxevents;
    if max <= 0 || max > MAX_EVENTS {
        return Err(Errno::EINVAL);
    }
    let f = epfd.file(ctx)?;
    let ep = epoll_of(&f).ok_or(Errno::EINVAL)?;
    let ready = wait_event(
        ctx.task,
        &[ep.queue()],
        deadline,
        Interruptible::Signals,
        || {
            let v = ep.collect(max as usize);
            (!v.is_empty()).then_some(v)
        },
    );
    let ready = match ready {
        Ok(r) => r.unwrap_or_default(),
        Err(_) => return Err(Errno::EINTR),
    };
    let out: Vec<EpollEvent> = ready
        .iter()
        .map(|&(events, data)| EpollEvent { events, data })
        .collect();
    UserPtr::<EpollEvent>::new(events).write_array(ctx, &out)?;
    Ok(ready.len() as u64)
}

/// Returns the deadline of a timeout in milliseconds; negative is for ever.
fn ms_deadline(ms: i32) -> Option<Instant> {
    if ms < 0 {
        return None;
    }
    deadline_after(Duration::from_millis(ms as u64))
}

pub fn sys_epoll_wait(
    ctx: &mut TrapContext,
    epfd: Fd,
    events: u64,
    maxevents: i32,
    timeout: i32,
) -> Result<u64> {
    do_epoll_wait(ctx, epfd, events, maxevents, ms_deadline(timeout))
}

/// The waits with a temporary signal mask at `sigmask`.
fn pwait(
    ctx: &mut TrapContext,
    (epfd, events, maxevents): (Fd, u64, i32),
    (sigmask, sigsetsize): (u64, u64),
    deadline: Option<Instant>,
) -> Result<u64> {
    set_user_sigmask(ctx, sigmask, sigsetsize)?;
    let ret = do_epoll_wait(ctx, epfd, events, maxevents, deadline);
    restore_saved_sigmask_unless(ctx.task, ret == Err(Errno::EINTR));
    ret
}

pub fn sys_epoll_pwait(
    ctx: &mut TrapContext,
    epfd: Fd,
    events: u64,
    maxevents: i32,
    timeout: i32,
    sigmask: u64,
    sigsetsize: u64,
) -> Result<u64> {
    pwait(
        ctx,
        (epfd, events, maxevents),
        (sigmask, sigsetsize),
        ms_deadline(timeout),
    )
}

pub fn sys_epoll_pwait2(
    ctx: &mut TrapContext,
    epfd: Fd,
    events: u64,
    maxevents: i32,
    timeout: u64,
    sigmask: u64,
    sigsetsize: u64,
) -> Result<u64> {
    let deadline = if timeout != 0 {
        deadline_after(read_timespec(ctx, timeout)?)
    } else {
        None
    };
    pwait(
        ctx,
        (epfd, events, maxevents),
        (sigmask, sigsetsize),
        deadline,
    )
}
