//! Open file descriptions (Linux's `struct file`): the shared offset and status
//! flags of an open file over its `FileOps` (`file_ops`), which say what reading
//! and writing it does.

use crate::address_space;
use crate::file_ops::FileOps;
use crate::fsnotify;
use crate::inode::Inode;
use crate::locks::FileLockContext;
use crate::mount::Path;
use crate::open::OpenFlags;
use crate::perm::Credentials;
use crate::types::{FileType, Stat};
use arch::abi::pod::write_record;
use arch::abi::structs::Dirent64;
use arch::sync::Mutex;
use arch::{Errno, Result};
use std::any::Any;
use std::mem::size_of;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

pub const SEEK_SET: u32 = 0;
pub const SEEK_CUR: u32 = 1;
pub const SEEK_END: u32 = 2;
pub const SEEK_DATA: u32 = 3;
pub const SEEK_HOLE: u32 = 4;

/// An open file description, shared by dup'ed descriptors and across fork.
pub struct File {
    /// A number no other open file has had (the owner of its locks).
    id: u64,
    path: Option<Path>,
    inode: Option<Arc<dyn Inode>>,
    ops: Arc<dyn FileOps>,
    flags: Mutex<OpenFlags>,
    pos: Mutex<u64>,
    /// The inode's locks, once the file took a lock.
    file_locks: OnceLock<Arc<FileLockContext>>,
    /// The credentials of an open by path (Linux's `f_cred`).
    cred: OnceLock<Credentials>,
    /// Who gets signal-driven I/O's signals, and which (Linux's `f_owner`),
    /// from the first fcntl(2) that sets any of it; its type is the
    /// kernel's.
    owner: OnceLock<Arc<dyn Any + Send + Sync>>,
}

