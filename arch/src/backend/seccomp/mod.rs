//! The seccomp backend: guest code runs in stub processes as under ptrace,
//! but no ptrace stop is on any path, and the threads of a guest process
//! (the tasks of one address space) are host threads of one stub, which
//! share its host mappings. A stub's guest threads run under a seccomp
//! filter that turns every system call into a SIGSYS; that, page faults,
//! other synchronous signals and the kernel's kicks enter the stub's
//! handler, which hands the trap to the kernel through its thread's slot of
//! shared memory (a futex word each way) and sleeps until the kernel has
//! edited the signal frame; `rt_sigreturn` resumes the guest. Mapping
//! changes go to the stub's mapper thread, the only thread that may map
//! guest RAM, which also starts its guest threads (`handle.rs`).
//! The stub's code and its shared pages are laid out in `layout`; the host
//! calls guest-controlled state can reach are argued in README's design notes.

mod filter;
mod frame;
mod handle;
pub mod layout;
mod park;
mod place;
mod recycle;
mod shm;
mod spawn;

pub use spawn::SeccompBackend;

use crate::abi::errno::{Errno, Result};
use crate::abi::regs::UserRegs;
use crate::abi::signal::{SEGV_ACCERR, SEGV_MAPERR};
use crate::abi::structs::{SigInfo, Ucontext};
use crate::backend::debugreg;
use crate::backend::{CpuHandle, FaultKind, GuestCpu, MapOp, Trap};
use crate::host::time::ThreadClock;
use frame::Frame;
use handle::{ScHandle, Stub, KICK};
use layout::SysmsgHead;
use spawn::Source;
use std::mem::offset_of;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// Where in a slot the handshake words and the handler's reports are.
const REQ: u64 = offset_of!(SysmsgHead, req) as u64;
const REP: u64 = offset_of!(SysmsgHead, rep) as u64;
const TID: u64 = offset_of!(SysmsgHead, tid) as u64;
const EXIT: u64 = offset_of!(SysmsgHead, exit) as u64;
const SIGNO: u64 = offset_of!(SysmsgHead, signo) as u64;
const INFO: u64 = offset_of!(SysmsgHead, info) as u64;
const FS_BASE: u64 = offset_of!(SysmsgHead, fs_base) as u64;
const GS_BASE: u64 = offset_of!(SysmsgHead, gs_base) as u64;
const SET_BASES: u64 = offset_of!(SysmsgHead, set_bases) as u64;
const KWAIT: u64 = offset_of!(SysmsgHead, kwait) as u64;
const SPIN: u64 = offset_of!(SysmsgHead, spin) as u64;
const GWAIT: u64 = offset_of!(SysmsgHead, gwait) as u64;

/// How long the kernel sleeps on a trap before it looks whether the stub
/// still lives; and how long a kicked guest may take to trap before the kernel
/// concludes that it blocked the kick signal, and kills it.
/// (Idle tasks wake at the longer interval; a kicked one at the shorter.)
const POLL_MS: u64 = 1000;
const KICKED_POLL_MS: u64 = 100;
const KICK_GRACE_NS: u64 = 5_000_000_000;

/// A guest thread kept apart from the kernel threads is let onto every host
/// CPU when it runs this long without a trap, and kept apart again after
/// `QUICK_RUNS` runs in a row shorter than `QUICK_RUN_NS` (see `place`).
const SPREAD_MS: u64 = 4;
const QUICK_RUNS: u32 = 64;
const QUICK_RUN_NS: u64 = 200_000;

/// `si_code` of a seccomp SIGSYS.
const SYS_SECCOMP: i32 = 1;
/// The page-fault vector, and the error code's bits: present, write.
const X86_TRAP_PF: u64 = 14;
const PF_PROT: u64 = 1;
const PF_WRITE: u64 = 2;

