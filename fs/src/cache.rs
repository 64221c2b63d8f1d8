//! A bounded cache of fixed-size blocks of one block device (Linux's buffer cache in
//! miniature). Filesystems read metadata through it; eviction is the CLOCK
//! (second-chance) algorithm. Blocks are shared immutable buffers today; the write
//! path will add dirty buffers and write-back here.

use crate::blockdev::BlockDevice;
use arch::{Errno, Result};
use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Mutex};

struct Entry {
    data: Arc<[u8]>,
    referenced: bool,
}

struct Inner {
    map: HashMap<u64, Entry>,
    /// Block numbers in CLOCK order; the hand is the front.
    clock: VecDeque<u64>,
}

/// A cache of at most `capacity` blocks of `block_size` bytes.
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
            }),
        }
    }

    /// Returns the device under the cache.
    pub fn device(&self) -> &Arc<dyn BlockDevice> {
        &self.dev
    }

    /// Returns the block size.
    pub fn block_size(&self) -> usize {
        self.block_size
    }

    /// Returns block `nr`, reading it from the device on a miss.
    pub fn get(&self, nr: u64) -> Result<Arc<[u8]>> {
        {
            let mut inner = self.inner.lock().map_err(|_| Errno::EIO)?;
            if let Some(e) = inner.map.get_mut(&nr) {
                e.referenced = true;
                return Ok(e.data.clone());
            }
        }
        let offset = nr.checked_mul(self.block_size as u64).ok_or(Errno::EIO)?;
        let mut buf = vec![0u8; self.block_size];
        self.dev.read_at(offset, &mut buf)?;
        let data: Arc<[u8]> = buf.into();
        let mut inner = self.inner.lock().map_err(|_| Errno::EIO)?;
        if !inner.map.contains_key(&nr) {
            while inner.map.len() >= self.capacity {
                Self::evict_one(&mut inner);
            }
            inner.map.insert(
                nr,
                Entry {
                    data: data.clone(),
                    referenced: false,
                },
            );
            inner.clock.push_back(nr);
        }
        Ok(data)
    }

    /// Drops block `nr` from the cache (after it was changed behind the cache).
    pub fn invalidate(&self, nr: u64) {
        if let Ok(mut inner) = self.inner.lock() {
            if inner.map.remove(&nr).is_some() {
                inner.clock.retain(|&b| b != nr);
            }
        }
    }

    /// Returns how many blocks are cached.
    pub fn len(&self) -> usize {
        self.inner.lock().map(|i| i.map.len()).unwrap_or(0)
    }

    /// Returns whether nothing is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn evict_one(inner: &mut Inner) {
        while let Some(nr) = inner.clock.pop_front() {
            match inner.map.get_mut(&nr) {
                Some(e) if e.referenced => {
                    e.referenced = false;
                    inner.clock.push_back(nr);
                }
                Some(_) => {
                    inner.map.remove(&nr);
                    return;
                }
                None => {}
            }
        }
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
}
