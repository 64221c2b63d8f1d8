//! The host half of a ubd block device: a host file opened read-write or read-only
//! and locked against other users with a record lock, as UML's ubd does (a write
//! lock for read-write use, a read lock for read-only use). The lock is an open
//! file description lock (F_OFD_SETLK), which conflicts with UML's POSIX locks
//! and, unlike them, also with a second open of the same file by this process:
//! `ubd0=a.img ubd1=a.img` is refused instead of writing through two caches.
//!
//! A copy-on-write disk opens two of them: its COW file (read-write, or created)
//! and its backing file (always read-only, under a read lock, so that many
//! instances share one base image and its host page cache).

use nix::errno::Errno;
use nix::fcntl::{fcntl, FcntlArg};
use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::{FileExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

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

/// How a disk file is opened (UML's ubd flags `r`, `s` and `c`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct OpenMode {
    /// Opened `O_RDONLY` under a read lock, else read-write under a write lock.
    pub read_only: bool,
    /// `O_SYNC`: every write reaches the host's storage before it completes.
    pub sync: bool,
    /// No host lock at all (UML's `c` flag, for a cluster filesystem).
    pub shared: bool,
    /// The file is created (mode 0644); it must not exist yet.
    pub create_new: bool,
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
        Self::open_with(
            path,
            OpenMode {
                read_only,
                ..OpenMode::default()
            },
        )
    }

    /// Opens `path` as `mode` says, locking it unless the mode is shared.
    pub fn open_with(path: &Path, mode: OpenMode) -> Result<HostFile, OpenError> {
        let mut options = OpenOptions::new();
        options.read(true).write(!mode.read_only);
        if mode.create_new {
            options.create_new(true).mode(0o644);
        }
        if mode.sync {
            options.custom_flags(libc::O_SYNC);
        }
        let file = options.open(path).map_err(OpenError::Open)?;
        let meta = file.metadata().map_err(OpenError::Open)?;
        if meta.is_dir() {
            return Err(OpenError::Open(io::Error::from_raw_os_error(libc::EISDIR)));
        }
        if !mode.shared {
            lock(&file, mode.read_only)?;
        }
        Ok(HostFile {
            id: (meta.dev(), meta.ino()),
            size: meta.len(),
            file,
            read_only: mode.read_only,
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

    /// Fills `buf` from `offset`; what lies past the end of the file reads as
    /// zeros (a sparse COW file's data area may end early).
    pub fn read_at_or_zero(&self, offset: u64, buf: &mut [u8]) -> io::Result<()> {
        let mut done = 0;
        while done < buf.len() {
            match self.file.read_at(&mut buf[done..], offset + done as u64) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        buf[done..].fill(0);
        Ok(())
    }

    /// Flushes written data to the host's storage.
    pub fn sync(&self) -> io::Result<()> {
        self.file.sync_data()
    }

    /// Sets the length of the file (a sparse extension: nothing is written).
    pub fn set_len(&mut self, len: u64) -> io::Result<()> {
        self.file.set_len(len)?;
        self.size = len;
        Ok(())
    }

    /// Returns the file's modification time now, in seconds since the epoch.
    pub fn mtime(&self) -> io::Result<i64> {
        Ok(self.file.metadata()?.mtime())
    }
}

/// Returns `path` made absolute as UML's `absolutize` does: its directory
/// with every symbolic link resolved, and its last component as given.
pub fn absolute_path(path: &Path) -> io::Result<PathBuf> {
    match (path.parent(), path.file_name()) {
        (Some(dir), Some(name)) if !dir.as_os_str().is_empty() => {
            Ok(std::fs::canonicalize(dir)?.join(name))
        }
        (_, Some(name)) => Ok(std::env::current_dir()?.join(name)),
        _ => std::fs::canonicalize(path),
    }
}

/// Returns the host (device, inode) of the file at `path`, following links.
pub fn file_id(path: &Path) -> io::Result<(u64, u64)> {
    let meta = std::fs::metadata(path)?;
    Ok((meta.dev(), meta.ino()))
}

/// Removes the file at `path` (a COW file whose creation failed half-way).
pub fn remove(path: &Path) -> io::Result<()> {
    std::fs::remove_file(path)
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

/// Raises this process's soft limit of open files to its hard limit: each
/// stub and each guest thread's clock holds a descriptor of the kernel's, so
/// a thousand guest tasks would pass a shell's usual soft limit of 1024.
pub fn raise_open_file_limit() {
    use nix::sys::resource::{getrlimit, setrlimit, Resource};
    if let Ok((soft, hard)) = getrlimit(Resource::RLIMIT_NOFILE) {
        if soft < hard {
            let _ = setrlimit(Resource::RLIMIT_NOFILE, hard, hard);
        }
    }
}
