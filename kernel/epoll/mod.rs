//! epoll instances (epoll(7)): a set of watched (descriptor, open file) pairs
//! and the queue their waiters sleep on. Each entry is a `Waker` on its file's
//! wait queue: a wake-up marks the entry (the edge an edge-triggered entry waits
//! for) and passes on to the instance's own queue, where epoll_wait sleepers
//! and pollers of the epoll file itself (nested epolls, poll, select) wait.
//! Readiness is always asked of the file's `poll`. An entry lives as long as
//! its open file does, not its descriptor, as on Linux. The system calls are
//! kernel/syscall/epoll.rs. Each user's entries are bounded (`watches`).

pub mod watches;

use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{File, FileOps, PollEvents, Stat, WaitQueue, Waker};
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

pub const EPOLLEXCLUSIVE: u32 = 1 << 28;
pub const EPOLLWAKEUP: u32 = 1 << 29;
pub const EPOLLONESHOT: u32 = 1 << 30;
pub const EPOLLET: u32 = 1 << 31;
/// How deep epoll instances may watch each other (Linux's EP_MAX_NESTS).
const MAX_NESTS: usize = 4;

/// One watched (fd, file) pair (Linux's `epitem`).
struct Entry {
    fd: i32,
    file: Weak<File>,
    /// The events asked for, with the EPOLLET/EPOLLONESHOT/... flags.
    events: AtomicU32,
    data: AtomicU64,
    /// Set when the file's queue was woken: an edge-triggered entry reports
    /// only after one.
    arrived: AtomicBool,
    /// Set once a one-shot entry reported, until EPOLL_CTL_MOD re-arms it.
    disarmed: AtomicBool,
    /// The instance's queue, woken with the file's.
    owner: Arc<WaitQueue>,
    /// The real uid the entry is charged to.
    user: u32,
}

impl Drop for Entry {
    fn drop(&mut self) {
        watches::uncharge(self.user);
    }
}

impl Waker for Entry {
    fn wake(&self) {
        self.arrived.store(true, Ordering::Relaxed);
        self.owner.wake_all();
    }
}

impl Entry {
    fn is(&self, fd: i32, file: &Arc<File>) -> bool {
        self.fd == fd && std::ptr::eq(self.file.as_ptr(), Arc::as_ptr(file))
    }

    /// Returns the events it would report now (empty if none or disarmed).
    fn ready(&self, file: &File) -> PollEvents {
        let events = self.events.load(Ordering::Relaxed);
        if self.disarmed.load(Ordering::Relaxed) {
            return PollEvents::empty();
        }
        if events & EPOLLET != 0 && !self.arrived.load(Ordering::Relaxed) {
            return PollEvents::empty();
        }
        let wanted =
            PollEvents::from_bits_truncate(events) | PollEvents::POLLERR | PollEvents::POLLHUP;
        file.ops().poll() & wanted
    }

    fn waker(self: &Arc<Self>) -> Arc<dyn Waker> {
        self.clone()
    }
}

/// An epoll instance: the open file epoll_create returns.
#[derive(Default)]
pub struct Epoll {
    entries: KernelCell<Vec<Arc<Entry>>>,
    wait: Arc<WaitQueue>,
}

impl Epoll {
    /// Returns the live entries, dropping those whose file was closed everywhere.
    fn live(&self) -> Vec<(Arc<Entry>, Arc<File>)> {
        let mut entries = self.entries.borrow_mut();
        entries.retain(|e| e.file.strong_count() > 0);
        entries
            .iter()
            .filter_map(|e| Some((e.clone(), e.file.upgrade()?)))
            .collect()
    }

    fn find(&self, fd: i32, file: &Arc<File>) -> Option<Arc<Entry>> {
        self.live()
            .into_iter()
            .map(|(e, _)| e)
            .find(|e| e.is(fd, file))
    }

    /// Returns the file of the `nth` (from 0) live entry added under
    /// descriptor `fd` (kcmp's KCMP_EPOLL_TFD).
    pub fn target(&self, fd: i32, nth: u32) -> Option<Arc<File>> {
        self.live()
            .into_iter()
            .filter(|(e, _)| e.fd == fd)
            .nth(nth as usize)
            .map(|(_, f)| f)
    }

