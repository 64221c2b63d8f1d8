//! Attribute changes and filesystem figures through the VFS: chmod, chown
//! (which clears set-user-ID and set-group-ID as Linux's chown does), truncate,
//! utimes, statfs and sync. Each refuses a read-only mount with `EROFS`, then
//! applies Linux's setattr_prepare() rules: chmod and explicit times are for
//! the owner (or root), the owner may give a file to one of its groups, only
//! root gives files away (`EPERM`); an immutable or append-only file refuses
//! them all (`EPERM`, `fileattr`), but a touch of an append-only one.

use crate::fileattr;
use crate::fsnotify;
use crate::inode::{FileSystem, Inode};
use crate::mount::Path;
use crate::perm::{kill_privs, permission, Access, Credentials, S_ISGID, S_ISUID, S_IXGRP};
use crate::types::{AttrTime, FileType, SetAttr, StatFs, ST_RDONLY, ST_VALID};
use crate::vfs::Vfs;
use arch::abi::capability::{CAP_CHOWN, CAP_FSETID};
use arch::{Errno, Result};
use std::sync::Arc;

impl Vfs {
    /// Applies `attr` to the inode at `path`.
    pub fn setattr(&self, path: &Path, attr: &SetAttr) -> Result<()> {
        if path.mnt.read_only() {
            return Err(Errno::EROFS);
        }
        crate::address_space::setattr(path.inode().as_ref(), attr)?;
        fsnotify::dentry_event(&path.dentry, fsnotify::setattr_mask(attr));
        Ok(())
    }

    /// Sets the permission bits (chmod(2)): the owner's or root's to do; the
    /// set-group-ID bit goes unless the caller is in the file's group.
    pub fn chmod(&self, cred: &Credentials, path: &Path, mode: u32) -> Result<()> {
        if path.mnt.read_only() {
            return Err(Errno::EROFS);
        }
        fileattr::may_modify(path.inode().as_ref(), true)?;
        let st = path.inode().stat()?;
        if !cred.owns(&st) {
            return Err(Errno::EPERM);
        }
        let mut mode = mode & 0o7777;
        if !cred.in_group_or_capable(st.gid) {
            mode &= !S_ISGID;
        }
        let attr = SetAttr {
            mode: Some(mode),
            ..SetAttr::default()
        };
        self.setattr(path, &attr)
    }

    /// Sets the owner and group (chown(2); `None` keeps one): only root changes
    /// the owner; the owner may change the group to one of its own. On a
    /// non-directory this clears set-user-ID, and set-group-ID if
    /// group-executable (or the caller is not in the group), even for root, as
    /// Linux does.
    pub fn chown(
        &self,
        cred: &Credentials,
        path: &Path,
        uid: Option<u32>,
        gid: Option<u32>,
    ) -> Result<()> {
        if path.mnt.read_only() {
            return Err(Errno::EROFS);
        }
        fileattr::may_modify(path.inode().as_ref(), true)?;
        let st = path.inode().stat()?;
        let uid_ok = |u: u32| cred.capable(CAP_CHOWN) || (cred.fsuid == st.uid && u == st.uid);
        let gid_ok = |g: u32| {
            cred.capable(CAP_CHOWN)
                || (cred.fsuid == st.uid
                    && uid.is_none_or(|u| u == st.uid)
                    && (g == st.gid || cred.in_group(g)))
        };
        if !uid.is_none_or(uid_ok) || !gid.is_none_or(gid_ok) {
            return Err(Errno::EPERM);
        }
        let mut attr = SetAttr {
            uid,
            gid,
            ..SetAttr::default()
        };
        if path.inode().file_type() != FileType::Directory {
            let mut mode = st.mode & 0o7777;
            mode &= !S_ISUID;
            if mode & S_IXGRP != 0 || !cred.in_group_or_capable(st.gid) {
                mode &= !S_ISGID;
            }
            if mode != st.mode & 0o7777 {
                attr.mode = Some(mode);
            }
        }
        self.setattr(path, &attr)
    }

