//! ext4's file handles, as Linux's `ext4_export_ops`: `FILEID_INO32_GEN`, the
//! inode number and `i_generation` in two words (`generic_encode_ino32_fh`
//! without a parent), decoded by reading the inode by number
//! (`ext4_nfs_get_inode` through `ext4_iget(EXT4_IGET_HANDLE)`): a number
//! outside the filesystem's ordinary inodes, an inode with no links on
//! disk, or another generation (0 in the handle accepts any) is `ESTALE`.
//! An inode still in memory comes back even with no links left, as from
//! Linux's inode cache.

use super::{Ext4, Inode, ROOT_INO};
use crate::export::{Fid, FILEID_INO32_GEN, FILEID_INO32_GEN_PARENT};
use crate::inode::Inode as VfsInode;
use arch::{Errno, Result};
use std::sync::{Arc, Weak};

impl Ext4 {
    /// Returns the handle of `inode`, if it is one of this filesystem's.
    pub(super) fn encode_fh(&self, inode: &dyn VfsInode) -> Option<Fid> {
        let inode = inode.as_any().downcast_ref::<Inode>()?;
        let generation = inode.lock().ok()?.disk.generation;
        Some(Fid {
            fh_type: FILEID_INO32_GEN,
            words: vec![inode.ino, generation],
        })
    }

    /// Returns the inode handle `fid` names.
    pub(super) fn fh_to_inode(&self, fid: &Fid) -> Result<Arc<dyn VfsInode>> {
        let (&[ino, generation, ..], FILEID_INO32_GEN | FILEID_INO32_GEN_PARENT) =
            (&fid.words[..], fid.fh_type)
        else {
            return Err(Errno::ESTALE);
        };
        let inode = self.handle_inode(ino)?;
        let current = inode.lock()?.disk.generation;
        if generation != 0 && generation != current {
            return Err(Errno::ESTALE);
        }
        Ok(inode)
    }

    /// Returns inode `ino` for a handle (`EXT4_IGET_HANDLE`).
    fn handle_inode(&self, ino: u32) -> Result<Arc<Inode>> {
        if (ino < self.sb.first_ino && ino != ROOT_INO) || ino > self.sb.inodes_count {
            return Err(Errno::ESTALE);
        }
        let cached = self.icache.lock().get(&ino).and_then(Weak::upgrade);
        if let Some(inode) = cached {
            return Ok(inode);
        }
        // A free or deleted record (all zeroes in a fresh inode table) is
        // stale, not corrupt: look at its link count before parsing it.
        let raw = self.raw_inode(ino)?;
        let links = raw
            .get(0x1a..0x1c)
            .map_or(0, |b| u16::from_le_bytes([b[0], b[1]]));
        if links == 0 {
            return Err(Errno::ESTALE);
        }
        self.inode(ino)
    }

    /// Returns the parent of directory `dir` (its ".." entry).
    pub(super) fn get_parent(&self, dir: &dyn VfsInode) -> Result<Arc<dyn VfsInode>> {
        let dir = dir.as_any().downcast_ref::<Inode>().ok_or(Errno::ESTALE)?;
        let mut parent = None;
        dir.readdir(0, &mut |e| {
            if e.name == b".." {
                parent = Some(e.ino);
                return false;
            }
            true
        })?;
        let ino = parent.ok_or(Errno::ESTALE)?;
        let ino = u32::try_from(ino).map_err(|_| Errno::ESTALE)?;
        Ok(self.handle_inode(ino)?)
    }
}
