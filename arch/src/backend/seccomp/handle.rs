//! A seccomp stub as the kernel's threads share it — its process, its
//! mapper channel, its slots — and the handle of one guest thread in it.
//!
//! The mapper thread is the only thread of a stub that may map guest RAM: the
//! kernel writes a batch into the control page (read-only in the stub),
//! advances its sequence number and wakes the mapper, which runs the batch and
//! writes its result to the done pipe (which guest code cannot write to: its
//! filter traps `write`). Any kernel thread may use the channel — the owner of
//! the CPU before guest code runs, another to shoot down host mappings at once
//! — so it sits behind a lock in the shared handle.

use super::layout::{
    ScCtrl, SysmsgHead, SC_CTRL, SC_MAX_REQS, SC_MAX_SLOTS, SC_SLOT_SIZE, SC_SYSMSG,
};
use super::place::Placement;
use super::shm::Shm;
use super::spawn::Spin;
use crate::abi::errno::{Errno, Result};
use crate::abi::pod::slice_as_bytes;
use crate::backend::host_tlb::HostTlb;
use crate::backend::stub_process::{self, errno_from_host, request, StubPid};
use crate::backend::{CpuHandle, MapOp};
use crate::host::time::ThreadClock;
use crate::sync::Mutex;
use nix::errno::Errno as HostErrno;
use std::mem::offset_of;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::Arc;

/// The host signal that kicks the guest thread out of guest code.
pub(super) const KICK: i32 = libc::SIGUSR1;

/// A stub process, shared by the CPUs of the guest threads it runs (the
/// tasks of one address space): one host address space, one mapper.
pub(super) struct Stub {
    /// Where its threads run: apart from their kernel threads, where both
    /// sides of a trap poll for the other's answer, or with them.
    pub(super) place: Arc<Placement>,
    /// The stub's host pid; 0 once it is gone.
    pub(super) pid: StubPid,
    /// The mapper thread's host tid.
    mapper_tid: libc::pid_t,
    mapper: Mutex<Mapper>,
    pub(super) shm: Arc<Shm>,
    /// Which slots of the message area have a guest thread.
    pub(super) slots: Mutex<Slots>,
    /// What a new slot's head starts with: the FSGSBASE flag, the polls.
    pub(super) fsgsbase: bool,
    pub(super) spin: Spin,
    /// The stub where the address space's threads go once this one is full.
    overflow: Mutex<std::sync::Weak<Stub>>,
    /// Whether a thread of it was given a nice value (it is not used again).
    pub(super) niced: AtomicBool,
    /// Whether it ever had more than one guest thread since it was started
    /// or emptied (its process clock is then not its one thread's).
    pub(super) multi: AtomicBool,
    /// The host thread of the guest thread on the first slot, which the
    /// mapper's CPU and priority follow.
    pub(super) lead: AtomicI32,
    /// The host CPU time the stub had used when it was last emptied for
    /// another guest process: not that process's.
    cpu_base: AtomicU64,
}

/// The slots of a stub, and whether the stub is ending (no new thread may
/// start in it then).
pub(super) struct Slots {
    pub(super) state: Vec<Slot>,
    pub(super) ending: bool,
    /// The guest threads held for the process's next threads (`park`);
    /// they hold the stub, until its last live thread ends (`end_parked`)
    /// or it is emptied (`renew`).
    pub(super) parked: Vec<super::park::Parked>,
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Slot {
    Free,
    /// A guest thread's.
    Live,
    /// Its thread was told to end and may still run on it: free once the
    /// host has cleared its tid.
    Ending,
    /// Its thread's task ended; the thread waits in the handler for the
    /// process's next one (`park`).
    Parked,
}

/// The shared half of a seccomp CPU: the stub and host thread its guest
/// code runs in, for kicks and accounting.
pub(super) struct ScHandle {
    thread: Mutex<Option<(Arc<Stub>, libc::pid_t)>>,
    /// The host CPU time its host thread had used for earlier tasks (a
    /// parked thread's), and the host's figure last read.
    base: u64,
    pub(super) last_read: AtomicU64,
    /// The host thread's CPU clock, kept open.
    clock: Mutex<ThreadClock>,
    /// When the oldest kick not yet answered by a trap was sent (host
    /// monotonic nanoseconds; 0: none).
    pub(super) kicked_at: AtomicU64,
}

/// The kernel's end of the mapper channel, and the mapping changes queued
/// for it: they sit here, under the handle's lock, so that a shootdown from
/// another thread runs after them, never before.
pub(super) struct Mapper {
    shm: Arc<Shm>,
    /// The read end of the done pipe.
    done: OwnedFd,
    seq: u32,
    /// A batch was sent whose report has not been read.
    in_flight: bool,
    pending: Vec<MapOp>,
    /// What the stub maps now (as of the batches sent).
    tlb: HostTlb,
}

impl Mapper {
    pub(super) fn new(shm: Arc<Shm>, done: OwnedFd) -> Mapper {
        Mapper {
            shm,
            done,
            seq: 0,
            in_flight: false,
            pending: Vec::new(),
            tlb: HostTlb::default(),
        }
    }

