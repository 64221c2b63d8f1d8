//! /proc/PID/mem: the process's memory as a file, at offsets that are its
//! addresses (Linux's mem_rw). The open makes the ptrace attach check with
//! the filesystem ids (EACCES) and takes the address space of that moment:
//! after the process execs or is gone, reads and writes find nothing (0).
//! Reads and writes go as a debugger's do, through page protections
//! (FOLL_FORCE: a write to a read-only private page gives the process its
//! own copy), and stop at the first address with nothing mapped: EIO if
//! that is the first byte.

use crate::task::{AccessMode, Process};
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::FileOps;
use mm::Mm;
use std::sync::{Arc, Weak};

/// An open /proc/PID/mem.
pub struct MemFile {
    mm: Weak<KernelCell<Mm>>,
}

/// Opens the memory of `p` for the calling task.
pub fn open(p: &Arc<Process>) -> Result<Arc<dyn FileOps>> {
    if let Some(me) = crate::task::current() {
        if !crate::task::ptrace_may_access(&me.process, p, AccessMode::ATTACH_FSCREDS) {
            return Err(Errno::EACCES);
        }
    }
    let mm = Arc::downgrade(&p.mm.borrow());
    Ok(Arc::new(MemFile { mm }))
}

impl MemFile {
    fn access(&self, len: usize, f: impl FnOnce(&mut Mm) -> usize) -> Result<usize> {
        let Some(mm) = self.mm.upgrade() else {
            return Ok(0);
        };
        let n = f(&mut mm.borrow_mut());
        if n == 0 && len > 0 {
            return Err(Errno::EIO);
        }
        Ok(n)
    }
}

impl FileOps for MemFile {
    fn read(&self, pos: u64, buf: &mut [u8]) -> Result<usize> {
        let len = buf.len();
        self.access(len, |mm| mm.access_remote_read(pos, buf))
    }

    fn write(&self, pos: u64, data: &[u8]) -> Result<usize> {
        self.access(data.len(), |mm| mm.access_remote_write(pos, data))
    }
}
