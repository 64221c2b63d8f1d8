//! Process system calls: identity (getpid and friends), creation (fork, vfork,
//! clone), execve, exit, wait4, sessions and groups, resource limits, and the
//! per-thread registrations glibc makes at start-up.

use super::SyscallContext;
use crate::task::{self, locked, ExitStatus, RLIM_NLIMITS};
use arch::{Errno, Result};

pub fn sys_getpid(ctx: &mut SyscallContext, _: [u64; 6]) -> Result<u64> {
    Ok(ctx.task.process.pid as u64)
}

pub fn sys_gettid(ctx: &mut SyscallContext, _: [u64; 6]) -> Result<u64> {
    Ok(ctx.task.tid as u64)
}

pub fn sys_getppid(ctx: &mut SyscallContext, _: [u64; 6]) -> Result<u64> {
    Ok(ctx.task.process.ppid() as u64)
}

/// getuid, geteuid, getgid, getegid: everything runs as root until credentials come.
pub fn sys_getuid(_: &mut SyscallContext, _: [u64; 6]) -> Result<u64> {
    Ok(0)
}

pub fn sys_getpgrp(ctx: &mut SyscallContext, _: [u64; 6]) -> Result<u64> {
    Ok(*locked(&ctx.task.process.pgid) as u64)
}

fn target(ctx: &SyscallContext, pid: u64) -> Result<std::sync::Arc<task::Process>> {
    match pid as i32 {
        0 => Ok(ctx.task.process.clone()),
        p if p > 0 => task::find_process(p).ok_or(Errno::ESRCH),
        _ => Err(Errno::ESRCH),
    }
}

pub fn sys_getpgid(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    Ok(*locked(&target(ctx, a[0])?.pgid) as u64)
}

pub fn sys_getsid(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    Ok(*locked(&target(ctx, a[0])?.sid) as u64)
}

/// setpgid(2): a process may move itself or a child into a group of its session.
pub fn sys_setpgid(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    if (a[1] as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    let p = target(ctx, a[0])?;
    let me = &ctx.task.process;
    if p.pid != me.pid && p.ppid() != me.pid {
        return Err(Errno::ESRCH);
    }
    if *locked(&p.sid) == p.pid {
        return Err(Errno::EPERM);
    }
    let pgid = if a[1] == 0 { p.pid } else { a[1] as i32 };
    *locked(&p.pgid) = pgid;
    Ok(0)
}

pub fn sys_setsid(ctx: &mut SyscallContext, _: [u64; 6]) -> Result<u64> {
    let p = &ctx.task.process;
    if *locked(&p.pgid) == p.pid {
        return Err(Errno::EPERM);
    }
    *locked(&p.pgid) = p.pid;
    *locked(&p.sid) = p.pid;
    Ok(p.pid as u64)
}

pub fn sys_fork(ctx: &mut SyscallContext, _: [u64; 6]) -> Result<u64> {
    Ok(task::do_fork(ctx, 17, 0, 0, 0, 0)? as u64)
}

/// vfork: the child gets its own copy-on-write address space, which a program that
/// follows vfork's rules cannot tell apart.
pub fn sys_vfork(ctx: &mut SyscallContext, _: [u64; 6]) -> Result<u64> {
    Ok(task::do_fork(ctx, 17, 0, 0, 0, 0)? as u64)
}

/// clone(flags, stack, parent_tid, child_tid, tls): the x86_64 argument order.
pub fn sys_clone(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    Ok(task::do_fork(ctx, a[0], a[1], a[2], a[3], a[4])? as u64)
}

pub fn sys_execve(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    let path = ctx.read_path(a[0])?;
    let argv = ctx.read_string_array(a[1])?;
    let envp = ctx.read_string_array(a[2])?;
    crate::exec::execve(ctx, &path, argv, envp)?;
    Ok(0)
}

/// exit and exit_group (one thread per process for now, so the same).
pub fn sys_exit(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    ctx.exit = Some(ExitStatus::Exited(a[0] as u8));
    Ok(0)
}

pub fn sys_wait4(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    let [pid, status, options, rusage, ..] = a;
    match task::wait4(ctx, pid as i32, options as u32)? {
        None => Ok(0),
        Some((cpid, st)) => {
            if status != 0 {
                ctx.write_user(status, &st.wait_status().to_ne_bytes())?;
            }
            if rusage != 0 {
                // struct rusage: 144 bytes; CPU times are not accounted yet.
                ctx.write_user(rusage, &[0u8; 144])?;
            }
            Ok(cpid as u64)
        }
    }
}

pub fn sys_set_tid_address(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    *locked(&ctx.task.clear_child_tid) = a[0];
    Ok(ctx.task.tid as u64)
}

pub fn sys_set_robust_list(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    // sizeof(struct robust_list_head) on x86_64.
    if a[1] != 24 {
        return Err(Errno::EINVAL);
    }
    *locked(&ctx.task.robust_list) = (a[0], a[1]);
    Ok(0)
}

pub fn sys_arch_prctl(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    const ARCH_SET_GS: u64 = 0x1001;
    const ARCH_SET_FS: u64 = 0x1002;
    const ARCH_GET_FS: u64 = 0x1003;
    const ARCH_GET_GS: u64 = 0x1004;
    let canonical = |v: u64| v < arch::stub::TASK_SIZE;
    match a[0] {
        ARCH_SET_FS if canonical(a[1]) => ctx.regs.fs_base = a[1],
        ARCH_SET_GS if canonical(a[1]) => ctx.regs.gs_base = a[1],
        ARCH_SET_FS | ARCH_SET_GS => return Err(Errno::EPERM),
        ARCH_GET_FS => ctx.write_user(a[1], &ctx.regs.fs_base.to_ne_bytes())?,
        ARCH_GET_GS => ctx.write_user(a[1], &ctx.regs.gs_base.to_ne_bytes())?,
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}

pub fn sys_sched_yield(_: &mut SyscallContext, _: [u64; 6]) -> Result<u64> {
    crate::lock::unlocked(std::thread::yield_now);
    Ok(0)
}

/// sched_getaffinity: every CPU the host gives us. Returns the mask size written.
pub fn sys_sched_getaffinity(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    let len = a[1] as usize;
    if len < 8 || !len.is_multiple_of(8) {
        return Err(Errno::EINVAL);
    }
    target(ctx, a[0])?;
    let ncpu = arch::host::cpu::online_cpus().min(64);
    let mask: u64 = if ncpu == 64 {
        u64::MAX
    } else {
        (1 << ncpu) - 1
    };
    ctx.write_user(a[2], &mask.to_ne_bytes())?;
    Ok(8)
}

fn rlimit_bytes(l: (u64, u64)) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&l.0.to_ne_bytes());
    b[8..].copy_from_slice(&l.1.to_ne_bytes());
    b
}

pub fn sys_getrlimit(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    let r = a[0] as usize;
    if r >= RLIM_NLIMITS {
        return Err(Errno::EINVAL);
    }
    let l = locked(&ctx.task.process.rlimits)[r];
    ctx.write_user(a[1], &rlimit_bytes(l))?;
    Ok(0)
}

/// prlimit64(pid, resource, new, old): raising a hard limit needs privilege, which
/// root has; soft above hard is EINVAL.
pub fn sys_prlimit64(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    let [pid, resource, new, old, ..] = a;
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
