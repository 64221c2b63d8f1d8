//! File attribute flags (ioctl_iflags(2): `FS_IOC_GETFLAGS` and
//! `FS_IOC_SETFLAGS`, what chattr(1) and lsattr(1) use) through the VFS, and
//! the checks the flags impose wherever the VFS changes a file, as Linux's
//! `IS_IMMUTABLE` and `IS_APPEND` tests in fs/namei.c, fs/open.c and
//! fs/attr.c do: an immutable inode takes no writes, new or removed names,
//! attribute or xattr changes; an append-only one is written only at its end
//! and never loses a name. The filesystem keeps the flags
//! (`Inode::fileattr_get`/`fileattr_set`) and decides which it supports;
//! the VFS checks the mount, ownership and CAP_LINUX_IMMUTABLE
//! (Linux's vfs_fileattr_set). The same flags, and the XFS-born fields
//! beside them, read and written as a `struct fsxattr`
//! (`FS_IOC_FSGETXATTR`/`FS_IOC_FSSETXATTR`, Linux's fs/file_attr.c): the
//! xflags both interfaces share map to and from the flags
//! (`fileattr_fill_flags`/`fileattr_fill_xflags`), a set keeps the flags
//! the xflags cannot name, and the rest is what Linux's
//! `fileattr_set_prepare` checks.

use crate::fsnotify;
use crate::inode::Inode;
use crate::mount::Path;
use crate::perm::Credentials;
use crate::types::FileType;
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
/// Direct access (kept, not acted on).
pub const FS_DAX_FL: u32 = 0x0200_0000;
/// New files take the directory's project id.
pub const FS_PROJINHERIT_FL: u32 = 0x2000_0000;
/// The flags an xflag names (`FS_COMMON_FL`).
const FS_COMMON_FL: u32 = FS_SYNC_FL
    | FS_IMMUTABLE_FL
    | FS_APPEND_FL
    | FS_NODUMP_FL
    | FS_NOATIME_FL
    | FS_DAX_FL
    | FS_PROJINHERIT_FL;

/// `FS_XFLAG_*` (struct fsxattr's fsx_xflags), each named by its flag.
const XFLAG_FL: [(u32, u32); 7] = [
    (0x8, FS_IMMUTABLE_FL),
    (0x10, FS_APPEND_FL),
    (0x20, FS_SYNC_FL),
    (0x40, FS_NOATIME_FL),
    (0x80, FS_NODUMP_FL),
    (0x8000, FS_DAX_FL),
    (0x200, FS_PROJINHERIT_FL),
];
/// The xflags shared with the flags (`FS_XFLAG_COMMON`).
const FS_XFLAG_COMMON: u32 = 0x8 | 0x10 | 0x20 | 0x40 | 0x80 | 0x8000 | 0x200;
/// Extent size hint in fsx_extsize (regular files).
const FS_XFLAG_EXTSIZE: u32 = 0x800;
/// Extent size hint inherited by new files (directories).
const FS_XFLAG_EXTSZINHERIT: u32 = 0x1000;
/// Direct access.
const FS_XFLAG_DAX: u32 = 0x8000;
/// Copy-on-write extent size hint in fsx_cowextsize.
const FS_XFLAG_COWEXTSIZE: u32 = 0x10000;
/// Every defined xflag (`FS_XFLAGS_MASK`); any other is `EOPNOTSUPP`.
const FS_XFLAGS_MASK: u32 = 0x1_FFFF | FS_XFLAG_HASATTR;
/// Read-only xflags, ignored in a set (`FS_XFLAG_RDONLY_MASK`): preallocated
/// extents and has-xattrs.
const FS_XFLAG_RDONLY_MASK: u32 = 0x2 | FS_XFLAG_HASATTR;
const FS_XFLAG_HASATTR: u32 = 0x8000_0000;
/// The invalid project id (`INVALID_PROJID`).
const INVALID_PROJID: u32 = u32::MAX;

/// A `struct fsxattr` (linux/fs.h), less its padding.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FsXattr {
    pub xflags: u32,
    pub extsize: u32,
    pub nextents: u32,
    pub projid: u32,
    pub cowextsize: u32,
}

