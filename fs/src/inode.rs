//! The two traits a filesystem implements: `FileSystem` (one mounted instance) and
//! `Inode` (one file, directory, symlink or device node in it). The VFS builds
//! dentries, mounts and open files on top of these and never sees disk formats.
//!
//! The methods that change the namespace or attributes default to what a
//! read-only filesystem answers: `ENOTDIR` when the inode is not a directory,
//! otherwise `EROFS`. The VFS has already checked everything that depends on
//! mounts, dentries and the caller (read-only mounts, `EXDEV`, mount points,
//! "." and ".."); a filesystem checks what depends on its own contents
//! (`EEXIST`, `ENOENT`, `ENOTEMPTY`, types).

use crate::fallocate::FallocMode;
use crate::file_ops::FileOps;
use crate::inode_state::InodeState;
use crate::mount::Path;
use crate::open::OpenFlags;
use crate::types::{DirEntry, FileType, Owner, RenameFlags, SetAttr, Stat, StatFs};
use crate::xattr::XattrFlags;
use arch::{Errno, Result};
use std::any::Any;
use std::sync::Arc;

/// Returns the error a read-only filesystem gives for a directory operation on an
/// inode of type `ft`.
fn read_only(ft: FileType) -> Errno {
    if ft == FileType::Directory {
        Errno::EROFS
    } else {
        Errno::ENOTDIR
    }
}

/// A file of some filesystem, as the VFS sees it.
pub trait Inode: Send + Sync {
    /// Returns the inode's attributes.
    fn stat(&self) -> Result<Stat>;

    /// Returns the inode's type.
    fn file_type(&self) -> FileType;

    /// Returns self as `Any`, so a filesystem can find its own inodes among the
    /// arguments of `link` and `rename` (Linux compares their `i_sb` and
    /// takes its own inode around the VFS one); nothing else downcasts inodes.
    fn as_any(&self) -> &dyn Any;

    /// Returns the tmpfs inode this is, whose pages are frames of guest RAM
    /// that its mappings map directly (Linux's shmem); None on other
    /// filesystems, whose mappings go through the page cache.
    fn shmem(&self) -> Option<&crate::tmpfs::Inode> {
        None
    }

    /// Returns what the VFS keeps on this inode (its page cache): the same
    /// state for every name and open file of the inode, so a filesystem
    /// hands out one object per live inode.
    fn inode_state(&self) -> &InodeState;

    /// Returns the inode number.
    fn ino(&self) -> u64 {
        self.stat().map_or(0, |s| s.ino)
    }

    /// Returns whether `other` is this same inode (same device, same number).
    fn is_same(&self, other: &dyn Inode) -> bool {
        match (self.stat(), other.stat()) {
            (Ok(a), Ok(b)) => a.dev == b.dev && a.ino == b.ino,
            _ => false,
        }
    }

    /// Reads from `offset`; returns fewer bytes at end of file, zeroes for holes,
    /// `EISDIR` on directories.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize>;

    /// Writes at `offset`; read-only filesystems return `EROFS`.
    fn write_at(&self, _offset: u64, _data: &[u8]) -> Result<usize> {
        Err(Errno::EROFS)
    }

    /// Allocates, deallocates, zeroes, removes or inserts the bytes
    /// `[offset, offset + len)` of this regular file as `mode` asks
    /// (fallocate(2)), and sets the modification and change times. The VFS
    /// has checked the file and the range against `i64` and keeps the page
    /// cache in step; the filesystem checks its own size limit (`EFBIG`) and
    /// refuses the modes it does not offer with `EOPNOTSUPP`.
    fn fallocate(&self, _mode: FallocMode, _offset: u64, _len: u64) -> Result<()> {
        Err(Errno::EOPNOTSUPP)
    }

    /// Returns where the first data (or, with `hole`, the first hole) at or
    /// after `offset` starts, for lseek(2)'s `SEEK_DATA` and `SEEK_HOLE`:
    /// `ENXIO` when `offset` is at or past the end, or no data follows it;
    /// the end of the file is always a hole. Without holes to report the
    /// whole file is data.
    fn seek_data(&self, offset: u64, hole: bool) -> Result<u64> {
        let size = self.stat()?.size;
        if offset >= size {
            return Err(Errno::ENXIO);
        }
        Ok(if hole { size } else { offset })
    }

    /// Returns the inode named `name` in this directory (`ENOTDIR`, `ENOENT`).
    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>>;

