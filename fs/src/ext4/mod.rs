//! ext4: mounting (superblock and group descriptors checked, the journal
//! replayed), inodes, extent trees, directories, symlinks, and — on a
//! read-write mount — creating, linking, removing and renaming names,
//! writing, truncating and fallocating files, and changing attributes. Every
//! structure read from disk is validated and checksummed (`metadata_csum`);
//! corruption returns `EFSCORRUPTED` (`EUCLEAN`) with one `log::error!`,
//! never a panic. Metadata goes through a `BlockCache` whose dirty blocks a
//! `Handle` commits through the jbd2 journal (see `handle` and `journal`);
//! file data goes straight to the device, before the metadata that points at
//! it (ordered mode).
//!
//! Locking: every change runs under the filesystem's state lock (a `Handle`),
//! which serialises them; each inode's own lock guards its in-memory record and
//! extent map, and readers take only that.

/// Logs a corruption report and evaluates to `EFSCORRUPTED`.
macro_rules! corrupt {
    ($($arg:tt)*) => {{
        log::error!("ext4: corrupt filesystem: {}", format_args!($($arg)*));
        arch::abi::errno::EFSCORRUPTED
    }};
}

mod attr;
mod balloc;
mod bitmap;
mod bytes;
mod dir;
mod dir_write;
mod disk_inode;
mod dx;
mod dx_hash;
mod dx_node;
mod export;
mod extent;
mod extent_range;
mod extent_write;
mod fallocate;
mod file;
mod fileattr;
mod group;
mod handle;
mod ialloc;
mod inode;
mod journal;
mod link;
mod mount;
mod namei;
mod orphan;
mod rename;
mod superblock;
mod xattr;
mod xattr_entry;

pub use inode::Inode;

use crate::cache::BlockCache;
use crate::clock::Clock;
use crate::inode::{FileSystem, Inode as VfsInode};
use crate::types::{StatFs, ST_RDONLY};
use arch::sync::Mutex;
use arch::{Errno, Result};
use disk_inode::DiskInode;
use group::GroupDesc;
use inode::InodeState;
use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Weak};
use std::time::Instant;
use superblock::{SuperBlock, EXT4_MAGIC};

/// The root directory's inode number.
const ROOT_INO: u32 = 2;

/// What changes while the filesystem is mounted, under its state lock.
pub(super) struct State {
    groups: Vec<GroupDesc>,
    /// Groups whose descriptor (or bitmap checksums) must be written back.
    dirty_groups: BTreeSet<u32>,
    free_blocks: u64,
    free_inodes: u32,
    /// The orphan list (inodes with no names left that are still open), head first.
    orphans: Vec<u32>,
    last_commit: Instant,
    /// Blocks freed since the last commit (start, count), not to be reused
    /// before it, and how many they are.
    pending_free: BTreeMap<u64, u64>,
    pending_count: u64,
    /// The journal of a read-write mount of a filesystem that has one.
    journal: Option<journal::Journal>,
}

/// A mounted ext4 filesystem.
pub struct Ext4 {
    sb: SuperBlock,
    /// Each group's inode table (fixed while mounted; readers need no lock).
    itables: Vec<u64>,
    cache: BlockCache,
    dev_id: u64,
    read_only: AtomicBool,
    clock: Arc<dyn Clock>,
    state: Mutex<State>,
    /// Inodes in memory, so each has one `Inode` at a time.
    icache: Mutex<HashMap<u32, Weak<Inode>>>,
    /// Inodes whose last reference went while they had no names: to be freed.
    evicted: Mutex<Vec<(u32, InodeState)>>,
    this: Weak<Ext4>,
}

impl Ext4 {
    /// Returns whether the filesystem is mounted read-only.
    pub fn is_read_only(&self) -> bool {
        self.read_only.load(Ordering::Relaxed)
    }

    /// Returns the block size in bytes.
    pub fn block_size(&self) -> u32 {
        self.sb.block_size
    }

    /// Returns the byte offset on the device of inode `ino`'s record (for tools and
    /// tests that inspect the image).
    pub fn inode_offset(&self, ino: u64) -> Result<u64> {
        inode_pos(&self.sb, &self.itables, ino)
    }

    /// Returns the block holding inode `ino`'s record and the record's offset in it.
    fn inode_location(&self, ino: u32) -> Result<(u64, usize)> {
        let offset = self.inode_offset(ino as u64)?;
        let bs = self.sb.block_size as u64;
        Ok((offset / bs, (offset % bs) as usize))
    }

    /// Reads and checks inode `ino`.
    fn read_inode(&self, ino: u32) -> Result<DiskInode> {
        read_inode(&self.sb, &self.cache, &self.itables, ino)
    }

    /// Returns a copy of the raw record of inode `ino`.
    fn raw_inode(&self, ino: u32) -> Result<Vec<u8>> {
        let (nr, start) = self.inode_location(ino)?;
        let block = self.cache.get(nr)?;
        let raw = block.get(start..start + self.sb.inode_size as usize);
        Ok(raw.ok_or(Errno::EUCLEAN)?.to_vec())
    }