impl FsXattr {
    /// Returns what FS_IOC_FSGETXATTR shows for a file with `flags` and no
    /// project id (Linux's fileattr_fill_flags).
    pub fn from_flags(flags: u32) -> Self {
        let xflags = XFLAG_FL
            .iter()
            .filter(|&&(_, fl)| flags & fl != 0)
            .fold(0, |x, &(xf, _)| x | xf);
        FsXattr {
            xflags,
            ..Self::default()
        }
    }

    /// Returns the flags the xflags name (Linux's fileattr_fill_xflags).
    pub fn flags(&self) -> u32 {
        XFLAG_FL
            .iter()
            .filter(|&&(xf, _)| self.xflags & xf != 0)
            .fold(0, |f, &(_, fl)| f | fl)
    }

    /// Returns whether this asks for more than the flags can say: an xflag
    /// without a flag, an extent size hint or a project id (Linux's
    /// fileattr_has_fsx); a filesystem that keeps only the flags refuses it.
    pub fn has_fsx(&self) -> bool {
        self.xflags & !FS_XFLAG_COMMON != 0
            || self.extsize != 0
            || self.projid != 0
            || self.cowextsize != 0
    }
}

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

    /// Returns the `struct fsxattr` of the file at `path`
    /// (FS_IOC_FSGETXATTR): `ENOTTY` where its filesystem keeps no flags
    /// for it. No filesystem here keeps project ids or extent size hints.
    pub fn fsxattr_get(&self, path: &Path) -> Result<FsXattr> {
        Ok(FsXattr::from_flags(path.inode().fileattr_get()?))
    }

    /// Sets the file at `path` from `fsx` (FS_IOC_FSSETXATTR, Linux's
    /// ioctl_fssetxattr and vfs_fileattr_set): `EOPNOTSUPP` for an
    /// undefined xflag, `EROFS` on a read-only mount, `ENOTTY` where the
    /// filesystem keeps no flags, `EPERM` for anyone but the owner and for
    /// changing immutable or append-only without CAP_LINUX_IMMUTABLE,
    /// `EINVAL` for the invalid project id or an extent size xflag on the
    /// wrong kind of file; the flags the xflags cannot name stay as they
    /// were, and the filesystem refuses what it does not keep.
    pub fn fsxattr_set(&self, cred: &Credentials, path: &Path, fsx: FsXattr) -> Result<()> {
        if fsx.xflags & !FS_XFLAGS_MASK != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        let mut fsx = FsXattr {
            xflags: fsx.xflags & !FS_XFLAG_RDONLY_MASK,
            ..fsx
        };
        if path.mnt.read_only() {
            return Err(Errno::EROFS);
        }
        let inode = path.inode();
        let old_flags = inode.fileattr_get()?;
        let st = inode.stat()?;
        if !cred.owns(&st) {
            return Err(Errno::EPERM);
        }
        let old = FsXattr::from_flags(old_flags);
        let new = fsx.flags() | (old_flags & !FS_COMMON_FL);
        // fileattr_set_prepare. Every caller is in the initial user
        // namespace here, which may change the project id to a valid one.
        if (old_flags ^ new) & (FS_IMMUTABLE_FL | FS_APPEND_FL) != 0
            && !cred.capable(CAP_LINUX_IMMUTABLE)
        {
            return Err(Errno::EPERM);
        }
        if fsx.projid != old.projid && fsx.projid == INVALID_PROJID {
            return Err(Errno::EINVAL);
        }
        let ft = inode.file_type();
        let (reg, dir) = (ft == FileType::Regular, ft == FileType::Directory);
        let wrong_kind = (fsx.xflags & FS_XFLAG_EXTSIZE != 0 && !reg)
            || (fsx.xflags & FS_XFLAG_EXTSZINHERIT != 0 && !dir)
            || (fsx.xflags & (FS_XFLAG_COWEXTSIZE | FS_XFLAG_DAX) != 0 && !reg && !dir);
        if wrong_kind {
            return Err(Errno::EINVAL);
        }
        // Extent size hints of zero turn their xflags off.
        if fsx.extsize == 0 {
            fsx.xflags &= !(FS_XFLAG_EXTSIZE | FS_XFLAG_EXTSZINHERIT);
        }
        if fsx.cowextsize == 0 {
            fsx.xflags &= !FS_XFLAG_COWEXTSIZE;
        }
        inode.fileattr_set_fsx(new, &fsx)?;
        fsnotify::dentry_event(&path.dentry, fsnotify::IN_ATTRIB);
        Ok(())
    }
}
