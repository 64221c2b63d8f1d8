//! Exit: a thread leaves its group (robust futexes released, `clear_child_tid`
//! zeroed and woken, a vfork parent let go); the last one out turns the process
//! into a zombie — its memory and files released, its children handed to a
//! subreaper or init, its parent signalled — and init's exit ends the kernel.

use super::{unregister, unregister_task, Process, Task};
use crate::signal::{
    self, SigInfo, CLD_DUMPED, CLD_EXITED, CLD_KILLED, SA_NOCLDWAIT, SIGCHLD, SIG_IGN,
};
use crate::syscall::UserPtr;
use std::sync::Arc;

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// `exit(code)`.
    Exited(u8),
    /// Killed by a signal.
    Signaled(i32),
    /// Killed by a signal after writing a core (WCOREDUMP).
    CoreDumped(i32),
}

impl ExitStatus {
    /// Returns the status word `wait4` stores (see wait(2): WEXITSTATUS, WTERMSIG).
    pub fn wait_status(self) -> u32 {
        match self {
            ExitStatus::Exited(code) => (code as u32) << 8,
            ExitStatus::Signaled(sig) => sig as u32 & 0x7f,
            ExitStatus::CoreDumped(sig) => sig as u32 & 0x7f | 0x80,
        }
    }

    /// Returns the exit status a shell would report: the code, or 128 + signal.
    pub fn shell_status(self) -> i32 {
        match self {
            ExitStatus::Exited(code) => code as i32,
            ExitStatus::Signaled(sig) | ExitStatus::CoreDumped(sig) => 128 + sig,
        }
    }

    /// Returns (si_code, si_status) of the SIGCHLD this exit sends.
    pub fn child_code(self) -> (i32, i32) {
        match self {
            ExitStatus::Exited(code) => (CLD_EXITED, code as i32),
            ExitStatus::Signaled(sig) => (CLD_KILLED, sig),
            ExitStatus::CoreDumped(sig) => (CLD_DUMPED, sig),
        }
    }
}

/// Lets a vfork parent waiting on `task` go (the child exec'd or exits).
pub fn release_vfork_parent(task: &Task) {
    if let Some(parent) = task.vfork_done.take() {
        parent
            .vfork_released
            .store(true, std::sync::atomic::Ordering::Release);
        parent.waiter.wake_task();
    }
}

/// Releases what a thread holds in its address space as it leaves it (Linux's
/// mm_release): robust futexes, the `clear_child_tid` word, a vfork parent.
pub fn mm_release(task: &Task) {
    crate::futex::exit_robust_list(task);
    let ctid = task.clear_child_tid.take();
    if ctid != 0 && UserPtr::<u32>::new(ctid).write(task, &0).is_ok() {
        let _ = crate::futex::wake(task, ctid, false, 1, crate::futex::FUTEX_BITSET_MATCH_ANY);
    }
    release_vfork_parent(task);
}

/// Ends `task` with `status` and releases the kernel lock: the calling host
/// thread then ends. The last thread of its group ends the process. The task
/// is taken by value: if this is its last reference, the task, and maybe its
/// process, must be freed while the lock is still held.
pub fn do_exit(owned: Arc<Task>, status: ExitStatus) {
    let task = &owned;
    let p = &task.process;
    mm_release(task);
    crate::ptrace::exit_tracer(task);
    let group = p.signal.borrow().group_exit;
    crate::ptrace::exit_tracee(task, group.unwrap_or(status));
    p.ioac.borrow_mut().add(&task.ioac.borrow());
    let (v, nv) = task.waiter.switches();
    let mut sw = p.switches.borrow_mut();
    *sw = (sw.0 + v, sw.1 + nv);
    drop(sw);
    p.min_flt.borrow_mut().0 += *task.min_flt.borrow();
    let last = {
        let mut threads = p.threads.borrow_mut();
        threads.retain(|t| !Arc::ptr_eq(t, task));
        // A thread waiting in execve for its siblings to go looks again.
        for t in threads.iter() {
            t.waiter.wake_task();
        }
        threads.is_empty()
    };
    unregister_task(task.tid());
    if last {
        crate::ipc::exit_ipc(task);
        let status = p.signal.borrow().group_exit.unwrap_or(status);
        exit_process(p, status);
    }
    drop(owned);
    crate::lock::leave();
}

