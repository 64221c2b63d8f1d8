//! tmpfs: a filesystem that lives in memory: file data in frames of guest
//! RAM (see `file`), the rest in kernel memory. Directories, regular files
//! (sparse pages: holes read as zeroes), symlinks, device nodes, FIFOs and
//! sockets are `Inode`s; a directory holds its children by `Arc`, so a file
//! unlinked while open lives on in the open file until it is closed, as does
//! an unnamed `O_TMPFILE` file, which no directory holds. Limits on pages
//! and inodes (mount(8)'s `size=` and `nr_inodes=`) give `ENOSPC`, as Linux's
//! shmem does, and `statfs` reports them.
//!
//! Namespace changes of one tmpfs are serialised by its namespace lock (Linux's
//! `s_vfs_rename_mutex`, widened to every change), so they never hold two inode
//! locks at once.

mod attr;
mod dir;
mod export;
mod file;
mod fileattr;
mod inode;
mod rename;
mod seals;
mod xattr;

pub use inode::Inode;
pub use seals::*;

use crate::clock::Clock;
use crate::inode::{FileSystem, Inode as VfsInode};
use crate::types::{FileType, StatFs, Timespec};
use arch::sync::{Mutex, MutexGuard};
use arch::{Errno, Result};
use mm::FrameAllocator;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};

/// `TMPFS_MAGIC`, the `f_type` statfs(2) reports.
pub const TMPFS_MAGIC: u64 = 0x0102_1994;
/// The page size file data is kept in.
pub(crate) use arch::PAGE_SIZE;

/// The options of one tmpfs mount.
#[derive(Clone, Copy, Debug)]
pub struct Options {
    /// The device number its inodes report (an anonymous 0:N device).
    pub dev: u64,
    /// The most file data it holds, in bytes (`size=`).
    pub size: u64,
    /// The most inodes it holds (`nr_inodes=`).
    pub nr_inodes: u64,
    /// The permission bits of the root directory (`mode=`, 1777 by default).
    pub mode: u32,
}

/// What every inode of one tmpfs shares: its limits, usage and clock.
pub(crate) struct Super {
    dev: u64,
    /// The root directory's permission bits at mount time, for /proc/mounts.
    mode: u32,
    clock: Arc<dyn Clock>,
    /// Where file pages come from.
    frames: Arc<FrameAllocator>,
    max_pages: u64,
    max_inodes: u64,
    pages: AtomicU64,
    inodes: AtomicU64,
    next_ino: AtomicU64,
    namespace: Mutex<()>,
    /// The inodes a file handle was made for, by number (Linux hashes a
    /// shmem inode when its first handle is encoded); weak, so a handle
    /// does not keep its file alive.
    exported: Mutex<HashMap<u64, Weak<Inode>>>,
}

impl Super {
    /// Returns the current time.
    fn now(&self) -> Timespec {
        self.clock.now()
    }

    /// Takes the namespace lock.
    fn lock_namespace(&self) -> Result<MutexGuard<'_, ()>> {
        Ok(self.namespace.lock())
    }

    /// Adds one to `counter` unless it is at `max` (`ENOSPC`).
    fn charge(counter: &AtomicU64, max: u64) -> Result<()> {
        counter
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |n| {
                (n < max).then_some(n + 1)
            })
            .map(|_| ())
            .map_err(|_| Errno::ENOSPC)
    }

    /// Accounts for a new inode and returns its number (`ENOSPC` at the limit).
    fn alloc_ino(&self) -> Result<u64> {
        Self::charge(&self.inodes, self.max_inodes)?;
        Ok(self.next_ino.fetch_add(1, Ordering::Relaxed))
    }

    /// Accounts for a freed inode.
    fn free_ino(&self) {
        self.inodes.fetch_sub(1, Ordering::Relaxed);
    }

    /// Accounts for a new page of file data (`ENOSPC` at the limit).
    fn alloc_page(&self) -> Result<()> {
        Self::charge(&self.pages, self.max_pages)
    }

    /// Accounts for `n` freed pages.
    fn free_pages(&self, n: u64) {
        self.pages.fetch_sub(n, Ordering::Relaxed);
    }

    /// Returns a zeroed frame for a file page, counted as Shmem: for a fault
    /// (`user`) one the OOM killer may free memory for, else one that leaves
    /// RAM's reserve alone; `ENOMEM` without one.
    fn new_frame(&self, user: bool) -> Result<u64> {
        let paddr = match user {
            true => self.frames.alloc()?,
            false => self.frames.alloc_kernel()?,
        };
        self.frames.account_shmem(1);
        Ok(paddr)
    }

    /// Puts the file page's reference to the frame at `paddr`.
    fn put_frame(&self, paddr: u64) {
        self.frames.account_shmem(-1);
        self.frames.put(paddr);
    }
}

