//! The seccomp backend: guest code runs in stub processes as under ptrace, one
//! per guest thread, but no ptrace stop is on any path. The stub's guest
//! thread runs under a seccomp filter that turns every system call into a
//! SIGSYS; that, page faults, other synchronous signals and the kernel's kicks
//! enter the stub's handler, which hands the trap to the kernel through shared
//! memory (a futex word each way) and sleeps until the kernel has edited the
//! signal frame; `rt_sigreturn` resumes the guest. Mapping changes go to the
//! stub's mapper thread, the only thread that may map guest RAM (`handle.rs`).
//! The stub's code and its shared pages are laid out in `layout`; the host
//! calls guest-controlled state can reach are argued in README's design notes.

mod filter;
mod frame;
mod handle;
pub mod layout;
mod shm;
mod spawn;

pub use spawn::SeccompBackend;

use crate::abi::errno::{Errno, Result};
use crate::abi::regs::UserRegs;
use crate::abi::signal::{SEGV_ACCERR, SEGV_MAPERR};
use crate::abi::structs::{SigInfo, Ucontext};
use crate::backend::{debugreg, stub_process};
use crate::backend::{CpuHandle, FaultKind, GuestCpu, MapOp, Trap};
use frame::Frame;
use handle::{ScHandle, KICK};
use layout::{SysmsgHead, SC_SYSMSG};
use shm::Shm;
use std::mem::offset_of;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Where the handshake words and the handler's reports are.
const REQ: u64 = SC_SYSMSG + offset_of!(SysmsgHead, req) as u64;
const REP: u64 = SC_SYSMSG + offset_of!(SysmsgHead, rep) as u64;
const SIGNO: u64 = SC_SYSMSG + offset_of!(SysmsgHead, signo) as u64;
const INFO: u64 = SC_SYSMSG + offset_of!(SysmsgHead, info) as u64;
const FS_BASE: u64 = SC_SYSMSG + offset_of!(SysmsgHead, fs_base) as u64;
const GS_BASE: u64 = SC_SYSMSG + offset_of!(SysmsgHead, gs_base) as u64;
const SET_BASES: u64 = SC_SYSMSG + offset_of!(SysmsgHead, set_bases) as u64;

/// How long the kernel sleeps on a trap before it looks whether the stub
/// still lives; and how long a kicked guest may take to trap before the kernel
/// concludes that it blocked the kick signal, and kills it.
/// (Idle tasks wake at the longer interval; a kicked one at the shorter.)
const POLL_MS: u64 = 1000;
const KICKED_POLL_MS: u64 = 100;
const KICK_GRACE_NS: u64 = 5_000_000_000;

/// `si_code` of a seccomp SIGSYS.
const SYS_SECCOMP: i32 = 1;
/// The page-fault vector, and the error code's bits: present, write.
const X86_TRAP_PF: u64 = 14;
const PF_PROT: u64 = 1;
const PF_WRITE: u64 = 2;

/// A seccomp stub. Only the thread that spawned it may use it.
struct SeccompCpu {
    pid: libc::pid_t,
    handle: Arc<ScHandle>,
    shm: Arc<Shm>,
    /// Where the frame of the current trap is, and its context.
    frame: Frame,
    uc: Ucontext,
    /// The segment selectors of the stub's first frame (a 64-bit process's).
    cs: u64,
    ss: u64,
    /// The FS and GS bases the guest thread has now.
    fs_base: u64,
    gs_base: u64,
    /// Whether user code may read and write the bases itself (FSGSBASE).
    fsgsbase: bool,
    /// The trap count the kernel has seen.
    req: u32,
    /// How many times the kernel polls for a trap before it sleeps.
    spin: u64,
}

impl GuestCpu for SeccompCpu {
    fn run(&mut self, regs: &mut UserRegs) -> Result<Trap> {
        self.load(regs)?;
        // A kick that came while the guest was stopped is taken as soon as it
        // resumes: its grace runs from now.
        if self.handle.kicked_at.load(Ordering::Acquire) != 0 {
            let now = crate::host::time::monotonic_ns().max(1);
            self.handle.kicked_at.store(now, Ordering::Release);
        }
        // Let the guest go — through the mapper if mappings are queued — and
        // wait for its next trap.
        if !self.handle.flush_and_resume(self.req)? {
            self.shm.word(REP).store(self.req, Ordering::Release);
            self.shm.wake(REP);
        }
        if !self.wait_trap() {
            return Ok(Trap::Died);
        }
        self.handle.kicked_at.store(0, Ordering::Release);
        match self.decode(regs) {
            Ok(trap) => Ok(trap),
            // The frame is not where the host writes them: the guest wrote the
            // message area. It can only hurt itself; it ends here.
            Err(_) => {
                log::warn!("stub {}: a malformed trap report", self.pid);
                Ok(Trap::Died)
            }
        }
    }

