//! Adding and removing names of existing inodes: link, unlink and rmdir, and
//! link counts. A name removed from an inode that is still open leaves it on
//! the orphan list until its last reference goes; an `O_TMPFILE` file leaves
//! the list when it gets its first name. Link counts of directories
//! follow dir_nlink: past 65000 a directory counts 1.

use super::disk_inode::DiskInode;
use super::handle::Handle;
use super::inode::Inode;
use super::namei::check_name;
use super::superblock::RO_COMPAT_DIR_NLINK;
use crate::types::FileType;
use arch::{Errno, Result};
use std::sync::atomic::Ordering;

/// Linux's `EXT4_LINK_MAX`.
pub(super) const LINK_MAX: u16 = 65000;
/// Adds a link to directory record `disk` (a new subdirectory's "..").
pub(super) fn inc_dir_links(h: &Handle, disk: &mut DiskInode) -> Result<()> {
    if disk.links == 1 {
        return Ok(());
    }
    if disk.links >= LINK_MAX {
        if h.fs.sb.feature_ro_compat & RO_COMPAT_DIR_NLINK == 0 {
            return Err(Errno::EMLINK);
        }
        disk.links = 1;
    } else {
        disk.links += 1;
    }
    Ok(())
}

/// Drops a link from directory record `disk`, never below 2 (nor from 1).
pub(super) fn dec_dir_links(disk: &mut DiskInode) {
    if disk.links > 2 {
        disk.links -= 1;
    }
}

impl Inode {
    /// Adds the name `name` for `target`.
    pub(super) fn do_link(&self, name: &[u8], target: &Inode) -> Result<()> {
        check_name(name)?;
        if target.kind() == FileType::Directory {
            return Err(Errno::EPERM);
        }
        let mut h = self.fs.begin()?;
        match target.links() {
            0 if !target.linkable.load(Ordering::Relaxed) => return Err(Errno::ENOENT),
            n if n >= LINK_MAX => return Err(Errno::EMLINK),
            _ => {}
        }
        if self.links() == 0 {
            return Err(Errno::ENOENT);
        }
        if self.find(name)?.is_some() {
            return Err(Errno::EEXIST);
        }
        let ft = target.kind();
        self.change_dir(&mut h, true, |w| w.add(name, target.ino, ft))?;
        let ino = target.ino;
        target.change(&mut h, |h, d| {
            // An O_TMPFILE file getting its first name leaves the orphan list.
            if d.links == 0 {
                h.orphan_del(ino)?;
            }
            d.links += 1;
            d.ctime = h.now();
            Ok(())
        })?;
        target.linkable.store(false, Ordering::Relaxed);
        h.finish()
    }

    /// Removes the name `name`: a directory (which must be empty) if `dir`,
    /// else anything but a directory.
    pub(super) fn do_remove(&self, name: &[u8], dir: bool) -> Result<()> {
        if self.kind() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        let mut h = self.fs.begin()?;
        let (ino, _) = self.find(name)?.ok_or(Errno::ENOENT)?;
        let victim = self.fs.named_inode(ino)?;
        let victim_dir = victim.kind() == FileType::Directory;
        match (dir, victim_dir) {
            (false, true) => return Err(Errno::EISDIR),
            (true, false) => return Err(Errno::ENOTDIR),
            (true, true) if !victim.with_dir(|d| d.is_empty())? => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        self.change_dir(&mut h, true, |w| {
            w.remove(name)?;
            if victim_dir {
                dec_dir_links(w.disk);
            }
            Ok(())
        })?;
        victim.drop_link(&mut h)?;
        drop(victim);
        h.finish()
    }

    /// Drops one name of this inode (every name of a directory); an inode left
    /// with none goes on the orphan list.
    pub(super) fn drop_link(&self, h: &mut Handle) -> Result<()> {
        let is_dir = self.kind() == FileType::Directory;
        let ino = self.ino;
        self.change(h, |h, d| {
            if d.links == 0 {
                return Err(corrupt!("inode {ino}: unlinking an inode with no links"));
            }
            d.links = if is_dir { 0 } else { d.links - 1 };
            d.ctime = h.now();
            if d.links == 0 {
                h.orphan_add(ino)?;
            }
            Ok(())
        })
    }
}
