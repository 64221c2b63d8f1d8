//! What splice(2), tee(2) and vmsplice(2) need of a pipe beyond read and
//! write: how much it holds (`available`), looking at the bytes without
//! taking them (`peek`), taking them once they went elsewhere (`consume`),
//! and the room a write takes whole (`room`). Data is copied, never moved
//! page by page; the system calls (kernel/syscall/splice.rs) do the waiting
//! on the ends' queues.

use super::Pipe;
use arch::{Errno, Result};

impl Pipe {
    /// Returns how many bytes are buffered: `EAGAIN` if none while writers
    /// remain, 0 once none do.
    pub fn available(&self) -> Result<usize> {
        let s = self.state();
        match s.ring.buffered() {
            0 if s.writers > 0 => Err(Errno::EAGAIN),
            n => Ok(n),
        }
    }

    /// Copies up to `buf.len()` buffered bytes out, leaving them in the
    /// pipe; returns how many.
    pub fn peek(&self, buf: &mut [u8]) -> usize {
        self.state().ring.peek(buf)
    }

    /// Drops the first `n` buffered bytes (which `peek` showed) and wakes
    /// the writers.
    pub fn consume(&self, n: usize) {
        if self.state().ring.discard(n) > 0 {
            self.wake_writers();
        }
    }

    /// Returns how many bytes a write takes whole now (0 when full);
    /// `EPIPE` without readers.
    pub fn room(&self) -> Result<usize> {
        let s = self.state();
        if s.readers == 0 {
            return Err(Errno::EPIPE);
        }
        Ok(s.ring.room())
    }

    /// Writes `data`, which `room` said fits, and wakes the readers.
    pub fn put(&self, data: &[u8]) -> Result<usize> {
        if data.is_empty() {
            return Ok(0);
        }
        self.write(data)
    }
}
