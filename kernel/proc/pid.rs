//! /proc/PID and /proc/PID/task/TID: one directory per process and per
//! thread, listing the files of `base`, `stat`, `status`, `maps`, `mounts` and
//! `fd`. Nodes hold the process weakly and stop validating once it was reaped
//! (or, for a thread, once it exited), so a pid that is reused never shows the
//! old process; a zombie keeps its directory until its parent waits for it.

use super::node::{Entry, Node};
use super::{base, fd, maps, mounts, oom, stat, status};
use crate::task::{find_process, find_task, Pid, Process, Task};
use arch::{Errno, Result};
use std::sync::{Arc, Weak};

/// The process (and, in a task directory, the thread) a node shows.
#[derive(Clone)]
pub struct Target {
    pub pid: Pid,
    proc: Weak<Process>,
    /// The thread of /proc/PID/task/TID; `None` in /proc/PID.
    pub tid: Option<Pid>,
}

impl Target {
    /// Returns a target for process `p`, or for its thread `tid`.
    pub fn new(p: &Arc<Process>, tid: Option<Pid>) -> Target {
        Target {
            pid: p.pid,
            proc: Arc::downgrade(p),
            tid,
        }
    }

    /// Returns the process, `ESRCH` once it was reaped.
    pub fn process(&self) -> Result<Arc<Process>> {
        let p = self.proc.upgrade().ok_or(Errno::ESRCH)?;
        match find_process(self.pid) {
            Some(q) if Arc::ptr_eq(&p, &q) => Ok(p),
            _ => Err(Errno::ESRCH),
        }
    }

    /// Returns the thread shown: the task directory's, else the first live
    /// thread (the leader while it lives); `None` for a zombie.
    pub fn task(&self) -> Option<Arc<Task>> {
        let p = self.proc.upgrade()?;
        match self.tid {
            Some(tid) => find_task(tid).filter(|t| Arc::ptr_eq(&t.process, &p)),
            None => p.threads.borrow().first().cloned(),
        }
    }

    /// Returns the id shown as "Pid": the thread's in a task directory.
    pub fn id(&self) -> Pid {
        self.tid.unwrap_or(self.pid)
    }

    /// Returns whether the process (or the thread) is still there.
    pub fn alive(&self) -> bool {
        self.process().is_ok() && (self.tid.is_none() || self.task().is_some())
    }

    /// Returns the inode number of entry `sub` of this directory.
    pub fn ino(&self, sub: u64) -> u64 {
        let task_bit = if self.tid.is_some() { 1 << 31 } else { 0 };
        ((self.id() as u64) << 32) | task_bit | sub
    }

    /// Returns the process if the caller may look inside it (its memory
    /// map, environment, files and links), `EACCES` otherwise: Linux's
    /// `ptrace_may_access` with `PTRACE_MODE_READ_FSCREDS`.
    pub fn inspect(&self) -> Result<Arc<Process>> {
        let p = self.process()?;
        let Some(me) = crate::task::current() else {
            return Ok(p);
        };
        if crate::task::ptrace_may_access(&me.process, &p, crate::task::AccessMode::READ_FSCREDS) {
            Ok(p)
        } else {
            Err(Errno::EACCES)
        }
    }

    /// Returns the (euid, egid) owning the process's files: root's for a
    /// process that is not dumpable (Linux's `task_dump_owner`).
    pub fn owner(&self) -> Arc<dyn Fn() -> (u32, u32) + Send + Sync> {
        let t = self.clone();
        Arc::new(move || match t.process() {
            Ok(p) if p.dumpable() => {
                let c = p.cred.borrow();
                (c.euid, c.egid)
            }
            _ => (0, 0),
        })
    }

    /// Returns the validity check of the nodes of this directory.
    pub fn validity(&self) -> Arc<dyn Fn() -> bool + Send + Sync> {
        let t = self.clone();
        Arc::new(move || t.alive())
    }

    /// Makes `node` belong to the target: owned by it, valid while it lives.
    pub fn adopt(&self, node: Node) -> Node {
        node.owned_by(self.owner()).valid_while(self.validity())
    }
}

/// The kind of each file of a process directory.
#[derive(Clone, Copy)]
enum Kind {
    Text(fn(&Target) -> Result<Vec<u8>>, u32),
    /// Text whose open makes the ptrace access check (EACCES for another
    /// user's process), as Linux's proc_mem_open does.
    Private(fn(&Target) -> Result<Vec<u8>>, u32),
    Link(fn(&Target) -> Result<fs::Path>),
    Mem,
    Fd,
    FdInfo,
    Task,
    Net,
    Ns,
}

