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
mod sync;
mod sysinfo;
mod syslog;
pub(crate) mod time;
mod unlink;
mod utimes;
mod xattr;

pub use cred::Cred;
pub use info::RELEASE;
pub use itimer::Itimers;
pub use posix_timer::{timer_delivered, PosixTimer};

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
#[rustfmt::skip]
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
    (24, "sched_yield", sched::sys_sched_yield),
    (25, "mremap", mem::sys_mremap),
    (26, "msync", mem::sys_msync),
    (28, "madvise", mem::sys_madvise),
    (32, "dup", fd::sys_dup),
    (33, "dup2", fd::sys_dup2),
    (34, "pause", signal::sys_pause),
    (35, "nanosleep", time::sys_nanosleep),
    (36, "getitimer", itimer::sys_getitimer),
    (37, "alarm", itimer::sys_alarm),
    (38, "setitimer", itimer::sys_setitimer),
    (39, "getpid", process::sys_getpid),
    (40, "sendfile", sendfile::sys_sendfile),
    (41, "socket", socket::sys_socket),
    (42, "connect", socket::sys_connect),
    (43, "accept", socket::sys_accept),
    (44, "sendto", sendmsg::sys_sendto),
    (45, "recvfrom", recvmsg::sys_recvfrom),
    (46, "sendmsg", sendmsg::sys_sendmsg),
    (47, "recvmsg", recvmsg::sys_recvmsg),
    (48, "shutdown", socket::sys_shutdown),
    (49, "bind", socket::sys_bind),
    (50, "listen", socket::sys_listen),
    (51, "getsockname", socket::sys_getsockname),
    (52, "getpeername", socket::sys_getpeername),
    (53, "socketpair", socket::sys_socketpair),
    (54, "setsockopt", sockopt::sys_setsockopt),
    (55, "getsockopt", sockopt::sys_getsockopt),
    (56, "clone", process::sys_clone),
    (57, "fork", process::sys_fork),
    (58, "vfork", process::sys_vfork),
    (59, "execve", process::sys_execve),
    (60, "exit", process::sys_exit),
    (61, "wait4", process::sys_wait4),
    (62, "kill", signal::sys_kill),
    (63, "uname", info::sys_uname),
    (72, "fcntl", fd::sys_fcntl),
    (73, "flock", flock::sys_flock),
    (74, "fsync", sync::sys_fsync),
    (75, "fdatasync", sync::sys_fdatasync),
    (76, "truncate", attr::sys_truncate),
    (77, "ftruncate", attr::sys_ftruncate),
    (79, "getcwd", open::sys_getcwd),
    (80, "chdir", open::sys_chdir),
    (81, "fchdir", open::sys_fchdir),
    (82, "rename", unlink::sys_rename),
    (83, "mkdir", namei::sys_mkdir),
    (84, "rmdir", unlink::sys_rmdir),
    (85, "creat", open::sys_creat),
    (86, "link", namei::sys_link),
    (87, "unlink", unlink::sys_unlink),
    (88, "symlink", namei::sys_symlink),
    (89, "readlink", stat::sys_readlink),
    (90, "chmod", attr::sys_chmod),
    (91, "fchmod", attr::sys_fchmod),
    (92, "chown", attr::sys_chown),
    (93, "fchown", attr::sys_fchown),
    (94, "lchown", attr::sys_lchown),
    (95, "umask", attr::sys_umask),
    (96, "gettimeofday", time::sys_gettimeofday),
    (97, "getrlimit", process::sys_getrlimit),
    (98, "getrusage", sched::sys_getrusage),
    (99, "sysinfo", sysinfo::sys_sysinfo),
    (100, "times", sched::sys_times),
    (102, "getuid", cred::sys_getuid),
    (103, "syslog", syslog::sys_syslog),
    (104, "getgid", cred::sys_getgid),
    (105, "setuid", cred::sys_setuid),
    (106, "setgid", cred::sys_setgid),
    (107, "geteuid", cred::sys_geteuid),
    (108, "getegid", cred::sys_getegid),
    (109, "setpgid", process::sys_setpgid),
    (110, "getppid", process::sys_getppid),
    (111, "getpgrp", process::sys_getpgrp),
    (112, "setsid", process::sys_setsid),
    (113, "setreuid", cred::sys_setreuid),
    (114, "setregid", cred::sys_setregid),
    (115, "getgroups", cred::sys_getgroups),
    (116, "setgroups", cred::sys_setgroups),
    (117, "setresuid", cred::sys_setresuid),
    (118, "getresuid", cred::sys_getresuid),
    (119, "setresgid", cred::sys_setresgid),
    (120, "getresgid", cred::sys_getresgid),
    (121, "getpgid", process::sys_getpgid),
    (122, "setfsuid", cred::sys_setfsuid),
    (123, "setfsgid", cred::sys_setfsgid),
    (124, "getsid", process::sys_getsid),
    (125, "capget", cred::sys_capget),
    (126, "capset", cred::sys_capset),
    (127, "rt_sigpending", signal::sys_rt_sigpending),
    (128, "rt_sigtimedwait", signal::sys_rt_sigtimedwait),
    (129, "rt_sigqueueinfo", signal::sys_rt_sigqueueinfo),
    (130, "rt_sigsuspend", signal::sys_rt_sigsuspend),
    (131, "sigaltstack", signal::sys_sigaltstack),
    (132, "utime", utimes::sys_utime),
    (133, "mknod", namei::sys_mknod),
    (137, "statfs", statfs::sys_statfs),
    (138, "fstatfs", statfs::sys_fstatfs),
    (140, "getpriority", sched::sys_getpriority),
    (141, "setpriority", sched::sys_setpriority),
    (142, "sched_setparam", sched::sys_sched_setparam),
    (143, "sched_getparam", sched::sys_sched_getparam),
    (144, "sched_setscheduler", sched::sys_sched_setscheduler),
    (145, "sched_getscheduler", sched::sys_sched_getscheduler),
    (146, "sched_get_priority_max", sched::sys_sched_get_priority_max),
    (147, "sched_get_priority_min", sched::sys_sched_get_priority_min),
    (148, "sched_rr_get_interval", sched::sys_sched_rr_get_interval),
    (149, "mlock", mem::sys_mlock),
    (150, "munlock", mem::sys_mlock),
    (151, "mlockall", mem::sys_mlockall),
    (152, "munlockall", mem::sys_munlockall),
    (153, "vhangup", process::sys_vhangup),
    (157, "prctl", process::sys_prctl),
    (158, "arch_prctl", process::sys_arch_prctl),
    (162, "sync", sync::sys_sync),
    (164, "settimeofday", time::sys_settimeofday),
    (165, "mount", mount::sys_mount),
    (166, "umount2", mount::sys_umount2),
    (169, "reboot", reboot::sys_reboot),
    (170, "sethostname", info::sys_sethostname),
    (186, "gettid", process::sys_gettid),
    (188, "setxattr", xattr::sys_setxattr),
    (189, "lsetxattr", xattr::sys_lsetxattr),
    (190, "fsetxattr", xattr::sys_fsetxattr),
    (191, "getxattr", xattr::sys_getxattr),
    (192, "lgetxattr", xattr::sys_lgetxattr),
    (193, "fgetxattr", xattr::sys_fgetxattr),
    (194, "listxattr", xattr::sys_listxattr),
    (195, "llistxattr", xattr::sys_llistxattr),
    (196, "flistxattr", xattr::sys_flistxattr),
    (197, "removexattr", xattr::sys_removexattr),
    (198, "lremovexattr", xattr::sys_lremovexattr),
    (199, "fremovexattr", xattr::sys_fremovexattr),
    (200, "tkill", signal::sys_tkill),
    (201, "time", time::sys_time),
    (202, "futex", crate::futex::sys_futex),
    (203, "sched_setaffinity", sched::sys_sched_setaffinity),
    (204, "sched_getaffinity", sched::sys_sched_getaffinity),
    (213, "epoll_create", epoll::sys_epoll_create),
    (217, "getdents64", open::sys_getdents64),
    (218, "set_tid_address", process::sys_set_tid_address),
    (219, "restart_syscall", crate::signal::restart_syscall),
    (221, "fadvise64", sendfile::sys_fadvise64),
    (222, "timer_create", posix_timer::sys_timer_create),
    (223, "timer_settime", posix_timer::sys_timer_settime),
    (224, "timer_gettime", posix_timer::sys_timer_gettime),
    (225, "timer_getoverrun", posix_timer::sys_timer_getoverrun),
    (226, "timer_delete", posix_timer::sys_timer_delete),
    (227, "clock_settime", time::sys_clock_settime),
    (228, "clock_gettime", time::sys_clock_gettime),
    (229, "clock_getres", time::sys_clock_getres),
    (230, "clock_nanosleep", time::sys_clock_nanosleep),
    (231, "exit_group", process::sys_exit_group),
    (232, "epoll_wait", epoll::sys_epoll_wait),
    (233, "epoll_ctl", epoll::sys_epoll_ctl),
    (234, "tgkill", signal::sys_tgkill),
    (235, "utimes", utimes::sys_utimes),
    (247, "waitid", process::sys_waitid),
    (253, "inotify_init", inotify::sys_inotify_init),
    (254, "inotify_add_watch", inotify::sys_inotify_add_watch),
    (255, "inotify_rm_watch", inotify::sys_inotify_rm_watch),
    (257, "openat", open::sys_openat),
    (258, "mkdirat", namei::sys_mkdirat),
    (259, "mknodat", namei::sys_mknodat),
    (260, "fchownat", attr::sys_fchownat),
    (261, "futimesat", utimes::sys_futimesat),
    (262, "newfstatat", stat::sys_newfstatat),
    (263, "unlinkat", unlink::sys_unlinkat),
    (264, "renameat", unlink::sys_renameat),
    (265, "linkat", namei::sys_linkat),
    (266, "symlinkat", namei::sys_symlinkat),
    (267, "readlinkat", stat::sys_readlinkat),
    (268, "fchmodat", attr::sys_fchmodat),
    (269, "faccessat", stat::sys_faccessat),
    (270, "pselect6", select::sys_pselect6),
    (271, "ppoll", poll::sys_ppoll),
    (273, "set_robust_list", process::sys_set_robust_list),
    (275, "splice", splice::sys_splice),
    (276, "tee", splice::sys_tee),
    (277, "sync_file_range", sync::sys_sync_file_range),
    (278, "vmsplice", splice::sys_vmsplice),
    (280, "utimensat", utimes::sys_utimensat),
    (281, "epoll_pwait", epoll::sys_epoll_pwait),
    (283, "timerfd_create", crate::timerfd::sys_timerfd_create),
    (284, "eventfd", crate::eventfd::sys_eventfd),
    (285, "fallocate", fallocate::sys_fallocate),
    (286, "timerfd_settime", crate::timerfd::sys_timerfd_settime),
    (287, "timerfd_gettime", crate::timerfd::sys_timerfd_gettime),
    (288, "accept4", socket::sys_accept4),
    (290, "eventfd2", crate::eventfd::sys_eventfd2),
    (291, "epoll_create1", epoll::sys_epoll_create1),
    (292, "dup3", fd::sys_dup3),
    (293, "pipe2", pipe::sys_pipe2),
    (294, "inotify_init1", inotify::sys_inotify_init1),
    (295, "preadv", rw::sys_preadv),
    (296, "pwritev", rw::sys_pwritev),
    (297, "rt_tgsigqueueinfo", signal::sys_rt_tgsigqueueinfo),
    (299, "recvmmsg", recvmsg::sys_recvmmsg),
    (302, "prlimit64", process::sys_prlimit64),
    (306, "syncfs", sync::sys_syncfs),
    (307, "sendmmsg", sendmsg::sys_sendmmsg),
    (309, "getcpu", sched::sys_getcpu),
    (316, "renameat2", unlink::sys_renameat2),
    (318, "getrandom", info::sys_getrandom),
    (319, "memfd_create", crate::memfd::sys_memfd_create),
    (322, "execveat", process::sys_execveat),
    (326, "copy_file_range", sendfile::sys_copy_file_range),
    (327, "preadv2", rw::sys_preadv2),
    (328, "pwritev2", rw::sys_pwritev2),
    (325, "mlock2", mem::sys_mlock),
    (332, "statx", statx::sys_statx),
    (424, "pidfd_send_signal", crate::pidfd::sys_pidfd_send_signal),
    (434, "pidfd_open", crate::pidfd::sys_pidfd_open),
    (435, "clone3", process::sys_clone3),
    (437, "openat2", openat2::sys_openat2),
    (439, "faccessat2", stat::sys_faccessat2),
    (441, "epoll_pwait2", epoll::sys_epoll_pwait2),
    (452, "fchmodat2", attr::sys_fchmodat2),
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

