//! Resource limits: getrlimit(2) and prlimit64(2) (glibc's setrlimit is prlimit64).

use super::arg::UserPtr;
use crate::task::TrapContext;
use crate::task::RLIM_NLIMITS;
use arch::abi::structs::Rlimit;
use arch::{Errno, Result};

fn to_abi((rlim_cur, rlim_max): (u64, u64)) -> Rlimit {
    Rlimit { rlim_cur, rlim_max }
}

pub fn sys_getrlimit(ctx: &mut TrapContext, resource: u64, rlim: UserPtr<Rlimit>) -> Result<u64> {
    let r = resource as usize;
    if r >= RLIM_NLIMITS {
        return Err(Errno::EINVAL);
    }
    let l = ctx.task.process.rlimits.borrow()[r];
    rlim.write(ctx, &to_abi(l))?;
    Ok(0)
}

/// prlimit64(pid, resource, new, old): raising a hard limit needs privilege, which
/// root has; soft above hard is EINVAL.
pub fn sys_prlimit64(
    ctx: &mut TrapContext,
    pid: u64,
    resource: u64,
    new: UserPtr<Rlimit>,
    old: UserPtr<Rlimit>,
) -> Result<u64> {
    let r = resource as usize;
    if r >= RLIM_NLIMITS {
        return Err(Errno::EINVAL);
    }
    let p = super::pid::target(ctx, pid)?;
    let mut newl = None;
    if !new.is_null() {
        let Rlimit {
            rlim_cur: soft,
            rlim_max: hard,
        } = new.read(ctx)?;
        if soft > hard || (r == 7 && hard > 1 << 20) {
            return Err(Errno::EINVAL);
        }
        newl = Some((soft, hard));
    }
    let cur = p.rlimits.borrow()[r];
    if !old.is_null() {
        old.write(ctx, &to_abi(cur))?;
    }
    if let Some(l) = newl {
        p.rlimits.borrow_mut()[r] = l;
        if r == 3 {
            let mm = p.mm.borrow().clone();
            mm.borrow_mut().set_stack_limit(l.0);
        }
    }
    Ok(0)
}
