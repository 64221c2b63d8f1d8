//! Running a stub: guest code under `PTRACE_SYSEMU` until it traps, and stub code
//! under `PTRACE_CONT` until its `int3`. Every stop of the stub is turned into a
//! `Trap` for the kernel's task loop; host signals are never passed on to the stub.

use super::handle::KICK;
use super::{errno_from_host, Stub};
use crate::abi::errno::{Errno, Result};
use crate::abi::regs::UserRegs;
use crate::backend::{FaultKind, Trap};
use nix::errno::Errno as HostErrno;
use nix::sys::ptrace;
use nix::unistd::Pid;

/// `KICK` as a number, as stops report it.
const KICK_SIGNAL: i32 = KICK as i32;

/// How `resume` lets a stopped stub go on.
#[derive(Clone, Copy)]
enum Resume {
    /// Guest code: every `syscall` instruction stops (`PTRACE_SYSEMU`).
    Sysemu,
    /// Stub code, whose system calls the host runs (`PTRACE_CONT`).
    Cont,
}

impl Stub {
    /// Runs guest code with `regs` until the next trap (`GuestCpu::run`).
    pub(super) fn run_guest(&mut self, regs: &mut UserRegs) -> Result<Trap> {
        self.flush()?;
        if std::mem::take(&mut self.kicked) {
            return Ok(Trap::Kick);
        }
        self.set_regs(regs)?;
        self.resume(Resume::Sysemu)?;
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
            return Ok(Trap::PageFault {
                addr,
                kind,
                write: kind == FaultKind::Protection,
            });
        }
        Ok(Trap::Signal {
            signo: sig,
            code: info.si_code,
            addr,
        })
    }

    /// Runs stub code from `regs` until its `int3`; returns the registers then.
    pub(super) fn run_stub_code(&mut self, regs: &UserRegs) -> Result<UserRegs> {
        self.set_regs(regs)?;
        loop {
            self.resume(Resume::Cont)?;
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
            // nix's waitpid cannot report a stop by a real-time signal (its
            // `Signal` has none), so this one call stays on libc.
            // SAFETY: waiting for our own traced child; status is a valid out pointer.
            let r = unsafe { libc::waitpid(self.pid, &mut status, libc::__WALL) };
            if r == self.pid {
                break;
            }
            if r < 0 && HostErrno::last() == HostErrno::EINTR {
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

    fn resume(&mut self, how: Resume) -> Result<()> {
        // Signal 0 (None) suppresses whatever stopped the stub.
        let pid = Pid::from_raw(self.pid);
        match how {
            Resume::Sysemu => ptrace::sysemu(pid, None),
            Resume::Cont => ptrace::cont(pid, None),
        }
        .map_err(errno_from_host)
    }

    pub(super) fn get_regs(&self) -> Result<UserRegs> {
        let regs = ptrace::getregs(Pid::from_raw(self.pid)).map_err(errno_from_host)?;
        Ok(regs.into())
    }

    fn set_regs(&self, regs: &UserRegs) -> Result<()> {
        ptrace::setregs(Pid::from_raw(self.pid), (*regs).into()).map_err(|e| {
            log::warn!("stub {}: SETREGS rejected {regs:x?}", self.pid);
            errno_from_host(e)
        })
    }

    fn siginfo(&self) -> Result<libc::siginfo_t> {
        ptrace::getsiginfo(Pid::from_raw(self.pid)).map_err(errno_from_host)
    }
}
