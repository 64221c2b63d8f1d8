//! fork, vfork, clone and clone3: a new thread in the caller's group
//! (CLONE_THREAD), or a new process with the caller's address space shared
//! (CLONE_VM) or copied on write, its file table shared (CLONE_FILES) or
//! copied. Each new task gets its own host thread and stub, resuming from the
//! caller's registers and FPU state with 0 as the call's result.

use super::run::{start_task, Start};
use super::{alloc_pid, locked, register, tlb, Pid, Process, Task};
use crate::signal::{self, NSIG};
use crate::sleep::{wait_event, Interruptible};
use crate::task::TrapContext;
use arch::{Errno, Result};
use std::sync::atomic::Ordering;
use std::sync::Arc;

pub const CLONE_VM: u64 = 0x100;
pub const CLONE_FS: u64 = 0x200;
pub const CLONE_FILES: u64 = 0x400;
pub const CLONE_SIGHAND: u64 = 0x800;
pub const CLONE_PIDFD: u64 = 0x1000;
pub const CLONE_PTRACE: u64 = 0x2000;
pub const CLONE_VFORK: u64 = 0x4000;
pub const CLONE_PARENT: u64 = 0x8000;
pub const CLONE_THREAD: u64 = 0x10000;
pub const CLONE_SYSVSEM: u64 = 0x40000;
pub const CLONE_SETTLS: u64 = 0x80000;
pub const CLONE_PARENT_SETTID: u64 = 0x100000;
pub const CLONE_CHILD_CLEARTID: u64 = 0x200000;
pub const CLONE_DETACHED: u64 = 0x400000;
pub const CLONE_UNTRACED: u64 = 0x800000;
pub const CLONE_CHILD_SETTID: u64 = 0x1000000;
pub const CLONE_IO: u64 = 0x80000000;

/// The flags this kernel implements; namespaces (CLONE_NEWNS, CLONE_NEWPID...)
/// are not among them.
const SUPPORTED: u64 = CLONE_VM
    | CLONE_FS
    | CLONE_FILES
    | CLONE_SIGHAND
    | CLONE_PIDFD
    | CLONE_PTRACE
    | CLONE_VFORK
    | CLONE_PARENT
    | CLONE_THREAD
    | CLONE_SYSVSEM
    | CLONE_SETTLS
    | CLONE_PARENT_SETTID
    | CLONE_CHILD_CLEARTID
    | CLONE_DETACHED
    | CLONE_UNTRACED
    | CLONE_CHILD_SETTID
    | CLONE_IO;

/// What clone and clone3 ask for (clone3's `struct clone_args`).
#[derive(Clone, Copy, Debug, Default)]
pub struct CloneArgs {
    pub flags: u64,
    pub pidfd: u64,
    pub child_tid: u64,
    pub parent_tid: u64,
    pub exit_signal: u64,
    /// The new stack pointer (0: the caller's).
    pub stack: u64,
    pub tls: u64,
}

