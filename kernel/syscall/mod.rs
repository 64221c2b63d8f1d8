//! System calls: one declarative table from x86_64 numbers to handlers, one file
//! per family of calls, and the one place (`dispatch`) where `Err(errno)` becomes
//! `-errno` in rax. Unknown numbers return ENOSYS and are logged once each.

mod epoll;
mod fd;
mod info;
mod ioctl;
pub(crate) mod mem;
mod open;
mod pipe;
mod poll;
mod process;
mod rw;
mod select;
mod signal;
mod stat;
pub(crate) mod time;

pub use info::RELEASE;

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

type Handler = fn(&mut SyscallContext, [u64; 6]) -> Result<u64>;

/// The system call table: (number, name, handler).
static TABLE: &[(u64, &str, Handler)] = &[
    (0, "read", rw::sys_read),
    (1, "write", rw::sys_write),
    (2, "open", open::sys_open),
    (3, "close", open::sys_close),
    (4, "stat", stat::sys_stat),
    (5, "fstat", stat::sys_fstat),
    (6, "lstat", stat::sys_lstat),
    (7, "poll", poll::sys_poll),
    (8, "lseek", rw::sys_lseek),
    (9, "mmap", mem::sys_mmap),
    (10, "mprotect", mem::sys_mprotect),
    (11, "munmap", mem::sys_munmap),
    (12, "brk", mem::sys_brk),
    (13, "rt_sigaction", signal::sys_rt_sigaction),
    (14, "rt_sigprocmask", signal::sys_rt_sigprocmask),
    (15, "rt_sigreturn", signal::sys_rt_sigreturn),
    (16, "ioctl", ioctl::sys_ioctl),
    (17, "pread64", rw::sys_pread64),
    (18, "pwrite64", rw::sys_pwrite64),
    (19, "readv", rw::sys_readv),
    (20, "writev", rw::sys_writev),
    (21, "access", stat::sys_access),
    (22, "pipe", pipe::sys_pipe),
    (23, "select", select::sys_select),
    (24, "sched_yield", process::sys_sched_yield),
    (25, "mremap", mem::sys_mremap),
    (28, "madvise", mem::sys_madvise),
    (32, "dup", fd::sys_dup),
    (33, "dup2", fd::sys_dup2),
    (34, "pause", signal::sys_pause),
    (35, "nanosleep", time::sys_nanosleep),
    (39, "getpid", process::sys_getpid),
    (56, "clone", process::sys_clone),
    (57, "fork", process::sys_fork),
    (58, "vfork", process::sys_vfork),
    (59, "execve", process::sys_execve),
    (60, "exit", process::sys_exit),
    (61, "wait4", process::sys_wait4),
    (62, "kill", signal::sys_kill),
    (63, "uname", info::sys_uname),
    (72, "fcntl", fd::sys_fcntl),
    (79, "getcwd", open::sys_getcwd),
    (80, "chdir", open::sys_chdir),
    (81, "fchdir", open::sys_fchdir),
    (89, "readlink", stat::sys_readlink),
    (96, "gettimeofday", time::sys_gettimeofday),
    (97, "getrlimit", process::sys_getrlimit),
    (102, "getuid", process::sys_getuid),
    (104, "getgid", process::sys_getuid),
    (107, "geteuid", process::sys_getuid),
    (108, "getegid", process::sys_getuid),
    (109, "setpgid", process::sys_setpgid),
    (110, "getppid", process::sys_getppid),
    (111, "getpgrp", process::sys_getpgrp),
    (112, "setsid", process::sys_setsid),
    (121, "getpgid", process::sys_getpgid),
    (124, "getsid", process::sys_getsid),
    (127, "rt_sigpending", signal::sys_rt_sigpending),
    (128, "rt_sigtimedwait", signal::sys_rt_sigtimedwait),
    (129, "rt_sigqueueinfo", signal::sys_rt_sigqueueinfo),
    (130, "rt_sigsuspend", signal::sys_rt_sigsuspend),
    (131, "sigaltstack", signal::sys_sigaltstack),
    (158, "arch_prctl", process::sys_arch_prctl),
    (186, "gettid", process::sys_gettid),
    (200, "tkill", signal::sys_tkill),
    (201, "time", time::sys_time),
    (202, "futex", crate::futex::sys_futex),
    (204, "sched_getaffinity", process::sys_sched_getaffinity),
    (213, "epoll_create", epoll::sys_epoll_create),
    (217, "getdents64", open::sys_getdents64),
    (218, "set_tid_address", process::sys_set_tid_address),
    (219, "restart_syscall", crate::signal::restart_syscall),
    (228, "clock_gettime", time::sys_clock_gettime),
    (229, "clock_getres", time::sys_clock_getres),
    (230, "clock_nanosleep", time::sys_clock_nanosleep),
    (231, "exit_group", process::sys_exit_group),
    (232, "epoll_wait", epoll::sys_epoll_wait),
    (233, "epoll_ctl", epoll::sys_epoll_ctl),
    (234, "tgkill", signal::sys_tgkill),
    (247, "waitid", process::sys_waitid),
    (257, "openat", open::sys_openat),
    (262, "newfstatat", stat::sys_newfstatat),
    (267, "readlinkat", stat::sys_readlinkat),
    (269, "faccessat", stat::sys_faccessat),
    (270, "pselect6", select::sys_pselect6),
    (271, "ppoll", poll::sys_ppoll),
    (273, "set_robust_list", process::sys_set_robust_list),
    (281, "epoll_pwait", epoll::sys_epoll_pwait),
    (284, "eventfd", crate::eventfd::sys_eventfd),
    (290, "eventfd2", crate::eventfd::sys_eventfd2),
    (291, "epoll_create1", epoll::sys_epoll_create1),
    (292, "dup3", fd::sys_dup3),
    (293, "pipe2", pipe::sys_pipe2),
    (297, "rt_tgsigqueueinfo", signal::sys_rt_tgsigqueueinfo),
    (302, "prlimit64", process::sys_prlimit64),
    (318, "getrandom", info::sys_getrandom),
    (322, "execveat", process::sys_execveat),
    (
        424,
        "pidfd_send_signal",
        crate::pidfd::sys_pidfd_send_signal,
    ),
    (434, "pidfd_open", crate::pidfd::sys_pidfd_open),
    (435, "clone3", process::sys_clone3),
    (439, "faccessat2", stat::sys_faccessat2),
    (441, "epoll_pwait2", epoll::sys_epoll_pwait2),
];

