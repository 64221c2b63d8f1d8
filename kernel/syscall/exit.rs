//! exit(2) and exit_group(2).

use crate::task::ExitStatus;
use crate::task::TrapContext;
use arch::Result;

/// exit: ends the calling thread only.
pub fn sys_exit(ctx: &mut TrapContext, status: i32) -> Result<u64> {
    ctx.exit = Some(ExitStatus::Exited(status as u8));
    Ok(0)
}

/// exit_group: ends every thread of the process.
pub fn sys_exit_group(ctx: &mut TrapContext, status: i32) -> Result<u64> {
    crate::signal::group_exit(&ctx.task.process, ExitStatus::Exited(status as u8));
    Ok(0)
}
