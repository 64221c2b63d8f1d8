//! rename(2) and renameat2(2) across the mount tree: `EXDEV` between mounts,
//! `EROFS`, `EBUSY` for "." and ".." and mount points, `EINVAL` for moving a
//! directory into its own subtree, trailing-slash rules; the filesystem does the
//! rest. Afterwards the dentry moves (or two swap places), so cached paths below
//! a renamed directory follow it. Permissions are those of removing the old
//! name and making (or replacing) the new one, plus write permission on a
//! directory that changes parent, whose ".." changes.

use crate::dentry::Dentry;
use crate::fileattr;
use crate::fsnotify;
use crate::mount::Path;
use crate::perm::{self, permission, Access, Credentials};
use crate::remove::may_delete;
use crate::types::{FileType, RenameFlags};
use crate::vfs::Vfs;
use arch::abi::capability::{CAP_DAC_OVERRIDE, CAP_FOWNER};
use arch::{Errno, Result};
use std::sync::Arc;

fn is_dir(d: &Dentry) -> bool {
    d.inode().file_type() == FileType::Directory
}

impl Vfs {
    /// Renames `old_path` (from `old_cwd`) to `new_path` (from `new_cwd`).
    #[expect(clippy::too_many_arguments, reason = "renameat2(2)'s own arguments")]
    pub fn rename(
        &self,
        cred: &Credentials,
        root: &Path,
        old_cwd: &Path,
        old_path: &[u8],
        new_cwd: &Path,
        new_path: &[u8],
        flags: RenameFlags,
    ) -> Result<()> {
        let exchange = flags.contains(RenameFlags::EXCHANGE);
        if exchange && flags.intersects(RenameFlags::NOREPLACE | RenameFlags::WHITEOUT) {
            return Err(Errno::EINVAL);
        }
        let (old_dir, old_name) = self.lookup_parent(cred, root, old_cwd, old_path)?;
        let (new_dir, new_name) = self.lookup_parent(cred, root, new_cwd, new_path)?;
        if matches!(&old_name[..], b"" | b"." | b"..") {
            return Err(Errno::EBUSY);
        }
        if matches!(&new_name[..], b"" | b"." | b"..") {
            return Err(match flags.contains(RenameFlags::NOREPLACE) {
                true => Errno::EEXIST,
                false => Errno::EBUSY,
            });
        }
        if !Arc::ptr_eq(&old_dir.mnt, &new_dir.mnt) {
            return Err(Errno::EXDEV);
        }
        if old_dir.mnt.read_only() {
            return Err(Errno::EROFS);
        }
        let old = old_dir.dentry.lookup(&old_name)?;
        let new = match new_dir.dentry.lookup(&new_name) {
            Ok(d) => Some(d),
            Err(Errno::ENOENT) if !exchange => None,
            Err(e) => return Err(e),
        };
        if new.is_some() && flags.contains(RenameFlags::NOREPLACE) {
            return Err(Errno::EEXIST);
        }
        if !is_dir(&old) && (old_path.ends_with(b"/") || !exchange && new_path.ends_with(b"/")) {
            return Err(Errno::ENOTDIR);
        }
        if let Some(new) = &new {
            if exchange && !is_dir(new) && new_path.ends_with(b"/") {
                return Err(Errno::ENOTDIR);
            }
        }
        if is_dir(&old) && new_dir.dentry.descends_from(&old) {
            return Err(Errno::EINVAL);
        }
        if let Some(new) = &new {
            if is_dir(new) && old_dir.dentry.descends_from(new) {
                return Err(if exchange {
                    Errno::EINVAL
                } else {
                    Errno::ENOTEMPTY
                });
            }
            if old.inode().is_same(new.inode().as_ref()) {
                return Ok(());
            }
        }
        self.may_rename(cred, (&old_dir, &old), (&new_dir, new.as_ref()), exchange)?;
        if let Some(new) = &new {
            match (exchange, is_dir(&old), is_dir(new)) {
                (false, true, false) => return Err(Errno::ENOTDIR),
                (false, false, true) => return Err(Errno::EISDIR),
                _ => {}
            }
            if self.is_mountpoint(new) {
                return Err(Errno::EBUSY);
            }
        }
        if self.is_mountpoint(&old) {
            return Err(Errno::EBUSY);
        }
        old_dir
            .inode()
            .rename(&old_name, &new_dir.inode(), &new_name, flags)?;
        let (od, nd) = (old_dir.inode(), new_dir.inode());
        let target = new
            .as_ref()
            .filter(|_| !exchange)
            .map(|n| n.inode().as_ref());
        fsnotify::moved(
            (od.as_ref(), &old_name),
            (nd.as_ref(), &new_name),
            old.inode().as_ref(),
            target,
        );
        if let Some(new) = new.as_ref().filter(|_| exchange) {
            let from = (nd.as_ref(), &new_name[..]);
            fsnotify::moved(from, (od.as_ref(), &old_name), new.inode().as_ref(), None);
        }
        match &new {
            Some(new) if exchange => Dentry::d_exchange(&old, new),
            _ => old.d_move(&new_dir.dentry, &new_name),
        }
        Ok(())
    }
}

impl Vfs {
    /// Checks that `cred` may move `old` out of `old_dir` and into `new_dir`,
    /// over `new` if there is one.
    fn may_rename(
        &self,
        cred: &Credentials,
        (old_dir, old): (&Path, &Arc<Dentry>),
        (new_dir, new): (&Path, Option<&Arc<Dentry>>),
        exchange: bool,
    ) -> Result<()> {
        // The attribute flags bind root too.
        fileattr::may_remove(old_dir.inode().as_ref(), old.inode().as_ref())?;
        match new {
            Some(new) => fileattr::may_remove(new_dir.inode().as_ref(), new.inode().as_ref())?,
            None => fileattr::may_add(new_dir.inode().as_ref())?,
        }
        if !Arc::ptr_eq(&old_dir.dentry, &new_dir.dentry) && is_dir(old) {
            fileattr::may_modify(old.inode().as_ref(), false)?;
        }
        if cred.capable(CAP_DAC_OVERRIDE) && cred.capable(CAP_FOWNER) {
            return Ok(());
        }
        may_delete(cred, old_dir, old)?;
        match new {
            Some(new) => may_delete(cred, new_dir, new)?,
            None => perm::may_create(cred, &new_dir.inode().stat()?)?,
        }
        if !Arc::ptr_eq(&old_dir.dentry, &new_dir.dentry) {
            if is_dir(old) {
                permission(cred, &old.inode().stat()?, Access::WRITE)?;
            }
            if let Some(new) = new.filter(|n| exchange && is_dir(n)) {
                permission(cred, &new.inode().stat()?, Access::WRITE)?;
            }
        }
        Ok(())
    }
}
