//! Process system calls: identity (getpid and friends), creation (fork, vfork,
//! clone), execve, exit, wait4, sessions and groups, resource limits, and the
//! per-thread registrations glibc makes at start-up.

use super::SyscallContext;
use crate::task::{self, locked, CloneArgs, ExitStatus, WaitOptions, WaitResult, RLIM_NLIMITS};
use arch::{Errno, Result};
use std::sync::atomic::Ordering;

pub fn sys_getpid(ctx: &mut SyscallContext) -> Result<u64> {
    Ok(ctx.task.process.pid as u64)
}

pub fn sys_gettid(ctx: &mut SyscallContext) -> Result<u64> {
    Ok(ctx.task.tid() as u64)
}

pub fn sys_getppid(ctx: &mut SyscallContext) -> Result<u64> {
    Ok(ctx.task.process.ppid() as u64)
}

pub fn sys_getpgrp(ctx: &mut SyscallContext) -> Result<u64> {
    Ok(*locked(&ctx.task.process.pgid) as u64)
}

fn target(ctx: &SyscallContext, pid: u64) -> Result<std::sync::Arc<task::Process>> {
    match pid as i32 {
        0 => Ok(ctx.task.process.clone()),
        p if p > 0 => task::find_process(p).ok_or(Errno::ESRCH),
        _ => Err(Errno::ESRCH),
    }
}

pub fn sys_getpgid(ctx: &mut SyscallContext, pid: u64) -> Result<u64> {
    Ok(*locked(&target(ctx, pid)?.pgid) as u64)
}

pub fn sys_getsid(ctx: &mut SyscallContext, pid: u64) -> Result<u64> {
    Ok(*locked(&target(ctx, pid)?.sid) as u64)
}