/// Polls `req` for up to `ns` nanoseconds; returns whether it moved on from
/// `now`.
fn poll(req: &std::sync::atomic::AtomicU32, now: u32, ns: u64) -> bool {
    let deadline = crate::host::time::monotonic_ns() + ns;
    loop {
        for _ in 0..64 {
            if req.load(Ordering::Acquire) != now {
                return true;
            }
            std::hint::spin_loop();
        }
        if crate::host::time::monotonic_ns() > deadline {
            return false;
        }
        // The CPU to any other thread that wants it (another task's).
        std::thread::yield_now();
    }
}

/// Lets guest thread `tid` of `stub` onto every host CPU, or keeps it to the
/// guest CPUs again.
fn pin_spread(stub: &Stub, tid: libc::pid_t, spread: bool) {
    stub.pid.with(|_| stub.place.pin_guest(tid, 0, spread));
}

/// A guest thread in a seccomp stub, as its task's kernel thread drives it.
/// A clone is the same host thread: only `park` makes one, to keep.
#[derive(Clone)]
struct StubThread {
    stub: Arc<Stub>,
    /// The address of its slot in the message area.
    slot: u64,
    /// Its host thread id.
    tid: libc::pid_t,
    /// Where the frame of the current trap is, and its context.
    frame: Frame,
    uc: Ucontext,
    /// The segment selectors of the thread's first frame (a 64-bit process's).
    cs: u64,
    ss: u64,
    /// The FS and GS bases the guest thread has now.
    fs_base: u64,
    gs_base: u64,
    /// The trap count the kernel has seen.
    req: u32,
    /// Whether the thread may run on every host CPU (it computes for long
    /// between traps: see `place`), and how many short runs it has made
    /// since.
    spread: bool,
    quick: u32,
    /// Whether the thread is stopped at a trap (counted in `IN_KERNEL`), and
    /// how long its handler polls at its next one (the slot's `spin`).
    in_kernel: bool,
    spin: u64,
    /// Whether the thread was ended (`end`) or kept (`park`).
    ended: bool,
    /// Whether host debug registers were set for it (it is not kept).
    debugregs: bool,
}

/// How many guest threads are stopped at a trap, whose handlers may poll: a
/// thread resumed while more are stopped than there are guest CPUs does not
/// poll at its next trap, so that polling handlers do not crowd out the
/// threads that have work. And how many kernel threads poll for a trap (at
/// most one, on the kernel threads' CPU).
static IN_KERNEL: AtomicUsize = AtomicUsize::new(0);
static POLLERS: AtomicUsize = AtomicUsize::new(0);

/// A seccomp CPU: a guest thread in a stub. Only the thread that spawned it
/// may use it.
struct SeccompCpu {
    src: Arc<Source>,
    handle: Arc<ScHandle>,
    t: StubThread,
}

impl SeccompCpu {
    /// A CPU of guest thread `t`, whose host thread had used `cpu.0` of
    /// CPU time for earlier tasks, read from clock `cpu.1`.
    fn new(src: Arc<Source>, t: StubThread, cpu: (u64, ThreadClock)) -> SeccompCpu {
        SeccompCpu {
            src,
            handle: Arc::new(ScHandle::new(t.stub.clone(), t.tid, cpu)),
            t,
        }
    }
}

impl GuestCpu for SeccompCpu {
    fn run(&mut self, regs: &mut UserRegs) -> Result<Trap> {
        let t = &mut self.t;
        t.load(regs)?;
        t.leave_kernel()?;
        // A kick that came while the guest was stopped is taken as soon as it
        // resumes: its grace runs from now.
        if self.handle.kicked_at.load(Ordering::Acquire) != 0 {
            let now = crate::host::time::monotonic_ns().max(1);
            self.handle.kicked_at.store(now, Ordering::Release);
        }
        // Let the guest go — through the mapper if mappings are queued — and
        // wait for its next trap.
        // A spread thread's runs are timed (`count_run`).
        let resumed = t.spread.then(crate::host::time::monotonic_ns);
        if !t.stub.flush_and_resume(t.req, t.slot)? {
            t.reply();
        }
        if !t.wait_trap(&self.handle) {
            return Ok(Trap::Died);
        }
        t.in_kernel = true;
        IN_KERNEL.fetch_add(1, Ordering::Relaxed);
        if let Some(resumed) = resumed {
            t.count_run(crate::host::time::monotonic_ns() - resumed);
        }
        self.handle.kicked_at.store(0, Ordering::Release);
        match t.decode(regs) {
            Ok(trap) => Ok(trap),
            // The frame is not where the host writes them: the guest wrote the
            // message area. It can only hurt itself; it ends here.
            Err(_) => {
                log::warn!("stub thread {}: a malformed trap report", t.tid);
                Ok(Trap::Died)
            }
        }
    }

