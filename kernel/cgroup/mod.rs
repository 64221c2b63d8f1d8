//! Control groups, version 2 (Linux's kernel/cgroup/, Documentation/
//! admin-guide/cgroup-v2.rst): one hierarchy of groups, each process in
//! exactly one of them, a new process in its parent's. A group is
//! `populated` while it or a descendant has a process; the change is
//! written to its `cgroup.events`, which poll (`POLLPRI`) and inotify
//! (`IN_MODIFY`) report — how systemd learns that a service has ended.
//!
//! The controllers are `cpu` (`cpu.weight` turned into the host nice value
//! of the group's tasks, `cpu.stat` from their CPU time), `memory` (the
//! resident pages of the group's address spaces against `memory.max`, with
//! an OOM kill inside the group past it) and `pids` (`pids.max` enforced at
//! fork). A controller reaches a group's files when its parent enables it
//! in `cgroup.subtree_control`, under Linux's rules: only what the parent
//! has, not while a child still enables it, and no processes in a
//! non-root group that gives controllers to its children.
//!
//! The filesystem that shows the tree is in `fs.rs`, its files in
//! `files.rs`.

mod export;
pub mod files;
pub mod fs;
pub mod limits;
pub mod ns;

pub use limits::{charge_fault, may_fork};

use crate::signal::{self, SigInfo};
use crate::task::{Pid, Process};
use arch::sync::KernelCell;
use arch::{Errno, Result};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Weak};

bitflags::bitflags! {
    /// The controllers this kernel has, in Linux's order.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Controllers: u8 {
        const CPU = 1;
        const MEMORY = 2;
        const PIDS = 4;
    }
}

/// The controllers' names as cgroup.controllers lists them.
pub const CONTROLLER_NAMES: [(Controllers, &str); 3] = [
    (Controllers::CPU, "cpu"),
    (Controllers::MEMORY, "memory"),
    (Controllers::PIDS, "pids"),
];

/// "max" in the limit files.
pub const MAX: u64 = u64::MAX;

/// The memory controller's settings and event counts of one group.
#[derive(Clone, Copy)]
pub struct Memory {
    pub min: u64,
    pub low: u64,
    pub high: u64,
    pub max: u64,
    pub swap_max: u64,
    pub oom_group: bool,
    /// memory.events: times at high, at max, OOM, OOM kills.
    pub events: [u64; 4],
}

/// What can change in a group.
pub struct State {
    pub children: BTreeMap<String, Arc<Cgroup>>,
    /// The member processes, by pid.
    pub procs: BTreeMap<Pid, Weak<Process>>,
    /// How many children are populated.
    pub populated_children: u32,
    pub subtree_control: Controllers,
    pub pids_max: u64,
    /// pids.events `max`: forks refused by this group's limit.
    pub pids_events_max: u64,
    pub memory: Memory,
    pub cpu_weight: u64,
    /// cgroup.freeze as written.
    pub freeze: bool,
    /// The CPU time (user, system) in nanoseconds of the processes that
    /// ended in the group.
    pub cpu_dead: (u64, u64),
    pub max_depth: u64,
    pub max_descendants: u64,
    /// Set by rmdir: nothing may join it any more.
    pub removed: bool,
    /// The owner and permission bits of the directory and its files.
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
}

/// A control group.
pub struct Cgroup {
    /// The id (the directory's inode number; 1 for the root).
    pub id: u64,
    pub name: String,
    pub parent: Option<Arc<Cgroup>>,
    pub level: u32,
    pub st: KernelCell<State>,
    /// Bumped at each change of cgroup.events (populated, frozen).
    events_seq: AtomicU64,
    /// The inodes made for this group, kept while something holds them so
    /// that inotify watches find the same inode again.
    pub inodes: KernelCell<fs::InodeCache>,
}

static NEXT_ID: AtomicU64 = AtomicU64::new(2);

/// The root of the hierarchy.
pub static ROOT: LazyLock<Arc<Cgroup>> = LazyLock::new(|| Cgroup::new(1, String::new(), None));

/// Woken when any group's cgroup.events changes.
pub static EVENTS_WAIT: LazyLock<::fs::WaitQueue> = LazyLock::new(::fs::WaitQueue::new);

impl Cgroup {
    fn new(id: u64, name: String, parent: Option<Arc<Cgroup>>) -> Arc<Cgroup> {
        let level = parent.as_ref().map_or(0, |p| p.level + 1);
        Arc::new(Cgroup {
            id,
            name,
            parent,
            level,
            st: KernelCell::new(State {
                children: BTreeMap::new(),
                procs: BTreeMap::new(),
                populated_children: 0,
                subtree_control: Controllers::empty(),
                pids_max: MAX,
                pids_events_max: 0,
                memory: Memory {
                    min: 0,
                    low: 0,
                    high: MAX,
                    max: MAX,
                    swap_max: MAX,
                    oom_group: false,
                    events: [0; 4],
                },
                cpu_weight: 100,
                freeze: false,
                cpu_dead: (0, 0),
                max_depth: MAX,
                max_descendants: MAX,
                removed: false,
                uid: 0,
                gid: 0,
                mode: 0o755,
            }),
            events_seq: AtomicU64::new(0),
            inodes: KernelCell::default(),
        })
    }

