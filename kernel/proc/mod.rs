//! procfs, the process information filesystem (proc(5)), implemented against
//! the fs crate's `FileSystem` and `Inode` traits: every file's text is
//! generated from kernel state when it is read (see `node`). The root lists
//! the fixed files and one directory per process (a thread's tid finds a
//! directory too, unlisted, as in Linux); /proc/self and
//! /proc/thread-self name the caller, which procfs learns from
//! `task::current()` — the task of the host thread running the system call,
//! since every guest task has a kernel thread of its own.
//!
//! Each mount is a fresh instance with its own anonymous device number; it
//! belongs to the PID namespace of the process that mounted it, and shows
//! the processes visible there, by their numbers there.

mod base;
mod fd;
mod maps;
mod mem;
mod mounts;
mod net;
pub mod node;
mod oom;
mod pid;
pub mod seq;
mod stat;
mod status;
mod sys;
mod sysnet;
mod system;
pub mod tree;

pub use maps::usage;
pub use stat::state as task_state;

use crate::pid_ns::PidNamespace;
use arch::Result;
use fs::{FileSystem, Inode, StatFs};
use node::{Entry, Node};
use std::sync::Arc;
use tree::{named, Tree};

/// `PROC_SUPER_MAGIC`, the `f_type` statfs(2) reports.
const PROC_SUPER_MAGIC: u64 = 0x9fa0;
/// The readdir position of /proc/PID: after every fixed entry.
const PID_POS: u64 = 1 << 32;

/// A mounted procfs.
pub struct ProcFs {
    dev: u64,
    root: Arc<Node>,
}

/// Returns the fixed entries of /proc.
fn fixed(t: &mut Tree, ns: &Arc<PidNamespace>) -> Vec<(String, Node)> {
    let dev = t.dev();
    let (ns1, ns2) = (ns.clone(), ns.clone());
    // A reader outside the mount's namespace has no number in it.
    let me = Node::link(dev, t.ino(), move || {
        let task = crate::task::current().ok_or(arch::Errno::ENOENT)?;
        match ns1.nr(task.process.pid) {
            0 => Err(arch::Errno::ENOENT),
            pid => Ok(pid.to_string().into_bytes()),
        }
    });
    let thread = Node::link(dev, t.ino(), move || {
        let task = crate::task::current().ok_or(arch::Errno::ENOENT)?;
        match (ns2.nr(task.process.pid), ns2.nr(task.tid())) {
            (0, _) | (_, 0) => Err(arch::Errno::ENOENT),
            (pid, tid) => Ok(format!("{pid}/task/{tid}").into_bytes()),
        }
    });
    let filesystems = t.file(|| Ok(crate::filesystems::proc_filesystems().into_bytes()));
    vec![
        named("self", me),
        named("thread-self", thread),
        named("cmdline", t.file(system::cmdline)),
        named("cpuinfo", t.file(system::cpuinfo)),
        named("devices", t.file(system::devices)),
        named("filesystems", filesystems),
        // No kernel symbols are there to show, as an unprivileged
        // reader's view of Linux's hides them.
        named("kallsyms", t.text("")),
        named("loadavg", t.file(system::loadavg)),
        named("meminfo", t.file(system::meminfo)),
        named("mounts", t.link("self/mounts")),
        named("net", t.link("self/net")),
        named("partitions", t.file(system::partitions)),
        named("stat", t.file(system::stat)),
        named(
            "swaps",
            t.file(system::swaps).watching(|| 0, system::swaps_wait),
        ),
        named("sys", sys::sys(t)),
        named("sysrq-trigger", sysrq_trigger(t)),
        named("sysvipc", sysvipc(t)),
        named("uptime", t.file(system::uptime)),
        named("version", t.file(system::version)),
        named("vmstat", t.file(system::vmstat)),
    ]
}

/// Returns /proc/sysrq-trigger: root writes a key to run its SysRq action
/// (the first byte; Linux's write_sysrq_trigger); reading it is EIO.
fn sysrq_trigger(t: &mut Tree) -> Node {
    Node::file(t.dev(), t.ino(), 0o200, || Err(arch::Errno::EIO)).writable(|data| {
        if let Some(&key) = data.first() {
            crate::sysrq::handle(key);
        }
        Ok(())
    })
}

/// Returns /proc/sysvipc: the System V IPC objects of the reader's
/// namespace (`crate::ipc::proc`).
fn sysvipc(t: &mut Tree) -> Node {
    use crate::ipc::proc as ipc;
    let files = vec![
        named("msg", t.file(ipc::msg)),
        named("sem", t.file(ipc::sem)),
        named("shm", t.file(ipc::shm)),
    ];
    t.dir(files)
}

impl ProcFs {
    /// Creates a procfs instance, of the caller's PID namespace.
    pub fn new() -> Arc<ProcFs> {
        let ns = crate::pid_ns::current();
        let dev = fs::anon_dev();
        let mut t = Tree::new(dev, 2);
        let fixed: Vec<Entry> = fixed(&mut t, &ns)
            .into_iter()
            .enumerate()
            .map(|(i, (name, node))| node.entry(i as u64 + 2, &name))
            .collect();
        let root = Node::dir(dev, 1, 0o555, move || {
            let mut all = fixed.clone();
            for p in crate::task::all_processes() {
                let nr = ns.nr(p.pid);
                if nr == 0 {
                    continue;
                }
                let node = pid::dir(dev, &p, None);
                all.push(node.entry(PID_POS + nr as u64, &nr.to_string()));
                // The other threads are found by their tid, but not listed.
                let tids: Vec<_> = p
                    .threads
                    .borrow()
                    .iter()
                    .map(|t| t.tid())
                    .filter(|&tid| tid != p.pid)
                    .collect();
                for tid in tids {
                    let node = pid::dir(dev, &p, Some(tid));
                    all.push(node.entry(node::HIDDEN, &ns.nr(tid).to_string()));
                }
            }
            Ok(all)
        });
        Arc::new(ProcFs {
            dev,
            root: Arc::new(root),
        })
    }
}

impl FileSystem for ProcFs {
    fn root(&self) -> Result<Arc<dyn Inode>> {
        Ok(self.root.clone())
    }

    fn name(&self) -> &'static str {
        "proc"
    }

    fn dev(&self) -> u64 {
        self.dev
    }

    fn sync(&self) -> Result<()> {
        Ok(())
    }

    fn statfs(&self) -> StatFs {
        StatFs::pseudo(PROC_SUPER_MAGIC)
    }
}