    /// Runs the queued changes in the stub; returns once the host has applied
    /// them, or the errno of the first that failed.
    pub(super) fn flush(&mut self) -> Result<()> {
        self.send_queued(0, 0).map(|_| ())
    }

    /// Sends the queued changes and lets the mapper resume the guest thread
    /// of `slot` with reply `rep` once they are applied, without waiting for
    /// them. Returns false if there was nothing to send (the caller resumes
    /// the guest itself).
    pub(super) fn flush_and_resume(&mut self, rep: u32, slot: u64) -> Result<bool> {
        self.send_queued(rep, slot)
    }

    /// Sends the host calls the queue needs, a batch at a time, each awaited
    /// but the last if `rep` is not 0: that one carries the guest's reply.
    fn send_queued(&mut self, rep: u32, slot: u64) -> Result<bool> {
        self.settle()?;
        let ops = self.tlb.filter(std::mem::take(&mut self.pending));
        let mut chunks = ops.chunks(SC_MAX_REQS).peekable();
        while let Some(chunk) = chunks.next() {
            let last = chunks.peek().is_none();
            let resume = if last { rep } else { 0 };
            self.send(chunk, (resume, slot), 0)?;
            if resume == 0 {
                self.settle()?;
            }
        }
        Ok(rep != 0 && !ops.is_empty())
    }

    /// Removes every host mapping of guest memory from the stub, whatever
    /// the kernel's record of them, and forgets what the queue and the last
    /// batch held.
    fn unmap_all(&mut self) -> Result<()> {
        self.settle()?;
        self.pending.clear();
        self.tlb = HostTlb::default();
        let all = MapOp::Unmap {
            vaddr: 0,
            len: crate::backend::ptrace::layout::STUB_CODE,
        };
        self.send(&[all], (0, 0), 0)?;
        self.settle()?;
        let reqs = SC_CTRL + offset_of!(ScCtrl, reqs) as u64;
        let len = SC_MAX_REQS * size_of::<crate::backend::ptrace::layout::StubRequest>();
        self.shm.write_bytes(reqs, &vec![0u8; len])
    }

    /// Has the mapper start a guest thread on `slot` (the address of its
    /// slot), and waits until the host has made it.
    fn spawn(&mut self, slot: u64) -> Result<()> {
        self.settle()?;
        let ss = [slot + crate::PAGE_SIZE, 0, SC_SLOT_SIZE - crate::PAGE_SIZE];
        self.shm
            .write(SC_CTRL + offset_of!(ScCtrl, spawn_ss) as u64, &ss)?;
        self.send(&[], (0, 0), slot)?;
        self.settle()
    }