    pub fn is_root(&self) -> bool {
        self.parent.is_none()
    }

    /// Returns the path from the root ("/" for the root).
    pub fn path(&self) -> String {
        let mut names = Vec::new();
        let mut at = Some(self);
        while let Some(c) = at {
            if !c.is_root() {
                names.push(c.name.as_str());
            }
            at = c.parent.as_deref();
        }
        names.reverse();
        format!("/{}", names.join("/"))
    }

    /// Returns whether a process is in the group or below it.
    pub fn populated(&self) -> bool {
        let st = self.st.borrow();
        !st.procs.is_empty() || st.populated_children > 0
    }

    /// Returns the controllers the group has: those its parent enables
    /// (all of them for the root).
    pub fn controllers(&self) -> Controllers {
        match &self.parent {
            Some(p) => p.st.borrow().subtree_control,
            None => Controllers::all(),
        }
    }

    /// Returns whether the group's processes are frozen: it or an ancestor
    /// asked for it.
    pub fn frozen(&self) -> bool {
        let mut at = Some(self);
        while let Some(c) = at {
            if c.st.borrow().freeze {
                return true;
            }
            at = c.parent.as_deref();
        }
        false
    }

    /// Returns the group and its descendants, the group first.
    pub fn subtree(self: &Arc<Self>) -> Vec<Arc<Cgroup>> {
        let mut out = vec![self.clone()];
        let mut i = 0;
        while i < out.len() {
            let kids: Vec<_> = out[i].st.borrow().children.values().cloned().collect();
            out.extend(kids);
            i += 1;
        }
        out
    }

    /// Returns the live member processes of the group alone.
    pub fn processes(&self) -> Vec<Arc<Process>> {
        self.st
            .borrow()
            .procs
            .values()
            .filter_map(Weak::upgrade)
            .collect()
    }

    /// Returns the live processes of the group and its descendants.
    pub fn subtree_processes(self: &Arc<Self>) -> Vec<Arc<Process>> {
        self.subtree().iter().flat_map(|c| c.processes()).collect()
    }

    /// Returns the number of tasks (threads) in the group and below.
    pub fn nr_tasks(self: &Arc<Self>) -> u64 {
        self.subtree_processes()
            .iter()
            .map(|p| p.threads.borrow().len() as u64)
            .sum()
    }

    /// Returns the count cgroup.events has reached, for its pollers.
    pub fn events_seq(&self) -> u64 {
        self.events_seq.load(Ordering::Relaxed)
    }

    /// Tells the watchers of cgroup.events that it changed.
    pub fn events_changed(&self) {
        self.events_seq.fetch_add(1, Ordering::Relaxed);
        fs::notify_modified(self, "cgroup.events");
        EVENTS_WAIT.wake_all();
    }

    /// Makes a child group `name`; `EEXIST` if there is one, `EAGAIN` past
    /// an ancestor's cgroup.max.depth or cgroup.max.descendants.
    pub fn mkdir(self: &Arc<Self>, name: &str, uid: u32, gid: u32) -> Result<Arc<Cgroup>> {
        if self.st.borrow().removed {
            return Err(Errno::ENOENT);
        }
        if self.st.borrow().children.contains_key(name) || files::is_file_name(name) {
            return Err(Errno::EEXIST);
        }
        let mut at = Some(self.clone());
        while let Some(a) = at {
            let st = a.st.borrow();
            let depth = u64::from(self.level + 1 - a.level);
            let descendants = a.subtree().len() as u64 - 1;
            if depth > st.max_depth || descendants >= st.max_descendants {
                return Err(Errno::EAGAIN);
            }
            drop(st);
            at = a.parent.clone();
        }
        let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
        let child = Cgroup::new(id, name.to_string(), Some(self.clone()));
        {
            let mut st = child.st.borrow_mut();
            st.uid = uid;
            st.gid = gid;
        }
        self.st
            .borrow_mut()
            .children
            .insert(name.to_string(), child.clone());
        Ok(child)
    }

    /// Removes the empty child group `name`: `EBUSY` while it has processes
    /// or children.
    pub fn rmdir(&self, name: &str) -> Result<()> {
        let child = self
            .st
            .borrow()
            .children
            .get(name)
            .cloned()
            .ok_or(Errno::ENOENT)?;
        {
            let st = child.st.borrow();
            if !st.procs.is_empty() || !st.children.is_empty() {
                return Err(Errno::EBUSY);
            }
        }
        child.st.borrow_mut().removed = true;
        self.st.borrow_mut().children.remove(name);
        Ok(())
    }
}

