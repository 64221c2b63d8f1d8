//! Writing a core (Linux's `dump_emit` and `dump_skip`): the headers and
//! notes, then each segment's pages in order, pages never made present left
//! as holes in a file (zeros in a stream). A file core stops at its limits,
//! leaving what was written: a write that would pass RLIMIT_CORE is not made
//! (Linux's dump_emit), one that passes RLIMIT_FSIZE is made up to it (the
//! file system's write check).

use super::elf::{self, Load};
use super::notes::{self, ProcessCore, ThreadCore};
use super::vma;
use crate::sleep::{wait_event, Interruptible};
use crate::task::{Task, TrapContext};
use arch::{Errno, Result};
use fs::File;
use mm::PAGE_SIZE;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long a pipe's reader may leave the dump without taking a byte
/// before the dump is given up.
const PIPE_STALL: Duration = Duration::from_secs(60);

/// Where the bytes of a core go.
pub struct CoreWriter {
    file: Arc<File>,
    /// The dumping task, which sleeps while a pipe is full.
    task: Option<Arc<Task>>,
    /// True for a file (holes are skipped), false for a stream.
    seekable: bool,
    /// The position of the next byte.
    pos: u64,
    /// The end of the last byte written (below `pos` after a hole).
    written: u64,
    /// RLIMIT_CORE and RLIMIT_FSIZE.
    limit: u64,
    fsize: u64,
}

impl CoreWriter {
    /// Returns a writer to file `f` under RLIMIT_CORE `limit` and
    /// RLIMIT_FSIZE `fsize`.
    pub fn file(file: Arc<File>, limit: u64, fsize: u64) -> CoreWriter {
        CoreWriter {
            file,
            task: None,
            seekable: true,
            pos: 0,
            written: 0,
            limit,
            fsize,
        }
    }

    /// Returns a writer to a pipe's write end `file`, for `task`: no
    /// limits (RLIMIT_CORE does not apply to pipes).
    pub fn pipe(file: Arc<File>, task: Arc<Task>) -> CoreWriter {
        CoreWriter {
            file,
            task: Some(task),
            seekable: false,
            pos: 0,
            written: 0,
            limit: u64::MAX,
            fsize: u64::MAX,
        }
    }

    /// Writes `data` to a pipe, sleeping while it is full; the dumping
    /// process is dying, so no signal ends the sleep, only a reader that
    /// takes nothing for PIPE_STALL (ETIMEDOUT) or goes (EPIPE).
    fn write_stream(&self, data: &[u8]) -> Result<usize> {
        let first = self.file.write(data);
        let (Err(Errno::EAGAIN), Some(task), Some(queue)) =
            (&first, &self.task, self.file.ops().wait_queue())
        else {
            return first;
        };
        let deadline = Instant::now() + PIPE_STALL;
        let r = wait_event(
            task,
            &[queue],
            Some(deadline),
            Interruptible::Uninterruptible,
            || match self.file.write(data) {
                Err(Errno::EAGAIN) => None,
                r => Some(r),
            },
        )?;
        r.unwrap_or(Err(Errno::ETIMEDOUT))
    }

    /// Writes `data` at the position.
    fn emit(&mut self, mut data: &[u8]) -> Result<()> {
        if self.pos.saturating_add(data.len() as u64) > self.limit {
            return Err(Errno::EFBIG);
        }
        while !data.is_empty() {
            let n = if self.seekable {
                let room = self.fsize.saturating_sub(self.pos);
                if room == 0 {
                    return Err(Errno::EFBIG);
                }
                let len = data.len().min(room.min(usize::MAX as u64) as usize);
                self.file.pwrite(&data[..len], self.pos)?
            } else {
                self.write_stream(data)?
            };
            if n == 0 {
                return Err(Errno::EIO);
            }
            self.pos += n as u64;
            self.written = self.pos;
            data = &data[n..];
        }
        Ok(())
    }

    /// Leaves `len` zero bytes: a hole in a file.
    fn skip(&mut self, len: u64) -> Result<()> {
        if !self.seekable {
            let zeros = vec![0u8; PAGE_SIZE as usize];
            let mut left = len;
            while left > 0 {
                let n = left.min(PAGE_SIZE);
                self.emit(&zeros[..n as usize])?;
                left -= n;
            }
            return Ok(());
        }
        self.pos += len;
        Ok(())
    }

    /// Makes a file as long as the position, when it ends in a hole.
    fn finish(&mut self) -> Result<()> {
        if self.seekable && self.pos > self.written {
            self.pos -= 1;
            self.emit(&[0])?;
        }
        Ok(())
    }
}

/// Writes the core of the process of `ctx`: `core` and `threads` for the
/// notes, its memory for the segments.
pub fn write_core(
    w: &mut CoreWriter,
    ctx: &TrapContext,
    core: &ProcessCore,
    threads: &[ThreadCore],
) -> Result<()> {
    let mm = ctx.task.mm();
    let loads: Vec<Load> = vma::segments(&mut mm.borrow_mut(), vma::DEFAULT_FILTER);
    let notes = elf::note_segment(&notes::notes(core, threads));
    let phnum = loads.len() as u64 + 1;
    let notes_at = elf::EHDR_SIZE + elf::PHDR_SIZE * phnum;
    let data_start = elf::data_start(notes_at + notes.len() as u64);
    w.emit(&elf::headers(&loads, notes.len() as u64, data_start))?;
    w.emit(&notes)?;
    w.skip(data_start - w.pos)?;
    let mut page = vec![0u8; PAGE_SIZE as usize];
    for l in &loads {
        let mut addr = l.vaddr;
        while addr < l.vaddr + l.filesz {
            if vma::read_page(&mut mm.borrow_mut(), addr, &mut page) {
                w.emit(&page)?;
            } else {
                w.skip(PAGE_SIZE)?;
            }
            addr += PAGE_SIZE;
        }
    }
    w.finish()
}
