//! hostfs (UML's host filesystem): a directory of the host, mounted in the
//! guest. Files, directories and symlinks are the host's, with the host's
//! owners, modes, sizes, times, link counts and inode numbers; every change
//! is made on the host, as the host user running the kernel, so the host's
//! permission errors come back as the guest's errno. The guest's own
//! permission checks (the VFS's, with the modes the host reports) apply on
//! top.
//!
//! Confinement: each inode holds an open host descriptor of its file
//! (`arch::host::hostfs::HostFd`) and a directory reaches its children only
//! by `openat2(2)` of one name beneath its own descriptor, so no name, `..`
//! or symlink the guest makes or swaps can open a host file outside the
//! mounted directory; symlinks are followed by the guest's path walk, in the
//! guest's namespace. Mappings go through the kernel's page cache, which
//! reads and writes through `read_at` and `write_at`, as for ext4.
//!
//! As in UML, the kernel command line's `hostfs=DIR` confines every hostfs
//! mount: mount(2)'s data is a path taken beneath DIR (or beneath the host's
//! `/` without `hostfs=`), and a mount without data mounts DIR itself.

mod dir;
mod inode;

pub use inode::Inode;

use crate::inode::{FileSystem, Inode as VfsInode};
use crate::types::StatFs;
use arch::host::hostfs::{HostFd, OpenKind};
use arch::sync::Mutex;
use arch::{Errno, Result};
use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Weak};

/// `HOSTFS_SUPER_MAGIC`, the `f_type` statfs(2) reports, as UML's.
pub const HOSTFS_SUPER_MAGIC: u64 = 0x00c0_ffee;

/// A host file's identity: its host device and inode number.
type HostKey = (u64, u64);

/// What the inodes of one hostfs share.
pub(crate) struct Super {
    /// The device number its inodes report (an anonymous 0:N device).
    dev: u64,
    /// The mounted host directory (`O_PATH`), for statfs.
    root: HostFd,
    /// The live inodes by host identity: one object per host file, so that
    /// hard links share an inode and its page cache.
    inodes: Mutex<HashMap<HostKey, Weak<Inode>>>,
}

impl Super {
    /// Returns the live inode of the host file `key`.
    fn cached(&self, key: HostKey) -> Option<Arc<Inode>> {
        let found = self.inodes.lock().get(&key).and_then(Weak::upgrade);
        found
    }

    /// Records `inode` as the inode of its host file, unless another was
    /// recorded meanwhile, which is returned instead.
    fn insert(&self, inode: Arc<Inode>) -> Arc<Inode> {
        let existing = {
            let mut map = self.inodes.lock();
            match map.get(&inode.key()).and_then(Weak::upgrade) {
                Some(other) => Some(other),
                None => {
                    map.insert(inode.key(), Arc::downgrade(&inode));
                    None
                }
            }
        };
        // `inode` is dropped, if at all, with the lock released.
        existing.unwrap_or(inode)
    }

    /// Forgets the host file `key` if its inode is gone.
    fn forget(&self, key: HostKey) {
        let mut map = self.inodes.lock();
        if map.get(&key).is_some_and(|w| w.strong_count() == 0) {
            map.remove(&key);
        }
    }
}

/// A mounted host directory.
pub struct Hostfs {
    sb: Arc<Super>,
    root: Arc<Inode>,
}

impl Hostfs {
    /// Mounts the host directory `path` beneath the host directory `prefix`
    /// (a path of the host's user, trusted): `path` is resolved beneath it,
    /// so that `..` and symlinks cannot leave it (`EXDEV`, `ELOOP`), and an
    /// empty `path` is `prefix` itself. `dev` is the device number to report.
    pub fn mount(prefix: &Path, path: &[u8], dev: u64) -> Result<Arc<Hostfs>> {
        let top = HostFd::open_root(prefix)?;
        // "/." ends the path, so that a symlink last is followed, beneath.
        let rel: Vec<u8> = match path.iter().position(|&b| b != b'/') {
            Some(start) => [&path[start..], b"/."].concat(),
            None => b".".to_vec(),
        };
        let root = top.open(&rel, OpenKind::Path)?;
        if root.stat()?.mode & crate::types::S_IFMT
            != crate::types::FileType::Directory.to_mode_bits()
        {
            return Err(Errno::ENOTDIR);
        }
        let dir = root.open(b".", OpenKind::Directory).ok();
        let sb = Arc::new(Super {
            dev,
            root,
            inodes: Mutex::new(HashMap::new()),
        });
        let fd = match dir {
            Some(d) => d,
            None => sb.root.open(b".", OpenKind::Path)?,
        };
        let root = sb.insert(Inode::new(&sb, fd, true)?);
        Ok(Arc::new(Hostfs { sb, root }))
    }
}

impl FileSystem for Hostfs {
    fn root(&self) -> Result<Arc<dyn VfsInode>> {
        Ok(self.root.clone())
    }

    fn name(&self) -> &'static str {
        "hostfs"
    }

    fn dev(&self) -> u64 {
        self.sb.dev
    }

    /// Writes go to the host as they happen; the host keeps them.
    fn sync(&self) -> Result<()> {
        Ok(())
    }

    fn statfs(&self) -> StatFs {
        let st = self.sb.root.statfs().unwrap_or_default();
        StatFs {
            f_type: HOSTFS_SUPER_MAGIC,
            bsize: st.bsize,
            blocks: st.blocks,
            bfree: st.bfree,
            bavail: st.bavail,
            files: st.files,
            ffree: st.ffree,
            fsid: [self.sb.dev as u32, (self.sb.dev >> 32) as u32],
            namelen: st.namelen,
            frsize: st.frsize,
            flags: 0,
        }
    }
}

#[cfg(test)]
mod tests;
