//! open(2)'s `O_TMPFILE`, as Linux's do_tmpfile() and vfs_tmpfile(): the
//! path names a directory, and the open makes an unnamed regular file in its
//! filesystem. The file has no links; linkat(2) may give it a name later
//! (unless `O_EXCL`), else it goes with its last reference. Its dentry is
//! named "#INO" below the directory and deleted from the start, so that
//! /proc/PID/fd shows "DIR/#INO (deleted)" as on Linux.

use crate::dentry::Dentry;
use crate::file::File;
use crate::file_ops::{FileOps, InodeOps};
use crate::mount::Path;
use crate::namei::LookupFlags;
use crate::open::OpenFlags;
use crate::perm::{self, permission, Access, Credentials};
use crate::types::FileType;
use crate::vfs::Vfs;
use arch::{Errno, Result};
use std::sync::Arc;

/// `__O_TMPFILE`, the bit of `O_TMPFILE` that is not `O_DIRECTORY`.
pub const O_TMPFILE_BIT: u32 = 0o20000000;

impl Vfs {
    /// Opens a new unnamed regular file with permission bits `mode` in the
    /// directory `path` (`lf` says how to walk to it). `EINVAL` without
    /// `O_DIRECTORY`, with `O_CREAT` or without write access; then the
    /// directory's errors (`ENOENT`, `ENOTDIR`), `EROFS`, write and search
    /// permission on it (`EACCES`), and `EOPNOTSUPP` from filesystems
    /// without unnamed files.
    #[expect(clippy::too_many_arguments, reason = "open(2)'s own arguments")]
    pub(crate) fn open_tmpfile(
        &self,
        cred: &Credentials,
        root: &Path,
        cwd: &Path,
        path: &[u8],
        flags: OpenFlags,
        mode: u32,
        lf: LookupFlags,
    ) -> Result<Arc<File>> {
        let must = OpenFlags::O_TMPFILE | OpenFlags::O_CREAT;
        if flags & must != OpenFlags::O_TMPFILE || flags.access_mode() == 0 {
            return Err(Errno::EINVAL);
        }
        let dir = self.lookup(cred, root, cwd, path, lf | LookupFlags::DIRECTORY)?;
        if dir.inode().file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        if dir.mnt.read_only() {
            return Err(Errno::EROFS);
        }
        let st = dir.inode().stat()?;
        permission(cred, &st, Access::WRITE | Access::EXEC)?;
        let mode = FileType::Regular.to_mode_bits() | (mode & 0o7777);
        let mode = perm::strip_sgid(cred, &st, mode) & 0o7777;
        let linkable = !flags.contains(OpenFlags::O_EXCL);
        let inode = dir.inode().tmpfile(mode, cred.owner(), linkable)?;
        let ops: Arc<dyn FileOps> = match inode.open(flags)? {
            Some(ops) => ops,
            None => Arc::new(InodeOps(inode.clone())),
        };
        let p = Path {
            mnt: dir.mnt.clone(),
            dentry: Dentry::new_tmpfile(&dir.dentry, inode),
        };
        let keep =
            !(OpenFlags::O_CREAT | OpenFlags::O_EXCL | OpenFlags::O_NOCTTY | OpenFlags::O_TRUNC);
        let f = File::new(Some(p), ops, flags & keep);
        f.notify(crate::fsnotify::IN_OPEN);
        Ok(f)
    }
}
