//! The host half of a ubd block device: a host file opened read-write or read-only
//! and locked against other users with a record lock, as UML's ubd does (a write
//! lock for read-write use, a read lock for read-only use). The lock is an open
//! file description lock (F_OFD_SETLK), which conflicts with UML's POSIX locks
//! and, unlike them, also with a second open of the same file by this process:
//! `ubd0=a.img ubd1=a.img` is refused instead of writing through two caches.

use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::Path;

/// Why a disk image could not be used.
#[derive(Debug)]
pub enum OpenError {
    /// The file could not be opened.
    Open(io::Error),
    /// Another process holds a conflicting lock on it.
    Locked,
    /// Locking failed for another reason.
    Lock(io::Error),
}

/// A host file used as a disk.
pub struct HostFile {
    file: File,
    size: u64,
    read_only: bool,
    id: (u64, u64),
}

impl HostFile {
    /// Opens and locks `path`.
    pub fn open(path: &Path, read_only: bool) -> Result<HostFile, OpenError> {
        let file = OpenOptions::new()
            .read(true)
            .write(!read_only)
            .open(path)
            .map_err(OpenError::Open)?;
        let meta = file.metadata().map_err(OpenError::Open)?;
        if meta.is_dir() {
            return Err(OpenError::Open(io::Error::from_raw_os_error(libc::EISDIR)));
        }
        lock(&file, read_only)?;
        use std::os::unix::fs::MetadataExt;
        Ok(HostFile {
            id: (meta.dev(), meta.ino()),
            size: meta.len(),
            file,
            read_only,
        })
    }

    /// Returns the host (device, inode) of the file, which names it whatever
    /// path reached it.
    pub fn id(&self) -> (u64, u64) {
        self.id
    }

    /// Returns the size of the file in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Returns whether the file was opened read-only.
    pub fn read_only(&self) -> bool {
        self.read_only
    }

    /// Reads exactly `buf.len()` bytes at `offset`.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        self.file.read_exact_at(buf, offset)
    }

    /// Writes all of `data` at `offset`.
    pub fn write_at(&self, offset: u64, data: &[u8]) -> io::Result<()> {
        self.file.write_all_at(data, offset)
    }

    /// Flushes written data to the host's storage.
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }
}

fn lock(file: &File, read_only: bool) -> Result<(), OpenError> {
    let lock_type = if read_only {
        libc::F_RDLCK
    } else {
        libc::F_WRLCK
    };
    // The whole file (l_len 0), l_pid 0 as OFD locks require.
    let fl = libc::flock {
        l_type: lock_type as libc::c_short,
        l_whence: libc::SEEK_SET as libc::c_short,
        l_start: 0,
        l_len: 0,
        l_pid: 0,
    };
    match fcntl(file, FcntlArg::F_OFD_SETLK(&fl)) {
        Ok(_) => Ok(()),
        Err(Errno::EAGAIN | Errno::EACCES) => Err(OpenError::Locked),
        Err(e) => Err(OpenError::Lock(e.into())),
    }
}
