//! Starting a seccomp stub: its shared pages prepared (the handler's
//! sigaction, the alternate stack, the two filters), fork and exec from the
//! sealed image with its descriptors, then its first trap awaited; and
//! starting another guest thread in a stub that runs.

use super::handle::{Mapper, ScHandle, Stub, KICK};
use super::layout::{
    ScCtrl, SysmsgHead, SC_ALTSTACK, SC_CTRL, SC_HANDLER_OFFSET, SC_RESTORER_OFFSET, SC_SLOT_SIZE,
    SC_SYSMSG,
};
use super::place::Placement;
use super::shm::Shm;
use super::{filter, Frame, SeccompCpu, StubThread, REQ, TID};
use crate::abi::errno::{Errno, Result};
use crate::abi::pod::zeroed;
use crate::backend::ptrace::layout::STUB_CODE;
use crate::backend::stub_process::{self, errno_from_host};
use crate::backend::{Backend, CpuHandle, GuestCpu};
use crate::host::time::ThreadClock;
use crate::physmem::PhysMem;
use nix::errno::Errno as HostErrno;
use std::mem::offset_of;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// A new host thread's CPU time so far, and its clock (not open yet).
const NEW: (u64, ThreadClock) = (0, ThreadClock::new());

/// How long a new stub may take to reach its first trap.
const START_MS: u64 = 10_000;
/// sigaction's flag: `sa_restorer` is the handler's return address.
const SA_RESTORER: u64 = 0x0400_0000;
/// `AT_HWCAP2`'s FSGSBASE bit: user code may use rdfsbase and friends.
const HWCAP2_FSGSBASE: u64 = 1 << 1;

/// How long each side of a trap polls for the other: the kernel's thread
/// by the clock, the stub's handler in `pause` instructions (measured).
#[derive(Clone, Copy)]
pub(super) struct Spin {
    pub(super) ns: u64,
    pub(super) pauses: u64,
}

impl Spin {
    fn new(us: u64) -> Spin {
        const PAUSES: u64 = 10_000;
        let start = crate::host::time::monotonic_ns();
        for _ in 0..PAUSES {
            std::hint::spin_loop();
        }
        let per_pause = ((crate::host::time::monotonic_ns() - start) / PAUSES).max(1);
        Spin {
            ns: us * 1000,
            pauses: us * 1000 / per_pause,
        }
    }
}

/// How many started stubs wait for a task; and how many the pool keeps at
/// most, stubs of ended processes included (`recycle`).
const POOL_SIZE: usize = 2;
const POOL_MAX: usize = 4;

/// The seccomp backend: gives a new thread of a guest process a host thread
/// in the stub of the process, and every other guest CPU a seccomp stub of
/// its own, from a small pool of stubs started ahead by a thread of its own,
/// so that fork and exec do not wait for a host process to start (a stub is
/// the same for every task until its first run).
pub struct SeccompBackend {
    src: Arc<Source>,
}

/// Where new stubs come from: the pool.
pub(super) struct Source {
    starter: Arc<Starter>,
    pool: Arc<Pool>,
}

/// What starting a stub needs.
struct Starter {
    image: OwnedFd,
    /// How long each side of a trap polls for the other before it sleeps.
    spin: Spin,
    /// Where the stub's threads run.
    place: Arc<Placement>,
    /// Whether user code may read and write the FS/GS bases (FSGSBASE).
    fsgsbase: bool,
    /// The message area's head every stub starts from (`start_head`).
    head: SysmsgHead,
}

/// Stubs started and waiting. Only the pool's own thread starts stubs: it is
/// the parent their death signal follows, and it never ends (a stub started
/// by a task's thread would die with that thread, and with it the other
/// threads of its guest process). It also empties the stubs of ended
/// processes for use again.
struct Pool {
    state: std::sync::Mutex<PoolState>,
    /// Signalled when a stub is taken or given back, or wanted.
    taken: std::sync::Condvar,
    /// Signalled when a stub is ready.
    filled: std::sync::Condvar,
    filler: std::sync::Once,
}

#[derive(Default)]
struct PoolState {
    /// Stubs ready for a task.
    ready: Vec<StubThread>,
    /// Stubs of ended processes, to be emptied.
    returned: Vec<Arc<Stub>>,
}

/// What the pool's thread does next.
enum Job {
    Start,
    Renew(Arc<Stub>),
}

