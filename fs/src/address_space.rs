//! The page caches of memory-mapped files as the VFS sees them (Linux's
//! `inode->i_mapping`). The kernel keeps the cache of an inode in guest RAM
//! while the inode is mapped and attaches it to the inode's `InodeState`;
//! this crate knows it only through the `AddressSpace` trait. A list of the
//! attached caches serves sync(2) and reclaim only. Regular-file reads, writes and size changes made
//! through the VFS go through an attached cache, so that read(2), write(2) and
//! truncate agree with every mapping of the file.

use crate::inode::Inode;
use crate::types::{FileType, SetAttr};
use arch::sync::{Mutex, MutexGuard};
use arch::Result;
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

/// The page cache of one inode.
pub trait AddressSpace: std::any::Any + Send + Sync {
    /// Reads the file at `offset` (fewer bytes at its end), cached pages from
    /// the cache.
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<usize>;

    /// Writes `data` to the file at `offset` and to the cached pages it covers.
    fn write(&self, offset: u64, data: &[u8]) -> Result<usize>;

    /// Notes that a truncate changed the size from `old` to `new` bytes: drops
    /// the cached pages past the end and every mapping of them.
    fn resize(&self, old: u64, new: u64);

    /// Notes that `[start, end)` of the file reads as zeroes now (a hole
    /// punched, a range zeroed): drops the cached pages wholly inside it
    /// without writing them back, and every mapping of them (private copies
    /// stay, as with Linux's `truncate_pagecache_range`), and zeroes the
    /// cached bytes of the range in the pages at its edges.
    fn invalidate_range(&self, start: u64, end: u64);

    /// Notes that `[start, end)` of the file is about to read as zeroes (a
    /// hole about to be punched): a cache that maps the filesystem's own
    /// pages (tmpfs) drops every mapping of them while it can still tell
    /// them from private copies. Nothing by default.
    fn invalidate_range_begin(&self, _start: u64, _end: u64) {}

    /// Notes that the file's contents from `offset` on moved (a range
    /// collapsed or inserted): drops the cached pages from the one holding
    /// `offset` on, without writing them back, and every mapping of them,
    /// private copies too, so that they are read from the file again.
    fn invalidate_from(&self, offset: u64);

    /// Writes the dirty pages back to the inode.
    fn write_back(&self) -> Result<()>;

    /// Gives back the clean cached pages nothing maps, when guest RAM runs
    /// out; returns how many. None by default.
    fn shrink(&self) -> u64 {
        0
    }

    /// Returns how many pages the cache holds (Linux's `nrpages`).
    fn nr_pages(&self) -> u64 {
        0
    }
}

/// The identity of an inode: its device and inode number.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct InodeKey {
    pub dev: u64,
    pub ino: u64,
}

impl InodeKey {
    /// Returns the key of `inode`.
    pub fn of(inode: &dyn Inode) -> Result<InodeKey> {
        let st = inode.stat()?;
        Ok(InodeKey {
            dev: st.dev,
            ino: st.ino,
        })
    }
}

/// Every attached cache with its device, for sync(2) and reclaim, as Linux
/// walks its superblocks' inode lists: changed when a cache is attached or
/// detached, never read by reads and writes. Keyed by the cache's address.
/// The inode holds its cache; this list only finds it, so that a cache goes
/// with its inode (a deleted file's, once closed).
type Attached = BTreeMap<usize, (u64, Weak<dyn AddressSpace>)>;

static ATTACHED: Mutex<Attached> = Mutex::new(BTreeMap::new());

fn attached() -> MutexGuard<'static, Attached> {
    // Each change is one map operation: a poisoned lock is still consistent.
    ATTACHED.lock()
}

/// Returns the address that identifies `space`.
fn addr(space: &dyn AddressSpace) -> usize {
    (space as *const dyn AddressSpace).cast::<()>() as usize
}

/// Returns the cache attached to `inode`, or attaches the one `make` returns;
/// `key` is the inode's identity.
pub fn find_or_attach(
    inode: &dyn Inode,
    key: InodeKey,
    make: impl FnOnce() -> Arc<dyn AddressSpace>,
) -> Arc<dyn AddressSpace> {
    let mut slot = inode.inode_state().mapping();
    if let Some(space) = slot.as_ref() {
        return space.clone();
    }
    let space = make();
    let mut all = attached();
    // Caches whose inodes went are forgotten now and then.
    if all.len() >= 64 && all.len().is_power_of_two() {
        all.retain(|_, (_, s)| s.strong_count() > 0);
    }
    all.insert(addr(space.as_ref()), (key.dev, Arc::downgrade(&space)));
    drop(all);
    *slot = Some(space.clone());
    space
}

/// Returns the cache attached to `inode`, if it has one.
pub fn find(inode: &dyn Inode) -> Option<Arc<dyn AddressSpace>> {
    if inode.file_type() != FileType::Regular {
        return None;
    }
    inode.inode_state().mapping().clone()
}

/// Detaches the cache of `inode` if it is still `space`.
pub fn detach(inode: &dyn Inode, space: &dyn AddressSpace) {
    let gone = {
        let mut slot = inode.inode_state().mapping();
        let same = |s: &Arc<dyn AddressSpace>| addr(s.as_ref()) == addr(space);
        if !slot.as_ref().is_some_and(same) {
            return;
        }
        attached().remove(&addr(space));
        slot.take()
    };
    drop(gone);
}

/// Returns every attached cache, of the device `dev` or of all of them.
pub fn all(dev: Option<u64>) -> Vec<Arc<dyn AddressSpace>> {
    attached()
        .values()
        .filter(|(d, _)| dev.is_none_or(|dev| *d == dev))
        .filter_map(|(_, s)| s.upgrade())
        .collect()
}

/// Writes back the caches of the device `dev`, or all of them; returns the
/// first error.
pub fn write_back_all(dev: Option<u64>) -> Result<()> {
    let mut result = Ok(());
    for space in all(dev) {
        if let Err(e) = space.write_back() {
            result = result.and(Err(e));
        }
    }
    result
}

/// Reads `inode` at `offset`, through its cache if it has one.
pub fn read(inode: &dyn Inode, offset: u64, buf: &mut [u8]) -> Result<usize> {
    match find(inode) {
        Some(space) => space.read(offset, buf),
        None => inode.read_at(offset, buf),
    }
}

/// Writes `inode` at `offset`, through its cache if it has one.
pub fn write(inode: &dyn Inode, offset: u64, data: &[u8]) -> Result<usize> {
    match find(inode) {
        Some(space) => space.write(offset, data),
        None => inode.write_at(offset, data),
    }
}

/// Returns where the first data or hole at or after `offset` starts
/// (`Inode::seek_data`); what mappings wrote is written back first, so that
/// the filesystem sees it.
pub(crate) fn seek_data(inode: &dyn Inode, offset: u64, hole: bool) -> Result<u64> {
    if let Some(space) = find(inode) {
        space.write_back()?;
    }
    inode.seek_data(offset, hole)
}

/// Applies `attr` to `inode`, telling its cache about a size change.
pub(crate) fn setattr(inode: &dyn Inode, attr: &SetAttr) -> Result<()> {
    let space = attr.size.and_then(|_| find(inode));
    let old = match &space {
        Some(_) => Some(inode.stat()?.size),
        None => None,
    };
    inode.setattr(attr)?;
    if let (Some(space), Some(old), Some(new)) = (space, old, attr.size) {
        space.resize(old, new);
    }
    Ok(())
}
