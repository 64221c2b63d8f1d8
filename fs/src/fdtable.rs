//! The per-task file descriptor table: descriptor numbers to open files plus the
//! close-on-exec bit. `Clone` gives fork(2) its copy; sharing (CLONE_FILES) is the
//! kernel's `Arc<Mutex<FdTable>>`. A table is the owner of POSIX record locks
//! (Linux's `fl_owner`): closing any descriptor of a file drops the table's
//! locks on it, and so does dropping the table (the process's exit).

use crate::file::File;
use crate::locks;
use arch::{Errno, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The most descriptors a table may ever hold: Linux's `fs.nr_open` default,
/// the ceiling of RLIMIT_NOFILE. Each call that makes a descriptor is bounded by
/// the caller's RLIMIT_NOFILE, which it passes as `limit`.
pub const NR_OPEN: usize = 1 << 20;

#[derive(Clone)]
struct Slot {
    file: Arc<File>,
    cloexec: bool,
}

/// A table of open file descriptors.
pub struct FdTable {
    slots: Vec<Option<Slot>>,
    /// A number no other table has had: the owner of its POSIX locks.
    owner: u64,
}

/// Returns a new table owner number.
fn new_owner() -> u64 {
    static NEXT: AtomicU64 = AtomicU64::new(1);
    NEXT.fetch_add(1, Ordering::Relaxed)
}

impl Default for FdTable {
    fn default() -> Self {
        Self::new()
    }
}

impl Clone for FdTable {
    /// Returns a copy with the same open files, a new owner of locks (a
    /// forked child holds none of its parent's POSIX locks).
    fn clone(&self) -> Self {
        FdTable {
            slots: self.slots.clone(),
            owner: new_owner(),
        }
    }
}

impl Drop for FdTable {
    fn drop(&mut self) {
        for s in self.slots.drain(..).flatten() {
            release(&s.file, self.owner);
        }
    }
}

/// Drops the POSIX locks `owner` holds on the file of a descriptor it closes.
fn release(file: &File, owner: u64) {
    if let Some(inode) = file.inode() {
        locks::close_posix(inode.as_ref(), owner);
    }
}

impl FdTable {
    /// Creates an empty table.
    pub fn new() -> Self {
        FdTable {
            slots: Vec::new(),
            owner: new_owner(),
        }
    }

    /// Returns the number that stands for this table as the owner of POSIX
    /// record locks.
    pub fn owner(&self) -> u64 {
        self.owner
    }

    /// Installs `f` at the lowest free descriptor below `limit` (the caller's
    /// RLIMIT_NOFILE; EMFILE if none is free).
    pub fn alloc(&mut self, f: Arc<File>, cloexec: bool, limit: usize) -> Result<i32> {
        self.alloc_from(0, f, cloexec, limit)
    }

    /// Installs `f` at the lowest free descriptor >= `min` and below `limit`
    /// (F_DUPFD: EINVAL if `min` is not below the limit, EMFILE if none is free).
    pub fn alloc_from(
        &mut self,
        min: usize,
        f: Arc<File>,
        cloexec: bool,
        limit: usize,
    ) -> Result<i32> {
        let limit = limit.min(NR_OPEN);
        if min >= limit {
            return Err(Errno::EINVAL);
        }
        let fd = (min..limit)
            .find(|&i| self.slots.get(i).is_none_or(|s| s.is_none()))
            .ok_or(Errno::EMFILE)?;
        self.put(fd, Slot { file: f, cloexec });
        Ok(fd as i32)
    }

    /// Installs `f` at `fd`, closing what was there (dup2; EBADF if `fd` is
    /// not below `limit`, the caller's RLIMIT_NOFILE).
    pub fn install(&mut self, fd: i32, f: Arc<File>, cloexec: bool, limit: usize) -> Result<()> {
        let fd = Self::index(fd)?;
        if fd >= limit {
            return Err(Errno::EBADF);
        }
        if let Some(Some(old)) = self.slots.get(fd) {
            release(&old.file, self.owner);
        }
        self.put(fd, Slot { file: f, cloexec });
        Ok(())
    }

    /// Returns the file at `fd` (EBADF).
    pub fn get(&self, fd: i32) -> Result<Arc<File>> {
        Ok(self.slot(fd)?.file.clone())
    }

    /// Closes `fd` (EBADF if not open).
    pub fn close(&mut self, fd: i32) -> Result<()> {
        let file = self.slot(fd)?.file.clone();
        release(&file, self.owner);
        let i = Self::index(fd)?;
        self.slots[i] = None;
        while self.slots.last().is_some_and(|s| s.is_none()) {
            self.slots.pop();
        }
        Ok(())
    }

    /// Returns the close-on-exec bit of `fd`.
    pub fn cloexec(&self, fd: i32) -> Result<bool> {
        Ok(self.slot(fd)?.cloexec)
    }

    /// Sets the close-on-exec bit of `fd`.
    pub fn set_cloexec(&mut self, fd: i32, on: bool) -> Result<()> {
        let i = Self::index(fd)?;
        match self.slots.get_mut(i) {
            Some(Some(s)) => {
                s.cloexec = on;
                Ok(())
            }
            _ => Err(Errno::EBADF),
        }
    }

    /// Closes every close-on-exec descriptor (execve).
    pub fn close_on_exec(&mut self) {
        for s in self.slots.iter_mut() {
            if let Some(slot) = s.take_if(|s| s.cloexec) {
                release(&slot.file, self.owner);
            }
        }
        while self.slots.last().is_some_and(|s| s.is_none()) {
            self.slots.pop();
        }
    }

    /// Returns the size of the table as Linux would have grown it to hold the
    /// highest open descriptor (`max_fds`: 64, then 128 times a power of two),
    /// which bounds select(2)'s `nfds`.
    pub fn max_fds(&self) -> usize {
        match self.slots.len() {
            0..=64 => 64,
            n => 128 * ((n - 1) / 128 + 1).next_power_of_two(),
        }
    }

    /// Returns the open descriptors in increasing order.
    pub fn fds(&self) -> Vec<i32> {
        (0..self.slots.len())
            .filter(|&i| self.slots[i].is_some())
            .map(|i| i as i32)
            .collect()
    }

    fn index(fd: i32) -> Result<usize> {
        match usize::try_from(fd) {
            Ok(i) if i < NR_OPEN => Ok(i),
            _ => Err(Errno::EBADF),
        }
    }

    fn slot(&self, fd: i32) -> Result<&Slot> {
        match self.slots.get(Self::index(fd)?) {
            Some(Some(s)) => Ok(s),
            _ => Err(Errno::EBADF),
        }
    }

    fn put(&mut self, fd: usize, slot: Slot) {
        if self.slots.len() <= fd {
            self.slots.resize(fd + 1, None);
        }
        self.slots[fd] = Some(slot);
    }
}
