//! Delivery, on every return towards guest code (Linux's `exit_to_user_mode`
//! loop): leave if the group is dying, sleep while it is stopped, and take the
//! pending signals the thread does not block — acting on defaults, or building a
//! handler frame. A system call that was interrupted (`-ERESTART*` in rax) is
//! restarted or fails with EINTR as its code and the handler's SA_RESTART say.

use super::frame::{setup_rt_frame, TrapInfo};
use super::*;
use crate::task::TrapContext;
use crate::task::{ExitStatus, Task};
use arch::Errno;

/// `restart_syscall`'s number: what `-ERESTART_RESTARTBLOCK` turns into.
const NR_RESTART_SYSCALL: u64 = 219;

/// Takes the next signal `task` does not block: its own first, then the process's.
fn dequeue(task: &Task) -> Option<SigInfo> {
    let mut ts = task.signal.borrow_mut();
    let allowed = !ts.mask;
    take_from(task, &mut ts.pending, allowed)
}

/// Takes a signal of `allowed` from `own` (the thread's set) or the process's.
/// A POSIX timer's signal leaves its overrun count with the timer, for
/// timer_getoverrun.
pub fn take_from(task: &Task, own: &mut SigPending, allowed: u64) -> Option<SigInfo> {
    let mut info = own
        .take(allowed)
        .or_else(|| task.process.signal.borrow_mut().pending.take(allowed))?;
    if info.si_code == SI_TIMER {
        crate::syscall::timer_delivered(&task.process, &mut info);
    }
    Some(info)
}

/// Stops the thread group for job control with `sig` (do_signal_stop): records
/// the stop for the parent's wait and SIGCHLD, and pulls the other threads in.
fn group_stop(task: &Arc<Task>, sig: i32) {
    let p = &task.process;
    {
        let mut ps = p.signal.borrow_mut();
        if ps.group_exit.is_some() {
            return;
        }
        ps.stopped = Some(sig);
        ps.stop_report = Some(sig);
        ps.continue_report = false;
    }
    for t in p.threads.borrow().iter() {
        if !Arc::ptr_eq(t, task) {
            signal_wake_up(t);
        }
    }
    notify_parent_stop(p, CLD_STOPPED, sig);
}

/// Sleeps while the group is stopped; SIGCONT and SIGKILL end it, and a
/// tracer's attach (the task then reports the stop).
fn wait_while_stopped(task: &Task) {
    loop {
        {
            let ps = task.process.signal.borrow();
            if ps.stopped.is_none() || ps.group_exit.is_some() || crate::ptrace::is_traced(task) {
                return;
            }
        }
        task.waiter.sleep_at("do_signal_stop", None);
    }
}

/// Sleeps while the process is frozen by its control group or the system
/// freezer; death ends it.
fn wait_while_frozen(task: &Task) {
    loop {
        {
            let ps = task.process.signal.borrow();
            if !(ps.frozen || crate::freezer::frozen()) || ps.group_exit.is_some() {
                return;
            }
        }
        task.waiter.sleep_at("__refrigerator", None);
    }
}

/// Rewinds to the `syscall` instruction so the call runs again.
fn rewind(ctx: &mut TrapContext, nr: u64) {
    ctx.regs.rax = nr;
    ctx.regs.rip -= 2;
}

/// Decides what an interrupted system call returns now that a handler with
/// `flags` runs (or none does, for `flags` None).
fn restart(ctx: &mut TrapContext, flags: Option<u64>) {
    if !std::mem::take(&mut ctx.in_syscall) {
        return;
    }
    let err = -(ctx.regs.rax as i64);
    let nr = ctx.regs.orig_rax;
    let eintr = Errno::EINTR.as_syscall_return();
    match (err, flags) {
        (512, None) | (513, _) | (514, None) => rewind(ctx, nr),
        (512, Some(f)) if f & SA_RESTART != 0 => rewind(ctx, nr),
        (516, None) => rewind(ctx, NR_RESTART_SYSCALL),
        (512, Some(_)) | (514, Some(_)) | (516, Some(_)) => ctx.regs.rax = eintr,
        _ => {}
    }
}

