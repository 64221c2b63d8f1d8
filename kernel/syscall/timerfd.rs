//! timerfd_create(2), timerfd_settime(2), timerfd_gettime(2) over the timer files of `crate::timerfd`.

use super::arg::Fd;
use crate::syscall::time::{deadline_from_abs, read_itimerspec, to_itimerspec};
use crate::syscall::UserPtr;
use crate::task::TrapContext;
use crate::timer::TimerSlot;
use crate::timerfd::*;
use arch::abi::structs::Itimerspec;
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{File, OpenFlags, WaitQueue};
use std::sync::Arc;

pub fn sys_timerfd_create(ctx: &mut TrapContext, clock: u64, flags: u64) -> Result<u64> {
    let (clock, flags) = (clock as i32, flags);
    if ![0, 1, 7, 8, 9].contains(&clock) || flags & !(TFD_CLOEXEC | TFD_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let inner = Arc::new(Inner {
        // The alarm clocks behave as their plain versions here (no suspend).
        clock: if clock == 8 {
            0
        } else if clock == 9 {
            7
        } else {
            clock
        },
        state: KernelCell::new(State {
            slot: TimerSlot::default(),
            expirations: 0,
        }),
        wait: WaitQueue::new(),
    });
    let mut of = OpenFlags::O_RDWR;
    if flags & TFD_NONBLOCK != 0 {
        of |= OpenFlags::O_NONBLOCK;
    }
    let f = File::new(None, Arc::new(TimerFd(inner)), of);
    Ok(ctx.task.files().borrow_mut().alloc(
        f,
        flags & TFD_CLOEXEC != 0,
        ctx.task.process.nofile(),
    )? as u64)
}

pub fn sys_timerfd_settime(
    ctx: &mut TrapContext,
    fd: Fd,
    flags: u64,
    new: UserPtr<Itimerspec>,
    old: UserPtr<Itimerspec>,
) -> Result<u64> {
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
        return Err(Errno::EINVAL);
    }
    let inner = timerfd(ctx, fd)?;
    let (interval, value) = read_itimerspec(ctx, new)?;
    let deadline = if value.is_zero() {
        None
    } else if flags & TFD_TIMER_ABSTIME != 0 {
        Some(deadline_from_abs(inner.clock, value)?)
    } else {
        Some(crate::syscall::time::deadline_after(value))
    };
    let (old_v, old_i, armed) = {
        let mut s = inner.state.borrow_mut();
        let (ov, oi) = s.slot.disarm();
        s.expirations = 0;
        let g = deadline.map(|d| (d, s.slot.arm(d, interval)));
        (ov, oi, g)
    };
    if let Some((d, g)) = armed {
        arm(&inner, d, g);
    }
    if !old.is_null() {
        old.write(ctx, &to_itimerspec(old_v, old_i))?;
    }
    Ok(0)
}

pub fn sys_timerfd_gettime(
    ctx: &mut TrapContext,
    fd: Fd,
    value: UserPtr<Itimerspec>,
) -> Result<u64> {
    let inner = timerfd(ctx, fd)?;
    let (v, i) = inner.state.borrow().slot.remaining();
    value.write(ctx, &to_itimerspec(v, i))?;
    Ok(0)
}
