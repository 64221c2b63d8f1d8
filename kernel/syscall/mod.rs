//! System calls: one declarative table from x86_64 numbers to handlers, one file
//! per family of calls, and the one place (`dispatch`) where `Err(errno)` becomes
//! `-errno` in rax. Unknown numbers return ENOSYS and are logged once each.

mod attr;
mod cred;
mod epoll;
mod fallocate;
mod fd;
mod flock;
mod info;
mod inotify;
mod ioctl;
mod itimer;
pub(crate) mod mem;
mod mount;
mod msghdr;
mod namei;
mod open;
mod openat2;
mod pipe;
mod poll;
mod posix_timer;
mod process;
mod reboot;
mod recvmsg;
mod rw;
pub(crate) mod sched;
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
pub(crate) mod time;
mod unlink;
mod utimes;
mod xattr;

pub use cred::Cred;
pub use info::RELEASE;
pub use itimer::Itimers;
pub use posix_timer::{timer_delivered, PosixTimer};
use table::{Entry, TABLE};

use crate::task::{locked, ExitStatus, Task};
use arch::stub::Stub;
use arch::{Errno, Result, UserRegs};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// What a system call handler works on: the calling task, its registers (the
/// result goes to rax) and its stub.
pub struct SyscallContext<'a> {
    pub task: &'a Arc<Task>,
    pub regs: &'a mut UserRegs,
    pub stub: &'a mut Stub,
    /// Set by exit (and by signal delivery when the group dies): the task ends
    /// after this trap.
    pub exit: Option<ExitStatus>,
    /// True while handling a system call trap: its result in rax may be one of
    /// the `-ERESTART*` codes that signal delivery turns into a restart or EINTR.
    pub in_syscall: bool,
}

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
pub fn dispatch(ctx: &mut SyscallContext) {
    let (nr, args) = ctx.regs.syscall_args();
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
    ctx: &mut SyscallContext,
    h: fn(&mut SyscallContext, [u64; 6]) -> Result<u64>,
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

impl SyscallContext<'_> {
    /// Returns the caller's credentials for file operations.
    pub fn cred(&self) -> fs::Credentials {
        locked(&self.task.process.cred).fs()
    }

    /// Copies guest memory at `addr` into `buf` (EFAULT if not readable).
    pub fn read_user(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        locked(&self.task.mm()).copy_from_user(addr, buf)
    }

    /// Copies `data` to guest memory at `addr` (EFAULT if not writable).
    pub fn write_user(&self, addr: u64, data: &[u8]) -> Result<()> {
        locked(&self.task.mm()).copy_to_user(addr, data)
    }

    /// Reads a little-endian u64 from guest memory.
    pub fn read_u64(&self, addr: u64) -> Result<u64> {
        let mut b = [0u8; 8];
        self.read_user(addr, &mut b)?;
        Ok(u64::from_ne_bytes(b))
    }

    /// Reads a NUL-terminated path (ENAMETOOLONG past PATH_MAX).
    pub fn read_path(&self, addr: u64) -> Result<Vec<u8>> {
        locked(&self.task.mm()).read_cstring(addr, 4096)
    }

    /// Reads a NULL-terminated array of string pointers (argv, envp), each string at
    /// most 128 KiB and all of them together at most 2 MiB (E2BIG).
    pub fn read_string_array(&self, addr: u64) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        let mut total = 0usize;
        if addr == 0 {
            return Ok(out);
        }
        for i in 0.. {
            let p = self.read_u64(addr.wrapping_add(i * 8))?;
            if p == 0 {
                break;
            }
            let s = locked(&self.task.mm())
                .read_cstring(p, 128 * 1024)
                .map_err(|e| {
                    if e == Errno::ENAMETOOLONG {
                        Errno::E2BIG
                    } else {
                        e
                    }
                })?;
            total += s.len() + 1 + 8;
            if total > 2 << 20 {
                return Err(Errno::E2BIG);
            }
            out.push(s);
        }
        Ok(out)
    }
}
