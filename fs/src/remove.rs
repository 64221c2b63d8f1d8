//! The calls that remove a name: unlink(2) and rmdir(2). After the filesystem
//! removed it, the dentry is marked deleted and leaves the cache; open files keep
//! the inode. Mount points and the caller's root are `EBUSY`, as on Linux.
//! The caller needs write and search permission on the directory (`EACCES`)
//! and, in a sticky one, to own the file or the directory (`EPERM`).

use crate::dentry::Dentry;
use crate::fsnotify;
use crate::mount::Path;
use crate::perm::{self, Credentials};
use crate::types::FileType;
use crate::vfs::Vfs;
use arch::abi::capability::{CAP_DAC_OVERRIDE, CAP_FOWNER};
use arch::{Errno, Result};

impl Vfs {
    /// Removes the non-directory `path`, as unlink(2): `EISDIR` for a directory
    /// (Linux's answer where POSIX allows EPERM), `ENOTDIR` for a non-directory
    /// named with a trailing slash.
    pub fn unlink(&self, cred: &Credentials, root: &Path, cwd: &Path, path: &[u8]) -> Result<()> {
        let (dir, name) = self.lookup_parent(cred, root, cwd, path)?;
        if matches!(&name[..], b"" | b"." | b"..") {
            return Err(Errno::EISDIR);
        }
        if dir.mnt.read_only() {
            return Err(Errno::EROFS);
        }
        let victim = dir.dentry.lookup(&name)?;
        let is_dir = victim.inode().file_type() == FileType::Directory;
        if path.ends_with(b"/") {
            return Err(if is_dir {
                Errno::EISDIR
            } else {
                Errno::ENOTDIR
            });
        }
        may_delete(cred, &dir, &victim)?;
        if is_dir {
            return Err(Errno::EISDIR);
        }
        if self.is_mountpoint(&victim) {
            return Err(Errno::EBUSY);
        }
        dir.inode().unlink(&name)?;
        victim.delete();
        let inode = victim.inode().as_ref();
        fsnotify::inode_event(inode, fsnotify::IN_ATTRIB);
        fsnotify::dentry_removed(&victim);
        fsnotify::name_event(dir.inode().as_ref(), inode, fsnotify::IN_DELETE, &name, 0);
        Ok(())
    }

    /// Removes the empty directory `path`, as rmdir(2): `EINVAL` for ".",
    /// `ENOTEMPTY` for "..", `EBUSY` for "/", a mount point or the caller's root.
    pub fn rmdir(&self, cred: &Credentials, root: &Path, cwd: &Path, path: &[u8]) -> Result<()> {
        let (dir, name) = self.lookup_parent(cred, root, cwd, path)?;
        match &name[..] {
            b"." => return Err(Errno::EINVAL),
            b".." => return Err(Errno::ENOTEMPTY),
            b"" => return Err(Errno::EBUSY),
            _ => {}
        }
        if dir.mnt.read_only() {
            return Err(Errno::EROFS);
        }
        let victim = dir.dentry.lookup(&name)?;
        may_delete(cred, &dir, &victim)?;
        if victim.inode().file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        let place = Path {
            mnt: dir.mnt.clone(),
            dentry: victim.clone(),
        };
        let is_root = place.same(root);
        drop(place);
        if self.is_mountpoint(&victim) || is_root {
            return Err(Errno::EBUSY);
        }
        dir.inode().rmdir(&name)?;
        victim.delete();
        let inode = victim.inode().as_ref();
        fsnotify::dentry_removed(&victim);
        fsnotify::name_event(dir.inode().as_ref(), inode, fsnotify::IN_DELETE, &name, 0);
        Ok(())
    }
}

/// Checks that `cred` may remove the name of `victim` from `dir`.
pub(crate) fn may_delete(cred: &Credentials, dir: &Path, victim: &Dentry) -> Result<()> {
    crate::fileattr::may_remove(dir.inode().as_ref(), victim.inode().as_ref())?;
    if cred.capable(CAP_DAC_OVERRIDE) && cred.capable(CAP_FOWNER) {
        return Ok(());
    }
    perm::may_delete(cred, &dir.inode().stat()?, &victim.inode().stat()?)
}
