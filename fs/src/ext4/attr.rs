//! setattr: permission bits, owner, group, size (truncation up or down) and the
//! access and modification times, each stored with nanoseconds in the extra
//! timestamp fields; the change time becomes now.

use super::file;
use super::inode::Inode;
use crate::types::{AttrTime, FileType, SetAttr, Timespec, S_IFMT};
use arch::{Errno, Result};

/// The earliest and latest seconds an ext4 timestamp holds (34 bits from 1901).
const TIME_MIN: i64 = -(1 << 31);
const TIME_MAX: i64 = (1 << 34) - (1 << 31) - 1;

/// Returns `t` clamped to what ext4 stores.
fn clamp(t: Timespec) -> Timespec {
    Timespec {
        sec: t.sec.clamp(TIME_MIN, TIME_MAX),
        nsec: t.nsec.min(999_999_999),
    }
}

impl Inode {
    /// Applies `attr`; the change time becomes now.
    pub(super) fn do_setattr(&self, attr: &SetAttr) -> Result<()> {
        let mut h = self.fs.begin()?;
        let now = h.now();
        let mut st = self.lock()?;
        if let Some(size) = attr.size {
            match self.kind() {
                FileType::Regular => {}
                FileType::Directory => return Err(Errno::EISDIR),
                _ => return Err(Errno::EINVAL),
            }
            file::truncate(&mut h, self.ino, &mut st, size)?;
        }
        let d = &mut st.disk;
        if let Some(mode) = attr.mode {
            d.mode = ((d.mode as u32 & S_IFMT) | (mode & 0o7777)) as u16;
        }
        if let Some(uid) = attr.uid {
            d.uid = uid;
        }
        if let Some(gid) = attr.gid {
            d.gid = gid;
        }
        let when = |t: AttrTime| match t {
            AttrTime::Now => now,
            AttrTime::At(t) => clamp(t),
        };
        if let Some(t) = attr.atime {
            d.atime = when(t);
        }
        if let Some(t) = attr.mtime {
            d.mtime = when(t);
        }
        d.ctime = now;
        self.fs.write_inode(self.ino, d)?;
        drop(st);
        h.finish()
    }
}
