//! Pipes (pipe(7)): a bounded byte ring shared by a read end and a write end,
//! each an open file of its own. The ends never sleep: an empty pipe reads
//! `EAGAIN` while writers remain and end-of-file once none do; a full one writes
//! `EAGAIN`, and a pipe without readers `EPIPE`. The read/write system calls do
//! the sleeping on the end's wait queue (kernel/syscall/rw.rs). As on Linux,
//! the data is a ring of pages (16 by default, `ring`), writes of at most
//! `PIPE_BUF` bytes are atomic, readers wait on `rd_wait` (woken by writes and
//! by the last writer's close) and writers on `wr_wait`. A FIFO (`fifo`) is a
//! pipe shared by everyone who opens the same inode, with ends opened one by
//! one, also as a single end that both reads and writes. splice(2) and tee(2)
//! look at the data before they take it (`splice`). The pages are frames of
//! guest RAM (`ring`), and each user's pipes are bounded (`account`).

mod account;
pub mod fifo;
mod ring;
mod splice;

pub use account::{PIPE_USER_PAGES_HARD, PIPE_USER_PAGES_SOFT};
pub use ring::buffer_pages;

use crate::syscall::UserPtr;
use account::{account_pipe_buffers, current_user, PIPE_MIN_DEF_BUFFERS};
use account::{too_many_pipe_buffers_hard, too_many_pipe_buffers_soft};
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{FileOps, PollEvents, Stat, Timespec, UserMemory, WaitQueue};
use ring::{Ring, PAGE};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// Writes of at most this many bytes are never interleaved with others.
pub const PIPE_BUF: usize = PAGE;
/// A new pipe holds 16 pages.
const DEFAULT_SIZE: usize = 16 * PAGE;
/// /proc/sys/fs/pipe-max-size: the largest F_SETPIPE_SZ an unprivileged
/// user gets.
pub const MAX_SIZE: usize = 1 << 20;
/// The st_dev of pipefs (an unnamed device, major 0).
const PIPEFS_DEV: u64 = 0xd;

struct State {
    ring: Ring,
    readers: usize,
    writers: usize,
    /// How many read ends and write ends were ever opened (a FIFO opener
    /// waits for the other count to move).
    r_counter: u64,
    w_counter: u64,
}

/// The pipe both ends share (Linux's `pipe_inode_info`).
pub struct Pipe {
    state: KernelCell<State>,
    /// Readers wait here for data or the last writer's close.
    rd_wait: WaitQueue,
    /// Writers wait here for room or the last reader's close.
    wr_wait: WaitQueue,
    /// Ends that both read and write (a FIFO opened `O_RDWR`) wait here.
    rdwr_wait: WaitQueue,
    stat: Stat,
    /// The real uid the pipe's pages are charged to.
    user: u32,
}

