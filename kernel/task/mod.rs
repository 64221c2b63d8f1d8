//! Tasks and processes. A `Task` is a schedulable thread of guest code with its
//! own host thread (its kernel stack) and stub process (its CPU); a `Process` is
//! the thread group it belongs to, owning the address space, open files, root and
//! working directory. Every kernel data structure here is reached under the
//! kernel lock; the inner mutexes only satisfy Rust and are never contended.

mod exit;
mod fork;
mod run;

pub use exit::{do_exit, wait4, ExitStatus};
pub use fork::do_fork;
pub use run::{start_task, Start};

use crate::lock::WaitQueue;
use fs::{FdTable, Path};
use mm::Mm;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, Weak};

/// A process or thread id.
pub type Pid = i32;

/// Locks a kernel-lock-protected mutex (never contended, never poisoned in a way
/// that matters: a panic ends the kernel).
pub fn locked<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// The root and working directory of a process (Linux's `fs_struct`).
#[derive(Clone)]
pub struct FsContext {
    pub root: Path,
    pub cwd: Path,
    pub umask: u32,
}

/// A signal disposition as `rt_sigaction` stores it.
#[derive(Clone, Copy, Default)]
pub struct SigAction {
    pub handler: u64,
    pub flags: u64,
    pub restorer: u64,
    pub mask: u64,
}

/// The number of resource limits (`RLIMIT_*`).
pub const RLIM_NLIMITS: usize = 16;
/// `RLIM_INFINITY`.
pub const RLIM_INFINITY: u64 = u64::MAX;
/// Linux's limits for init (include/asm-generic/resource.h, with the x86_64 page
/// size and Linux's defaults for the stack, open files and locked memory).
const DEFAULT_RLIMITS: [(u64, u64); RLIM_NLIMITS] = {
    let inf = (RLIM_INFINITY, RLIM_INFINITY);
    let mut l = [inf; RLIM_NLIMITS];
    l[3] = (8 << 20, RLIM_INFINITY); // RLIMIT_STACK
    l[4] = (0, RLIM_INFINITY); // RLIMIT_CORE
    l[6] = (63_704, 63_704); // RLIMIT_NPROC
    l[7] = (1024, 4096); // RLIMIT_NOFILE
    l[8] = (8 << 20, 8 << 20); // RLIMIT_MEMLOCK
    l[11] = (63_704, 63_704); // RLIMIT_SIGPENDING
    l[12] = (819_200, 819_200); // RLIMIT_MSGQUEUE
    l[13] = (0, 0); // RLIMIT_NICE
    l[14] = (0, 0); // RLIMIT_RTPRIO
    l
};

/// A thread group.
pub struct Process {
    pub pid: Pid,
    pub parent: Mutex<Weak<Process>>,
    pub children: Mutex<Vec<Arc<Process>>>,
    /// Set when the process has exited and is a zombie waiting for its parent.
    pub exit_status: Mutex<Option<ExitStatus>>,
    pub mm: Mutex<Arc<Mutex<Mm>>>,
    pub files: Mutex<Arc<Mutex<FdTable>>>,
    pub fs: Mutex<FsContext>,
    /// The executable, for /proc/self/exe.
    pub exe: Mutex<Option<Path>>,
    /// The command name (`comm`), at most 15 bytes.
    pub comm: Mutex<Vec<u8>>,
    pub sigactions: Mutex<[SigAction; 64]>,
    pub pgid: Mutex<Pid>,
    pub sid: Mutex<Pid>,
    /// Resource limits (soft, hard), indexed by `RLIMIT_*`.
    pub rlimits: Mutex<[(u64, u64); RLIM_NLIMITS]>,
    /// Woken when a child changes state (exits).
    pub child_wait: WaitQueue,
}

/// A thread of guest code.
pub struct Task {
    pub tid: Pid,
    pub process: Arc<Process>,
    /// `set_tid_address`/`CLONE_CHILD_CLEARTID`: zeroed at exit.
    pub clear_child_tid: Mutex<u64>,
    pub robust_list: Mutex<(u64, u64)>,
    pub sigmask: Mutex<u64>,
    /// Host pid of the stub running this task's guest code, for kicks.
    pub stub_pid: AtomicI32,
}

impl Task {
    /// Returns the address space this task runs in.
    pub fn mm(&self) -> Arc<Mutex<Mm>> {
        locked(&self.process.mm).clone()
    }

    /// Returns the open-file table.
    pub fn files(&self) -> Arc<Mutex<FdTable>> {
        locked(&self.process.files).clone()
    }

    /// Returns the root and working directory.
    pub fn fs(&self) -> FsContext {
        locked(&self.process.fs).clone()
    }

    /// Returns the host pid of this task's stub (0 before it has one).
    pub fn stub_pid(&self) -> i32 {
        self.stub_pid.load(Ordering::Relaxed)
    }
}

struct PidTable {
    next: Pid,
    processes: BTreeMap<Pid, Weak<Process>>,
}

static PIDS: Mutex<PidTable> = Mutex::new(PidTable {
    next: 1,
    processes: BTreeMap::new(),
});

/// The largest pid before allocation wraps (Linux's default `pid_max`).
const PID_MAX: Pid = 32768;

/// Allocates the lowest free pid at or after the last one handed out, as Linux does.
pub fn alloc_pid() -> Option<Pid> {
    let mut t = locked(&PIDS);
    for _ in 0..PID_MAX {
        let pid = t.next;
        t.next = if pid >= PID_MAX { 300 } else { pid + 1 };
        let free = t.processes.get(&pid).is_none_or(|w| w.strong_count() == 0);
        if free {
            t.processes.remove(&pid);
            return Some(pid);
        }
    }
    None
}

/// Records a new process under its pid.
pub fn register(p: &Arc<Process>) {
    locked(&PIDS).processes.insert(p.pid, Arc::downgrade(p));
}

/// Forgets a reaped process.
pub fn unregister(pid: Pid) {
    locked(&PIDS).processes.remove(&pid);
}

/// Returns the process with `pid`, if it exists.
pub fn find_process(pid: Pid) -> Option<Arc<Process>> {
    locked(&PIDS).processes.get(&pid).and_then(Weak::upgrade)
}

impl Process {
    /// Creates a process with the given resources; its parent is set by the caller.
    pub fn new(pid: Pid, mm: Mm, files: FdTable, fs: FsContext) -> Arc<Process> {
        Arc::new(Process {
            pid,
            parent: Mutex::new(Weak::new()),
            children: Mutex::new(Vec::new()),
            exit_status: Mutex::new(None),
            mm: Mutex::new(Arc::new(Mutex::new(mm))),
            files: Mutex::new(Arc::new(Mutex::new(files))),
            fs: Mutex::new(fs),
            exe: Mutex::new(None),
            comm: Mutex::new(Vec::new()),
            sigactions: Mutex::new([SigAction::default(); 64]),
            pgid: Mutex::new(pid),
            sid: Mutex::new(pid),
            rlimits: Mutex::new(DEFAULT_RLIMITS),
            child_wait: WaitQueue::new(),
        })
    }

    /// Returns the parent's pid, 0 for init.
    pub fn ppid(&self) -> Pid {
        locked(&self.parent).upgrade().map_or(0, |p| p.pid)
    }
}
