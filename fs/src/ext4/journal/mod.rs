//! The ext4 journal (jbd2) of a read-write mount: metadata journaling in
//! ordered mode. A commit takes every dirty metadata block: file data already
//! went to the device, the superblock gets `needs_recovery`, the blocks go into
//! the log as one transaction (descriptor blocks with tags, the copies, a
//! commit block, all checksummed when the journal has v3 checksums) after the
//! journal superblock points at it; then the blocks are checkpointed to their
//! homes, the journal superblock marks the log empty again, and
//! `needs_recovery` is cleared. Each commit is checkpointed at once, so the log
//! never holds more than one transaction and needs no revoke records. A crash
//! anywhere leaves either the old state or a complete transaction that
//! `recovery` replays at the next mount.

mod format;
mod recovery;

pub(super) use recovery::recover;

use super::disk_inode::DiskInode;
use super::extent::{ExtentMap, Run};
use super::superblock::{
    SuperBlock, INCOMPAT_64BIT, INCOMPAT_RECOVER, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE,
};
use crate::blockdev::BlockDevice;
use crate::cache::BlockCache;
use crate::crc32c::crc32c_update;
use crate::types::{FileType, Timespec};
use arch::{Errno, Result};
use format::{JournalSuper, Tag};
use std::sync::Arc;

/// The journal of a mounted filesystem.
pub(super) struct Journal {
    map: ExtentMap,
    js: JournalSuper,
    bs: usize,
}

/// Reads the journal inode `ino` and its superblock.
fn open(sb: &SuperBlock, cache: &BlockCache, disk: &DiskInode, ino: u32) -> Result<Journal> {
    let bs = sb.block_size as usize;
    if disk.file_type != FileType::Regular || !disk.has_extents() {
        return Err(corrupt!("journal inode {ino} is not an extent-mapped file"));
    }
    let map = ExtentMap::load(sb, cache, ino, disk)?;
    let len = disk.size / bs as u64;
    let Run::Data { pblk, .. } = map.map(0) else {
        return Err(corrupt!("journal inode {ino} has no superblock"));
    };
    let mut block = vec![0u8; bs];
    cache.device().read_at(pblk * bs as u64, &mut block)?;
    let js = JournalSuper::parse(&block, sb.block_size, len)?;
    let journal = Journal { map, js, bs };
    for j in 0..journal.js.maxlen {
        journal.pblk(j)?;
    }
    Ok(journal)
}

impl Journal {
    /// Opens the journal for writing (after any recovery), with the features
    /// Linux gives a journal it mounts; refuses features it cannot write.
    pub fn load(sb: &SuperBlock, cache: &BlockCache, disk: &DiskInode) -> Result<Journal> {
        let mut j = open(sb, cache, disk, sb.journal_inum)?;
        let unknown = j.js.incompat & !format::INCOMPAT_KNOWN;
        if unknown != 0 {
            log::error!("ext4: journal has unknown features {unknown:#x}; mount read-only");
            return Err(Errno::EROFS);
        }
        if j.js.start != 0 {
            // Linux wipes a log that needs_recovery does not ask to replay.
            log::warn!("ext4: journal not empty but no recovery needed: wiping it");
            j.js.start = 0;
        }
        j.js.set_features(sb.has_csum(), sb.feature_incompat & INCOMPAT_64BIT != 0);
        j.write_super(cache.device())?;
        Ok(j)
    }

    /// Returns the device block of journal block `j`.
    fn pblk(&self, j: u32) -> Result<u64> {
        match self.map.map(j as u64) {
            Run::Data { pblk, .. } => Ok(pblk),
            _ => Err(corrupt!("journal block {j} is not mapped")),
        }
    }

    fn write_block(&self, dev: &Arc<dyn BlockDevice>, j: u32, data: &[u8]) -> Result<()> {
        dev.write_at(self.pblk(j)? * self.bs as u64, data)
    }

    fn write_super(&mut self, dev: &Arc<dyn BlockDevice>) -> Result<()> {
        let raw = self.js.encode();
        dev.write_at(self.pblk(0)? * self.bs as u64, &raw)
    }

    /// Returns how many home blocks fit in one transaction.
    fn capacity(&self) -> usize {
        let per_desc = self.tags_per_descriptor();
        let room = (self.js.maxlen - self.js.first) as usize - 1;
        // n blocks need n + ceil(n / per_desc) log blocks.
        (room * per_desc / (per_desc + 1)).saturating_sub(1).max(1)
    }

    fn tags_per_descriptor(&self) -> usize {
        (self.bs - 12 - 16 - self.js.tail_len()) / self.js.tag_bytes()
    }

