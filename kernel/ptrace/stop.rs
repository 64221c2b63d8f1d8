//! The tracee's side: the ptrace-stops it enters in its own thread, on its
//! way between guest code and the kernel (Linux's `ptrace_stop` and its
//! callers: `ptrace_report_syscall_*`, `ptrace_signal`, `ptrace_event`).

use super::*;
use crate::task::{ExitStatus, TrapContext};
use arch::Errno;

/// What the tracer left when it ended a stop: the signal to deliver (0:
/// none) and the siginfo, which it may have changed.
struct Verdict {
    sig: i32,
    siginfo: Option<SigInfo>,
}

/// Stops the current task for its tracer with `code` (the signal, and an
/// event in bits 8 to 15), until the tracer resumes it or detaches. The
/// registers and FPU state the tracer changed meanwhile take effect.
/// None when the task is not traced or is dying (then it never stops).
fn ptrace_stop(
    ctx: &mut TrapContext,
    kind: StopKind,
    code: u32,
    info: Option<SigInfo>,
) -> Option<Verdict> {
    let task = ctx.task.clone();
    let exiting = kind == StopKind::Event(PTRACE_EVENT_EXIT);
    if killed(&task, exiting) {
        return None;
    }
    let xstate = ctx.cpu.get_xstate().ok();
    let tracer = {
        let mut l = task.ptrace.borrow_mut();
        let l = l.as_mut()?;
        let tracer = l.tracer.upgrade()?;
        l.stop = Some(kind);
        l.report = Some((code << 8) | 0x7f);
        l.resumed = None;
        l.siginfo = info;
        l.regs = *ctx.regs;
        l.xstate = xstate;
        l.xstate_dirty = false;
        tracer
    };
    notify_tracer(
        &tracer.process,
        &task,
        signal::CLD_TRAPPED,
        (code & 0x7f) as i32,
    );
    loop {
        {
            let mut slot = task.ptrace.borrow_mut();
            let Some(l) = slot.as_mut() else {
                return Some(Verdict {
                    sig: 0,
                    siginfo: None,
                });
            };
            let group_went_on = l.listening && task.process.signal.borrow().stopped.is_none();
            if group_went_on {
                // PTRACE_LISTEN: the end of the group stop is a trap of its own.
                l.listening = false;
                l.trap_pending = true;
                l.resumed = Some(0);
            }
            if let Some(sig) = l.resumed.take() {
                *ctx.regs = l.regs;
                if l.xstate_dirty {
                    if let Some(x) = &l.xstate {
                        if let Err(e) = ctx.cpu.set_xstate(x) {
                            log::debug!("task {}: cannot set the FPU state: {e}", task.tid());
                        }
                    }
                }
                let siginfo = l.siginfo.take();
                l.stop = None;
                l.report = None;
                l.xstate = None;
                if l.detached {
                    // Linux leaves them armed; with no tracer to take
                    // their traps, they could only kill the task.
                    super::debugreg::clear(ctx, l);
                    *slot = None;
                } else {
                    super::debugreg::apply(ctx, l);
                }
                return Some(Verdict { sig, siginfo });
            }
        }
        if killed(&task, exiting) {
            if let Some(l) = task.ptrace.borrow_mut().as_mut() {
                l.stop = None;
                l.report = None;
            }
            return None;
        }
        task.waiter.sleep_at("ptrace_stop", None);
    }
}

/// Returns whether `task` is dying and so never stops, or leaves its
/// stop: its group exits (or another thread execs); for the stop at its
/// own exit, only SIGKILL counts.
fn killed(task: &Task, exiting: bool) -> bool {
    if !exiting {
        return signal::fatal_signal_pending(task);
    }
    task.process.signal.borrow().group_exit == Some(ExitStatus::Signaled(signal::SIGKILL))
}

/// Sends the current task the signal a tracer gave when resuming it from a
/// stop that was not for a signal (Linux's `ptrace_report_syscall`).
fn send_verdict(task: &Arc<Task>, v: Option<Verdict>) {
    if let Some(Verdict { sig, .. }) = v.filter(|v| v.sig != 0) {
        let _ = signal::send_sig_info(task, SigInfo::new(sig, signal::SI_USER));
    }
}

/// Returns the trap code of a system call stop: SIGTRAP, with bit 7 set
/// under PTRACE_O_TRACESYSGOOD.
fn syscall_code(options: u64) -> u32 {
    let good = if options & PTRACE_O_TRACESYSGOOD != 0 {
        0x80
    } else {
        0
    };
    signal::SIGTRAP as u32 | good
}

