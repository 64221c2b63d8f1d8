//! The per-task file descriptor table: descriptor numbers to open files plus the
//! close-on-exec bit. `Clone` gives fork(2) its copy; sharing (CLONE_FILES) is the
//! kernel's `Arc<Mutex<FdTable>>`.

use crate::file::File;
use arch::{Errno, Result};
use std::sync::Arc;

/// Descriptors a table may hold (RLIMIT_NOFILE's default soft limit).
pub const FD_LIMIT: usize = 1024;

#[derive(Clone)]
struct Slot {
    file: Arc<File>,
    cloexec: bool,
}

/// A table of open file descriptors.
#[derive(Clone, Default)]
pub struct FdTable {
    slots: Vec<Option<Slot>>,
}

impl FdTable {
    /// Creates an empty table.
    pub fn new() -> Self {
        FdTable { slots: Vec::new() }
    }

    /// Installs `f` at the lowest free descriptor (EMFILE if none).
    pub fn alloc(&mut self, f: Arc<File>, cloexec: bool) -> Result<i32> {
        self.alloc_from(0, f, cloexec)
    }

    /// Installs `f` at the lowest free descriptor >= `min` (F_DUPFD).
    pub fn alloc_from(&mut self, min: i32, f: Arc<File>, cloexec: bool) -> Result<i32> {
        let min = usize::try_from(min).map_err(|_| Errno::EINVAL)?;
        if min >= FD_LIMIT {
            return Err(Errno::EINVAL);
        }
        let fd = (min..FD_LIMIT)
            .find(|&i| self.slots.get(i).is_none_or(|s| s.is_none()))
            .ok_or(Errno::EMFILE)?;
        self.put(fd, Slot { file: f, cloexec });
        Ok(fd as i32)
    }

    /// Installs `f` at `fd`, closing what was there (dup2).
    pub fn install(&mut self, fd: i32, f: Arc<File>, cloexec: bool) -> Result<()> {
        let fd = Self::index(fd)?;
        self.put(fd, Slot { file: f, cloexec });
        Ok(())
    }

    /// Returns the file at `fd` (EBADF).
    pub fn get(&self, fd: i32) -> Result<Arc<File>> {
        Ok(self.slot(fd)?.file.clone())
    }

    /// Closes `fd` (EBADF if not open).
    pub fn close(&mut self, fd: i32) -> Result<()> {
        self.slot(fd)?;
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
            if s.as_ref().is_some_and(|s| s.cloexec) {
                *s = None;
            }
        }
        while self.slots.last().is_some_and(|s| s.is_none()) {
            self.slots.pop();
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
            Ok(i) if i < FD_LIMIT => Ok(i),
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
