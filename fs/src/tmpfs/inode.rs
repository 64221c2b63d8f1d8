//! `tmpfs::Inode`: its attributes (see `attr`) and its body — pages, a
//! directory, a symlink target, or a device number for device nodes, FIFOs and
//! sockets. Directory operations are in `dir`, file data in `file`, rename in
//! `rename`.

use super::attr::Meta;
use super::dir::Dir;
use super::file::Pages;
use super::{is_dir, Super, PAGE_SIZE};
use crate::fallocate::FallocMode;
use crate::inode::Inode as VfsInode;
use crate::inode_state::InodeState;
use crate::types::{DirEntry, FileType, Owner, RenameFlags, SetAttr, Stat, S_IFMT};
use crate::xattr::XattrFlags;
use arch::sync::{Mutex, MutexGuard};
use arch::{Errno, Result};
use std::any::Any;
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

/// The `st_size` a directory entry adds to its directory (Linux's `BOGO_DIRENT_SIZE`).
pub(super) const BOGO_DIRENT_SIZE: u64 = 20;
/// Symlink targets this long or longer take a page, as in Linux's shmem.
const SHORT_SYMLINK_LEN: usize = 128;
/// The largest file size (Linux's `MAX_LFS_FILESIZE`).
pub(super) const MAX_FILE_SIZE: u64 = i64::MAX as u64;

/// What an inode holds besides its attributes.
pub(super) enum Body {
    File(Pages),
    Dir(Dir),
    Symlink(Vec<u8>),
    /// Device nodes, FIFOs and sockets: only the device number.
    Special(u64),
}

/// An inode's attributes and body, under one lock.
pub(super) struct State {
    pub meta: Meta,
    pub body: Body,
    /// Extended attributes, by full name.
    pub xattrs: BTreeMap<Vec<u8>, Vec<u8>>,
}

/// An inode of a tmpfs.
pub struct Inode {
    pub(super) sb: Arc<Super>,
    pub(super) ino: u64,
    /// A random number that tells this inode from an earlier one of the
    /// same number in file handles (`i_generation`).
    pub(super) generation: u32,
    file_type: FileType,
    this: Weak<Inode>,
    state: Mutex<State>,
    vfs_state: InodeState,
}

impl Inode {
    /// Creates the root directory, its own parent.
    pub(super) fn new_root(sb: &Arc<Super>, mode: u32) -> Result<Arc<Inode>> {
        let ino = sb.alloc_ino()?;
        let now = sb.now();
        Ok(Arc::new_cyclic(|this| Inode {
            sb: sb.clone(),
            ino,
            generation: super::export::new_generation(),
            file_type: FileType::Directory,
            this: this.clone(),
            vfs_state: InodeState::new(),
            state: Mutex::new(State {
                meta: Meta {
                    mode,
                    uid: 0,
                    gid: 0,
                    nlink: 2,
                    atime: now,
                    mtime: now,
                    ctime: now,
                    linkable: false,
                    fsflags: 0,
                },
                body: Body::Dir(Dir::new(this.clone())),
                xattrs: BTreeMap::new(),
            }),
        }))
    }

    /// Creates an inode of type `ft` with permission bits `mode`, owned by
    /// `owner`.
    pub(super) fn new(
        sb: &Arc<Super>,
        ft: FileType,
        mode: u32,
        owner: Owner,
        body: Body,
    ) -> Result<Arc<Inode>> {
        let page = body.pages();
        if page > 0 {
            sb.alloc_page()?;
        }
        let ino = sb.alloc_ino().inspect_err(|_| sb.free_pages(page))?;
        let now = sb.now();
        Ok(Arc::new_cyclic(|this| Inode {
            sb: sb.clone(),
            ino,
            generation: super::export::new_generation(),
            file_type: ft,
            this: this.clone(),
            vfs_state: InodeState::new(),
            state: Mutex::new(State {
                meta: Meta {
                    mode: mode & 0o7777,
                    uid: owner.uid,
                    gid: owner.gid,
                    nlink: if is_dir(ft) { 2 } else { 1 },
                    atime: now,
                    mtime: now,
                    ctime: now,
                    linkable: false,
                    fsflags: 0,
                },
                body,
                xattrs: BTreeMap::new(),
            }),
        }))
    }

