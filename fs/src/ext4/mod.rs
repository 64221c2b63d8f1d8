//! ext4, read-only for now: mounting (superblock and group descriptors checked),
//! inodes, extent trees, directories, symlinks. Every structure read from disk is
//! validated and checksummed (`metadata_csum`); corruption returns `EFSCORRUPTED`
//! (`EUCLEAN`) with one `log::error!`, never a panic. Metadata is read through a
//! bounded `BlockCache`, which is where write-back will live.

/// Logs a corruption report and evaluates to `EFSCORRUPTED`.
macro_rules! corrupt {
    ($($arg:tt)*) => {{
        log::error!("ext4: corrupt filesystem: {}", format_args!($($arg)*));
        arch::abi::errno::EFSCORRUPTED
    }};
}

mod bytes;
mod dir;
mod disk_inode;
mod extent;
mod group;
mod inode;
mod superblock;

pub use inode::Inode;

use crate::blockdev::BlockDevice;
use crate::cache::BlockCache;
use crate::inode::{FileSystem, Inode as VfsInode};
use crate::types::{StatFs, ST_RDONLY};
use arch::{Errno, Result};
use disk_inode::DiskInode;
use group::GroupDesc;
use std::sync::{Arc, Weak};
use superblock::{SuperBlock, EXT4_MAGIC, SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE};

/// The root directory's inode number.
const ROOT_INO: u32 = 2;
/// Metadata blocks kept in the cache.
const CACHE_BLOCKS: usize = 1024;

/// A mounted ext4 filesystem.
pub struct Ext4 {
    sb: SuperBlock,
    groups: Vec<GroupDesc>,
    cache: BlockCache,
    dev_id: u64,
    read_only: bool,
    this: Weak<Ext4>,
}

impl Ext4 {
    /// Mounts the filesystem on `dev`; refuses bad magic, unknown incompatible
    /// features and a journal that needs recovery.
    pub fn mount(dev: Arc<dyn BlockDevice>, dev_id: u64, read_only: bool) -> Result<Arc<Ext4>> {
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
        let read_only = read_only || dev.read_only();
        let cache = BlockCache::new(dev, sb.block_size as usize, CACHE_BLOCKS);
        let groups = group::read_table(&sb, &cache)?;
        log::info!(
            "ext4: mounted {} blocks of {} bytes, {} groups{}",
            sb.blocks_count,
            sb.block_size,
            groups.len(),
            if read_only { " (read-only)" } else { "" }
        );
        Ok(Arc::new_cyclic(|this| Ext4 {
            sb,
            groups,
            cache,
            dev_id,
            read_only,
            this: this.clone(),
        }))
    }

    /// Returns the block size in bytes.
    pub fn block_size(&self) -> u32 {
        self.sb.block_size
    }

    /// Returns the byte offset on the device of inode `ino`'s record (for tools and
    /// tests that inspect the image).
    pub fn inode_offset(&self, ino: u64) -> Result<u64> {
        let ino = u32::try_from(ino).map_err(|_| Errno::EINVAL)?;
        if ino == 0 || ino > self.sb.inodes_count {
            return Err(corrupt!("inode number {ino} out of range"));
        }
        let ipg = self.sb.inodes_per_group;
        let group = self
            .groups
            .get(((ino - 1) / ipg) as usize)
            .ok_or(Errno::EUCLEAN)?;
        let byte = ((ino - 1) % ipg) as u64 * self.sb.inode_size as u64;
        Ok(group.inode_table * self.sb.block_size as u64 + byte)
    }

    /// Reads and checks inode `ino`.
    fn read_inode(&self, ino: u32) -> Result<DiskInode> {
        let offset = self.inode_offset(ino as u64)?;
        let bs = self.sb.block_size as u64;
        let block = self.cache.get(offset / bs)?;
        let start = (offset % bs) as usize;
        let raw = block
            .get(start..start + self.sb.inode_size as usize)
            .ok_or(Errno::EUCLEAN)?;
        DiskInode::parse(&self.sb, ino, raw)
    }

    /// Returns the VFS inode for `ino`.
    fn inode(&self, ino: u32) -> Result<Arc<Inode>> {
        let fs = self.this.upgrade().ok_or(Errno::EIO)?;
        let disk = self.read_inode(ino)?;
        Ok(Arc::new(Inode::new(fs, ino, disk)))
    }
}

impl FileSystem for Ext4 {
    fn root(&self) -> Result<Arc<dyn VfsInode>> {
        let root = self.inode(ROOT_INO)?;
        if root.disk().file_type != crate::types::FileType::Directory {
            return Err(corrupt!("root inode is not a directory"));
        }
        Ok(root)
    }

    fn name(&self) -> &'static str {
        "ext4"
    }

    fn dev(&self) -> u64 {
        self.dev_id
    }

    fn sync(&self) -> Result<()> {
        if self.read_only {
            return Ok(());
        }
        self.cache.device().flush()
    }

    fn statfs(&self) -> StatFs {
        let bfree: u64 = self.groups.iter().map(|g| g.free_blocks as u64).sum();
        let ffree: u64 = self.groups.iter().map(|g| g.free_inodes as u64).sum();
        let u = &self.sb.uuid;
        let word = |i: usize| u32::from_le_bytes([u[i], u[i + 1], u[i + 2], u[i + 3]]);
        StatFs {
            f_type: EXT4_MAGIC as u64,
            bsize: self.sb.block_size as u64,
            blocks: self.sb.blocks_count,
            bfree,
            bavail: bfree.saturating_sub(self.sb.r_blocks_count),
            files: self.sb.inodes_count as u64,
            ffree,
            fsid: [word(0) ^ word(8), word(4) ^ word(12)],
            namelen: 255,
            frsize: self.sb.block_size as u64,
            flags: if self.read_only { ST_RDONLY } else { 0 },
        }
    }
}
