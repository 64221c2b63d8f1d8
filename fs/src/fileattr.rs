//! File attribute flags (ioctl_iflags(2): `FS_IOC_GETFLAGS` and
//! `FS_IOC_SETFLAGS`, what chattr(1) and lsattr(1) use) through the VFS, and
//! the checks the flags impose wherever the VFS changes a file, as Linux's
//! `IS_IMMUTABLE` and `IS_APPEND` tests in fs/namei.c, fs/open.c and
//! fs/attr.c do: an immutable inode takes no writes, new or removed names,
//! attribute or xattr changes; an append-only one is written only at its end
//! and never loses a name. The filesystem keeps the flags
//! (`Inode::fileattr_get`/`fileattr_set`) and decides which it supports;
//! the VFS checks the mount, ownership and CAP_LINUX_IMMUTABLE
//! (Linux's vfs_fileattr_set).

use crate::fsnotify;
use crate::inode::Inode;
use crate::mount::Path;
use crate::perm::Credentials;
use crate::vfs::Vfs;
use arch::abi::capability::CAP_LINUX_IMMUTABLE;
use arch::{Errno, Result};

/// Secure deletion (kept, not acted on).
pub const FS_SECRM_FL: u32 = 0x1;
/// Undelete (kept, not acted on).
pub const FS_UNRM_FL: u32 = 0x2;
/// Compress (kept, not acted on).
pub const FS_COMPR_FL: u32 = 0x4;
/// Synchronous updates (kept, not acted on).
pub const FS_SYNC_FL: u32 = 0x8;
/// No changes at all: contents, names, attributes.
pub const FS_IMMUTABLE_FL: u32 = 0x10;
/// Writes only at the end; no removal.
pub const FS_APPEND_FL: u32 = 0x20;
/// Not for dump(8).
pub const FS_NODUMP_FL: u32 = 0x40;
/// Reads leave the access time.
pub const FS_NOATIME_FL: u32 = 0x80;
/// Synchronous directory updates.
pub const FS_DIRSYNC_FL: u32 = 0x10000;

/// Returns the flags of `inode`, none where its filesystem keeps none.
pub fn flags(inode: &dyn Inode) -> u32 {
    inode.fileattr_get().unwrap_or(0)
}

/// Returns whether `inode` is append-only (Linux's `IS_APPEND`).
pub fn is_append(inode: &dyn Inode) -> bool {
    flags(inode) & FS_APPEND_FL != 0
}

/// Checks that `inode` may be written or have its attributes changed:
/// `EPERM` if immutable, or with `append_too` if append-only.
pub(crate) fn may_modify(inode: &dyn Inode, append_too: bool) -> Result<()> {
    let f = flags(inode);
    let refused = FS_IMMUTABLE_FL | if append_too { FS_APPEND_FL } else { 0 };
    if f & refused != 0 {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// Checks that the directory `dir` may take a new name (`EPERM` if immutable).
pub(crate) fn may_add(dir: &dyn Inode) -> Result<()> {
    may_modify(dir, false)
}

/// Checks that `victim` may lose its name in `dir` (Linux's may_delete):
/// neither may be immutable or append-only (`EPERM`), whoever asks.
pub(crate) fn may_remove(dir: &dyn Inode, victim: &dyn Inode) -> Result<()> {
    may_modify(dir, true)?;
    may_modify(victim, true)
}

impl Vfs {
    /// Returns the flags of the file at `path` (FS_IOC_GETFLAGS): `ENOTTY`
    /// where its filesystem has none for it.
    pub fn fileattr_get(&self, path: &Path) -> Result<u32> {
        path.inode().fileattr_get()
    }

    /// Sets the flags of the file at `path` (FS_IOC_SETFLAGS): `ENOTTY`
    /// where its filesystem has none, `EROFS` on a read-only mount, `EPERM`
    /// for anyone but the owner (or CAP_FOWNER), and for changing the
    /// immutable or append-only flag without CAP_LINUX_IMMUTABLE; the
    /// filesystem refuses flags it does not keep (`EOPNOTSUPP`).
    pub fn fileattr_set(&self, cred: &Credentials, path: &Path, new: u32) -> Result<()> {
        let inode = path.inode();
        let old = inode.fileattr_get()?;
        if path.mnt.read_only() {
            return Err(Errno::EROFS);
        }
        if !cred.owns(&inode.stat()?) {
            return Err(Errno::EPERM);
        }
        if (old ^ new) & (FS_IMMUTABLE_FL | FS_APPEND_FL) != 0 && !cred.capable(CAP_LINUX_IMMUTABLE)
        {
            return Err(Errno::EPERM);
        }
        inode.fileattr_set(new)?;
        fsnotify::dentry_event(&path.dentry, fsnotify::IN_ATTRIB);
        Ok(())
    }
}