/// The stop at system call entry under PTRACE_SYSCALL or PTRACE_SYSEMU;
/// returns whether the call is skipped (PTRACE_SYSEMU, or a tracer that
/// set its number to -1).
pub fn syscall_entry(ctx: &mut TrapContext) -> bool {
    let (resume, options) = match ctx.task.ptrace.borrow_mut().as_mut() {
        Some(l) if matches!(l.resume, Resume::Syscall | Resume::Sysemu) => {
            l.in_syscall = true;
            (l.resume, l.options)
        }
        _ => return false,
    };
    ctx.regs.rax = Errno::ENOSYS.as_syscall_return();
    let v = ptrace_stop(ctx, StopKind::SyscallEntry, syscall_code(options), None);
    let task = ctx.task.clone();
    send_verdict(&task, v);
    resume == Resume::Sysemu || ctx.regs.orig_rax == u64::MAX
}

/// The stop at system call exit, when the tracer resumed the entry stop
/// with PTRACE_SYSCALL.
pub fn syscall_exit(ctx: &mut TrapContext) {
    let options = match ctx.task.ptrace.borrow_mut().as_mut() {
        Some(l) => {
            let entered = std::mem::take(&mut l.in_syscall);
            if !entered || l.resume != Resume::Syscall {
                return;
            }
            l.options
        }
        None => return,
    };
    if ctx.exit.is_some() {
        return;
    }
    let v = ptrace_stop(ctx, StopKind::SyscallExit, syscall_code(options), None);
    let task = ctx.task.clone();
    send_verdict(&task, v);
}

/// Signal-delivery-stop: the tracer sees `info` before it is delivered and
/// decides what is (Linux's `ptrace_signal`). Returns the signal to deliver
/// now, None if it was discarded or put back for later.
pub fn signal_delivery_stop(ctx: &mut TrapContext, info: SigInfo) -> Option<SigInfo> {
    if !is_traced(ctx.task) || info.si_signo == signal::SIGKILL {
        return Some(info);
    }
    let v = ptrace_stop(ctx, StopKind::Signal, info.si_signo as u32, Some(info))?;
    if v.sig == 0 {
        return None;
    }
    let mut info = v.siginfo.unwrap_or(info);
    if info.si_signo != v.sig {
        // The tracer named another signal: it comes from the tracer.
        info = SigInfo::new(v.sig, signal::SI_USER);
    }
    let task = ctx.task.clone();
    if task.signal.borrow().mask & signal::sigbit(v.sig) != 0 {
        let _ = signal::send_sig_info(&task, info);
        return None;
    }
    Some(info)
}

/// A group stop as a traced task reports it, once per stop: the stop
/// signal, or PTRACE_EVENT_STOP for a seized task. Returns false when the
/// task is not traced (it sleeps through the stop as usual).
pub fn group_stop(ctx: &mut TrapContext, sig: i32) -> bool {
    let seized = match ctx.task.ptrace.borrow_mut().as_mut() {
        Some(l) if l.group_stop_reported => return true,
        Some(l) => {
            l.group_stop_reported = true;
            l.seized
        }
        None => return false,
    };
    let code = if seized {
        sig as u32 | (PTRACE_EVENT_STOP << 8)
    } else {
        sig as u32
    };
    let v = ptrace_stop(ctx, StopKind::Group, code, None);
    if v.is_some() && seized {
        if let Some(l) = ctx.task.ptrace.borrow_mut().as_mut() {
            l.listening = false;
        }
    }
    true
}

/// Notes that the group's stop ended: the next one is reported again.
pub fn group_stop_over(task: &Task) {
    if let Some(l) = task.ptrace.borrow_mut().as_mut() {
        l.group_stop_reported = false;
    }
}

/// The trap of PTRACE_INTERRUPT, and a seized new child's first stop:
/// PTRACE_EVENT_STOP with SIGTRAP (or the stop signal in a group stop).
pub fn trap_stop(ctx: &mut TrapContext) {
    let pending = ctx
        .task
        .ptrace
        .borrow_mut()
        .as_mut()
        .is_some_and(|l| std::mem::take(&mut l.trap_pending));
    if !pending {
        return;
    }
    let sig = ctx
        .task
        .process
        .signal
        .borrow()
        .stopped
        .unwrap_or(signal::SIGTRAP);
    let code = sig as u32 | (PTRACE_EVENT_STOP << 8);
    let _ = ptrace_stop(ctx, StopKind::Event(PTRACE_EVENT_STOP), code, None);
}

/// Stops for `event` if the tracer asked for it with `option`, with
/// `msg` for PTRACE_GETEVENTMSG.
fn event_stop(ctx: &mut TrapContext, event: u32, option: u64, msg: u64) {
    match ctx.task.ptrace.borrow_mut().as_mut() {
        Some(l) if l.options & option != 0 => l.event_msg = msg,
        _ => return,
    }
    let code = signal::SIGTRAP as u32 | (event << 8);
    let uid = ctx.task.process.cred.borrow().uid;
    let info = SigInfo::kill(signal::SIGTRAP, code as i32, ctx.task.tid(), uid);
    let _ = ptrace_stop(ctx, StopKind::Event(event), code, Some(info));
}