    /// Changes the raw record of inode `ino` with `f` and rewrites its checksum.
    fn patch_inode(&self, ino: u32, f: impl FnOnce(&mut [u8])) -> Result<()> {
        let (nr, start) = self.inode_location(ino)?;
        let mut block = self.cache.get(nr)?.to_vec();
        let raw = block
            .get_mut(start..start + self.sb.inode_size as usize)
            .ok_or(Errno::EUCLEAN)?;
        f(raw);
        let generation = u32::from_le_bytes([raw[0x64], raw[0x65], raw[0x66], raw[0x67]]);
        let seed = disk_inode::csum_seed(&self.sb, ino, generation);
        disk_inode::set_checksum(&self.sb, seed, raw);
        self.cache.write(nr, block)
    }

    /// Writes the in-memory record `disk` of inode `ino` back.
    fn write_inode(&self, ino: u32, disk: &DiskInode) -> Result<()> {
        self.patch_inode(ino, |raw| disk.store(&self.sb, raw))
    }

    /// Writes a fresh record for inode `ino`: zeroes, then `disk`.
    fn init_inode(&self, ino: u32, disk: &DiskInode) -> Result<()> {
        let fresh = DiskInode::new_record(&self.sb, self.clock.now());
        self.patch_inode(ino, |raw| {
            raw.copy_from_slice(&fresh);
            disk.store(&self.sb, raw);
        })
    }

    /// Sets `i_dtime` of inode `ino` (the deletion time, or the next orphan).
    fn set_dtime(&self, ino: u32, dtime: u32) -> Result<()> {
        self.patch_inode(ino, |raw| {
            raw[0x14..0x18].copy_from_slice(&dtime.to_le_bytes())
        })
    }

    /// Returns the VFS inode for `ino`, the one in memory if there is one.
    fn inode(&self, ino: u32) -> Result<Arc<Inode>> {
        let mut icache = self.icache.lock();
        if let Some(inode) = icache.get(&ino).and_then(Weak::upgrade) {
            return Ok(inode);
        }
        let fs = self.this.upgrade().ok_or(Errno::EIO)?;
        let disk = self.read_inode(ino)?;
        let inode = Arc::new(Inode::new(fs, ino, disk));
        if icache.len() >= 4096 && icache.len().is_power_of_two() {
            icache.retain(|_, w| w.strong_count() > 0);
        }
        icache.insert(ino, Arc::downgrade(&inode));
        Ok(inode)
    }

    /// Returns the VFS inode for `ino` found under a name: one with no links
    /// left is a corrupt directory entry.
    fn named_inode(&self, ino: u32) -> Result<Arc<Inode>> {
        let inode = self.inode(ino)?;
        if inode.links() == 0 {
            return Err(corrupt!("directory entry for deleted inode {ino}"));
        }
        Ok(inode)
    }
}

/// Returns the byte offset on the device of inode `ino`'s record, given each
/// group's inode table.
fn inode_pos(sb: &SuperBlock, itables: &[u64], ino: u64) -> Result<u64> {
    let ino = u32::try_from(ino).map_err(|_| Errno::EINVAL)?;
    if ino == 0 || ino > sb.inodes_count {
        return Err(corrupt!("inode number {ino} out of range"));
    }
    let ipg = sb.inodes_per_group;
    let table = itables
        .get(((ino - 1) / ipg) as usize)
        .ok_or(Errno::EUCLEAN)?;
    let byte = ((ino - 1) % ipg) as u64 * sb.inode_size as u64;
    Ok(table * sb.block_size as u64 + byte)
}

/// Reads and checks inode `ino`, given each group's inode table.
fn read_inode(sb: &SuperBlock, cache: &BlockCache, itables: &[u64], ino: u32) -> Result<DiskInode> {
    let offset = inode_pos(sb, itables, ino as u64)?;
    let bs = sb.block_size as u64;
    let block = cache.get(offset / bs)?;
    let start = (offset % bs) as usize;
    let raw = block
        .get(start..start + sb.inode_size as usize)
        .ok_or(Errno::EUCLEAN)?;
    DiskInode::parse(sb, ino, raw)
}

impl FileSystem for Ext4 {
    fn root(&self) -> Result<Arc<dyn VfsInode>> {
        let root = self.inode(ROOT_INO)?;
        if root.file_type() != crate::types::FileType::Directory {
            return Err(corrupt!("root inode is not a directory"));
        }
        Ok(root)
    }

    fn name(&self) -> &'static str {
        "ext4"
    }

    fn encode_fh(&self, inode: &dyn VfsInode) -> Option<crate::export::Fid> {
        Ext4::encode_fh(self, inode)
    }

    fn fh_to_inode(&self, fid: &crate::export::Fid) -> Result<Arc<dyn VfsInode>> {
        Ext4::fh_to_inode(self, fid)
    }

    fn get_parent(&self, dir: &dyn VfsInode) -> Result<Arc<dyn VfsInode>> {
        Ext4::get_parent(self, dir)
    }

    fn dev(&self) -> u64 {
        self.dev_id
    }

    fn sync(&self) -> Result<()> {
        if self.is_read_only() {
            return Ok(());
        }
        let mut h = self.begin()?;
        h.evict_pending()?;
        h.commit()?;
        drop(h);
        self.cache.device().flush()
    }

    fn remount(&self, read_only: bool) -> Result<()> {
        self.remount_fs(read_only)
    }

    fn statfs(&self) -> StatFs {
        let (bfree, ffree) = {
            let st = self.state.lock();
            (st.free_blocks, st.free_inodes as u64)
        };
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
            flags: if self.is_read_only() { ST_RDONLY } else { 0 },
        }
    }
}
