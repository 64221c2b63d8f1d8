//! A bounded cache of fixed-size blocks of one block device (Linux's buffer cache in
//! miniature). Filesystems read metadata through it; eviction is the CLOCK
//! (second-chance) algorithm. Blocks are shared immutable buffers: a writer
//! replaces a block with `write`, which marks it dirty; dirty blocks are never
//! evicted (the cache grows past its bound instead) until `writeback` or the
//! filesystem's journal has put them on the device and marked them clean. A
//! block can also remember that its contents were verified (a checksum), so that
//! hot metadata is checked once per read from the device, not once per use.

use crate::blockdev::BlockDevice;
use arch::sync::{Mutex, MutexGuard};
use arch::{Errno, Result};
use std::collections::{BTreeSet, HashMap, VecDeque};
use std::sync::Arc;

/// A check of a block's contents (a checksum), run once per read from the device.
pub type Verify<'a> = &'a dyn Fn(&[u8]) -> Result<()>;

struct Entry {
    data: Arc<[u8]>,
    referenced: bool,
    dirty: bool,
    verified: bool,
}

struct Inner {
    map: HashMap<u64, Entry>,
    /// Block numbers in CLOCK order; the hand is the front.
    clock: VecDeque<u64>,
    /// The dirty blocks, in block order.
    dirty: BTreeSet<u64>,
}

/// A cache of at most `capacity` clean blocks of `block_size` bytes.
pub struct BlockCache {
    dev: Arc<dyn BlockDevice>,
    block_size: usize,
    capacity: usize,
    inner: Mutex<Inner>,
}

impl BlockCache {
    /// Creates an empty cache over `dev`.
    pub fn new(dev: Arc<dyn BlockDevice>, block_size: usize, capacity: usize) -> BlockCache {
        BlockCache {
            dev,
            block_size,
            capacity: capacity.max(1),
            inner: Mutex::new(Inner {
                map: HashMap::new(),
                clock: VecDeque::new(),
                dirty: BTreeSet::new(),
            }),
        }
    }

    /// Returns the device under the cache.
    pub fn device(&self) -> &Arc<dyn BlockDevice> {
        &self.dev
    }