impl Pool {
    /// Takes a started stub, waiting for the pool's thread to start one if
    /// none is ready; EIO if none comes in time.
    fn take(&self) -> Result<StubThread> {
        let start = crate::host::time::monotonic_ns();
        let mut state = self.state.lock().map_err(|_| Errno::EIO)?;
        loop {
            let t = state.ready.pop();
            self.taken.notify_one();
            if let Some(t) = t {
                return Ok(t);
            }
            if crate::host::time::monotonic_ns() - start > START_MS * 1_000_000 {
                log::error!("no seccomp stub could be started in time");
                return Err(Errno::EIO);
            }
            let wait = std::time::Duration::from_millis(100);
            state = self
                .filled
                .wait_timeout(state, wait)
                .map_err(|_| Errno::EIO)?
                .0;
        }
    }

    /// Keeps the pool full, for ever (the thread that starts stubs is the
    /// parent their death signal follows, so it never ends).
    fn fill(&self, starter: &Starter, physmem: &Arc<PhysMem>) {
        loop {
            let job = {
                let Ok(mut state) = self.state.lock() else {
                    return;
                };
                loop {
                    if let Some(t) = state.returned.pop() {
                        break Job::Renew(t);
                    }
                    if state.ready.len() < POOL_SIZE {
                        break Job::Start;
                    }
                    state = match self.taken.wait(state) {
                        Ok(s) => s,
                        Err(_) => return,
                    };
                }
            };
            let ready = match job {
                Job::Renew(stub) => match super::recycle::renew(&stub) {
                    Ok(t) => t,
                    Err(e) => {
                        log::debug!("a seccomp stub could not be used again ({e:?})");
                        stub.reap();
                        continue;
                    }
                },
                Job::Start => match starter.start(physmem) {
                    Ok(t) => t,
                    Err(_) => {
                        std::thread::sleep(std::time::Duration::from_millis(100));
                        continue;
                    }
                },
            };
            match self.state.lock() {
                Ok(mut state) => {
                    state.ready.push(ready);
                    self.filled.notify_all();
                }
                Err(_) => return,
            }
        }
    }

    /// Keeps `stub`, whose guest process ended, for another one if the pool
    /// has room; else it ends.
    fn give_back(&self, stub: Arc<Stub>) {
        let Ok(mut state) = self.state.lock() else {
            return stub.reap();
        };
        if state.ready.len() + state.returned.len() >= POOL_MAX {
            drop(state);
            return stub.reap();
        }
        state.returned.push(stub);
        self.taken.notify_one();
    }
}

impl SeccompBackend {
    /// Stores the seccomp stub program `elf` in a sealed memfd, after checking
    /// that this host lets a process filter its own system calls. Each side
    /// of a trap polls for the other's answer for up to `spin_us`
    /// microseconds before it sleeps (0: never), with a task's stub on
    /// another host CPU than its kernel thread.
    pub fn new(elf: &[u8], spin_us: u64) -> std::io::Result<SeccompBackend> {
        probe()?;
        let fsgsbase = crate::host::cpu::hwcap2() & HWCAP2_FSGSBASE != 0;
        let place = Arc::new(Placement::new(spin_us > 0));
        let spin = Spin::new(if place.apart() { spin_us } else { 0 });
        let starter = Starter {
            image: stub_process::sealed_image(c"linux-stub-seccomp", elf)?,
            spin,
            place,
            fsgsbase,
            head: start_head(fsgsbase, spin),
        };
        Ok(SeccompBackend {
            src: Arc::new(Source {
                starter: Arc::new(starter),
                pool: Arc::new(Pool {
                    state: Default::default(),
                    taken: Default::default(),
                    filled: Default::default(),
                    filler: std::sync::Once::new(),
                }),
            }),
        })
    }
}

impl Backend for SeccompBackend {
    fn kernel_cpu(&self, cpu: usize) -> usize {
        self.src.starter.place.kernel_cpu(cpu)
    }