const MAX_NR: usize = 512;

fn handler(nr: u64) -> Option<(&'static str, Handler)> {
    static INDEX: std::sync::OnceLock<Vec<Option<(&'static str, Handler)>>> =
        std::sync::OnceLock::new();
    let index = INDEX.get_or_init(|| {
        let mut v = vec![None; MAX_NR];
        for &(nr, name, h) in TABLE {
            v[nr as usize] = Some((name, h));
        }
        v
    });
    index.get(nr as usize).copied().flatten()
}

/// Handles the system call the task trapped on and stores its result in rax.
pub fn dispatch(ctx: &mut SyscallContext) {
    let (nr, args) = ctx.regs.syscall_args();
    let result = match handler(nr) {
        Some((_, h)) => h(ctx, args),
        None => {
            log_unknown(nr);
            Err(Errno::ENOSYS)
        }
    };
    ctx.regs.rax = match result {
        Ok(v) => v,
        Err(e) => e.as_syscall_return(),
    };
}

/// Logs an unimplemented system call once per number.
fn log_unknown(nr: u64) {
    static SEEN: [AtomicU64; MAX_NR / 64] = [const { AtomicU64::new(0) }; MAX_NR / 64];
    let (word, bit) = ((nr as usize / 64).min(SEEN.len() - 1), 1u64 << (nr % 64));
    if SEEN[word].fetch_or(bit, Ordering::Relaxed) & bit == 0 {
        log::warn!("unimplemented system call {nr}: returning ENOSYS");
    }
}

impl SyscallContext<'_> {
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
