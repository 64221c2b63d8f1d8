//! PID namespaces (Linux's kernel/pid_namespace.c and the numbering half of
//! kernel/pid.c, pid_namespaces(7)). A process has one number per level,
//! from the initial namespace down to its own; the kernel's own identity of
//! a task stays its number in the initial namespace (its "global" id), and
//! every id that crosses into or out of guest code is translated here into
//! the caller's namespace (0, or ESRCH, where the task is not visible).
//!
//! Ids that live only in the initial namespace have no entry in the tables
//! below: a process of the initial namespace never pays for any of this
//! (each translation first looks at the namespace's level).

use crate::task::{Pid, Process, Task};
use arch::sync::KernelCell;
use arch::{Errno, Result};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock, Weak};

pub const CLONE_NEWPID: u64 = 0x2000_0000;

/// Linux's `MAX_PID_NS_LEVEL`: how deep namespaces nest.
pub const MAX_LEVEL: usize = 32;

/// `PROC_PID_INIT_INO`.
const INIT_INO: u32 = 0xEFFF_FFFC;
static NEXT_INO: AtomicU32 = AtomicU32::new(0xF300_0000);

/// What changes in a namespace.
struct State {
    /// The number handed out last (`ns_last_pid`).
    last: Pid,
    /// Local number to global id, for the tasks of this namespace and of
    /// its descendants.
    map: BTreeMap<Pid, Pid>,
    /// The namespace's init (`child_reaper`), once it has one.
    reaper: Weak<Process>,
    /// False once its init has died (Linux clears PIDNS_ADDING): a fork
    /// into it is ENOMEM.
    adding: bool,
    /// The status of its dead init, whose parent hears of it once every
    /// other process of the namespace is gone.
    init_exit: Option<crate::task::ExitStatus>,
}

impl State {
    /// The state of a namespace without processes yet.
    fn new() -> State {
        State {
            last: 0,
            map: BTreeMap::new(),
            reaper: Weak::new(),
            adding: true,
            init_exit: None,
        }
    }
}

/// A PID namespace.
pub struct PidNamespace {
    pub level: usize,
    pub parent: Option<Arc<PidNamespace>>,
    pub inum: u32,
    state: KernelCell<State>,
}

/// The initial namespace.
pub static INIT_PID_NS: LazyLock<Arc<PidNamespace>> = LazyLock::new(|| {
    Arc::new(PidNamespace {
        level: 0,
        parent: None,
        inum: INIT_INO,
        state: KernelCell::new(State::new()),
    })
});

/// The numbers of one id in the namespaces it is visible in (Linux's
/// `struct pid` with its `upid` array): `nr[level]`, `nr[0]` the global id.
struct Numbers {
    ns: Arc<PidNamespace>,
    nr: Vec<Pid>,
}

/// The ids of tasks outside the initial namespace, by global id.
static NUMBERS: KernelCell<BTreeMap<Pid, Numbers>> = KernelCell::new(BTreeMap::new());

impl PidNamespace {
    /// Creates a child namespace of `parent`: ENOSPC past 32 levels.
    pub fn create(parent: &Arc<PidNamespace>) -> Result<Arc<PidNamespace>> {
        if parent.level + 1 > MAX_LEVEL {
            return Err(Errno::ENOSPC);
        }
        Ok(Arc::new(PidNamespace {
            level: parent.level + 1,
            parent: Some(parent.clone()),
            inum: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            state: KernelCell::new(State::new()),
        }))
    }

    /// Returns whether `self` is `other` or one of its ancestors.
    pub fn is_ancestor_of(&self, other: &PidNamespace) -> bool {
        let mut at = other;
        while at.level > self.level {
            match &at.parent {
                Some(p) => at = p,
                None => return false,
            }
        }
        std::ptr::eq(at, self)
    }

    /// Returns the number handed out last (/proc/sys/kernel/ns_last_pid).
    pub fn last_pid(&self) -> Pid {
        if self.level == 0 {
            return crate::task::last_pid();
        }
        self.state.borrow().last
    }

