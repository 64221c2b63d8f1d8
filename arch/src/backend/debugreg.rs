//! The guest's hardware breakpoints and watchpoints live in the x86 debug
//! registers of its host thread: DR0-DR3 hold the addresses, DR7 enables
//! them with their kinds and lengths, and after a debug trap the host's
//! (virtual) DR6 tells which fired. A user process reaches them only
//! through ptrace's `struct user`; the ptrace backend's stubs are traced
//! already, and a seccomp stub's guest thread is seized for the moment of
//! the access (breakpoints stay armed after the detach, as on Linux).

use super::stub_process::errno_from_host;
use crate::abi::errno::{Errno, Result};
use crate::abi::ptrace::USER_DEBUGREG_OFFSET;
use nix::errno::Errno as HostErrno;

fn poke(pid: libc::pid_t, n: u64, value: u64) -> Result<()> {
    // SAFETY: PTRACE_POKEUSER writes one word of the stopped tracee's
    // `struct user` (a debug register); no memory of ours is involved.
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_POKEUSER,
            pid,
            USER_DEBUGREG_OFFSET + 8 * n,
            value,
        )
    };
    if r < 0 {
        return Err(errno_from_host(HostErrno::last()));
    }
    Ok(())
}

/// Loads DR0-DR3 and DR7 into the stopped tracee `pid`: DR7 off first, so
/// that no moment has a new address enabled with an old kind.
pub(super) fn set(pid: libc::pid_t, addr: &[u64; 4], dr7: u64) -> Result<()> {
    poke(pid, 7, 0)?;
    for (n, &a) in addr.iter().enumerate() {
        poke(pid, n as u64, a)?;
    }
    poke(pid, 7, dr7)
}

/// Returns the stopped tracee's DR6 as the host set it at its last debug
/// trap.
pub(super) fn dr6(pid: libc::pid_t) -> Result<u64> {
    HostErrno::clear();
    // SAFETY: PTRACE_PEEKUSER reads one word of the stopped tracee's
    // `struct user`; the value comes back as the call's result.
    let v = unsafe { libc::ptrace(libc::PTRACE_PEEKUSER, pid, USER_DEBUGREG_OFFSET + 48, 0) };
    if v == -1 && HostErrno::last_raw() != 0 {
        return Err(errno_from_host(HostErrno::last()));
    }
    Ok(v as u64)
}

/// Runs `f` with `tid` (a thread of a child of ours, not traced) stopped
/// under ptrace, then lets it go: PTRACE_SEIZE, PTRACE_INTERRUPT, the
/// first stop (a signal that stopped it first is passed on at the detach).
pub(super) fn seized<R>(tid: libc::pid_t, f: impl FnOnce() -> Result<R>) -> Result<R> {
    // SAFETY: seizing and interrupting our own child thread; no memory is
    // passed.
    let r = unsafe { libc::ptrace(libc::PTRACE_SEIZE, tid, 0, 0) };
    if r < 0 {
        return Err(errno_from_host(HostErrno::last()));
    }
    // SAFETY: as above.
    unsafe { libc::ptrace(libc::PTRACE_INTERRUPT, tid, 0, 0) };
    let mut status = 0;
    loop {
        // SAFETY: waiting for our tracee; status is a valid out pointer.
        let w = unsafe { libc::waitpid(tid, &mut status, libc::__WALL) };
        if w == tid {
            break;
        }
        if w < 0 && HostErrno::last() != HostErrno::EINTR {
            return Err(Errno::ESRCH);
        }
    }
    if !libc::WIFSTOPPED(status) {
        return Err(Errno::ESRCH);
    }
    let result = f();
    // A signal-delivery-stop (not the interrupt's event stop) keeps its
    // signal.
    let sig = if status >> 16 == 0 && libc::WSTOPSIG(status) != libc::SIGTRAP {
        libc::WSTOPSIG(status)
    } else {
        0
    };
    // SAFETY: detaching our tracee, with the signal it stopped for.
    unsafe { libc::ptrace(libc::PTRACE_DETACH, tid, 0, sig) };
    result
}
