//! Signals (signal(7)): default actions, the per-thread and per-process
//! pending sets, and generation — deciding at send time whether a
//! signal is ignored, stops or continues the process, kills it at once, or waits
//! in a pending set for a thread that does not block it. Delivery, on the way back
//! to guest code, is in `deliver`; the x86_64 frame a handler runs on is in `frame`;
//! what each user may have queued (RLIMIT_SIGPENDING) is in `sigqueue`. The
//! numbers, flags and `siginfo_t` are Linux's ABI, defined once in
//! `arch::abi` and re-exported here.

mod deliver;
mod frame;
mod pending;
mod perm;
mod sigqueue;

pub use arch::abi::signal::*;
pub use arch::abi::structs::{SigFault, SigInfo};
pub use deliver::{do_signal, restart_syscall, take_from};
pub use frame::{init_xstate, rt_sigreturn, AltStack};
pub use pending::SigPending;
pub use perm::check_kill_permission;
pub use sigqueue::{sigqueue_alloc, SigqueueCharge};

use crate::task::{ExitStatus, Pid, Process, Task};
use arch::{Errno, Result};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Signals that can be neither caught, blocked nor ignored.
pub const UNBLOCKABLE: u64 = sigbit(SIGKILL) | sigbit(SIGSTOP);
/// The job-control stop signals.
const STOP_SIGNALS: u64 = sigbit(SIGSTOP) | sigbit(SIGTSTP) | sigbit(SIGTTIN) | sigbit(SIGTTOU);
/// Signals a fault raises; they are dequeued first (Linux's SYNCHRONOUS_MASK).
pub const SYNCHRONOUS: u64 = sigbit(SIGSEGV)
    | sigbit(SIGBUS)
    | sigbit(SIGILL)
    | sigbit(SIGTRAP)
    | sigbit(SIGFPE)
    | sigbit(SIGSYS);

/// What a signal does when its handler is `SIG_DFL` (signal(7), "Standard signals").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    Terminate,
    /// Terminate with a core dump (see `crate::coredump`).
    Core,
    Ignore,
    Stop,
    Continue,
}

/// Returns the default action of `sig`.
pub fn default_action(sig: i32) -> DefaultAction {
    use DefaultAction::*;
    match sig {
        SIGQUIT | SIGILL | SIGTRAP | SIGABRT | SIGBUS | SIGFPE | SIGSEGV | SIGXCPU | SIGXFSZ
        | SIGSYS => Core,
        SIGCHLD | SIGURG | SIGWINCH => Ignore,
        SIGSTOP | SIGTSTP | SIGTTIN | SIGTTOU => Stop,
        SIGCONT => Continue,
        _ => Terminate,
    }
}

/// The signal state a process's threads share.
#[derive(Default)]
pub struct ProcessSignals {
    /// Signals sent to the process as a whole.
    pub pending: SigPending,
    /// Set once the whole thread group is dying (exit_group, a fatal signal).
    pub group_exit: Option<ExitStatus>,
    /// The stop signal while the group is stopped by job control.
    pub stopped: Option<i32>,
    /// A stop not yet reported to the parent through wait (WUNTRACED).
    pub stop_report: Option<i32>,
    /// A continue not yet reported to the parent through wait (WCONTINUED).
    pub continue_report: bool,
    /// The thread that is exec'ing: every other thread must leave.
    pub exec_task: Option<Pid>,
    /// Set while the process's control group is frozen (cgroup.freeze).
    pub frozen: bool,
    /// The core dump in progress, which the dying threads report to.
    pub core_state: Option<Arc<crate::coredump::CoreState>>,
}

/// The signal state of one thread.
#[derive(Default)]
pub struct TaskSignals {
    /// The blocked set.
    pub mask: u64,
    /// Signals sent to this thread.
    pub pending: SigPending,
    pub altstack: AltStack,
    /// The mask to restore once sigsuspend or ppoll's temporary one has done its
    /// work (Linux's `saved_sigmask`).
    pub saved_mask: Option<u64>,
    /// While in sigtimedwait: the mask before the waited-for signals were
    /// unblocked (Linux's `real_blocked`). A signal it blocks is being waited
    /// for, so its arrival never kills the process on the spot.
    pub real_blocked: Option<u64>,
}

