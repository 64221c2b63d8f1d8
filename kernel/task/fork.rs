//! fork and clone: a new process with a copy-on-write copy of the address space, a
//! copy of the file table, and its own host thread and stub, resuming from the
//! parent's registers (and XSAVE state) with 0 as the system call's result.

use super::run::{start_task, Start};
use super::{alloc_pid, locked, register, Pid, Process, Task};
use crate::syscall::SyscallContext;
use arch::{Errno, Result};
use std::sync::atomic::AtomicI32;
use std::sync::{Arc, Mutex};

pub const CLONE_VM: u64 = 0x100;
pub const CLONE_FS: u64 = 0x200;
pub const CLONE_FILES: u64 = 0x400;
pub const CLONE_SIGHAND: u64 = 0x800;
pub const CLONE_PIDFD: u64 = 0x1000;
pub const CLONE_THREAD: u64 = 0x10000;
pub const CLONE_SETTLS: u64 = 0x80000;
pub const CLONE_PARENT_SETTID: u64 = 0x100000;
pub const CLONE_CHILD_CLEARTID: u64 = 0x200000;
pub const CLONE_CHILD_SETTID: u64 = 0x1000000;

/// Creates a child process as `clone(flags, stack, ptid, ctid, tls)` asks. Sharing
/// an address space, files or fs context (`CLONE_VM`, `CLONE_THREAD`, `CLONE_FILES`,
/// ...) comes with threads; until then such requests get ENOSYS and a log line.
pub fn do_fork(
    ctx: &mut SyscallContext,
    flags: u64,
    stack: u64,
    ptid: u64,
    ctid: u64,
    tls: u64,
) -> Result<Pid> {
    let exit_signal = flags & 0xff;
    if flags & (CLONE_VM | CLONE_THREAD | CLONE_SIGHAND | CLONE_FILES | CLONE_FS | CLONE_PIDFD) != 0
    {
        log::warn!("clone flags {flags:#x} are not supported yet");
        return Err(Errno::ENOSYS);
    }
    if exit_signal >= 65 {
        return Err(Errno::EINVAL);
    }
    let parent = &ctx.task.process;
    let pid = alloc_pid().ok_or(Errno::EAGAIN)?;
    let mm = locked(&ctx.task.mm()).fork()?;
    let files = locked(&ctx.task.files()).clone();
    let child = Process::new(pid, mm, files, ctx.task.fs());
    *locked(&child.parent) = Arc::downgrade(parent);
    *locked(&child.pgid) = *locked(&parent.pgid);
    *locked(&child.sid) = *locked(&parent.sid);
    *locked(&child.exe) = locked(&parent.exe).clone();
    *locked(&child.comm) = locked(&parent.comm).clone();
    *locked(&child.sigactions) = *locked(&parent.sigactions);
    let task = Arc::new(Task {
        tid: pid,
        process: child.clone(),
        clear_child_tid: Mutex::new(if flags & CLONE_CHILD_CLEARTID != 0 {
            ctid
        } else {
            0
        }),
        robust_list: Mutex::new((0, 0)),
        sigmask: Mutex::new(*locked(&ctx.task.sigmask)),
        stub_pid: AtomicI32::new(0),
    });
    if flags & CLONE_PARENT_SETTID != 0 {
        locked(&ctx.task.mm()).copy_to_user(ptid, &pid.to_ne_bytes())?;
    }
    if flags & CLONE_CHILD_SETTID != 0 {
        locked(&task.mm()).copy_to_user(ctid, &pid.to_ne_bytes())?;
    }
    let mut regs = *ctx.regs;
    regs.rax = 0;
    if stack != 0 {
        regs.rsp = stack;
    }
    if flags & CLONE_SETTLS != 0 {
        regs.fs_base = tls;
    }
    let xstate = ctx.stub.get_xstate().ok();
    register(&child);
    locked(&parent.children).push(child);
    if let Err(e) = start_task(task, Start::Resume { regs, xstate }) {
        log::error!("fork: cannot start a host thread: {e}");
        locked(&parent.children).retain(|c| c.pid != pid);
        super::unregister(pid);
        return Err(Errno::EAGAIN);
    }
    Ok(pid)
}
