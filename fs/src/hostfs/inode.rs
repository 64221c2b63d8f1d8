//! `hostfs::Inode`: one host file, held open. A regular file is held
//! read-write, or read-only, or (when the host refuses both) as an `O_PATH`
//! descriptor whose reads and writes give `EACCES`; a directory is held
//! open for reading (or `O_PATH` when the host refuses that) and is the
//! base of every open of its children (see `dir`); anything else is held
//! `O_PATH`. Attributes are the host's, read by `fstat` each time.

use super::{HostKey, Super};
use crate::inode::Inode as VfsInode;
use crate::inode_state::InodeState;
use crate::types::{AttrTime, DirEntry, FileType, Owner, RenameFlags, SetAttr, Stat, Timespec};
use arch::host::hostfs::{HostFd, HostStat, HostTime};
use arch::{Errno, Result};
use std::any::Any;
use std::sync::{Arc, Weak};

/// How an inode's descriptor was opened.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Access {
    ReadWrite,
    Read,
    /// `O_PATH`: attributes only.
    Path,
}

/// An inode of a hostfs.
pub struct Inode {
    pub(super) sb: Arc<Super>,
    pub(super) fd: HostFd,
    pub(super) access: Access,
    key: HostKey,
    file_type: FileType,
    pub(super) this: Weak<Inode>,
    vfs_state: InodeState,
}

/// Returns the type of the host mode `mode` (`EIO` for none known).
pub(super) fn file_type(mode: u32) -> Result<FileType> {
    FileType::from_mode(mode).ok_or(Errno::EIO)
}

impl Inode {
    /// Creates the inode of the host file `fd` refers to, opened as
    /// `access` says.
    pub(super) fn with_access(sb: &Arc<Super>, fd: HostFd, access: Access) -> Result<Arc<Inode>> {
        let st = fd.stat()?;
        Ok(Arc::new_cyclic(|this| Inode {
            sb: sb.clone(),
            fd,
            access,
            key: (st.dev, st.ino),
            file_type: file_type(st.mode).unwrap_or(FileType::Regular),
            this: this.clone(),
            vfs_state: InodeState::new(),
        }))
    }

    /// Creates the inode of the directory `fd`, open for reading if
    /// `readable`.
    pub(super) fn new(sb: &Arc<Super>, fd: HostFd, readable: bool) -> Result<Arc<Inode>> {
        let access = if readable { Access::Read } else { Access::Path };
        Self::with_access(sb, fd, access)
    }

    /// Returns the host file's identity.
    pub(super) fn key(&self) -> HostKey {
        self.key
    }

    /// Returns the `Arc` this inode lives in.
    pub(super) fn arc(&self) -> Arc<Inode> {
        self.this
            .upgrade()
            .expect("a hostfs inode is reached only through an Arc")
    }

    /// Returns the hostfs inode behind `inode`, if it belongs to this mount.
    pub(super) fn same_fs(&self, inode: &dyn VfsInode) -> Option<Arc<Inode>> {
        let other = inode.as_any().downcast_ref::<Inode>()?;
        Arc::ptr_eq(&other.sb, &self.sb).then(|| other.arc())
    }

    /// Returns the host's attributes.
    fn host_stat(&self) -> Result<HostStat> {
        self.fd.stat()
    }
}

impl Drop for Inode {
    fn drop(&mut self) {
        self.sb.forget(self.key);
    }
}

/// Returns a host time as the VFS's.
fn time((sec, nsec): (i64, u32)) -> Timespec {
    Timespec { sec, nsec }
}

/// Returns a time of `setattr` as the host's.
fn host_time(t: Option<AttrTime>) -> HostTime {
    match t {
        None => HostTime::Omit,
        Some(AttrTime::Now) => HostTime::Now,
        Some(AttrTime::At(t)) => HostTime::At(t.sec, t.nsec),
    }
}