    /// Sets the size of the regular file at `path` (truncate(2)): `EISDIR` for a
    /// directory, `EINVAL` for other non-regular files, `EACCES` without write
    /// permission.
    pub fn truncate(&self, cred: &Credentials, path: &Path, size: u64) -> Result<()> {
        match path.inode().file_type() {
            FileType::Regular => {}
            FileType::Directory => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        }
        if path.mnt.read_only() {
            return Err(Errno::EROFS);
        }
        fileattr::may_modify(path.inode().as_ref(), true)?;
        permission(cred, &path.inode().stat()?, Access::WRITE)?;
        self.ftruncate(cred, path, size)
    }

    /// Sets the size of the regular file at `path`, open for writing
    /// (ftruncate(2): no permission check); like a write it clears the
    /// set-user-ID and set-group-ID bits of another's file.
    pub fn ftruncate(&self, cred: &Credentials, path: &Path, size: u64) -> Result<()> {
        if fileattr::is_append(path.inode().as_ref()) {
            return Err(Errno::EPERM);
        }
        path.inode().write_checks()?;
        let mut attr = SetAttr {
            size: Some(size),
            mtime: Some(AttrTime::Now),
            ..SetAttr::default()
        };
        attr.mode = kill_privs(cred, &path.inode().stat()?);
        self.setattr(path, &attr)
    }

    /// Sets the access and modification times (`None` keeps one), as
    /// utimensat(2): explicit times are for the owner or root (`EPERM`);
    /// setting both to now needs only write permission (`EACCES`).
    pub fn utimes(
        &self,
        cred: &Credentials,
        path: &Path,
        atime: Option<AttrTime>,
        mtime: Option<AttrTime>,
    ) -> Result<()> {
        if path.mnt.read_only() {
            return Err(Errno::EROFS);
        }
        // Setting both times to now is a touch, which an append-only file
        // allows (Linux's ATTR_TOUCH); no time changes on an immutable one.
        let touch = atime == Some(AttrTime::Now) && mtime == Some(AttrTime::Now);
        fileattr::may_modify(path.inode().as_ref(), !touch)?;
        let st = path.inode().stat()?;
        if !cred.owns(&st) {
            if !touch {
                return Err(Errno::EPERM);
            }
            permission(cred, &st, Access::WRITE)?;
        }
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

    /// Writes back the page caches of mapped files, then every mounted
    /// filesystem once (sync(2)); returns the first error.
    pub fn sync(&self) -> Result<()> {
        let mut result = crate::address_space::write_back_all(None);
        let mut done: Vec<Arc<dyn FileSystem>> = Vec::new();
        for m in self.mounts() {
            if done.iter().any(|f| Arc::ptr_eq(f, m.fs())) {
                continue;
            }
            if let Err(e) = m.fs().sync() {
                log::error!("sync of {} failed: {e}", m.fs().name());
                result = result.and(Err(e));
            }
            done.push(m.fs().clone());
        }
        result
    }
}

/// Writes back the page caches of the mapped files of `fs`, then `fs` itself
/// (Linux's sync_filesystem(): syncfs(2), and a filesystem's last umount).
pub fn sync_filesystem(fs: &dyn FileSystem) -> Result<()> {
    crate::address_space::write_back_all(Some(fs.dev()))?;
    fs.sync()
}

/// Clears what a write by `cred` takes from the file `inode`: set-user-ID and
/// set-group-ID of a regular file written by someone other than root (Linux's
/// file_remove_privs()).
pub fn file_remove_privs(cred: &Credentials, inode: &dyn Inode) -> Result<()> {
    if cred.capable(CAP_FSETID) || inode.file_type() != FileType::Regular {
        return Ok(());
    }
    match kill_privs(cred, &inode.stat()?) {
        Some(mode) => inode.setattr(&SetAttr {
            mode: Some(mode),
            ..SetAttr::default()
        }),
        None => Ok(()),
    }
}
