//! Tasks and processes. A `Task` is a schedulable thread of guest code with its
//! own host thread (its kernel stack) and guest CPU (`arch::backend`); a `Process` is
//! the thread group it belongs to, owning the address space, open files, root and
//! working directory. Their state is in `KernelCell`s: reached only under the
//! kernel lock (see arch/src/sync/kernel_lock.rs); what other threads read
//! without it is atomic (`in_guest`) or set once and shareable (the guest CPU's
//! handle, for kicks).

mod access;
mod context;
mod cpu_limit;
mod current;
mod do_wait;
mod emulate;
mod exit;
pub mod fork;
pub mod io_accounting;
pub mod limits;
mod run;
pub mod tlb;
mod worker;

pub use access::{ptrace_may_access, AccessMode};
pub use context::TrapContext;
pub use cpu_limit::watch as watch_cpu_limit;
pub use current::{current, set_current};
pub use do_wait::{do_wait, ChildChange, WaitOptions, WaitResult};
pub use exit::{do_exit, mm_release, ExitStatus};
pub use fork::{do_fork, CloneArgs};
pub use io_accounting::IoAccounting;
pub use run::Start;
pub use worker::start_task;

use crate::signal::{ProcessSignals, TaskSignals};
use crate::sleep::TaskWaiter;
use arch::abi::resource::*;
use arch::backend::CpuHandle;
use arch::sync::KernelCell;
use fs::{FdTable, Path, WaitQueue};
use mm::Mm;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, Weak};

/// A process or thread id.
pub type Pid = i32;

/// The root and working directory of a process (Linux's `fs_struct`).
#[derive(Clone)]
pub struct FsContext {
    pub root: Path,
    pub cwd: Path,
    pub umask: u32,
    /// The mount namespace the paths are in.
    pub mnt_ns: Arc<crate::mnt_ns::MntNamespace>,
}

/// A signal disposition as `rt_sigaction` stores it.
#[derive(Clone, Copy, Default)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

/// Linux's limits for init (include/asm-generic/resource.h, with the x86_64 page
/// size and Linux's defaults for the stack, open files and locked memory).
const DEFAULT_RLIMITS: [(u64, u64); RLIM_NLIMITS] = {
    let inf = (RLIM_INFINITY, RLIM_INFINITY);
    let mut l = [inf; RLIM_NLIMITS];
    l[RLIMIT_STACK] = (8 << 20, RLIM_INFINITY);
    l[RLIMIT_CORE] = (0, RLIM_INFINITY);
    l[RLIMIT_NPROC] = (63_704, 63_704);
    l[RLIMIT_NOFILE] = (1024, 4096);
    l[RLIMIT_MEMLOCK] = (8 << 20, 8 << 20);
    l[RLIMIT_SIGPENDING] = (63_704, 63_704);
    l[RLIMIT_MSGQUEUE] = (819_200, 819_200);
    l[RLIMIT_NICE] = (0, 0);
    l[RLIMIT_RTPRIO] = (0, 0);
    l
};

