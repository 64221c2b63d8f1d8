//! Tests of `PageCache` itself: reads through it, updates from writes,
//! truncation, write-back bounded by the file size, reclaim, and that every
//! frame goes back to the allocator.

use std::sync::Arc;

use super::{new_mm, MemFile};
use crate::{FaultError, PageCache, PAGE_SIZE};

const P: u64 = PAGE_SIZE;

#[test]
fn pages_are_read_once_and_shared() {
    let mm = new_mm();
    let frames = mm.frames().clone();
    let free = frames.free_frames();
    let file = MemFile::patterned(P + 10);
    let cache = PageCache::new(frames.clone());
    let a = cache.get(file.as_ref(), 1).expect("page 1");
    let b = cache.get(file.as_ref(), 1).expect("page 1 again");
    assert_eq!(a, b, "one frame per page");
    assert_eq!(frames.refcount(a), 3, "the cache's and two callers'");
    let mut tail = [0xffu8; 12];
    frames.physmem().read(a + 8, &mut tail);
    assert_eq!(&tail[..2], &[((P + 8) % 251) as u8, ((P + 9) % 251) as u8]);
    assert_eq!(&tail[2..], &[0; 10], "past end of file reads zero");
    assert_eq!(cache.get(file.as_ref(), 2), Err(FaultError::Bus));
    assert_eq!(cache.len(), 2, "page 1, and page 0 read around it");
    frames.put(a);
    frames.put(b);
    drop(cache);
    assert_eq!(frames.free_frames(), free, "no frame leaks");
}

#[test]
fn a_miss_reads_its_aligned_window() {
    let mm = new_mm();
    let frames = mm.frames().clone();
    let free = frames.free_frames();
    let file = MemFile::patterned(40 * P - 100);
    let cache = PageCache::new(frames.clone());
    let n = crate::page_cache::READ_AROUND;
    let a = cache
        .get(file.as_ref(), n + 1)
        .expect("a page of the second window");
    assert_eq!(cache.len() as u64, n, "the whole window is cached");
    assert!(cache.cached(n) && cache.cached(2 * n - 1) && !cache.cached(n - 1));
    let b = cache
        .get(file.as_ref(), 2 * n + 3)
        .expect("a page of the last window");
    assert_eq!(
        cache.len() as u64,
        n + 8,
        "the last window stops at end of file"
    );
    // A neighbour holds its own part of the file.
    let c = cache
        .get(file.as_ref(), 2 * n - 1)
        .expect("a neighbour, cached");
    let mut head = [0u8; 2];
    frames.physmem().read(c, &mut head);
    let at = (2 * n - 1) * P;
    assert_eq!(head, [(at % 251) as u8, ((at + 1) % 251) as u8]);
    for p in [a, b, c] {
        frames.put(p);
    }
    drop(cache);
    assert_eq!(frames.free_frames(), free, "no frame leaks");
}

#[test]
fn reads_see_cached_pages_and_writes_update_them() {
    let mm = new_mm();
    let frames = mm.frames().clone();
    let file = MemFile::patterned(3 * P);
    let cache = PageCache::new(frames.clone());
    let page1 = cache.get(file.as_ref(), 1).expect("page 1");
    // A store through a mapping: only the cache has it.
    frames.physmem().write(page1 + 4, b"mapped");
    let mut buf = vec![0u8; 3 * P as usize];
    assert_eq!(cache.read(file.as_ref(), 0, &mut buf), Ok(3 * P as usize));
    assert_eq!(&buf[P as usize + 4..P as usize + 10], b"mapped");
    assert_eq!(buf[5], 5, "uncached pages come from the file");
    // A write(2) reaches the file, then the cached page.
    file.data.lock()[P as usize - 2..P as usize + 2].copy_from_slice(b"wxyz");
    cache.update(P - 2, b"wxyz");
    let mut four = [0u8; 4];
    frames.physmem().read(page1, &mut four[..2]);
    assert_eq!(&four[..2], b"yz");
    assert_eq!(cache.read(file.as_ref(), P - 2, &mut four), Ok(4));
    assert_eq!(&four, b"wxyz");
    assert_eq!(cache.read(file.as_ref(), 3 * P, &mut four), Ok(0), "at EOF");
    frames.put(page1);
}

