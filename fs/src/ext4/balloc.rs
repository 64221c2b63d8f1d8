//! Block allocation through the block bitmaps: a run of free blocks at or after a
//! goal (in the goal's group first, then the following groups), and freeing.
//! A group still marked `BLOCK_UNINIT` gets its bitmap built on first use from
//! what the group holds (superblock and descriptor copies, its own bitmaps and
//! inode table), checked against the descriptor's free count. Descriptor
//! counts change at once; checksums are written at commit (`handle`). As in
//! jbd2, blocks freed since the last commit are not handed out again before
//! it: a crash must not find a block of the committed state overwritten.

use super::bitmap;
use super::group::BG_BLOCK_UNINIT;
use super::handle::Handle;
use arch::{Errno, Result};
use std::sync::Arc;

impl Handle<'_> {
    /// Returns group `g`'s block bitmap, building it if the group is uninitialised.
    fn block_bitmap(&mut self, g: u32) -> Result<Arc<[u8]>> {
        let fs = self.fs;
        let sb = &fs.sb;
        let gd = self
            .st
            .groups
            .get(g as usize)
            .ok_or(Errno::EUCLEAN)?
            .clone();
        if gd.flags & BG_BLOCK_UNINIT != 0 {
            let map = self.init_block_bitmap(g)?;
            fs.cache.write(gd.block_bitmap, map)?;
            self.st.groups[g as usize].flags &= !BG_BLOCK_UNINIT;
            self.group_changed(g);
            return fs.cache.get(gd.block_bitmap);
        }
        let (csum, want) = (sb.has_csum(), gd.block_bitmap_csum);
        let bits = sb.blocks_per_group;
        let verify = |map: &[u8]| {
            let got = bitmap::checksum(sb.csum_seed, map, bits);
            // Linux keeps only the low 16 bits with 32-byte descriptors.
            let got = if sb.desc_size >= 64 {
                got
            } else {
                got & 0xFFFF
            };
            if csum && got != want {
                return Err(corrupt!(
                    "group {g} block bitmap checksum {got:#x} != {want:#x}"
                ));
            }
            Ok(())
        };
        fs.cache.get_verified(gd.block_bitmap, &verify)
    }

    /// Builds the block bitmap of an uninitialised group.
    fn init_block_bitmap(&self, g: u32) -> Result<Vec<u8>> {
        let sb = &self.fs.sb;
        let gd = &self.st.groups[g as usize];
        let bs = sb.block_size as usize;
        let mut map = vec![0u8; bs];
        let first = sb.group_first_block(g);
        let count = sb.group_blocks(g) as usize;
        if sb.has_super(g) {
            let meta = 1 + sb.gdt_blocks() as usize + sb.reserved_gdt_blocks as usize;
            bitmap::set_range(&mut map, 0, meta.min(count));
        }
        let itable_blocks = (sb.inodes_per_group as u64 * sb.inode_size as u64).div_ceil(bs as u64);
        for (start, len) in [
            (gd.block_bitmap, 1),
            (gd.inode_bitmap, 1),
            (gd.inode_table, itable_blocks),
        ] {
            for b in start..start + len {
                if b >= first && b < first + count as u64 {
                    bitmap::set_range(&mut map, (b - first) as usize, 1);
                }
            }
        }
        bitmap::set_range(&mut map, count, bs * 8 - count);
        let free = bitmap::count_zeroes(&map, count);
        if free != gd.free_blocks {
            return Err(corrupt!(
                "group {g}: uninitialised with {} free blocks, {free} by its layout",
                gd.free_blocks
            ));
        }
        Ok(map)
    }

    /// Returns how many blocks can be allocated before the next commit.
    pub fn usable_blocks(&self) -> u64 {
        self.st.free_blocks.saturating_sub(self.st.pending_count)
    }

    /// Allocates up to `want` contiguous blocks, at `goal` if it is free, and
    /// leaves at least `reserve` free; returns the first block and the count
    /// (`ENOSPC` when none can be had).
    pub fn alloc_blocks(&mut self, goal: u64, want: u64, reserve: u64) -> Result<(u64, u64)> {
        let sb = &self.fs.sb;
        let want = want.min(self.usable_blocks().saturating_sub(reserve));
        if want == 0 {
            return Err(Errno::ENOSPC);
        }
        let ngroups = self.st.groups.len() as u32;
        let goal = goal.clamp(sb.first_data_block as u64, sb.blocks_count - 1);
        let g0 = sb.block_group(goal).min(ngroups - 1);
        for k in 0..ngroups {
            let g = (g0 + k) % ngroups;
            if self.st.groups[g as usize].free_blocks == 0 {
                continue;
            }
            let map = self.block_bitmap(g)?;
            let nbits = sb.group_blocks(g) as usize;
            let first = sb.group_first_block(g);
            let from = if k == 0 { (goal - first) as usize } else { 0 };
            if bitmap::find_zero(&map, 0, nbits).is_none() {
                return Err(corrupt!(
                    "group {g}: free blocks counted but none in the bitmap"
                ));
            }
            // Blocks freed since the last commit count as used until it.
            let mut view = map.to_vec();
            for (&s, &l) in self.st.pending_free.range(..first + nbits as u64).rev() {
                if s + l <= first {
                    break;
                }
                let lo = s.max(first) - first;
                let hi = (s + l).min(first + nbits as u64) - first;
                bitmap::set_range(&mut view, lo as usize, (hi - lo) as usize);
            }
            let start = bitmap::find_zero(&view, from, nbits)
                .or_else(|| bitmap::find_zero(&view, 0, from.min(nbits)));
            let Some(start) = start else {
                continue;
            };
            let n = bitmap::zero_run(&view, start, nbits, want as usize);
            let gd = &mut self.st.groups[g as usize];
            if (gd.free_blocks as usize) < n {
                return Err(corrupt!(
                    "group {g}: bitmap has more free blocks than counted"
                ));
            }
            gd.free_blocks -= n as u32;
            let nr = gd.block_bitmap;
            let mut map = map.to_vec();
            bitmap::set_range(&mut map, start, n);
            self.fs.cache.write(nr, map)?;
            self.st.free_blocks -= n as u64;
            self.group_changed(g);
            return Ok((sb.group_first_block(g) + start as u64, n as u64));
        }
        Err(Errno::ENOSPC)
    }

    /// Frees `len` blocks from `start`; forgets any cached copy of them.
    pub fn free_blocks(&mut self, start: u64, len: u64) -> Result<()> {
        let sb = &self.fs.sb;
        if start <= sb.first_data_block as u64 || start.saturating_add(len) > sb.blocks_count {
            return Err(corrupt!(
                "freeing blocks {start}+{len} outside the filesystem"
            ));
        }
        let (mut b, end) = (start, start + len);
        while b < end {
            let g = sb.block_group(b);
            let first = sb.group_first_block(g);
            let n = (end - b).min(first + sb.group_blocks(g) as u64 - b);
            let map = self.block_bitmap(g)?;
            let bit = (b - first) as usize;
            if (bit..bit + n as usize).any(|i| !bitmap::test(&map, i)) {
                return Err(corrupt!("freeing free blocks in {b}+{n}"));
            }
            let mut map = map.to_vec();
            bitmap::clear_range(&mut map, bit, n as usize);
            let gd = &mut self.st.groups[g as usize];
            gd.free_blocks += n as u32;
            let nr = gd.block_bitmap;
            self.fs.cache.write(nr, map)?;
            self.st.free_blocks += n;
            self.st.pending_free.insert(b, n);
            self.st.pending_count += n;
            self.group_changed(g);
            self.fs.cache.invalidate_range(b, n);
            b += n;
        }
        Ok(())
    }
}
