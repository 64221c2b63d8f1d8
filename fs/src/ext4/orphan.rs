//! The orphan list and freeing inodes. An inode whose last name goes while it
//! is still open, or an `O_TMPFILE` file from its creation, is on the list
//! that starts at the superblock's `s_last_orphan` and continues through each
//! inode's `i_dtime`; when its last reference goes (`Inode::drop` queues
//! it), `evict` frees its blocks, extended-attribute block and inode, and
//! takes it off the list. A read-write mount finishes what a crash left on
//! the list: inodes with no links are freed, others are truncated to their
//! size.

use super::extent::ExtentMap;
use super::handle::Handle;
use super::inode::InodeState;
use super::{extent_write, file, xattr, Ext4};
use crate::types::FileType;
use arch::Result;
use std::collections::HashSet;
use std::sync::Arc;

impl Handle<'_> {
    /// Puts inode `ino` at the head of the orphan list.
    pub fn orphan_add(&mut self, ino: u32) -> Result<()> {
        if self.st.orphans.contains(&ino) {
            return Ok(());
        }
        let next = self.st.orphans.first().copied().unwrap_or(0);
        self.fs.set_dtime(ino, next)?;
        self.st.orphans.insert(0, ino);
        Ok(())
    }

    /// Takes inode `ino` off the orphan list, if it is on it, and clears its
    /// link to the next one (an inode in use must have no `i_dtime`).
    pub fn orphan_del(&mut self, ino: u32) -> Result<()> {
        let Some(pos) = self.st.orphans.iter().position(|&i| i == ino) else {
            return Ok(());
        };
        let next = self.st.orphans.get(pos + 1).copied().unwrap_or(0);
        if let Some(&prev) = pos.checked_sub(1).and_then(|p| self.st.orphans.get(p)) {
            self.fs.set_dtime(prev, next)?;
        }
        self.fs.set_dtime(ino, 0)?;
        self.st.orphans.remove(pos);
        Ok(())
    }
}

/// Frees inode `ino`, which has no names and no references left.
pub(super) fn evict(h: &mut Handle, ino: u32, state: InodeState) -> Result<()> {
    let fs = h.fs;
    let InodeState { mut disk, extents } = state;
    let is_dir = disk.file_type == FileType::Directory;
    if disk.has_extents() {
        let mut map = match extents {
            Some(map) => map,
            None => ExtentMap::load(&fs.sb, &fs.cache, ino, &disk)?,
        };
        file::free_from(h, &mut disk, &mut map, 0)?;
        map.dirty = true;
        extent_write::save(h, &mut disk, &mut map)?;
    }
    xattr::release(h, ino, &mut disk)?;
    disk.size = 0;
    disk.links = 0;
    disk.blocks_512 = 0;
    fs.write_inode(ino, &disk)?;
    h.orphan_del(ino)?;
    fs.set_dtime(ino, h.now().sec as u32)?;
    h.free_inode(ino, is_dir)
}

/// Processes the orphan list a crash left behind.
pub(super) fn cleanup(fs: &Arc<Ext4>) -> Result<()> {
    let mut ino = fs.sb.last_orphan;
    if ino == 0 {
        return Ok(());
    }
    let mut h = fs.begin()?;
    let mut seen = HashSet::new();
    let mut count = 0;
    while ino != 0 {
        if ino < fs.sb.first_ino || ino > fs.sb.inodes_count || !seen.insert(ino) {
            log::error!("ext4: orphan list broken at inode {ino}; stopping");
            break;
        }
        match cleanup_one(&mut h, ino) {
            Ok(next) => ino = next,
            Err(e) => {
                // e2fsck finds what is left; the mount goes on.
                log::error!("ext4: cannot clean up orphan inode {ino}: {e}; stopping");
                break;
            }
        }
        count += 1;
    }
    h.st.orphans.clear();
    h.write_super(false)?;
    h.commit()?;
    log::info!("ext4: {count} orphan inode(s) cleaned up");
    Ok(())
}

/// Frees orphan `ino` if it has no links, else truncates it to its size;
/// returns the next orphan.
fn cleanup_one(h: &mut Handle, ino: u32) -> Result<u32> {
    let fs = h.fs;
    let disk = fs.read_inode(ino)?;
    let next = disk.dtime;
    let mut state = InodeState {
        disk,
        extents: None,
    };
    if state.disk.links == 0 {
        evict(h, ino, state)?;
    } else {
        if state.disk.file_type == FileType::Regular {
            let size = state.disk.size;
            file::truncate(h, ino, &mut state, size)?;
        }
        fs.write_inode(ino, &state.disk)?;
        fs.set_dtime(ino, 0)?;
    }
    Ok(next)
}
