//! Changing the mount tree, as mount(2) and umount2(2) do (Linux's
//! fs/namespace.c): mounting a filesystem on a directory, bind mounts of a
//! directory or a file (recursive ones copy the mounts below the source),
//! changing a mount's flags, moving a mount, and taking a mount out of the
//! tree — refused with `EBUSY` while anything is mounted below it, unless it is
//! detached lazily with everything below it. Whether a process still works
//! inside a mount is the caller's to check: the VFS does not know processes.

use crate::dentry::Dentry;
use crate::inode::FileSystem;
use crate::mount::{Mount, MountFlags, Path};
use crate::types::FileType;
use crate::vfs::Vfs;
use arch::{Errno, Result};
use std::sync::Arc;

fn is_dir(p: &Path) -> bool {
    p.inode().file_type() == FileType::Directory
}

/// Returns `EINVAL` unless `p` is the root of its mount.
fn check_mount_root(p: &Path) -> Result<()> {
    if Arc::ptr_eq(&p.dentry, p.mnt.root()) {
        Ok(())
    } else {
        Err(Errno::EINVAL)
    }
}

/// Returns the mounts of `mounts` that sit on `src` below `under`, each copied
/// onto `dst`, and recursively the mounts on those.
fn copy_tree(
    mounts: &[Arc<Mount>],
    src: &Arc<Mount>,
    under: &Arc<Dentry>,
    dst: &Arc<Mount>,
    out: &mut Vec<Arc<Mount>>,
) {
    for m in mounts {
        let Some((pm, pd)) = m.mountpoint() else {
            continue;
        };
        if Arc::ptr_eq(&pm, src) && pd.descends_from(under) && !m.propagation().unbindable {
            let copy = Mount::new(
                m.fs().clone(),
                m.root().clone(),
                Some((dst.clone(), pd)),
                m.flags(),
                m.source(),
            );
            out.push(copy.clone());
            copy_tree(mounts, m, m.root(), &copy, out);
        }
    }
}

/// Returns the mounts of `mounts` that lie below `top` (not `top` itself).
pub(crate) fn descendants(mounts: &[Arc<Mount>], top: &Arc<Mount>) -> Vec<Arc<Mount>> {
    let mut found: Vec<Arc<Mount>> = Vec::new();
    loop {
        let before = found.len();
        for m in mounts {
            if found.iter().any(|f| Arc::ptr_eq(f, m)) {
                continue;
            }
            let Some((parent, _)) = m.mountpoint() else {
                continue;
            };
            if Arc::ptr_eq(&parent, top) || found.iter().any(|f| Arc::ptr_eq(f, &parent)) {
                found.push(m.clone());
            }
        }
        if found.len() == before {
            return found;
        }
    }
}

impl Vfs {
    /// Mounts `fs`, named `source`, with `flags` on the directory `at`; it hides
    /// what was there. Returns the new mount.
    pub fn mount_fs(
        &self,
        at: &Path,
        fs: Arc<dyn FileSystem>,
        flags: MountFlags,
        source: &str,
    ) -> Result<Arc<Mount>> {
        if !is_dir(at) {
            return Err(Errno::ENOTDIR);
        }
        if at.dentry.is_deleted() {
            return Err(Errno::ENOENT);
        }
        let dentry = Dentry::new_root(fs.root()?);
        let mnt = Mount::new(
            fs,
            dentry,
            Some((at.mnt.clone(), at.dentry.clone())),
            flags,
            source,
        );
        let mut mounts = self.lock_mounts()?;
        mounts.push(mnt.clone());
        self.propagate_mounts(&mut mounts, std::slice::from_ref(&mnt));
        Ok(mnt)
    }

    /// Makes what `from` names visible at `at` too (MS_BIND): a directory on a
    /// directory or a file on a file (`ENOTDIR` otherwise). With `recursive`
    /// (MS_REC) the mounts below `from` come along.
    pub fn bind_mount(
        &self,
        from: &Path,
        at: &Path,
        flags: MountFlags,
        recursive: bool,
    ) -> Result<()> {
        if is_dir(from) != is_dir(at) {
            return Err(Errno::ENOTDIR);
        }
        if at.dentry.is_deleted() || from.dentry.is_deleted() {
            return Err(Errno::ENOENT);
        }
        if from.mnt.propagation().unbindable {
            return Err(Errno::EINVAL);
        }
        let mnt = Mount::new(
            from.mnt.fs().clone(),
            from.dentry.clone(),
            Some((at.mnt.clone(), at.dentry.clone())),
            flags,
            from.mnt.source(),
        );
        let mut mounts = self.lock_mounts()?;
        let mut new = vec![mnt.clone()];
        if recursive {
            copy_tree(&mounts, &from.mnt, &from.dentry, &mnt, &mut new);
        }
        mounts.extend(new.iter().cloned());
        self.propagate_mounts(&mut mounts, &new);
        Ok(())
    }

