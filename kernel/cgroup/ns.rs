//! Cgroup namespaces (Linux's kernel/cgroup/namespace.c,
//! cgroup_namespaces(7)): a namespace is a group taken as the root of what
//! its processes see. `/proc/PID/cgroup` shows a group's path from the
//! reader's root (with `/..` steps for a group outside it), and a cgroup2
//! mounted in the namespace shows the tree from that root down. A new
//! namespace (`clone` or `unshare` with `CLONE_NEWCGROUP`, or `setns`)
//! takes the group its first process is in at that moment; moving the
//! process later changes nothing of the namespace.

use super::Cgroup;
use crate::task::Task;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};

/// clone(2)'s flag for a new cgroup namespace.
pub const CLONE_NEWCGROUP: u64 = 0x0200_0000;

/// Linux's `PROC_CGROUP_INIT_INO`, and where new namespaces' numbers start
/// (a range of their own beside the other kinds').
const INIT_INO: u32 = 0xEFFF_FFFB;
static NEXT_INO: AtomicU32 = AtomicU32::new(0xF400_0000);

/// A cgroup namespace.
pub struct CgroupNamespace {
    pub inum: u32,
    /// The group its processes see as `/`.
    pub root: Arc<Cgroup>,
}

/// The initial namespace, rooted at the hierarchy's root.
pub static INIT_CGROUP_NS: LazyLock<Arc<CgroupNamespace>> = LazyLock::new(|| {
    Arc::new(CgroupNamespace {
        inum: INIT_INO,
        root: super::ROOT.clone(),
    })
});

impl CgroupNamespace {
    /// Creates a namespace rooted at `root`.
    pub fn create(root: Arc<Cgroup>) -> Arc<CgroupNamespace> {
        Arc::new(CgroupNamespace {
            inum: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            root,
        })
    }
}

/// Returns the cgroup namespace of the task this thread runs (the initial
/// one for kernel threads).
pub fn current() -> Arc<CgroupNamespace> {
    crate::task::current().map_or_else(|| INIT_CGROUP_NS.clone(), |t| t.cgroup_ns.borrow().clone())
}

/// Gives `task` a new namespace rooted at its process's group now
/// (unshare(CLONE_NEWCGROUP)).
pub fn unshare(task: &Task) {
    let root = super::of(&task.process);
    *task.cgroup_ns.borrow_mut() = CgroupNamespace::create(root);
}

/// Returns the path of `cg` seen from `root` (Linux's
/// `kernfs_path_from_node`): `/` and the names below `root` for a group
/// in its subtree; for another, a `/..` per step from `root` up to the
/// two's nearest common ancestor, then the names down to `cg`.
pub fn path_from(cg: &Arc<Cgroup>, root: &Arc<Cgroup>) -> String {
    let chain = |c: &Arc<Cgroup>| {
        let mut v = vec![c.clone()];
        while let Some(p) = v.last().and_then(|c| c.parent.clone()) {
            v.push(p);
        }
        v.reverse();
        v
    };
    let (down, up) = (chain(cg), chain(root));
    let common = down
        .iter()
        .zip(up.iter())
        .take_while(|(a, b)| Arc::ptr_eq(a, b))
        .count();
    let mut path = String::new();
    for _ in common..up.len() {
        path.push_str("/..");
    }
    for c in &down[common..] {
        path.push('/');
        path.push_str(&c.name);
    }
    if path.is_empty() {
        path.push('/');
    }
    path
}