/// Returns who adopts the orphans of `p`: the nearest living subreaper among its
/// ancestors in its PID namespace, else the namespace's init (the init
/// itself, for its own).
fn find_reaper(p: &Arc<Process>) -> Option<Arc<Process>> {
    let ns = p.ns();
    let mut at = p.parent.borrow().upgrade();
    while let Some(a) = at {
        if !Arc::ptr_eq(&a.ns(), &ns) {
            break;
        }
        if a.subreaper.load(std::sync::atomic::Ordering::Relaxed)
            && a.exit_status.borrow().is_none()
        {
            return Some(a);
        }
        at = a.parent.borrow().upgrade();
    }
    // A namespace's dying init keeps its children, reaping them as they
    // die, as Linux's zap_pid_ns_processes does.
    match ns.reaper() {
        Some(r) => Some(r),
        None => ns.parent.as_ref().and_then(|n| n.reaper()),
    }
}

/// Turns `p`, whose last thread has gone, into a zombie and tells its parent.
fn exit_process(p: &Arc<Process>, status: ExitStatus) {
    let k = crate::boot::kernel();
    // Release the address space and files now; the zombie keeps only its status.
    p.note_maxrss();
    *p.mm.borrow_mut() = Arc::new(arch::sync::KernelCell::new(mm::Mm::new(
        k.frames.clone(),
        arch::backend::TASK_SIZE,
    )));
    crate::oom::mm_released();
    *p.files.borrow_mut() = Arc::new(arch::sync::KernelCell::new(fs::FdTable::new()));
    // Its POSIX timers go too, with their places in RLIMIT_SIGPENDING
    // (Linux's exit_itimers).
    drop(p.posix_timers.take());
    if p.pid == 1 {
        crate::boot::shutdown(status);
    }
    crate::cgroup::exit(p);
    if *p.sid.borrow() == p.pid {
        crate::tty::disassociate_ctty(p, true);
    }
    *p.ctty.borrow_mut() = None;
    // The death of a PID namespace's init kills the rest of it.
    let ns = p.ns();
    let ns_init = ns.level > 0 && ns.reaper().is_some_and(|r| Arc::ptr_eq(&r, p));
    if ns_init {
        crate::pid_ns::kill_all(&ns, p);
    }
    let orphans = p.children.take();
    if let Some(reaper) = find_reaper(p) {
        for c in &orphans {
            *c.parent.borrow_mut() = Arc::downgrade(&reaper);
            let sig = c.pdeath_signal.load(std::sync::atomic::Ordering::Relaxed);
            if sig != 0 {
                signal::send_to_process(c, SigInfo::new(sig, signal::SI_USER));
            }
        }
        reaper.children.borrow_mut().extend(orphans.iter().cloned());
        // The zombies of a namespace whose init died go at once.
        for c in &orphans {
            if c.exit_status.borrow().is_some() && crate::pid_ns::dying_id(c.pid) {
                let times = *c.times.borrow();
                super::do_wait::reap(&reaper, c, times);
            }
        }
        reaper.child_wait.wake_all();
    }
    // Its parent hears of a namespace's init once the rest is gone.
    if ns_init && crate::pid_ns::defer_init_exit(&ns, p, status) {
        return;
    }
    notify_parent(p, status);
}

/// Makes the ended process `p` a zombie its parent may wait for, and
/// tells the parent (or reaps it at once where nobody will wait).
pub(super) fn notify_parent(p: &Arc<Process>, status: ExitStatus) {
    *p.exit_status.borrow_mut() = Some(status);
    p.exit_wait.wake_all();
    let parent = p.parent.borrow().upgrade();
    let Some(parent) = parent else {
        unregister(p.pid);
        return;
    };
    let exit_signal = *p.exit_signal.borrow();
    let act = parent.sigactions.borrow()[SIGCHLD as usize - 1];
    // A parent that ignores SIGCHLD or set SA_NOCLDWAIT leaves no zombies;
    // nor does a process of a namespace whose init died, to a parent there.
    let dying = crate::pid_ns::dying_id(p.pid) && crate::pid_ns::dying_id(parent.pid);
    let autoreap = dying
        || exit_signal == SIGCHLD && (act.handler == SIG_IGN || act.flags & SA_NOCLDWAIT != 0);
    if exit_signal != 0 && !dying {
        let (code, st) = status.child_code();
        let uid = p.cred.borrow().uid;
        let info = SigInfo {
            si_signo: exit_signal,
            ..SigInfo::child(code, p.pid, uid, st)
        };
        signal::send_to_process(&parent, info);
    }
    if autoreap {
        let times = *p.times.borrow();
        super::do_wait::reap(&parent, p, times);
    }
    parent.child_wait.wake_all();
}
