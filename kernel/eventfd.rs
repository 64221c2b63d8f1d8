//! eventfd(2): a 64-bit counter as a file. A write adds to it, a read takes it
//! all (or one, in semaphore mode) and resets it; both move exactly 8 bytes.
//! Reading zero and overflowing past 0xfffffffffffffffe would block: like every
//! file here it answers `EAGAIN` and the read/write system calls sleep on its
//! wait queue.

use crate::task::TrapContext;
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{File, FileOps, OpenFlags, PollEvents, Stat, WaitQueue};
use std::sync::Arc;

const EFD_SEMAPHORE: u32 = 1;
const EFD_NONBLOCK: u32 = OpenFlags::O_NONBLOCK.bits();
const EFD_CLOEXEC: u32 = OpenFlags::O_CLOEXEC.bits();
/// The largest value the counter holds.
const MAX_COUNT: u64 = u64::MAX - 1;

/// The open file of an eventfd.
pub struct EventFd {
    count: KernelCell<u64>,
    semaphore: bool,
    wait: WaitQueue,
}

impl FileOps for EventFd {
    fn read(&self, _: u64, buf: &mut [u8]) -> Result<usize> {
        let Some(out) = buf.get_mut(..8) else {
            return Err(Errno::EINVAL);
        };
        let value = {
            let mut count = self.count.borrow_mut();
            if *count == 0 {
                return Err(Errno::EAGAIN);
            }
            let v = if self.semaphore { 1 } else { *count };
            *count -= v;
            v
        };
        out.copy_from_slice(&value.to_ne_bytes());
        self.wait.wake_all();
        Ok(8)
    }
    fn write(&self, _: u64, data: &[u8]) -> Result<usize> {
        let Some(bytes) = data.get(..8) else {
            return Err(Errno::EINVAL);
        };
        let v = u64::from_ne_bytes(bytes.try_into().map_err(|_| Errno::EINVAL)?);
        if v == u64::MAX {
            return Err(Errno::EINVAL);
        }
        {
            let mut count = self.count.borrow_mut();
            if MAX_COUNT - *count < v {
                return Err(Errno::EAGAIN);
            }
            *count += v;
        }
        self.wait.wake_all();
        Ok(8)
    }
    fn poll(&self) -> PollEvents {
        let count = *self.count.borrow();
        let mut ev = PollEvents::empty();
        if count > 0 {
            ev |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
        }
        if count < MAX_COUNT {
            ev |= PollEvents::POLLOUT | PollEvents::POLLWRNORM;
        }
        ev
    }
    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.wait)
    }
    fn seekable(&self) -> bool {
        false
    }
    fn stat(&self) -> Result<Stat> {
        Ok(crate::anon_inode::stat())
    }
    fn anon_name(&self) -> Option<&'static str> {
        Some("[eventfd]")
    }
}

pub(crate) fn do_eventfd2(ctx: &mut TrapContext, initval: u32, flags: u32) -> Result<u64> {
    if flags & !(EFD_SEMAPHORE | EFD_NONBLOCK | EFD_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let ops = Arc::new(EventFd {
        count: KernelCell::new(initval as u64),
        semaphore: flags & EFD_SEMAPHORE != 0,
        wait: WaitQueue::new(),
    });
    let status = OpenFlags::O_RDWR | (OpenFlags::O_NONBLOCK & OpenFlags::from_bits_truncate(flags));
    let f = File::new(None, ops, status);
    let fd = ctx.task.files().borrow_mut().alloc(
        f,
        flags & EFD_CLOEXEC != 0,
        ctx.task.process.nofile(),
    )?;
    Ok(fd as u64)
}
