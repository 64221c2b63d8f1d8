//! ptrace(2): one task (the tracer) controls another (the tracee). The link
//! lives on the tracee (`Task::ptrace`) and in the tracer's process's list
//! of tracees (`Process::ptraced`), which its waits look at. A tracee stops
//! in its own thread (`stop`) — at system call entry and exit, before a
//! signal is delivered, at events (fork, exec, exit) — publishing its
//! registers and FPU state in the link, where the tracer's requests
//! (`request`) read and change them, and sleeps until the tracer resumes
//! it, detaches or the tracee is killed.

pub mod debugreg;
mod regs;
mod request;
mod stop;
mod vm;
pub mod yama;

pub use request::sys_ptrace;
pub use stop::{
    exec_event, exit_event, fork_event, fork_link, group_stop, group_stop_over,
    signal_delivery_stop, syscall_entry, syscall_exit, trap_stop, vfork_done,
};
pub use vm::{sys_process_vm_readv, sys_process_vm_writev};

use crate::signal::{self, SigInfo};
use crate::task::{ExitStatus, Process, Task};
use arch::abi::ptrace::*;
use arch::UserRegs;
use std::sync::{Arc, Weak};

/// How the tracer last resumed the tracee.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Resume {
    #[default]
    Cont,
    /// Stop at the next system call entry and exit (PTRACE_SYSCALL).
    Syscall,
    /// Stop at the next system call entry, and skip the call (PTRACE_SYSEMU).
    Sysemu,
    /// Stop after one instruction (PTRACE_SINGLESTEP).
    SingleStep,
}

/// The ptrace-stop a tracee is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StopKind {
    SyscallEntry,
    SyscallExit,
    /// Signal-delivery-stop: the signal waits for the tracer's verdict.
    Signal,
    /// The group stopped for job control.
    Group,
    /// A PTRACE_EVENT_* stop.
    Event(u32),
}

/// A traced task's link to its tracer, and its ptrace-stop.
pub struct PtraceLink {
    pub tracer: Weak<Task>,
    pub options: u64,
    /// Attached with PTRACE_SEIZE.
    pub seized: bool,
    pub resume: Resume,
    /// The ptrace-stop the task is in.
    pub stop: Option<StopKind>,
    /// The stop's wait status, until the tracer's wait takes it.
    pub report: Option<u32>,
    /// Set by the tracer to end the stop, with the signal to deliver (0: none).
    pub resumed: Option<i32>,
    /// The siginfo of a signal-delivery-stop (PTRACE_GETSIGINFO), or of
    /// the SIGTRAP of another stop.
    pub siginfo: Option<SigInfo>,
    /// PTRACE_GETEVENTMSG's value.
    pub event_msg: u64,
    /// The registers of the stopped task, which the tracer reads and writes.
    pub regs: UserRegs,
    /// Its XSAVE area, and whether the tracer changed it.
    pub xstate: Option<Vec<u8>>,
    pub xstate_dirty: bool,
    /// The eight debug registers, as the tracer set them.
    pub debugreg: [u64; 8],
    /// The tracer changed them: they are armed as the task resumes.
    pub debugreg_dirty: bool,
    /// The current group stop was reported (each is reported once).
    pub group_stop_reported: bool,
    /// PTRACE_INTERRUPT, or a seized child's first stop: trap at the next
    /// return towards guest code.
    pub trap_pending: bool,
    /// PTRACE_LISTEN: the group stop goes on, but its end is reported.
    pub listening: bool,
    /// The stop at system call entry came: the exit stops too.
    pub in_syscall: bool,
    /// The task has exited so, not yet reported.
    pub exit_report: Option<ExitStatus>,
    /// The tracer detached while the task was stopped: it drops the link
    /// as it leaves the stop, keeping the registers the tracer set.
    pub detached: bool,
}

impl PtraceLink {
    fn new(tracer: &Arc<Task>, options: u64, seized: bool) -> Box<PtraceLink> {
        Box::new(PtraceLink {
            tracer: Arc::downgrade(tracer),
            options,
            seized,
            resume: Resume::Cont,
            stop: None,
            report: None,
            resumed: None,
            siginfo: None,
            event_msg: 0,
            regs: UserRegs::default(),
            xstate: None,
            xstate_dirty: false,
            debugreg: [0; 8],
            debugreg_dirty: false,
            group_stop_reported: false,
            trap_pending: false,
            listening: false,
            in_syscall: false,
            exit_report: None,
            detached: false,
        })
    }
}

/// Returns whether `t` is traced.
pub fn is_traced(t: &Task) -> bool {
    t.ptrace.borrow().is_some()
}

/// Returns whether `t` runs one instruction at a time (PTRACE_SINGLESTEP):
/// its guest CPU runs with the trap flag, and the host's SIGTRAP after the
/// instruction becomes the tracee's.
pub fn single_stepping(t: &Task) -> bool {
    t.ptrace
        .borrow()
        .as_ref()
        .is_some_and(|l| l.resume == Resume::SingleStep)
}

/// Returns the tracer of `t`, if it is traced by a live task.
pub fn tracer_of(t: &Task) -> Option<Arc<Task>> {
    t.ptrace.borrow().as_ref().and_then(|l| l.tracer.upgrade())
}