impl Pipe {
    fn state(&self) -> arch::sync::KernelRefMut<'_, State> {
        self.state.borrow_mut()
    }

    /// Returns the number of bytes buffered (FIONREAD).
    pub fn buffered(&self) -> usize {
        self.state().ring.buffered()
    }

    /// Returns the capacity in bytes (F_GETPIPE_SZ).
    pub fn capacity(&self) -> usize {
        self.state().ring.max_pages() * PAGE
    }

    /// Sets the capacity to `size` rounded up to a power-of-two number of pages
    /// (F_SETPIPE_SZ) and returns it: `EPERM` past pipe-max-size or the
    /// user's limits for the unprivileged, `EBUSY` if the pages in use would
    /// not fit.
    pub fn set_capacity(&self, size: u64) -> Result<usize> {
        if size > 1 << 31 {
            return Err(Errno::EINVAL);
        }
        let size = (size as usize).max(PAGE).next_power_of_two();
        let pages = size / PAGE;
        let mut s = self.state();
        let grows = pages > s.ring.max_pages();
        let (_, unprivileged) = current_user();
        if grows && size > MAX_SIZE && unprivileged {
            return Err(Errno::EPERM);
        }
        let old = s.ring.max_pages();
        let total = account_pipe_buffers(self.user, old, pages);
        let over = too_many_pipe_buffers_hard(total) || too_many_pipe_buffers_soft(total);
        if grows && over && unprivileged {
            account_pipe_buffers(self.user, pages, old);
            return Err(Errno::EPERM);
        }
        if !s.ring.set_max_pages(pages) {
            account_pipe_buffers(self.user, pages, old);
            return Err(Errno::EBUSY);
        }
        drop(s);
        self.wake_writers();
        Ok(size)
    }

    /// Wakes whoever waits to read.
    fn wake_readers(&self) {
        self.rd_wait.wake_all();
        self.rdwr_wait.wake_all();
    }

    /// Wakes whoever waits to write.
    fn wake_writers(&self) {
        self.wr_wait.wake_all();
        self.rdwr_wait.wake_all();
    }

    fn read(&self, buf: &mut [u8]) -> Result<usize> {
        let n = {
            let mut s = self.state();
            if s.ring.is_empty() {
                return if s.writers == 0 {
                    Ok(0)
                } else {
                    Err(Errno::EAGAIN)
                };
            }
            s.ring.read(buf)
        };
        self.wake_writers();
        Ok(n)
    }

    fn write(&self, data: &[u8]) -> Result<usize> {
        let n = {
            let mut s = self.state();
            if s.readers == 0 {
                return Err(Errno::EPIPE);
            }
            s.ring.write(data)?
        };
        if n == 0 {
            return Err(Errno::EAGAIN);
        }
        self.wake_readers();
        Ok(n)
    }

    /// Returns the read events; a hang-up only once a writer has come since
    /// `w_seen`, the count of write ends the reader saw at its open.
    fn poll_read(&self, w_seen: u64) -> PollEvents {
        let s = self.state();
        let mut ev = PollEvents::empty();
        if !s.ring.is_empty() {
            ev |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
        }
        if s.writers == 0 && s.w_counter != w_seen {
            ev |= PollEvents::POLLHUP;
        }
        ev
    }

    fn poll_write(&self) -> PollEvents {
        let s = self.state();
        let mut ev = PollEvents::empty();
        // Writable while a page is free: a PIPE_BUF write goes in at once.
        if !s.ring.is_full() {
            ev |= PollEvents::POLLOUT | PollEvents::POLLWRNORM;
        }
        if s.readers == 0 {
            ev |= PollEvents::POLLERR;
        }
        ev
    }
}

/// Returns the attributes of a new pipe inode: a FIFO with a fresh inode number.
fn new_stat() -> Stat {
    static NEXT_INO: AtomicU64 = AtomicU64::new(1);
    let (sec, nsec) = arch::host::time::clock_gettime(0).unwrap_or((0, 0));
    let now = Timespec {
        sec,
        nsec: nsec as u32,
    };
    Stat {
        dev: PIPEFS_DEV,
        ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
        mode: fs::FileType::Fifo.to_mode_bits() | 0o600,
        nlink: 1,
        blksize: PAGE as u32,
        atime: now,
        mtime: now,
        ctime: now,
        ..Default::default()
    }
}

/// Which end of a pipe an open file is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Side {
    Read,
    Write,
    /// Both ends in one file (a FIFO opened `O_RDWR`).
    Both,
}

impl Side {
    fn reads(self) -> bool {
        self != Side::Write
    }

    fn writes(self) -> bool {
        self != Side::Read
    }
}

/// The `FileOps` of one end; dropping the last file of an end closes it.
pub struct PipeEnd {
    pipe: Arc<Pipe>,
    side: Side,
    /// The count of write ends this reader has seen (see `Pipe::poll_read`).
    w_seen: u64,
    /// For a FIFO end opened without its partner and without `O_NONBLOCK`:
    /// the count of partner ends at the open, which must move before the
    /// open returns (`fifo::wait_for_partner`).
    partner: Option<u64>,
}

impl PipeEnd {
    /// Returns the pipe behind this end.
    pub fn pipe(&self) -> &Arc<Pipe> {
        &self.pipe
    }
}