/// A thread group.
pub struct Process {
    pub pid: Pid,
    pub parent: KernelCell<Weak<Process>>,
    pub children: KernelCell<Vec<Arc<Process>>>,
    /// The tasks this process's threads trace; its waits report them.
    pub ptraced: KernelCell<Vec<Arc<Task>>>,
    /// PR_SET_PTRACER: who may attach to this process besides its
    /// ancestors while Yama's ptrace_scope is 1.
    pub ptracer: KernelCell<Option<crate::ptrace::yama::Ptracer>>,
    /// The live threads, the leader first while it lives.
    pub threads: KernelCell<Vec<Arc<Task>>>,
    /// Set when the process has exited and is a zombie waiting for its parent.
    pub exit_status: KernelCell<Option<ExitStatus>>,
    /// The signal the parent gets when this process ends (clone's low byte).
    pub exit_signal: KernelCell<i32>,
    pub mm: KernelCell<Arc<KernelCell<Mm>>>,
    pub files: KernelCell<Arc<KernelCell<FdTable>>>,
    pub fs: KernelCell<FsContext>,
    /// The executable, for /proc/self/exe.
    pub exe: KernelCell<Option<Path>>,
    /// The command name (`comm`), at most 15 bytes.
    pub comm: KernelCell<Vec<u8>>,
    pub sigactions: KernelCell<[SigAction; 64]>,
    pub pgid: KernelCell<Pid>,
    pub sid: KernelCell<Pid>,
    /// Resource limits (soft, hard), indexed by `RLIMIT_*`.
    pub rlimits: KernelCell<[(u64, u64); RLIM_NLIMITS]>,
    /// Woken when a child changes state (exits, stops, continues).
    pub child_wait: WaitQueue,
    /// Woken when this process exits (pidfds poll on it).
    pub exit_wait: WaitQueue,
    /// Shared pending signals, group exit and job-control state.
    pub signal: KernelCell<ProcessSignals>,
    /// PR_SET_CHILD_SUBREAPER: orphaned descendants are reparented here.
    pub subreaper: AtomicBool,
    /// PR_SET_PDEATHSIG: the signal this process gets when its parent dies.
    pub pdeath_signal: AtomicI32,
    /// personality(2)'s execution domain and flags, inherited and kept over
    /// execve (but the flags a set-id exec clears).
    pub personality: std::sync::atomic::AtomicU32,
    /// PR_SET_DUMPABLE: false after a change of credentials or a set-id exec;
    /// others may then not look inside (see `access`).
    dumpable: AtomicBool,
    /// Linux's SIGNAL_UNKILLABLE, set for init: signals it has no handler for
    /// are discarded, unless the kernel forces a fatal one on it.
    pub unkillable: AtomicBool,
    /// Linux's PF_NPROC_EXCEEDED: a change of real uid left that user past
    /// its RLIMIT_NPROC, so the next execve fails with EAGAIN unless the
    /// count has dropped by then (`limits::may_exec`).
    pub nproc_exceeded: AtomicBool,
    /// Set by execve (Linux clears PF_FORKNOEXEC): the parent may no longer
    /// move the process to another group (setpgid's EACCES).
    pub execed: AtomicBool,
    /// setitimer's timers.
    pub itimers: KernelCell<crate::syscall::Itimers>,
    /// timer_create's timers, by id.
    pub posix_timers: KernelCell<BTreeMap<i32, crate::syscall::PosixTimer>>,
    /// The controlling terminal.
    pub ctty: KernelCell<Option<Arc<drivers::tty::Tty>>>,
    /// User and group ids.
    pub cred: KernelCell<crate::syscall::Cred>,
    /// CPU time (user, system) in nanoseconds of the threads that have exited.
    pub times: KernelCell<(u64, u64)>,
    /// CPU time (user, system) in nanoseconds of reaped children, for
    /// getrusage(RUSAGE_CHILDREN) and times(2).
    pub children_times: KernelCell<(u64, u64)>,
    /// The most pages resident at once in the address spaces the process
    /// has left (at execve and exit), and in those of its reaped children
    /// (Linux's `maxrss` and `cmaxrss`, for getrusage's ru_maxrss).
    pub maxrss: KernelCell<(u64, u64)>,
    /// I/O counts of the threads that have exited and of reaped children
    /// (Linux's `signal->ioac`).
    pub ioac: KernelCell<IoAccounting>,
    /// Context switches (voluntary, nonvoluntary) of the threads that have
    /// exited, and of reaped children (Linux's `nvcsw`/`nivcsw` and
    /// `cnvcsw`/`cnivcsw` of `signal_struct`).
    pub switches: KernelCell<(u64, u64)>,
    pub children_switches: KernelCell<(u64, u64)>,
    /// Page faults of the threads that have exited, and of reaped children
    /// (Linux's `min_flt` and `cmin_flt` of `signal_struct`).
    pub min_flt: KernelCell<(u64, u64)>,
    /// The generation of the RLIMIT_CPU watcher (`cpu_limit`).
    cpu_limit_watch: std::sync::atomic::AtomicU64,
    /// When the process was created (its start time in /proc/PID/stat).
    pub start_time: std::time::Instant,
    /// /proc/PID/oom_score_adj, -1000 (never chosen) to 1000 (chosen first).
    /// The control group (`cgroup::join` changes it).
    pub cgroup: KernelCell<Arc<crate::cgroup::Cgroup>>,
    pub oom_score_adj: AtomicI32,
    /// The lowest `oom_score_adj` an unprivileged write may set (Linux's
    /// `oom_score_adj_min`: what a privileged write set last).
    pub oom_score_adj_min: AtomicI32,
    /// The PID namespace the process is in (Linux's task_active_pid_ns),
    /// set at fork.
    pub pid_ns: KernelCell<Arc<crate::pid_ns::PidNamespace>>,
}