/// How often a system call runs again after the OOM killer freed memory.
const OOM_RETRIES: u32 = 8;

/// Handles the system call the task trapped on and stores its result in rax.
pub fn dispatch(ctx: &mut SyscallContext) {
    let (nr, args) = ctx.regs.syscall_args();
    let entry = handler(nr);
    let result = match entry {
        Some((_, h)) => call(ctx, h, args),
        None => {
            log_unknown(nr);
            Err(Errno::ENOSYS)
        }
    };
    if let Some(names) = STRACE.get() {
        strace(ctx, names, nr, entry.map(|e| e.0), args, result);
    }
    ctx.regs.rax = match result {
        Ok(v) => v,
        Err(e) => e.as_syscall_return(),
    };
}

/// Runs handler `h`; when a page it touched found no frame and the OOM
/// killer then freed some, runs it again, as Linux's page allocator retries
/// inside the call.
fn call(ctx: &mut SyscallContext, h: Handler, args: [u64; 6]) -> Result<u64> {
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

/// Logs one finished system call of a traced program, strace-style:
/// `strace: 42 login: openat(0xffffff9c, 0x7f12.., 0x80000) = -ENOENT`.
fn strace(
    ctx: &SyscallContext,
    names: &[String],
    nr: u64,
    name: Option<&str>,
    args: [u64; 6],
    result: Result<u64>,
) {
    let comm = String::from_utf8_lossy(&locked(&ctx.task.process.comm)).into_owned();
    if !names.iter().any(|n| n == "all" || *n == comm) {
        return;
    }
    let call = name.map_or_else(|| format!("syscall_{nr}"), str::to_string);
    // The argument that names a file, shown as a string.
    let path_arg = match call.as_str() {
        "open" | "stat" | "lstat" | "access" | "execve" | "statfs" | "readlink" | "chdir"
        | "mkdir" | "rmdir" | "unlink" | "creat" | "chmod" | "chown" | "truncate" => Some(0),
        "openat" | "newfstatat" | "faccessat" | "faccessat2" | "execveat" | "readlinkat"
        | "mkdirat" | "unlinkat" | "fchmodat" | "fchownat" | "statx" | "utimensat" | "mknodat"
        | "openat2" => Some(1),
        _ => None,
    };
    let args: Vec<String> = args
        .iter()
        .enumerate()
        .map(|(i, &a)| {
            // Only the file name is read from guest memory: reading the other
            // arguments as strings could fault pages in behind the guest's back.
            let name = (path_arg == Some(i))
                .then(|| ctx.read_path(a).ok())
                .flatten();
            match name {
                Some(p) => format!("{:?}", String::from_utf8_lossy(&p)),
                None => format!("{a:#x}"),
            }
        })
        .collect();
    let ret = match result {
        Ok(v) => format!("{v:#x}"),
        Err(e) => format!("-{e}"),
    };
    log::info!(
        "strace: {} {comm}: {call}({}) = {ret}",
        ctx.task.tid(),
        args.join(", ")
    );
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
