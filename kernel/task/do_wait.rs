//! Waiting for children (wait4(2), waitid(2)): reaping zombies, and reporting
//! job-control stops (WUNTRACED) and continues (WCONTINUED) exactly once each.

use super::{unregister, ExitStatus, Pid, Process, Task};
use crate::signal::SIGCHLD;
use crate::sleep::{wait_event, Interruptible};
use arch::{Errno, Result};
use std::sync::Arc;

/// Which children a wait looks at, and for which changes.
#[derive(Clone, Copy, Debug)]
pub struct WaitOptions {
    /// -1 any child, > 0 that one, 0 the caller's process group, < -1 group -pid.
    pub pid: Pid,
    pub exited: bool,
    pub stopped: bool,
    pub continued: bool,
    pub nohang: bool,
    /// Leave the child waitable (waitid's WNOWAIT).
    pub nowait: bool,
    /// `__WALL`, `__WCLONE`: which exit signals count.
    pub all: bool,
    pub clone: bool,
}

/// What a wait reports: which child, its real user id (waitid's `si_uid`),
/// its change of state, and the most pages it or its reaped children had
/// resident at once (the rusage's `ru_maxrss`).
#[derive(Clone, Copy, Debug)]
pub struct WaitResult {
    pub pid: Pid,
    pub uid: u32,
    pub change: ChildChange,
    pub maxrss: u64,
}

/// A child's change of state.
#[derive(Clone, Copy, Debug)]
pub enum ChildChange {
    /// The child ended; its CPU times (user, system) in nanoseconds.
    Exited(ExitStatus, (u64, u64)),
    /// It stopped with this signal.
    Stopped(i32),
    Continued,
    /// A tracee is in a ptrace-stop with this wait status.
    Trapped(u32),
}

impl WaitResult {
    /// Returns the status word of wait4 (wait(2)'s WIFEXITED etc. decode it).
    pub fn status(&self) -> u32 {
        match self.change {
            ChildChange::Exited(s, _) => s.wait_status(),
            ChildChange::Stopped(sig) => ((sig as u32) << 8) | 0x7f,
            ChildChange::Continued => 0xffff,
            ChildChange::Trapped(st) => st,
        }
    }

    /// Returns the CPU times (user, system) of an ended child; zeroes else.
    pub fn times(&self) -> (u64, u64) {
        match self.change {
            ChildChange::Exited(_, t) => t,
            _ => (0, 0),
        }
    }
}

fn selected(me: &Process, c: &Process, o: &WaitOptions) -> bool {
    let by_pid = match o.pid {
        -1 => true,
        0 => *c.pgid.borrow() == *me.pgid.borrow(),
        p if p > 0 => c.pid == p,
        p => *c.pgid.borrow() == -p,
    };
    let sig = *c.exit_signal.borrow();
    by_pid && (o.all || (sig == SIGCHLD) != o.clone)
}

/// Returns whether the wait `o` looks at the tracee `t` (a tracee is
/// waited for whatever its exit signal).
fn tracee_selected(me: &Process, t: &Task, o: &WaitOptions) -> bool {
    match o.pid {
        -1 => true,
        0 => *t.process.pgid.borrow() == *me.pgid.borrow(),
        p if p > 0 => t.tid() == p,
        p => *t.process.pgid.borrow() == -p,
    }
}

/// Looks for a tracee's stop or exit to report.
fn scan_tracees(me: &Arc<Process>, tracees: &[Arc<Task>], o: &WaitOptions) -> Option<WaitResult> {
    for t in tracees {
        let uid = t.process.cred.borrow().uid;
        // Its number in the waiter's namespace, read before a reap frees it.
        let vpid = me.vnr(t.tid());
        let Some(report) = crate::ptrace::take_report(t, o.nowait) else {
            continue;
        };
        let change = match report {
            crate::ptrace::Report::Stop(st) => ChildChange::Trapped(st),
            crate::ptrace::Report::Exit(_) if !o.exited => continue,
            crate::ptrace::Report::Exit(status) => {
                let mut times = (0, 0);
                if !o.nowait {
                    crate::ptrace::release_exited(me, t);
                    // The leader of a child of the tracer's: its exit is
                    // reported once, here.
                    let p = &t.process;
                    let own_child = p.pid == t.tid()
                        && p.exit_status.borrow().is_some()
                        && me.children.borrow().iter().any(|c| Arc::ptr_eq(c, p));
                    if own_child {
                        times = *p.times.borrow();
                        reap(me, p, times);
                    }
                }
                ChildChange::Exited(status, times)
            }
        };
        return Some(WaitResult {
            pid: vpid,
            uid,
            change,
            maxrss: 0,
        });
    }
    None
}