/// The continuation of a sleep interrupted with `ERESTART_RESTARTBLOCK`.
pub type RestartFn = Box<dyn FnOnce(&mut TrapContext) -> arch::Result<u64> + Send>;

/// A thread of guest code.
pub struct Task {
    tid: AtomicI32,
    pub process: Arc<Process>,
    /// `set_tid_address`/`CLONE_CHILD_CLEARTID`: zeroed at exit.
    pub clear_child_tid: KernelCell<u64>,
    pub robust_list: KernelCell<(u64, u64)>,
    pub signal: KernelCell<TaskSignals>,
    /// The guest CPU running this task's code, as other threads reach it (to
    /// kick it, read its CPU time, place it on host CPUs); set when the task's
    /// thread has created the CPU.
    cpu: OnceLock<Arc<dyn CpuHandle>>,
    /// Host thread id of the task's kernel thread, for its CPU time.
    pub host_tid: AtomicI32,
    /// The CPU time its host thread had used when the task started on it
    /// (threads serve one task after another: `worker`).
    pub host_cpu_base: AtomicU64,
    /// True from just before the task's guest code is resumed until its CPU
    /// stopped again: whoever needs the task out of guest code must kick it.
    pub in_guest: AtomicBool,
    /// The guest registers as of the task's last trap into the kernel, for
    /// the mconsole's `stack` (the live ones are its thread's own).
    pub trap_regs: KernelCell<arch::UserRegs>,
    pub waiter: Arc<TaskWaiter>,
    /// Host mappings this task's guest CPU must drop before guest code runs again.
    pub tlb: KernelCell<tlb::TlbFlush>,
    /// Set by a sleep interrupted with `ERESTART_RESTARTBLOCK`.
    pub restart: KernelCell<Option<RestartFn>>,
    /// A vfork parent waiting for this task to exec or exit.
    pub vfork_done: KernelCell<Option<Arc<Task>>>,
    /// Set when the vfork child released this task (its parent).
    pub vfork_released: AtomicBool,
    /// Nice value and CPU affinity, inherited over clone.
    pub sched: KernelCell<SchedAttr>,
    /// seccomp's mode and filters, inherited over clone, kept over execve.
    pub seccomp: KernelCell<crate::seccomp::Seccomp>,
    /// `PR_SET_NO_NEW_PRIVS`: execve grants no privilege (set-user-ID and
    /// set-group-ID bits are ignored); inherited, never cleared.
    pub no_new_privs: AtomicBool,
    /// The UTS namespace (host and domain names), inherited over clone.
    pub uts: KernelCell<Arc<crate::uts::UtsNamespace>>,
    /// The IPC namespace (System V IPC objects), inherited over clone.
    pub ipc: KernelCell<Arc<crate::ipc::IpcNamespace>>,
    /// The cgroup namespace (the group it sees as the root), inherited over
    /// clone.
    pub cgroup_ns: KernelCell<Arc<crate::cgroup::ns::CgroupNamespace>>,
    /// The network namespace (where the sockets it makes live), inherited
    /// over clone.
    pub net: KernelCell<Arc<crate::net::Net>>,
    /// The link to the tracer, while the task is traced (ptrace(2)).
    pub ptrace: KernelCell<Option<Box<crate::ptrace::PtraceLink>>>,
    /// The PID namespace the task's children start in (Linux's
    /// `pid_ns_for_children`): its process's, or one unshare(2) or
    /// setns(2) chose.
    pub pid_for_children: KernelCell<Arc<crate::pid_ns::PidNamespace>>,
    /// The task's own I/O counts (/proc/PID/task/TID/io).
    pub ioac: KernelCell<IoAccounting>,
    /// The page faults the task took (Linux's `min_flt`): each that changed
    /// its page table, not a refill of a stub's host mappings, which Linux
    /// has no counterpart of.
    pub min_flt: KernelCell<u64>,
}

