//! The attribute flags of tmpfs files and directories, as Linux 6.x's shmem
//! keeps them (shmem_fileattr_get/set): only immutable, append-only, nodump
//! and noatime, any other `EOPNOTSUPP`; none on symlinks and special files
//! (`ENOTTY`). Unlike ext4, changing the others while immutable is allowed.

use super::inode::Inode;
use crate::fileattr::{FS_APPEND_FL, FS_IMMUTABLE_FL, FS_NOATIME_FL, FS_NODUMP_FL};
use crate::inode::Inode as _;
use crate::types::FileType;
use arch::{Errno, Result};

/// The flags tmpfs keeps (`SHMEM_FL_USER_MODIFIABLE`).
const MODIFIABLE: u32 = FS_IMMUTABLE_FL | FS_APPEND_FL | FS_NODUMP_FL | FS_NOATIME_FL;

impl Inode {
    /// Returns `ENOTTY` unless this is a regular file or a directory.
    fn has_flags(&self) -> Result<()> {
        match self.file_type() {
            FileType::Regular | FileType::Directory => Ok(()),
            _ => Err(Errno::ENOTTY),
        }
    }

    /// Returns the flags.
    pub(super) fn get_flags(&self) -> Result<u32> {
        self.has_flags()?;
        Ok(self.state()?.meta.fsflags)
    }

    /// Sets the flags and the change time.
    pub(super) fn set_flags(&self, flags: u32) -> Result<()> {
        self.has_flags()?;
        if flags & !MODIFIABLE != 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        let now = self.sb.now();
        let mut st = self.state()?;
        st.meta.fsflags = flags;
        st.meta.ctime = now;
        Ok(())
    }
}
