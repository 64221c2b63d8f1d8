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

use super::frame::Frame;
use super::handle::{Slot, Slots, Stub};
use super::layout::{SC_SLOT_SIZE, SC_SYSMSG};
use super::shm::Shm;
use super::{StubThread, EXIT, IN_KERNEL, REP};
use crate::abi::structs::Ucontext;
use crate::host::time::ThreadClock;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// How many ended threads a stub keeps at most.
const PARK_MAX: usize = 4;

/// A guest thread kept in the handler at its last trap.
pub(super) struct Parked {
    slot: u64,
    tid: libc::pid_t,
    frame: Frame,
    uc: Ucontext,
    cs: u64,
    ss: u64,
    req: u32,
    spin: u64,
    /// The host CPU time the thread had used when it was kept, and its
    /// clock.
    pub(super) cpu: (u64, ThreadClock),
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
        let i = index(p.slot);
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
        s.state[index(p.slot)] = Slot::Live;
        Some(p)
    }

    /// Tells the kept threads to end: the stub's last live one did.
    pub(super) fn end_parked(&self, s: &mut Slots) {
        for p in s.parked.drain(..) {
            tell_to_end(&self.shm, p.slot, p.req);
            s.state[index(p.slot)] = Slot::Ending;
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
        let p = Parked {
            slot: self.slot,
            tid: self.tid,
            frame: self.frame,
            uc: self.uc,
            cs: self.cs,
            ss: self.ss,
            req: self.req,
            spin: self.spin,
            cpu,
        };
        if !self.stub.park(p) {
            return false;
        }
        self.ended = true;
        if std::mem::take(&mut self.in_kernel) {
            IN_KERNEL.fetch_sub(1, Ordering::Relaxed);
        }
        true
    }

    /// Returns the kept thread `p` of `stub` for a new task, and its CPU
    /// time so far and clock.
    pub(super) fn unparked(stub: Arc<Stub>, p: Parked) -> (StubThread, (u64, ThreadClock)) {
        let t = StubThread {
            stub,
            slot: p.slot,
            tid: p.tid,
            frame: p.frame,
            uc: p.uc,
            cs: p.cs,
            ss: p.ss,
            // Set at the first resume, whatever they are now.
            fs_base: u64::MAX,
            gs_base: u64::MAX,
            req: p.req,
            spread: false,
            quick: 0,
            in_kernel: false,
            spin: p.spin,
            ended: false,
            debugregs: false,
        };
        (t, p.cpu)
    }
}
