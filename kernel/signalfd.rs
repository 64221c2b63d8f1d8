//! signalfd(2): signals read from a file (Linux's fs/signalfd.c). A read
//! takes the pending signals of the mask (the reading thread's own first,
//! then its process's), each as a 128-byte `struct signalfd_siginfo`, as
//! many as fit; with none pending it answers `EAGAIN`, and the read
//! system call sleeps on the signalfd wait queue. poll and epoll see it
//! readable while such a signal is pending for the task that asks. The
//! signals stay blocked meanwhile: that is how programs use it (systemd's
//! event loop among them).
//!
//! Every signal queued wakes the one wait queue all signalfds share (as
//! Linux's per-handler queue, woken in `signalfd_notify`); a woken waiter
//! looks again at its own pending signals.

use crate::signal::{self, SigInfo};
use crate::task::TrapContext;
use arch::abi::structs::{SigChld, SigFault, SigKill, SigRt, SigSys, SigTimer};
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{File, FileOps, OpenFlags, PollEvents, Stat, WaitQueue};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, LazyLock};

const SFD_NONBLOCK: u32 = OpenFlags::O_NONBLOCK.bits();
const SFD_CLOEXEC: u32 = OpenFlags::O_CLOEXEC.bits();
/// The size of `struct signalfd_siginfo`.
const SIGINFO_LEN: usize = 128;

/// The queue every signalfd's readers and pollers wait on.
static WAIT: LazyLock<WaitQueue> = LazyLock::new(WaitQueue::new);
/// How many signalfds are open (no wake-up is made without one).
static OPEN: AtomicUsize = AtomicUsize::new(0);

/// Wakes the readers and pollers of signalfds: a signal was queued.
pub fn notify() {
    if OPEN.load(Ordering::Relaxed) > 0 {
        WAIT.wake_all();
    }
}

/// The open file of a signalfd.
pub struct SignalFd {
    mask: KernelCell<u64>,
}

impl Drop for SignalFd {
    fn drop(&mut self) {
        OPEN.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Returns `struct signalfd_siginfo` for `info` (Linux's
/// `signalfd_copyinfo`: the members the siginfo's layout holds).
fn signalfd_siginfo(info: &SigInfo) -> [u8; SIGINFO_LEN] {
    let mut b = [0u8; SIGINFO_LEN];
    let mut put32 = |at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_ne_bytes());
    put32(0, info.si_signo as u32);
    put32(4, info.si_errno as u32);
    put32(8, info.si_code as u32);
    let (signo, code) = (info.si_signo, info.si_code);
    let mut u64s: Vec<(usize, u64)> = Vec::new();
    match code {
        signal::SI_TIMER => {
            let t: SigTimer = info.fields();
            put32(24, t.si_tid as u32);
            put32(32, t.si_overrun as u32);
            put32(44, t.si_value as u32);
            u64s.push((48, t.si_value));
        }
        c if c < 0 && c != signal::SI_TKILL => {
            let r: SigRt = info.fields();
            put32(12, r.si_pid as u32);
            put32(16, r.si_uid);
            put32(44, r.si_value as u32);
            u64s.push((48, r.si_value));
        }
        c if c > 0 && c != signal::SI_KERNEL && signo == signal::SIGCHLD => {
            let c: SigChld = info.fields();
            put32(12, c.si_pid as u32);
            put32(16, c.si_uid);
            put32(40, c.si_status as u32);
            u64s.push((56, c.si_utime as u64));
            u64s.push((64, c.si_stime as u64));
        }
        c if c > 0 && c != signal::SI_KERNEL && signo == signal::SIGSYS => {
            let s: SigSys = info.fields();
            put32(84, s.syscall as u32);
            u64s.push((88, s.call_addr));
            put32(96, s.arch);
        }
        c if c > 0
            && c != signal::SI_KERNEL
            && [
                signal::SIGSEGV,
                signal::SIGBUS,
                signal::SIGILL,
                signal::SIGFPE,
                signal::SIGTRAP,
            ]
            .contains(&signo) =>
        {
            let f: SigFault = info.fields();
            u64s.push((72, f.si_addr));
        }
        _ => {
            let k: SigKill = info.fields();
            put32(12, k.si_pid as u32);
            put32(16, k.si_uid);
        }
    }
    for (at, v) in u64s {
        b[at..at + 8].copy_from_slice(&v.to_ne_bytes());
    }
    b
}

impl FileOps for SignalFd {
    fn read(&self, _: u64, buf: &mut [u8]) -> Result<usize> {
        if buf.len() < SIGINFO_LEN {
            return Err(Errno::EINVAL);
        }
        let task = crate::task::current().ok_or(Errno::EINVAL)?;
        let mask = *self.mask.borrow();
        let mut n = 0;
        while n + SIGINFO_LEN <= buf.len() {
            let info = {
                let mut s = task.signal.borrow_mut();
                signal::take_from(&task, &mut s.pending, mask)
            };
            let Some(info) = info else { break };
            buf[n..n + SIGINFO_LEN].copy_from_slice(&signalfd_siginfo(&info));
            n += SIGINFO_LEN;
        }
        if n == 0 {
            return Err(Errno::EAGAIN);
        }
        Ok(n)
    }
    fn write(&self, _: u64, _: &[u8]) -> Result<usize> {
        Err(Errno::EINVAL)
    }
    fn poll(&self) -> PollEvents {
        let mask = *self.mask.borrow();
        let pending = crate::task::current().is_some_and(|t| {
            let own = t.signal.borrow().pending.set();
            let shared = t.process.signal.borrow().pending.set();
            (own | shared) & mask != 0
        });
        if pending {
            PollEvents::POLLIN | PollEvents::POLLRDNORM
        } else {
            PollEvents::empty()
        }
    }
    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&WAIT)
    }
    fn seekable(&self) -> bool {
        false
    }
    fn stat(&self) -> Result<Stat> {
        Ok(crate::anon_inode::stat())
    }
    fn anon_name(&self) -> Option<&'static str> {
        Some("[signalfd]")
    }
}

/// signalfd4(fd, mask, sizemask, flags) (and signalfd, flags 0): a new
/// signalfd for the signals of `*mask` (SIGKILL and SIGSTOP left out), or
/// a new mask for the signalfd `fd` (EINVAL if it is not one).
pub fn do_signalfd4(
    ctx: &mut TrapContext,
    fd: i32,
    mask: u64,
    sizemask: u64,
    flags: u32,
) -> Result<u64> {
    if sizemask != 8 || flags & !(SFD_NONBLOCK | SFD_CLOEXEC) != 0 {
        return Err(Errno::EINVAL);
    }
    let unblockable = signal::sigbit(signal::SIGKILL) | signal::sigbit(signal::SIGSTOP);
    let set = ctx.read_u64(mask)? & !unblockable;
    if fd != -1 {
        let f = crate::syscall::Fd(fd).file(ctx)?;
        let sfd = f.ops_as::<SignalFd>().ok_or(Errno::EINVAL)?;
        *sfd.mask.borrow_mut() = set;
        notify();
        return Ok(fd as u64);
    }
    OPEN.fetch_add(1, Ordering::Relaxed);
    let ops = Arc::new(SignalFd {
        mask: KernelCell::new(set),
    });
    let status = OpenFlags::O_RDWR | (OpenFlags::O_NONBLOCK & OpenFlags::from_bits_truncate(flags));
    let f = File::new(None, ops, status);
    let fd = ctx.task.files().borrow_mut().alloc(
        f,
        flags & SFD_CLOEXEC != 0,
        ctx.task.process.nofile(),
    )?;
    Ok(fd as u64)
}
