//! A stub as other threads see it: the host process to kick out of guest code
//! with `KICK`, to read the CPU time of, to bind to a host CPU and to give a
//! nice value. The pid is forgotten before the stub is reaped, so a handle that
//! outlives its stub never reaches a process that reused the pid.

use crate::backend::stub_process::StubPid;
use crate::backend::CpuHandle;
use nix::sys::signal::{self, Signal};
use nix::unistd::Pid;

/// The host signal that kicks a stub out of guest code (the kernel's IPI).
pub(super) const KICK: Signal = Signal::SIGUSR1;

/// The shared half of a `Stub`.
pub(super) struct StubHandle {
    pid: StubPid,
}

impl StubHandle {
    /// Returns a handle of the stub with host pid `pid`.
    pub(super) fn new(pid: libc::pid_t) -> Self {
        StubHandle {
            pid: StubPid::new(pid),
        }
    }

    /// Forgets the stub, which is about to be reaped; waits for users of its pid.
    pub(super) fn detach(&self) {
        self.pid.detach();
    }

    fn with_pid<R: Default>(&self, f: impl FnOnce(libc::pid_t) -> R) -> R {
        self.pid.with(f)
    }
}

impl CpuHandle for StubHandle {
    fn kick(&self) {
        self.with_pid(|pid| {
            // The pid is unreaped while the lock is held (see `detach`).
            let _ = signal::kill(Pid::from_raw(pid), KICK);
        })
    }

    fn cpu_time_ns(&self) -> u64 {
        self.with_pid(crate::host::time::process_cpu_ns)
    }

    fn pin(&self, cpu: usize) {
        self.with_pid(|pid| crate::host::cpu::pin(pid, cpu))
    }

    fn set_nice(&self, nice: i32) {
        self.with_pid(|pid| crate::host::cpu::set_nice(pid, nice))
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A handle whose stub is gone must not reach the process that has its
    /// pid now: here the test process itself, which a kick would kill.
    #[test]
    fn detached_handle_reaches_nobody() {
        let h = StubHandle::new(std::process::id() as libc::pid_t);
        assert!(h.cpu_time_ns() > 0);
        h.detach();
        assert_eq!(h.cpu_time_ns(), 0);
        h.kick();
    }
}
