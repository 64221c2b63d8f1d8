//! rename(2) and renameat2(2) across the mount tree: `EXDEV` between mounts,
//! `EROFS`, `EBUSY` for "." and ".." and mount points, `EINVAL` for moving a
//! directory into its own subtree, trailing-slash rules; the filesystem does the
//! rest. Afterwards the dentry moves (or two swap places), so cached paths below
//! a renamed directory follow it.

use crate::dentry::Dentry;
use crate::mount::Path;
use crate::types::{FileType, RenameFlags};
use crate::vfs::Vfs;
use arch::{Errno, Result};
use std::sync::Arc;

fn is_dir(d: &Dentry) -> bool {
    d.inode().file_type() == FileType::Directory
}

impl Vfs {
    /// Renames `old_path` (from `old_cwd`) to `new_path` (from `new_cwd`).
    pub fn rename(
        &self,
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
        let (old_dir, old_name) = self.lookup_parent(root, old_cwd, old_path)?;
        let (new_dir, new_name) = self.lookup_parent(root, new_cwd, new_path)?;
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
        match &new {
            Some(new) if exchange => Dentry::d_exchange(&old, new),
            _ => old.d_move(&new_dir.dentry, &new_name),
        }
        Ok(())
    }
}