    /// Writes one batch into the control page and wakes the mapper: the
    /// requests, the reply `rep` for the guest thread of `slot` (none if
    /// `rep` is 0), the slot of a thread to start first (none if 0).
    fn send(&mut self, ops: &[MapOp], (rep, slot): (u32, u64), spawn: u64) -> Result<()> {
        let reqs: Vec<_> = ops.iter().map(request).collect();
        let reqs_at = SC_CTRL + offset_of!(ScCtrl, reqs) as u64;
        self.shm.write_bytes(reqs_at, slice_as_bytes(&reqs))?;
        self.shm.write(
            SC_CTRL + offset_of!(ScCtrl, count) as u64,
            &(reqs.len() as u64),
        )?;
        self.shm
            .write(SC_CTRL + offset_of!(ScCtrl, resume) as u64, &rep)?;
        self.shm
            .write(SC_CTRL + offset_of!(ScCtrl, resume_slot) as u64, &slot)?;
        self.shm
            .write(SC_CTRL + offset_of!(ScCtrl, spawn) as u64, &spawn)?;
        self.seq = self.seq.wrapping_add(1);
        let seq_at = SC_CTRL + offset_of!(ScCtrl, seq) as u64;
        self.shm.word(seq_at).store(self.seq, Ordering::Release);
        self.shm.wake(seq_at);
        self.in_flight = true;
        Ok(())
    }