    /// Returns the namespace's init, while it lives.
    pub fn reaper(&self) -> Option<Arc<Process>> {
        if self.level == 0 {
            return crate::task::find_process(1);
        }
        self.state.borrow().reaper.upgrade()
    }

    /// Returns whether the namespace has had an init (what makes
    /// /proc/PID/ns/pid_for_children lead somewhere).
    pub fn has_init(&self) -> bool {
        self.level == 0 || self.state.borrow().map.contains_key(&1) || !self.state.borrow().adding
    }

    /// Returns the global id of the local number `nr`, if a task of this
    /// namespace or a descendant has it.
    pub fn global(&self, nr: Pid) -> Option<Pid> {
        if self.level == 0 {
            return Some(nr);
        }
        self.state.borrow().map.get(&nr).copied()
    }

    /// Returns the number of the global id `id` in this namespace, 0 where
    /// it is not visible (Linux's pid_nr_ns).
    pub fn nr(&self, id: Pid) -> Pid {
        if self.level == 0 || id <= 0 {
            return id;
        }
        let numbers = NUMBERS.borrow();
        match numbers.get(&id) {
            Some(n) if self.is_ancestor_of(&n.ns) => n.nr[self.level],
            _ => 0,
        }
    }

    /// Returns the process with local number `nr` here.
    pub fn find_process(&self, nr: Pid) -> Option<Arc<Process>> {
        crate::task::find_process(self.global(nr)?)
    }

    /// Returns the live thread with local number `nr` here.
    pub fn find_task(&self, nr: Pid) -> Option<Arc<Task>> {
        crate::task::find_task(self.global(nr)?)
    }
}

/// Returns the PID namespace of the task this thread runs (the initial
/// one for threads that run none): the one whose numbers it sees.
pub fn current() -> Arc<PidNamespace> {
    crate::task::current().map_or_else(|| INIT_PID_NS.clone(), |t| t.process.ns())
}

/// Returns the numbers of `id` from the initial namespace down to its own
/// (/proc/PID/status's NSpid), as seen from `from`.
pub fn numbers(id: Pid, from: &PidNamespace) -> Vec<Pid> {
    match NUMBERS.borrow().get(&id) {
        Some(n) if from.is_ancestor_of(&n.ns) => n.nr[from.level..].to_vec(),
        Some(_) => Vec::new(),
        None if from.level == 0 => vec![id],
        None => Vec::new(),
    }
}

/// Gives the new global id `id` a number in `ns` and each of its ancestors
/// (Linux's alloc_pid): ENOMEM once the namespace's init has died, EAGAIN
/// when a level has no free number. Returns its number in `ns`.
pub fn alloc(id: Pid, ns: &Arc<PidNamespace>) -> Result<Pid> {
    if let Some(stale) = NUMBERS.borrow_mut().remove(&id) {
        forget(&stale.ns, &stale.nr);
    }
    if ns.level == 0 {
        return Ok(id);
    }
    let max = crate::task::PID_MAX.load(Ordering::Relaxed);
    let mut nr = vec![0; ns.level + 1];
    nr[0] = id;
    let mut at = ns.clone();
    while at.level > 0 {
        let n = {
            let mut s = at.state.borrow_mut();
            {
                let mut found = None;
                let mut next = s.last;
                for _ in 0..max {
                    next = if next >= max { 2 } else { next + 1 };
                    if !s.map.contains_key(&next) {
                        found = Some(next);
                        break;
                    }
                }
                match found {
                    Some(n) => {
                        s.map.insert(n, id);
                        s.last = n;
                        Ok(n)
                    }
                    None => Err(Errno::EAGAIN),
                }
            }
        };
        match n {
            Ok(n) => nr[at.level] = n,
            Err(e) => {
                forget(ns, &nr);
                return Err(e);
            }
        }
        let parent = at
            .parent
            .clone()
            .expect("a namespace below the initial one has a parent");
        at = parent;
    }
    // As Linux, the numbers are taken before the namespace is found dead.
    if !ns.state.borrow().adding {
        forget(ns, &nr);
        return Err(Errno::ENOMEM);
    }
    let local = nr[ns.level];
    NUMBERS
        .borrow_mut()
        .insert(id, Numbers { ns: ns.clone(), nr });
    Ok(local)
}

