//! timerfd (timerfd_create(2)): a timer read as a file. Each expiry adds to a
//! count that a read returns (as a u64) and resets; the file is readable while
//! the count is not zero, so it works with poll and epoll.

use crate::task::TrapContext;
use crate::timer::{self, TimerSlot};
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{FileOps, PollEvents, WaitQueue};
use std::sync::{Arc, Weak};
use std::time::Instant;

pub(crate) const TFD_TIMER_ABSTIME: u64 = 1;
pub(crate) const TFD_TIMER_CANCEL_ON_SET: u64 = 2;
pub(crate) const TFD_CLOEXEC: u64 = 0o2000000;
pub(crate) const TFD_NONBLOCK: u64 = 0o4000;

pub(crate) struct State {
    pub(crate) slot: TimerSlot,
    pub(crate) expirations: u64,
}

pub(crate) struct Inner {
    pub(crate) clock: i32,
    pub(crate) state: KernelCell<State>,
    pub(crate) wait: WaitQueue,
}

/// The open file of a timerfd.
pub struct TimerFd(pub(crate) Arc<Inner>);

impl FileOps for TimerFd {
    fn read(&self, _: u64, buf: &mut [u8]) -> Result<usize> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let mut s = self.0.state.borrow_mut();
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
        if self.0.state.borrow().expirations > 0 {
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
    fn anon_name(&self) -> Option<&'static str> {
        Some("[timerfd]")
    }
}

pub(crate) fn arm(inner: &Arc<Inner>, deadline: Instant, generation: u64) {
    let weak = Arc::downgrade(inner);
    timer::add(deadline, move || expired(weak, generation));
}

fn expired(inner: Weak<Inner>, generation: u64) {
    let Some(inner) = inner.upgrade() else { return };
    let next = {
        let mut s = inner.state.borrow_mut();
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

/// Returns the timer of the timerfd `fd` (`EINVAL` for another kind of
/// file, as Linux compares `f_op`; `File::ops_as`).
pub(crate) fn timerfd(ctx: &TrapContext, fd: crate::syscall::Fd) -> Result<Arc<Inner>> {
    let f = fd.file(ctx)?;
    match f.ops_as::<TimerFd>() {
        Some(t) => Ok(t.0.clone()),
        None => Err(Errno::EINVAL),
    }
}