/// A task's scheduling attributes (setpriority(2), sched_setaffinity(2)).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SchedAttr {
    /// -20 (most favourable) to 19.
    pub nice: i32,
    /// The guest CPUs the task may run on, one bit each.
    pub affinity: u64,
    /// ioprio_set(2)'s class and level (0: none set, the nice-derived
    /// best-effort level applies).
    pub ioprio: u16,
    /// The scheduling policy (`SCHED_OTHER`...) and real-time priority.
    pub policy: u32,
    pub rt_priority: u32,
    /// `SCHED_RESET_ON_FORK`.
    pub reset_on_fork: bool,
    /// PR_SET_TIMERSLACK's value, and what setting 0 restores (the
    /// parent's slack at fork).
    pub timer_slack_ns: u64,
    pub default_timer_slack_ns: u64,
}

impl Default for SchedAttr {
    fn default() -> Self {
        SchedAttr {
            nice: 0,
            affinity: u64::MAX,
            ioprio: 0,
            policy: 0,
            rt_priority: 0,
            reset_on_fork: false,
            timer_slack_ns: crate::syscall::sched_policy::TIMER_SLACK_NS,
            default_timer_slack_ns: crate::syscall::sched_policy::TIMER_SLACK_NS,
        }
    }
}

impl Task {
    /// Creates a task of `process` with thread id `tid` and signal mask `mask`.
    pub fn new(tid: Pid, process: Arc<Process>, mask: u64) -> Arc<Task> {
        let t = Arc::new(Task {
            tid: AtomicI32::new(tid),
            process,
            clear_child_tid: KernelCell::new(0),
            robust_list: KernelCell::new((0, 0)),
            signal: KernelCell::new(TaskSignals {
                mask,
                ..Default::default()
            }),
            cpu: OnceLock::new(),
            host_tid: AtomicI32::new(0),
            host_cpu_base: AtomicU64::new(0),
            in_guest: AtomicBool::new(false),
            trap_regs: KernelCell::default(),
            waiter: Arc::new(TaskWaiter::default()),
            tlb: KernelCell::default(),
            restart: KernelCell::new(None),
            vfork_done: KernelCell::new(None),
            vfork_released: AtomicBool::new(false),
            sched: KernelCell::default(),
            seccomp: KernelCell::default(),
            no_new_privs: AtomicBool::new(false),
            uts: KernelCell::new(crate::uts::INIT_UTS.clone()),
            ipc: KernelCell::new(crate::ipc::INIT_IPC.clone()),
            net: KernelCell::new(crate::net::init_net().clone()),
            cgroup_ns: KernelCell::new(crate::cgroup::ns::INIT_CGROUP_NS.clone()),
            ptrace: KernelCell::new(None),
            pid_for_children: KernelCell::new(crate::pid_ns::INIT_PID_NS.clone()),
            ioac: KernelCell::default(),
            min_flt: KernelCell::new(0),
        });
        PIDS.borrow_mut().tasks.insert(tid, Arc::downgrade(&t));
        t
    }

    /// Returns the thread id.
    pub fn tid(&self) -> Pid {
        self.tid.load(Ordering::Relaxed)
    }

