//! The calls that make a new name: mkdir(2), mknod(2), symlink(2) and link(2),
//! each taking (root, start directory, path) as `Vfs::open` does. Linux's order
//! of errors is kept: a name that exists is `EEXIST` even on a read-only mount,
//! then `EROFS`, then (for link) `EXDEV`, then write and search permission on
//! the directory (`EACCES`), then `EPERM`. New inodes belong to the caller's
//! filesystem ids.

use crate::fsnotify;
use crate::inode::Inode;
use crate::mount::Path;
use crate::perm::{self, Credentials};
use crate::types::{FileType, Stat, S_IFMT};
use crate::vfs::Vfs;
use arch::abi::capability::CAP_MKNOD;
use arch::{Errno, Result};
use std::sync::Arc;

impl Vfs {
    /// Returns the directory and the name in it where `path` is to be created.
    /// A trailing slash is allowed only for a directory (`ENOENT` otherwise, as
    /// Linux's filename_create()).
    fn create_at(
        &self,
        cred: &Credentials,
        root: &Path,
        cwd: &Path,
        path: &[u8],
        dir: bool,
    ) -> Result<(Path, Vec<u8>)> {
        let (parent, name) = self.lookup_parent(cred, root, cwd, path)?;
        if matches!(&name[..], b"" | b"." | b"..") {
            return Err(Errno::EEXIST);
        }
        match parent.dentry.lookup(&name) {
            Ok(_) => return Err(Errno::EEXIST),
            Err(Errno::ENOENT) => {}
            Err(e) => return Err(e),
        }
        if !dir && path.ends_with(b"/") {
            return Err(Errno::ENOENT);
        }
        if parent.mnt.read_only() {
            return Err(Errno::EROFS);
        }
        Ok((parent, name))
    }

    /// Creates the directory `path` with permission bits `mode` (umask applied by
    /// the caller), as mkdir(2).
    pub fn mkdir(
        &self,
        cred: &Credentials,
        root: &Path,
        cwd: &Path,
        path: &[u8],
        mode: u32,
    ) -> Result<()> {
        let (dir, name) = self.create_at(cred, root, cwd, path, true)?;
        may_create(cred, &dir)?;
        let new = dir.inode().mkdir(&name, mode & 0o7777, cred.owner())?;
        created(&dir, &new, &name);
        Ok(())
    }

    /// Creates a regular file, device node, FIFO or socket, as mknod(2): `mode`
    /// holds the `S_IFMT` type (0 means a regular file) and the permission bits;
    /// `EPERM` for a directory, `EINVAL` for a symlink or an unknown type;
    /// device nodes are root's to make (CAP_MKNOD).
    pub fn mknod(
        &self,
        cred: &Credentials,
        root: &Path,
        cwd: &Path,
        path: &[u8],
        mode: u32,
        rdev: u64,
    ) -> Result<()> {
        self.mknod_inode(cred, root, cwd, path, mode, rdev)
            .map(|_| ())
    }

    /// Creates a node as `mknod` does and returns its inode (bind(2) of a
    /// Unix socket keeps the socket file's).
    pub fn mknod_inode(
        &self,
        cred: &Credentials,
        root: &Path,
        cwd: &Path,
        path: &[u8],
        mode: u32,
        rdev: u64,
    ) -> Result<Arc<dyn Inode>> {
        let mode = match mode & S_IFMT {
            0 => mode | FileType::Regular.to_mode_bits(),
            _ => mode,
        };
        let rdev = match FileType::from_mode(mode) {
            Some(FileType::Directory) => return Err(Errno::EPERM),
            Some(FileType::Symlink) | None => return Err(Errno::EINVAL),
            Some(FileType::CharDevice | FileType::BlockDevice) => rdev,
            Some(_) => 0,
        };
        let (dir, name) = self.create_at(cred, root, cwd, path, false)?;
        let dst = may_create(cred, &dir)?;
        let is_dev = matches!(
            FileType::from_mode(mode),
            Some(FileType::CharDevice | FileType::BlockDevice)
        );
        if is_dev && !cred.capable(CAP_MKNOD) {
            return Err(Errno::EPERM);
        }
        let mode = perm::strip_sgid(cred, &dst, mode & (S_IFMT | 0o7777));
        let new = dir.inode().mknod(&name, mode, rdev, cred.owner())?;
        created(&dir, &new, &name);
        Ok(new)
    }

    /// Creates the symlink `path` pointing at `target`, as symlink(2) (`ENOENT`
    /// for an empty target).
    pub fn symlink(
        &self,
        cred: &Credentials,
        root: &Path,
        cwd: &Path,
        target: &[u8],
        path: &[u8],
    ) -> Result<()> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        let (dir, name) = self.create_at(cred, root, cwd, path, false)?;
        may_create(cred, &dir)?;
        let new = dir.inode().symlink(&name, target, cred.owner())?;
        created(&dir, &new, &name);
        Ok(())
    }

    /// Gives the file `old` (already resolved by the caller, who decides about
    /// following symlinks) the new name `path`, as link(2): `EXDEV` across
    /// mounts, `EPERM` for a directory.
    pub fn link(
        &self,
        cred: &Credentials,
        root: &Path,
        old: &Path,
        cwd: &Path,
        path: &[u8],
    ) -> Result<()> {
        let (dir, name) = self.create_at(cred, root, cwd, path, false)?;
        if !Arc::ptr_eq(&old.mnt, &dir.mnt) {
            return Err(Errno::EXDEV);
        }
        may_create(cred, &dir)?;
        let inode = old.inode();
        if inode.file_type() == FileType::Directory {
            return Err(Errno::EPERM);
        }
        crate::fileattr::may_modify(inode.as_ref(), true)?;
        dir.inode().link(&name, &inode)?;
        fsnotify::inode_event(inode.as_ref(), fsnotify::IN_ATTRIB);
        created(&dir, &inode, &name);
        Ok(())
    }
}

/// Reports the new entry `name` for `inode` in `dir` to its watchers.
fn created(dir: &Path, inode: &Arc<dyn Inode>, name: &[u8]) {
    fsnotify::name_event(
        dir.inode().as_ref(),
        inode.as_ref(),
        fsnotify::IN_CREATE,
        name,
        0,
    );
}

/// Checks that `cred` may add a name to `dir`; returns the directory's
/// attributes.
fn may_create(cred: &Credentials, dir: &Path) -> Result<Stat> {
    let st = dir.inode().stat()?;
    crate::fileattr::may_add(dir.inode().as_ref())?;
    perm::may_create(cred, &st)?;
    Ok(st)
}
