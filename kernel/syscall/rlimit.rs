//! Resource limits: getrlimit(2) and prlimit64(2) (glibc's setrlimit is prlimit64).

use crate::task::TrapContext;
use crate::task::{locked, RLIM_NLIMITS};
use arch::{Errno, Result};

fn rlimit_bytes(l: (u64, u64)) -> [u8; 16] {
    let mut b = [0u8; 16];
    b[..8].copy_from_slice(&l.0.to_ne_bytes());
    b[8..].copy_from_slice(&l.1.to_ne_bytes());
    b
}

pub fn sys_getrlimit(ctx: &mut TrapContext, resource: u64, rlim: u64) -> Result<u64> {
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
    ctx: &mut TrapContext,
    pid: u64,
    resource: u64,
    new: u64,
    old: u64,
) -> Result<u64> {
    let r = resource as usize;
    if r >= RLIM_NLIMITS {
        return Err(Errno::EINVAL);
    }
    let p = super::pid::target(ctx, pid)?;
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
