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
}

impl SharedAnon {
    /// Creates an empty object whose pages come from `frames`.
    pub(crate) fn new(frames: Arc<FrameAllocator>) -> SharedAnon {
        SharedAnon {
            pages: PageCache::new_shmem(frames),
        }
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