/// Links a task being created to its creator's tracer when the tracer
/// asked for it (PTRACE_O_TRACEFORK, VFORK, CLONE, or CLONE_PTRACE), as
/// Linux's `ptrace_init_task`: a seized child starts with a trap, another
/// with SIGSTOP pending. Returns the event its creator reports.
pub fn fork_link(
    parent: &Arc<Task>,
    child: &Arc<Task>,
    flags: u64,
    exit_signal: u64,
) -> Option<u32> {
    use crate::task::fork::{CLONE_PTRACE, CLONE_THREAD, CLONE_UNTRACED, CLONE_VFORK};
    let (tracer, options, seized) = {
        let l = parent.ptrace.borrow();
        let l = l.as_ref()?;
        (l.tracer.upgrade()?, l.options, l.seized)
    };
    let (event, option) = if flags & CLONE_VFORK != 0 {
        (PTRACE_EVENT_VFORK, PTRACE_O_TRACEVFORK)
    } else if exit_signal != signal::SIGCHLD as u64 || flags & CLONE_THREAD != 0 {
        (PTRACE_EVENT_CLONE, PTRACE_O_TRACECLONE)
    } else {
        (PTRACE_EVENT_FORK, PTRACE_O_TRACEFORK)
    };
    let traced = options & option != 0 || flags & CLONE_PTRACE != 0;
    if flags & CLONE_UNTRACED != 0 || !traced {
        return None;
    }
    link(child, &tracer, options, seized);
    if seized {
        if let Some(l) = child.ptrace.borrow_mut().as_mut() {
            l.trap_pending = true;
        }
    } else {
        child
            .signal
            .borrow_mut()
            .pending
            .add_without_info(signal::SIGSTOP);
    }
    (options & option != 0).then_some(event)
}

/// The creator's stop for a new task (`fork_link`'s event), with the new
/// task's id as the event message; PTRACE_EVENT_VFORK_DONE follows a
/// vfork once the child let its parent go (`vfork_done`).
pub fn fork_event(ctx: &mut TrapContext, event: u32, child: crate::task::Pid) {
    let option = match event {
        PTRACE_EVENT_VFORK => PTRACE_O_TRACEVFORK,
        PTRACE_EVENT_CLONE => PTRACE_O_TRACECLONE,
        _ => PTRACE_O_TRACEFORK,
    };
    let child = in_tracer_ns(ctx, child);
    event_stop(ctx, event, option, child as u64);
}

/// Returns the global id `id` as the tracer of the current task sees it,
/// 0 where it is not visible there (Linux's ptrace_event_pid).
fn in_tracer_ns(ctx: &TrapContext, id: crate::task::Pid) -> crate::task::Pid {
    let tracer = ctx
        .task
        .ptrace
        .borrow()
        .as_ref()
        .and_then(|l| l.tracer.upgrade());
    tracer.map_or(0, |t| t.process.vnr(id))
}

/// PTRACE_EVENT_VFORK_DONE, once a vfork child let its parent go.
pub fn vfork_done(ctx: &mut TrapContext, child: crate::task::Pid) {
    let child = in_tracer_ns(ctx, child);
    event_stop(
        ctx,
        PTRACE_EVENT_VFORK_DONE,
        PTRACE_O_TRACEVFORKDONE,
        child as u64,
    );
}

/// After a successful execve: PTRACE_EVENT_EXEC (the message is the
/// thread id the task had before), or for a task traced the old way, a
/// SIGTRAP.
pub fn exec_event(ctx: &mut TrapContext, old_tid: crate::task::Pid) {
    let task = ctx.task.clone();
    let (options, seized) = match task.ptrace.borrow_mut().as_mut() {
        Some(l) => {
            // A new program starts without the old one's breakpoints.
            super::debugreg::clear(ctx, l);
            (l.options, l.seized)
        }
        None => return,
    };
    if options & PTRACE_O_TRACEEXEC != 0 {
        let old_tid = in_tracer_ns(ctx, old_tid);
        event_stop(ctx, PTRACE_EVENT_EXEC, PTRACE_O_TRACEEXEC, old_tid as u64);
    } else if !seized {
        let task = ctx.task.clone();
        let _ = signal::send_sig_info(&task, SigInfo::new(signal::SIGTRAP, signal::SI_USER));
    }
}

/// PTRACE_EVENT_EXIT: the task is about to exit with `status`; its
/// registers are still there to see.
pub fn exit_event(ctx: &mut TrapContext, status: ExitStatus) {
    event_stop(
        ctx,
        PTRACE_EVENT_EXIT,
        PTRACE_O_TRACEEXIT,
        status.wait_status() as u64,
    );
}