/// Does the signal work due before the task returns to guest code. Sets
/// `ctx.exit` if the task must die instead.
pub fn do_signal(ctx: &mut TrapContext) {
    let task = ctx.task.clone();
    let mut handled = false;
    loop {
        let (exit, exec) = {
            let ps = task.process.signal.borrow();
            (ps.group_exit, ps.exec_task)
        };
        if let Some(status) = exit {
            ctx.exit = Some(status);
            return;
        }
        if exec.is_some_and(|e| e != task.tid()) {
            ctx.exit = Some(ExitStatus::Signaled(SIGKILL));
            return;
        }
        crate::ptrace::trap_stop(ctx);
        let stopped = task.process.signal.borrow().stopped;
        match stopped {
            // A traced task reports the stop to its tracer, once, and
            // runs on when the tracer lets it.
            Some(sig) if crate::ptrace::group_stop(ctx, sig) => {}
            Some(_) => {
                wait_while_stopped(&task);
                continue;
            }
            None => crate::ptrace::group_stop_over(&task),
        }
        if task.process.signal.borrow().frozen || crate::freezer::frozen() {
            wait_while_frozen(&task);
            continue;
        }
        let Some(info) = dequeue(&task) else { break };
        // A tracer sees the signal first, and may change or discard it.
        let Some(info) = crate::ptrace::signal_delivery_stop(ctx, info) else {
            continue;
        };
        let sig = info.si_signo;
        let act = task.process.sigactions.borrow()[sig as usize - 1];
        // init discards what it has no handler for once it unblocks it
        // (SIGNAL_UNKILLABLE), SIGKILL and SIGSTOP aside.
        let unkillable = task.process.unkillable.load(Ordering::Relaxed);
        if act.handler == SIG_DFL && unkillable && sigbit(sig) & UNBLOCKABLE == 0 {
            continue;
        }
        match act.handler {
            SIG_IGN => continue,
            SIG_DFL => match default_action(sig) {
                DefaultAction::Ignore | DefaultAction::Continue => continue,
                DefaultAction::Stop => {
                    group_stop(&task, sig);
                    continue;
                }
                DefaultAction::Terminate => {
                    group_exit(&task.process, ExitStatus::Signaled(sig));
                    continue;
                }
                DefaultAction::Core => {
                    crate::coredump::do_coredump(ctx, &info);
                    continue;
                }
            },
            _ => {}
        }
        restart(ctx, Some(act.flags));
        let oldmask = {
            let mut ts = task.signal.borrow_mut();
            ts.saved_mask.take().unwrap_or(ts.mask)
        };
        let trap = trap_info(&info);
        if let Err(e) = setup_rt_frame(ctx, &info, &act, oldmask, trap) {
            log::debug!(
                "task {}: cannot build a frame for signal {sig}: {e}",
                task.tid()
            );
            task.process.sigactions.borrow_mut()[SIGSEGV as usize - 1].handler = SIG_DFL;
            let segv = SigInfo::new(SIGSEGV, SI_KERNEL);
            crate::coredump::do_coredump(ctx, &segv);
            continue;
        }
        {
            let mut ts = task.signal.borrow_mut();
            ts.mask = oldmask | act.mask;
            if act.flags & SA_NODEFER == 0 {
                ts.mask |= sigbit(sig);
            }
            ts.mask &= !UNBLOCKABLE;
        }
        if act.flags & SA_RESETHAND != 0 {
            task.process.sigactions.borrow_mut()[sig as usize - 1] = Default::default();
        }
        handled = true;
    }
    if !handled {
        restart(ctx, None);
        let mut ts = task.signal.borrow_mut();
        if let Some(m) = ts.saved_mask.take() {
            ts.mask = m;
        }
    }
}

/// Returns the `sigcontext` fault fields for a fault's siginfo.
fn trap_info(info: &SigInfo) -> TrapInfo {
    let (sig, code) = (info.si_signo, info.si_code);
    match sig {
        SIGSEGV if code == SEGV_MAPERR || code == SEGV_ACCERR => TrapInfo {
            trapno: 14,
            err: 4 | if code == SEGV_ACCERR { 1 } else { 0 },
            cr2: info.fields::<SigFault>().si_addr,
        },
        SIGSEGV | SIGBUS if code == SI_KERNEL => TrapInfo {
            trapno: 13,
            ..Default::default()
        },
        SIGFPE => TrapInfo {
            trapno: 0,
            ..Default::default()
        },
        SIGILL => TrapInfo {
            trapno: 6,
            ..Default::default()
        },
        SIGTRAP => TrapInfo {
            trapno: 3,
            ..Default::default()
        },
        _ => TrapInfo::default(),
    }
}

/// `restart_syscall`: resumes a call interrupted with `-ERESTART_RESTARTBLOCK`
/// (a sleep) through the continuation it left, or EINTR if none.
pub fn restart_syscall(ctx: &mut TrapContext) -> arch::Result<u64> {
    let restart = ctx.task.restart.take();
    match restart {
        Some(f) => f(ctx),
        None => Err(Errno::EINTR),
    }
}
