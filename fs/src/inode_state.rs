//! What the VFS and the kernel keep on an inode beside the filesystem's own
//! data: the fields of Linux's `struct inode` that belong to no filesystem.
//! Every filesystem's inode holds one `InodeState`, empty when the inode is
//! made, and hands it out through `Inode::inode_state`; whoever holds the
//! inode finds its page cache there (Linux's `i_mapping`), with no global
//! table and no `stat()` on the way. Filesystems keep one inode object per
//! live inode (ext4's `icache`, tmpfs's directories), so every name and open
//! file of an inode reaches the same state.

use crate::address_space::AddressSpace;
use arch::sync::{Mutex, MutexGuard};
use std::sync::Arc;

/// The VFS's state of one inode.
#[derive(Default)]
pub struct InodeState {
    /// The page cache, while the file is mapped or has dirty cached pages.
    mapping: Mutex<Option<Arc<dyn AddressSpace>>>,
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
}