/// Creates a pipe with `readers` and `writers` ends, charged to the caller's
/// user: 16 pages, 2 past the soft limit, `ENFILE` past the hard one (for
/// the unprivileged).
fn new_pipe_with(readers: usize, writers: usize) -> Result<Arc<Pipe>> {
    let (r, w) = (readers as u64, writers as u64);
    let (user, unprivileged) = current_user();
    let mut pages = DEFAULT_SIZE / PAGE;
    let mut total = account_pipe_buffers(user, 0, pages);
    if too_many_pipe_buffers_soft(total) && unprivileged {
        total = account_pipe_buffers(user, pages, PIPE_MIN_DEF_BUFFERS);
        pages = PIPE_MIN_DEF_BUFFERS;
    }
    if too_many_pipe_buffers_hard(total) && unprivileged {
        account_pipe_buffers(user, pages, 0);
        return Err(Errno::ENFILE);
    }
    let frames = crate::boot::kernel().frames.clone();
    Ok(Arc::new(Pipe {
        state: KernelCell::new(State {
            ring: Ring::new(frames, pages),
            readers,
            writers,
            r_counter: r,
            w_counter: w,
        }),
        rd_wait: WaitQueue::new(),
        wr_wait: WaitQueue::new(),
        rdwr_wait: WaitQueue::new(),
        stat: new_stat(),
        user,
    }))
}

impl Drop for Pipe {
    fn drop(&mut self) {
        let pages = self.state().ring.max_pages();
        account_pipe_buffers(self.user, pages, 0);
    }
}

/// Creates a pipe and returns its (read, write) ends.
pub fn new_pipe() -> Result<(Arc<PipeEnd>, Arc<PipeEnd>)> {
    let pipe = new_pipe_with(1, 1)?;
    let end = |side| {
        Arc::new(PipeEnd {
            pipe: pipe.clone(),
            side,
            w_seen: 0,
            partner: None,
        })
    };
    Ok((end(Side::Read), end(Side::Write)))
}

impl Drop for PipeEnd {
    fn drop(&mut self) {
        {
            let mut s = self.pipe.state();
            if self.side.reads() {
                s.readers -= 1;
            }
            if self.side.writes() {
                s.writers -= 1;
            }
        }
        if self.side.reads() {
            self.pipe.wake_writers();
        }
        if self.side.writes() {
            self.pipe.wake_readers();
        }
    }
}

impl FileOps for PipeEnd {
    fn read(&self, _pos: u64, buf: &mut [u8]) -> Result<usize> {
        match self.side.reads() {
            true => self.pipe.read(buf),
            false => Err(Errno::EBADF),
        }
    }
    fn write(&self, _pos: u64, data: &[u8]) -> Result<usize> {
        match self.side.writes() {
            true => self.pipe.write(data),
            false => Err(Errno::EBADF),
        }
    }
    fn poll(&self) -> PollEvents {
        match self.side {
            Side::Read => self.pipe.poll_read(self.w_seen),
            Side::Write => self.pipe.poll_write(),
            Side::Both => self.pipe.poll_read(self.w_seen) | self.pipe.poll_write(),
        }
    }
    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(match self.side {
            Side::Read => &self.pipe.rd_wait,
            Side::Write => &self.pipe.wr_wait,
            Side::Both => &self.pipe.rdwr_wait,
        })
    }
    fn seekable(&self) -> bool {
        false
    }
    fn is_stream(&self) -> bool {
        true
    }
    fn stat(&self) -> Result<Stat> {
        Ok(self.pipe.stat)
    }
    /// FIONREAD: the bytes buffered.
    fn ioctl(&self, user: &dyn UserMemory, cmd: u32, arg: u64) -> Result<u64> {
        const FIONREAD: u32 = 0x541b;
        if cmd != FIONREAD {
            return Err(Errno::ENOTTY);
        }
        UserPtr::<i32>::new(arg).write(user, &(self.pipe.buffered() as i32))?;
        Ok(0)
    }
    fn open_pending(&self) -> bool {
        self.partner_pending()
    }
}

/// Returns the pipe an open file is an end of, if it is one (for splice,
/// tee, vmsplice and the pipe fcntls: `File::ops_as`).
pub fn pipe_of(f: &fs::File) -> Option<&Arc<Pipe>> {
    f.ops_as::<PipeEnd>().map(PipeEnd::pipe)
}