/// Looks for a reportable change; None if some child may still change.
fn scan(me: &Arc<Process>, o: &WaitOptions) -> Option<Result<WaitResult>> {
    let tracees: Vec<_> = me
        .ptraced
        .borrow()
        .iter()
        .filter(|t| tracee_selected(me, t, o))
        .cloned()
        .collect();
    if let Some(r) = scan_tracees(me, &tracees, o) {
        return Some(Ok(r));
    }
    let children: Vec<_> = me
        .children
        .borrow()
        .iter()
        .filter(|c| selected(me, c, o))
        .cloned()
        .collect();
    if children.is_empty() && tracees.is_empty() {
        return Some(Err(Errno::ECHILD));
    }
    for c in &children {
        let vpid = me.vnr(c.pid);
        let found = |change| {
            let (own, children) = c.maxrss();
            Some(Ok(WaitResult {
                pid: vpid,
                uid: c.cred.borrow().uid,
                change,
                maxrss: own.max(children),
            }))
        };
        if o.exited {
            if let Some(status) = *c.exit_status.borrow() {
                let times = *c.times.borrow();
                if !o.nowait {
                    reap(me, c, times);
                }
                return found(ChildChange::Exited(status, times));
            }
        }
        let mut cs = c.signal.borrow_mut();
        if o.stopped {
            if let Some(sig) = cs.stop_report {
                if !o.nowait {
                    cs.stop_report = None;
                }
                return found(ChildChange::Stopped(sig));
            }
        }
        if o.continued && cs.continue_report {
            if !o.nowait {
                cs.continue_report = false;
            }
            return found(ChildChange::Continued);
        }
    }
    None
}

/// Removes the zombie `c` for good, adding its CPU times and I/O counts to
/// its parent's and its resident high-water mark to its parent's children's.
pub(super) fn reap(me: &Process, c: &Arc<Process>, times: (u64, u64)) {
    me.children.borrow_mut().retain(|x| !Arc::ptr_eq(x, c));
    let child_children = *c.children_times.borrow();
    {
        let mut t = me.children_times.borrow_mut();
        t.0 += times.0 + child_children.0;
        t.1 += times.1 + child_children.1;
    }
    me.ioac.borrow_mut().add(&c.ioac.borrow());
    {
        let (own, of_children) = (*c.switches.borrow(), *c.children_switches.borrow());
        let mut sw = me.children_switches.borrow_mut();
        *sw = (sw.0 + own.0 + of_children.0, sw.1 + own.1 + of_children.1);
    }
    {
        let (own, of_children) = *c.min_flt.borrow();
        me.min_flt.borrow_mut().1 += own + of_children;
    }
    let (own, of_children) = *c.maxrss.borrow();
    {
        let mut m = me.maxrss.borrow_mut();
        m.1 = m.1.max(own).max(of_children);
    }
    unregister(c.pid);
}

/// Waits for a child of the caller's process to change state as `o` asks.
/// Returns None for WNOHANG when no child is ready.
/// Pids and process groups are numbers of the caller's PID namespace, in
/// the options and in the result.
pub fn do_wait(task: &Arc<Task>, mut o: WaitOptions) -> Result<Option<WaitResult>> {
    let me = task.process.clone();
    if o.pid > 0 || o.pid < -1 {
        // A number nobody has here: no child matches it.
        let g = me.global(o.pid.abs()).ok_or(Errno::ECHILD)?;
        o.pid = if o.pid > 0 { g } else { -g };
    }
    if let Some(r) = scan(&me, &o) {
        return r.map(Some);
    }
    if o.nohang {
        return Ok(None);
    }
    let q = &me.child_wait;
    match wait_event(task, &[q], None, Interruptible::Signals, || scan(&me, &o))? {
        Some(r) => r.map(Some),
        None => Ok(None),
    }
}
