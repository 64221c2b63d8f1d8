//! Mounts and paths. A `Mount` attaches a filesystem's root dentry at a dentry of a
//! parent mount; a `Path` is the (mount, dentry) pair that names a place in the
//! whole tree, as Linux's `struct path`.

use crate::dentry::Dentry;
use crate::inode::{FileSystem, Inode};
use std::sync::Arc;

/// One mounted filesystem in the mount tree.
pub struct Mount {
    fs: Arc<dyn FileSystem>,
    root: Arc<Dentry>,
    /// The parent mount and the dentry in it we are mounted on; `None` for "/".
    mountpoint: Option<(Arc<Mount>, Arc<Dentry>)>,
    read_only: bool,
}

impl Mount {
    pub(crate) fn new(
        fs: Arc<dyn FileSystem>,
        root: Arc<Dentry>,
        mountpoint: Option<(Arc<Mount>, Arc<Dentry>)>,
        read_only: bool,
    ) -> Arc<Mount> {
        Arc::new(Mount {
            fs,
            root,
            mountpoint,
            read_only,
        })
    }

    /// Returns the mounted filesystem.
    pub fn fs(&self) -> &Arc<dyn FileSystem> {
        &self.fs
    }

    /// Returns the root dentry of the mounted filesystem.
    pub fn root(&self) -> &Arc<Dentry> {
        &self.root
    }

    /// Returns the parent mount and the dentry this mount covers.
    pub fn mountpoint(&self) -> Option<&(Arc<Mount>, Arc<Dentry>)> {
        self.mountpoint.as_ref()
    }

    /// Returns whether the mount is read-only (`MS_RDONLY`).
    pub fn read_only(&self) -> bool {
        self.read_only
    }
}

/// A place in the mount tree: a dentry as seen through a mount.
#[derive(Clone)]
pub struct Path {
    pub mnt: Arc<Mount>,
    pub dentry: Arc<Dentry>,
}

impl Path {
    /// Returns the inode this path names.
    pub fn inode(&self) -> Arc<dyn Inode> {
        self.dentry.inode().clone()
    }

    /// Returns whether both paths name the same (mount, dentry).
    pub fn same(&self, other: &Path) -> bool {
        Arc::ptr_eq(&self.mnt, &other.mnt) && Arc::ptr_eq(&self.dentry, &other.dentry)
    }

    /// Returns the absolute path of this place as seen from `root` (for getcwd(2) and
    /// /proc/self/exe); a place outside `root` is named from the top of the tree.
    pub fn to_bytes(&self, root: &Path) -> Vec<u8> {
        let mut names: Vec<Vec<u8>> = Vec::new();
        let mut mnt = self.mnt.clone();
        let mut dentry = self.dentry.clone();
        loop {
            if Arc::ptr_eq(&mnt, &root.mnt) && Arc::ptr_eq(&dentry, &root.dentry) {
                break;
            }
            if Arc::ptr_eq(&dentry, &mnt.root) {
                match mnt.mountpoint.clone() {
                    Some((parent, at)) => {
                        mnt = parent;
                        dentry = at;
                        continue;
                    }
                    None => break,
                }
            }
            match dentry.parent() {
                Some(p) => {
                    names.push(dentry.name());
                    dentry = p;
                }
                None => break,
            }
        }
        if names.is_empty() {
            return b"/".to_vec();
        }
        let mut out = Vec::new();
        for name in names.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(name);
        }
        out
    }
}

impl core::fmt::Debug for Path {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Path({:?})", self.dentry)
    }
}