    fn queue(&mut self, op: MapOp) {
        self.t.stub.queue(op);
    }

    fn commit(&mut self) -> Result<()> {
        self.t.stub.commit()
    }

    fn unshare(&mut self) -> Result<()> {
        if self.t.stub.threads() <= 1 {
            return Ok(());
        }
        let fresh = self.src.fresh()?;
        let old = std::mem::replace(&mut self.t, fresh);
        self.handle.attach(self.t.stub.clone(), self.t.tid);
        drop(old);
        Ok(())
    }

    fn initial_regs(&self) -> UserRegs {
        UserRegs {
            cs: self.t.cs,
            ss: self.t.ss,
            eflags: 0x202,
            ..UserRegs::default()
        }
    }

    fn xstate_size(&self) -> usize {
        self.t.frame.xstate_size
    }

    fn get_xstate(&self) -> Result<Vec<u8>> {
        self.t.frame.xstate(&self.t.stub.shm)
    }

    fn set_xstate(&mut self, state: &[u8]) -> Result<()> {
        self.t.frame.set_xstate(&self.t.stub.shm, state)
    }

    fn set_debugregs(&mut self, addr: &[u64; 4], dr7: u64) -> Result<()> {
        let tid = self.t.tid;
        self.t.debugregs = true;
        debugreg::seized(tid, || debugreg::set(tid, addr, dr7))
    }

    fn debug_status(&mut self) -> Result<u64> {
        let tid = self.t.tid;
        debugreg::seized(tid, || debugreg::dr6(tid))
    }

    fn handle(&self) -> Arc<dyn CpuHandle> {
        self.handle.clone()
    }
}

impl StubThread {
    /// Returns the guest thread of `slot` in `stub`, host thread `tid`,
    /// waiting at its first trap, whose frame is `frame`.
    fn at_first_trap(
        stub: Arc<Stub>,
        slot: u64,
        tid: libc::pid_t,
        (frame, uc): (Frame, Ucontext),
    ) -> StubThread {
        // The kernel no longer sleeps on this thread's first trap.
        stub.shm.word(slot + KWAIT).store(0, Ordering::Relaxed);
        let spin = stub.spin.pauses;
        StubThread {
            stub,
            slot,
            tid,
            frame,
            uc,
            cs: uc.uc_mcontext.cs as u64,
            ss: uc.uc_mcontext.ss as u64,
            fs_base: 0,
            gs_base: 0,
            req: 1,
            spread: false,
            quick: 0,
            // Not counted until its first run: a pool's stubs wait here.
            in_kernel: false,
            spin,
            ended: false,
            debugregs: false,
        }
    }

    /// Lets the guest thread go on: its reply, and a wake-up if its handler
    /// sleeps (`gwait` is read after the reply is stored, the handler's
    /// order reversed, so one of them sees the other).
    fn reply(&self) {
        let shm = &self.stub.shm;
        shm.word(self.slot + REP).store(self.req, Ordering::SeqCst);
        if shm.word(self.slot + GWAIT).load(Ordering::SeqCst) != 0 {
            shm.wake(self.slot + REP);
        }
    }

