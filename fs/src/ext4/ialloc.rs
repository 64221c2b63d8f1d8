//! Inode allocation through the inode bitmaps. A file goes in its directory's
//! group when there is room; a directory goes in the group with the most free
//! blocks among those with at least the average of free inodes (spreading
//! directory trees as Linux's Orlov allocator does, more crudely). A group still
//! marked `INODE_UNINIT` gets a zeroed bitmap on first use; `bg_itable_unused`
//! shrinks to cover the highest inode handed out.

use super::bitmap;
use super::group::BG_INODE_UNINIT;
use super::handle::Handle;
use arch::{Errno, Result};
use std::sync::Arc;

impl Handle<'_> {
    /// Returns group `g`'s inode bitmap, zeroing it if the group is uninitialised.
    fn inode_bitmap(&mut self, g: u32) -> Result<Arc<[u8]>> {
        let fs = self.fs;
        let sb = &fs.sb;
        let gd = self
            .st
            .groups
            .get(g as usize)
            .ok_or(Errno::EUCLEAN)?
            .clone();
        if gd.flags & BG_INODE_UNINIT != 0 {
            if gd.free_inodes != sb.inodes_per_group {
                return Err(corrupt!("group {g}: uninitialised inodes but some in use"));
            }
            let bs = sb.block_size as usize;
            let ipg = sb.inodes_per_group as usize;
            let mut map = vec![0u8; bs];
            bitmap::set_range(&mut map, ipg, bs * 8 - ipg);
            fs.cache.write(gd.inode_bitmap, map)?;
            let gd = &mut self.st.groups[g as usize];
            gd.flags &= !BG_INODE_UNINIT;
            gd.itable_unused = sb.inodes_per_group;
            let nr = gd.inode_bitmap;
            self.group_changed(g);
            return fs.cache.get(nr);
        }
        let (csum, want) = (sb.has_csum(), gd.inode_bitmap_csum);
        let verify = |map: &[u8]| {
            let got = bitmap::checksum(sb.csum_seed, map, sb.inodes_per_group);
            let got = if sb.desc_size >= 64 {
                got
            } else {
                got & 0xFFFF
            };
            if csum && got != want {
                return Err(corrupt!(
                    "group {g} inode bitmap checksum {got:#x} != {want:#x}"
                ));
            }
            Ok(())
        };
        fs.cache.get_verified(gd.inode_bitmap, &verify)
    }

    /// Returns the group a new inode goes in, for a parent in group `parent`.
    fn pick_group(&self, parent: u32, is_dir: bool) -> Option<u32> {
        let groups = &self.st.groups;
        let n = groups.len() as u32;
        if is_dir {
            let avg = self.st.free_inodes / n.max(1);
            let best = (0..n)
                .filter(|&g| {
                    groups[g as usize].free_inodes > 0 && groups[g as usize].free_inodes >= avg
                })
                .max_by_key(|&g| (groups[g as usize].free_blocks, u32::MAX - g));
            if best.is_some() {
                return best;
            }
        }
        (0..n)
            .map(|k| (parent + k) % n)
            .find(|&g| groups[g as usize].free_inodes > 0)
    }

    /// Allocates an inode near directory inode `dir`; `ENOSPC` if none is free.
    pub fn alloc_inode(&mut self, dir: u32, is_dir: bool) -> Result<u32> {
        let sb = &self.fs.sb;
        let ipg = sb.inodes_per_group;
        let parent = (dir.saturating_sub(1) / ipg).min(self.st.groups.len() as u32 - 1);
        let g = self.pick_group(parent, is_dir).ok_or(Errno::ENOSPC)?;
        let map = self.inode_bitmap(g)?;
        // Inodes below s_first_ino are reserved.
        let from = if g == 0 { sb.first_ino as usize - 1 } else { 0 };
        let Some(bit) = bitmap::find_zero(&map, from, ipg as usize) else {
            return Err(corrupt!(
                "group {g}: free inodes counted but none in the bitmap"
            ));
        };
        let gd = &mut self.st.groups[g as usize];
        if gd.free_inodes == 0 {
            return Err(corrupt!(
                "group {g}: inode bitmap has more free inodes than counted"
            ));
        }
        gd.free_inodes -= 1;
        if is_dir {
            gd.used_dirs += 1;
        }
        let used_below = ipg - gd.itable_unused;
        if bit as u32 >= used_below {
            gd.itable_unused = ipg - bit as u32 - 1;
        }
        let nr = gd.inode_bitmap;
        let mut map = map.to_vec();
        bitmap::set_range(&mut map, bit, 1);
        self.fs.cache.write(nr, map)?;
        self.st.free_inodes -= 1;
        self.group_changed(g);
        Ok(g * ipg + bit as u32 + 1)
    }

    /// Frees inode `ino` in the bitmap and the counts.
    pub fn free_inode(&mut self, ino: u32, is_dir: bool) -> Result<()> {
        let sb = &self.fs.sb;
        if ino < sb.first_ino || ino > sb.inodes_count {
            return Err(corrupt!("freeing reserved or impossible inode {ino}"));
        }
        let g = (ino - 1) / sb.inodes_per_group;
        let bit = ((ino - 1) % sb.inodes_per_group) as usize;
        let map = self.inode_bitmap(g)?;
        if !bitmap::test(&map, bit) {
            return Err(corrupt!("freeing free inode {ino}"));
        }
        let mut map = map.to_vec();
        bitmap::clear_range(&mut map, bit, 1);
        let gd = &mut self.st.groups[g as usize];
        gd.free_inodes += 1;
        if is_dir {
            gd.used_dirs = gd.used_dirs.saturating_sub(1);
        }
        let nr = gd.inode_bitmap;
        self.fs.cache.write(nr, map)?;
        self.st.free_inodes += 1;
        self.group_changed(g);
        Ok(())
    }
}