    /// Reads the mapper's report of the batch in flight, if one is: 1 + errno
    /// bytes.
    fn settle(&mut self) -> Result<()> {
        if !std::mem::take(&mut self.in_flight) {
            return Ok(());
        }
        let mut buf = [0u8; 8192];
        loop {
            // SAFETY: reading into a buffer we own from our pipe descriptor.
            let n =
                unsafe { libc::read(self.done.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
            match n {
                1 => return Ok(()),
                // The stub is gone: every write end closed.
                0 => return Err(Errno::EIO),
                n if n > 1 => {
                    let e = HostErrno::from_raw(n as i32 - 1);
                    log::error!("stub mapper: a mapping request failed: host errno {e}");
                    self.pending.clear();
                    return Err(errno_from_host(e));
                }
                _ if HostErrno::last() == HostErrno::EINTR => continue,
                _ => return Err(errno_from_host(HostErrno::last())),
            }
        }
    }
}

impl Stub {
    pub(super) fn new(
        pid: libc::pid_t,
        mapper_tid: libc::pid_t,
        mapper: Mapper,
        shm: Arc<Shm>,
        (fsgsbase, spin): (bool, Spin),
        place: Arc<Placement>,
    ) -> Self {
        let mut state = vec![Slot::Free; SC_MAX_SLOTS as usize];
        state[0] = Slot::Live;
        Stub {
            place,
            pid: StubPid::new(pid),
            mapper_tid,
            mapper: Mutex::new(mapper),
            shm,
            slots: Mutex::new(Slots {
                state,
                ending: false,
                parked: Vec::new(),
            }),
            fsgsbase,
            spin,
            overflow: Mutex::new(std::sync::Weak::new()),
            niced: AtomicBool::new(false),
            multi: AtomicBool::new(false),
            cpu_base: AtomicU64::new(0),
            lead: AtomicI32::new(pid),
        }
    }

    /// Returns whether the stub may serve another guest process once its
    /// threads are gone (`recycle`): not if another stub took its threads
    /// over, nor if its mapper's priority was changed.
    pub(super) fn reusable(&self) -> bool {
        !self.niced.load(Ordering::Relaxed) && self.overflow().is_none()
    }

    /// Empties the stub, whose guest threads are all gone, for another guest
    /// process: no host mapping of guest memory is left, every slot reads
    /// zeros and is free, and its CPU time so far is not the next process's.
    pub(super) fn renew(&self) -> Result<()> {
        self.mapper.lock().unmap_all()?;
        self.shm.discard(SC_SYSMSG, SC_MAX_SLOTS * SC_SLOT_SIZE)?;
        {
            let mut s = self.slots.lock();
            s.state.fill(Slot::Free);
            s.ending = false;
            s.parked.clear();
        }
        self.multi.store(false, Ordering::Relaxed);
        *self.overflow.lock() = std::sync::Weak::new();
        let base = self.pid.with(crate::host::time::process_cpu_ns);
        self.cpu_base.store(base, Ordering::Relaxed);
        Ok(())
    }

    /// Returns the stub this one's threads overflow into, if it lives.
    pub(super) fn overflow(&self) -> Option<Arc<Stub>> {
        self.overflow.lock().upgrade()
    }

    /// Sends the threads that do not fit here to `next`.
    pub(super) fn set_overflow(&self, next: &Arc<Stub>) {
        *self.overflow.lock() = Arc::downgrade(next);
    }

    /// Returns whether the stub has ended (or is about to be reaped).
    pub(super) fn has_ended(&self) -> bool {
        // `with` gives false once the pid is forgotten: "not alive".
        let alive = self.pid.with(|pid| !stub_process::has_ended(pid));
        !alive
    }

    /// Kills the whole stub (every guest thread in it), not reaping it.
    pub(super) fn kill(&self) {
        self.pid.with(|pid| {
            // SAFETY: our unreaped child while the lock is held.
            unsafe { libc::kill(pid, libc::SIGKILL) };
        })
    }

    /// Returns how many guest threads the stub has.
    pub(super) fn threads(&self) -> usize {
        let s = self.slots.lock();
        s.state.iter().filter(|&&u| u == Slot::Live).count()
    }

    /// Takes a free slot for a new guest thread and returns its address;
    /// None if the stub is full or ending.
    pub(super) fn alloc_slot(&self) -> Option<u64> {
        let mut s = self.slots.lock();
        if s.ending {
            return None;
        }
        let addr = |i: usize| SC_SYSMSG + i as u64 * SC_SLOT_SIZE;
        let tid_at = |i: usize| addr(i) + offset_of!(SysmsgHead, tid) as u64;
        let i = s.state.iter().enumerate().position(|(i, &u)| {
            u == Slot::Free
                || (u == Slot::Ending && self.shm.word(tid_at(i)).load(Ordering::Acquire) == 0)
        })?;
        s.state[i] = Slot::Live;
        self.multi.store(true, Ordering::Relaxed);
        Some(addr(i))
    }

    /// Gives back the slot at `slot`, whose thread is gone, or told to end if
    /// `ending`; returns true if it was the last live one (the stub is
    /// ending: the caller kills and reaps it).
    pub(super) fn free_slot(&self, slot: u64, ending: bool) -> bool {
        let mut s = self.slots.lock();
        let i = ((slot - SC_SYSMSG) / SC_SLOT_SIZE) as usize;
        if let Some(u) = s.state.get_mut(i) {
            *u = if ending { Slot::Ending } else { Slot::Free };
        }
        let last = !s.state.contains(&Slot::Live);
        if last {
            s.ending = true;
            self.end_parked(&mut s);
        }
        last
    }

    /// Has the mapper start a guest thread on `slot`, and waits with
    /// `started` until it has read its start from the control page (no other
    /// batch, nor another thread's start, may overwrite it meanwhile).
    pub(super) fn start_thread(
        &self,
        slot: u64,
        started: impl FnOnce() -> Result<()>,
    ) -> Result<()> {
        let mut m = self.mapper.lock();
        m.spawn(slot)?;
        started()
    }

    /// Kills and reaps the stub, once no guest thread is left in it.
    pub(super) fn reap(&self) {
        let pid = self.pid.with(|pid| pid);
        self.pid.detach();
        if pid > 0 {
            stub_process::kill_and_reap_later(pid);
        }
    }

    /// Queues a mapping change.
    pub(super) fn queue(&self, op: MapOp) {
        self.mapper.lock().pending.push(op);
    }

    /// Applies the queued mapping changes now if any takes something away
    /// (those must be in place before other tasks run kernel code; new
    /// mappings may wait for the guest's resumption).
    pub(super) fn commit(&self) -> Result<()> {
        let mut m = self.mapper.lock();
        if m.pending.iter().any(|op| !matches!(op, MapOp::Map { .. })) {
            m.flush()?;
        }
        Ok(())
    }

    /// Sends what is queued with the reply `rep` for the thread of `slot`
    /// (see `Mapper::flush_and_resume`).
    /// Where the mapper shares the kernel thread's host CPU (apart), the
    /// batch is awaited here: the kernel thread then polls for the next
    /// trap, which must not keep the mapper from that CPU.
    pub(super) fn flush_and_resume(&self, rep: u32, slot: u64) -> Result<bool> {
        let mut m = self.mapper.lock();
        let sent = m.flush_and_resume(rep, slot)?;
        if sent && self.place.apart() {
            m.settle()?;
        }
        Ok(sent)
    }

    /// Removes host mappings at once (see `CpuHandle::unmap_now`).
    fn unmap_now(&self, ranges: &[(u64, u64)]) {
        let result = {
            let mut m = self.mapper.lock();
            for &(vaddr, len) in ranges {
                m.pending.push(MapOp::Unmap { vaddr, len });
            }
            m.flush()
        };
        if result.is_err() {
            // The stub is dying or its host refused: kill it so no mapping
            // outlives the request.
            self.kill();
        }
    }
}

impl ScHandle {
    pub(super) fn new(
        stub: Arc<Stub>,
        tid: libc::pid_t,
        (base, clock): (u64, ThreadClock),
    ) -> Self {
        ScHandle {
            thread: Mutex::new(Some((stub, tid))),
            base,
            last_read: AtomicU64::new(0),
            clock: Mutex::new(clock),
            kicked_at: AtomicU64::new(0),
        }
    }

    /// Forgets the guest thread, which is about to end or be kept for
    /// another task (with its clock, returned).
    pub(super) fn detach(&self) -> ThreadClock {
        *self.thread.lock() = None;
        std::mem::take(&mut *self.clock.lock())
    }

    /// Points the handle at another guest thread (exec unshared the CPU); a
    /// kick not yet answered is sent again to the new thread.
    pub(super) fn attach(&self, stub: Arc<Stub>, tid: libc::pid_t) {
        *self.thread.lock() = Some((stub, tid));
        if self.kicked_at.load(Ordering::Acquire) != 0 {
            self.signal();
        }
    }

    /// Returns the stub the thread runs in.
    pub(super) fn stub(&self) -> Option<Arc<Stub>> {
        self.thread.lock().as_ref().map(|(s, _)| s.clone())
    }

    /// Sends the kick signal to the guest thread.
    fn signal(&self) {
        if let Some((stub, tid)) = self.thread.lock().as_ref() {
            stub.pid.with(|pid| {
                // SAFETY: tgkill of a thread of our unreaped child (the pid
                // lock held): at worst a thread id the stub reused for
                // another of its guest threads, which takes a spurious kick.
                unsafe { libc::syscall(libc::SYS_tgkill, pid, *tid, KICK) };
            })
        }
    }
}

impl CpuHandle for ScHandle {
    fn kick(&self) {
        let now = crate::host::time::monotonic_ns().max(1);
        let _ = self
            .kicked_at
            .compare_exchange(0, now, Ordering::AcqRel, Ordering::Relaxed);
        self.signal();
    }

    fn cpu_time_ns(&self) -> u64 {
        match self.thread.lock().as_ref() {
            // A stub's only guest thread has its time (and its mapper's, a
            // small share) from the process clock: one call, where a
            // thread's of another process is a file to read.
            Some((stub, _)) if !stub.multi.load(Ordering::Relaxed) => stub
                .pid
                .with(crate::host::time::process_cpu_ns)
                .saturating_sub(stub.cpu_base.load(Ordering::Relaxed)),
            Some((stub, tid)) => {
                let ns = stub.pid.with(|pid| self.clock.lock().read(pid, *tid));
                self.last_read.store(ns, Ordering::Relaxed);
                ns.saturating_sub(self.base)
            }
            None => 0,
        }
    }

    fn pin(&self, cpu: usize) {
        let Some((stub, tid)) = self.thread.lock().clone() else {
            return;
        };
        stub.pid.with(|_| {
            stub.place.pin_guest(tid, cpu, false);
            // The mapper follows the stub's first thread's kernel thread.
            if tid == stub.lead.load(Ordering::Relaxed) {
                crate::host::cpu::pin(stub.mapper_tid, stub.place.kernel_cpu(cpu));
            }
        })
    }

    fn set_nice(&self, nice: i32) {
        let Some((stub, tid)) = self.thread.lock().clone() else {
            return;
        };
        stub.niced.store(true, Ordering::Relaxed);
        stub.pid.with(|_| {
            crate::host::cpu::set_nice(tid, nice);
            if tid == stub.lead.load(Ordering::Relaxed) {
                crate::host::cpu::set_nice(stub.mapper_tid, nice);
            }
        })
    }

    fn unmap_now(&self, ranges: &[(u64, u64)]) -> bool {
        if let Some(stub) = self.stub() {
            stub.unmap_now(ranges);
        }
        true
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}
