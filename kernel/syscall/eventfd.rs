//! eventfd(2) and eventfd2(2): create the counter files of `crate::eventfd`.

use crate::eventfd::*;
use crate::task::TrapContext;
use arch::Result;

pub fn sys_eventfd(ctx: &mut TrapContext, count: u32) -> Result<u64> {
    do_eventfd2(ctx, count, 0)
}

pub fn sys_eventfd2(ctx: &mut TrapContext, count: u32, flags: u32) -> Result<u64> {
    do_eventfd2(ctx, count, flags)
}
