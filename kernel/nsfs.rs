//! Namespace files (Linux's nsfs): what /proc/PID/ns/{cgroup,ipc,mnt,net,pid,uts} lead
//! to. Opening one gives a descriptor that names the namespace — setns(2)
//! joins it, and it keeps the namespace alive while open; stat(2) reports
//! the namespace's inode number (as in the link's text, `uts:[N]`) on the
//! one nsfs device, so that two links to the same namespace compare equal.
//! Each file is the root of a tiny internal mount of its own.

use crate::task::Task;
use arch::{Errno, Result};
use fs::{DirEntry, FileSystem, FileType, Inode, InodeState, Path, Stat, StatFs};
use std::any::Any;
use std::sync::{Arc, LazyLock};

/// `NSFS_MAGIC`.
const NSFS_MAGIC: u64 = 0x6e73_6673;

/// The nsfs device number.
static DEV: LazyLock<u64> = LazyLock::new(fs::anon_dev);

/// A namespace a file names.
#[derive(Clone)]
pub enum Namespace {
    Uts(Arc<crate::uts::UtsNamespace>),
    Ipc(Arc<crate::ipc::IpcNamespace>),
    Mnt(Arc<crate::mnt_ns::MntNamespace>),
    Pid(Arc<crate::pid_ns::PidNamespace>),
    Net(Arc<crate::net::Net>),
    Cgroup(Arc<crate::cgroup::ns::CgroupNamespace>),
}

impl Namespace {
    /// Returns the namespace of this kind that `task` is in.
    pub fn of(task: &Task, kind: &str) -> Option<Namespace> {
        Some(match kind {
            "uts" => Namespace::Uts(task.uts.borrow().clone()),
            "ipc" => Namespace::Ipc(task.ipc.borrow().clone()),
            "mnt" => Namespace::Mnt(task.process.fs.borrow().mnt_ns.clone()),
            "pid" => Namespace::Pid(task.process.ns()),
            // Nothing until the namespace has had its init, as Linux.
            "pid_for_children" => {
                let ns = task.pid_for_children.borrow().clone();
                if !ns.has_init() {
                    return None;
                }
                Namespace::Pid(ns)
            }
            "net" => Namespace::Net(task.net.borrow().clone()),
            "cgroup" => Namespace::Cgroup(task.cgroup_ns.borrow().clone()),
            _ => return None,
        })
    }

    /// Returns its inode number.
    pub fn inum(&self) -> u32 {
        match self {
            Namespace::Uts(n) => n.inum,
            Namespace::Ipc(n) => n.inum,
            Namespace::Mnt(n) => n.inum,
            Namespace::Pid(n) => n.inum,
            Namespace::Net(n) => n.inum,
            Namespace::Cgroup(n) => n.inum,
        }
    }

    /// Returns its kind's name, as its link's text shows it.
    pub fn name(&self) -> &'static str {
        match self {
            Namespace::Uts(_) => "uts",
            Namespace::Ipc(_) => "ipc",
            Namespace::Mnt(_) => "mnt",
            Namespace::Pid(_) => "pid",
            Namespace::Net(_) => "net",
            Namespace::Cgroup(_) => "cgroup",
        }
    }

    /// Returns its `CLONE_NEW*` flag.
    pub fn clone_flag(&self) -> u64 {
        match self {
            Namespace::Uts(_) => crate::uts::CLONE_NEWUTS,
            Namespace::Ipc(_) => crate::ipc::CLONE_NEWIPC,
            Namespace::Mnt(_) => crate::mnt_ns::CLONE_NEWNS,
            Namespace::Pid(_) => crate::pid_ns::CLONE_NEWPID,
            Namespace::Net(_) => crate::net::CLONE_NEWNET,
            Namespace::Cgroup(_) => crate::cgroup::ns::CLONE_NEWCGROUP,
        }
    }
}

/// The kinds /proc/PID/ns lists, in its order.
pub const KINDS: [&str; 7] = [
    "cgroup",
    "ipc",
    "mnt",
    "net",
    "pid",
    "pid_for_children",
    "uts",
];

/// The file of one namespace.
pub struct NsInode {
    pub ns: Namespace,
    vfs_state: InodeState,
}

impl Inode for NsInode {
    fn stat(&self) -> Result<Stat> {
        let now = fs::Clock::now(&fs::HostClock);
        let mode = FileType::Regular.to_mode_bits() | 0o444;
        Ok(Stat::pseudo(
            *DEV,
            u64::from(self.ns.inum()),
            mode,
            (0, 0),
            now,
        ))
    }

    fn file_type(&self) -> FileType {
        FileType::Regular
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn inode_state(&self) -> &InodeState {
        &self.vfs_state
    }

    fn ino(&self) -> u64 {
        u64::from(self.ns.inum())
    }

    fn read_at(&self, _offset: u64, _buf: &mut [u8]) -> Result<usize> {
        Err(Errno::EINVAL)
    }

    fn lookup(&self, _name: &[u8]) -> Result<Arc<dyn Inode>> {
        Err(Errno::ENOTDIR)
    }

    fn readdir(&self, _pos: u64, _emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64> {
        Err(Errno::ENOTDIR)
    }

    fn readlink(&self) -> Result<Vec<u8>> {
        Err(Errno::EINVAL)
    }
}

/// The filesystem whose root is one namespace's file.
struct NsFs(Arc<NsInode>);

impl FileSystem for NsFs {
    fn root(&self) -> Result<Arc<dyn Inode>> {
        Ok(self.0.clone())
    }

    fn name(&self) -> &'static str {
        "nsfs"
    }

    fn dev(&self) -> u64 {
        *DEV
    }

    fn sync(&self) -> Result<()> {
        Ok(())
    }

    fn statfs(&self) -> StatFs {
        StatFs::pseudo(NSFS_MAGIC)
    }
}

/// Returns the place the magic link /proc/PID/ns/KIND leads to.
pub fn path(ns: Namespace) -> Result<Path> {
    let inode = Arc::new(NsInode {
        ns,
        vfs_state: InodeState::new(),
    });
    fs::internal_mount(Arc::new(NsFs(inode)), "nsfs")
}

/// Returns the namespace an open namespace file names, if `f` is one.
pub fn namespace_of(f: &fs::File) -> Option<Namespace> {
    let inode = f.inode()?;
    inode
        .as_any()
        .downcast_ref::<NsInode>()
        .map(|n| n.ns.clone())
}

/// setns(2) with a namespace file: joins it (`nstype` 0 or its own
/// `CLONE_NEW*` flag, else EINVAL).
pub fn setns(task: &Arc<Task>, ns: Namespace, nstype: u64) -> Result<()> {
    if nstype != 0 && nstype != ns.clone_flag() {
        return Err(Errno::EINVAL);
    }
    match ns {
        Namespace::Uts(n) => *task.uts.borrow_mut() = n,
        Namespace::Ipc(n) => crate::ipc::switch_namespace(task, n),
        Namespace::Mnt(n) => {
            if task.process.threads.borrow().len() > 1 {
                return Err(Errno::EINVAL);
            }
            crate::mnt_ns::enter_namespace(&task.process, n);
        }
        Namespace::Pid(n) => crate::pid_ns::install(task, n)?,
        Namespace::Net(n) => *task.net.borrow_mut() = n,
        Namespace::Cgroup(n) => *task.cgroup_ns.borrow_mut() = n,
    }
    Ok(())
}