    fn spawn(
        &self,
        physmem: &Arc<PhysMem>,
        _data: u64,
        share: Option<&Arc<dyn CpuHandle>>,
    ) -> Result<Box<dyn GuestCpu>> {
        let src = &self.src;
        src.pool.filler.call_once(|| {
            let (pool, starter, physmem) = (src.pool.clone(), src.starter.clone(), physmem.clone());
            let spawned = std::thread::Builder::new()
                .name("stub-pool".into())
                .spawn(move || pool.fill(&starter, &physmem));
            if let Err(e) = spawned {
                log::warn!("no pool of seccomp stubs: {e}");
            }
        });
        let stub = share
            .and_then(|h| h.as_any().downcast_ref::<ScHandle>())
            .and_then(ScHandle::stub);
        let Some(mut stub) = stub else {
            return Ok(Box::new(SeccompCpu::new(src.clone(), src.fresh()?, NEW)));
        };
        // A full stub sends its address space's next threads to the stub it
        // overflowed into, and so on; the last full one gets a new stub.
        loop {
            if let Some(p) = stub.unpark() {
                let (t, cpu) = StubThread::unparked(p);
                return Ok(Box::new(SeccompCpu::new(src.clone(), t, cpu)));
            }
            match spawn_thread(&stub) {
                Ok(t) => return Ok(Box::new(SeccompCpu::new(src.clone(), t, NEW))),
                Err(e) => log::debug!("no thread in the shared stub ({e:?})"),
            }
            match stub.overflow() {
                Some(next) => stub = next,
                None => break,
            }
        }
        let t = src.fresh()?;
        stub.set_overflow(&t.stub);
        Ok(Box::new(SeccompCpu::new(src.clone(), t, NEW)))
    }
}

impl Source {
    /// Returns the guest thread of a stub of its own, from the pool.
    pub(super) fn fresh(&self) -> Result<StubThread> {
        self.pool.take()
    }

    /// Gives the pool `stub`, whose guest process ended.
    pub(super) fn give_back(&self, stub: Arc<Stub>) {
        self.pool.give_back(stub)
    }
}

/// Starts another guest thread in `stub` and waits for its first trap.
pub(super) fn spawn_thread(stub: &Arc<Stub>) -> Result<StubThread> {
    let slot = stub.alloc_slot().ok_or(Errno::EAGAIN)?;
    let mut head: SysmsgHead = zeroed();
    head.fsgsbase = stub.fsgsbase as u64;
    head.spin = stub.spin.pauses;
    head.kwait = 1;
    let started = stub
        .shm
        .write(slot, &head)
        .and_then(|_| stub.start_thread(slot, || first_trap(stub, slot)));
    let tid = stub.shm.word(slot + TID).load(Ordering::Acquire) as libc::pid_t;
    let located = started.and_then(|_| Frame::locate(&stub.shm, slot));
    let (frame, uc) = match located {
        Ok(f) => f,
        Err(e) => {
            // A thread that started but is of no use is ended as any other.
            let ending = tid != 0;
            if ending {
                let _ = stub.shm.write(slot + super::EXIT, &1u32);
                stub.shm.word(slot + super::REP).store(1, Ordering::Release);
                stub.shm.wake(slot + super::REP);
            }
            if stub.free_slot(slot, ending) {
                stub.reap();
            }
            return Err(e);
        }
    };
    Ok(StubThread::at_first_trap(
        stub.clone(),
        slot,
        tid,
        (frame, uc),
    ))
}

/// Waits for the first trap of the new guest thread of `slot`.
fn first_trap(stub: &Stub, slot: u64) -> Result<()> {
    let start = crate::host::time::monotonic_ns();
    while stub.shm.word(slot + REQ).load(Ordering::Acquire) == 0 {
        let ended = stub.shm.word(slot + TID).load(Ordering::Acquire) == 0;
        if ended || stub.has_ended() {
            log::warn!("a guest thread of a seccomp stub did not start");
            return Err(Errno::EAGAIN);
        }
        if crate::host::time::monotonic_ns() - start > START_MS * 1_000_000 {
            log::error!("a guest thread of a seccomp stub did not start in time");
            return Err(Errno::EAGAIN);
        }
        stub.shm.wait(slot + REQ, 0, 10);
    }
    Ok(())
}

impl Starter {
    /// Starts a stub and waits for its first trap.
    fn start(&self, physmem: &Arc<PhysMem>) -> Result<StubThread> {
        let (shm, shm_fd) = Shm::new()?;
        shm.write(SC_SYSMSG, &self.head)?;
        write_ctrl(&shm)?;
        let (done, done_w) = pipe()?;
        let fds = [physmem.raw_fd(), shm_fd.as_raw_fd(), done_w.as_raw_fd()];
        let pid = stub_process::fork_stub(self.image.as_raw_fd(), &fds, false)?;
        drop(done_w);
        drop(shm_fd);
        shm.word(SC_SYSMSG + TID)
            .store(pid as u32, Ordering::Release);
        let shm = Arc::new(shm);
        let start = crate::host::time::monotonic_ns();
        while shm.word(SC_SYSMSG + REQ).load(Ordering::Acquire) == 0 {
            if let Some(why) = stub_process::exit_reason(pid) {
                log::error!("seccomp stub {pid} did not start: {why}");
                stub_process::kill_and_reap(pid);
                return Err(Errno::EIO);
            }
            if crate::host::time::monotonic_ns() - start > START_MS * 1_000_000 {
                log::error!("seccomp stub {pid} did not start in time");
                stub_process::kill_and_reap(pid);
                return Err(Errno::EIO);
            }
            shm.wait(SC_SYSMSG + REQ, 0, 10);
        }
        let head: SysmsgHead = shm.read(SC_SYSMSG)?;
        let (frame, uc) = match Frame::locate(&shm, SC_SYSMSG) {
            Ok(f) => f,
            Err(e) => {
                stub_process::kill_and_reap(pid);
                return Err(e);
            }
        };
        let stub = Arc::new(Stub::new(
            pid,
            head.mapper_tid as libc::pid_t,
            Mapper::new(shm.clone(), done),
            shm,
            (self.fsgsbase, self.spin),
            self.place.clone(),
        ));
        Ok(StubThread::at_first_trap(stub, SC_SYSMSG, pid, (frame, uc)))
    }
}