    /// Sets the flags of the mount whose root `path` is (MS_REMOUNT).
    pub fn remount(&self, path: &Path, flags: MountFlags) -> Result<()> {
        check_mount_root(path)?;
        path.mnt.set_flags(flags);
        self.mounts_changed();
        Ok(())
    }

    /// Remounts the filesystem whose mount root `path` is (MS_REMOUNT without
    /// MS_BIND): the filesystem itself turns read-only or read-write first,
    /// then the mount takes `flags`.
    pub fn remount_fs(&self, path: &Path, flags: MountFlags) -> Result<()> {
        check_mount_root(path)?;
        path.mnt.fs().remount(flags.contains(MountFlags::RDONLY))?;
        path.mnt.set_flags(flags);
        self.mounts_changed();
        Ok(())
    }

    /// Moves the mount whose root `from` is to `to` (MS_MOVE): `EINVAL` for the
    /// root or a mount out of the tree, `ELOOP` into its own subtree.
    pub fn move_mount(&self, from: &Path, to: &Path) -> Result<()> {
        check_mount_root(from)?;
        if is_dir(from) != is_dir(to) {
            return Err(Errno::ENOTDIR);
        }
        let mut mounts = self.lock_mounts()?;
        let i = mounts
            .iter()
            .position(|m| Arc::ptr_eq(m, &from.mnt))
            .ok_or(Errno::EINVAL)?;
        let mut at = Some(to.mnt.clone());
        while let Some(m) = at {
            if Arc::ptr_eq(&m, &from.mnt) {
                return Err(Errno::ELOOP);
            }
            at = m.mountpoint().map(|(p, _)| p);
        }
        let mnt = mounts.remove(i);
        mnt.set_mountpoint(Some((to.mnt.clone(), to.dentry.clone())));
        mounts.push(mnt);
        Ok(())
    }

    /// Takes the mount whose root `path` is out of the tree (umount2(2)):
    /// `EINVAL` if `path` is not a mount's root or the mount is not in the
    /// tree, `EBUSY` for "/" or while something is mounted below it — unless
    /// `detach` (MNT_DETACH), which takes everything below it out too.
    pub fn umount(&self, path: &Path, detach: bool) -> Result<()> {
        check_mount_root(path)?;
        // A namespace's root stays.
        if path.mnt.mountpoint().is_none() {
            return Err(if detach { Errno::EINVAL } else { Errno::EBUSY });
        }
        let mut mounts = self.lock_mounts()?;
        let init_root = Arc::ptr_eq(&path.mnt, &self.root().mnt);
        if !init_root && !mounts.iter().any(|m| Arc::ptr_eq(m, &path.mnt)) {
            return Err(Errno::EINVAL);
        }
        let mut gone = descendants(&mounts, &path.mnt);
        if !detach && !gone.is_empty() {
            return Err(Errno::EBUSY);
        }
        gone.push(path.mnt.clone());
        // The copies the mount spread to go with it, when nothing is
        // mounted on them (or with what is, when detaching).
        for copy in self.propagated_unmounts(&mounts, &path.mnt) {
            let below = descendants(&mounts, &copy);
            if !below.is_empty() && !detach {
                continue;
            }
            gone.extend(below);
            gone.push(copy);
        }
        mounts.retain(|m| !gone.iter().any(|g| Arc::ptr_eq(g, m)));
        // A tree of dentries no mount left uses is pruned, so that it frees.
        let root = self.root().mnt;
        let last: Vec<bool> = gone
            .iter()
            .map(|g| {
                let top = g.root().top();
                !mounts
                    .iter()
                    .chain(std::iter::once(&root))
                    .any(|m| Arc::ptr_eq(&m.root().top(), &top))
            })
            .collect();
        drop(mounts);
        for (m, last) in gone.iter().zip(last) {
            m.set_mountpoint(None);
            if last {
                crate::fsnotify::unmount(m.fs().dev());
                m.root().prune_tree();
            }
        }
        Ok(())
    }
}

/// Mounts `fs` outside the tree (Linux's `kern_mount`): a mount no path walk
/// reaches, for files the kernel makes for itself (memfd_create's).
pub fn internal_mount(fs: Arc<dyn FileSystem>, source: &str) -> Result<Path> {
    let root = Dentry::new_root(fs.root()?);
    let mnt = Mount::new(fs, root.clone(), None, MountFlags::empty(), source);
    Ok(Path { mnt, dentry: root })
}