/// Returns whether `sig` is a valid signal number.
pub fn valid(sig: i32) -> bool {
    (1..=NSIG).contains(&sig)
}

/// Returns whether the process would discard `sig` on arrival (Linux's
/// sig_ignored): never while the thread that would take it blocks it or waits
/// for it in sigtimedwait (`blocked`), since the handler may change by the
/// time it is unblocked; else when ignored by its handler or by default, or
/// when init has no handler for it and the kernel does not force it.
fn ignored(p: &Process, sig: i32, blocked: bool, forced: bool) -> bool {
    if blocked {
        return false;
    }
    let a = p.sigactions.borrow()[sig as usize - 1];
    if a.handler == SIG_DFL && !forced && p.unkillable.load(Ordering::Relaxed) {
        return true;
    }
    match a.handler {
        SIG_IGN => true,
        SIG_DFL => default_action(sig) == DefaultAction::Ignore,
        _ => false,
    }
}

/// Returns whether a signal is pending for `t` that it does not block, or the
/// thread group is dying or stopping: what makes a sleeping call return
/// `ERESTARTSYS` (Linux's `signal_pending`).
pub fn signal_pending(t: &Task) -> bool {
    let mask = t.signal.borrow().mask;
    if t.signal.borrow().pending.first(!mask).is_some() {
        return true;
    }
    let ps = t.process.signal.borrow();
    ps.group_exit.is_some()
        || ps.stopped.is_some()
        || ps.frozen
        || crate::freezer::frozen()
        || ps.exec_task.is_some_and(|e| e != t.tid())
        || ps.pending.first(!mask).is_some()
        || crate::ptrace::interrupt_pending(t)
}

/// Returns whether the thread is dying (its group exits, or another thread
/// execs): what makes even an uninterruptible wait give up (Linux's
/// `fatal_signal_pending`).
pub fn fatal_signal_pending(t: &Task) -> bool {
    let ps = t.process.signal.borrow();
    ps.group_exit.is_some() || ps.exec_task.is_some_and(|e| e != t.tid())
}

/// Wakes `t` to look at its signals: it is kicked if it runs guest code, woken
/// if it sleeps.
pub fn signal_wake_up(t: &Task) {
    t.kick();
    t.waiter.wake_task();
}

/// Starts the death of the whole thread group with `status` (exit_group, a fatal
/// signal): every thread leaves at its next return towards guest code.
pub fn group_exit(p: &Process, status: ExitStatus) {
    {
        let mut ps = p.signal.borrow_mut();
        if ps.group_exit.is_some() {
            return;
        }
        ps.group_exit = Some(status);
        ps.stopped = None;
    }
    for t in p.threads.borrow().iter() {
        signal_wake_up(t);
    }
}

/// Handles what stop and continue signals do at send time (Linux's
/// `prepare_signal`): a stop signal cancels pending SIGCONTs; SIGCONT cancels
/// pending stops and resumes a stopped group, telling the parent.
fn prepare_signal(p: &Arc<Process>, sig: i32) {
    if sig == SIGCONT {
        let resumed = {
            let mut ps = p.signal.borrow_mut();
            ps.pending.remove_set(STOP_SIGNALS);
            for t in p.threads.borrow().iter() {
                t.signal.borrow_mut().pending.remove_set(STOP_SIGNALS);
            }
            let was = ps.stopped.take().is_some();
            if was {
                ps.stop_report = None;
                ps.continue_report = true;
            }
            was
        };
        if resumed {
            for t in p.threads.borrow().iter() {
                t.waiter.wake_task();
            }
            notify_parent_stop(p, CLD_CONTINUED, SIGCONT);
        }
    } else if sigbit(sig) & STOP_SIGNALS != 0 {
        p.signal.borrow_mut().pending.remove_set(sigbit(SIGCONT));
        for t in p.threads.borrow().iter() {
            t.signal.borrow_mut().pending.remove_set(sigbit(SIGCONT));
        }
    }
}

