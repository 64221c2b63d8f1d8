//! Stubs used again. When the last thread of a guest process ends, its stub
//! need not die with it: the pool's thread empties it and starts a new
//! guest thread in it (`renew`), which the next fork or exec takes. That
//! costs a host thread's start in a running process, where a new stub costs
//! an `execve`, its start-up and, at its end, the teardown of a host
//! process.
//!
//! Nothing of the old guest process reaches the next one. Its threads are
//! gone — the host says so (its count of the stub's threads), not the
//! message area, which guest code can write: a guest thread that ignored
//! the kernel's order to end keeps the stub from being used again, and it is
//! killed. What is left is the mapper, which guest code cannot reach (it
//! reads only the control page, read-only to the guest, and has a filter of
//! its own). The guest's host mappings are removed whatever the kernel's
//! record of them says, and the message area given back to the host (it
//! reads zeros after). The new guest thread starts as in a new stub: its
//! signal mask, alternate stack, filter and registers are the mapper's and
//! its start code's. Its stub's earlier CPU time is not counted to the next
//! process.

use super::handle::Stub;
use super::layout::SC_SYSMSG;
use super::spawn::spawn_thread;
use super::{StubThread, TID};
use crate::abi::errno::{Errno, Result};
use crate::backend::stub_process;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// How long the pool waits for the guest threads of an ended process to
/// leave its stub; a stub whose threads take longer is killed.
const GONE_MS: u64 = 20;

/// Empties `stub`, whose guest process ended, and starts a guest thread in
/// it; the caller kills the stub on an error.
pub(super) fn renew(stub: &Arc<Stub>) -> Result<StubThread> {
    await_threads_gone(stub)?;
    stub.renew()?;
    let t = spawn_thread(stub)?;
    if t.slot != SC_SYSMSG {
        return Err(Errno::EIO);
    }
    stub.lead.store(t.tid, Ordering::Relaxed);
    Ok(t)
}

/// Waits until the host counts no thread in `stub` but its mapper.
fn await_threads_gone(stub: &Stub) -> Result<()> {
    let deadline = crate::host::time::monotonic_ns() + GONE_MS * 1_000_000;
    loop {
        let threads = stub.pid.with(stub_process::host_threads);
        if threads == 1 {
            return Ok(());
        }
        if threads == 0 || crate::host::time::monotonic_ns() > deadline {
            return Err(Errno::EBUSY);
        }
        // The host clears the first slot's tid, and wakes its waiters, when
        // that thread ends.
        let tid = stub.shm.word(SC_SYSMSG + TID).load(Ordering::Acquire);
        if tid != 0 {
            stub.shm.wait(SC_SYSMSG + TID, tid, 1);
        } else {
            std::thread::yield_now();
        }
    }
}