    /// Locks the inode's state.
    pub(super) fn state(&self) -> Result<MutexGuard<'_, State>> {
        Ok(self.state.lock())
    }

    /// Returns the `Arc` this inode lives in.
    pub(super) fn arc(&self) -> Arc<Inode> {
        self.this
            .upgrade()
            .expect("a tmpfs inode is reached only through an Arc")
    }

    /// Returns the tmpfs inode behind `inode`, if it belongs to this filesystem.
    pub(super) fn same_fs(&self, inode: &dyn VfsInode) -> Option<Arc<Inode>> {
        let other = inode.as_any().downcast_ref::<Inode>()?;
        Arc::ptr_eq(&other.sb, &self.sb).then(|| other.arc())
    }
}

impl Body {
    /// Returns how many pages of the filesystem's space this body takes.
    fn pages(&self) -> u64 {
        match self {
            Body::File(p) => p.pages(),
            Body::Symlink(t) => u64::from(t.len() >= SHORT_SYMLINK_LEN),
            _ => 0,
        }
    }
}

impl Inode {
    /// Returns the frame of page `index` of this regular file for a fault of
    /// a mapping of it, with a reference taken for the mapping; the page is
    /// allocated if it is a hole. `Bus` beyond the end of the file or past
    /// `size=` (Linux's shmem_fault), `Oom` without a frame.
    pub fn fault_page(&self, index: u64) -> Result<u64, mm::FaultError> {
        let mut st = self.state().map_err(|_| mm::FaultError::Bus)?;
        match &mut st.body {
            Body::File(pages) => pages.fault_page(index, &self.sb),
            _ => Err(mm::FaultError::Bus),
        }
    }

    /// Returns the frames of the allocated pages of this regular file with
    /// indexes in `[first, end)`.
    pub fn frames_in(&self, first: u64, end: u64) -> Vec<u64> {
        match self.state().as_deref() {
            Ok(State {
                body: Body::File(pages),
                ..
            }) => pages.frames_in(first, end),
            _ => Vec::new(),
        }
    }
}

impl Drop for Inode {
    fn drop(&mut self) {
        let st = self.state.get_mut();
        match &mut st.body {
            Body::File(pages) => pages.release_all(&self.sb),
            body => self.sb.free_pages(body.pages()),
        }
        self.sb.free_ino();
        self.sb.forget_exported(self.ino);
    }
}

