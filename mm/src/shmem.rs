//! Anonymous shared memory (`MAP_SHARED | MAP_ANONYMOUS`, Linux's shmem
//! object behind such a mapping): a page cache with no file, whose pages are
//! zero until written. Every process that inherits the mapping over fork maps
//! the same frames, also for pages first touched after the fork.

use std::sync::Arc;

use crate::page_cache::PageCache;
use crate::{FaultError, FrameAllocator, MappedFile};

/// The memory of one anonymous shared mapping.
pub(crate) struct SharedAnon {
    pages: PageCache,
    /// The pages charged to `Committed_AS` for it (shmem_acct_size).
    charge: u64,
}

impl SharedAnon {
    /// Creates an empty object whose pages come from `frames`, charging
    /// `charge` pages to `Committed_AS` until it goes.
    pub(crate) fn new(frames: Arc<FrameAllocator>, charge: u64) -> SharedAnon {
        crate::commit::acct(charge as i64);
        SharedAnon {
            pages: PageCache::new_shmem(frames),
            charge,
        }
    }
}

impl Drop for SharedAnon {
    fn drop(&mut self) {
        crate::commit::acct(-(self.charge as i64));
    }
}

impl MappedFile for SharedAnon {
    fn page(&self, index: u64) -> Result<u64, FaultError> {
        self.pages.get_zeroed(index)
    }

    /// Frees the pages: the next touch reads zeroes. Other processes that
    /// mapped them keep their frames until they unmap them.
    fn punch(&self, first: u64, end: u64) -> arch::Result<()> {
        self.pages.invalidate(first, end);
        Ok(())
    }

    fn is_anonymous(&self) -> bool {
        true
    }
}
