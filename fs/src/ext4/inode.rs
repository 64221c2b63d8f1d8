//! `ext4::Inode`, the VFS face of an ext4 inode: its record and extent map under
//! one lock, and the `Inode` trait methods, which dispatch to `file` (data),
//! `dir` (lookup and readdir), `namei` (names), `rename` and `attr`. When the
//! last reference to an inode with no names goes, its record moves to the
//! filesystem's eviction queue, and the next change frees it (`orphan`).

use super::dir::Dir;
use super::disk_inode::DiskInode;
use super::extent::ExtentMap;
use super::{file, Ext4};
use crate::fallocate::FallocMode;
use crate::inode::Inode as VfsInode;
use crate::inode_state::InodeState as VfsState;
use crate::types::{DirEntry, FileType, Owner, RenameFlags, SetAttr, Stat};
use crate::xattr::XattrFlags;
use arch::sync::{Mutex, MutexGuard};
use arch::{Errno, Result};
use std::sync::atomic::AtomicBool;
use std::sync::Arc;

/// An inode's record and, once needed, its extent map.
pub(super) struct InodeState {
    pub disk: DiskInode,
    pub extents: Option<ExtentMap>,
}

impl InodeState {
    /// Returns the record and the extent map, reading the map on first use.
    pub fn parts(&mut self, fs: &Ext4, ino: u32) -> Result<(&mut DiskInode, &mut ExtentMap)> {
        if self.extents.is_none() {
            self.extents = Some(ExtentMap::load(&fs.sb, &fs.cache, ino, &self.disk)?);
        }
        match &mut self.extents {
            Some(map) => Ok((&mut self.disk, map)),
            None => Err(Errno::EIO),
        }
    }
}

/// An inode of a mounted ext4 filesystem.
pub struct Inode {
    pub(super) fs: Arc<Ext4>,
    pub(super) ino: u32,
    file_type: FileType,
    state: Mutex<InodeState>,
    /// Whether `link` may give this unnamed file its first name (an
    /// `O_TMPFILE` file opened without `O_EXCL`, until it gets one).
    pub(super) linkable: AtomicBool,
    vfs_state: VfsState,
}

impl Inode {
    pub(super) fn new(fs: Arc<Ext4>, ino: u32, disk: DiskInode) -> Inode {
        Inode {
            fs,
            ino,
            file_type: disk.file_type,
            state: Mutex::new(InodeState {
                disk,
                extents: None,
            }),
            linkable: AtomicBool::new(false),
            vfs_state: VfsState::new(),
        }
    }

    /// Locks the record.
    pub(super) fn lock(&self) -> Result<MutexGuard<'_, InodeState>> {
        Ok(self.state.lock())
    }

    /// Returns the inode's type.
    pub(super) fn kind(&self) -> FileType {
        self.file_type
    }

    /// Returns the link count.
    pub(super) fn links(&self) -> u16 {
        self.lock().map_or(0, |st| st.disk.links)
    }

    /// Returns the ext4 inode behind `inode` if it is one of this filesystem.
    pub(super) fn same_fs<'a>(&self, inode: &'a dyn VfsInode) -> Option<&'a Inode> {
        let other = inode.as_any().downcast_ref::<Inode>()?;
        Arc::ptr_eq(&other.fs, &self.fs).then_some(other)
    }

    /// Runs `f` on this directory, locked (`ENOTDIR` otherwise).
    pub(super) fn with_dir<T>(&self, f: impl FnOnce(&Dir) -> Result<T>) -> Result<T> {
        if self.file_type != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        let mut st = self.lock()?;
        let (disk, map) = st.parts(&self.fs, self.ino)?;
        f(&Dir {
            fs: &self.fs,
            ino: self.ino,
            disk,
            map,
        })
    }
}

impl Drop for Inode {
    fn drop(&mut self) {
        if self.fs.is_read_only() {
            return;
        }
        let st = self.state.get_mut();
        if st.disk.links == 0 {
            let state = InodeState {
                disk: st.disk.clone(),
                extents: st.extents.take(),
            };
            {
                let mut q = self.fs.evicted.lock();
                q.push((self.ino, state));
            }
        }
    }
}

impl VfsInode for Inode {
    fn stat(&self) -> Result<Stat> {
        let st = self.lock()?;
        let d = &st.disk;
        let rdev = match d.file_type {
            FileType::CharDevice | FileType::BlockDevice => d.rdev(),
            _ => 0,
        };
        Ok(Stat {
            dev: self.fs.dev_id,
            ino: self.ino as u64,
            mode: d.mode as u32,
            nlink: d.links as u32,
            uid: d.uid,
            gid: d.gid,
            rdev,
            size: d.size,
            blksize: self.fs.sb.block_size,
            blocks: d.blocks_512,
            atime: d.atime,
            mtime: d.mtime,
            ctime: d.ctime,
        })
    }