#[test]
fn write_back_is_bounded_by_the_size_and_cleans() {
    let mm = new_mm();
    let frames = mm.frames().clone();
    let file = MemFile::patterned(P + 100);
    let cache = PageCache::new(frames.clone());
    let page1 = cache.get(file.as_ref(), 1).expect("page 1");
    frames.physmem().fill(page1, P as usize, b'd');
    assert!(!cache.is_dirty(), "a fresh page is clean");
    cache
        .write_back(file.as_ref(), 0, 4, true)
        .expect("nothing to do");
    assert_eq!(
        file.bytes()[P as usize],
        (P % 251) as u8,
        "clean pages stay"
    );
    cache.set_dirty(1);
    assert!(cache.is_dirty());
    cache
        .write_back(file.as_ref(), 0, 1, true)
        .expect("other pages");
    assert!(cache.is_dirty(), "page 1 was outside the range");
    cache
        .write_back(file.as_ref(), 1, 2, false)
        .expect("write back");
    assert_eq!(file.bytes().len() as u64, P + 100, "the size does not grow");
    assert!(file.bytes()[P as usize..].iter().all(|&b| b == b'd'));
    assert!(cache.is_dirty(), "still dirty without `clean`");
    cache
        .write_back(file.as_ref(), 0, u64::MAX, true)
        .expect("clean");
    assert!(!cache.is_dirty());
    frames.put(page1);
    let broken = MemFile {
        broken: true,
        ..MemFile::default()
    };
    *broken.data.lock() = vec![0; P as usize];
    let p0 = cache.get(file.as_ref(), 0).expect("page 0");
    cache.set_dirty(0);
    assert!(cache.write_back(&broken, 0, 1, true).is_err());
    assert!(cache.is_dirty(), "a failed page stays dirty");
    frames.put(p0);
}

#[test]
fn truncate_drops_pages_and_zeroes_the_tail() {
    let mm = new_mm();
    let frames = mm.frames().clone();
    let free = frames.free_frames();
    let file = MemFile::patterned(3 * P);
    let cache = PageCache::new(frames.clone());
    for i in 0..3 {
        let f = cache.get(file.as_ref(), i).expect("page");
        frames.put(f);
    }
    let page0 = cache.get(file.as_ref(), 0).expect("page 0");
    cache.truncate(100);
    assert_eq!(cache.len(), 1);
    let mut buf = [0xffu8; 4];
    frames.physmem().read(page0 + 98, &mut buf);
    assert_eq!(buf, [98, 99, 0, 0]);
    cache.zero(0, 2);
    frames.physmem().read(page0, &mut buf);
    assert_eq!(buf, [0, 0, 2, 3]);
    frames.put(page0);
    drop(cache);
    assert_eq!(frames.free_frames(), free);
}

#[test]
fn invalidate_drops_dirty_pages_unwritten() {
    let mm = new_mm();
    let frames = mm.frames().clone();
    let free = frames.free_frames();
    let file = MemFile::patterned(4 * P);
    let cache = PageCache::new(frames.clone());
    let mut got = Vec::new();
    for i in 0..4 {
        got.push(cache.get(file.as_ref(), i).expect("page"));
        cache.set_dirty(i);
    }
    assert_eq!(cache.frames_in(1, 3), got[1..3]);
    cache.invalidate(1, 3);
    assert_eq!(cache.len(), 2);
    assert_eq!(cache.frames_in(0, u64::MAX), [got[0], got[3]]);
    // Zeroing a huge range touches only the cached pages in it.
    cache.zero(P + 1, u64::MAX);
    let mut buf = [0xffu8; 2];
    frames.physmem().read(got[3], &mut buf);
    assert_eq!(buf, [0, 0]);
    cache
        .write_back(file.as_ref(), 0, u64::MAX, true)
        .expect("write back");
    assert_eq!(
        file.bytes()[P as usize + 5],
        ((P + 5) % 251) as u8,
        "never written back"
    );
    for f in got {
        frames.put(f);
    }
    drop(cache);
    assert_eq!(frames.free_frames(), free);
}

#[test]
fn shrink_frees_only_clean_unmapped_pages() {
    let mm = new_mm();
    let frames = mm.frames().clone();
    let free = frames.free_frames();
    let file = MemFile::patterned(4 * P);
    let cache = Arc::new(PageCache::new(frames.clone()));
    let mapped = cache.get(file.as_ref(), 0).expect("page 0");
    let dirty = cache.get(file.as_ref(), 1).expect("page 1");
    frames.put(dirty);
    cache.set_dirty(1);
    let idle = cache.get(file.as_ref(), 2).expect("page 2");
    frames.put(idle);
    assert_eq!(
        cache.shrink(),
        2,
        "only the idle clean pages: 2, and 3 read around"
    );
    assert_eq!(cache.len(), 2);
    let zeroed = cache.get_zeroed(3).expect("zero page");
    frames.put(zeroed);
    assert_eq!(cache.shrink(), 0, "a page with no file is never dropped");
    frames.put(mapped);
    drop(cache);
    assert_eq!(frames.free_frames(), free);
}