/// Removes the numbers `nr` (0 where none was given) from `ns` and its ancestors.
fn forget(ns: &Arc<PidNamespace>, nr: &[Pid]) {
    let mut at = Some(ns.clone());
    while let Some(n) = at {
        if n.level == 0 {
            break;
        }
        if nr[n.level] != 0 {
            n.state.borrow_mut().map.remove(&nr[n.level]);
        }
        at = n.parent.clone();
    }
}

/// Frees the numbers of the global id `id`, no longer used by a task or a
/// process (Linux's free_pid). Returns the init whose namespace this left
/// empty but for it, with its exit status: its parent may now hear of it.
pub fn release(id: Pid) -> Option<(Arc<Process>, crate::task::ExitStatus)> {
    let n = NUMBERS.borrow_mut().remove(&id)?;
    forget(&n.ns, &n.nr);
    let mut s = n.ns.state.borrow_mut();
    if s.map.len() == 1 && s.map.contains_key(&1) {
        let status = s.init_exit.take()?;
        return s.reaper.upgrade().map(|p| (p, status));
    }
    None
}

/// Makes `p` the init of `ns`, whose number 1 it has.
pub fn set_reaper(ns: &PidNamespace, p: &Arc<Process>) {
    ns.state.borrow_mut().reaper = Arc::downgrade(p);
    p.unkillable.store(true, Ordering::Relaxed);
}

/// The exit of a namespace's init (Linux's zap_pid_ns_processes): no
/// process may join the namespace any more, and every other one in it or
/// below is killed.
pub fn kill_all(ns: &PidNamespace, init: &Arc<Process>) {
    let others: Vec<Pid> = {
        let mut s = ns.state.borrow_mut();
        s.adding = false;
        s.map.values().copied().filter(|&g| g != init.pid).collect()
    };
    for g in others {
        let Some(p) = crate::task::find_process(g) else {
            continue;
        };
        if p.exit_status.borrow().is_none() {
            let info =
                crate::signal::SigInfo::new(crate::signal::SIGKILL, crate::signal::SI_KERNEL);
            crate::signal::send_to_process(&p, info);
        }
    }
}

/// Returns true if processes of `ns` other than its dead init `init`
/// remain: the init's parent hears of it (`release` says when) once they
/// are gone, as Linux's init waits for them before it ends.
pub fn defer_init_exit(
    ns: &PidNamespace,
    init: &Arc<Process>,
    status: crate::task::ExitStatus,
) -> bool {
    let mut s = ns.state.borrow_mut();
    if s.map.values().any(|&g| g != init.pid) {
        s.init_exit = Some(status);
        return true;
    }
    false
}

/// Returns whether the task with global id `id` is in a namespace whose
/// init died (or below one): its processes are reaped as they die.
pub fn dying_id(id: Pid) -> bool {
    let Some(ns) = NUMBERS.borrow().get(&id).map(|n| n.ns.clone()) else {
        return false;
    };
    let mut at = Some(ns);
    while let Some(n) = at {
        if n.level > 0 && !n.state.borrow().adding {
            return true;
        }
        at = n.parent.clone();
    }
    false
}

/// setns(2) into `ns` (Linux's pidns_install): the caller's children will
/// start there; only its own namespace or one below is allowed (EINVAL).
pub fn install(task: &Task, ns: Arc<PidNamespace>) -> Result<()> {
    if !task.process.ns().is_ancestor_of(&ns) {
        return Err(Errno::EINVAL);
    }
    *task.pid_for_children.borrow_mut() = ns;
    Ok(())
}

/// unshare(CLONE_NEWPID): the caller's next child is the init of a new
/// namespace below its own; EINVAL if it chose another one already.
pub fn unshare(task: &Task) -> Result<()> {
    let active = task.process.ns();
    if !Arc::ptr_eq(&active, &task.pid_for_children.borrow()) {
        return Err(Errno::EINVAL);
    }
    *task.pid_for_children.borrow_mut() = PidNamespace::create(&active)?;
    Ok(())
}