    /// Gives the task the thread-group leader's id (execve from another
    /// thread). Runs on the task's own host thread, which it renames.
    pub fn take_leader_tid(self: &Arc<Self>) {
        let (old, new) = (self.tid(), self.process.pid);
        if old != new {
            let mut t = PIDS.borrow_mut();
            t.tasks.remove(&old);
            t.tasks.insert(new, Arc::downgrade(self));
            self.tid.store(new, Ordering::Relaxed);
            arch::host::thread::set_name(&run::thread_name(new));
        }
    }

    /// Interrupts the task's guest code if it is running, so that it looks at
    /// its pending work (signals, TLB flushes) before running on.
    pub fn kick(&self) {
        if self.in_guest.load(Ordering::Acquire) {
            if let Some(cpu) = self.cpu() {
                cpu.kick();
            }
        }
    }

    /// Returns the handle of the task's guest CPU (None before it has one).
    pub fn cpu(&self) -> Option<&Arc<dyn CpuHandle>> {
        self.cpu.get()
    }

    /// Records the handle of the guest CPU the task's thread has created.
    fn set_cpu(&self, cpu: Arc<dyn CpuHandle>) {
        if self.cpu.set(cpu).is_err() {
            log::warn!("task {}: a second guest CPU", self.tid());
        }
    }

    /// Returns the host CPU time the task's guest code has used, in
    /// nanoseconds (its "user" time).
    pub fn guest_cpu_ns(&self) -> u64 {
        self.cpu().map_or(0, |c| c.cpu_time_ns())
    }

    /// Returns the address space this task runs in.
    pub fn mm(&self) -> Arc<KernelCell<Mm>> {
        self.process.mm.borrow().clone()
    }

    /// Returns the open-file table.
    pub fn files(&self) -> Arc<KernelCell<FdTable>> {
        self.process.files.borrow().clone()
    }

    /// Returns the root and working directory.
    pub fn fs(&self) -> FsContext {
        self.process.fs.borrow().clone()
    }
}

struct PidTable {
    next: Pid,
    processes: BTreeMap<Pid, Weak<Process>>,
    tasks: BTreeMap<Pid, Weak<Task>>,
}

static PIDS: KernelCell<PidTable> = KernelCell::new(PidTable {
    next: 1,
    processes: BTreeMap::new(),
    tasks: BTreeMap::new(),
});

/// The largest pid before allocation wraps (kernel.pid_max: Linux's
/// default, which root may set from 301 to `PID_MAX_LIMIT`).
pub static PID_MAX: AtomicI32 = AtomicI32::new(32768);
pub const PID_MAX_LIMIT: Pid = 4 * 1024 * 1024;

/// Allocates the lowest free pid at or after the last one handed out, as Linux does.
pub fn alloc_pid() -> Option<Pid> {
    let mut t = PIDS.borrow_mut();
    let max = PID_MAX.load(Ordering::Relaxed);
    for _ in 0..max {
        let pid = t.next;
        t.next = if pid >= max { 300 } else { pid + 1 };
        let free = t.processes.get(&pid).is_none_or(|w| w.strong_count() == 0)
            && t.tasks.get(&pid).is_none_or(|w| w.strong_count() == 0);
        if free {
            t.processes.remove(&pid);
            t.tasks.remove(&pid);
            return Some(pid);
        }
    }
    None
}

/// Returns the pid handed out last (the fifth field of /proc/loadavg).
pub fn last_pid() -> Pid {
    match PIDS.borrow().next {
        300 => PID_MAX.load(Ordering::Relaxed),
        n => n - 1,
    }
}

/// Records a new process under its pid.
pub fn register(p: &Arc<Process>) {
    PIDS.borrow_mut().processes.insert(p.pid, Arc::downgrade(p));
}

/// Forgets a reaped process.
pub fn unregister(pid: Pid) {
    PIDS.borrow_mut().processes.remove(&pid);
    release_numbers(pid);
}