    fn file_type(&self) -> FileType {
        self.file_type
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn inode_state(&self) -> &VfsState {
        &self.vfs_state
    }

    fn keeps_page_cache(&self) -> bool {
        true
    }

    fn ino(&self) -> u64 {
        self.ino as u64
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        match self.file_type {
            FileType::Regular => file::read(&self.fs, self.ino, &mut *self.lock()?, offset, buf),
            FileType::Directory => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize> {
        match self.file_type {
            FileType::Regular => {}
            FileType::Directory => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        }
        let mut h = self.fs.begin()?;
        let mut done = 0;
        loop {
            let at = offset.checked_add(done as u64).ok_or(Errno::EFBIG)?;
            match file::write(&mut h, self.ino, &mut *self.lock()?, at, &data[done..]) {
                Ok(n) => done += n,
                Err(e) if done == 0 && !(e == Errno::ENOSPC && h.has_pending_frees()) => {
                    return Err(e)
                }
                Err(_) => {}
            }
            // Out of space with freed blocks waiting for a commit: commit, go on.
            if done == data.len() || !h.has_pending_frees() {
                break;
            }
            h.commit()?;
        }
        h.finish()?;
        Ok(done)
    }

    fn fallocate(&self, mode: FallocMode, offset: u64, len: u64) -> Result<()> {
        self.do_fallocate(mode, offset, len)
    }

    fn seek_data(&self, offset: u64, hole: bool) -> Result<u64> {
        self.do_seek_data(offset, hole)
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn VfsInode>> {
        if self.file_type != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        if name.is_empty() || name.len() > 255 {
            return Err(if name.is_empty() {
                Errno::ENOENT
            } else {
                Errno::ENAMETOOLONG
            });
        }
        let found = self.with_dir(|dir| {
            if dir.disk.links == 0 {
                return Ok(None);
            }
            dir.find(name)
        })?;
        let (ino, _) = found.ok_or(Errno::ENOENT)?;
        Ok(self.fs.named_inode(ino)?)
    }

    fn readdir(&self, pos: u64, emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64> {
        self.with_dir(|dir| dir.readdir(pos, emit))
    }

    fn readlink(&self) -> Result<Vec<u8>> {
        if self.file_type != FileType::Symlink {
            return Err(Errno::EINVAL);
        }
        file::readlink(&self.fs, self.ino, &mut *self.lock()?)
    }

    fn create(&self, name: &[u8], mode: u32, owner: Owner) -> Result<Arc<dyn VfsInode>> {
        let mode = FileType::Regular.to_mode_bits() | (mode & 0o7777);
        self.mknod(name, mode, 0, owner)
    }

    fn mkdir(&self, name: &[u8], mode: u32, owner: Owner) -> Result<Arc<dyn VfsInode>> {
        Ok(self
            .fs
            .retry_enospc(|| self.do_mkdir(name, mode & 0o7777, owner))?)
    }

    fn mknod(&self, name: &[u8], mode: u32, rdev: u64, owner: Owner) -> Result<Arc<dyn VfsInode>> {
        Ok(self
            .fs
            .retry_enospc(|| self.do_mknod(name, mode, rdev, owner))?)
    }

    fn symlink(&self, name: &[u8], target: &[u8], owner: Owner) -> Result<Arc<dyn VfsInode>> {
        Ok(self
            .fs
            .retry_enospc(|| self.do_symlink(name, target, owner))?)
    }

    fn link(&self, name: &[u8], inode: &Arc<dyn VfsInode>) -> Result<()> {
        let target = self.same_fs(inode.as_ref()).ok_or(Errno::EXDEV)?;
        self.fs.retry_enospc(|| self.do_link(name, target))
    }

    fn unlink(&self, name: &[u8]) -> Result<()> {
        self.do_remove(name, false)
    }

    fn rmdir(&self, name: &[u8]) -> Result<()> {
        self.do_remove(name, true)
    }

    fn rename(
        &self,
        old_name: &[u8],
        new_dir: &Arc<dyn VfsInode>,
        new_name: &[u8],
        flags: RenameFlags,
    ) -> Result<()> {
        let new_dir = self.same_fs(new_dir.as_ref()).ok_or(Errno::EXDEV)?;
        self.fs
            .retry_enospc(|| self.do_rename(old_name, new_dir, new_name, flags))
    }

    fn fileattr_get(&self) -> Result<u32> {
        self.get_flags()
    }

    fn fileattr_set(&self, flags: u32) -> Result<()> {
        self.set_flags(flags)
    }

    fn fileattr_set_fsx(&self, flags: u32, fsx: &crate::fileattr::FsXattr) -> Result<()> {
        self.set_flags_fsx(flags, fsx)
    }

    fn write_checks(&self) -> Result<()> {
        self.check_mutable()
    }

    fn setattr(&self, attr: &SetAttr) -> Result<()> {
        self.do_setattr(attr)
    }

    fn getxattr(&self, name: &[u8]) -> Result<Vec<u8>> {
        self.get_xattr(name)
    }

    fn setxattr(&self, name: &[u8], value: &[u8], flags: XattrFlags) -> Result<()> {
        self.fs
            .retry_enospc(|| self.set_xattr(name, Some(value), flags))
    }

    fn listxattr(&self) -> Result<Vec<Vec<u8>>> {
        self.list_xattrs()
    }

    fn removexattr(&self, name: &[u8]) -> Result<()> {
        self.set_xattr(name, None, XattrFlags::REPLACE)
    }

    fn tmpfile(&self, mode: u32, owner: Owner, linkable: bool) -> Result<Arc<dyn VfsInode>> {
        Ok(self
            .fs
            .retry_enospc(|| self.do_tmpfile(mode & 0o7777, owner, linkable))?)
    }
}