    /// Logs `blocks` (block number, contents) in transactions, checkpoints
    /// them and empties the log again.
    pub fn commit(
        &mut self,
        sb: &SuperBlock,
        dev: &Arc<dyn BlockDevice>,
        blocks: &[(u64, Arc<[u8]>)],
        now: Timespec,
    ) -> Result<()> {
        if blocks.is_empty() {
            return Ok(());
        }
        set_needs_recovery(sb, dev, true)?;
        for chunk in blocks.chunks(self.capacity()) {
            self.commit_one(sb, dev, chunk, now)?;
        }
        set_needs_recovery(sb, dev, false)
    }

    fn commit_one(
        &mut self,
        sb: &SuperBlock,
        dev: &Arc<dyn BlockDevice>,
        blocks: &[(u64, Arc<[u8]>)],
        now: Timespec,
    ) -> Result<()> {
        let tid = self.js.sequence;
        self.js.start = self.js.first;
        self.write_super(dev)?;
        let mut pos = self.js.first;
        for group in blocks.chunks(self.tags_per_descriptor()) {
            let mut desc = vec![0u8; self.bs];
            format::header(&mut desc, format::BT_DESCRIPTOR, tid);
            let mut off = 12;
            let desc_pos = pos;
            for (i, (nr, data)) in group.iter().enumerate() {
                pos += 1;
                let mut copy = data.to_vec();
                let mut flags = if i == 0 { 0 } else { format::FLAG_SAME_UUID };
                if format::be32(&copy, 0) == format::JBD2_MAGIC {
                    copy[..4].fill(0);
                    flags |= format::FLAG_ESCAPE;
                }
                if i + 1 == group.len() {
                    flags |= format::FLAG_LAST_TAG;
                }
                let csum = if self.js.has_csum() {
                    format::tag_checksum(&self.js, tid, &copy)
                } else {
                    0
                };
                let tag = Tag {
                    blocknr: *nr,
                    flags,
                    csum,
                };
                off += format::write_tag(&self.js, &mut desc, off, &tag);
                if i == 0 {
                    desc[off..off + 16].copy_from_slice(&sb.uuid);
                    off += 16;
                }
                self.write_block(dev, pos, &copy)?;
            }
            format::set_tail(&self.js, &mut desc);
            self.write_block(dev, desc_pos, &desc)?;
            pos += 1;
        }
        dev.flush()?;
        let mut commit = vec![0u8; self.bs];
        format::header(&mut commit, format::BT_COMMIT, tid);
        commit[0x30..0x38].copy_from_slice(&(now.sec as u64).to_be_bytes());
        format::put_be32(&mut commit, 0x38, now.nsec);
        format::set_commit_checksum(&self.js, &mut commit);
        self.write_block(dev, pos, &commit)?;
        dev.flush()?;
        // Checkpoint: the superblock keeps needs_recovery until the log is empty.
        let sb_block = SUPERBLOCK_OFFSET / self.bs as u64;
        for (nr, data) in blocks {
            if *nr == sb_block {
                let mut copy = data.to_vec();
                let off = (SUPERBLOCK_OFFSET % self.bs as u64) as usize;
                mark_recovery(sb, &mut copy[off..off + SUPERBLOCK_SIZE], true);
                dev.write_at(nr * self.bs as u64, &copy)?;
            } else {
                dev.write_at(nr * self.bs as u64, data)?;
            }
        }
        dev.flush()?;
        self.js.start = 0;
        self.js.sequence = tid.wrapping_add(1);
        self.write_super(dev)?;
        dev.flush()
    }
}

/// Sets or clears `needs_recovery` in the raw superblock `b`.
fn mark_recovery(sb: &SuperBlock, b: &mut [u8], on: bool) {
    let mut incompat = u32::from_le_bytes([b[0x60], b[0x61], b[0x62], b[0x63]]);
    incompat = if on {
        incompat | INCOMPAT_RECOVER
    } else {
        incompat & !INCOMPAT_RECOVER
    };
    b[0x60..0x64].copy_from_slice(&incompat.to_le_bytes());
    if sb.has_csum() {
        let c = crc32c_update(!0, &b[..0x3FC]);
        b[0x3FC..0x400].copy_from_slice(&c.to_le_bytes());
    }
}

/// Sets or clears `needs_recovery` in the superblock on the device.
pub(super) fn set_needs_recovery(
    sb: &SuperBlock,
    dev: &Arc<dyn BlockDevice>,
    on: bool,
) -> Result<()> {
    let mut raw = vec![0u8; SUPERBLOCK_SIZE];
    dev.read_at(SUPERBLOCK_OFFSET, &mut raw)?;
    mark_recovery(sb, &mut raw, on);
    dev.write_at(SUPERBLOCK_OFFSET, &raw)
}
