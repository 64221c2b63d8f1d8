//! The per-thread registrations glibc makes at start-up: set_tid_address(2) and set_robust_list(2),
//! and get_robust_list(2), which reads a thread's back.

use super::arg::UserPtr;
use crate::task::{ptrace_may_access, AccessMode, TrapContext};
use arch::abi::structs::RobustListHead;
use arch::{Errno, Result};

pub fn sys_set_tid_address(ctx: &mut TrapContext, tidptr: u64) -> Result<u64> {
    *ctx.task.clear_child_tid.borrow_mut() = tidptr;
    Ok(ctx.task.tid() as u64)
}

pub fn sys_set_robust_list(ctx: &mut TrapContext, head: u64, len: u64) -> Result<u64> {
    if len != size_of::<RobustListHead>() as u64 {
        return Err(Errno::EINVAL);
    }
    *ctx.task.robust_list.borrow_mut() = (head, len);
    Ok(0)
}

/// get_robust_list(2): the robust list head of thread `pid` (0: the
/// caller), which the caller must be allowed to read as ptrace's read mode
/// says; the length written is always the head's size, as Linux writes it.
pub fn sys_get_robust_list(
    ctx: &mut TrapContext,
    pid: u64,
    head_ptr: u64,
    len_ptr: u64,
) -> Result<u64> {
    let t = match pid as i32 {
        0 => ctx.task.clone(),
        pid => ctx.task.process.find_task(pid).ok_or(Errno::ESRCH)?,
    };
    if !ptrace_may_access(&ctx.task.process, &t.process, AccessMode::READ_REALCREDS) {
        return Err(Errno::EPERM);
    }
    let (head, _) = *t.robust_list.borrow();
    UserPtr::<u64>::new(len_ptr).write(ctx, &(size_of::<RobustListHead>() as u64))?;
    UserPtr::<u64>::new(head_ptr).write(ctx, &head)?;
    Ok(0)
}
