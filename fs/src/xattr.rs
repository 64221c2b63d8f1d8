//! Extended attributes through the VFS (xattr(7)): the namespaces and who may
//! use them, as Linux's xattr_permission() and the capability module decide —
//! `user.` only on regular files and directories (and in a sticky directory
//! only for its owner), by the file's read or write permission; `trusted.`
//! only with CAP_SYS_ADMIN (others see none); `security.` readable by all,
//! whatever the mode, writable with CAP_SYS_ADMIN (`security.capability`, a file's
//! capabilities, with CAP_SETFCAP); anything else `EOPNOTSUPP`. Sizes as
//! Linux: names of 1 to 255 bytes, values up to 64 KiB (`E2BIG`). The
//! filesystem keeps the attributes (`Inode::getxattr` and friends).

use crate::mount::Path;
use crate::perm::{permission, Access, Credentials, S_ISVTX};
use crate::types::{FileType, Stat};
use crate::vfs::Vfs;
use arch::abi::capability::{CAP_SETFCAP, CAP_SYS_ADMIN, XATTR_NAME_CAPS};
use arch::{Errno, Result};

/// The largest value (`XATTR_SIZE_MAX`).
pub const XATTR_SIZE_MAX: usize = 65536;
/// The longest name (`XATTR_NAME_MAX`).
pub const XATTR_NAME_MAX: usize = 255;

bitflags::bitflags! {
    /// setxattr(2) flags.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct XattrFlags: u32 {
        /// Fail with `EEXIST` if the attribute exists.
        const CREATE = 1;
        /// Fail with `ENODATA` unless the attribute exists.
        const REPLACE = 2;
    }
}

/// The namespaces this kernel knows.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Namespace {
    User,
    Trusted,
    Security,
}

/// Returns the namespace of `name`: `EOPNOTSUPP` for an unknown one, `EINVAL`
/// for a bare prefix ("user."), `ERANGE` for a bad length.
fn namespace(name: &[u8]) -> Result<Namespace> {
    if name.is_empty() || name.len() > XATTR_NAME_MAX {
        return Err(Errno::ERANGE);
    }
    let prefixes: [(&[u8], Namespace); 3] = [
        (b"user.", Namespace::User),
        (b"trusted.", Namespace::Trusted),
        (b"security.", Namespace::Security),
    ];
    for (prefix, ns) in prefixes {
        if let Some(rest) = name.strip_prefix(prefix) {
            return if rest.is_empty() {
                Err(Errno::EINVAL)
            } else {
                Ok(ns)
            };
        }
    }
    Err(Errno::EOPNOTSUPP)
}

/// Checks that `cred` may read (or with `write`, change) attribute `name` of
/// a file with attributes `st`.
fn xattr_permission(cred: &Credentials, st: &Stat, name: &[u8], write: bool) -> Result<()> {
    let ns = match namespace(name) {
        Ok(ns) => ns,
        Err(Errno::ERANGE) => return Err(Errno::ERANGE),
        Err(e) => {
            // A name no handler takes fails after the permission check.
            let want = if write { Access::WRITE } else { Access::READ };
            permission(cred, st, want)?;
            return Err(e);
        }
    };
    let refused = if write { Errno::EPERM } else { Errno::ENODATA };
    match ns {
        Namespace::Trusted if !cred.capable(CAP_SYS_ADMIN) => return Err(refused),
        Namespace::Trusted => return Ok(()),
        // No check of the mode: the capability module's rules for writes
        // (cap_inode_setxattr): file capabilities need CAP_SETFCAP, the
        // rest CAP_SYS_ADMIN.
        Namespace::Security if !write => return Ok(()),
        Namespace::Security => {
            let needed = if name == XATTR_NAME_CAPS {
                CAP_SETFCAP
            } else {
                CAP_SYS_ADMIN
            };
            return if cred.capable(needed) {
                Ok(())
            } else {
                Err(Errno::EPERM)
            };
        }
        Namespace::User => {
            let ft = FileType::from_mode(st.mode);
            if !matches!(ft, Some(FileType::Regular | FileType::Directory)) {
                return Err(refused);
            }
            let sticky_dir = ft == Some(FileType::Directory) && st.mode & S_ISVTX != 0;
            if write && sticky_dir && !cred.owns(st) {
                return Err(Errno::EPERM);
            }
        }
    }
    let want = if write { Access::WRITE } else { Access::READ };
    permission(cred, st, want)?;
    Ok(())
}

impl Vfs {
    /// Returns the value of attribute `name` of the file at `path`.
    pub fn getxattr(&self, cred: &Credentials, path: &Path, name: &[u8]) -> Result<Vec<u8>> {
        let inode = path.inode();
        xattr_permission(cred, &inode.stat()?, name, false)?;
        inode.getxattr(name)
    }

    /// Sets attribute `name` of the file at `path` to `value`, as setxattr(2).
    pub fn setxattr(
        &self,
        cred: &Credentials,
        path: &Path,
        name: &[u8],
        value: &[u8],
        flags: XattrFlags,
    ) -> Result<()> {
        if value.len() > XATTR_SIZE_MAX {
            return Err(Errno::E2BIG);
        }
        if path.mnt.read_only() {
            return Err(Errno::EROFS);
        }
        let inode = path.inode();
        crate::fileattr::may_modify(inode.as_ref(), true)?;
        xattr_permission(cred, &inode.stat()?, name, true)?;
        inode.setxattr(name, value, flags)?;
        crate::fsnotify::dentry_event(&path.dentry, crate::fsnotify::IN_ATTRIB);
        Ok(())
    }

    /// Removes attribute `name` of the file at `path` (`ENODATA` if none).
    pub fn removexattr(&self, cred: &Credentials, path: &Path, name: &[u8]) -> Result<()> {
        if path.mnt.read_only() {
            return Err(Errno::EROFS);
        }
        let inode = path.inode();
        crate::fileattr::may_modify(inode.as_ref(), true)?;
        xattr_permission(cred, &inode.stat()?, name, true)?;
        inode.removexattr(name)?;
        crate::fsnotify::dentry_event(&path.dentry, crate::fsnotify::IN_ATTRIB);
        Ok(())
    }

    /// Returns the names of the attributes of the file at `path`, each with its
    /// NUL, as listxattr(2): no permission needed, but `trusted.` names only
    /// for CAP_SYS_ADMIN.
    pub fn listxattr(&self, cred: &Credentials, path: &Path) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        for name in path.inode().listxattr()? {
            if name.starts_with(b"trusted.") && !cred.capable(CAP_SYS_ADMIN) {
                continue;
            }
            out.extend_from_slice(&name);
            out.push(0);
        }
        Ok(out)
    }
}
