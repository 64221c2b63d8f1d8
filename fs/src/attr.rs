//! Attribute changes and filesystem figures through the VFS: chmod, chown
//! (which clears set-user-ID and set-group-ID as Linux's chown does), truncate,
//! utimes, statfs and sync. Each refuses a read-only mount with `EROFS`.

use crate::mount::Path;
use crate::types::{AttrTime, FileType, SetAttr, StatFs, ST_RDONLY, ST_VALID};
use crate::vfs::Vfs;
use arch::{Errno, Result};

const S_ISUID: u32 = 0o4000;
const S_ISGID: u32 = 0o2000;
const S_IXGRP: u32 = 0o0010;

impl Vfs {
    /// Applies `attr` to the inode at `path`.
    pub fn setattr(&self, path: &Path, attr: &SetAttr) -> Result<()> {
        if path.mnt.read_only() {
            return Err(Errno::EROFS);
        }
        path.inode().setattr(attr)
    }

    /// Sets the permission bits (chmod(2)).
    pub fn chmod(&self, path: &Path, mode: u32) -> Result<()> {
        let attr = SetAttr {
            mode: Some(mode & 0o7777),
            ..SetAttr::default()
        };
        self.setattr(path, &attr)
    }

    /// Sets the owner and group (chown(2); `None` keeps one). On a non-directory
    /// this clears set-user-ID, and set-group-ID if group-executable, even for
    /// root, as Linux does.
    pub fn chown(&self, path: &Path, uid: Option<u32>, gid: Option<u32>) -> Result<()> {
        let st = path.inode().stat()?;
        let mut attr = SetAttr {
            uid,
            gid,
            ..SetAttr::default()
        };
        if path.inode().file_type() != FileType::Directory {
            let mut mode = st.mode & 0o7777;
            mode &= !S_ISUID;
            if mode & S_IXGRP != 0 {
                mode &= !S_ISGID;
            }
            if mode != st.mode & 0o7777 {
                attr.mode = Some(mode);
            }
        }
        self.setattr(path, &attr)
    }

    /// Sets the size of the regular file at `path` (truncate(2)): `EISDIR` for a
    /// directory, `EINVAL` for other non-regular files.
    pub fn truncate(&self, path: &Path, size: u64) -> Result<()> {
        match path.inode().file_type() {
            FileType::Regular => {}
            FileType::Directory => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        }
        let attr = SetAttr {
            size: Some(size),
            mtime: Some(AttrTime::Now),
            ..SetAttr::default()
        };
        self.setattr(path, &attr)
    }

    /// Sets the access and modification times (`None` keeps one), as
    /// utimensat(2).
    pub fn utimes(
        &self,
        path: &Path,
        atime: Option<AttrTime>,
        mtime: Option<AttrTime>,
    ) -> Result<()> {
        let attr = SetAttr {
            atime,
            mtime,
            ..SetAttr::default()
        };
        self.setattr(path, &attr)
    }

    /// Returns the statfs(2) figures of the filesystem `path` is on, with the
    /// mount's flags.
    pub fn statfs(&self, path: &Path) -> StatFs {
        let mut s = path.mnt.fs().statfs();
        // The per-mount flags have the values of the ST_* bits.
        s.flags = (s.flags & ST_RDONLY) | ST_VALID | u64::from(path.mnt.flags().bits());
        s
    }

    /// Writes back every mounted filesystem (sync(2)); returns the first error.
    pub fn sync(&self) -> Result<()> {
        let mut result = Ok(());
        for m in self.mounts() {
            if let Err(e) = m.fs().sync() {
                log::error!("sync of {} failed: {e}", m.fs().name());
                result = result.and(Err(e));
            }
        }
        result
    }
}
