//! Starting a seccomp stub: its shared pages prepared (the handler's
//! sigaction, the alternate stack, the two filters), fork and exec from the
//! sealed image with its descriptors, then its first trap awaited.

use super::handle::{Mapper, ScHandle, KICK};
use super::layout::{
    SysmsgHead, SC_ALTSTACK, SC_END, SC_HANDLER_OFFSET, SC_RESTORER_OFFSET, SC_SYSMSG,
};
use super::shm::Shm;
use super::{filter, Frame, SeccompCpu, REQ};
use crate::abi::errno::{Errno, Result};
use crate::abi::pod::zeroed;
use crate::backend::ptrace::layout::STUB_CODE;
use crate::backend::stub_process::{self, errno_from_host};
use crate::backend::{Backend, GuestCpu};
use crate::physmem::PhysMem;
use nix::errno::Errno as HostErrno;
use std::mem::offset_of;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// How long a new stub may take to reach its first trap.
const START_MS: u64 = 10_000;
/// sigaction's flag: `sa_restorer` is the handler's return address.
const SA_RESTORER: u64 = 0x0400_0000;
/// `AT_HWCAP2`'s FSGSBASE bit: user code may use rdfsbase and friends.
const HWCAP2_FSGSBASE: u64 = 1 << 1;

/// How many started stubs wait for a task.
const POOL_SIZE: usize = 2;

/// The seccomp backend: gives every guest CPU a seccomp stub, from a small
/// pool of stubs started ahead by a thread of its own, so that fork and clone
/// do not wait for a host process to start (a stub is the same for every task
/// until its first run).
pub struct SeccompBackend {
    starter: Arc<Starter>,
    pool: Arc<Pool>,
}

/// What starting a stub needs.
struct Starter {
    image: OwnedFd,
    /// How many times a stub's handler polls for the kernel's answer before it
    /// sleeps.
    spin: u64,
    /// Whether user code may read and write the FS/GS bases (FSGSBASE).
    fsgsbase: bool,
    /// The message area's head every stub starts from (`start_head`).
    head: SysmsgHead,
}

/// Stubs started and waiting.
struct Pool {
    ready: std::sync::Mutex<Vec<SeccompCpu>>,
    /// Signalled when a stub is taken.
    taken: std::sync::Condvar,
    filler: std::sync::Once,
}

impl Pool {
    fn take(&self) -> Option<SeccompCpu> {
        let cpu = self.ready.lock().ok()?.pop();
        self.taken.notify_one();
        cpu
    }

    /// Keeps the pool full, for ever (the thread that starts stubs is the
    /// parent their death signal follows, so it never ends).
    fn fill(&self, starter: &Starter, physmem: &Arc<PhysMem>) {
        loop {
            {
                let Ok(mut ready) = self.ready.lock() else {
                    return;
                };
                while ready.len() >= POOL_SIZE {
                    ready = match self.taken.wait(ready) {
                        Ok(r) => r,
                        Err(_) => return,
                    };
                }
            }
            match starter.start(physmem) {
                Ok(cpu) => match self.ready.lock() {
                    Ok(mut ready) => ready.push(cpu),
                    Err(_) => return,
                },
                Err(_) => std::thread::sleep(std::time::Duration::from_millis(100)),
            }
        }
    }
}

impl SeccompBackend {
    /// Stores the seccomp stub program `elf` in a sealed memfd, after checking
    /// that this host lets a process filter its own system calls.
    pub fn new(elf: &[u8], spin: u64) -> std::io::Result<SeccompBackend> {
        probe()?;
        let fsgsbase = crate::host::cpu::hwcap2() & HWCAP2_FSGSBASE != 0;
        let starter = Starter {
            image: stub_process::sealed_image(c"linux-stub-seccomp", elf)?,
            spin,
            fsgsbase,
            head: start_head(fsgsbase, spin),
        };
        Ok(SeccompBackend {
            starter: Arc::new(starter),
            pool: Arc::new(Pool {
                ready: Default::default(),
                taken: Default::default(),
                filler: std::sync::Once::new(),
            }),
        })
    }
}

impl Backend for SeccompBackend {
    fn spawn(&self, physmem: &Arc<PhysMem>, _data: u64) -> Result<Box<dyn GuestCpu>> {
        self.pool.filler.call_once(|| {
            let (pool, starter, physmem) =
                (self.pool.clone(), self.starter.clone(), physmem.clone());
            let spawned = std::thread::Builder::new()
                .name("stub-pool".into())
                .spawn(move || pool.fill(&starter, &physmem));
            if let Err(e) = spawned {
                log::warn!("no pool of seccomp stubs: {e}");
            }
        });
        match self.pool.take() {
            Some(cpu) => Ok(Box::new(cpu)),
            None => Ok(Box::new(self.starter.start(physmem)?)),
        }
    }
}

impl Starter {
    /// Starts a stub and waits for its first trap.
    fn start(&self, physmem: &Arc<PhysMem>) -> Result<SeccompCpu> {
        let (shm, shm_fd) = Shm::new()?;
        shm.write(SC_SYSMSG, &self.head)?;
        let (done, done_w) = pipe()?;
        let fds = [physmem.raw_fd(), shm_fd.as_raw_fd(), done_w.as_raw_fd()];
        let pid = stub_process::fork_stub(self.image.as_raw_fd(), &fds, false)?;
        drop(done_w);
        drop(shm_fd);
        let shm = Arc::new(shm);
        let start = crate::host::time::monotonic_ns();
        while shm.word(REQ).load(Ordering::Acquire) == 0 {
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
            shm.wait(REQ, 0, 10);
        }
        let head: SysmsgHead = shm.read(SC_SYSMSG)?;
        let (frame, uc) = match Frame::locate(&shm) {
            Ok(f) => f,
            Err(e) => {
                stub_process::kill_and_reap(pid);
                return Err(e);
            }
        };
        let handle = Arc::new(ScHandle::new(
            pid,
            head.mapper_tid as libc::pid_t,
            Mapper::new(shm.clone(), done),
            self.spin > 0,
        ));
        Ok(SeccompCpu {
            pid,
            handle,
            shm,
            frame,
            uc,
            cs: uc.uc_mcontext.cs as u64,
            ss: uc.uc_mcontext.ss as u64,
            fs_base: 0,
            gs_base: 0,
            fsgsbase: self.fsgsbase,
            req: 1,
            spin: self.spin,
        })
    }
}

/// Returns the message area's head as the stub's start-up code reads it.
fn start_head(fsgsbase: bool, spin: u64) -> SysmsgHead {
    let (guest, guest_len) = filter::guest();
    let (mapper, mapper_len) = filter::mapper();
    let mut h: SysmsgHead = zeroed();
    h.fsgsbase = fsgsbase as u64;
    h.spin = spin;
    h.sa_handler = STUB_CODE + SC_HANDLER_OFFSET;
    h.sa_flags = (libc::SA_SIGINFO | libc::SA_ONSTACK) as u64 | SA_RESTORER;
    h.sa_restorer = STUB_CODE + SC_RESTORER_OFFSET;
    h.sa_mask = !0;
    h.ss_sp = SC_ALTSTACK;
    h.ss_size = SC_END - SC_ALTSTACK;
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
    h.guest_filter = guest;
    h.guest_prog_len = guest_len as u64;
    h.guest_prog = SC_SYSMSG + offset_of!(SysmsgHead, guest_filter) as u64;
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
