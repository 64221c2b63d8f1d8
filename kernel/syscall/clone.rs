//! Task creation: fork, vfork, clone and clone3 (clone(2)) over `task::do_fork`.

use super::arg::UserPtr;
use crate::signal::SIGCHLD;
use crate::task::TrapContext;
use crate::task::{self, CloneArgs};
use arch::abi::structs as abi;
use arch::backend::TASK_SIZE;
use arch::{Errno, Result, PAGE_SIZE};

/// The size of the first `struct clone_args` (Linux 5.3: up to `tls`).
const CLONE_ARGS_SIZE_VER0: u64 = 64;

pub fn sys_fork(ctx: &mut TrapContext) -> Result<u64> {
    let args = CloneArgs {
        exit_signal: SIGCHLD as u64,
        ..Default::default()
    };
    Ok(task::do_fork(ctx, args)? as u64)
}

/// vfork: the child borrows the parent's address space, and the parent sleeps
/// until the child execs or exits.
pub fn sys_vfork(ctx: &mut TrapContext) -> Result<u64> {
    let args = CloneArgs {
        flags: task::fork::CLONE_VM | task::fork::CLONE_VFORK,
        exit_signal: SIGCHLD as u64,
        ..Default::default()
    };
    Ok(task::do_fork(ctx, args)? as u64)
}

/// clone(flags, stack, parent_tid, child_tid, tls): the x86_64 argument order.
pub fn sys_clone(
    ctx: &mut TrapContext,
    flags: u64,
    stack: u64,
    parent_tid: u64,
    child_tid: u64,
    tls: u64,
) -> Result<u64> {
    let f = flags;
    let args = CloneArgs {
        flags: f & !0xff,
        exit_signal: f & 0xff,
        stack,
        parent_tid,
        child_tid,
        tls,
        // clone(2) returns the pidfd through the parent_tid slot.
        pidfd: parent_tid,
    };
    if args.flags & task::fork::CLONE_PIDFD != 0
        && args.flags & task::fork::CLONE_PARENT_SETTID != 0
    {
        return Err(Errno::EINVAL);
    }
    Ok(task::do_fork(ctx, args)? as u64)
}

/// clone3(args, size): `struct clone_args`, at least its first 64 bytes
/// (CLONE_ARGS_SIZE_VER0); the stack is given as base and size.
pub fn sys_clone3(ctx: &mut TrapContext, args: UserPtr<abi::CloneArgs>, size: u64) -> Result<u64> {
    // From version 0 (CLONE_ARGS_SIZE_VER0) to a page, as Linux's
    // copy_clone_args_from_user: E2BIG past a page, EINVAL below version 0.
    if size > PAGE_SIZE {
        return Err(Errno::E2BIG);
    }
    if size < CLONE_ARGS_SIZE_VER0 {
        return Err(Errno::EINVAL);
    }
    let size = size as usize;
    let a = args.read_sized(ctx, size)?;
    // set_tid and cgroup (pid namespaces, cgroups) are not offered.
    if a.set_tid != 0 || a.set_tid_size != 0 {
        return Err(Errno::EINVAL);
    }
    // Linux's clone3_stack_valid: both or neither, and a stack inside the
    // address space (access_ok); its top is the child's stack pointer.
    let stack_top = match (a.stack, a.stack_size) {
        (0, 0) => 0,
        (0, _) | (_, 0) => return Err(Errno::EINVAL),
        (base, size) => base
            .checked_add(size)
            .filter(|&top| top <= TASK_SIZE)
            .ok_or(Errno::EINVAL)?,
    };
    if a.exit_signal & !0xff != 0 || a.flags & 0xff != 0 {
        return Err(Errno::EINVAL);
    }
    let args = CloneArgs {
        flags: a.flags,
        pidfd: a.pidfd,
        child_tid: a.child_tid,
        parent_tid: a.parent_tid,
        exit_signal: a.exit_signal,
        stack: stack_top,
        tls: a.tls,
    };
    Ok(task::do_fork(ctx, args)? as u64)
}
