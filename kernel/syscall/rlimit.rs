//! Resource limits: getrlimit(2), setrlimit(2) and prlimit64(2) (glibc's
//! setrlimit is prlimit64). Raising a hard limit takes CAP_SYS_RESOURCE (here:
//! euid 0), and changing or reading another process's limits takes its user
//! (check_prlimit_permission), as in Linux.

use super::arg::UserPtr;
use crate::task::{Process, TrapContext};
use arch::abi::resource::{RLIMIT_NOFILE, RLIMIT_STACK, RLIM_NLIMITS};
use arch::abi::structs::Rlimit;
use arch::{Errno, Result};

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
    let r = index(resource)?;
    let new = match new.is_null() {
        true => None,
        false => Some(new.read(ctx)?),
    };
    let p = super::pid::target(ctx, pid)?;
    if !may_prlimit(ctx, &p) {
        return Err(Errno::EPERM);
    }
    do_prlimit(ctx, &p, r, new, old)
}

/// Linux's do_prlimit: checks a new limit, writes the old one to `old` if it
/// is not NULL, then sets the new one.
fn do_prlimit(
    ctx: &TrapContext,
    p: &Process,
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
    }
    // As Linux, the old limit is copied out after the new one is set.
    if !old.is_null() {
        old.write(ctx, &to_abi(cur))?;
    }
    Ok(0)
}
