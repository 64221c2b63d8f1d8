//! `FileOps`, what the calls on an open file do (Linux's `file_operations`),
//! and the two kinds the VFS provides itself: regular files and directories
//! (`InodeOps`, through the inode) and `O_PATH` files (`PathOps`, no I/O).
//! Devices, terminals, pipes, sockets and the kernel's anonymous files bring
//! their own from other crates.
//!
//! What depends on the kind of file is a method here, with a default for the
//! files that do not care, so that every system call reaching a file gets it
//! without asking what the file is: a terminal applies job control in its own
//! `read` and `write`, so read(2), sendfile(2) and splice(2) alike meet it.
//! The calls run in the task that made the system call, as Linux's do.

use crate::address_space;
use crate::inode::Inode;
use crate::types::Stat;
use crate::wait_queue::WaitQueue;
use arch::{Errno, Result};
use std::any::Any;
use std::sync::Arc;

bitflags::bitflags! {
    /// poll(2) events, Linux values.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PollEvents: u32 {
        const POLLIN = 0x1;
        const POLLPRI = 0x2;
        const POLLOUT = 0x4;
        const POLLERR = 0x8;
        const POLLHUP = 0x10;
        const POLLNVAL = 0x20;
        const POLLRDNORM = 0x40;
        const POLLRDBAND = 0x80;
        const POLLWRNORM = 0x100;
        const POLLWRBAND = 0x200;
        const POLLMSG = 0x400;
        const POLLRDHUP = 0x2000;
    }
}

/// The memory of the task whose system call reached a file, into which an
/// ioctl's argument points; the kernel's trap context lends it.
pub trait UserMemory {
    /// Copies the task's memory at `addr` into `buf` (`EFAULT` if unreadable).
    fn read_user(&self, addr: u64, buf: &mut [u8]) -> Result<()>;
    /// Copies `data` to the task's memory at `addr` (`EFAULT` if unwritable).
    fn write_user(&self, addr: u64, data: &[u8]) -> Result<()>;
}

/// What an open file does.
///
/// Files that can block (pipes, terminals, eventfds, sockets) never sleep in
/// `read` or `write`: they return `EAGAIN`, report readiness through `poll`, and
/// wake their `wait_queue` when it may have changed. The kernel does the sleeping
/// (honouring `O_NONBLOCK`, signals and timeouts) in one place for all of them.
pub trait FileOps: AsAny + Send + Sync {
    /// Reads at `pos` (ignored if not seekable); `EAGAIN` if it would block.
    fn read(&self, pos: u64, buf: &mut [u8]) -> Result<usize>;
    /// Writes at `pos` (ignored if not seekable); `EAGAIN` if it would block.
    fn write(&self, pos: u64, data: &[u8]) -> Result<usize>;
    /// Returns the events ready now; files that never block are always readable
    /// and writable.
    fn poll(&self) -> PollEvents {
        PollEvents::POLLIN | PollEvents::POLLOUT | PollEvents::POLLRDNORM | PollEvents::POLLWRNORM
    }
    /// Returns the queue woken whenever `poll`'s answer may have changed, or None
    /// for files that never block.
    fn wait_queue(&self) -> Option<&WaitQueue> {
        None
    }
    /// Returns false for pipes and ttys: lseek gives ESPIPE and positions are ignored.
    fn seekable(&self) -> bool {
        true
    }
    /// Returns true for files that take every write as one message
    /// (`/dev/kmsg`'s records): writev hands them its whole vector at once.
    fn one_record(&self) -> bool {
        false
    }
    /// Returns true for byte streams (pipes, sockets, ttys): a blocking write goes
    /// on, sleeping while the file is full, until every byte is written, where a
    /// write to any other file ends at its first short transfer.
    fn is_stream(&self) -> bool {
        false
    }
    /// Performs the file's own ioctl(2) request `cmd`, whose argument `arg`
    /// may point into `user`'s memory; `ENOTTY` for a file without it. The
    /// requests every file has (`FIONBIO`) are the system call's.
    /// Returns where SEEK_END counts from when it is not the inode's size
    /// (a block device's size).
    fn end(&self) -> Option<u64> {
        None
    }

    fn ioctl(&self, _user: &dyn UserMemory, _cmd: u32, _arg: u64) -> Result<u64> {
        Err(Errno::ENOTTY)
    }
    /// Returns true while an open of the file may not return yet (a FIFO end
    /// waiting for its partner); the opener sleeps on `wait_queue` until it
    /// turns false.
    fn open_pending(&self) -> bool {
        false
    }
    /// Returns the attributes of a file that has no inode (a pipe, a socket).
    fn stat(&self) -> Result<Stat> {
        Err(Errno::EBADF)
    }
    /// Returns the name of the anonymous inode a file without a path is
    /// (`[eventfd]`), which /proc/PID/fd shows after `anon_inode:`.
    fn anon_name(&self) -> Option<&'static str> {
        None
    }
    /// Returns the lines the file adds to its /proc/PID/fdinfo (Linux's
    /// `show_fdinfo`).
    fn show_fdinfo(&self) -> String {
        String::new()
    }
}

/// Returns `FileOps` as `Any`, for `File::ops_as` only: implemented for every
/// `FileOps` and not reachable outside this crate.
pub trait AsAny {
    /// Returns self as `Any`.
    fn as_any(&self) -> &dyn Any;
}

impl<T: FileOps + 'static> AsAny for T {
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// `FileOps` of a regular file or directory: the inode's own methods, through
/// the page cache when the file is mapped.
pub(crate) struct InodeOps(pub Arc<dyn Inode>);

impl FileOps for InodeOps {
    fn read(&self, pos: u64, buf: &mut [u8]) -> Result<usize> {
        address_space::read(self.0.as_ref(), pos, buf)
    }
    fn write(&self, pos: u64, data: &[u8]) -> Result<usize> {
        self.0.write_checks()?;
        address_space::write(self.0.as_ref(), pos, data)
    }
}

/// `FileOps` of an `O_PATH` file: no I/O at all.
pub(crate) struct PathOps;

impl FileOps for PathOps {
    fn read(&self, _pos: u64, _buf: &mut [u8]) -> Result<usize> {
        Err(Errno::EBADF)
    }
    fn write(&self, _pos: u64, _data: &[u8]) -> Result<usize> {
        Err(Errno::EBADF)
    }
}