    /// Stores the registers the guest resumes with into the trap's frame, and
    /// asks for new FS/GS bases where they changed.
    fn load(&mut self, regs: &UserRegs) -> Result<()> {
        let (shm, slot) = (&self.stub.shm, self.slot);
        let mut uc = self.uc;
        self.frame
            .store(shm, (&mut uc, slot), regs, (self.cs as u16, self.ss as u16))?;
        let set = regs.fs_base != self.fs_base || regs.gs_base != self.gs_base;
        if set {
            shm.write(slot + FS_BASE, &regs.fs_base)?;
            shm.write(slot + GS_BASE, &regs.gs_base)?;
            self.fs_base = regs.fs_base;
            self.gs_base = regs.gs_base;
        }
        shm.write(slot + SET_BASES, &(set as u64))
    }

    /// Returns whether the guest thread has ended: it alone (its slot's tid
    /// cleared by the host) or its whole stub.
    fn has_ended(&self) -> bool {
        self.stub.shm.word(self.slot + TID).load(Ordering::Acquire) == 0 || self.stub.has_ended()
    }

    /// Waits until the handler reports a trap; false if the thread or its
    /// stub died (or the stub was killed for ignoring a kick). Polls for a
    /// while first where the stub runs on another host CPU, then sleeps with
    /// `kwait` set, so that the handler wakes it.
    fn wait_trap(&mut self, handle: &ScHandle) -> bool {
        let shm = &self.stub.shm;
        let req = shm.word(self.slot + REQ);
        let kwait = shm.word(self.slot + KWAIT);
        let mut polled = self.stub.spin.ns == 0;
        loop {
            let now = req.load(Ordering::Acquire);
            if now != self.req {
                self.req = now;
                return true;
            }
            if !std::mem::replace(&mut polled, true) {
                let polls = POLLERS.fetch_add(1, Ordering::Relaxed) == 0;
                let moved = polls && poll(req, now, self.stub.spin.ns);
                POLLERS.fetch_sub(1, Ordering::Relaxed);
                if moved {
                    continue;
                }
            }
            kwait.store(1, Ordering::SeqCst);
            // A guest thread kept to the guest CPUs is let onto all of
            // them if it runs this long without a trap.
            let keep = self.stub.place.apart() && !self.spread;
            if req.load(Ordering::SeqCst) == now {
                let kicked = handle.kicked_at.load(Ordering::Acquire) != 0;
                let timeout = match (kicked, keep) {
                    (true, _) => KICKED_POLL_MS,
                    (false, true) => SPREAD_MS,
                    (false, false) => POLL_MS,
                };
                shm.wait(self.slot + REQ, now, timeout);
            }
            kwait.store(0, Ordering::Relaxed);
            if req.load(Ordering::Acquire) != now {
                continue;
            }
            if keep {
                self.spread = true;
                self.quick = 0;
                pin_spread(&self.stub, self.tid, true);
            }
            if self.has_ended() {
                return false;
            }
            let kicked = handle.kicked_at.load(Ordering::Acquire);
            if kicked != 0 && crate::host::time::monotonic_ns() > kicked + KICK_GRACE_NS {
                // The thread's signal mask is its own, but its stub's other
                // threads run the same guest process: they go with it.
                log::warn!(
                    "stub thread {}: guest code ignores kicks; killing it",
                    self.tid
                );
                self.stub.kill();
                return false;
            }
        }
    }

    /// The guest thread is about to resume: it no longer counts as stopped,
    /// and its handler polls at its next trap unless many others are
    /// stopped.
    fn leave_kernel(&mut self) -> Result<()> {
        if std::mem::take(&mut self.in_kernel) {
            IN_KERNEL.fetch_sub(1, Ordering::Relaxed);
        }
        let crowded = IN_KERNEL.load(Ordering::Relaxed) > self.stub.place.guest_cpus();
        let spin = if crowded { 0 } else { self.stub.spin.pauses };
        if spin != self.spin {
            self.stub.shm.write(self.slot + SPIN, &spin)?;
            self.spin = spin;
        }
        Ok(())
    }