    /// Watches `file` under descriptor `fd` (EPOLL_CTL_ADD); `EEXIST` if it is.
    pub fn add(&self, fd: i32, file: &Arc<File>, events: u32, data: u64) -> Result<()> {
        if self.find(fd, file).is_some() {
            return Err(Errno::EEXIST);
        }
        let queue = file.ops().wait_queue().ok_or(Errno::EPERM)?;
        let user = crate::task::current().map_or(0, |t| t.process.cred.borrow().uid);
        if !watches::charge(user) {
            return Err(Errno::ENOSPC);
        }
        let entry = Arc::new(Entry {
            fd,
            file: Arc::downgrade(file),
            events: AtomicU32::new(events),
            data: AtomicU64::new(data),
            arrived: AtomicBool::new(true),
            disarmed: AtomicBool::new(false),
            owner: self.wait.clone(),
            user,
        });
        queue.add(&entry.waker());
        self.entries.borrow_mut().push(entry);
        self.wait.wake_all();
        Ok(())
    }

    /// Changes what an entry watches for and re-arms it (EPOLL_CTL_MOD).
    pub fn modify(&self, fd: i32, file: &Arc<File>, events: u32, data: u64) -> Result<()> {
        let entry = self.find(fd, file).ok_or(Errno::ENOENT)?;
        if entry.events.load(Ordering::Relaxed) & EPOLLEXCLUSIVE != 0 {
            return Err(Errno::EINVAL);
        }
        entry.events.store(events, Ordering::Relaxed);
        entry.data.store(data, Ordering::Relaxed);
        entry.disarmed.store(false, Ordering::Relaxed);
        entry.arrived.store(true, Ordering::Relaxed);
        self.wait.wake_all();
        Ok(())
    }

    /// Stops watching (EPOLL_CTL_DEL).
    pub fn delete(&self, fd: i32, file: &Arc<File>) -> Result<()> {
        let entry = self.find(fd, file).ok_or(Errno::ENOENT)?;
        if let Some(q) = file.ops().wait_queue() {
            q.remove(&entry.waker());
        }
        self.entries
            .borrow_mut()
            .retain(|e| !Arc::ptr_eq(e, &entry));
        Ok(())
    }

    /// Takes up to `max` ready events as (events, data): clears the edge of
    /// edge-triggered entries, disarms one-shot ones, and moves the reported
    /// entries to the back so that the others get their turn next time.
    pub fn collect(&self, max: usize) -> Vec<(u32, u64)> {
        let mut out = Vec::new();
        let mut reported = Vec::new();
        for (entry, file) in self.live() {
            if out.len() >= max {
                break;
            }
            let ev = entry.ready(&file);
            entry.arrived.store(false, Ordering::Relaxed);
            if ev.is_empty() {
                continue;
            }
            if entry.events.load(Ordering::Relaxed) & EPOLLONESHOT != 0 {
                entry.disarmed.store(true, Ordering::Relaxed);
            }
            out.push((ev.bits(), entry.data.load(Ordering::Relaxed)));
            reported.push(entry);
        }
        let mut entries = self.entries.borrow_mut();
        entries.retain(|e| !reported.iter().any(|r| Arc::ptr_eq(e, r)));
        entries.extend(reported);
        out
    }

    /// Returns the instance's wait queue, woken when an entry may be ready.
    pub fn queue(&self) -> &WaitQueue {
        &self.wait
    }

    /// Returns whether `target` is reachable from here through nested epoll
    /// entries; `ELOOP` past Linux's nesting limit.
    pub fn reaches(&self, target: &Epoll, depth: usize) -> Result<bool> {
        if depth > MAX_NESTS {
            return Err(Errno::ELOOP);
        }
        for (_, file) in self.live() {
            if let Some(inner) = epoll_of(&file) {
                if std::ptr::eq(inner, target) || inner.reaches(target, depth + 1)? {
                    return Ok(true);
                }
            }
        }
        Ok(false)
    }
}

impl FileOps for Epoll {
    fn read(&self, _: u64, _: &mut [u8]) -> Result<usize> {
        Err(Errno::EINVAL)
    }
    fn write(&self, _: u64, _: &[u8]) -> Result<usize> {
        Err(Errno::EINVAL)
    }
    /// Readable while some entry would report (without taking its edge).
    fn poll(&self) -> PollEvents {
        if self.live().iter().any(|(e, f)| !e.ready(f).is_empty()) {
            PollEvents::POLLIN | PollEvents::POLLRDNORM
        } else {
            PollEvents::empty()
        }
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
        Some("[eventpoll]")
    }
}

/// Returns the epoll instance an open file is, if it is one (Linux's
/// `is_file_epoll`; `File::ops_as`): for epoll_ctl's instance and for the
/// nested instances its loop check walks.
pub fn epoll_of(f: &File) -> Option<&Epoll> {
    f.ops_as::<Epoll>()
}

#[cfg(test)]
mod tests;