/// Makes `tracer` trace `tracee`.
fn link(tracee: &Arc<Task>, tracer: &Arc<Task>, options: u64, seized: bool) {
    *tracee.ptrace.borrow_mut() = Some(PtraceLink::new(tracer, options, seized));
    tracer.process.ptraced.borrow_mut().push(tracee.clone());
}

/// Ends the tracing of `tracee`: it leaves any ptrace-stop and runs on,
/// with `sig` delivered if it was stopped for a signal.
fn unlink(tracee: &Arc<Task>, sig: i32) {
    let tracer = {
        let mut slot = tracee.ptrace.borrow_mut();
        let Some(l) = slot.as_mut() else {
            return;
        };
        let tracer = l.tracer.upgrade();
        if l.stop.is_some() {
            l.detached = true;
            l.resumed = Some(if l.stop == Some(StopKind::Signal) {
                sig
            } else {
                0
            });
        } else {
            *slot = None;
        }
        tracer
    };
    if let Some(tracer) = tracer {
        tracer
            .process
            .ptraced
            .borrow_mut()
            .retain(|t| !Arc::ptr_eq(t, tracee));
    }
    tracee.waiter.wake_task();
}

/// The tracer side of a task's exit (Linux's `exit_ptrace`): its tracees
/// are let go, or killed with PTRACE_O_EXITKILL.
pub fn exit_tracer(task: &Arc<Task>) {
    let tracees: Vec<Arc<Task>> = task
        .process
        .ptraced
        .borrow()
        .iter()
        .filter(|t| {
            t.ptrace
                .borrow()
                .as_ref()
                .is_some_and(|l| l.tracer.as_ptr() == Arc::as_ptr(task))
        })
        .cloned()
        .collect();
    for t in tracees {
        let exitkill = t
            .ptrace
            .borrow()
            .as_ref()
            .is_some_and(|l| l.options & PTRACE_O_EXITKILL != 0);
        if exitkill {
            signal::group_exit(
                &t.process,
                crate::task::ExitStatus::Signaled(signal::SIGKILL),
            );
        }
        let exited = t
            .ptrace
            .borrow()
            .as_ref()
            .is_some_and(|l| l.exit_report.is_some());
        if exited {
            task.process
                .ptraced
                .borrow_mut()
                .retain(|x| !Arc::ptr_eq(x, &t));
            *t.ptrace.borrow_mut() = None;
        } else {
            unlink(&t, 0);
        }
    }
}

/// The tracee side of a task's exit: its tracer's wait reports it.
pub fn exit_tracee(task: &Arc<Task>, status: ExitStatus) {
    let tracer = {
        let mut l = task.ptrace.borrow_mut();
        let Some(l) = l.as_mut() else { return };
        l.stop = None;
        l.exit_report = Some(status);
        l.tracer.upgrade()
    };
    match tracer {
        Some(tracer) => {
            let (code, st) = status.child_code();
            notify_tracer(&tracer.process, task, code, st)
        }
        None => *task.ptrace.borrow_mut() = None,
    }
}

/// Tells the tracer's process that a tracee changed state: SIGCHLD
/// (unless it asked for SA_NOCLDSTOP) and a wake-up of its waits.
fn notify_tracer(tracer: &Arc<Process>, tracee: &Task, code: i32, status: i32) {
    let nocldstop =
        tracer.sigactions.borrow()[signal::SIGCHLD as usize - 1].flags & signal::SA_NOCLDSTOP != 0;
    if code != signal::CLD_TRAPPED || !nocldstop {
        let uid = tracee.process.cred.borrow().uid;
        signal::send_to_process(tracer, SigInfo::child(code, tracee.tid(), uid, status));
    }
    tracer.child_wait.wake_all();
}

/// Whether ptrace work makes a sleeping call return to the task's loop
/// (a PTRACE_INTERRUPT): part of `signal_pending`.
pub fn interrupt_pending(t: &Task) -> bool {
    t.ptrace.borrow().as_ref().is_some_and(|l| l.trap_pending)
}

/// What a tracer's wait finds in a tracee.
#[derive(Clone, Copy, Debug)]
pub enum Report {
    /// A ptrace-stop's wait status.
    Stop(u32),
    /// The tracee exited.
    Exit(ExitStatus),
}

/// Returns what the tracer's wait finds in its tracee `t`, taking a
/// stop's report unless `keep`.
pub fn take_report(t: &Task, keep: bool) -> Option<Report> {
    let mut l = t.ptrace.borrow_mut();
    let l = l.as_mut()?;
    if let Some(st) = l.exit_report {
        return Some(Report::Exit(st));
    }
    let st = l.report?;
    if !keep {
        l.report = None;
    }
    Some(Report::Stop(st))
}

/// Forgets the exited tracee `t` once its tracer's wait reported it.
pub fn release_exited(tracer: &Process, t: &Arc<Task>) {
    tracer.ptraced.borrow_mut().retain(|x| !Arc::ptr_eq(x, t));
    *t.ptrace.borrow_mut() = None;
}