/// Where a signal's siginfo comes from (Linux's `__sigqueue_alloc` callers).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Origin {
    /// A send: the siginfo is charged to the receiver's user.
    Send,
    /// A fault's signal the kernel forces on a thread.
    Forced,
    /// A POSIX timer's expiry: the timer holds the charge already.
    Timer,
}

/// Sends `info` to the process `p` as a whole (kill(2)). Returns false if
/// the process is gone or the signal could not be queued.
pub fn send_to_process(p: &Arc<Process>, info: SigInfo) -> bool {
    send(p, None, info, Origin::Send).is_ok()
}

/// Sends `info` to the thread `t` (tgkill(2), timers with a thread id).
pub fn send_to_task(t: &Arc<Task>, info: SigInfo) -> bool {
    send(&t.process, Some(t), info, Origin::Send).is_ok()
}

/// Sends `info` to the process `p` as kill(2) and sigqueue(3) do (Linux's
/// `group_send_sig_info`): ESRCH if it is gone, EAGAIN if a real-time
/// signal not from kill(2) found its RLIMIT_SIGPENDING used up.
pub fn group_send_sig_info(p: &Arc<Process>, info: SigInfo) -> Result<()> {
    send(p, None, info, Origin::Send)
}

/// Sends `info` to the thread `t` as tgkill(2) and rt_tgsigqueueinfo(2)
/// do: the errors of `group_send_sig_info`.
pub fn send_sig_info(t: &Arc<Task>, info: SigInfo) -> Result<()> {
    send(&t.process, Some(t), info, Origin::Send)
}

/// Sends a POSIX timer's expiry `info` to `p`, or to its thread `t`; it
/// never fails for lack of room, the timer holding its siginfo's charge.
pub fn send_timer_signal(p: &Arc<Process>, t: Option<&Arc<Task>>, info: SigInfo) {
    let _ = send(p, t, info, Origin::Timer);
}

/// Shows the sender in `info` by its pid in the receiver's PID namespace
/// (0 where it is not visible there), for the kinds of siginfo the kernel
/// fills; returns whether SIGKILL and SIGSTOP must reach even the
/// namespace's init: they come from the kernel or an ancestor namespace
/// (Linux's `force` in send_signal_locked).
fn for_receiver(p: &Process, info: &mut SigInfo) -> bool {
    const SI_MESGQ: i32 = -3;
    let ns = p.pid_ns.borrow();
    if ns.level == 0 {
        return false;
    }
    let code = info.si_code;
    let kernel_filled = matches!(code, SI_USER | SI_TKILL | SI_MESGQ)
        || (info.si_signo == SIGCHLD && code > 0 && code != SI_KERNEL);
    if kernel_filled {
        let sender = info.sifields[0] as u32 as i32;
        let nr = ns.nr(sender);
        info.sifields[0] = (info.sifields[0] & !0xffff_ffff) | u64::from(nr as u32);
    }
    let from_user = code <= 0;
    !from_user || crate::task::current().is_some_and(|t| ns.nr(t.process.pid) == 0)
}