/// Frees the PID-namespace numbers of `id` once neither a process nor a
/// thread has it; an init whose namespace that empties is done dying.
fn release_numbers(id: Pid) {
    let in_use = {
        let t = PIDS.borrow();
        t.processes.get(&id).is_some_and(|w| w.strong_count() > 0)
            || t.tasks.get(&id).is_some_and(|w| w.strong_count() > 0)
    };
    if !in_use {
        if let Some((init, status)) = crate::pid_ns::release(id) {
            exit::notify_parent(&init, status);
        }
    }
}

/// Returns the process with `pid`, if it exists.
pub fn find_process(pid: Pid) -> Option<Arc<Process>> {
    PIDS.borrow().processes.get(&pid).and_then(Weak::upgrade)
}

/// Forgets an exited thread's id.
pub fn unregister_task(tid: Pid) {
    PIDS.borrow_mut().tasks.remove(&tid);
    release_numbers(tid);
}

/// Returns the live thread with `tid`, if any.
pub fn find_task(tid: Pid) -> Option<Arc<Task>> {
    PIDS.borrow().tasks.get(&tid).and_then(Weak::upgrade)
}

/// Returns every process, zombies included, in pid order.
pub fn all_processes() -> Vec<Arc<Process>> {
    PIDS.borrow()
        .processes
        .values()
        .filter_map(Weak::upgrade)
        .collect()
}

/// Returns every live thread, in tid order.
pub fn all_tasks() -> Vec<Arc<Task>> {
    PIDS.borrow()
        .tasks
        .values()
        .filter_map(Weak::upgrade)
        .collect()
}

impl Process {
    /// Returns the soft limit of resource `r` (`RLIMIT_*`).
    pub fn rlimit(&self, r: usize) -> u64 {
        self.rlimits.borrow()[r].0
    }

    /// Returns how many descriptors the process may have (its RLIMIT_NOFILE),
    /// the bound of every call that makes one.
    pub fn nofile(&self) -> usize {
        self.rlimit(RLIMIT_NOFILE).min(fs::NR_OPEN as u64) as usize
    }

    /// Creates a process the kernel starts itself (init, a usermode
    /// helper): with `files`, an empty address space, and init's root and
    /// working directory (`/`) in the initial mount namespace.
    pub fn new_kernel_started(pid: Pid, files: FdTable) -> Arc<Process> {
        let k = crate::boot::kernel();
        let root = k.vfs.root();
        let fs = FsContext {
            root: root.clone(),
            cwd: root,
            umask: 0o022,
            mnt_ns: crate::mnt_ns::INIT_MNT_NS.clone(),
        };
        let mm = Mm::new(k.frames.clone(), arch::backend::TASK_SIZE);
        let files = Arc::new(KernelCell::new(files));
        Process::new(pid, Arc::new(KernelCell::new(mm)), files, fs)
    }

