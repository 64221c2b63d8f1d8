//! The two traits a filesystem implements: `FileSystem` (one mounted instance) and
//! `Inode` (one file, directory, symlink or device node in it). The VFS builds
//! dentries, mounts and open files on top of these and never sees disk formats.

use crate::types::{DirEntry, FileType, Stat, StatFs};
use arch::{Errno, Result};
use std::sync::Arc;

/// A file of some filesystem, as the VFS sees it.
pub trait Inode: Send + Sync {
    /// Returns the inode's attributes.
    fn stat(&self) -> Result<Stat>;

    /// Returns the inode's type.
    fn file_type(&self) -> FileType;

    /// Reads from `offset`; returns fewer bytes at end of file, zeroes for holes,
    /// `EISDIR` on directories.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize>;

    /// Writes at `offset`; read-only filesystems return `EROFS`.
    fn write_at(&self, _offset: u64, _data: &[u8]) -> Result<usize> {
        Err(Errno::EROFS)
    }

    /// Returns the inode named `name` in this directory (`ENOTDIR`, `ENOENT`).
    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>>;

    /// Emits directory entries from position `pos` (0 = the start, with "." and
    /// ".."), stopping when `emit` returns false; returns the position to resume at
    /// (the position of the refused entry, or the end).
    fn readdir(&self, pos: u64, emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64>;

    /// Returns the target of a symlink (`EINVAL` if this is not a symlink).
    fn readlink(&self) -> Result<Vec<u8>>;

    /// Creates a regular file `name` in this directory; read-only filesystems return
    /// `EROFS`.
    fn create(&self, _name: &[u8], _mode: u32) -> Result<Arc<dyn Inode>> {
        Err(Errno::EROFS)
    }
}

/// One mounted instance of a filesystem.
pub trait FileSystem: Send + Sync {
    /// Returns the root directory.
    fn root(&self) -> Result<Arc<dyn Inode>>;

    /// Returns the filesystem type name as /proc/mounts shows it ("ext4").
    fn name(&self) -> &'static str;

    /// Returns the device number `st_dev` reports for its inodes.
    fn dev(&self) -> u64;

    /// Writes every dirty buffer back to the device.
    fn sync(&self) -> Result<()>;

    /// Returns the `statfs(2)` figures.
    fn statfs(&self) -> StatFs;
}
