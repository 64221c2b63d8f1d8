//! Per-task I/O accounting, Linux's `struct task_io_accounting`
//! (include/linux/task_io_accounting_ops.h) shown by /proc/PID/io: the
//! characters the read and write families moved (`rchar`, `wchar`) and how
//! many such calls were made (`syscr`, `syscw`), counted as fs/read_write.c
//! counts them. `read_bytes` and `write_bytes` (storage I/O the task caused)
//! stay 0: block reads and write-back happen in the page cache and at sync
//! with no owner recorded, so there is nothing honest to attribute, as on a
//! Linux built without CONFIG_TASK_IO_ACCOUNTING's block hooks. An exiting
//! thread adds its counts to its process (Linux's `__exit_signal`), a
//! reaped child adds its process's to its parent's (`wait_task_zombie`).

use super::Task;
use arch::{Errno, Result};

/// The counters of one task, or the sums a process keeps.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct IoAccounting {
    pub rchar: u64,
    pub wchar: u64,
    pub syscr: u64,
    pub syscw: u64,
    pub read_bytes: u64,
    pub write_bytes: u64,
    pub cancelled_write_bytes: u64,
}

impl IoAccounting {
    /// Adds `o`'s counts to these.
    pub fn add(&mut self, o: &IoAccounting) {
        self.rchar += o.rchar;
        self.wchar += o.wchar;
        self.syscr += o.syscr;
        self.syscw += o.syscw;
        self.read_bytes += o.read_bytes;
        self.write_bytes += o.write_bytes;
        self.cancelled_write_bytes += o.cancelled_write_bytes;
    }

    /// Returns the text of /proc/PID/io.
    pub fn render(&self) -> String {
        format!(
            "rchar: {}\nwchar: {}\nsyscr: {}\nsyscw: {}\nread_bytes: {}\nwrite_bytes: {}\ncancelled_write_bytes: {}\n",
            self.rchar,
            self.wchar,
            self.syscr,
            self.syscw,
            self.read_bytes,
            self.write_bytes,
            self.cancelled_write_bytes
        )
    }
}

/// Whether a failed call got as far as counting: vfs_read and vfs_write
/// return EBADF for a file not open for it before they count.
fn reached(r: &Result<u64>) -> bool {
    !matches!(r, Err(Errno::EBADF))
}

/// Counts a read-family call by `task` that returned `r` (add_rchar and
/// inc_syscr).
pub fn account_read(task: &Task, r: &Result<u64>) {
    if reached(r) {
        let mut a = task.ioac.borrow_mut();
        a.rchar += r.as_ref().copied().unwrap_or(0);
        a.syscr += 1;
    }
}

/// Counts a write-family call by `task` that returned `r` (add_wchar and
/// inc_syscw).
pub fn account_write(task: &Task, r: &Result<u64>) {
    if reached(r) {
        let mut a = task.ioac.borrow_mut();
        a.wchar += r.as_ref().copied().unwrap_or(0);
        a.syscw += 1;
    }
}

/// Counts a call that reads and writes at once (sendfile, copy_file_range):
/// both characters and both calls.
pub fn account_copy(task: &Task, r: &Result<u64>) {
    let mut a = task.ioac.borrow_mut();
    let n = r.as_ref().copied().unwrap_or(0);
    a.rchar += n;
    a.wchar += n;
    a.syscr += 1;
    a.syscw += 1;
}

/// Counts a vectored call (readv, preadv...): do_readv counts even when the
/// descriptor is bad.
pub fn account_vectored(task: &Task, write: bool, r: &Result<u64>) {
    let mut a = task.ioac.borrow_mut();
    let n = r.as_ref().copied().unwrap_or(0);
    if write {
        a.wchar += n;
        a.syscw += 1;
    } else {
        a.rchar += n;
        a.syscr += 1;
    }
}
