//! `Vfs`, the mount tree: the root mount and every mount below it. Path walking
//! (`namei`), opening (`open`), making and removing names (`create`, `remove`,
//! `rename`), attribute changes (`attr`) and mounting and unmounting
//! (`namespace`) are methods of it defined in their own modules.

use crate::dentry::Dentry;
use crate::inode::FileSystem;
use crate::mount::{Mount, MountFlags, Path};
use arch::sync::{Mutex, MutexGuard};
use arch::Result;
use std::sync::Arc;

/// The mount tree of the system.
pub struct Vfs {
    root: Path,
    /// Every mount but the root, in mount order (later mounts cover earlier ones).
    mounts: Mutex<Vec<Arc<Mount>>>,
    /// Counts the changes of the mount tree (Linux's `mnt_ns->event`),
    /// which /proc/PID/mountinfo's pollers wait for on `mount_wait`.
    events: std::sync::atomic::AtomicU64,
    mount_wait: crate::WaitQueue,
}

impl Vfs {
    /// Creates a tree with `root_fs` mounted at "/".
    pub fn new(root_fs: Arc<dyn FileSystem>, read_only: bool) -> Result<Arc<Vfs>> {
        Self::new_with(root_fs, root_flags(read_only), "rootfs")
    }

    /// Creates a tree with `root_fs`, mounted from `source` with `flags`, at "/".
    pub fn new_with(
        root_fs: Arc<dyn FileSystem>,
        flags: MountFlags,
        source: &str,
    ) -> Result<Arc<Vfs>> {
        let dentry = Dentry::new_root(root_fs.root()?);
        let mnt = Mount::new(root_fs, dentry.clone(), None, flags, source);
        Ok(Arc::new(Vfs {
            root: Path { mnt, dentry },
            mounts: Mutex::default(),
            events: Default::default(),
            mount_wait: crate::WaitQueue::new(),
        }))
    }

    /// Returns "/" of the tree.
    pub fn root(&self) -> Path {
        self.root.clone()
    }

    /// Mounts `fs` on the directory `at`; it hides what was there.
    pub fn mount(&self, at: &Path, fs: Arc<dyn FileSystem>, read_only: bool) -> Result<()> {
        let source = fs.name();
        self.mount_fs(at, fs, root_flags(read_only), source)
            .map(|_| ())
    }

    /// Returns the list of mounts below the root, locked to change it: the
    /// change is announced (readers wait for the lock, so they see it).
    pub(crate) fn lock_mounts(&self) -> Result<MutexGuard<'_, Vec<Arc<Mount>>>> {
        let guard = self.mounts.lock();
        self.mounts_changed();
        Ok(guard)
    }

    /// Counts a change of the mount tree and wakes who waits for one.
    pub(crate) fn mounts_changed(&self) {
        self.events
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        self.mount_wait.wake_all();
    }

    /// Returns how many times the mount tree changed.
    pub fn mount_event(&self) -> u64 {
        self.events.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// Returns the queue woken when the mount tree changes.
    pub fn mount_wait(&self) -> &crate::WaitQueue {
        &self.mount_wait
    }

    /// Returns every mount, the root first, in mount order (for /proc/mounts).
    pub fn mounts(&self) -> Vec<Arc<Mount>> {
        let mut all = vec![self.root.mnt.clone()];
        {
            let m = self.mounts.lock();
            all.extend(m.iter().cloned());
        }
        all
    }

    /// Returns whether something is mounted on `dentry`.
    pub(crate) fn is_mountpoint(&self, dentry: &Arc<Dentry>) -> bool {
        self.mounts
            .lock()
            .iter()
            .any(|m| m.mountpoint().is_some_and(|(_, d)| Arc::ptr_eq(&d, dentry)))
    }

    /// Returns the place `path` shows once the mounts stacked on it are
    /// followed (Linux's follow_mount): what umount2 of "." after
    /// `pivot_root(".", ".")` names.
    pub fn follow_mounts(&self, path: Path) -> Path {
        let mut p = path;
        while let Some(top) = self.mounted_on(&p) {
            p = top;
        }
        p
    }

    /// Returns the mount on top of `path`, if something is mounted there.
    pub(crate) fn mounted_on(&self, path: &Path) -> Option<Path> {
        let mounts = self.mounts.lock();
        mounts
            .iter()
            .rev()
            .find(|m| {
                m.mountpoint().is_some_and(|(pm, pd)| {
                    Arc::ptr_eq(&pm, &path.mnt) && Arc::ptr_eq(&pd, &path.dentry)
                })
            })
            .map(|m| Path {
                mnt: m.clone(),
                dentry: m.root().clone(),
            })
    }
}

/// Returns the flags of a plain mount: relatime, and read-only if asked.
fn root_flags(read_only: bool) -> MountFlags {
    let mut f = MountFlags::RELATIME;
    if read_only {
        f |= MountFlags::RDONLY;
    }
    f
}