impl VfsInode for Inode {
    fn stat(&self) -> Result<Stat> {
        let st = self.host_stat()?;
        Ok(Stat {
            dev: self.sb.dev,
            ino: st.ino,
            mode: st.mode,
            nlink: u32::try_from(st.nlink).unwrap_or(u32::MAX),
            uid: st.uid,
            gid: st.gid,
            rdev: st.rdev,
            size: st.size,
            blksize: u32::try_from(st.blksize).unwrap_or(4096),
            blocks: st.blocks,
            atime: time(st.atime),
            mtime: time(st.mtime),
            ctime: time(st.ctime),
        })
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

    fn ino(&self) -> u64 {
        self.key.1
    }

    fn is_same(&self, other: &dyn VfsInode) -> bool {
        std::ptr::addr_eq(other, self)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        match (self.file_type, self.access) {
            (FileType::Directory, _) => Err(Errno::EISDIR),
            (FileType::Regular, Access::Path) => Err(Errno::EACCES),
            (FileType::Regular, _) => self.fd.read_at(offset, buf),
            _ => Err(Errno::EINVAL),
        }
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize> {
        match (self.file_type, self.access) {
            (FileType::Directory, _) => Err(Errno::EISDIR),
            (FileType::Regular, Access::ReadWrite) => self.fd.write_at(offset, data),
            (FileType::Regular, _) => Err(Errno::EACCES),
            _ => Err(Errno::EINVAL),
        }
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn VfsInode>> {
        Ok(self.child(name)?)
    }

    fn readdir(&self, pos: u64, emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64> {
        self.do_readdir(pos, emit)
    }

    fn readlink(&self) -> Result<Vec<u8>> {
        if self.file_type != FileType::Symlink {
            return Err(Errno::EINVAL);
        }
        self.fd.readlink()
    }

    fn create(&self, name: &[u8], mode: u32, _owner: Owner) -> Result<Arc<dyn VfsInode>> {
        Ok(self.do_create(name, mode)?)
    }

    fn mkdir(&self, name: &[u8], mode: u32, _owner: Owner) -> Result<Arc<dyn VfsInode>> {
        Ok(self.do_mkdir(name, mode)?)
    }

    fn mknod(&self, name: &[u8], mode: u32, rdev: u64, _owner: Owner) -> Result<Arc<dyn VfsInode>> {
        Ok(self.do_mknod(name, mode, rdev)?)
    }

    fn symlink(&self, name: &[u8], target: &[u8], _owner: Owner) -> Result<Arc<dyn VfsInode>> {
        Ok(self.do_symlink(name, target)?)
    }

    fn link(&self, name: &[u8], inode: &Arc<dyn VfsInode>) -> Result<()> {
        let target = self.same_fs(inode.as_ref()).ok_or(Errno::EXDEV)?;
        self.do_link(name, &target)
    }

    fn unlink(&self, name: &[u8]) -> Result<()> {
        self.do_unlink(name, false)
    }

    fn rmdir(&self, name: &[u8]) -> Result<()> {
        self.do_unlink(name, true)
    }

    fn rename(
        &self,
        old_name: &[u8],
        new_dir: &Arc<dyn VfsInode>,
        new_name: &[u8],
        flags: RenameFlags,
    ) -> Result<()> {
        let new_dir = self.same_fs(new_dir.as_ref()).ok_or(Errno::EXDEV)?;
        self.do_rename(old_name, &new_dir, new_name, flags)
    }

    /// Changes the host file: owners as far as the host user may, the
    /// size only through a descriptor open for writing (`EACCES` else).
    fn setattr(&self, attr: &SetAttr) -> Result<()> {
        if let Some(size) = attr.size {
            if self.file_type != FileType::Regular {
                return Err(Errno::EINVAL);
            }
            if self.access != Access::ReadWrite {
                return Err(Errno::EACCES);
            }
            self.fd.truncate(size)?;
        }
        if attr.uid.is_some() || attr.gid.is_some() {
            self.fd.chown(attr.uid, attr.gid)?;
        }
        if let Some(mode) = attr.mode {
            // fchmod needs a descriptor that is not O_PATH.
            if self.access == Access::Path {
                return Err(Errno::EPERM);
            }
            self.fd.chmod(mode)?;
        }
        if attr.atime.is_some() || attr.mtime.is_some() {
            self.fd
                .set_times(host_time(attr.atime), host_time(attr.mtime))?;
        }
        Ok(())
    }
}
