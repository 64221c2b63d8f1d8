//! pidfd_open(2) and pidfd_send_signal(2) over the process files of `crate::pidfd`.

use super::arg::Fd;
use super::arg::UserPtr;
use crate::pidfd::*;
use crate::signal::{self, SigInfo, SI_USER};
use crate::task::TrapContext;
use arch::{Errno, Result};
use std::sync::Arc;

pub fn sys_pidfd_open(ctx: &mut TrapContext, pid: u64, flags: u64) -> Result<u64> {
    const PIDFD_NONBLOCK: u64 = 0o4000;
    if flags & !PIDFD_NONBLOCK != 0 || (pid as i32) <= 0 {
        return Err(Errno::EINVAL);
    }
    let p = ctx
        .task
        .process
        .find_process(pid as i32)
        .ok_or(Errno::ESRCH)?;
    Ok(install(ctx, &p)? as u64)
}

pub fn sys_pidfd_send_signal(
    ctx: &mut TrapContext,
    fd: Fd,
    sig: u64,
    info: UserPtr<SigInfo>,
    flags: u64,
) -> Result<u64> {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let f = fd.file(ctx)?;
    // The process a pidfd names (Linux's pidfd_pid compares `f_op`).
    let p = match f.ops_as::<PidFd>() {
        Some(PidFd(p)) => p.clone(),
        None => proc_pid_dir(&f)?,
    };
    let sig = sig as i32;
    if sig != 0 && !signal::valid(sig) {
        return Err(Errno::EINVAL);
    }
    if p.exit_status.borrow().is_some() {
        return Err(Errno::ESRCH);
    }
    signal::check_kill_permission(&ctx.task.process, &p, sig)?;
    let uid = ctx.task.process.cred.borrow().uid;
    let mut si = SigInfo::kill(sig, SI_USER, ctx.task.process.pid, uid);
    if !info.is_null() {
        si = info.read(ctx)?;
        if si.si_signo != sig || (si.si_code >= 0 && !Arc::ptr_eq(&p, &ctx.task.process)) {
            return Err(Errno::EPERM);
        }
    }
    if sig != 0 {
        signal::group_send_sig_info(&p, si)?;
    }
    Ok(0)
}
