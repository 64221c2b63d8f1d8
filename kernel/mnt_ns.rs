//! Mount namespaces (mount_namespaces(7)): a process's view of the mount
//! tree, kept with its root and working directory (`FsContext`). A new one
//! — `clone` or `unshare` with `CLONE_NEWNS`, with CAP_SYS_ADMIN — is a
//! copy of the caller's, whose root and working directory move to the
//! copies of their mounts; the mounts go when the last process using the
//! namespace has. The VFS keeps the mounts and their propagation
//! (`fs::propagation`); this is the process side, with pivot_root(2) and
//! the propagation flags of mount(2).

use crate::task::{FsContext, Process, Task};
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{Mount, Path};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};

pub const CLONE_NEWNS: u64 = 0x0002_0000;

/// Linux's `PROC_MNT_INIT_INO` for the first namespace's /proc/PID/ns/mnt;
/// new ones take numbers after the other namespace kinds'.
const INIT_INO: u32 = 0xEFFF_FFF8;
static NEXT_INO: AtomicU32 = AtomicU32::new(0xF100_0000);

/// A mount namespace.
pub struct MntNamespace {
    pub inum: u32,
    /// Its root mount (pivot_root changes it).
    pub root: KernelCell<Arc<Mount>>,
}

/// The initial namespace.
pub static INIT_MNT_NS: LazyLock<Arc<MntNamespace>> = LazyLock::new(|| {
    Arc::new(MntNamespace {
        inum: INIT_INO,
        root: KernelCell::new(crate::boot::kernel().vfs.root().mnt),
    })
});

impl Drop for MntNamespace {
    fn drop(&mut self) {
        if self.inum != INIT_INO {
            crate::boot::kernel()
                .vfs
                .drop_namespace(&self.root.borrow());
        }
    }
}

/// Returns `p` moved onto the copies of `pairs` (original, copy).
fn translate(p: &Path, pairs: &[(Arc<Mount>, Arc<Mount>)]) -> Path {
    match pairs.iter().find(|(o, _)| Arc::ptr_eq(o, &p.mnt)) {
        Some((_, c)) => Path {
            mnt: c.clone(),
            dentry: p.dentry.clone(),
        },
        None => p.clone(),
    }
}

/// Returns `fsc` in a new namespace copied from its own.
pub fn copy(fsc: &FsContext) -> Result<FsContext> {
    let root = fsc.mnt_ns.root.borrow().clone();
    let pairs = crate::boot::kernel().vfs.copy_namespace(&root)?;
    let ns = Arc::new(MntNamespace {
        inum: NEXT_INO.fetch_add(1, Ordering::Relaxed),
        root: KernelCell::new(pairs[0].1.clone()),
    });
    Ok(FsContext {
        root: translate(&fsc.root, &pairs),
        cwd: translate(&fsc.cwd, &pairs),
        umask: fsc.umask,
        mnt_ns: ns,
    })
}

/// unshare(CLONE_NEWNS) for the calling process (of one thread: the
/// caller checked).
pub fn unshare(p: &Process) -> Result<()> {
    let new = copy(&p.fs.borrow())?;
    *p.fs.borrow_mut() = new;
    Ok(())
}

/// setns(2) into the mount namespace of `target`: the caller's root and
/// working directory become that namespace's root.
pub fn enter(p: &Process, target: &Process) -> Result<()> {
    let ns = target.fs.borrow().mnt_ns.clone();
    enter_namespace(p, ns);
    Ok(())
}

/// Moves `p` into mount namespace `ns`, at its root.
pub fn enter_namespace(p: &Process, ns: Arc<MntNamespace>) {
    let root = ns.root.borrow().clone();
    let top = Path {
        dentry: root.root().clone(),
        mnt: root,
    };
    let mut fsc = p.fs.borrow_mut();
    fsc.root = top.clone();
    fsc.cwd = top;
    fsc.mnt_ns = ns;
}

/// pivot_root(2) for `task` with its arguments resolved: the VFS moves
/// the mounts, and whoever had the old root as root or working directory
/// moves to the new one (Linux's chroot_fs_refs).
pub fn pivot_root(task: &Task, new: &Path, put_old: &Path) -> Result<()> {
    let fsc = task.fs();
    crate::boot::kernel()
        .vfs
        .pivot_root(&fsc.root, new, put_old)?;
    *fsc.mnt_ns.root.borrow_mut() = new.mnt.clone();
    let old_root = fsc.root.clone();
    let new_top = Path {
        mnt: new.mnt.clone(),
        dentry: new.mnt.root().clone(),
    };
    for p in crate::task::all_processes() {
        let mut f = p.fs.borrow_mut();
        if !Arc::ptr_eq(&f.mnt_ns, &fsc.mnt_ns) {
            continue;
        }
        if f.root.same(&old_root) {
            f.root = new_top.clone();
        }
        if f.cwd.same(&old_root) {
            f.cwd = new_top.clone();
        }
    }
    Ok(())
}

/// The propagation flags of mount(2).
pub const MS_UNBINDABLE: u64 = 1 << 17;
pub const MS_PRIVATE: u64 = 1 << 18;
pub const MS_SLAVE: u64 = 1 << 19;
pub const MS_SHARED: u64 = 1 << 20;
pub const MS_PROPAGATION: u64 = MS_UNBINDABLE | MS_PRIVATE | MS_SLAVE | MS_SHARED;

/// mount(2) with one propagation flag (and maybe `MS_REC`, `MS_SILENT`):
/// `EINVAL` for none or more than one.
pub fn change_propagation(at: &Path, flags: u64, recursive: bool) -> Result<()> {
    use fs::propagation::Change;
    let change = match flags & MS_PROPAGATION {
        MS_SHARED => Change::Shared,
        MS_SLAVE => Change::Slave,
        MS_PRIVATE => Change::Private,
        MS_UNBINDABLE => Change::Unbindable,
        _ => return Err(Errno::EINVAL),
    };
    crate::boot::kernel()
        .vfs
        .change_propagation(at, change, recursive)
}