impl File {
    /// Creates an open file at position 0.
    pub fn new(path: Option<Path>, ops: Arc<dyn FileOps>, flags: OpenFlags) -> Arc<File> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        let inode = path.as_ref().map(|p| p.inode());
        Arc::new(File {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            path,
            inode,
            ops,
            flags: Mutex::new(flags),
            pos: Mutex::new(0),
            file_locks: OnceLock::new(),
            cred: OnceLock::new(),
            owner: OnceLock::new(),
        })
    }

    /// Records the credentials the file was opened with.
    pub(crate) fn set_cred(&self, cred: &Credentials) {
        let _ = self.cred.set(cred.clone());
    }

    /// Returns the credentials the file was opened with, for files opened by
    /// a path (Linux's `f_cred`); `None` for pipes, sockets and the like.
    pub fn cred(&self) -> Option<&Credentials> {
        self.cred.get()
    }

    /// Returns the file's owner for signal-driven I/O (`f_owner`), made by
    /// `make` at the first call.
    pub fn owner(
        &self,
        make: impl FnOnce() -> Arc<dyn Any + Send + Sync>,
    ) -> &Arc<dyn Any + Send + Sync> {
        self.owner.get_or_init(make)
    }

    /// Returns the number that identifies this open file (the owner of its
    /// flock and open file description locks).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Returns the locks of the file's inode, noting that the file takes
    /// locks, which its last close drops. A file without an inode here (a
    /// socket: Linux locks its sockfs inode, one per socket) keeps locks of
    /// its own, which every descriptor of it shares.
    pub fn file_locks(&self) -> Result<&Arc<FileLockContext>> {
        Ok(self.file_locks.get_or_init(|| match self.inode.as_deref() {
            Some(inode) => inode.inode_state().file_locks().clone(),
            None => Arc::default(),
        }))
    }

    /// Returns the path the file was opened by, if any.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_ref()
    }

    /// Returns the inode, if the file has one.
    pub fn inode(&self) -> Option<&Arc<dyn Inode>> {
        self.inode.as_ref()
    }

    /// Returns the status flags.
    pub fn flags(&self) -> OpenFlags {
        *self.flags.lock()
    }

    /// Replaces the status flags (fcntl F_SETFL; the caller filters the bits).
    pub fn set_flags(&self, f: OpenFlags) {
        {
            let mut flags = self.flags.lock();
            *flags = f;
        }
    }

    /// Returns the operations.
    pub fn ops(&self) -> &Arc<dyn FileOps> {
        &self.ops
    }

    /// Returns the operations as the kernel's type `T`, if they are one.
    ///
    /// This is for the system calls that belong to one kind of file and work
    /// on its own object: epoll_ctl on an epoll instance, timerfd_settime,
    /// inotify_add_watch, pidfd_send_signal, the socket calls (`ENOTSOCK`),
    /// splice and the pipe fcntls on a pipe, as Linux compares `f_op` and
    /// takes `private_data`. Those types live in crates this one cannot
    /// name, so finding them by type is the right tool; behaviour that any
    /// kind of file may have is a `FileOps` method instead.
    pub fn ops_as<T: FileOps + 'static>(&self) -> Option<&T> {
        self.ops.as_any().downcast_ref::<T>()
    }

    fn check_read(&self) -> Result<()> {
        let f = self.flags();
        if f.contains(OpenFlags::O_PATH) || f.access_mode() == OpenFlags::O_WRONLY.bits() {
            return Err(Errno::EBADF);
        }
        Ok(())
    }

    fn check_write(&self) -> Result<()> {
        let f = self.flags();
        if f.contains(OpenFlags::O_PATH) || f.access_mode() == 0 {
            return Err(Errno::EBADF);
        }
        Ok(())
    }

    /// Reports `mask` on the file to its watchers (nothing for files with
    /// no name, or opened with `O_PATH`).
    pub(crate) fn notify(&self, mask: u32) {
        if let Some(p) = &self.path {
            if !self.flags().contains(OpenFlags::O_PATH) {
                fsnotify::dentry_event(&p.dentry, mask);
            }
        }
    }

    /// Reports a read or write that moved `n` bytes.
    fn notify_io(&self, n: usize, mask: u32) {
        if n > 0 {
            self.notify(mask);
        }
    }

    fn lock_pos(&self) -> Result<arch::sync::MutexGuard<'_, u64>> {
        Ok(self.pos.lock())
    }

    /// Reads at the file position and advances it.
    pub fn read(&self, buf: &mut [u8]) -> Result<usize> {
        self.check_read()?;
        if !self.ops.seekable() {
            let n = self.ops.read(0, buf)?;
            self.notify_io(n, fsnotify::IN_ACCESS);
            return Ok(n);
        }
        let mut pos = self.lock_pos()?;
        let n = self.ops.read(*pos, buf)?;
        *pos += n as u64;
        drop(pos);
        self.notify_io(n, fsnotify::IN_ACCESS);
        Ok(n)
    }

    /// Writes at the file position (at the end with `O_APPEND`) and advances it.
    pub fn write(&self, data: &[u8]) -> Result<usize> {
        self.check_write()?;
        if !self.ops.seekable() {
            let n = self.ops.write(0, data)?;
            self.notify_io(n, fsnotify::IN_MODIFY);
            return Ok(n);
        }
        let mut pos = self.lock_pos()?;
        if self.flags().contains(OpenFlags::O_APPEND) {
            if let Some(inode) = &self.inode {
                *pos = inode.stat()?.size;
            }
        }
        let n = self.ops.write(*pos, data)?;
        *pos += n as u64;
        drop(pos);
        self.notify_io(n, fsnotify::IN_MODIFY);
        Ok(n)
    }

    /// Reads at `off` without moving the position (pread64).
    pub fn pread(&self, buf: &mut [u8], off: u64) -> Result<usize> {
        self.check_read()?;
        if !self.ops.seekable() {
            return Err(Errno::ESPIPE);
        }
        let n = self.ops.read(off, buf)?;
        self.notify_io(n, fsnotify::IN_ACCESS);
        Ok(n)
    }

    /// Writes at `off` without moving the position (pwrite64); with
    /// `O_APPEND` at the end, as Linux does (pwrite(2), BUGS).
    pub fn pwrite(&self, data: &[u8], off: u64) -> Result<usize> {
        self.check_write()?;
        if !self.ops.seekable() {
            return Err(Errno::ESPIPE);
        }
        let mut off = off;
        if self.flags().contains(OpenFlags::O_APPEND) {
            if let Some(inode) = &self.inode {
                off = inode.stat()?.size;
            }
        }
        let n = self.ops.write(off, data)?;
        self.notify_io(n, fsnotify::IN_MODIFY);
        Ok(n)
    }

    /// Moves the position (lseek(2)). `SEEK_DATA` and `SEEK_HOLE` ask the
    /// inode; a negative offset is `ENXIO` for them, as on Linux.
    pub fn lseek(&self, off: i64, whence: u32) -> Result<u64> {
        if !self.ops.seekable() {
            return Err(Errno::ESPIPE);
        }
        let mut pos = self.lock_pos()?;
        let size = || -> Result<i64> {
            if let Some(end) = self.ops.end() {
                return Ok(end as i64);
            }
            match &self.inode {
                Some(i) => Ok(i.stat()?.size as i64),
                None => Ok(0),
            }
        };
        let new = match whence {
            SEEK_SET => Some(off),
            SEEK_CUR => (*pos as i64).checked_add(off),
            SEEK_END => size()?.checked_add(off),
            SEEK_DATA | SEEK_HOLE => {
                let (Some(inode), Ok(off)) = (&self.inode, u64::try_from(off)) else {
                    return Err(Errno::ENXIO);
                };
                let to = address_space::seek_data(inode.as_ref(), off, whence == SEEK_HOLE)?;
                i64::try_from(to).ok()
            }
            _ => return Err(Errno::EINVAL),
        };
        match new {
            Some(n) if n >= 0 => {
                *pos = n as u64;
                Ok(n as u64)
            }
            Some(_) => Err(Errno::EINVAL),
            None => Err(Errno::EOVERFLOW),
        }
    }

    /// Returns the current position.
    pub fn pos(&self) -> u64 {
        *self.pos.lock()
    }

    /// Returns the attributes (fstat).
    pub fn stat(&self) -> Result<Stat> {
        match &self.inode {
            Some(i) => i.stat(),
            None => self.ops.stat(),
        }
    }

    /// Fills `buf` with `linux_dirent64` records from the directory position and
    /// advances it (getdents64(2)); `EINVAL` if not even one record fits.
    pub fn getdents64(&self, buf: &mut [u8]) -> Result<usize> {
        if self.flags().contains(OpenFlags::O_PATH) {
            return Err(Errno::EBADF);
        }
        let inode = self.inode.as_ref().ok_or(Errno::ENOTDIR)?;
        if inode.file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        let mut pos = self.lock_pos()?;
        let mut used = 0usize;
        let mut too_small = false;
        let next = inode.readdir(*pos, &mut |e| {
            let reclen = (size_of::<Dirent64>() + e.name.len() + 1).next_multiple_of(8);
            if used + reclen > buf.len() {
                too_small = used == 0;
                return false;
            }
            let header = Dirent64 {
                d_ino: e.ino,
                d_off: e.next_pos as i64,
                d_reclen: reclen as u16,
                d_type: e.file_type.to_dt(),
            };
            write_record(&mut buf[used..used + reclen], &header, e.name);
            used += reclen;
            true
        })?;
        if too_small {
            return Err(Errno::EINVAL);
        }
        *pos = next;
        drop(pos);
        self.notify(fsnotify::IN_ACCESS);
        Ok(used)
    }
}

impl Drop for File {
    /// The last close reports `IN_CLOSE_WRITE` or `IN_CLOSE_NOWRITE` and
    /// drops the file's flock and open file description locks.
    fn drop(&mut self) {
        self.notify(match self.flags().writable() {
            true => fsnotify::IN_CLOSE_WRITE,
            false => fsnotify::IN_CLOSE_NOWRITE,
        });
        if let Some(ctx) = self.file_locks.get() {
            ctx.release_file(self.id);
        }
    }
}
