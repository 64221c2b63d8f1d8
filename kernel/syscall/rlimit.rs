//! Resource limits: getrlimit(2), setrlimit(2) and prlimit64(2) (glibc's
//! setrlimit is prlimit64). Raising a hard limit takes CAP_SYS_RESOURCE (here:
//! euid 0), and changing or reading another process's limits takes its user
//! (check_prlimit_permission), as in Linux.

use super::arg::UserPtr;
use crate::task::{Process, TrapContext};
use arch::abi::resource::{
    RLIMIT_CPU, RLIMIT_FSIZE, RLIMIT_NOFILE, RLIMIT_STACK, RLIM_INFINITY, RLIM_NLIMITS,
};
use arch::abi::structs::Rlimit;
use arch::{Errno, Result};
use std::sync::Arc;

fn to_abi((rlim_cur, rlim_max): (u64, u64)) -> Rlimit {
    Rlimit { rlim_cur, rlim_max }
}

/// Returns the index of limit `resource` (EINVAL for an unknown one).
fn index(resource: u32) -> Result<usize> {
    let r = resource as usize;
    (r < RLIM_NLIMITS).then_some(r).ok_or(Errno::EINVAL)
}

pub fn sys_getrlimit(ctx: &mut TrapContext, resource: u32, rlim: UserPtr<Rlimit>) -> Result<u64> {
    let l = ctx.task.process.rlimits.borrow()[index(resource)?];
    rlim.write(ctx, &to_abi(l))?;
    Ok(0)
}

pub fn sys_setrlimit(ctx: &mut TrapContext, resource: u32, rlim: UserPtr<Rlimit>) -> Result<u64> {
    let r = index(resource)?;
    let new = rlim.read(ctx)?;
    let p = ctx.task.process.clone();
    do_prlimit(ctx, &p, r, Some(new), UserPtr::new(0))
}

/// Linux's check_prlimit_permission: a process's own limits, or those of a
/// process whose three uids and three gids are all the caller's real ones, or
/// any with CAP_SYS_RESOURCE.
fn may_prlimit(ctx: &TrapContext, p: &Process) -> bool {
    if std::ptr::eq(p, &*ctx.task.process) {
        return true;
    }
    let me = ctx.task.process.cred.borrow();
    let them = p.cred.borrow();
    me.capable(arch::abi::capability::CAP_SYS_RESOURCE)
        || ([them.uid, them.euid, them.suid] == [me.uid; 3]
            && [them.gid, them.egid, them.sgid] == [me.gid; 3])
}

/// prlimit64(pid, resource, new, old): raising a hard limit needs privilege, which
/// root has; soft above hard is EINVAL.
pub fn sys_prlimit64(
    ctx: &mut TrapContext,
    pid: i32,
    resource: u32,
    new: UserPtr<Rlimit>,
    old: UserPtr<Rlimit>,
) -> Result<u64> {
    // Linux's order: the new limit is read (EFAULT), the process found
    // (ESRCH) and its owner checked (EPERM) before the resource is.
    let new = match new.is_null() {
        true => None,
        false => Some(new.read(ctx)?),
    };
    let p = super::pid::target(ctx, pid)?;
    if !may_prlimit(ctx, &p) {
        return Err(Errno::EPERM);
    }
    let r = index(resource)?;
    do_prlimit(ctx, &p, r, new, old)
}

/// Linux's do_prlimit: checks a new limit, writes the old one to `old` if it
/// is not NULL, then sets the new one.
fn do_prlimit(
    ctx: &TrapContext,
    p: &Arc<Process>,
    r: usize,
    new: Option<Rlimit>,
    old: UserPtr<Rlimit>,
) -> Result<u64> {
    let cur = p.rlimits.borrow()[r];
    if let Some(n) = &new {
        if n.rlim_cur > n.rlim_max {
            return Err(Errno::EINVAL);
        }
        if r == RLIMIT_NOFILE && n.rlim_max > fs::NR_OPEN as u64 {
            return Err(Errno::EPERM);
        }
        let resource = ctx
            .task
            .process
            .cred
            .borrow()
            .capable(arch::abi::capability::CAP_SYS_RESOURCE);
        if n.rlim_max > cur.1 && !resource {
            return Err(Errno::EPERM);
        }
    }
    if let Some(n) = new {
        let l = (n.rlim_cur, n.rlim_max);
        p.rlimits.borrow_mut()[r] = l;
        if r == RLIMIT_STACK {
            let mm = p.mm.borrow().clone();
            mm.borrow_mut().set_stack_limit(l.0);
        }
        if r == RLIMIT_CPU {
            crate::task::watch_cpu_limit(p);
        }
    }
    // As Linux, the old limit is copied out after the new one is set.
    if !old.is_null() {
        old.write(ctx, &to_abi(cur))?;
    }
    Ok(0)
}

/// Sends the caller SIGXFSZ and returns EFBIG, for a file grown to or past
/// its RLIMIT_FSIZE (Linux's `send_sig(SIGXFSZ, current, 0)`).
fn file_too_big(ctx: &TrapContext) -> Errno {
    use crate::signal::{send_to_task, SigInfo, SIGXFSZ, SI_USER};
    let uid = ctx.task.process.cred.borrow().uid;
    send_to_task(
        ctx.task,
        SigInfo::kill(SIGXFSZ, SI_USER, ctx.task.process.pid, uid),
    );
    Errno::EFBIG
}

/// Returns how many of `count` bytes a write to `f` at `off` (or at its
/// position, or its end with O_APPEND) may write under the caller's
/// RLIMIT_FSIZE (Linux's generic_write_check_limits): all of them off
/// regular files, up to the limit before it, EFBIG and SIGXFSZ at it.
pub(super) fn fsize_write(
    ctx: &TrapContext,
    f: &fs::File,
    off: Option<u64>,
    count: usize,
) -> Result<usize> {
    let limit = ctx.task.process.rlimit(RLIMIT_FSIZE);
    let Some(inode) = f.inode() else {
        return Ok(count);
    };
    if limit == RLIM_INFINITY || count == 0 || inode.file_type() != fs::FileType::Regular {
        return Ok(count);
    }
    let pos = match off {
        Some(o) => o,
        None if f.flags().contains(fs::OpenFlags::O_APPEND) => inode.stat()?.size,
        None => f.pos(),
    };
    if pos >= limit {
        return Err(file_too_big(ctx));
    }
    Ok(count.min((limit - pos).min(usize::MAX as u64) as usize))
}

/// Checks a change of `inode`'s size to `size` (truncate, fallocate) against
/// the caller's RLIMIT_FSIZE (Linux's inode_newsize_ok): growing past it is
/// EFBIG with SIGXFSZ; shrinking is always allowed.
pub(super) fn fsize_grow(ctx: &TrapContext, inode: &dyn fs::Inode, size: u64) -> Result<()> {
    let limit = ctx.task.process.rlimit(RLIMIT_FSIZE);
    if limit == RLIM_INFINITY || size <= limit || size <= inode.stat()?.size {
        return Ok(());
    }
    Err(file_too_big(ctx))
}