/// Returns the group of process `p`.
pub fn of(p: &Process) -> Arc<Cgroup> {
    p.cgroup.borrow().clone()
}

/// Adds or removes one populated child of `cg`'s parent chain after `cg`'s
/// own populated state went from `was` to what it is now.
fn propagate(cg: &Arc<Cgroup>, was: bool) {
    let mut at = cg.clone();
    let mut was = was;
    loop {
        let now = at.populated();
        if now == was {
            return;
        }
        at.events_changed();
        let Some(parent) = at.parent.clone() else {
            return;
        };
        let before = parent.populated();
        {
            let mut st = parent.st.borrow_mut();
            if now {
                st.populated_children += 1;
            } else {
                st.populated_children = st.populated_children.saturating_sub(1);
            }
        }
        was = before;
        at = parent;
    }
}

/// Puts process `p` into `cg` (and out of where it was).
fn join(p: &Arc<Process>, cg: &Arc<Cgroup>) {
    let old = of(p);
    if Arc::ptr_eq(&old, cg) && old.st.borrow().procs.contains_key(&p.pid) {
        return;
    }
    let was = old.populated();
    old.st.borrow_mut().procs.remove(&p.pid);
    propagate(&old, was);
    let was = cg.populated();
    cg.st.borrow_mut().procs.insert(p.pid, Arc::downgrade(p));
    propagate(cg, was);
    *p.cgroup.borrow_mut() = cg.clone();
    let frozen = cg.frozen();
    if p.signal.borrow().frozen != frozen {
        set_frozen(p, frozen);
    }
    limits::apply_nice(p);
}

/// Puts init into the root group at boot.
pub fn init(p: &Arc<Process>) {
    join(p, &ROOT);
}

/// Puts a new process into its parent's group.
pub fn fork(parent: &Process, child: &Arc<Process>) {
    join(child, &of(parent));
}

/// Takes process `p`, whose last thread has gone, out of its group,
/// leaving its CPU time there.
pub fn exit(p: &Process) {
    let cg = of(p);
    let was = cg.populated();
    let (u, s) = crate::syscall::sched::process_times(p);
    {
        let mut st = cg.st.borrow_mut();
        st.procs.remove(&p.pid);
        st.cpu_dead.0 += u;
        st.cpu_dead.1 += s;
    }
    propagate(&cg, was);
}

/// Freezes or thaws process `p` (cgroup.freeze): its threads stop before
/// they next return to guest code, as for a job-control stop but unseen by
/// its parent, and a sleeping call is interrupted to get there (and then
/// restarted).
pub fn set_frozen(p: &Arc<Process>, on: bool) {
    p.signal.borrow_mut().frozen = on;
    for t in p.threads.borrow().iter() {
        t.waiter.wake_task();
        t.kick();
    }
}

/// Moves process `p` into `to` for a write to cgroup.procs: `EBUSY` for a
/// non-root group that gives controllers to its children (Linux's "no
/// internal processes" rule), `ENOENT` for a removed one.
pub fn migrate(p: &Arc<Process>, to: &Arc<Cgroup>) -> Result<()> {
    let st = to.st.borrow();
    if st.removed {
        return Err(Errno::ENOENT);
    }
    if !to.is_root() && !st.subtree_control.is_empty() {
        return Err(Errno::EBUSY);
    }
    drop(st);
    if p.exit_status.borrow().is_some() || p.threads.borrow().is_empty() {
        return Err(Errno::ESRCH);
    }
    join(p, to);
    Ok(())
}

/// Returns the nearest common ancestor of `a` and `b`.
pub fn common_ancestor(a: &Arc<Cgroup>, b: &Arc<Cgroup>) -> Arc<Cgroup> {
    let mut x = a.clone();
    let mut y = b.clone();
    while x.level > y.level {
        x = x.parent.clone().expect("level > 0 has a parent");
    }
    while y.level > x.level {
        y = y.parent.clone().expect("level > 0 has a parent");
    }
    while !Arc::ptr_eq(&x, &y) {
        x = x.parent.clone().expect("same level, not the root");
        y = y.parent.clone().expect("same level, not the root");
    }
    x
}

/// Kills every process of the group and its descendants (cgroup.kill).
pub fn kill(cg: &Arc<Cgroup>) {
    for p in cg.subtree_processes() {
        if p.pid == 1 {
            continue;
        }
        let info = SigInfo::new(signal::SIGKILL, signal::SI_KERNEL);
        signal::send_to_process(&p, info);
    }
}

/// Returns /proc/PID/cgroup: the unified hierarchy's line, the group's
/// path from the reader's cgroup namespace root.
pub fn proc_cgroup(p: &Process) -> Vec<u8> {
    format!("0::{}\n", ns::path_from(&of(p), &ns::current().root)).into_bytes()
}
