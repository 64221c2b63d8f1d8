//! The per-thread registrations glibc makes at start-up: set_tid_address(2) and set_robust_list(2).

use crate::task::TrapContext;
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
