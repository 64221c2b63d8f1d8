//! Process identity, groups and sessions: getpid, gettid, getppid, getpgrp, getpgid, getsid, setpgid, setsid and vhangup (setsid(2), setpgid(2), vhangup(2)).

use crate::task;
use crate::task::TrapContext;
use arch::{Errno, Result};

pub fn sys_getpid(ctx: &mut TrapContext) -> Result<u64> {
    Ok(ctx.task.process.vpid() as u64)
}

pub fn sys_gettid(ctx: &mut TrapContext) -> Result<u64> {
    Ok(ctx.task.process.vnr(ctx.task.tid()) as u64)
}

pub fn sys_getppid(ctx: &mut TrapContext) -> Result<u64> {
    Ok(ctx.task.process.vppid() as u64)
}

pub fn sys_getpgrp(ctx: &mut TrapContext) -> Result<u64> {
    let me = &ctx.task.process;
    Ok(me.vnr(*me.pgid.borrow()) as u64)
}

/// Returns the process `pid` names in the caller's PID namespace (0: the
/// caller).
pub(super) fn target(ctx: &TrapContext, pid: i32) -> Result<std::sync::Arc<task::Process>> {
    match pid {
        0 => Ok(ctx.task.process.clone()),
        p if p > 0 => ctx.task.process.find_process(p).ok_or(Errno::ESRCH),
        _ => Err(Errno::ESRCH),
    }
}

pub fn sys_getpgid(ctx: &mut TrapContext, pid: i32) -> Result<u64> {
    let pgid = *target(ctx, pid)?.pgid.borrow();
    Ok(ctx.task.process.vnr(pgid) as u64)
}

pub fn sys_getsid(ctx: &mut TrapContext, pid: i32) -> Result<u64> {
    let sid = *target(ctx, pid)?.sid.borrow();
    Ok(ctx.task.process.vnr(sid) as u64)
}

/// setpgid(2): a process may move itself, or a child of its session that
/// has not exec'd (EACCES after), into a group of its session (EPERM for a
/// group that does not exist there); a session leader cannot move (EPERM).
pub fn sys_setpgid(ctx: &mut TrapContext, pid: i32, pgid: i32) -> Result<u64> {
    if pgid < 0 {
        return Err(Errno::EINVAL);
    }
    let p = target(ctx, pid)?;
    let me = &ctx.task.process;
    let sid = *me.sid.borrow();
    if p.pid != me.pid {
        if p.ppid() != me.pid {
            return Err(Errno::ESRCH);
        }
        if *p.sid.borrow() != sid {
            return Err(Errno::EPERM);
        }
        if p.execed.load(std::sync::atomic::Ordering::Relaxed) {
            return Err(Errno::EACCES);
        }
    }
    if *p.sid.borrow() == p.pid {
        return Err(Errno::EPERM);
    }
    let pgid = match pgid {
        0 => p.pid,
        n => me.global(n).ok_or(Errno::EPERM)?,
    };
    if pgid != p.pid {
        let in_session = task::all_processes()
            .iter()
            .any(|q| *q.pgid.borrow() == pgid && *q.sid.borrow() == sid);
        if !in_session {
            return Err(Errno::EPERM);
        }
    }
    *p.pgid.borrow_mut() = pgid;
    Ok(0)
}

/// setsid(2): EPERM while a process group with the caller's id exists.
pub fn sys_setsid(ctx: &mut TrapContext) -> Result<u64> {
    let p = &ctx.task.process;
    let group_exists = || {
        task::all_processes()
            .iter()
            .any(|q| *q.pgid.borrow() == p.pid)
    };
    if *p.pgid.borrow() == p.pid || group_exists() {
        return Err(Errno::EPERM);
    }
    *p.pgid.borrow_mut() = p.pid;
    *p.sid.borrow_mut() = p.pid;
    *p.ctty.borrow_mut() = None;
    Ok(p.vpid() as u64)
}

/// vhangup(2): hangs up the controlling terminal; needs CAP_SYS_TTY_CONFIG.
pub fn sys_vhangup(ctx: &mut TrapContext) -> Result<u64> {
    if !ctx
        .task
        .process
        .cred
        .borrow()
        .capable(arch::abi::capability::CAP_SYS_TTY_CONFIG)
    {
        return Err(Errno::EPERM);
    }
    crate::tty::vhangup(&ctx.task.process);
    Ok(0)
}
