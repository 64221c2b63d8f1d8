//! Journal recovery at mount, as jbd2 does it: a scan from `s_start` collects
//! the transactions whose commit block is there (sequence numbers in order,
//! checksums right) and their revoke records; the replay writes each logged
//! block home unless a revoke in the same or a later transaction covers it
//! (unescaping blocks that began with the jbd2 magic, skipping blocks whose tag
//! checksum is wrong). Then the log is marked empty and `needs_recovery`
//! cleared. Logs written by Linux (revoke records, v2/v3 checksums, 32- or
//! 64-bit tags) and by us replay alike.

use super::format::{self, be32, JournalSuper, Tag};
use super::{open, set_needs_recovery, Journal};
use crate::blockdev::BlockDevice;
use crate::cache::BlockCache;
use crate::ext4::disk_inode::DiskInode;
use crate::ext4::superblock::SuperBlock;
use arch::Result;
use std::collections::HashMap;
use std::sync::Arc;

/// One complete transaction: its tags and where each logged copy is.
struct Transaction {
    tid: u32,
    blocks: Vec<(Tag, u32)>,
}

/// Returns whether transaction `a` comes after `b` (sequence numbers wrap).
fn tid_gt(a: u32, b: u32) -> bool {
    (a.wrapping_sub(b) as i32) > 0
}

impl Journal {
    fn next(&self, j: u32) -> u32 {
        if j + 1 >= self.js.maxlen {
            self.js.first
        } else {
            j + 1
        }
    }

    fn read_block(&self, dev: &Arc<dyn BlockDevice>, j: u32) -> Result<Vec<u8>> {
        let mut b = vec![0u8; self.bs];
        dev.read_at(self.pblk(j)? * self.bs as u64, &mut b)?;
        Ok(b)
    }

    /// Returns the complete transactions of the log and the revoke records
    /// (block, latest revoking transaction) among them.
    fn scan(&self, dev: &Arc<dyn BlockDevice>) -> Result<(Vec<Transaction>, HashMap<u64, u32>)> {
        let js: &JournalSuper = &self.js;
        let (mut tid, mut j) = (js.sequence, js.start);
        let mut done = Vec::new();
        let mut revoked = HashMap::new();
        let mut blocks = Vec::new();
        let mut revokes: Vec<u64> = Vec::new();
        let mut steps = 0u32;
        while steps < js.maxlen {
            let b = self.read_block(dev, j)?;
            if be32(&b, 0) != format::JBD2_MAGIC || be32(&b, 8) != tid {
                break;
            }
            match be32(&b, 4) {
                format::BT_DESCRIPTOR => {
                    if !format::tail_ok(js, &b) {
                        log::warn!("ext4: journal descriptor at {j} fails its checksum");
                        break;
                    }
                    for tag in format::read_tags(js, &b) {
                        j = self.next(j);
                        steps += 1;
                        blocks.push((tag, j));
                    }
                }
                format::BT_REVOKE => {
                    if !format::tail_ok(js, &b) {
                        log::warn!("ext4: journal revoke block at {j} fails its checksum");
                        break;
                    }
                    let used = (be32(&b, 12) as usize).min(b.len() - js.tail_len());
                    let size = js.revoke_bytes();
                    let mut off = 16;
                    while off + size <= used {
                        let nr = match size {
                            8 => (be32(&b, off) as u64) << 32 | be32(&b, off + 4) as u64,
                            _ => be32(&b, off) as u64,
                        };
                        revokes.push(nr);
                        off += size;
                    }
                }
                format::BT_COMMIT => {
                    if !format::commit_ok(js, &b) {
                        log::warn!("ext4: journal commit block at {j} fails its checksum");
                        break;
                    }
                    for nr in revokes.drain(..) {
                        let e = revoked.entry(nr).or_insert(tid);
                        if tid_gt(tid, *e) {
                            *e = tid;
                        }
                    }
                    done.push(Transaction {
                        tid,
                        blocks: std::mem::take(&mut blocks),
                    });
                    tid = tid.wrapping_add(1);
                }
                _ => break,
            }
            j = self.next(j);
            steps += 1;
        }
        Ok((done, revoked))
    }
}

/// Replays the journal of a filesystem with `needs_recovery` set (its inode
/// record is `disk`), then marks the log empty and clears the flag.
pub(in crate::ext4) fn recover(
    sb: &SuperBlock,
    cache: &BlockCache,
    disk: &DiskInode,
) -> Result<()> {
    let dev = cache.device().clone();
    let mut j = open(sb, cache, disk, sb.journal_inum)?;
    let unknown = j.js.incompat & !format::INCOMPAT_KNOWN;
    if unknown != 0 {
        log::error!("ext4: journal has unknown features {unknown:#x}, cannot recover");
        return Err(arch::Errno::EINVAL);
    }
    let (mut count, mut written, mut skipped) = (0, 0, 0);
    if j.js.start != 0 {
        let (txns, revoked) = j.scan(&dev)?;
        count = txns.len();
        for t in &txns {
            for (tag, at) in &t.blocks {
                if revoked
                    .get(&tag.blocknr)
                    .is_some_and(|&r| !tid_gt(t.tid, r))
                {
                    continue;
                }
                let mut data = j.read_block(&dev, *at)?;
                if j.js.has_csum() && format::tag_checksum(&j.js, t.tid, &data) != tag.csum {
                    log::error!(
                        "ext4: journal copy of block {} fails its checksum",
                        tag.blocknr
                    );
                    skipped += 1;
                    continue;
                }
                if tag.flags & format::FLAG_ESCAPE != 0 {
                    format::put_be32(&mut data, 0, format::JBD2_MAGIC);
                }
                if tag.blocknr == 0 || tag.blocknr >= sb.blocks_count {
                    log::error!(
                        "ext4: journal logs block {} outside the filesystem",
                        tag.blocknr
                    );
                    skipped += 1;
                    continue;
                }
                dev.write_at(tag.blocknr * j.bs as u64, &data)?;
                written += 1;
            }
        }
        if let Some(last) = txns.last() {
            j.js.sequence = last.tid.wrapping_add(1);
        }
        j.js.start = 0;
    }
    dev.flush()?;
    j.write_super(&dev)?;
    dev.flush()?;
    set_needs_recovery(sb, &dev, false)?;
    dev.flush()?;
    log::info!(
        "ext4: journal recovery: {count} transaction(s), {written} block(s) replayed{}",
        if skipped > 0 {
            format!(", {skipped} skipped")
        } else {
            String::new()
        }
    );
    Ok(())
}
