//! tmpfs's file handles, as Linux's `shmem_export_ops`: type 1 with three
//! words, the generation then the 64-bit inode number low word first
//! (`shmem_encode_fh`). Only an inode in memory can be found again, and
//! only through a handle made for it (the encoder enters it in the
//! superblock's table, weakly), while it lives: a file unlinked but still
//! open opens again (its dentry is the alias Linux 6.18 finds), one closed
//! too is gone (`ESTALE`).

use super::inode::Inode;
use super::Super;
use crate::export::Fid;
use crate::inode::Inode as VfsInode;
use arch::{Errno, Result};
use std::sync::{Arc, Weak};

/// Returns a new inode's generation (Linux's shmem: `get_random_u32()`).
pub(super) fn new_generation() -> u32 {
    let mut b = [0u8; 4];
    arch::host::random::getrandom(&mut b);
    u32::from_ne_bytes(b)
}

impl Super {
    /// Returns the handle of `inode`, entering it in the table of inodes
    /// handles name.
    pub(super) fn encode_fh(&self, inode: &dyn VfsInode) -> Option<Fid> {
        let inode = inode.as_any().downcast_ref::<Inode>()?;
        {
            let mut table = self.exported.lock();
            table.insert(inode.ino, Arc::downgrade(&inode.arc()));
        }
        Some(Fid {
            fh_type: 1,
            words: vec![inode.generation, inode.ino as u32, (inode.ino >> 32) as u32],
        })
    }

    /// Returns the inode handle `fid` names (any type: Linux's shmem does
    /// not look at it).
    pub(super) fn fh_to_inode(&self, fid: &Fid) -> Result<Arc<dyn VfsInode>> {
        let &[generation, lo, hi, ..] = &fid.words[..] else {
            return Err(Errno::ESTALE);
        };
        let ino = u64::from(hi) << 32 | u64::from(lo);
        // Take the inode out of the table before anything may drop it (its
        // `Drop` takes the table's lock).
        let found = {
            let table = self.exported.lock();
            table.get(&ino).and_then(Weak::upgrade)
        };
        let inode = found.ok_or(Errno::ESTALE)?;
        if inode.generation != generation {
            return Err(Errno::ESTALE);
        }
        Ok(inode)
    }

    /// Returns the parent of directory `dir` (the root is its own).
    pub(super) fn get_parent(&self, dir: &dyn VfsInode) -> Result<Arc<dyn VfsInode>> {
        let dir = dir.as_any().downcast_ref::<Inode>().ok_or(Errno::ESTALE)?;
        let parent = dir.with_dir(|_, d| Ok(d.parent()))?;
        Ok(parent.ok_or(Errno::ESTALE)?)
    }

    /// Drops inode `ino` from the table of inodes handles name (its last
    /// reference went).
    pub(super) fn forget_exported(&self, ino: u64) {
        let mut table = self.exported.lock();
        if table.get(&ino).is_some_and(|w| w.strong_count() == 0) {
            table.remove(&ino);
        }
    }
}
