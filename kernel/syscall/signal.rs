//! rt_sigaction and rt_sigprocmask: dispositions and masks are recorded exactly as
//! Linux records them, so programs that install handlers at start-up run; delivery
//! of signals to handlers comes with the signal subsystem.

use super::SyscallContext;
use crate::task::{locked, SigAction};
use arch::{Errno, Result};

const SIGKILL: u64 = 9;
const SIGSTOP: u64 = 19;
const SIG_BLOCK: u64 = 0;
const SIG_UNBLOCK: u64 = 1;
const SIG_SETMASK: u64 = 2;
/// Signals that can never be blocked.
const UNBLOCKABLE: u64 = (1 << (SIGKILL - 1)) | (1 << (SIGSTOP - 1));

fn action_bytes(a: &SigAction) -> [u8; 32] {
    let mut b = [0u8; 32];
    for (i, v) in [a.handler, a.flags, a.restorer, a.mask].iter().enumerate() {
        b[i * 8..i * 8 + 8].copy_from_slice(&v.to_ne_bytes());
    }
    b
}

pub fn sys_rt_sigaction(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    let [sig, act, oact, sigsetsize, ..] = a;
    if sigsetsize != 8 || !(1..=64).contains(&sig) {
        return Err(Errno::EINVAL);
    }
    let new = if act != 0 {
        if sig == SIGKILL || sig == SIGSTOP {
            return Err(Errno::EINVAL);
        }
        let mut b = [0u8; 32];
        ctx.read_user(act, &mut b)?;
        let w = |i: usize| u64::from_ne_bytes(b[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
        Some(SigAction {
            handler: w(0),
            flags: w(1),
            restorer: w(2),
            mask: w(3) & !UNBLOCKABLE,
        })
    } else {
        None
    };
    let old = locked(&ctx.task.process.sigactions)[sig as usize - 1];
    if oact != 0 {
        ctx.write_user(oact, &action_bytes(&old))?;
    }
    if let Some(n) = new {
        locked(&ctx.task.process.sigactions)[sig as usize - 1] = n;
    }
    Ok(0)
}

pub fn sys_rt_sigprocmask(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    let [how, set, oset, sigsetsize, ..] = a;
    if sigsetsize != 8 {
        return Err(Errno::EINVAL);
    }
    let old = *locked(&ctx.task.sigmask);
    let new = if set != 0 {
        let v = ctx.read_u64(set)?;
        Some(match how {
            SIG_BLOCK => old | v,
            SIG_UNBLOCK => old & !v,
            SIG_SETMASK => v,
            _ => return Err(Errno::EINVAL),
        })
    } else {
        None
    };
    if oset != 0 {
        ctx.write_user(oset, &old.to_ne_bytes())?;
    }
    if let Some(n) = new {
        *locked(&ctx.task.sigmask) = n & !UNBLOCKABLE;
    }
    Ok(0)
}
