//! Guest threads kept for a process's next threads. When a task ends while
//! others of its process go on, its guest thread need not end with it: it
//! waits in the handler at its last trap, exactly as a new thread waits at
//! its first, and the process's next thread takes it over (`unpark`)
//! without a host thread's start, an alternate stack, a filter's
//! installation and a first trap. The kernel writes every register, the
//! FPU state and the FS/GS bases into the frame before it resumes it, as
//! for a new thread. It stays in its process: guest code that fooled the
//! kernel into taking a running thread for a parked one only gets its own
//! process's thread back. A thread with host debug registers set, or in a
//! stub whose threads have a nice value, is not kept; nor more than
//! `PARK_MAX` of them; they end with the stub's last live thread.

use super::handle::{Slot, Slots, Stub};
use super::layout::{SC_SLOT_SIZE, SC_SYSMSG};
use super::shm::Shm;
use super::{StubThread, EXIT, IN_KERNEL, REP};
use crate::host::time::ThreadClock;
use std::sync::atomic::Ordering;

/// How many ended threads a stub keeps at most.
const PARK_MAX: usize = 4;

/// A guest thread kept in the handler at its last trap (ended: dropping it
/// leaves the host thread alone), with the host CPU time it had used and
/// its clock.
pub(super) struct Parked {
    t: StubThread,
    cpu: (u64, ThreadClock),
}

fn index(slot: u64) -> usize {
    ((slot - SC_SYSMSG) / SC_SLOT_SIZE) as usize
}

/// Lets the guest thread of `slot`, stopped at trap `req`, go on to end.
pub(super) fn tell_to_end(shm: &Shm, slot: u64, req: u32) {
    let _ = shm.write(slot + EXIT, &1u32);
    shm.word(slot + REP).store(req, Ordering::Release);
    shm.wake(slot + REP);
}

impl Stub {
    /// Keeps `p`, whose task ended, for the process's next thread: not if
    /// no other guest thread of the stub lives (the process is ending), nor
    /// past `PARK_MAX`.
    fn park(&self, p: Parked) -> bool {
        let mut s = self.slots.lock();
        let i = index(p.t.slot);
        let others = s
            .state
            .iter()
            .enumerate()
            .any(|(j, &u)| j != i && u == Slot::Live);
        if s.ending || !others || s.parked.len() >= PARK_MAX || self.niced.load(Ordering::Relaxed) {
            return false;
        }
        s.state[i] = Slot::Parked;
        s.parked.push(p);
        true
    }

    /// Takes a kept thread for a new one of the process.
    pub(super) fn unpark(&self) -> Option<Parked> {
        let mut s = self.slots.lock();
        if s.ending {
            return None;
        }
        let p = s.parked.pop()?;
        s.state[index(p.t.slot)] = Slot::Live;
        Some(p)
    }

    /// Tells the kept threads to end: the stub's last live one did.
    pub(super) fn end_parked(&self, s: &mut Slots) {
        for p in s.parked.drain(..) {
            tell_to_end(&self.shm, p.t.slot, p.t.req);
            s.state[index(p.t.slot)] = Slot::Ending;
        }
    }
}

impl StubThread {
    /// Keeps the thread, whose task ended, for the process's next one (its
    /// host thread has used `cpu.0` of CPU time, read from clock `cpu.1`);
    /// false if it may not.
    pub(super) fn park(&mut self, cpu: (u64, ThreadClock)) -> bool {
        if self.ended || self.debugregs || cpu.0 == 0 || self.has_ended() {
            return false;
        }
        if std::mem::take(&mut self.in_kernel) {
            IN_KERNEL.fetch_sub(1, Ordering::Relaxed);
        }
        let mut t = self.clone();
        t.ended = true;
        let p = Parked { t, cpu };
        // Refused, the clone drops as ended and this one ends as any other.
        let kept = self.stub.park(p);
        self.ended = kept;
        kept
    }

    /// Returns the kept thread `p` for a new task, and its CPU time so far
    /// and clock.
    pub(super) fn unparked(p: Parked) -> (StubThread, (u64, ThreadClock)) {
        let mut t = p.t;
        t.ended = false;
        // Set at the first resume, whatever they are now.
        t.fs_base = u64::MAX;
        t.gs_base = u64::MAX;
        t.spread = false;
        t.quick = 0;
        (t, p.cpu)
    }
}