/// Checks the flag rules of clone(2).
fn check(a: &CloneArgs) -> Result<()> {
    let f = a.flags;
    if f & !SUPPORTED != 0 {
        log::warn!("clone: unsupported flags {:#x}", f & !SUPPORTED);
        return Err(Errno::EINVAL);
    }
    if (f & CLONE_THREAD != 0 && f & CLONE_SIGHAND == 0)
        || (f & CLONE_SIGHAND != 0 && f & CLONE_VM == 0)
        || (f & CLONE_THREAD != 0 && a.exit_signal != 0)
        || a.exit_signal > NSIG as u64
        || (f & CLONE_PIDFD != 0 && (f & CLONE_THREAD != 0 || f & CLONE_DETACHED != 0))
    {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

/// Creates a task as `clone` asks; returns its id.
pub fn do_fork(ctx: &mut TrapContext, a: CloneArgs) -> Result<Pid> {
    check(&a)?;
    let f = a.flags;
    let me = ctx.task.clone();
    let parent = &me.process;
    if locked(&parent.signal).group_exit.is_some() {
        return Err(Errno::ERESTARTNOINTR);
    }
    super::limits::may_fork(parent)?;
    let id = alloc_pid().ok_or(Errno::EAGAIN)?;
    let mask = locked(&me.signal).mask;
    let sched = *locked(&me.sched);
    let task = if f & CLONE_THREAD != 0 {
        let t = Task::new(id, parent.clone(), mask);
        *locked(&t.sched) = sched;
        locked(&parent.threads).push(t.clone());
        t
    } else {
        let mm = if f & CLONE_VM != 0 {
            me.mm()
        } else {
            tlb::quiesce(&me);
            Arc::new(arch::sync::Mutex::new(locked(&me.mm()).fork()?))
        };
        let files = if f & CLONE_FILES != 0 {
            me.files()
        } else {
            Arc::new(arch::sync::Mutex::new(locked(&me.files()).clone()))
        };
        let child = Process::new(id, mm, files, me.fs());
        let real_parent = if f & CLONE_PARENT != 0 {
            locked(&parent.parent)
                .upgrade()
                .unwrap_or_else(|| parent.clone())
        } else {
            parent.clone()
        };
        *locked(&child.parent) = Arc::downgrade(&real_parent);
        *locked(&child.exit_signal) = a.exit_signal as i32;
        *locked(&child.pgid) = *locked(&parent.pgid);
        *locked(&child.sid) = *locked(&parent.sid);
        *locked(&child.exe) = locked(&parent.exe).clone();
        *locked(&child.comm) = locked(&parent.comm).clone();
        *locked(&child.sigactions) = *locked(&parent.sigactions);
        *locked(&child.rlimits) = *locked(&parent.rlimits);
        *locked(&child.cred) = locked(&parent.cred).clone();
        child.set_dumpable(parent.dumpable());
        *locked(&child.ctty) = locked(&parent.ctty).clone();
        for (to, from) in [
            (&child.oom_score_adj, &parent.oom_score_adj),
            (&child.oom_score_adj_min, &parent.oom_score_adj_min),
        ] {
            to.store(from.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        let t = Task::new(id, child.clone(), mask);
        *locked(&t.sched) = sched;
        locked(&child.threads).push(t.clone());
        register(&child);
        locked(&real_parent.children).push(child);
        t
    };
    locked(&task.signal).altstack = if f & CLONE_VM != 0 && f & CLONE_VFORK == 0 {
        signal::AltStack::default()
    } else {
        locked(&me.signal).altstack
    };
    if f & CLONE_CHILD_CLEARTID != 0 {
        *locked(&task.clear_child_tid) = a.child_tid;
    }
    let tid_bytes = id.to_ne_bytes();
    if f & CLONE_PARENT_SETTID != 0 {
        let _ = ctx.write_user(a.parent_tid, &tid_bytes);
    }
    if f & CLONE_CHILD_SETTID != 0 {
        let _ = locked(&task.mm()).copy_to_user(a.child_tid, &tid_bytes);
    }
    if f & CLONE_PIDFD != 0 {
        let fd = crate::pidfd::install(ctx, &task.process)?;
        ctx.write_user(a.pidfd, &fd.to_ne_bytes())?;
    }
    let mut regs = *ctx.regs;
    regs.rax = 0;
    if a.stack != 0 {
        regs.rsp = a.stack;
    }
    if f & CLONE_SETTLS != 0 {
        regs.fs_base = a.tls;
    }
    let xstate = ctx.stub.get_xstate().ok();
    if f & CLONE_VFORK != 0 {
        *locked(&task.vfork_done) = Some(me.clone());
        me.vfork_released.store(false, Ordering::Release);
    }
    if let Err(e) = start_task(task.clone(), Start::Resume { regs, xstate }) {
        log::error!("clone: cannot start a host thread: {e}");
        let p = &task.process;
        locked(&p.threads).retain(|t| !Arc::ptr_eq(t, &task));
        super::unregister_task(id);
        if f & CLONE_THREAD == 0 {
            if let Some(rp) = locked(&p.parent).upgrade() {
                locked(&rp.children).retain(|c| !Arc::ptr_eq(c, p));
            }
            super::unregister(id);
        }
        return Err(Errno::EAGAIN);
    }
    if f & CLONE_VFORK != 0 {
        // The parent sleeps until the child execs or exits; only a fatal signal
        // ends the wait early (signals stay pending meanwhile).
        let _ = wait_event(&me, &[], None, Interruptible::Fatal, || {
            me.vfork_released.load(Ordering::Acquire).then_some(())
        });
    }
    Ok(id)
}
