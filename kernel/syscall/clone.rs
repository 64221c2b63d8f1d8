//! Task creation: fork, vfork, clone and clone3 (clone(2)) over `task::do_fork`.

use crate::task::TrapContext;
use crate::task::{self, CloneArgs};
use arch::{Errno, Result};

const SIGCHLD: u64 = 17;

pub fn sys_fork(ctx: &mut TrapContext) -> Result<u64> {
    let args = CloneArgs {
        exit_signal: SIGCHLD,
        ..Default::default()
    };
    Ok(task::do_fork(ctx, args)? as u64)
}

/// vfork: the child borrows the parent's address space, and the parent sleeps
/// until the child execs or exits.
pub fn sys_vfork(ctx: &mut TrapContext) -> Result<u64> {
    let args = CloneArgs {
        flags: task::fork::CLONE_VM | task::fork::CLONE_VFORK,
        exit_signal: SIGCHLD,
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
pub fn sys_clone3(ctx: &mut TrapContext, args: u64, size: u64) -> Result<u64> {
    let size = size as usize;
    if !(64..=4096).contains(&size) {
        return Err(Errno::EINVAL);
    }
    let mut b = vec![0u8; size];
    ctx.read_user(args, &mut b)?;
    let w = |i: usize| u64::from_ne_bytes(b[i * 8..i * 8 + 8].try_into().expect("8 bytes"));
    // Fields past the ones this kernel knows must be zero (E2BIG), and
    // set_tid and cgroup (pid namespaces, cgroups) are not offered.
    if b[88.min(size)..].iter().any(|&x| x != 0) || (size >= 88 && (w(8) != 0 || w(9) != 0)) {
        return Err(if b[88.min(size)..].iter().any(|&x| x != 0) {
            Errno::E2BIG
        } else {
            Errno::EINVAL
        });
    }
    let (stack, stack_size) = (w(5), w(6));
    if (stack == 0) != (stack_size == 0) {
        return Err(Errno::EINVAL);
    }
    let exit_signal = w(4);
    if exit_signal & !0xff != 0 || w(0) & 0xff != 0 {
        return Err(Errno::EINVAL);
    }
    let args = CloneArgs {
        flags: w(0),
        pidfd: w(1),
        child_tid: w(2),
        parent_tid: w(3),
        exit_signal,
        stack: if stack == 0 { 0 } else { stack + stack_size },
        tls: w(7),
    };
    Ok(task::do_fork(ctx, args)? as u64)
}