impl VfsInode for Inode {
    fn stat(&self) -> Result<Stat> {
        let st = self.state()?;
        let m = &st.meta;
        let (size, rdev) = match &st.body {
            Body::File(p) => (p.size(), 0),
            Body::Dir(d) => ((2 + d.len() as u64) * BOGO_DIRENT_SIZE, 0),
            Body::Symlink(t) => (t.len() as u64, 0),
            Body::Special(rdev) => (0, *rdev),
        };
        let blocks = st.body.pages() * (PAGE_SIZE / 512);
        Ok(Stat {
            dev: self.sb.dev,
            ino: self.ino,
            mode: self.file_type.to_mode_bits() | m.mode,
            nlink: m.nlink,
            uid: m.uid,
            gid: m.gid,
            rdev,
            size,
            blksize: PAGE_SIZE as u32,
            blocks,
            atime: m.atime,
            mtime: m.mtime,
            ctime: m.ctime,
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
        self.ino
    }

    fn is_same(&self, other: &dyn VfsInode) -> bool {
        std::ptr::addr_eq(other, self)
    }

    fn shmem(&self) -> Option<&Inode> {
        Some(self)
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let now = self.sb.now();
        let mut st = self.state()?;
        let n = match &st.body {
            Body::File(pages) => pages.read(offset, buf, &self.sb),
            Body::Dir(_) => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        };
        st.meta.accessed(now);
        Ok(n)
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize> {
        let now = self.sb.now();
        let mut st = self.state()?;
        let n = match &mut st.body {
            Body::File(pages) => pages.write(offset, data, &self.sb)?,
            Body::Dir(_) => return Err(Errno::EISDIR),
            _ => return Err(Errno::EINVAL),
        };
        if n > 0 {
            st.meta.modified(now);
        }
        Ok(n)
    }

    /// Offers what Linux's shmem does: allocation (with or without
    /// `KEEP_SIZE`) and punching holes.
    fn fallocate(&self, mode: FallocMode, offset: u64, len: u64) -> Result<()> {
        let now = self.sb.now();
        let mut st = self.state()?;
        let Body::File(pages) = &mut st.body else {
            return Err(Errno::ENODEV);
        };
        let end = offset.checked_add(len).ok_or(Errno::EFBIG)?;
        pages.sealed_fallocate(end, mode == FallocMode::PunchHole)?;
        match mode {
            FallocMode::Allocate { keep_size } => {
                pages.allocate(offset, end, keep_size, &self.sb)?
            }
            FallocMode::PunchHole => pages.punch_hole(offset, end, &self.sb),
            _ => return Err(Errno::EOPNOTSUPP),
        }
        st.meta.modified(now);
        Ok(())
    }

    fn seek_data(&self, offset: u64, hole: bool) -> Result<u64> {
        match &self.state()?.body {
            Body::File(pages) => pages.seek_data(offset, hole),
            // Linux's tmpfs directories move only with SEEK_SET and SEEK_CUR.
            Body::Dir(_) => Err(Errno::EINVAL),
            _ => Err(Errno::ENXIO),
        }
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn VfsInode>> {
        Ok(self.child(name)?)
    }

    fn readdir(&self, pos: u64, emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64> {
        self.do_readdir(pos, emit)
    }

    fn readlink(&self) -> Result<Vec<u8>> {
        let now = self.sb.now();
        let mut st = self.state()?;
        let target = match &st.body {
            Body::Symlink(t) => t.clone(),
            _ => return Err(Errno::EINVAL),
        };
        st.meta.accessed(now);
        Ok(target)
    }

    fn create(&self, name: &[u8], mode: u32, owner: Owner) -> Result<Arc<dyn VfsInode>> {
        let mode = FileType::Regular.to_mode_bits() | (mode & 0o7777);
        self.mknod(name, mode, 0, owner)
    }

    fn mkdir(&self, name: &[u8], mode: u32, owner: Owner) -> Result<Arc<dyn VfsInode>> {
        let this = Arc::downgrade(&self.arc());
        Ok(
            self.add(name, FileType::Directory, mode & 0o1777, owner, || {
                Body::Dir(Dir::new(this))
            })?,
        )
    }

    fn mknod(&self, name: &[u8], mode: u32, rdev: u64, owner: Owner) -> Result<Arc<dyn VfsInode>> {
        let ft = FileType::from_mode(mode).ok_or(Errno::EINVAL)?;
        let body = || match ft {
            FileType::Regular => Body::File(Pages::default()),
            FileType::CharDevice | FileType::BlockDevice => Body::Special(rdev),
            _ => Body::Special(0),
        };
        match ft {
            FileType::Directory => Err(Errno::EPERM),
            FileType::Symlink => Err(Errno::EINVAL),
            _ => Ok(self.add(name, ft, mode & !S_IFMT, owner, body)?),
        }
    }

    fn symlink(&self, name: &[u8], target: &[u8], owner: Owner) -> Result<Arc<dyn VfsInode>> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() >= crate::namei::PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let t = target.to_vec();
        Ok(self.add(name, FileType::Symlink, 0o777, owner, || Body::Symlink(t))?)
    }

    fn link(&self, name: &[u8], inode: &Arc<dyn VfsInode>) -> Result<()> {
        let target = self.same_fs(inode.as_ref()).ok_or(Errno::EXDEV)?;
        self.do_link(name, &target)
    }

    fn unlink(&self, name: &[u8]) -> Result<()> {
        self.remove(name, false)
    }

    fn rmdir(&self, name: &[u8]) -> Result<()> {
        self.remove(name, true)
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

    fn fileattr_get(&self) -> Result<u32> {
        self.get_flags()
    }

    fn fileattr_set(&self, flags: u32) -> Result<()> {
        self.set_flags(flags)
    }

    fn setattr(&self, attr: &SetAttr) -> Result<()> {
        self.do_setattr(attr)
    }

    fn getxattr(&self, name: &[u8]) -> Result<Vec<u8>> {
        self.get_xattr(name)
    }

    fn setxattr(&self, name: &[u8], value: &[u8], flags: XattrFlags) -> Result<()> {
        self.set_xattr(name, Some(value), flags)
    }

    fn listxattr(&self) -> Result<Vec<Vec<u8>>> {
        Ok(self.state()?.xattrs.keys().cloned().collect())
    }

    fn removexattr(&self, name: &[u8]) -> Result<()> {
        self.set_xattr(name, None, XattrFlags::REPLACE)
    }

    fn tmpfile(&self, mode: u32, owner: Owner, linkable: bool) -> Result<Arc<dyn VfsInode>> {
        Ok(self.do_tmpfile(mode & 0o7777, owner, linkable)?)
    }
}
