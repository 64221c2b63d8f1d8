//! The attributes of a tmpfs inode and how they change: Linux's rules for
//! mtime/ctime on modification, `relatime` for atime, and setattr (chmod,
//! chown, truncate, utimes), which always sets ctime.

use super::inode::{Body, Inode, MAX_FILE_SIZE};
use crate::fileattr::FS_NOATIME_FL;
use crate::types::{AttrTime, SetAttr, Timespec};
use arch::{Errno, Result};

/// The attributes of an inode.
pub(super) struct Meta {
    /// Permission bits (`07777`).
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub nlink: u32,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
    /// Whether `link` may give this unnamed file its first name (an
    /// `O_TMPFILE` file opened without `O_EXCL`, until it gets one).
    pub linkable: bool,
    /// The attribute flags (`FS_*_FL`, those of `fileattr::MODIFIABLE`).
    pub fsflags: u32,
}

impl Meta {
    /// Sets mtime and ctime to `now`, as a change of contents does.
    pub fn modified(&mut self, now: Timespec) {
        self.mtime = now;
        self.ctime = now;
    }

    /// Sets atime to `now` under Linux's default `relatime` rule: only if it is not
    /// newer than mtime or ctime, or is a day old; never with `FS_NOATIME_FL`.
    pub fn accessed(&mut self, now: Timespec) {
        if self.fsflags & FS_NOATIME_FL != 0 {
            return;
        }
        if self.atime <= self.mtime || self.atime <= self.ctime || now.sec - self.atime.sec >= 86400
        {
            self.atime = now;
        }
    }
}

impl Inode {
    /// Applies `attr`, checking first that all of it can be applied.
    pub(super) fn do_setattr(&self, attr: &SetAttr) -> Result<()> {
        let now = self.sb.now();
        let mut st = self.state()?;
        // shmem_setattr: F_SEAL_EXEC freezes the exec bits.
        if let (Some(mode), Body::File(pages)) = (attr.mode, &st.body) {
            if pages.seals & super::F_SEAL_EXEC != 0 && (mode ^ st.meta.mode) & 0o111 != 0 {
                return Err(Errno::EPERM);
            }
        }
        if let Some(size) = attr.size {
            match &mut st.body {
                Body::File(_) if size > MAX_FILE_SIZE => return Err(Errno::EFBIG),
                Body::File(pages) => {
                    pages.sealed_resize(size)?;
                    if pages.size() != size {
                        pages.truncate(size, &self.sb);
                        st.meta.mtime = now;
                    }
                }
                Body::Dir(_) => return Err(Errno::EISDIR),
                _ => return Err(Errno::EINVAL),
            }
        }
        let m = &mut st.meta;
        if let Some(mode) = attr.mode {
            m.mode = mode & 0o7777;
        }
        if let Some(uid) = attr.uid {
            m.uid = uid;
        }
        if let Some(gid) = attr.gid {
            m.gid = gid;
        }
        let at = |t: AttrTime| match t {
            AttrTime::Now => now,
            AttrTime::At(t) => t,
        };
        if let Some(t) = attr.atime {
            m.atime = at(t);
        }
        if let Some(t) = attr.mtime {
            m.mtime = at(t);
        }
        m.ctime = now;
        Ok(())
    }
}
