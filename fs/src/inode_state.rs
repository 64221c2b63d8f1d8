//! What the VFS and the kernel keep on an inode beside the filesystem's own
//! data: the fields of Linux's `struct inode` that belong to no filesystem.
//! Every filesystem's inode holds one `InodeState`, empty when the inode is
//! made, and hands it out through `Inode::inode_state`; whoever holds the
//! inode finds its page cache (Linux's `i_mapping`), its watches
//! (`i_fsnotify_marks`), its file locks (`i_flctx`) and a FIFO's pipe
//! (`i_pipe`) there, with no global table and no `stat()` on the way.
//! Filesystems keep one inode object per live inode (ext4's `icache`,
//! tmpfs's directories, the dentry cache for procfs and devpts), so every
//! name and open file of an inode reaches the same state.

use crate::address_space::AddressSpace;
use crate::fsnotify::Mark;
use crate::locks::FileLockContext;
use arch::sync::{Mutex, MutexGuard};
use arch::Result;
use std::any::Any;
use std::sync::{Arc, OnceLock, Weak};

/// The VFS's state of one inode.
#[derive(Default)]
pub struct InodeState {
    /// The page cache, while the file is mapped or has dirty cached pages.
    mapping: Mutex<Option<Arc<dyn AddressSpace>>>,
    /// The pipe of a FIFO while an end of it is open (`i_pipe`); its type
    /// is the kernel's.
    pipe: Mutex<Option<Weak<dyn Any + Send + Sync>>>,
    /// The watches on the inode (`i_fsnotify_marks`).
    marks: Mutex<Vec<Arc<dyn Mark>>>,
    /// The file locks, from the first lock on (`i_flctx`).
    flctx: OnceLock<Arc<FileLockContext>>,
}

impl InodeState {
    /// Returns an empty state.
    pub fn new() -> InodeState {
        InodeState::default()
    }

    /// Locks the slot of the page cache.
    pub(crate) fn mapping(&self) -> MutexGuard<'_, Option<Arc<dyn AddressSpace>>> {
        // Each change is one assignment: the slot is always consistent.
        self.mapping.lock()
    }

    /// Locks the list of the watches on the inode.
    pub(crate) fn marks(&self) -> MutexGuard<'_, Vec<Arc<dyn Mark>>> {
        // Each change is one list operation: the list is always consistent.
        self.marks.lock()
    }

    /// Returns the file locks of the inode, made at the first call.
    pub fn file_locks(&self) -> &Arc<FileLockContext> {
        self.flctx.get_or_init(Arc::default)
    }

    /// Returns the file locks of the inode if it ever had any.
    pub(crate) fn file_locks_if_any(&self) -> Option<&Arc<FileLockContext>> {
        self.flctx.get()
    }

    /// Returns the pipe of this FIFO while an end of it is open, or the new
    /// one `make` returns, which every opener shares until the last end
    /// closes (Linux's `i_pipe`).
    pub fn fifo_pipe<P: Any + Send + Sync>(
        &self,
        make: impl FnOnce() -> Result<Arc<P>>,
    ) -> Result<Arc<P>> {
        let mut slot = self.pipe.lock();
        let open = slot.as_ref().and_then(Weak::upgrade);
        // The slot holds the kernel's pipe, a type this crate cannot name.
        if let Some(pipe) = open.and_then(|p| p.downcast::<P>().ok()) {
            return Ok(pipe);
        }
        let pipe = make()?;
        let any: Arc<dyn Any + Send + Sync> = pipe.clone();
        *slot = Some(Arc::downgrade(&any));
        Ok(pipe)
    }
}
