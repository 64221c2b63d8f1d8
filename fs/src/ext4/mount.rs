//! Mounting ext4: the superblock read and checked, the journal replayed first
//! when `needs_recovery` says so (as Linux does, also for a read-only mount of
//! a writable device), the group descriptors read, the journal opened for a
//! read-write mount, and the orphans a crash left freed.

use super::superblock::{SuperBlock, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE};
use super::{group, journal, orphan, read_inode, Ext4, State};
use crate::blockdev::BlockDevice;
use crate::cache::BlockCache;
use crate::clock::{Clock, HostClock};
use arch::sync::Mutex;
use arch::{Errno, Result};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

/// Metadata blocks kept in the cache.
const CACHE_BLOCKS: usize = 1024;

impl Ext4 {
    /// Mounts the filesystem on `dev` with the host's clock; see `mount_with_clock`.
    pub fn mount(dev: Arc<dyn BlockDevice>, dev_id: u64, read_only: bool) -> Result<Arc<Ext4>> {
        Self::mount_with_clock(dev, dev_id, read_only, Arc::new(HostClock))
    }

    /// Mounts the filesystem on `dev`, stamping inodes with `clock`; refuses bad
    /// magic, unknown incompatible features and a journal that needs recovery,
    /// and a read-write mount of features it cannot write (`EROFS`). A
    /// read-write mount frees the inodes left on the orphan list.
    pub fn mount_with_clock(
        dev: Arc<dyn BlockDevice>,
        dev_id: u64,
        read_only: bool,
        clock: Arc<dyn Clock>,
    ) -> Result<Arc<Ext4>> {
        let mut sb = read_super(&dev)?;
        if sb.needs_recovery() {
            if dev.read_only() {
                log::error!("ext4: the journal needs recovery but the device is read-only");
                return Err(Errno::EROFS);
            }
            if !sb.has_journal() {
                log::error!("ext4: needs_recovery set but there is no journal");
                return Err(Errno::EINVAL);
            }
            // Linux replays on read-only mounts too, when the device allows.
            let cache = BlockCache::new(dev.clone(), sb.block_size as usize, 64);
            let itables: Vec<u64> = group::read_table(&sb, &cache)?
                .iter()
                .map(|g| g.inode_table)
                .collect();
            let disk = read_inode(&sb, &cache, &itables, sb.journal_inum)?;
            journal::recover(&sb, &cache, &disk)?;
            sb = read_super(&dev)?;
            if sb.needs_recovery() {
                return Err(corrupt!("needs_recovery still set after recovery"));
            }
        }
        let read_only = read_only || dev.read_only();
        if !read_only {
            sb.check_writable()?;
        }
        let cache = BlockCache::new(dev, sb.block_size as usize, CACHE_BLOCKS);
        let groups = group::read_table(&sb, &cache)?;
        let itables: Vec<u64> = groups.iter().map(|g| g.inode_table).collect();
        let journal = if !read_only && sb.has_journal() {
            let disk = read_inode(&sb, &cache, &itables, sb.journal_inum)?;
            Some(journal::Journal::load(&sb, &cache, &disk)?)
        } else {
            None
        };
        let state = State {
            free_blocks: groups.iter().map(|g| g.free_blocks as u64).sum(),
            free_inodes: groups.iter().map(|g| g.free_inodes).sum(),
            groups,
            dirty_groups: BTreeSet::new(),
            orphans: Vec::new(),
            last_commit: Instant::now(),
            pending_free: Default::default(),
            pending_count: 0,
            journal,
        };
        log::info!(
            "ext4: mounted {} blocks of {} bytes, {} groups{}",
            sb.blocks_count,
            sb.block_size,
            state.groups.len(),
            if read_only { " (read-only)" } else { "" }
        );
        let fs = Arc::new_cyclic(|this| Ext4 {
            sb,
            itables,
            cache,
            dev_id,
            read_only: AtomicBool::new(read_only),
            clock,
            state: Mutex::new(state),
            icache: Mutex::default(),
            evicted: Mutex::default(),
            this: this.clone(),
        });
        if !read_only {
            orphan::cleanup(&fs)?;
        }
        Ok(fs)
    }
}

impl Ext4 {
    /// Switches between read-only and read-write (`MS_REMOUNT`): going
    /// read-write opens the journal and frees the orphans, as a read-write
    /// mount does (`EACCES` on a read-only device); going read-only commits
    /// and flushes everything first, so the image is clean from then on.
    pub(super) fn remount_fs(&self, read_only: bool) -> Result<()> {
        if read_only == self.is_read_only() {
            return Ok(());
        }
        let dev = self.cache.device();
        if read_only {
            crate::FileSystem::sync(self)?;
            self.read_only.store(true, Ordering::Relaxed);
            self.state.lock().journal = None;
            log::info!("ext4: remounted read-only");
            return Ok(());
        }
        if dev.read_only() {
            return Err(Errno::EACCES);
        }
        self.sb.check_writable()?;
        if self.sb.has_journal() {
            let disk = read_inode(&self.sb, &self.cache, &self.itables, self.sb.journal_inum)?;
            let journal = journal::Journal::load(&self.sb, &self.cache, &disk)?;
            self.state.lock().journal = Some(journal);
        }
        self.read_only.store(false, Ordering::Relaxed);
        let this = self.this.upgrade().ok_or(Errno::EIO)?;
        orphan::cleanup(&this)?;
        log::info!("ext4: remounted read-write");
        Ok(())
    }
}

/// Reads and checks the superblock of `dev`.
fn read_super(dev: &Arc<dyn BlockDevice>) -> Result<SuperBlock> {
    let mut raw = vec![0u8; SUPERBLOCK_SIZE];
    dev.read_at(SUPERBLOCK_OFFSET, &mut raw).inspect_err(|_| {
        log::error!(
            "ext4: cannot read the superblock (device of {} bytes)",
            dev.size()
        );
    })?;
    let sb = SuperBlock::parse(&raw)?;
    let dev_blocks = dev.size() / sb.block_size as u64;
    if sb.blocks_count > dev_blocks {
        log::error!(
            "ext4: filesystem has {} blocks but the device only {dev_blocks}",
            sb.blocks_count
        );
        return Err(Errno::EINVAL);
    }
    Ok(sb)
}
