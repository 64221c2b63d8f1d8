//! FIFOs (fifo(7)): opening a FIFO inode gives an end of the one pipe every
//! opener of that inode shares while any end is open (the data goes with the
//! last close), which the inode keeps (`InodeState::fifo_pipe`, Linux's
//! `i_pipe`). As Linux's fifo_open: a reader without `O_NONBLOCK` waits
//! until a writer opens, a writer until a reader does (both interruptibly),
//! `O_WRONLY | O_NONBLOCK` without a reader is `ENXIO`, and `O_RDWR` opens
//! both ends at once and never waits. `open` makes the end; the open system
//! calls then wait for the partner (`wait_for_partner`), as they do all
//! sleeping.

use super::{new_pipe_with, PipeEnd, Side};
use crate::sleep::{wait_event, Interruptible};
use crate::task::Task;
use arch::{Errno, Result};
use fs::{File, FileOps, Inode, OpenFlags};
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

/// Waits, if `f` is a FIFO end opened without its partner and without
/// `O_NONBLOCK`, until a partner end opens; `ERESTARTSYS` if a signal comes
/// first (the open fails and the end closes).
pub fn wait_for_partner(task: &Task, f: &File) -> Result<()> {
    let Some(end) = f.ops().as_any().downcast_ref::<PipeEnd>() else {
        return Ok(());
    };
    let Some(seen) = end.partner else {
        return Ok(());
    };
    let pipe = &end.pipe;
    let (queue, counter): (_, fn(&super::State) -> u64) = match end.side {
        Side::Read => (&pipe.rd_wait, |s| s.w_counter),
        _ => (&pipe.wr_wait, |s| s.r_counter),
    };
    wait_event(task, &[queue], None, Interruptible::Signals, || {
        (counter(&pipe.state()) != seen).then_some(())
    })?;
    Ok(())
}
