//! timerfd (timerfd_create(2)): a timer read as a file. Each expiry adds to a
//! count that a read returns (as a u64) and resets; the file is readable while
//! the count is not zero, so it works with poll and epoll.

use crate::syscall::time::{deadline_from_abs, itimerspec_bytes, read_timespec};
use crate::syscall::SyscallContext;
use crate::task::locked;
use crate::timer::{self, TimerSlot};
use arch::sync::Mutex;
use arch::{Errno, Result};
use fs::{File, FileOps, OpenFlags, PollEvents, WaitQueue};
use std::any::Any;
use std::sync::{Arc, Weak};
use std::time::Instant;

const TFD_TIMER_ABSTIME: u64 = 1;
const TFD_TIMER_CANCEL_ON_SET: u64 = 2;
const TFD_CLOEXEC: u64 = 0o2000000;
const TFD_NONBLOCK: u64 = 0o4000;

struct State {
    slot: TimerSlot,
    expirations: u64,
}

struct Inner {
    clock: i32,
    state: Mutex<State>,
    wait: WaitQueue,
}

/// The open file of a timerfd.
pub struct TimerFd(Arc<Inner>);

impl FileOps for TimerFd {
    fn read(&self, _: u64, buf: &mut [u8]) -> Result<usize> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let mut s = locked(&self.0.state);
        if s.expirations == 0 {
            return Err(Errno::EAGAIN);
        }
        buf[..8].copy_from_slice(&std::mem::take(&mut s.expirations).to_ne_bytes());
        Ok(8)
    }
    fn write(&self, _: u64, _: &[u8]) -> Result<usize> {
        Err(Errno::EINVAL)
    }
    fn seekable(&self) -> bool {
        false
    }
    fn poll(&self) -> PollEvents {
        if locked(&self.0.state).expirations > 0 {
            PollEvents::POLLIN | PollEvents::POLLRDNORM
        } else {
            PollEvents::empty()
        }
    }
    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.0.wait)
    }
    fn stat(&self) -> Result<fs::Stat> {
        Ok(crate::anon_inode::stat())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

fn arm(inner: &Arc<Inner>, deadline: Instant, generation: u64) {
    let weak = Arc::downgrade(inner);
    timer::add(deadline, move || expired(weak, generation));
}

fn expired(inner: Weak<Inner>, generation: u64) {
    let Some(inner) = inner.upgrade() else { return };
    let next = {
        let mut s = locked(&inner.state);
        let Some((count, next)) = s.slot.expire(generation) else {
            return;
        };
        s.expirations = s.expirations.saturating_add(count);
        next
    };
    if let Some(d) = next {
        arm(&inner, d, generation);
    }
    inner.wait.wake_all();
}

pub fn sys_timerfd_create(ctx: &mut SyscallContext, clock: u64, flags: u64) -> Result<u64> {
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
        state: Mutex::new(State {
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
    Ok(locked(&ctx.task.files()).alloc(f, flags & TFD_CLOEXEC != 0)? as u64)
}

fn timerfd(ctx: &SyscallContext, fd: u64) -> Result<Arc<Inner>> {
    let f = locked(&ctx.task.files()).get(fd as i32)?;
    match f.ops().as_any().downcast_ref::<TimerFd>() {
        Some(t) => Ok(t.0.clone()),
        None => Err(Errno::EINVAL),
    }
}

pub fn sys_timerfd_settime(
    ctx: &mut SyscallContext,
    fd: u64,
    flags: u64,
    new: u64,
    old: u64,
) -> Result<u64> {
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
        return Err(Errno::EINVAL);
    }
    let inner = timerfd(ctx, fd)?;
    let interval = read_timespec(ctx, new)?;
    let value = read_timespec(ctx, new + 16)?;
    let deadline = if value.is_zero() {
        None
    } else if flags & TFD_TIMER_ABSTIME != 0 {
        Some(deadline_from_abs(inner.clock, value)?)
    } else {
        Some(crate::syscall::time::deadline_after(value))
    };
    let (old_v, old_i, armed) = {
        let mut s = locked(&inner.state);
        let (ov, oi) = s.slot.disarm();
        s.expirations = 0;
        let g = deadline.map(|d| (d, s.slot.arm(d, interval)));
        (ov, oi, g)
    };
    if let Some((d, g)) = armed {
        arm(&inner, d, g);
    }
    if old != 0 {
        ctx.write_user(old, &itimerspec_bytes(old_v, old_i))?;
    }
    Ok(0)
}

pub fn sys_timerfd_gettime(ctx: &mut SyscallContext, fd: u64, value: u64) -> Result<u64> {
    let inner = timerfd(ctx, fd)?;
    let (v, i) = locked(&inner.state).slot.remaining();
    ctx.write_user(value, &itimerspec_bytes(v, i))?;
    Ok(0)
}
