//! `Vfs`, the mount tree: the root mount and every mount below it. Path walking
//! (`namei`), opening (`open`), making and removing names (`create`, `remove`,
//! `rename`) and attribute changes (`attr`) are methods of it defined in their
//! own modules.

use crate::dentry::Dentry;
use crate::inode::FileSystem;
use crate::mount::{Mount, Path};
use crate::types::FileType;
use arch::{Errno, Result};
use std::sync::{Arc, Mutex};

/// The mount tree of the system.
pub struct Vfs {
    root: Path,
    /// Every mount but the root, in mount order (later mounts cover earlier ones).
    mounts: Mutex<Vec<Arc<Mount>>>,
}

impl Vfs {
    /// Creates a tree with `root_fs` mounted at "/".
    pub fn new(root_fs: Arc<dyn FileSystem>, read_only: bool) -> Result<Arc<Vfs>> {
        let dentry = Dentry::new_root(root_fs.root()?);
        let mnt = Mount::new(root_fs, dentry.clone(), None, read_only);
        Ok(Arc::new(Vfs {
            root: Path { mnt, dentry },
            mounts: Mutex::default(),
        }))
    }

    /// Returns "/" of the tree.
    pub fn root(&self) -> Path {
        self.root.clone()
    }

    /// Mounts `fs` on the directory `at`; it hides what was there.
    pub fn mount(&self, at: &Path, fs: Arc<dyn FileSystem>, read_only: bool) -> Result<()> {
        if at.inode().file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        let dentry = Dentry::new_root(fs.root()?);
        let mnt = Mount::new(
            fs,
            dentry,
            Some((at.mnt.clone(), at.dentry.clone())),
            read_only,
        );
        self.mounts.lock().map_err(|_| Errno::EIO)?.push(mnt);
        Ok(())
    }

    /// Returns every mount, the root first (for /proc/mounts).
    pub fn mounts(&self) -> Vec<Arc<Mount>> {
        let mut all = vec![self.root.mnt.clone()];
        if let Ok(m) = self.mounts.lock() {
            all.extend(m.iter().cloned());
        }
        all
    }

    /// Returns whether something is mounted on `dentry`.
    pub(crate) fn is_mountpoint(&self, dentry: &Arc<Dentry>) -> bool {
        self.mounts.lock().is_ok_and(|mounts| {
            mounts
                .iter()
                .any(|m| m.mountpoint().is_some_and(|(_, d)| Arc::ptr_eq(d, dentry)))
        })
    }

    /// Returns the mount on top of `path`, if something is mounted there.
    pub(crate) fn mounted_on(&self, path: &Path) -> Option<Path> {
        let mounts = self.mounts.lock().ok()?;
        mounts
            .iter()
            .rev()
            .find(|m| {
                m.mountpoint().is_some_and(|(pm, pd)| {
                    Arc::ptr_eq(pm, &path.mnt) && Arc::ptr_eq(pd, &path.dentry)
                })
            })
            .map(|m| Path {
                mnt: m.clone(),
                dentry: m.root().clone(),
            })
    }
}