/// A mounted tmpfs.
pub struct Tmpfs {
    sb: Arc<Super>,
    root: Arc<Inode>,
}

impl Tmpfs {
    /// Creates an empty tmpfs whose root directory has permission bits
    /// `opts.mode` and whose file pages are frames of `frames`.
    pub fn new(
        opts: Options,
        clock: Arc<dyn Clock>,
        frames: Arc<FrameAllocator>,
    ) -> Result<Arc<Tmpfs>> {
        let sb = Arc::new(Super {
            dev: opts.dev,
            mode: opts.mode & 0o7777,
            clock,
            frames,
            max_pages: opts.size / PAGE_SIZE,
            max_inodes: opts.nr_inodes.max(1),
            pages: AtomicU64::new(0),
            inodes: AtomicU64::new(0),
            next_ino: AtomicU64::new(1),
            namespace: Mutex::new(()),
            exported: Mutex::default(),
        });
        let root = Inode::new_root(&sb, opts.mode & 0o7777)?;
        Ok(Arc::new(Tmpfs { sb, root }))
    }
}

impl FileSystem for Tmpfs {
    fn root(&self) -> Result<Arc<dyn VfsInode>> {
        Ok(self.root.clone())
    }

    fn name(&self) -> &'static str {
        "tmpfs"
    }

    fn dev(&self) -> u64 {
        self.sb.dev
    }

    fn sync(&self) -> Result<()> {
        Ok(())
    }

    fn encode_fh(&self, inode: &dyn VfsInode) -> Option<crate::export::Fid> {
        self.sb.encode_fh(inode)
    }

    fn fh_to_inode(&self, fid: &crate::export::Fid) -> Result<Arc<dyn VfsInode>> {
        self.sb.fh_to_inode(fid)
    }

    fn get_parent(&self, dir: &dyn VfsInode) -> Result<Arc<dyn VfsInode>> {
        self.sb.get_parent(dir)
    }

    fn show_options(&self) -> String {
        let sb = &self.sb;
        let mut s = format!(
            ",size={}k,nr_inodes={}",
            sb.max_pages * (PAGE_SIZE / 1024),
            sb.max_inodes
        );
        if sb.mode != 0o1777 {
            s.push_str(&format!(",mode={:o}", sb.mode));
        }
        s
    }

    fn statfs(&self) -> StatFs {
        let sb = &self.sb;
        let bfree = sb.max_pages - sb.pages.load(Ordering::Relaxed).min(sb.max_pages);
        let ffree = sb.max_inodes - sb.inodes.load(Ordering::Relaxed).min(sb.max_inodes);
        StatFs {
            f_type: TMPFS_MAGIC,
            bsize: PAGE_SIZE,
            blocks: sb.max_pages,
            bfree,
            bavail: bfree,
            files: sb.max_inodes,
            ffree,
            fsid: [sb.dev as u32, (sb.dev >> 32) as u32],
            namelen: crate::namei::NAME_MAX as u64,
            frsize: PAGE_SIZE,
            flags: 0,
        }
    }
}

/// Returns whether `ft` is a directory.
fn is_dir(ft: FileType) -> bool {
    ft == FileType::Directory
}