/// setpgid(2): a process may move itself or a child into a group of its session.
pub fn sys_setpgid(ctx: &mut SyscallContext, pid: u64, pgid: u64) -> Result<u64> {
    if (pgid as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let p = target(ctx, pid)?;
    let me = &ctx.task.process;
    if p.pid != me.pid && p.ppid() != me.pid {
        return Err(Errno::ESRCH);
    }
    if *locked(&p.sid) == p.pid {
        return Err(Errno::EPERM);
    }
    let pgid = if pgid == 0 { p.pid } else { pgid as i32 };
    *locked(&p.pgid) = pgid;
    Ok(0)
}

/// setsid(2): EPERM while a process group with the caller's id exists.
pub fn sys_setsid(ctx: &mut SyscallContext) -> Result<u64> {
    let p = &ctx.task.process;
    let group_exists = || {
        task::all_processes()
            .iter()
            .any(|q| *locked(&q.pgid) == p.pid)
    };
    if *locked(&p.pgid) == p.pid || group_exists() {
        return Err(Errno::EPERM);
    }
    *locked(&p.pgid) = p.pid;
    *locked(&p.sid) = p.pid;
    *locked(&p.ctty) = None;
    Ok(p.pid as u64)
}

/// vhangup(2): hangs up the controlling terminal; needs CAP_SYS_TTY_CONFIG.
pub fn sys_vhangup(ctx: &mut SyscallContext) -> Result<u64> {
    if locked(&ctx.task.process.cred).euid != 0 {
        return Err(Errno::EPERM);
    }
    crate::tty::vhangup(&ctx.task.process);
    Ok(0)
}

const SIGCHLD: u64 = 17;

pub fn sys_fork(ctx: &mut SyscallContext) -> Result<u64> {
    let args = CloneArgs {
        exit_signal: SIGCHLD,
        ..Default::default()
    };
    Ok(task::do_fork(ctx, args)? as u64)
}

/// vfork: the child borrows the parent's address space, and the parent sleeps
/// until the child execs or exits.
pub fn sys_vfork(ctx: &mut SyscallContext) -> Result<u64> {
    let args = CloneArgs {
        flags: task::fork::CLONE_VM | task::fork::CLONE_VFORK,
        exit_signal: SIGCHLD,
        ..Default::default()
    };
    Ok(task::do_fork(ctx, args)? as u64)
}

/// clone(flags, stack, parent_tid, child_tid, tls): the x86_64 argument order.
pub fn sys_clone(
    ctx: &mut SyscallContext,
    flags: u64,
    stack: u64,
    parent_tid: u64,
    child_tid: u64,
    tls: u64,
) -> Result<u64> {
    let f = flags;
    let args = CloneArgs {
        flags: f & !0xff,
        exit_signal: f & 0xff,
        stack,
        parent_tid,
        child_tid,
        tls,
        // clone(2) returns the pidfd through the parent_tid slot.
        pidfd: parent_tid,
    };
    if args.flags & task::fork::CLONE_PIDFD != 0
        && args.flags & task::fork::CLONE_PARENT_SETTID != 0
    {
        return Err(Errno::EINVAL);
    }
    Ok(task::do_fork(ctx, args)? as u64)
}

/// clone3(args, size): `struct clone_args`, at least its first 64 bytes
/// (CLONE_ARGS_SIZE_VER0); the stack is given as base and size.
pub fn sys_clone3(ctx: &mut SyscallContext, args: u64, size: u64) -> Result<u64> {
    let size = size as usize;
    if !(64..=4096).contains(&size) {
        return Err(Errno::EINVAL);
    }
    let mut b = vec![0u8; size];
    ctx.read_user(args, &mut b)?;
    let w = |i: usize| u64::from_ne_bytes(b[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    // Fields past the ones this kernel knows must be zero (E2BIG), and
    // set_tid and cgroup (pid namespaces, cgroups) are not offered.
    if b[88.min(size)..].iter().any(|&x| x != 0) || (size >= 88 && (w(8) != 0 || w(9) != 0)) {
        return Err(if b[88.min(size)..].iter().any(|&x| x != 0) {
            Errno::E2BIG
        } else {
            Errno::EINVAL
        });
    }
    let (stack, stack_size) = (w(5), w(6));
    if (stack == 0) != (stack_size == 0) {
        return Err(Errno::EINVAL);
    }
    let exit_signal = w(4);
    if exit_signal & !0xff != 0 || w(0) & 0xff != 0 {
        return Err(Errno::EINVAL);
    }
    let args = CloneArgs {
        flags: w(0),
        pidfd: w(1),
        child_tid: w(2),
        parent_tid: w(3),
        exit_signal,
        stack: if stack == 0 { 0 } else { stack + stack_size },
        tls: w(7),
    };
    Ok(task::do_fork(ctx, args)? as u64)
}

pub fn sys_execve(ctx: &mut SyscallContext, path: u64, argv: u64, envp: u64) -> Result<u64> {
    let path = ctx.read_path(path)?;
    let argv = ctx.read_string_array(argv)?;
    let envp = ctx.read_string_array(envp)?;
    crate::exec::execve(ctx, &path, argv, envp)?;
    Ok(0)
}

/// execveat(dirfd, path, argv, envp, flags): AT_EMPTY_PATH runs the file
/// `dirfd` itself; AT_SYMLINK_NOFOLLOW refuses a final symlink (ELOOP).
pub fn sys_execveat(
    ctx: &mut SyscallContext,
    dirfd: u64,
    path: u64,
    argv: u64,
    envp: u64,
    flags: u64,
) -> Result<u64> {
    use super::open::{resolve_at, AT_EMPTY_PATH, AT_SYMLINK_NOFOLLOW};
    if flags & !(AT_EMPTY_PATH | AT_SYMLINK_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    let name = ctx.read_path(path)?;
    let file = resolve_at(ctx, dirfd, &name, flags, true)?;
    if file.inode().file_type() == fs::FileType::Symlink {
        return Err(Errno::ELOOP);
    }
    let argv = ctx.read_string_array(argv)?;
    let envp = ctx.read_string_array(envp)?;
    // Like Linux, the program is known as /dev/fd/N for AT_EMPTY_PATH.
    let shown = if name.is_empty() || (name[0] != b'/' && dirfd as i32 != super::open::AT_FDCWD) {
        let mut n = format!("/dev/fd/{}", dirfd as i32).into_bytes();
        if !name.is_empty() {
            n.push(b'/');
            n.extend_from_slice(&name);
        }
        n
    } else {
        name
    };
    crate::exec::execve_file(ctx, file, &shown, argv, envp)?;
    Ok(0)
}

/// exit: ends the calling thread only.
pub fn sys_exit(ctx: &mut SyscallContext, status: u64) -> Result<u64> {
    ctx.exit = Some(ExitStatus::Exited(status as u8));
    Ok(0)
}

/// exit_group: ends every thread of the process.
pub fn sys_exit_group(ctx: &mut SyscallContext, status: u64) -> Result<u64> {
    crate::signal::group_exit(&ctx.task.process, ExitStatus::Exited(status as u8));
    Ok(0)
}

const WNOHANG: u64 = 1;
const WUNTRACED: u64 = 2;
const WEXITED: u64 = 4;
const WCONTINUED: u64 = 8;
const WNOWAIT: u64 = 0x0100_0000;
const WNOTHREAD: u64 = 0x2000_0000;
const WALL: u64 = 0x4000_0000;
const WCLONE: u64 = 0x8000_0000;

/// Writes a `struct rusage` (144 bytes) with the CPU times in nanoseconds.
pub(super) fn write_rusage(ctx: &SyscallContext, addr: u64, times: (u64, u64)) -> Result<()> {
    let mut b = [0u8; 144];
    for (i, ns) in [times.0, times.1].iter().enumerate() {
        b[i * 16..i * 16 + 8].copy_from_slice(&((ns / 1_000_000_000) as i64).to_ne_bytes());
        b[i * 16 + 8..i * 16 + 16]
            .copy_from_slice(&((ns % 1_000_000_000 / 1000) as i64).to_ne_bytes());
    }
    ctx.write_user(addr, &b)
}

pub fn sys_wait4(
    ctx: &mut SyscallContext,
    pid: u64,
    status: u64,
    options: u64,
    rusage: u64,
) -> Result<u64> {
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE) != 0 {
        return Err(Errno::EINVAL);
    }
    if pid as i32 == i32::MIN {
        return Err(Errno::ESRCH);
    }
    let o = WaitOptions {
        pid: pid as i32,
        exited: true,
        stopped: options & WUNTRACED != 0,
        continued: options & WCONTINUED != 0,
        nohang: options & WNOHANG != 0,
        nowait: false,
        all: options & WALL != 0,
        clone: options & WCLONE != 0,
    };
    let task = ctx.task.clone();
    match task::do_wait(&task, o)? {
        None => Ok(0),
        Some(r) => {
            if status != 0 {
                ctx.write_user(status, &r.status().to_ne_bytes())?;
            }
            if rusage != 0 {
                let times = match r {
                    WaitResult::Exited(_, _, t) => t,
                    _ => (0, 0),
                };
                write_rusage(ctx, rusage, times)?;
            }
            Ok(r.pid() as u64)
        }
    }
}

/// waitid(idtype, id, infop, options, rusage).
pub fn sys_waitid(
    ctx: &mut SyscallContext,
    idtype: u64,
    id: u64,
    infop: u64,
    options: u64,
    rusage: u64,
) -> Result<u64> {
    const P_ALL: u64 = 0;
    const P_PID: u64 = 1;
    const P_PGID: u64 = 2;
    let known = WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | WNOTHREAD | WALL | WCLONE;
    if options & !known != 0 || options & (WEXITED | WUNTRACED | WCONTINUED) == 0 {
        return Err(Errno::EINVAL);
    }
    let pid = match idtype {
        P_ALL => -1,
        P_PID if (id as i32) > 0 => id as i32,
        P_PGID if (id as i32) > 0 => -(id as i32),
        P_PGID if id == 0 => 0,
        _ => return Err(Errno::EINVAL),
    };
    let o = WaitOptions {
        pid,
        exited: options & WEXITED != 0,
        stopped: options & WUNTRACED != 0,
        continued: options & WCONTINUED != 0,
        nohang: options & WNOHANG != 0,
        nowait: options & WNOWAIT != 0,
        all: options & WALL != 0,
        clone: options & WCLONE != 0,
    };
    let task = ctx.task.clone();
    let r = task::do_wait(&task, o)?;
    if infop != 0 {
        use crate::signal::{SigInfo, CLD_CONTINUED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, SIGCHLD};
        let info = match r {
            None => SigInfo([0; 128]),
            Some(WaitResult::Exited(p, ExitStatus::Exited(c), _)) => {
                SigInfo::child(CLD_EXITED, p, c as i32)
            }
            Some(WaitResult::Exited(p, ExitStatus::Signaled(s), _)) => {
                SigInfo::child(CLD_KILLED, p, s)
            }
            Some(WaitResult::Stopped(p, s)) => SigInfo::child(CLD_STOPPED, p, s),
            Some(WaitResult::Continued(p)) => SigInfo::child(CLD_CONTINUED, p, SIGCHLD),
        };
        ctx.write_user(infop, &info.0)?;
    }
    if rusage != 0 {
        let times = match r {
            Some(WaitResult::Exited(_, _, t)) => t,
            _ => (0, 0),
        };
        write_rusage(ctx, rusage, times)?;
    }
    Ok(0)
}

pub fn sys_set_tid_address(ctx: &mut SyscallContext, tidptr: u64) -> Result<u64> {
    *locked(&ctx.task.clear_child_tid) = tidptr;
    Ok(ctx.task.tid() as u64)
}

pub fn sys_set_robust_list(ctx: &mut SyscallContext, head: u64, len: u64) -> Result<u64> {
    // sizeof(struct robust_list_head) on x86_64.
    if len != 24 {
        return Err(Errno::EINVAL);
    }
    *locked(&ctx.task.robust_list) = (head, len);
    Ok(0)
}

pub fn sys_arch_prctl(ctx: &mut SyscallContext, code: u64, addr: u64) -> Result<u64> {
    const ARCH_SET_GS: u64 = 0x1001;
    const ARCH_SET_FS: u64 = 0x1002;
    const ARCH_GET_FS: u64 = 0x1003;
    const ARCH_GET_GS: u64 = 0x1004;
    let canonical = |v: u64| v < arch::stub::TASK_SIZE;
    match code {
        ARCH_SET_FS if canonical(addr) => ctx.regs.fs_base = addr,
        ARCH_SET_GS if canonical(addr) => ctx.regs.gs_base = addr,
        ARCH_SET_FS | ARCH_SET_GS => return Err(Errno::EPERM),
        ARCH_GET_FS => ctx.write_user(addr, &ctx.regs.fs_base.to_ne_bytes())?,
        ARCH_GET_GS => ctx.write_user(addr, &ctx.regs.gs_base.to_ne_bytes())?,
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}

fn rlimit_bytes(l: (u64, u64)) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&l.0.to_ne_bytes());
    b[8..].copy_from_slice(&l.1.to_ne_bytes());
    b
}

pub fn sys_getrlimit(ctx: &mut SyscallContext, resource: u64, rlim: u64) -> Result<u64> {
    let r = resource as usize;
    if r >= RLIM_NLIMITS {
        return Err(Errno::EINVAL);
    }
    let l = locked(&ctx.task.process.rlimits)[r];
    ctx.write_user(rlim, &rlimit_bytes(l))?;
    Ok(0)
}

/// prlimit64(pid, resource, new, old): raising a hard limit needs privilege, which
/// root has; soft above hard is EINVAL.
pub fn sys_prlimit64(
    ctx: &mut SyscallContext,
    pid: u64,
    resource: u64,
    new: u64,
    old: u64,
) -> Result<u64> {
    let r = resource as usize;
    if r >= RLIM_NLIMITS {
        return Err(Errno::EINVAL);
    }
    let p = target(ctx, pid)?;
    let mut newl = None;
    if new != 0 {
        let mut b = [0u8; 16];
        ctx.read_user(new, &mut b)?;
        let soft = u64::from_ne_bytes(b[..8].try_into().expect("8 bytes"));
        let hard = u64::from_ne_bytes(b[8..].try_into().expect("8 bytes"));
        if soft > hard || (r == 7 && hard > 1 << 20) {
            return Err(Errno::EINVAL);
        }
        newl = Some((soft, hard));
    }
    let cur = locked(&p.rlimits)[r];
    if old != 0 {
        ctx.write_user(old, &rlimit_bytes(cur))?;
    }
    if let Some(l) = newl {
        locked(&p.rlimits)[r] = l;
        if r == 3 {
            let mm = locked(&p.mm).clone();
            locked(&mm).set_stack_limit(l.0);
        }
    }
    Ok(0)
}

/// prctl(2): the per-process settings programs and libraries use.
pub fn sys_prctl(
    ctx: &mut SyscallContext,
    option: u64,
    arg2: u64,
    _arg3: u64,
    _arg4: u64,
    _arg5: u64,
) -> Result<u64> {
    const PR_SET_PDEATHSIG: u64 = 1;
    const PR_GET_PDEATHSIG: u64 = 2;
    const PR_GET_DUMPABLE: u64 = 3;
    const PR_SET_DUMPABLE: u64 = 4;
    const PR_GET_KEEPCAPS: u64 = 7;
    const PR_SET_KEEPCAPS: u64 = 8;
    const PR_SET_NAME: u64 = 15;
    const PR_GET_NAME: u64 = 16;
    const PR_GET_SECCOMP: u64 = 21;
    const PR_CAPBSET_READ: u64 = 23;
    const PR_GET_TIMERSLACK: u64 = 30;
    const PR_SET_TIMERSLACK: u64 = 29;
    const PR_SET_CHILD_SUBREAPER: u64 = 36;
    const PR_GET_CHILD_SUBREAPER: u64 = 37;
    const PR_SET_NO_NEW_PRIVS: u64 = 38;
    const PR_GET_NO_NEW_PRIVS: u64 = 39;
    const PR_SET_VMA: u64 = 0x53564d41;
    let p = ctx.task.process.clone();
    match option {
        PR_SET_PDEATHSIG => {
            if arg2 > 64 {
                return Err(Errno::EINVAL);
            }
            p.pdeath_signal.store(arg2 as i32, Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_PDEATHSIG => {
            let sig = p.pdeath_signal.load(Ordering::Relaxed);
            ctx.write_user(arg2, &sig.to_ne_bytes())?;
            Ok(0)
        }
        PR_GET_DUMPABLE => Ok(p.dumpable() as u64),
        PR_SET_DUMPABLE if arg2 <= 1 => {
            p.set_dumpable(arg2 == 1);
            Ok(0)
        }
        PR_GET_KEEPCAPS => Ok(0),
        PR_SET_KEEPCAPS if arg2 <= 1 => Ok(0),
        PR_SET_NAME => {
            // At most 15 bytes are read, as Linux's strncpy_from_user into
            // the 16-byte comm: a name without a NUL is cut, never an error.
            let n = locked(&ctx.task.mm()).strncpy_from_user(arg2, 15)?;
            *locked(&p.comm) = n;
            Ok(0)
        }
        PR_GET_NAME => {
            let mut name = [0u8; 16];
            let comm = locked(&p.comm).clone();
            name[..comm.len()].copy_from_slice(&comm);
            ctx.write_user(arg2, &name)?;
            Ok(0)
        }
        PR_GET_SECCOMP => Ok(0),
        PR_CAPBSET_READ if arg2 <= 40 => Ok(1),
        PR_CAPBSET_READ => Err(Errno::EINVAL),
        PR_GET_TIMERSLACK => Ok(50_000),
        PR_SET_TIMERSLACK => Ok(0),
        PR_SET_CHILD_SUBREAPER => {
            p.subreaper.store(arg2 != 0, Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_CHILD_SUBREAPER => {
            let v = p.subreaper.load(Ordering::Relaxed) as i32;
            ctx.write_user(arg2, &v.to_ne_bytes())?;
            Ok(0)
        }
        PR_SET_NO_NEW_PRIVS if arg2 == 1 => Ok(0),
        PR_GET_NO_NEW_PRIVS => Ok(0),
        PR_SET_VMA => Ok(0),
        _ => Err(Errno::EINVAL),
    }
}
