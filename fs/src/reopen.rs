//! Reopening an open file that has no path — a pipe — through its magic link
//! /proc/PID/fd/N, as Linux does when `echo > /dev/stderr` runs with stderr on
//! a pipe: the link leads to a `Path` on an unnamed internal mount whose one
//! inode hands out the file's own operations, so the new open file shares the
//! pipe end (and keeps it open as long as it lives).

use crate::dentry::Dentry;
use crate::file::File;
use crate::file_ops::FileOps;
use crate::inode::{FileSystem, Inode};
use crate::inode_state::InodeState;
use crate::mount::{Mount, MountFlags, Path};
use crate::open::OpenFlags;
use crate::types::{DirEntry, FileType, Stat, StatFs};
use arch::{Errno, Result};
use std::any::Any;
use std::sync::Arc;

/// The inode standing for an open file without a path.
struct OpenFileInode {
    file: Arc<File>,
    file_type: FileType,
    vfs_state: InodeState,
}

impl Inode for OpenFileInode {
    fn stat(&self) -> Result<Stat> {
        self.file.stat()
    }

    fn file_type(&self) -> FileType {
        self.file_type
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn inode_state(&self) -> &InodeState {
        &self.vfs_state
    }

    fn read_at(&self, _offset: u64, _buf: &mut [u8]) -> Result<usize> {
        Err(Errno::EINVAL)
    }

    fn lookup(&self, _name: &[u8]) -> Result<Arc<dyn Inode>> {
        Err(Errno::ENOTDIR)
    }

    fn readdir(&self, _pos: u64, _emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64> {
        Err(Errno::ENOTDIR)
    }

    fn readlink(&self) -> Result<Vec<u8>> {
        Err(Errno::EINVAL)
    }

    fn open(&self, _flags: OpenFlags) -> Result<Option<Arc<dyn FileOps>>> {
        Ok(Some(self.file.ops().clone()))
    }
}

/// The filesystem of those inodes; never mounted in the tree.
struct OpenFileFs;

impl FileSystem for OpenFileFs {
    fn root(&self) -> Result<Arc<dyn Inode>> {
        Err(Errno::ENOENT)
    }

    fn name(&self) -> &'static str {
        "pipefs"
    }

    fn dev(&self) -> u64 {
        0
    }

    fn sync(&self) -> Result<()> {
        Ok(())
    }

    fn statfs(&self) -> StatFs {
        StatFs::default()
    }
}

/// Returns a place that opens as `file` does, if it is a FIFO (a pipe); other
/// files without a path cannot be reopened (`ENXIO`, as Linux gives sockets).
pub fn reopen_path(file: Arc<File>) -> Result<Path> {
    let st = file.stat()?;
    if FileType::from_mode(st.mode) != Some(FileType::Fifo) {
        return Err(Errno::ENXIO);
    }
    let inode: Arc<dyn Inode> = Arc::new(OpenFileInode {
        file,
        file_type: FileType::Fifo,
        vfs_state: InodeState::new(),
    });
    let dentry = Dentry::new_root(inode);
    let fs: Arc<dyn FileSystem> = Arc::new(OpenFileFs);
    let mnt = Mount::new(fs, dentry.clone(), None, MountFlags::empty(), "pipe");
    Ok(Path { mnt, dentry })
}
