//! System calls: one declarative table (`table.rs`) from x86_64 numbers to
//! handlers with named arguments, one file per family of calls named after it
//! (a call is found by its name in the file tree: `futex.rs`, `wait4.rs`,
//! `clone.rs`...), and the one place (`dispatch`) where `Err(errno)` becomes
//! `-errno` in rax. Unknown numbers return ENOSYS and are logged once each.
//! Handlers work on the task's `TrapContext` (kernel/task/context.rs).

mod arg;
mod attr;
mod clone;
mod cpu_clock;
mod cpu_timer;
mod cred;
mod epoll;
mod eventfd;
mod exec;
mod exit;
mod fallocate;
mod fd;
mod fhandle;
mod flock;
mod futex;
mod info;
mod inotify;
mod ioctl;
mod ioprio;
mod itimer;
mod kcmp;
pub(crate) mod mem;
mod memfd;
mod mount;
mod msghdr;
mod namei;
mod open;
mod openat2;
mod pid;
mod pidfd;
mod pipe;
mod poll;
mod posix_timer;
mod prctl;
pub mod reboot;
mod recvmsg;
mod rlimit;
mod rw;
pub(crate) mod sched;
pub(crate) mod sched_policy;
mod select;
mod sendfile;
mod sendmsg;
mod signal;
mod socket;
mod sockopt;
mod splice;
mod stat;
mod statfs;
mod statx;
mod strace;
mod sync;
mod sysinfo;
mod syslog;
mod table;
mod tidaddr;
pub(crate) mod time;
mod timerfd;
mod unlink;
mod utimes;
mod wait4;
mod xattr;

pub(crate) use arg::{Fd, UserPtr};
pub use cred::Cred;
pub use info::{PER_CLEAR_ON_SETID, RELEASE, UTS_VERSION};
pub use itimer::Itimers;
pub use mem::READ_IMPLIES_EXEC;
pub(crate) use msghdr::{Control, UserIov, SCM_CREDENTIALS};
pub(crate) use poll::deadline_after;
pub use posix_timer::{timer_delivered, PosixTimer};
pub(crate) use rw::iovecs;
use table::{Entry, TABLE};

use crate::task::TrapContext;
use arch::{Errno, Result};
use std::sync::atomic::{AtomicU64, Ordering};

const MAX_NR: usize = 512;

/// Returns the table entry of system call `nr`.
fn entry(nr: u64) -> Option<&'static Entry> {
    static INDEX: std::sync::OnceLock<Vec<Option<&'static Entry>>> = std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut v = vec![None; MAX_NR];
        for e in TABLE {
            v[e.nr as usize] = Some(e);
        }
        v
    });
    index.get(nr as usize).copied().flatten()
}

/// How often a system call runs again after the OOM killer freed memory.
const OOM_RETRIES: u32 = 8;

/// Handles the system call the task trapped on and stores its result in rax.
pub fn dispatch(ctx: &mut TrapContext) {
    let (nr, args) = ctx.regs.syscall_args();
    if let crate::seccomp::Entry::Return(rax) = crate::seccomp::syscall_entry(ctx, nr, args) {
        ctx.regs.rax = rax;
        return;
    }
    let entry = entry(nr);
    let result = match entry {
        Some(e) => call(ctx, e.call, args),
        None => {
            log_unknown(nr);
            Err(Errno::ENOSYS)
        }
    };
    if let Some(names) = STRACE.get() {
        strace::log(ctx, names, nr, entry, args, result);
    }
    ctx.regs.rax = match result {
        Ok(v) => v,
        Err(e) => e.as_syscall_return(),
    };
}

/// Runs handler `h`; when a page it touched found no frame and the OOM
/// killer then freed some, runs it again, as Linux's page allocator retries
/// inside the call.
fn call(
    ctx: &mut TrapContext,
    h: fn(&mut TrapContext, [u64; 6]) -> Result<u64>,
    args: [u64; 6],
) -> Result<u64> {
    mm::take_alloc_failure();
    let mut result = h(ctx, args);
    let mut tries = 0;
    while matches!(result, Err(Errno::ENOMEM | Errno::EFAULT))
        && mm::take_alloc_failure()
        && tries < OOM_RETRIES
        && crate::oom::out_of_memory(ctx.task)
        && !crate::signal::fatal_signal_pending(ctx.task)
    {
        tries += 1;
        result = h(ctx, args);
    }
    result
}

/// The `strace=` command names, set once at boot when the option is given.
pub static STRACE: std::sync::OnceLock<Vec<String>> = std::sync::OnceLock::new();

/// Logs an unimplemented system call once per number.
fn log_unknown(nr: u64) {
    static SEEN: [AtomicU64; MAX_NR / 64] = [const { AtomicU64::new(0) }; MAX_NR / 64];
    let (word, bit) = ((nr as usize / 64).min(SEEN.len() - 1), 1u64 << (nr % 64));
    if SEEN[word].fetch_or(bit, Ordering::Relaxed) & bit == 0 {
        log::warn!("unimplemented system call {nr}: returning ENOSYS");
    }
}