    /// Creates a process with the given resources; its parent is set by the caller.
    pub fn new(
        pid: Pid,
        mm: Arc<KernelCell<Mm>>,
        files: Arc<KernelCell<FdTable>>,
        fs: FsContext,
    ) -> Arc<Process> {
        Arc::new(Process {
            pid,
            parent: KernelCell::new(Weak::new()),
            children: KernelCell::new(Vec::new()),
            ptraced: KernelCell::new(Vec::new()),
            ptracer: KernelCell::new(None),
            threads: KernelCell::new(Vec::new()),
            exit_status: KernelCell::new(None),
            exit_signal: KernelCell::new(crate::signal::SIGCHLD),
            mm: KernelCell::new(mm),
            files: KernelCell::new(files),
            fs: KernelCell::new(fs),
            exe: KernelCell::new(None),
            comm: KernelCell::new(Vec::new()),
            sigactions: KernelCell::new([SigAction::default(); 64]),
            pgid: KernelCell::new(pid),
            sid: KernelCell::new(pid),
            rlimits: KernelCell::new(DEFAULT_RLIMITS),
            child_wait: WaitQueue::new(),
            exit_wait: WaitQueue::new(),
            signal: KernelCell::default(),
            subreaper: AtomicBool::new(false),
            pdeath_signal: AtomicI32::new(0),
            personality: Default::default(),
            dumpable: AtomicBool::new(true),
            unkillable: AtomicBool::new(false),
            nproc_exceeded: AtomicBool::new(false),
            execed: AtomicBool::new(false),
            itimers: KernelCell::default(),
            posix_timers: KernelCell::default(),
            ctty: KernelCell::new(None),
            cred: KernelCell::default(),
            times: KernelCell::new((0, 0)),
            children_times: KernelCell::new((0, 0)),
            maxrss: KernelCell::new((0, 0)),
            ioac: KernelCell::default(),
            switches: KernelCell::default(),
            children_switches: KernelCell::default(),
            min_flt: KernelCell::default(),
            cpu_limit_watch: Default::default(),
            start_time: std::time::Instant::now(),
            cgroup: KernelCell::new(crate::cgroup::ROOT.clone()),
            oom_score_adj: AtomicI32::new(0),
            oom_score_adj_min: AtomicI32::new(0),
            pid_ns: KernelCell::new(crate::pid_ns::INIT_PID_NS.clone()),
        })
    }

    /// Notes the resident high-water mark of the address space the process
    /// is about to leave (execve, exit).
    pub fn note_maxrss(&self) {
        let mm = self.mm.borrow().clone();
        let hiwater = mm.borrow().hiwater_rss();
        let mut m = self.maxrss.borrow_mut();
        m.0 = m.0.max(hiwater);
    }

    /// Returns the resident high-water mark in pages of the process (its
    /// address space now and those it left) and of its reaped children.
    pub fn maxrss(&self) -> (u64, u64) {
        let mm = self.mm.borrow().clone();
        let hiwater = mm.borrow().hiwater_rss();
        let m = *self.maxrss.borrow();
        (m.0.max(hiwater), m.1)
    }

    /// Returns whether the process is dumpable (prctl(2) PR_GET_DUMPABLE).
    pub fn dumpable(&self) -> bool {
        self.dumpable.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Sets whether the process is dumpable.
    pub fn set_dumpable(&self, on: bool) {
        self.dumpable
            .store(on, std::sync::atomic::Ordering::Relaxed);
    }

    /// Returns the parent's pid, 0 for init.
    pub fn ppid(&self) -> Pid {
        self.parent.borrow().upgrade().map_or(0, |p| p.pid)
    }

    /// Returns the process's PID namespace.
    pub fn ns(&self) -> Arc<crate::pid_ns::PidNamespace> {
        self.pid_ns.borrow().clone()
    }

    /// Returns the pid as the process itself sees it (getpid(2)).
    pub fn vpid(&self) -> Pid {
        self.pid_ns.borrow().nr(self.pid)
    }

    /// Returns the global id `id` as this process sees it: 0 where that
    /// task is outside its PID namespace (Linux's pid_vnr).
    pub fn vnr(&self, id: Pid) -> Pid {
        self.pid_ns.borrow().nr(id)
    }

    /// Returns the parent's pid as this process sees it: 0 for a parent
    /// outside its namespace.
    pub fn vppid(&self) -> Pid {
        self.vnr(self.ppid())
    }

    /// Returns the process with local pid `nr` in this process's namespace.
    pub fn find_process(&self, nr: Pid) -> Option<Arc<Process>> {
        self.pid_ns.borrow().find_process(nr)
    }

    /// Returns the thread with local id `nr` in this process's namespace.
    pub fn find_task(&self, nr: Pid) -> Option<Arc<Task>> {
        self.pid_ns.borrow().find_task(nr)
    }

    /// Returns the global id of the local number `nr` of this process's
    /// namespace (a process group or session id), if it names one.
    pub fn global(&self, nr: Pid) -> Option<Pid> {
        self.pid_ns.borrow().global(nr)
    }
}
