//! FIFOs (fifo(7)): opening a FIFO inode gives an end of the one pipe every
//! opener of that inode shares while any end is open (the data goes with the
//! last close), which the inode keeps (`InodeState::fifo_pipe`, Linux's
//! `i_pipe`). As Linux's fifo_open: a reader without `O_NONBLOCK` waits
//! until a writer opens, a writer until a reader does (both interruptibly),
//! `O_WRONLY | O_NONBLOCK` without a reader is `ENXIO`, and `O_RDWR` opens
//! both ends at once and never waits. `open` makes the end; the open system
//! calls then wait for the partner while the end says so
//! (`FileOps::open_pending`), as they do all sleeping.

use super::{new_pipe_with, PipeEnd, Side};
use arch::{Errno, Result};
use fs::{FileOps, Inode, OpenFlags};
use std::sync::Arc;

/// Opens an end of the FIFO `inode` as `flags` ask.
pub fn open(inode: &Arc<dyn Inode>, flags: OpenFlags) -> Result<Arc<dyn FileOps>> {
    // Linux's fifo_open: ENOMEM if the user may have no more pipes.
    let pipe = inode
        .inode_state()
        .fifo_pipe(|| new_pipe_with(0, 0).map_err(|_| Errno::ENOMEM))?;
    let nonblock = flags.contains(OpenFlags::O_NONBLOCK);
    let side = match flags.access_mode() {
        0 => Side::Read,
        1 => Side::Write,
        _ => Side::Both,
    };
    let (w_seen, partner) = {
        let mut s = pipe.state();
        match side {
            Side::Read => {
                s.readers += 1;
                s.r_counter += 1;
                match (s.writers, nonblock) {
                    (0, true) => (s.w_counter, None),
                    (0, false) => (0, Some(s.w_counter)),
                    _ => (0, None),
                }
            }
            Side::Write => {
                if nonblock && s.readers == 0 {
                    return Err(Errno::ENXIO);
                }
                s.writers += 1;
                s.w_counter += 1;
                (0, (s.readers == 0).then_some(s.r_counter))
            }
            Side::Both => {
                s.readers += 1;
                s.writers += 1;
                s.r_counter += 1;
                s.w_counter += 1;
                (0, None)
            }
        }
    };
    // Openers waiting for this end, and readers and writers waiting for data
    // or room, look again.
    pipe.wake_readers();
    pipe.wake_writers();
    Ok(Arc::new(PipeEnd {
        pipe,
        side,
        w_seen,
        partner,
    }))
}

impl PipeEnd {
    /// Returns whether this FIFO end was opened without its partner and none
    /// has opened since.
    pub(super) fn partner_pending(&self) -> bool {
        let Some(seen) = self.partner else {
            return false;
        };
        let s = self.pipe.state();
        let counter = match self.side {
            Side::Read => s.w_counter,
            _ => s.r_counter,
        };
        counter == seen
    }
}
