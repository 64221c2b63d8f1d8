//! Open file descriptions (Linux's `struct file`): the shared offset and status
//! flags of an open file, and `FileOps`, what reading and writing it does. Regular
//! files and directories go through their inode (`InodeOps`); devices, pipes and the
//! console bring their own `FileOps` from other crates.

use crate::address_space;
use crate::fsnotify;
use crate::inode::Inode;
use crate::locks::FileLockContext;
use crate::mount::Path;
use crate::open::OpenFlags;
use crate::perm::Credentials;
use crate::types::{FileType, Stat};
use crate::wait_queue::WaitQueue;
use arch::sync::Mutex;
use arch::{Errno, Result};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

pub const SEEK_SET: u32 = 0;
pub const SEEK_CUR: u32 = 1;
pub const SEEK_END: u32 = 2;
pub const SEEK_DATA: u32 = 3;
pub const SEEK_HOLE: u32 = 4;

bitflags::bitflags! {
    /// poll(2) events, Linux values.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct PollEvents: u32 {
        const POLLIN = 0x1;
        const POLLPRI = 0x2;
        const POLLOUT = 0x4;
        const POLLERR = 0x8;
        const POLLHUP = 0x10;
        const POLLNVAL = 0x20;
        const POLLRDNORM = 0x40;
        const POLLRDBAND = 0x80;
        const POLLWRNORM = 0x100;
        const POLLWRBAND = 0x200;
        const POLLMSG = 0x400;
        const POLLRDHUP = 0x2000;
    }
}

/// What an open file does.
///
/// Files that can block (pipes, terminals, eventfds, sockets) never sleep in
/// `read` or `write`: they return `EAGAIN`, report readiness through `poll`, and
/// wake their `wait_queue` when it may have changed. The kernel does the sleeping
/// (honouring `O_NONBLOCK`, signals and timeouts) in one place for all of them.
pub trait FileOps: Send + Sync {
    /// Reads at `pos` (ignored if not seekable); `EAGAIN` if it would block.
    fn read(&self, pos: u64, buf: &mut [u8]) -> Result<usize>;
    /// Writes at `pos` (ignored if not seekable); `EAGAIN` if it would block.
    fn write(&self, pos: u64, data: &[u8]) -> Result<usize>;
    /// Returns the events ready now; files that never block are always readable
    /// and writable.
    fn poll(&self) -> PollEvents {
        PollEvents::POLLIN | PollEvents::POLLOUT | PollEvents::POLLRDNORM | PollEvents::POLLWRNORM
    }
    /// Returns the queue woken whenever `poll`'s answer may have changed, or None
    /// for files that never block.
    fn wait_queue(&self) -> Option<&WaitQueue> {
        None
    }
    /// Returns false for pipes and ttys: lseek gives ESPIPE and positions are ignored.
    fn seekable(&self) -> bool {
        true
    }
    /// Returns true for byte streams (pipes, sockets, ttys): a blocking write goes
    /// on, sleeping while the file is full, until every byte is written, where a
    /// write to any other file ends at its first short transfer.
    fn is_stream(&self) -> bool {
        false
    }
    /// Performs a device-specific request.
    fn ioctl(&self, _cmd: u32, _arg: u64) -> Result<u64> {
        Err(Errno::ENOTTY)
    }
    /// Returns the attributes of a file that has no inode (a pipe, a socket).
    fn stat(&self) -> Result<Stat> {
        Err(Errno::EBADF)
    }
    /// Returns self as `Any`, so the kernel can find its own types (the tty).
    fn as_any(&self) -> &dyn core::any::Any;
}

/// `FileOps` of a regular file or directory: the inode's own methods, through
/// the page cache when the file is mapped.
pub(crate) struct InodeOps(pub Arc<dyn Inode>);

impl FileOps for InodeOps {
    fn read(&self, pos: u64, buf: &mut [u8]) -> Result<usize> {
        address_space::read(self.0.as_ref(), pos, buf)
    }
    fn write(&self, pos: u64, data: &[u8]) -> Result<usize> {
        address_space::write(self.0.as_ref(), pos, data)
    }
    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}

/// `FileOps` of an `O_PATH` file: no I/O at all.
pub(crate) struct PathOps;

impl FileOps for PathOps {
    fn read(&self, _pos: u64, _buf: &mut [u8]) -> Result<usize> {
        Err(Errno::EBADF)
    }
    fn write(&self, _pos: u64, _data: &[u8]) -> Result<usize> {
        Err(Errno::EBADF)
    }
    fn as_any(&self) -> &dyn core::any::Any {
        self
    }
}

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

    /// Returns the number that identifies this open file (the owner of its
    /// flock and open file description locks).
    pub fn id(&self) -> u64 {
        self.id
    }

    /// Returns the locks of the file's inode, noting that the file takes
    /// locks, which its last close drops; `EBADF` for a file without an inode.
    pub fn file_locks(&self) -> Result<&Arc<FileLockContext>> {
        let inode = self.inode.as_deref().ok_or(Errno::EBADF)?;
        let ctx = inode.inode_state().file_locks();
        Ok(self.file_locks.get_or_init(|| ctx.clone()))
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

    /// Writes at `off` without moving the position (pwrite64).
    pub fn pwrite(&self, data: &[u8], off: u64) -> Result<usize> {
        self.check_write()?;
        if !self.ops.seekable() {
            return Err(Errno::ESPIPE);
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
            let reclen = (19 + e.name.len() + 1).next_multiple_of(8);
            if used + reclen > buf.len() {
                too_small = used == 0;
                return false;
            }
            let rec = &mut buf[used..used + reclen];
            rec.fill(0);
            rec[0..8].copy_from_slice(&e.ino.to_le_bytes());
            rec[8..16].copy_from_slice(&(e.next_pos as i64).to_le_bytes());
            rec[16..18].copy_from_slice(&(reclen as u16).to_le_bytes());
            rec[18] = e.file_type.to_dt();
            rec[19..19 + e.name.len()].copy_from_slice(e.name);
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
