//! The attribute flags of ext4 files and directories, kept in the inode's
//! `i_flags` on disk, as Linux's ext4_fileattr_get/set answer: the visible
//! flags (`EXT4_FL_USER_VISIBLE`) shown, the modifiable ones
//! (`EXT4_FL_USER_MODIFIABLE`) changed, any other `EOPNOTSUPP`, as is a
//! directory-only flag on a regular file; nothing but the immutable flag
//! itself changes while a file is immutable (`EPERM`). New inodes take
//! their directory's inheritable flags (`EXT4_FL_INHERITED`). Changing
//! the extents, data-journaling or casefold flags would convert the file,
//! which this ext4 does not do (`EOPNOTSUPP`). FS_IOC_FSSETXATTR sets the
//! same flags and, as Linux's ext4, ignores the extent size hints and the
//! xflags it has no flag for; without the project feature (this ext4 has
//! none) a project id but 0 is `EOPNOTSUPP`, after the flags are set.

use super::disk_inode::EXT4_EXTENTS_FL;
use super::inode::Inode;
use crate::fileattr::{
    FsXattr, FS_COMPR_FL, FS_DIRSYNC_FL, FS_IMMUTABLE_FL, FS_NOATIME_FL, FS_NODUMP_FL, FS_SECRM_FL,
    FS_SYNC_FL, FS_UNRM_FL,
};
use crate::types::FileType;
use arch::{Errno, Result};

const NOCOMPR_FL: u32 = 0x400;
const JOURNAL_DATA_FL: u32 = 0x4000;
const NOTAIL_FL: u32 = 0x8000;
const TOPDIR_FL: u32 = 0x20000;
const PROJINHERIT_FL: u32 = 0x2000_0000;
const CASEFOLD_FL: u32 = 0x4000_0000;
/// What FS_IOC_GETFLAGS shows (`EXT4_FL_USER_VISIBLE`).
const VISIBLE: u32 = 0x725B_DFFF;
/// What FS_IOC_SETFLAGS changes (`EXT4_FL_USER_MODIFIABLE`).
const MODIFIABLE: u32 = 0x624B_C0FF;
/// The flags that would make this ext4 convert the file.
const CONVERTING: u32 = EXT4_EXTENTS_FL | JOURNAL_DATA_FL | CASEFOLD_FL;
/// What a new inode takes from its directory (`EXT4_FL_INHERITED`).
const INHERITED: u32 = FS_SECRM_FL
    | FS_UNRM_FL
    | FS_COMPR_FL
    | FS_SYNC_FL
    | FS_NODUMP_FL
    | FS_NOATIME_FL
    | NOCOMPR_FL
    | JOURNAL_DATA_FL
    | NOTAIL_FL
    | FS_DIRSYNC_FL
    | PROJINHERIT_FL
    | CASEFOLD_FL;

/// Returns the flags of `flags` an inode of type `ft` may have (Linux's
/// ext4_mask_flags).
pub(super) fn mask_flags(ft: FileType, flags: u32) -> u32 {
    match ft {
        FileType::Directory => flags,
        FileType::Regular => flags & !(FS_DIRSYNC_FL | TOPDIR_FL | CASEFOLD_FL | PROJINHERIT_FL),
        _ => flags & (FS_NODUMP_FL | FS_NOATIME_FL),
    }
}

/// Returns the flags a new inode of type `ft` takes from a directory with
/// flags `parent`.
pub(super) fn inherited(ft: FileType, parent: u32) -> u32 {
    // Nothing here converts files: the data-journaling and casefold flags
    // stay with their directory.
    mask_flags(ft, parent & INHERITED & !CONVERTING)
}

impl Inode {
    /// Returns `ENOTTY` unless this is a regular file or a directory.
    fn has_flags(&self) -> Result<()> {
        match self.kind() {
            FileType::Regular | FileType::Directory => Ok(()),
            _ => Err(Errno::ENOTTY),
        }
    }

    /// Returns the visible flags.
    pub(super) fn get_flags(&self) -> Result<u32> {
        self.has_flags()?;
        Ok(self.lock()?.disk.flags & VISIBLE)
    }

    /// Returns `EPERM` if the file is immutable: no write through any
    /// descriptor (ext4's write checks).
    pub(super) fn check_mutable(&self) -> Result<()> {
        if self.lock()?.disk.flags & FS_IMMUTABLE_FL != 0 {
            return Err(Errno::EPERM);
        }
        Ok(())
    }

    /// Sets the modifiable flags to those of `flags` and the change time,
    /// in the inode on disk.
    pub(super) fn set_flags(&self, flags: u32) -> Result<()> {
        self.has_flags()?;
        if flags & !VISIBLE != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        // Visible flags that cannot be set are dropped, as chattr reads
        // the flags, changes some and writes them all back.
        let flags = flags & MODIFIABLE;
        if mask_flags(self.kind(), flags) != flags {
            return Err(Errno::EOPNOTSUPP);
        }
        let h = self.fs.begin()?;
        let now = h.now();
        let mut st = self.lock()?;
        let old = st.disk.flags;
        let keep_immutable = old & flags & FS_IMMUTABLE_FL != 0;
        if keep_immutable && (old ^ flags) & MODIFIABLE & !FS_IMMUTABLE_FL != 0 {
            return Err(Errno::EPERM);
        }
        if (old ^ flags) & CONVERTING != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        let d = &mut st.disk;
        d.flags = (old & !MODIFIABLE) | flags;
        d.ctime = now;
        self.fs.write_inode(self.ino, d)?;
        drop(st);
        h.finish()
    }

    /// Sets the flags from an FS_IOC_FSSETXATTR (Linux's ext4_fileattr_set
    /// then ext4_ioctl_setproject).
    pub(super) fn set_flags_fsx(&self, flags: u32, fsx: &FsXattr) -> Result<()> {
        self.set_flags(flags)?;
        if fsx.projid != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        Ok(())
    }
}