    fn queue(&mut self, op: MapOp) {
        self.handle.queue(op);
    }

    fn commit(&mut self) -> Result<()> {
        self.handle.commit()
    }

    fn initial_regs(&self) -> UserRegs {
        UserRegs {
            cs: self.cs,
            ss: self.ss,
            eflags: 0x202,
            ..UserRegs::default()
        }
    }

    fn xstate_size(&self) -> usize {
        self.frame.xstate_size
    }

    fn get_xstate(&self) -> Result<Vec<u8>> {
        self.frame.xstate(&self.shm)
    }

    fn set_xstate(&mut self, state: &[u8]) -> Result<()> {
        self.frame.set_xstate(&self.shm, state)
    }

    fn set_debugregs(&mut self, addr: &[u64; 4], dr7: u64) -> Result<()> {
        let pid = self.pid;
        debugreg::seized(pid, || debugreg::set(pid, addr, dr7))
    }

    fn debug_status(&mut self) -> Result<u64> {
        let pid = self.pid;
        debugreg::seized(pid, || debugreg::dr6(pid))
    }

    fn handle(&self) -> Arc<dyn CpuHandle> {
        self.handle.clone()
    }
}

impl SeccompCpu {
    /// Stores the registers the guest resumes with into the trap's frame, and
    /// asks for new FS/GS bases where they changed.
    fn load(&mut self, regs: &UserRegs) -> Result<()> {
        let mut uc = self.uc;
        self.frame
            .store(&self.shm, &mut uc, regs, (self.cs as u16, self.ss as u16))?;
        let set = regs.fs_base != self.fs_base || regs.gs_base != self.gs_base;
        if set {
            self.shm.write(FS_BASE, &regs.fs_base)?;
            self.shm.write(GS_BASE, &regs.gs_base)?;
            self.fs_base = regs.fs_base;
            self.gs_base = regs.gs_base;
        }
        self.shm.write(SET_BASES, &(set as u64))
    }

    /// Waits until the handler reports a trap; false if the stub died (or was
    /// killed for ignoring a kick).
    fn wait_trap(&mut self) -> bool {
        let req = self.shm.word(REQ);
        loop {
            let now = req.load(Ordering::Acquire);
            if now != self.req {
                self.req = now;
                return true;
            }
            for _ in 0..self.spin {
                if req.load(Ordering::Acquire) != now {
                    break;
                }
                std::hint::spin_loop();
            }
            if req.load(Ordering::Acquire) != now {
                continue;
            }
            let kicked = self.handle.kicked_at.load(Ordering::Acquire) != 0;
            let poll = if kicked { KICKED_POLL_MS } else { POLL_MS };
            self.shm.wait(REQ, now, poll);
            if req.load(Ordering::Acquire) != now {
                continue;
            }
            if stub_process::has_ended(self.pid) {
                return false;
            }
            let kicked = self.handle.kicked_at.load(Ordering::Acquire);
            if kicked != 0 && crate::host::time::monotonic_ns() > kicked + KICK_GRACE_NS {
                log::warn!("stub {}: guest code ignores kicks; killing it", self.pid);
                // SAFETY: our unreaped child.
                unsafe { libc::kill(self.pid, libc::SIGKILL) };
                return false;
            }
        }
    }

    /// Reads the trap the handler reported into `regs`.
    fn decode(&mut self, regs: &mut UserRegs) -> Result<Trap> {
        let (frame, uc) = Frame::locate(&self.shm)?;
        if frame.xstate_size != self.frame.xstate_size {
            return Err(Errno::EFAULT);
        }
        self.frame = frame;
        self.uc = uc;
        if self.fsgsbase {
            self.fs_base = self.shm.read(FS_BASE)?;
            self.gs_base = self.shm.read(GS_BASE)?;
        }
        *regs = frame::regs_of(&uc, self.fs_base, self.gs_base);
        let signo: u64 = self.shm.read(SIGNO)?;
        let info: SigInfo = self.shm.read(self.shm.read::<u64>(INFO)?)?;
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
    fn drop(&mut self) {
        self.handle.detach();
        stub_process::kill_and_reap(self.pid);
    }
}