/// Writes what every guest thread of a stub starts from into its control
/// page: the empty signal mask and the guest filter.
fn write_ctrl(shm: &Shm) -> Result<()> {
    let (guest, guest_len) = filter::guest();
    let at = |off: usize| SC_CTRL + off as u64;
    shm.write(at(offset_of!(ScCtrl, empty_mask)), &0u64)?;
    shm.write(at(offset_of!(ScCtrl, guest_prog_len)), &(guest_len as u64))?;
    shm.write(
        at(offset_of!(ScCtrl, guest_prog)),
        &at(offset_of!(ScCtrl, guest_filter)),
    )?;
    shm.write(at(offset_of!(ScCtrl, guest_filter)), &guest)
}

/// Returns the message area's head as the stub's start-up code reads it.
fn start_head(fsgsbase: bool, spin: Spin) -> SysmsgHead {
    let (mapper, mapper_len) = filter::mapper();
    let mut h: SysmsgHead = zeroed();
    h.fsgsbase = fsgsbase as u64;
    h.spin = spin.pauses;
    // The kernel sleeps until the first trap.
    h.kwait = 1;
    h.sa_handler = STUB_CODE + SC_HANDLER_OFFSET;
    h.sa_flags = (libc::SA_SIGINFO | libc::SA_ONSTACK) as u64 | SA_RESTORER;
    h.sa_restorer = STUB_CODE + SC_RESTORER_OFFSET;
    h.sa_mask = !0;
    h.ss_sp = SC_ALTSTACK;
    h.ss_size = SC_SLOT_SIZE - crate::PAGE_SIZE;
    h.full_mask = !0;
    h.empty_mask = 0;
    let signals = [
        libc::SIGSYS,
        libc::SIGSEGV,
        libc::SIGBUS,
        libc::SIGILL,
        libc::SIGFPE,
        libc::SIGTRAP,
        KICK,
    ];
    for (slot, s) in h.signals.iter_mut().zip(signals) {
        *slot = s as u64;
    }
    h.mapper_filter = mapper;
    h.mapper_prog_len = mapper_len as u64;
    h.mapper_prog = SC_SYSMSG + offset_of!(SysmsgHead, mapper_filter) as u64;
    h
}

/// Checks that this host lets a thread install a seccomp filter of its own
/// (containers may forbid it), on a thread that ends at once: filters and
/// `no_new_privs` belong to the thread that sets them.
fn probe() -> std::io::Result<()> {
    std::thread::spawn(|| {
        let allow = [libc::sock_filter {
            code: 0x06,
            jt: 0,
            jf: 0,
            k: 0x7fff_0000,
        }];
        let prog = libc::sock_fprog {
            len: 1,
            filter: allow.as_ptr() as *mut libc::sock_filter,
        };
        // SAFETY: prctl and seccomp on valid arguments (`prog` describes
        // `allow`, which outlives the calls); they affect this thread only.
        unsafe {
            if libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0
                || libc::syscall(libc::SYS_seccomp, 1, 0, &prog as *const libc::sock_fprog) < 0
            {
                return Err(std::io::Error::last_os_error());
            }
        }
        Ok(())
    })
    .join()
    .unwrap_or_else(|_| Err(std::io::Error::other("the seccomp probe failed")))
}

/// Returns a close-on-exec pipe: (read end, write end).
fn pipe() -> Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0i32; 2];
    // SAFETY: pipe2 fills the two-element array on success.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } < 0 {
        return Err(errno_from_host(HostErrno::last()));
    }
    // SAFETY: both descriptors are new and owned by nothing else.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}