/// The files of /proc/PID (a subset of Linux's), in readdir order.
const FILES: &[(&str, Kind)] = &[
    ("fd", Kind::Fd),
    ("fdinfo", Kind::FdInfo),
    ("environ", Kind::Private(base::environ, 0o400)),
    ("auxv", Kind::Private(base::auxv, 0o400)),
    ("limits", Kind::Text(base::limits, 0o444)),
    ("status", Kind::Text(status::status, 0o444)),
    ("cgroup", Kind::Text(base::cgroup, 0o444)),
    ("oom_score", Kind::Text(oom::oom_score, 0o444)),
    ("oom_adj", Kind::Text(oom::oom_adj, 0o644)),
    ("oom_score_adj", Kind::Text(oom::oom_score_adj, 0o644)),
    ("loginuid", Kind::Text(base::unset_id, 0o644)),
    ("sessionid", Kind::Text(base::unset_id, 0o444)),
    ("task", Kind::Task),
    ("net", Kind::Net),
    ("ns", Kind::Ns),
    ("cmdline", Kind::Text(base::cmdline, 0o444)),
    ("comm", Kind::Text(base::comm, 0o644)),
    ("stat", Kind::Text(stat::stat, 0o444)),
    ("statm", Kind::Text(stat::statm, 0o444)),
    ("maps", Kind::Private(maps::maps, 0o444)),
    ("smaps_rollup", Kind::Private(maps::smaps_rollup, 0o444)),
    ("mounts", Kind::Text(mounts::mounts, 0o444)),
    ("mountinfo", Kind::Text(mounts::mountinfo, 0o444)),
    ("wchan", Kind::Text(base::wchan, 0o444)),
    ("io", Kind::Text(base::io, 0o400)),
    ("stack", Kind::Text(base::stack, 0o400)),
    ("schedstat", Kind::Text(base::schedstat, 0o444)),
    ("personality", Kind::Private(base::personality, 0o400)),
    ("timerslack_ns", Kind::Text(base::timerslack, 0o666)),
    ("mem", Kind::Mem),
    ("cwd", Kind::Link(base::cwd)),
    ("root", Kind::Link(base::root)),
    ("exe", Kind::Link(base::exe)),
];

/// Returns the directory /proc/PID (`tid` None) or /proc/PID/task/TID.
pub fn dir(dev: u64, p: &Arc<Process>, tid: Option<Pid>) -> Node {
    let t = Target::new(p, tid);
    let list_t = t.clone();
    let d = Node::dir(dev, t.ino(0), 0o555, move || {
        list_t.process()?;
        Ok(entries(dev, &list_t))
    });
    t.adopt(d)
}

/// Returns the entries of a process or task directory.
fn entries(dev: u64, t: &Target) -> Vec<Entry> {
    let mut out = Vec::new();
    for (i, &(name, kind)) in FILES.iter().enumerate() {
        let ino = t.ino(i as u64 + 1);
        let node = match kind {
            Kind::Text(gen, mode) | Kind::Private(gen, mode) => {
                let tt = t.clone();
                let mut n = Node::file(dev, ino, mode, move || gen(&tt));
                if matches!(name, "mounts" | "mountinfo") {
                    n = n.mount_table();
                }
                if let Kind::Private(..) = kind {
                    let tt = t.clone();
                    n = n.open_checked(move || tt.inspect().map(|_| ()));
                }
                match base::store(name, t) {
                    Some(store) => n.writable(move |d| store(d)),
                    None => n,
                }
            }
            Kind::Link(to) => {
                let (a, b) = (t.clone(), t.clone());
                Node::link(dev, ino, move || base::link_text(&to(&a)?)).magic(move || to(&b))
            }
            Kind::Mem => {
                let tt = t.clone();
                Node::special(dev, ino, 0o600, move || super::mem::open(&tt.process()?))
            }
            Kind::Fd => fd::fd_dir(dev, ino, t),
            Kind::FdInfo => fd::fdinfo_dir(dev, ino, t),
            Kind::Task if t.tid.is_none() => task_dir(dev, ino, t),
            Kind::Task => continue,
            Kind::Net => super::net::net_dir(dev, ino, t),
            Kind::Ns => ns_dir(dev, ino, t),
        };
        out.push(t.adopt(node).entry(i as u64 + 2, name));
    }
    out
}

/// Where the inode numbers of /proc/PID/ns's entries start.
const NS_INO: u64 = 0x2000_0000;

/// Returns /proc/PID/ns: a link per namespace the task is in, reading
/// "KIND:[INODE]" (the same for tasks of one namespace); opening one gives
/// a namespace file setns(2) takes.
fn ns_dir(dev: u64, ino: u64, t: &Target) -> Node {
    let t = t.clone();
    Node::dir(dev, ino, 0o511, move || {
        let mut out = Vec::new();
        for (i, kind) in crate::nsfs::KINDS.iter().enumerate() {
            let (a, b) = (t.clone(), t.clone());
            let link = Node::link(dev, t.ino(NS_INO + i as u64), move || {
                let task = a.task().ok_or(Errno::ESRCH)?;
                let ns = crate::nsfs::Namespace::of(&task, kind).ok_or(Errno::ENOENT)?;
                Ok(format!("{}:[{}]", ns.name(), ns.inum()).into_bytes())
            })
            .magic(move || {
                let task = b.task().ok_or(Errno::ESRCH)?;
                b.inspect()?;
                let ns = crate::nsfs::Namespace::of(&task, kind).ok_or(Errno::ENOENT)?;
                crate::nsfs::path(ns)
            })
            .with_mode(0o777)
            .owned_by(t.owner());
            out.push(link.entry(2 + i as u64, kind));
        }
        Ok(out)
    })
}

/// Returns /proc/PID/task: a directory per live thread.
fn task_dir(dev: u64, ino: u64, t: &Target) -> Node {
    let t = t.clone();
    Node::dir(dev, ino, 0o555, move || {
        let p = t.process()?;
        let tids: Vec<Pid> = p.threads.borrow().iter().map(|th| th.tid()).collect();
        let ns = crate::pid_ns::current();
        Ok(tids
            .into_iter()
            .map(|tid| {
                let nr = ns.nr(tid);
                dir(dev, &p, Some(tid)).entry(nr as u64 + 2, &nr.to_string())
            })
            .collect())
    })
}
