//! fork, vfork, clone and clone3: a new thread in the caller's group
//! (CLONE_THREAD), or a new process with the caller's address space shared
//! (CLONE_VM) or copied on write, its file table shared (CLONE_FILES) or
//! copied. Each new task gets its own host thread and guest CPU, resuming from the
//! caller's registers and FPU state with 0 as the call's result.

use super::run::Start;
use super::worker::start_task;
use super::{alloc_pid, register, tlb, Pid, Process, Task};
use crate::signal::{self, NSIG};
use crate::sleep::{wait_event, Interruptible};
use crate::syscall::UserPtr;
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

/// The flags this kernel implements; of the namespaces, only UTS's and
/// IPC's (CLONE_NEWNS, CLONE_NEWPID... are not among them).
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
    | CLONE_IO
    | crate::uts::CLONE_NEWUTS
    | crate::mnt_ns::CLONE_NEWNS
    | crate::ipc::CLONE_NEWIPC
    | crate::pid_ns::CLONE_NEWPID
    | crate::net::CLONE_NEWNET
    | crate::cgroup::ns::CLONE_NEWCGROUP;

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
        || (f & crate::mnt_ns::CLONE_NEWNS != 0 && f & (CLONE_FS | CLONE_THREAD) != 0)
        || (f & CLONE_SYSVSEM != 0 && f & crate::ipc::CLONE_NEWIPC != 0)
        || (f & crate::pid_ns::CLONE_NEWPID != 0 && f & CLONE_THREAD != 0)
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
    if parent.signal.borrow().group_exit.is_some() {
        return Err(Errno::ERESTARTNOINTR);
    }
    // A new namespace takes CAP_SYS_ADMIN.
    let new_ns = crate::uts::CLONE_NEWUTS
        | crate::ipc::CLONE_NEWIPC
        | crate::mnt_ns::CLONE_NEWNS
        | crate::pid_ns::CLONE_NEWPID
        | crate::net::CLONE_NEWNET
        | crate::cgroup::ns::CLONE_NEWCGROUP;
    let admin = parent
        .cred
        .borrow()
        .capable(arch::abi::capability::CAP_SYS_ADMIN);
    if f & new_ns != 0 && !admin {
        return Err(Errno::EPERM);
    }
    super::limits::may_fork(parent)?;
    crate::cgroup::may_fork(parent)?;
    // The child's PID namespace: the one chosen for children (unshare,
    // setns), or a new one below it; a thread stays in its process's.
    let pid_ns = me.pid_for_children.borrow().clone();
    let pid_ns = if f & crate::pid_ns::CLONE_NEWPID != 0 {
        crate::pid_ns::PidNamespace::create(&pid_ns)?
    } else {
        pid_ns
    };
    if f & CLONE_THREAD != 0 && !Arc::ptr_eq(&pid_ns, &parent.ns()) {
        return Err(Errno::EINVAL);
    }
    let id = alloc_pid().ok_or(Errno::EAGAIN)?;
    let local_id = crate::pid_ns::alloc(id, &pid_ns)?;
    let mask = me.signal.borrow().mask;
    let mut sched = *me.sched.borrow();
    crate::syscall::sched_policy::at_fork(&mut sched);
    let seccomp = me.seccomp.borrow().clone();
    let uts = if f & crate::uts::CLONE_NEWUTS != 0 {
        me.uts.borrow().copy()
    } else {
        me.uts.borrow().clone()
    };
    let ipc = if f & crate::ipc::CLONE_NEWIPC != 0 {
        crate::ipc::IpcNamespace::create()
    } else {
        me.ipc.borrow().clone()
    };
    // A new cgroup namespace is rooted at the child's group: the parent's.
    let cgroup_ns = if f & crate::cgroup::ns::CLONE_NEWCGROUP != 0 {
        crate::cgroup::ns::CgroupNamespace::create(crate::cgroup::of(parent))
    } else {
        me.cgroup_ns.borrow().clone()
    };
    let net = if f & crate::net::CLONE_NEWNET != 0 {
        crate::net::Net::new()
    } else {
        me.net.borrow().clone()
    };
    let nnp = me.no_new_privs.load(Ordering::Relaxed);
    let task = if f & CLONE_THREAD != 0 {
        let t = Task::new(id, parent.clone(), mask);
        *t.sched.borrow_mut() = sched;
        parent.threads.borrow_mut().push(t.clone());
        t
    } else {
        let mm = if f & CLONE_VM != 0 {
            me.mm()
        } else {
            tlb::quiesce(&me);
            Arc::new(arch::sync::KernelCell::new(me.mm().borrow_mut().fork()?))
        };
        let files = if f & CLONE_FILES != 0 {
            me.files()
        } else {
            Arc::new(arch::sync::KernelCell::new(me.files().borrow().clone()))
        };
        let fsc = if f & crate::mnt_ns::CLONE_NEWNS != 0 {
            crate::mnt_ns::copy(&me.fs())?
        } else {
            me.fs()
        };
        let child = Process::new(id, mm, files, fsc);
        *child.pid_ns.borrow_mut() = pid_ns.clone();
        if local_id == 1 {
            crate::pid_ns::set_reaper(&pid_ns, &child);
        }
        let real_parent = if f & CLONE_PARENT != 0 {
            parent
                .parent
                .borrow()
                .upgrade()
                .unwrap_or_else(|| parent.clone())
        } else {
            parent.clone()
        };
        *child.parent.borrow_mut() = Arc::downgrade(&real_parent);
        *child.exit_signal.borrow_mut() = a.exit_signal as i32;
        *child.pgid.borrow_mut() = *parent.pgid.borrow_mut();
        *child.sid.borrow_mut() = *parent.sid.borrow_mut();
        *child.exe.borrow_mut() = parent.exe.borrow().clone();
        *child.comm.borrow_mut() = parent.comm.borrow().clone();
        *child.sigactions.borrow_mut() = *parent.sigactions.borrow_mut();
        *child.rlimits.borrow_mut() = *parent.rlimits.borrow_mut();
        super::watch_cpu_limit(&child);
        *child.cred.borrow_mut() = parent.cred.borrow().clone();
        child.set_dumpable(parent.dumpable());
        *child.ctty.borrow_mut() = parent.ctty.borrow().clone();
        let persona = parent.personality.load(Ordering::Relaxed);
        child.personality.store(persona, Ordering::Relaxed);
        for (to, from) in [
            (&child.oom_score_adj, &parent.oom_score_adj),
            (&child.oom_score_adj_min, &parent.oom_score_adj_min),
        ] {
            to.store(from.load(Ordering::Relaxed), Ordering::Relaxed);
        }
        let t = Task::new(id, child.clone(), mask);
        *t.sched.borrow_mut() = sched;
        child.threads.borrow_mut().push(t.clone());
        register(&child);
        crate::cgroup::fork(parent, &child);
        real_parent.children.borrow_mut().push(child);
        t
    };
    *task.seccomp.borrow_mut() = seccomp;
    *task.pid_for_children.borrow_mut() = if f & CLONE_THREAD != 0 {
        me.pid_for_children.borrow().clone()
    } else {
        pid_ns.clone()
    };
    *task.uts.borrow_mut() = uts;
    *task.ipc.borrow_mut() = ipc;
    *task.net.borrow_mut() = net;
    *task.cgroup_ns.borrow_mut() = cgroup_ns;
    task.no_new_privs.store(nnp, Ordering::Relaxed);
    task.signal.borrow_mut().altstack = if f & CLONE_VM != 0 && f & CLONE_VFORK == 0 {
        signal::AltStack::default()
    } else {
        me.signal.borrow_mut().altstack
    };
    if f & CLONE_CHILD_CLEARTID != 0 {
        *task.clear_child_tid.borrow_mut() = a.child_tid;
    }
    // The caller sees the child's id in its own namespace, the child its
    // own.
    let vid = parent.vnr(id);
    if f & CLONE_PARENT_SETTID != 0 {
        let _ = UserPtr::<Pid>::new(a.parent_tid).write(ctx, &vid);
    }
    if f & CLONE_CHILD_SETTID != 0 {
        let _ = UserPtr::<Pid>::new(a.child_tid).write(&*task, &local_id);
    }
    if f & CLONE_PIDFD != 0 {
        let fd = crate::pidfd::install(ctx, &task.process)?;
        UserPtr::<i32>::new(a.pidfd).write(ctx, &fd)?;
    }
    let mut regs = *ctx.regs;
    regs.rax = 0;
    if a.stack != 0 {
        regs.rsp = a.stack;
    }
    if f & CLONE_SETTLS != 0 {
        regs.fs_base = a.tls;
    }
    let xstate = ctx.cpu.get_xstate().ok();
    if f & CLONE_VFORK != 0 {
        *task.vfork_done.borrow_mut() = Some(me.clone());
        me.vfork_released.store(false, Ordering::Release);
    }
    let event = crate::ptrace::fork_link(&me, &task, f, a.exit_signal);
    // A thread of the same address space may share the caller's host
    // mappings; a vfork child, which is about to exec, starts on a stub of
    // its own (it would have to leave a shared one at its exec).
    let share = if f & CLONE_VM != 0 && f & CLONE_VFORK == 0 {
        ctx.task.cpu().cloned()
    } else {
        None
    };
    let start = Start::Resume {
        regs,
        xstate,
        share,
    };
    if let Err(e) = start_task(task.clone(), start) {
        log::error!("clone: cannot start a host thread: {e}");
        let p = &task.process;
        p.threads.borrow_mut().retain(|t| !Arc::ptr_eq(t, &task));
        super::unregister_task(id);
        if f & CLONE_THREAD == 0 {
            crate::cgroup::exit(p);
            if let Some(rp) = p.parent.borrow().upgrade() {
                rp.children.borrow_mut().retain(|c| !Arc::ptr_eq(c, p));
            }
            super::unregister(id);
        }
        return Err(Errno::EAGAIN);
    }
    if let Some(event) = event {
        crate::ptrace::fork_event(ctx, event, id);
    }
    if f & CLONE_VFORK != 0 {
        // The parent sleeps until the child execs or exits; only a fatal signal
        // ends the wait early (signals stay pending meanwhile).
        let _ = wait_event(&me, &[], None, Interruptible::Fatal, || {
            me.vfork_released.load(Ordering::Acquire).then_some(())
        });
        crate::ptrace::vfork_done(ctx, id);
    }
    Ok(vid)
}