fn send(
    p: &Arc<Process>,
    target: Option<&Arc<Task>>,
    mut info: SigInfo,
    origin: Origin,
) -> Result<()> {
    let sig = info.si_signo;
    if !valid(sig) || p.exit_status.borrow().is_some() {
        return Err(Errno::ESRCH);
    }
    let forced_kill = for_receiver(p, &mut info) && sigbit(sig) & UNBLOCKABLE != 0;
    if p.signal.borrow().group_exit.is_some() {
        return Ok(());
    }
    prepare_signal(p, sig);
    let threads = p.threads.borrow().clone();
    // The thread to wake: the one named, else the first that does not block it.
    let chosen = match target {
        Some(t) => Some(t.clone()),
        None => threads
            .iter()
            .find(|t| t.signal.borrow().mask & sigbit(sig) == 0)
            .cloned(),
    };
    let (blocked, waited_for) = match &chosen {
        Some(t) => {
            let ts = t.signal.borrow();
            let real = ts.real_blocked.unwrap_or(ts.mask);
            (ts.mask & sigbit(sig) != 0, real & sigbit(sig) != 0)
        }
        None => (true, false),
    };
    // A tracer sees even the signals the process ignores (SIGKILL aside).
    let traced = p
        .threads
        .borrow()
        .iter()
        .any(|t| crate::ptrace::is_traced(t));
    if !(traced && sig != SIGKILL)
        && ignored(
            p,
            sig,
            blocked || waited_for,
            origin == Origin::Forced || forced_kill,
        )
    {
        return Ok(());
    }
    // A signal whose default action kills, unblocked and unhandled, kills the
    // whole group now rather than when some thread gets round to it; one
    // that dumps core waits for a thread to take it and write the core
    // (Linux's complete_signal).
    let handler = p.sigactions.borrow()[sig as usize - 1].handler;
    let kills = default_action(sig) == DefaultAction::Terminate;
    if sig == SIGKILL || (!blocked && !waited_for && handler == SIG_DFL && kills && !traced) {
        group_exit(p, ExitStatus::Signaled(sig));
        return Ok(());
    }
    let queue = |f: &mut dyn FnMut(&mut SigPending)| match target {
        Some(t) => f(&mut t.signal.borrow_mut().pending),
        None => f(&mut p.signal.borrow_mut().pending),
    };
    let mut pending_already = false;
    queue(&mut |q| pending_already = q.legacy_queue(sig));
    if pending_already {
        return Ok(());
    }
    // As Linux's __send_signal_locked: a standard signal from kill(2) or the
    // kernel is queued past the limit; a real-time one from anything but
    // kill(2) fails with EAGAIN; the others lose their siginfo.
    let (charge, queued) = match origin {
        Origin::Timer => (None, true),
        _ => {
            let override_rlimit = sig < SIGRTMIN && info.si_code >= 0;
            let charge = sigqueue_alloc(p, override_rlimit);
            let queued = charge.is_some();
            if !queued && sig >= SIGRTMIN && info.si_code != SI_USER {
                return Err(Errno::EAGAIN);
            }
            (charge, queued)
        }
    };
    let mut charge = charge;
    queue(&mut |q| {
        if queued {
            q.push(info, charge.take());
        } else {
            q.add_without_info(sig);
        }
    });
    crate::signalfd::notify();
    if let Some(t) = chosen.filter(|_| !blocked) {
        signal_wake_up(&t);
    }
    Ok(())
}

/// Sends a fault's signal to `t` so that it cannot be ignored or blocked away
/// (Linux's `force_sig_info`): a blocked or ignored signal goes back to SIG_DFL.
pub fn force_signal(t: &Arc<Task>, info: SigInfo) {
    let sig = info.si_signo;
    {
        let mut acts = t.process.sigactions.borrow_mut();
        let a = &mut acts[sig as usize - 1];
        let blocked = t.signal.borrow().mask & sigbit(sig) != 0;
        if a.handler == SIG_IGN || blocked {
            a.handler = SIG_DFL;
            t.signal.borrow_mut().mask &= !sigbit(sig);
        }
        // A fatal fault kills even init (Linux's force_sig_info_to_task).
        if a.handler == SIG_DFL {
            t.process.unkillable.store(false, Ordering::Relaxed);
        }
    }
    let _ = send(&t.process, Some(t), info, Origin::Forced);
}

/// Tells the parent of `p` that it stopped or continued: SIGCHLD unless the
/// parent asked for SA_NOCLDSTOP, and a wake-up of its waits.
fn notify_parent_stop(p: &Arc<Process>, code: i32, status: i32) {
    let Some(parent) = p.parent.borrow().upgrade() else {
        return;
    };
    let nocldstop = parent.sigactions.borrow()[SIGCHLD as usize - 1].flags & SA_NOCLDSTOP != 0;
    if !nocldstop {
        let uid = p.cred.borrow().uid;
        send_to_process(&parent, SigInfo::child(code, p.pid, uid, status));
    }
    parent.child_wait.wake_all();
}

/// Sends `info` to every process of process group `pgid`; returns how many got it.
pub fn send_to_group(pgid: Pid, info: SigInfo) -> usize {
    crate::task::all_processes()
        .into_iter()
        .filter(|p| *p.pgid.borrow() == pgid)
        .filter(|p| send_to_process(p, info))
        .count()
}
