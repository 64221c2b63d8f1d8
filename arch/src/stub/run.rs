//! Running a stub: guest code under `PTRACE_SYSEMU` until it traps, and stub code
//! under `PTRACE_CONT` until its `int3`. Every stop of the stub is turned into a
//! `Trap` for the kernel's task loop; host signals are never passed on to the stub.

use super::spawn::last_errno;
use super::{errno_from_host, Stub};
use crate::abi::errno::{Errno, Result};
use crate::abi::regs::UserRegs;

/// The host signal that kicks a stub out of guest code (the kernel's IPI).
pub const KICK_SIGNAL: i32 = libc::SIGUSR1;

/// Whether a faulting page was absent from the stub or present with too few rights.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultKind {
    /// No host mapping (`SEGV_MAPERR`): the access may have been a read.
    NotPresent,
    /// A host mapping forbade the access (`SEGV_ACCERR`): a write or an execute.
    Protection,
}

/// Why guest code stopped running.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trap {
    /// A `syscall` instruction; the number is in `orig_rax`.
    Syscall,
    /// A page fault at `addr`.
    PageFault { addr: u64, kind: FaultKind },
    /// Any other synchronous host signal (SIGILL, SIGFPE, SIGTRAP, SIGBUS, SIGSEGV
    /// from a general protection fault...) with its `si_code` and `si_addr`.
    Signal { signo: i32, code: i32, addr: u64 },
    /// The kernel kicked this stub (`Stub::kick`) to look at pending work.
    Kick,
    /// The stub process died (killed from outside the kernel).
    Died,
}

impl Stub {
    /// Runs guest code with `regs` until the next trap, then stores the guest's
    /// registers back into `regs`. Queued mapping changes are applied first.
    pub fn run(&mut self, regs: &mut UserRegs) -> Result<Trap> {
        self.flush()?;
        if std::mem::take(&mut self.kicked) {
            return Ok(Trap::Kick);
        }
        self.set_regs(regs)?;
        self.resume(libc::PTRACE_SYSEMU)?;
        let Some(sig) = self.wait_stop() else {
            return Ok(Trap::Died);
        };
        *regs = self.get_regs()?;
        if sig == libc::SIGTRAP | 0x80 {
            return Ok(Trap::Syscall);
        }
        if sig == KICK_SIGNAL {
            return Ok(Trap::Kick);
        }
        let info = self.siginfo()?;
        // SAFETY: reading the fault-address member of a siginfo the host filled in
        // for a synchronous signal.
        let addr = unsafe { info.si_addr() } as u64;
        if sig == libc::SIGSEGV && (info.si_code == 1 || info.si_code == 2) {
            let kind = if info.si_code == 1 {
                FaultKind::NotPresent
            } else {
                FaultKind::Protection
            };
            return Ok(Trap::PageFault { addr, kind });
        }
        Ok(Trap::Signal {
            signo: sig,
            code: info.si_code,
            addr,
        })
    }

    /// Interrupts guest code running in this stub; its `run` returns `Trap::Kick`
    /// (or the trap that came first). May be called from any thread.
    pub fn kick(pid: i32) {
        // SAFETY: sending a signal has no memory-safety conditions; a stale pid is
        // impossible while the stub is unreaped, which its owner guarantees.
        unsafe { libc::kill(pid, KICK_SIGNAL) };
    }

    /// Runs stub code from `regs` until its `int3`; returns the registers then.
    pub(super) fn run_stub_code(&mut self, regs: &UserRegs) -> Result<UserRegs> {
        self.set_regs(regs)?;
        loop {
            self.resume(libc::PTRACE_CONT)?;
            match self.wait_stop() {
                Some(libc::SIGTRAP) => return self.get_regs(),
                // A kick during stub code: finish the stub's work, then report
                // the kick before guest code runs.
                Some(KICK_SIGNAL) => self.kicked = true,
                other => {
                    let regs = self.get_regs().unwrap_or_default();
                    log::error!(
                        "stub {}: stopped with {other:?} in stub code at {:#x}",
                        self.pid,
                        regs.rip
                    );
                    return Err(Errno::EIO);
                }
            }
        }
    }

    /// Waits for the next stop of the stub; returns its signal (with 0x80 set for a
    /// system-call stop), or None if it died.
    pub(super) fn wait_stop(&mut self) -> Option<i32> {
        let mut status = 0;
        loop {
            // SAFETY: waiting for our own traced child; status is a valid out pointer.
            let r = unsafe { libc::waitpid(self.pid, &mut status, libc::__WALL) };
            if r == self.pid {
                break;
            }
            if r < 0 && last_errno() == libc::EINTR {
                continue;
            }
            return None;
        }
        if libc::WIFSTOPPED(status) {
            Some(libc::WSTOPSIG(status))
        } else {
            log::debug!("stub {}: ended with wait status {status:#x}", self.pid);
            None
        }
    }

    fn resume(&mut self, request: libc::c_uint) -> Result<()> {
        // SAFETY: pid is our stopped tracee; signal 0 suppresses whatever stopped it.
        if unsafe { libc::ptrace(request, self.pid, 0, 0) } < 0 {
            return Err(errno_from_host(last_errno()));
        }
        Ok(())
    }

    pub(super) fn get_regs(&self) -> Result<UserRegs> {
        let mut regs = UserRegs::default();
        // SAFETY: UserRegs has the layout of user_regs_struct, which GETREGS fills.
        if unsafe {
            libc::ptrace(
                libc::PTRACE_GETREGS,
                self.pid,
                0,
                &mut regs as *mut UserRegs,
            )
        } < 0
        {
            return Err(errno_from_host(last_errno()));
        }
        Ok(regs)
    }

    fn set_regs(&self, regs: &UserRegs) -> Result<()> {
        // SAFETY: UserRegs has the layout of user_regs_struct, which SETREGS reads.
        if unsafe { libc::ptrace(libc::PTRACE_SETREGS, self.pid, 0, regs as *const UserRegs) } < 0 {
            log::warn!("stub {}: SETREGS rejected {regs:x?}", self.pid);
            return Err(errno_from_host(last_errno()));
        }
        Ok(())
    }

    fn siginfo(&self) -> Result<libc::siginfo_t> {
        // SAFETY: an all-zero siginfo_t is a valid value of this plain C struct.
        let mut info: libc::siginfo_t = unsafe { std::mem::zeroed() };
        // SAFETY: GETSIGINFO writes one siginfo_t to the pointer.
        if unsafe { libc::ptrace(libc::PTRACE_GETSIGINFO, self.pid, 0, &mut info as *mut _) } < 0 {
            return Err(errno_from_host(last_errno()));
        }
        Ok(info)
    }
}