    /// Counts a run of guest code of `ns` nanoseconds of a spread thread: it
    /// is kept to the guest CPUs again after a string of short ones.
    fn count_run(&mut self, ns: u64) {
        if ns > QUICK_RUN_NS {
            self.quick = 0;
            return;
        }
        self.quick += 1;
        if self.quick >= QUICK_RUNS {
            self.spread = false;
            self.quick = 0;
            pin_spread(&self.stub, self.tid, false);
        }
    }

    /// Reads the trap the handler reported into `regs`.
    fn decode(&mut self, regs: &mut UserRegs) -> Result<Trap> {
        let (shm, slot) = (&self.stub.shm, self.slot);
        let (frame, uc) = Frame::locate(shm, slot)?;
        if frame.xstate_size != self.frame.xstate_size {
            return Err(Errno::EFAULT);
        }
        self.frame = frame;
        self.uc = uc;
        if self.stub.fsgsbase {
            self.fs_base = shm.read(slot + FS_BASE)?;
            self.gs_base = shm.read(slot + GS_BASE)?;
        }
        *regs = frame::regs_of(&uc, self.fs_base, self.gs_base);
        let signo: u64 = shm.read(slot + SIGNO)?;
        let info: SigInfo = shm.read(shm.read::<u64>(slot + INFO)?)?;
        let m = &uc.uc_mcontext;
        Ok(match signo as i32 {
            libc::SIGSYS if info.si_code == SYS_SECCOMP => {
                // The host rolled rax back to the call's number.
                regs.orig_rax = regs.rax;
                regs.rax = (-(Errno::ENOSYS.as_i32() as i64)) as u64;
                Trap::Syscall
            }
            // A page fault's SIGSEGV says why (MAPERR, ACCERR). One the host
            // forces (SI_KERNEL: a frame rt_sigreturn refused, a bad iret)
            // carries the thread's last trapno and cr2, stale: a fault there
            // would be "resolved" and the guest resumed with the refused
            // frame's registers. It is the guest's SIGSEGV.
            libc::SIGSEGV
                if m.trapno == X86_TRAP_PF && matches!(info.si_code, SEGV_MAPERR | SEGV_ACCERR) =>
            {
                let kind = if m.err & PF_PROT != 0 {
                    FaultKind::Protection
                } else {
                    FaultKind::NotPresent
                };
                Trap::PageFault {
                    addr: m.cr2,
                    kind,
                    write: m.err & PF_WRITE != 0 || kind == FaultKind::Protection,
                }
            }
            KICK => Trap::Kick,
            signo => Trap::Signal {
                signo,
                code: info.si_code,
                addr: info.sifields[0],
            },
        })
    }
}

impl Drop for SeccompCpu {
    /// Ends the guest thread; its stub too if it was the last, which the
    /// pool keeps for another process if it may (`recycle`).
    fn drop(&mut self) {
        let clock = self.handle.detach();
        let base = self.handle.last_read.load(Ordering::Relaxed);
        if self.t.park((base, clock)) {
            return;
        }
        let stub = self.t.stub.clone();
        let reusable = stub.reusable();
        if self.t.end() {
            if reusable {
                self.src.give_back(stub);
            } else {
                stub.reap();
            }
        }
    }
}

impl Drop for StubThread {
    /// Ends the guest thread: the whole stub if it was its last.
    fn drop(&mut self) {
        if self.end() {
            self.stub.reap();
        }
    }
}

impl StubThread {
    /// Ends the guest thread, once (its slot is reused once the host says
    /// it is gone); returns true if it was the last of its stub, which the
    /// caller then ends or keeps.
    fn end(&mut self) -> bool {
        if std::mem::replace(&mut self.ended, true) {
            return false;
        }
        if self.in_kernel {
            IN_KERNEL.fetch_sub(1, Ordering::Relaxed);
        }
        // Told to end even when it seems the last: another thread may start
        // in the stub meanwhile, which must not find this one on the slot.
        let ending = !self.has_ended();
        if ending {
            park::tell_to_end(&self.stub.shm, self.slot, self.req);
        }
        self.stub.free_slot(self.slot, ending)
    }
}
