//! `Handle`: one change to the filesystem in progress (Linux's `handle_t`), holding
//! the state lock. Operations dirty metadata blocks in the cache; `finish` frees
//! inodes whose last reference went meanwhile and commits when enough is dirty
//! or the last commit is old; `commit` writes the group descriptors, bitmap
//! checksums and superblock into their blocks and then puts every dirty block
//! on the device: through the journal when there is one, else in place.

use super::superblock::{self, SuperUpdate, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE};
use super::{bitmap, group, orphan, Ext4, State};
use crate::types::Timespec;
use arch::sync::MutexGuard;
use arch::{Errno, Result};
use std::time::{Duration, Instant};

/// Commit when this many metadata blocks are dirty.
const DIRTY_LIMIT: usize = 256;
/// Commit at the end of an operation when the last commit is older than this
/// (jbd2's default commit interval).
const COMMIT_INTERVAL: Duration = Duration::from_secs(5);

/// A change in progress, holding the filesystem's state lock.
pub(super) struct Handle<'a> {
    pub fs: &'a Ext4,
    pub st: MutexGuard<'a, State>,
}

impl Ext4 {
    /// Runs the change `op`; if it runs out of space while blocks freed since
    /// the last commit wait for it, commits and runs it again.
    pub(super) fn retry_enospc<T>(&self, mut op: impl FnMut() -> Result<T>) -> Result<T> {
        match op() {
            Err(Errno::ENOSPC) if self.begin()?.has_pending_frees() => {
                self.begin()?.commit()?;
                op()
            }
            r => r,
        }
    }

    /// Starts a change (`EROFS` on a read-only mount).
    pub(super) fn begin(&self) -> Result<Handle<'_>> {
        if self.is_read_only() {
            return Err(Errno::EROFS);
        }
        let st = self.state.lock();
        Ok(Handle { fs: self, st })
    }
}

impl Handle<'_> {
    /// Returns the time to stamp on inodes.
    pub fn now(&self) -> Timespec {
        self.fs.clock.now()
    }

    /// Ends the change: frees evicted inodes, commits if it is time.
    pub fn finish(mut self) -> Result<()> {
        self.evict_pending()?;
        if self.fs.cache.dirty_count() >= DIRTY_LIMIT
            || self.st.last_commit.elapsed() >= COMMIT_INTERVAL
        {
            self.commit()?;
        }
        Ok(())
    }

    /// Frees the inodes whose last reference went while they had no names. A
    /// failure is logged: the inode stays on the orphan list for the next mount.
    pub fn evict_pending(&mut self) -> Result<()> {
        loop {
            let pending = std::mem::take(&mut *self.fs.evicted.lock());
            if pending.is_empty() {
                return Ok(());
            }
            for (ino, state) in pending {
                if let Err(e) = orphan::evict(self, ino, state) {
                    log::error!("ext4: cannot free inode {ino}: {e}");
                }
            }
        }
    }

    /// Returns whether a commit would make freed blocks usable again.
    pub fn has_pending_frees(&self) -> bool {
        self.st.pending_count > 0
    }

    /// Marks group `g`'s descriptor for writing at the next commit.
    pub fn group_changed(&mut self, g: u32) {
        self.st.dirty_groups.insert(g);
    }

    /// Writes descriptors, bitmap checksums and the superblock into their
    /// blocks, then every dirty block to the device.
    pub fn commit(&mut self) -> Result<()> {
        self.write_groups()?;
        let fs = self.fs;
        if fs.cache.dirty_count() > 0 {
            self.write_super(false)?;
            let blocks = fs.cache.dirty_blocks()?;
            let dev = fs.cache.device();
            match self.st.journal.as_mut() {
                Some(j) => j.commit(&fs.sb, dev, &blocks, fs.clock.now())?,
                None => {
                    for (nr, data) in &blocks {
                        dev.write_at(nr * fs.sb.block_size as u64, data)?;
                    }
                }
            }
            for (nr, data) in &blocks {
                fs.cache.mark_clean(*nr, data);
            }
        }
        self.st.pending_free.clear();
        self.st.pending_count = 0;
        self.st.last_commit = Instant::now();
        Ok(())
    }

    /// Recomputes the bitmap checksums of changed groups and stores their
    /// descriptors.
    fn write_groups(&mut self) -> Result<()> {
        let fs = self.fs;
        let sb = &fs.sb;
        let dirty = std::mem::take(&mut self.st.dirty_groups);
        for g in dirty {
            let Some(mut gd) = self.st.groups.get(g as usize).cloned() else {
                continue;
            };
            if sb.has_csum() {
                let mask = if sb.desc_size >= 64 { u32::MAX } else { 0xFFFF };
                if gd.flags & group::BG_BLOCK_UNINIT == 0 {
                    let map = fs.cache.get(gd.block_bitmap)?;
                    gd.block_bitmap_csum =
                        bitmap::checksum(sb.csum_seed, &map, sb.blocks_per_group) & mask;
                }
                if gd.flags & group::BG_INODE_UNINIT == 0 {
                    let map = fs.cache.get(gd.inode_bitmap)?;
                    gd.inode_bitmap_csum =
                        bitmap::checksum(sb.csum_seed, &map, sb.inodes_per_group) & mask;
                }
            }
            group::store(sb, &fs.cache, g, &gd)?;
            self.st.groups[g as usize] = gd;
        }
        Ok(())
    }

    /// Writes the free counts, orphan list head and write time into the
    /// superblock's block, with `needs_recovery` as given.
    pub fn write_super(&mut self, needs_recovery: bool) -> Result<()> {
        let bs = self.fs.sb.block_size as u64;
        let nr = SUPERBLOCK_OFFSET / bs;
        let off = (SUPERBLOCK_OFFSET % bs) as usize;
        let mut block = self.fs.cache.get(nr)?.to_vec();
        let u = SuperUpdate {
            free_blocks: self.st.free_blocks,
            free_inodes: self.st.free_inodes,
            last_orphan: self.st.orphans.first().copied().unwrap_or(0),
            wtime: self.now().sec,
            needs_recovery,
        };
        superblock::update(
            &mut block[off..off + SUPERBLOCK_SIZE],
            &u,
            self.fs.sb.has_csum(),
        );
        self.fs.cache.write(nr, block)
    }
}