    /// Emits directory entries from position `pos` (0 = the start, with "." and
    /// ".."), stopping when `emit` returns false; returns the position to resume at
    /// (the position of the refused entry, or the end).
    fn readdir(&self, pos: u64, emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64>;

    /// Returns the target of a symlink (`EINVAL` if this is not a symlink).
    fn readlink(&self) -> Result<Vec<u8>>;

    /// Returns, for a magic link such as /proc/self/fd/N, the place it stands
    /// for, which path walk enters directly instead of resolving `readlink`'s
    /// text (Linux's `get_link` setting the path). `None` for ordinary symlinks.
    fn follow_link(&self) -> Option<Result<Path>> {
        None
    }

    /// Returns the operations of a new open file of this regular file or
    /// directory, for filesystems that keep state per open file (procfs
    /// snapshots its text); `None` to read and write through the inode.
    fn open(&self, _flags: OpenFlags) -> Result<Option<Arc<dyn FileOps>>> {
        Ok(None)
    }

    /// Returns whether the inode's page cache may outlive its last mapping,
    /// as Linux keeps it until memory runs short: true where nothing but
    /// the VFS changes the file (a filesystem on a block device), false
    /// where the host may (hostfs) or the file holds its own frames (tmpfs).
    fn keeps_page_cache(&self) -> bool {
        false
    }

    /// Returns whether a cached dentry for this inode may still be used (Linux's
    /// `d_revalidate`): false once what it shows is gone, as a /proc/PID
    /// directory after its process was reaped; the dentry is then dropped and
    /// the name looked up again.
    fn revalidate(&self) -> bool {
        true
    }

    /// Creates a regular file `name` with permission bits `mode` in this
    /// directory, owned by `owner` (its group replaced by the directory's if
    /// that is set-group-ID, as for every method that creates an inode).
    fn create(&self, _name: &[u8], _mode: u32, _owner: Owner) -> Result<Arc<dyn Inode>> {
        Err(read_only(self.file_type()))
    }

    /// Creates a directory `name` with permission bits `mode`, owned by
    /// `owner` (`EEXIST`); in a set-group-ID directory it is set-group-ID too.
    fn mkdir(&self, _name: &[u8], _mode: u32, _owner: Owner) -> Result<Arc<dyn Inode>> {
        Err(read_only(self.file_type()))
    }

    /// Creates a regular file, device node, FIFO or socket `name`; `mode` holds the
    /// `S_IFMT` type bits and the permission bits, `rdev` the device number.
    fn mknod(&self, _name: &[u8], _mode: u32, _rdev: u64, _owner: Owner) -> Result<Arc<dyn Inode>> {
        Err(read_only(self.file_type()))
    }

    /// Creates a symlink `name` pointing at `target`, owned by `owner`.
    fn symlink(&self, _name: &[u8], _target: &[u8], _owner: Owner) -> Result<Arc<dyn Inode>> {
        Err(read_only(self.file_type()))
    }

    /// Adds the name `name` for `inode`, a non-directory of this filesystem
    /// (`EXDEV` otherwise, `ENOENT` if it has no names left, unless it is a
    /// `tmpfile` still waiting for its first name).
    fn link(&self, _name: &[u8], _inode: &Arc<dyn Inode>) -> Result<()> {
        Err(read_only(self.file_type()))
    }

    /// Removes the non-directory `name` (`EISDIR` for a directory).
    fn unlink(&self, _name: &[u8]) -> Result<()> {
        Err(read_only(self.file_type()))
    }

    /// Removes the empty directory `name` (`ENOTDIR`, `ENOTEMPTY`).
    fn rmdir(&self, _name: &[u8]) -> Result<()> {
        Err(read_only(self.file_type()))
    }

    /// Moves `old_name` of this directory to `new_name` in `new_dir`, replacing
    /// what is there as rename(2) does: a directory only over an empty directory,
    /// never into its own subtree (`EINVAL`), `NOREPLACE` and `EXCHANGE` as
    /// renameat2(2). Two names of the same inode make it do nothing.
    fn rename(
        &self,
        _old_name: &[u8],
        _new_dir: &Arc<dyn Inode>,
        _new_name: &[u8],
        _flags: RenameFlags,
    ) -> Result<()> {
        Err(read_only(self.file_type()))
    }

    /// Changes attributes (chmod, chown, truncate, utimes); also sets the change
    /// time to now.
    fn setattr(&self, _attr: &SetAttr) -> Result<()> {
        Err(Errno::EROFS)
    }

    /// Returns the inode's attribute flags as FS_IOC_GETFLAGS shows them
    /// (`FS_*_FL`, ioctl_iflags(2)); `ENOTTY` where the filesystem keeps
    /// none for this inode (as Linux without `fileattr_get`).
    fn fileattr_get(&self) -> Result<u32> {
        Err(Errno::ENOTTY)
    }

    /// Sets the attribute flags the filesystem lets users change to those
    /// in `flags`, and the change time: `EOPNOTSUPP` for a flag it does not
    /// keep on this inode. The VFS has checked the mount and the caller.
    fn fileattr_set(&self, _flags: u32) -> Result<()> {
        Err(Errno::ENOTTY)
    }

    /// Sets the attribute flags to `flags` as `fileattr_set` does, from an
    /// FS_IOC_FSSETXATTR whose fields are `fsx`; a filesystem that keeps
    /// only the flags (this default, Linux's shmem) refuses any field or
    /// xflag they cannot say (`EOPNOTSUPP`). The VFS has checked the mount
    /// and the caller, and merged `flags` with those the xflags cannot name.
    fn fileattr_set_fsx(&self, flags: u32, fsx: &crate::fileattr::FsXattr) -> Result<()> {
        if fsx.has_fsx() {
            return Err(Errno::EOPNOTSUPP);
        }
        self.fileattr_set(flags)
    }

    /// Checks that a write or truncation through a file already open for
    /// writing may go ahead: ext4 refuses it to an immutable file (`EPERM`,
    /// its write checks), where tmpfs lets it by as Linux's shmem does.
    fn write_checks(&self) -> Result<()> {
        Ok(())
    }

    /// Returns the value of the extended attribute `name` (a full name,
    /// "user.x"; `ENODATA` if there is none). The VFS has checked the name
    /// and the caller's rights.
    fn getxattr(&self, _name: &[u8]) -> Result<Vec<u8>> {
        Err(Errno::EOPNOTSUPP)
    }

    /// Sets the extended attribute `name`: `EEXIST` with `CREATE` if it
    /// exists, `ENODATA` with `REPLACE` if not; also sets the change time.
    fn setxattr(&self, _name: &[u8], _value: &[u8], _flags: XattrFlags) -> Result<()> {
        Err(Errno::EOPNOTSUPP)
    }

    /// Returns the names of the inode's extended attributes.
    fn listxattr(&self) -> Result<Vec<Vec<u8>>> {
        Ok(Vec::new())
    }

    /// Removes the extended attribute `name` (`ENODATA` if there is none).
    fn removexattr(&self, _name: &[u8]) -> Result<()> {
        Err(Errno::EOPNOTSUPP)
    }

    /// Creates a regular file with no name (open(2)'s `O_TMPFILE`) in this
    /// directory's filesystem, with permission bits `mode`, owned as `create`
    /// would make it here, and no links: it lives while it is referenced.
    /// `link` may give it a first name if `linkable` (no `O_EXCL`; Linux's
    /// `I_LINKABLE`); a filesystem without unnamed files gives `EOPNOTSUPP`.
    fn tmpfile(&self, _mode: u32, _owner: Owner, _linkable: bool) -> Result<Arc<dyn Inode>> {
        Err(Errno::EOPNOTSUPP)
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

    /// Returns the filesystem's own mount options as /proc/mounts shows them
    /// after the per-mount ones (",size=65536k,mode=755"), each with its comma.
    fn show_options(&self) -> String {
        String::new()
    }

    /// Returns the file handle of `inode`, one of this filesystem's (Linux's
    /// `export_operations.encode_fh`); `None` for filesystems that cannot
    /// find their inodes again by handle (procfs, sysfs, pipes), to which
    /// name_to_handle_at(2) answers `EOPNOTSUPP`.
    fn encode_fh(&self, _inode: &dyn Inode) -> Option<crate::export::Fid> {
        None
    }

    /// Returns the inode a handle `encode_fh` made names (`fh_to_dentry`):
    /// `ESTALE` when it is gone, its generation differs, or the handle is
    /// not one of this filesystem's.
    fn fh_to_inode(&self, _fid: &crate::export::Fid) -> Result<Arc<dyn Inode>> {
        Err(Errno::ESTALE)
    }

    /// Returns the parent of directory `dir` (`export_operations.get_parent`),
    /// the root its own, so that a directory found by handle is put back in
    /// the dentry tree.
    fn get_parent(&self, _dir: &dyn Inode) -> Result<Arc<dyn Inode>> {
        Err(Errno::ESTALE)
    }

    /// Makes the filesystem itself read-only or read-write (`mount -o
    /// remount,ro|rw`); filesystems without a device have nothing to do.
    fn remount(&self, read_only: bool) -> Result<()> {
        let _ = read_only;
        Ok(())
    }
}
