//! prctl(2) and arch_prctl(2): per-process settings and the thread pointer.
//! The capability operations (bounding set, secure bits, keep-caps,
//! ambient set) follow kernel/capability.rs.

use super::arg::UserPtr;
use super::cred::{cred, set};
use crate::capability;
use crate::task::TrapContext;
use arch::{Errno, Result};
use std::sync::atomic::Ordering;

pub fn sys_arch_prctl(ctx: &mut TrapContext, code: i32, addr: u64) -> Result<u64> {
    const ARCH_SET_GS: i32 = 0x1001;
    const ARCH_SET_FS: i32 = 0x1002;
    const ARCH_GET_FS: i32 = 0x1003;
    const ARCH_GET_GS: i32 = 0x1004;
    let canonical = |v: u64| v < arch::backend::TASK_SIZE;
    match code {
        ARCH_SET_FS if canonical(addr) => ctx.regs.fs_base = addr,
        ARCH_SET_GS if canonical(addr) => ctx.regs.gs_base = addr,
        ARCH_SET_FS | ARCH_SET_GS => return Err(Errno::EPERM),
        ARCH_GET_FS => UserPtr::<u64>::new(addr).write(ctx, &ctx.regs.fs_base)?,
        ARCH_GET_GS => UserPtr::<u64>::new(addr).write(ctx, &ctx.regs.gs_base)?,
        _ => return Err(Errno::EINVAL),
    }
    Ok(0)
}

/// prctl(2): the per-process settings programs and libraries use.
pub fn sys_prctl(
    ctx: &mut TrapContext,
    option: i32,
    arg2: u64,
    arg3: u64,
    arg4: u64,
    arg5: u64,
) -> Result<u64> {
    const PR_SET_PDEATHSIG: i32 = 1;
    const PR_GET_PDEATHSIG: i32 = 2;
    const PR_GET_DUMPABLE: i32 = 3;
    const PR_SET_DUMPABLE: i32 = 4;
    const PR_GET_KEEPCAPS: i32 = 7;
    const PR_SET_KEEPCAPS: i32 = 8;
    const PR_SET_NAME: i32 = 15;
    const PR_GET_NAME: i32 = 16;
    const PR_GET_SECCOMP: i32 = 21;
    const PR_SET_SECCOMP: i32 = 22;
    const PR_CAPBSET_READ: i32 = 23;
    const PR_CAPBSET_DROP: i32 = 24;
    const PR_GET_SECUREBITS: i32 = 27;
    const PR_SET_SECUREBITS: i32 = 28;
    const PR_GET_TIMERSLACK: i32 = 30;
    const PR_SET_TIMERSLACK: i32 = 29;
    const PR_SET_CHILD_SUBREAPER: i32 = 36;
    const PR_GET_CHILD_SUBREAPER: i32 = 37;
    const PR_SET_NO_NEW_PRIVS: i32 = 38;
    const PR_GET_NO_NEW_PRIVS: i32 = 39;
    const PR_CAP_AMBIENT: i32 = 47;
    const PR_SET_VMA: i32 = 0x53564d41;
    const PR_SET_PTRACER: i32 = 0x59616d61;
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
            UserPtr::<i32>::new(arg2).write(ctx, &sig)?;
            Ok(0)
        }
        PR_GET_DUMPABLE => Ok(p.dumpable() as u64),
        PR_SET_DUMPABLE if arg2 <= 1 => {
            p.set_dumpable(arg2 == 1);
            Ok(0)
        }
        PR_GET_KEEPCAPS => {
            let keep = cred(ctx).issecure(arch::abi::capability::SECBIT_KEEP_CAPS);
            Ok(u64::from(keep))
        }
        PR_SET_KEEPCAPS => change_cred(ctx, |c| capability::set_keepcaps(c, arg2).map(|()| 0)),
        PR_SET_NAME => {
            // At most 15 bytes are read, as Linux's strncpy_from_user into
            // the 16-byte comm: a name without a NUL is cut, never an error.
            let n = ctx.task.mm().borrow_mut().strncpy_from_user(arg2, 15)?;
            *p.comm.borrow_mut() = n;
            Ok(0)
        }
        PR_GET_NAME => {
            let mut name = [0u8; 16];
            let comm = p.comm.borrow().clone();
            name[..comm.len()].copy_from_slice(&comm);
            ctx.write_user(arg2, &name)?;
            Ok(0)
        }
        PR_GET_SECCOMP => Ok(u64::from(ctx.task.seccomp.borrow().mode)),
        PR_SET_SECCOMP => crate::seccomp::prctl_set(ctx, arg2, arg3),
        PR_CAPBSET_READ if capability::cap_valid(arg2) => Ok((cred(ctx).cap_bset >> arg2) & 1),
        PR_CAPBSET_READ => Err(Errno::EINVAL),
        PR_CAPBSET_DROP => change_cred(ctx, |c| capability::bset_drop(c, arg2).map(|()| 0)),
        PR_GET_SECUREBITS => Ok(u64::from(cred(ctx).securebits)),
        PR_SET_SECUREBITS => change_cred(ctx, |c| capability::set_securebits(c, arg2).map(|()| 0)),
        PR_CAP_AMBIENT => change_cred(ctx, |c| capability::ambient(c, arg2, arg3, arg4 | arg5)),
        PR_GET_TIMERSLACK => Ok(ctx.task.sched.borrow().timer_slack_ns),
        PR_SET_TIMERSLACK => {
            // Linux leaves a real-time task's slack alone here.
            let mut s = ctx.task.sched.borrow_mut();
            if !super::sched_policy::is_rt(s.policy) {
                super::sched_policy::set_timer_slack(&mut s, arg2);
            }
            Ok(0)
        }
        PR_SET_CHILD_SUBREAPER => {
            p.subreaper.store(arg2 != 0, Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_CHILD_SUBREAPER => {
            let v = p.subreaper.load(Ordering::Relaxed) as i32;
            UserPtr::<i32>::new(arg2).write(ctx, &v)?;
            Ok(0)
        }
        // Once set, never cleared (the other arguments must be 0).
        PR_SET_NO_NEW_PRIVS if arg2 == 1 && arg3 | arg4 | arg5 == 0 => {
            ctx.task.no_new_privs.store(true, Ordering::Relaxed);
            Ok(0)
        }
        PR_GET_NO_NEW_PRIVS if arg2 | arg3 | arg4 | arg5 == 0 => {
            Ok(u64::from(ctx.task.no_new_privs.load(Ordering::Relaxed)))
        }
        PR_SET_VMA => Ok(0),
        PR_SET_PTRACER => crate::ptrace::yama::set_ptracer(&p, arg2),
        _ => Err(Errno::EINVAL),
    }
}

/// Applies `f` to a copy of the caller's credentials and installs the copy
/// if it succeeds; returns what `f` returns.
fn change_cred(ctx: &TrapContext, f: impl FnOnce(&mut super::Cred) -> Result<u64>) -> Result<u64> {
    let mut c = cred(ctx);
    let r = f(&mut c)?;
    set(ctx, c);
    Ok(r)
}

/// seccomp(2) (kernel/seccomp.rs).
pub fn sys_seccomp(ctx: &mut TrapContext, op: u32, flags: u64, uargs: u64) -> Result<u64> {
    crate::seccomp::sys_seccomp(ctx, op, flags, uargs)
}