    fn lock(&self) -> Result<MutexGuard<'_, Inner>> {
        Ok(self.inner.lock())
    }

    /// Returns block `nr`, reading it from the device on a miss.
    pub fn get(&self, nr: u64) -> Result<Arc<[u8]>> {
        self.fetch(nr, None)
    }

    /// Returns block `nr`, reading it from the device on a miss; `verify` runs on
    /// contents not verified since they were read, and its error is returned.
    pub fn get_verified(&self, nr: u64, verify: Verify) -> Result<Arc<[u8]>> {
        self.fetch(nr, Some(verify))
    }

    fn fetch(&self, nr: u64, verify: Option<Verify>) -> Result<Arc<[u8]>> {
        let cached = {
            let mut inner = self.lock()?;
            match inner.map.get_mut(&nr) {
                Some(e) => {
                    e.referenced = true;
                    Some((e.data.clone(), e.verified))
                }
                None => None,
            }
        };
        let data = match cached {
            Some((data, verified)) if verified || verify.is_none() => return Ok(data),
            Some((data, _)) => data,
            None => {
                let offset = nr.checked_mul(self.block_size as u64).ok_or(Errno::EIO)?;
                let mut buf = vec![0u8; self.block_size];
                self.dev.read_at(offset, &mut buf)?;
                buf.into()
            }
        };
        if let Some(verify) = verify {
            verify(&data)?;
        }
        let mut inner = self.lock()?;
        if let Some(e) = inner.map.get_mut(&nr) {
            // Someone else read or wrote it meanwhile; theirs is as new or newer.
            if Arc::ptr_eq(&e.data, &data) && verify.is_some() {
                e.verified = true;
            }
            return Ok(e.data.clone());
        }
        self.insert(&mut inner, nr, data.clone(), false, verify.is_some());
        Ok(data)
    }

    /// Replaces block `nr` with `data` (one block) and marks it dirty.
    pub fn write(&self, nr: u64, data: Vec<u8>) -> Result<()> {
        if data.len() != self.block_size {
            return Err(Errno::EINVAL);
        }
        let mut inner = self.lock()?;
        let data: Arc<[u8]> = data.into();
        match inner.map.get_mut(&nr) {
            Some(e) => {
                e.data = data;
                e.dirty = true;
                e.verified = true;
                e.referenced = true;
            }
            None => self.insert(&mut inner, nr, data, true, true),
        }
        inner.dirty.insert(nr);
        Ok(())
    }

    fn insert(&self, inner: &mut Inner, nr: u64, data: Arc<[u8]>, dirty: bool, verified: bool) {
        while inner.map.len() >= self.capacity {
            if !Self::evict_one(inner) {
                break;
            }
        }
        inner.map.insert(
            nr,
            Entry {
                data,
                referenced: false,
                dirty,
                verified,
            },
        );
        inner.clock.push_back(nr);
    }

    /// Returns how many blocks are dirty.
    pub fn dirty_count(&self) -> usize {
        self.inner.lock().dirty.len()
    }

    /// Returns the dirty blocks in block order, with their contents.
    pub fn dirty_blocks(&self) -> Result<Vec<(u64, Arc<[u8]>)>> {
        let inner = self.lock()?;
        Ok(inner
            .dirty
            .iter()
            .filter_map(|nr| inner.map.get(nr).map(|e| (*nr, e.data.clone())))
            .collect())
    }

    /// Marks block `nr` clean if it still holds `data` (what was written out).
    pub fn mark_clean(&self, nr: u64, data: &Arc<[u8]>) {
        {
            let mut inner = self.inner.lock();
            if let Some(e) = inner.map.get_mut(&nr) {
                if Arc::ptr_eq(&e.data, data) {
                    e.dirty = false;
                    inner.dirty.remove(&nr);
                }
            }
        }
    }

    /// Writes every dirty block to its place on the device and marks it clean
    /// (no flush: the caller decides when to make it durable).
    #[cfg(test)]
    pub fn writeback(&self) -> Result<()> {
        for (nr, data) in self.dirty_blocks()? {
            self.dev.write_at(nr * self.block_size as u64, &data)?;
            self.mark_clean(nr, &data);
        }
        Ok(())
    }

    /// Drops block `nr` from the cache, dirty or not (after it was freed, or
    /// changed behind the cache).
    pub fn invalidate(&self, nr: u64) {
        {
            let mut inner = self.inner.lock();
            if inner.map.remove(&nr).is_some() {
                inner.dirty.remove(&nr);
                inner.clock.retain(|&b| b != nr);
            }
        }
    }

    /// Drops blocks `start..start + len` from the cache, dirty or not.
    pub fn invalidate_range(&self, start: u64, len: u64) {
        {
            let mut inner = self.inner.lock();
            let end = start.saturating_add(len);
            let victims: Vec<u64> = if len as usize > inner.map.len() {
                inner
                    .map
                    .keys()
                    .copied()
                    .filter(|b| (start..end).contains(b))
                    .collect()
            } else {
                (start..end).filter(|b| inner.map.contains_key(b)).collect()
            };
            if victims.is_empty() {
                return;
            }
            for b in &victims {
                inner.map.remove(b);
                inner.dirty.remove(b);
            }
            inner.clock.retain(|b| !(start..end).contains(b));
        }
    }

    /// Returns how many blocks are cached.
    pub fn len(&self) -> usize {
        self.inner.lock().map.len()
    }

    /// Returns whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Evicts one clean block not referenced since the hand last passed it;
    /// returns false if every block is dirty.
    fn evict_one(inner: &mut Inner) -> bool {
        for _ in 0..2 * inner.clock.len() + 1 {
            let Some(nr) = inner.clock.pop_front() else {
                return false;
            };
            match inner.map.get_mut(&nr) {
                Some(e) if e.referenced || e.dirty => {
                    e.referenced = false;
                    inner.clock.push_back(nr);
                }
                Some(_) => {
                    inner.map.remove(&nr);
                    return true;
                }
                None => {}
            }
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::blockdev::RamDisk;

    #[test]
    fn bounded_and_correct() {
        let data: Vec<u8> = (0..64 * 16).map(|i| (i / 64) as u8).collect();
        let cache = BlockCache::new(Arc::new(RamDisk::new(data, true)), 64, 4);
        for round in 0..3 {
            for nr in 0..16u64 {
                let b = cache.get(nr).expect("in range");
                assert!(b.iter().all(|&x| x == nr as u8), "round {round} block {nr}");
                assert!(cache.len() <= 4);
            }
        }
        assert_eq!(cache.get(16).err(), Some(Errno::EIO));
        cache.invalidate(15);
        assert!(cache.len() <= 3);
    }

    #[test]
    fn dirty_blocks_stay_until_written_back() {
        let dev = Arc::new(RamDisk::new(vec![0; 64 * 16], false));
        let cache = BlockCache::new(dev.clone(), 64, 2);
        for nr in 0..4u64 {
            cache.write(nr, vec![nr as u8 + 1; 64]).expect("write");
        }
        assert_eq!(cache.write(5, vec![0; 3]), Err(Errno::EINVAL));
        // Reading other blocks cannot push dirty ones out.
        for nr in 4..16u64 {
            cache.get(nr).expect("read");
        }
        assert_eq!(cache.dirty_count(), 4);
        let mut b = [0u8; 64];
        dev.read_at(64, &mut b).expect("read");
        assert_eq!(b, [0; 64]);
        cache.writeback().expect("writeback");
        assert_eq!(cache.dirty_count(), 0);
        dev.read_at(64, &mut b).expect("read");
        assert_eq!(b, [2; 64]);
        // A failing check is reported on every read until one passes.
        let bad = |_: &[u8]| Err(Errno::EUCLEAN);
        assert_eq!(cache.get_verified(9, &bad).err(), Some(Errno::EUCLEAN));
        assert_eq!(cache.get_verified(9, &bad).err(), Some(Errno::EUCLEAN));
        assert!(cache.get_verified(9, &|_| Ok(())).is_ok());
        assert!(cache.get_verified(9, &bad).is_ok());
    }
}
