//! Tests of file mappings over a page cache: shared mappings in several
//! address spaces, dirtying and write-back (msync, munmap, teardown), private
//! mappings that see the cache until they copy, truncation, anonymous shared
//! memory over fork, mprotect's limits and reclaim when RAM runs out.

use arch::sync::Mutex;
use std::sync::Arc;

use arch::Errno;

use super::{map_file, new_mm, CachedFile, MemFile, RW};
use crate::{
    FaultError, MapFlags, MappedFile, Mm, PageCache, Prot, Shrinker, VmaName, MS_ASYNC,
    MS_INVALIDATE, MS_SYNC, PAGE_SIZE,
};

const P: u64 = PAGE_SIZE;

/// Returns a second address space over the same RAM as `mm`.
fn other_mm(mm: &Mm) -> Mm {
    Mm::new(mm.frames().clone(), mm.task_size())
}

#[test]
fn shared_mappings_in_two_address_spaces_share_frames() {
    let mut a = new_mm();
    let frames = a.frames().clone();
    let free = frames.free_frames();
    let mut b = other_mm(&a);
    let file = CachedFile::new(&a, MemFile::patterned(2 * P));
    let x = map_file(&mut a, &file, 2, RW, MapFlags::SHARED, 0);
    let y = map_file(&mut b, &file, 1, RW, MapFlags::SHARED, 1);
    a.copy_to_user(x + P + 7, b"from a").expect("store in a");
    let mut buf = [0u8; 6];
    b.copy_from_user(y + 7, &mut buf).expect("load in b");
    assert_eq!(&buf, b"from a");
    let fa = a.handle_fault(x + P, false).expect("present").paddr;
    let fb = b.handle_fault(y, false).expect("present").paddr;
    assert_eq!(fa, fb, "both map the cached frame");
    assert_eq!(file.file.bytes()[P as usize + 7], ((P + 7) % 251) as u8);
    a.msync(x, 2 * P, MS_SYNC).expect("msync");
    assert_eq!(
        &file.file.bytes()[P as usize + 7..P as usize + 13],
        b"from a"
    );
    drop(a);
    drop(b);
    drop(file);
    assert_eq!(frames.free_frames(), free, "no frame leaks");
}

#[test]
fn shared_pages_become_dirty_when_written() {
    let mut mm = new_mm();
    let file = CachedFile::new(&mm, MemFile::patterned(2 * P));
    let x = map_file(&mut mm, &file, 2, RW, MapFlags::SHARED, 0);
    let m = mm.handle_fault(x, false).expect("read fault");
    assert_eq!(m.prot, Prot::READ, "clean pages map read-only");
    assert!(!file.cache.is_dirty());
    let m = mm.handle_fault(x, true).expect("write fault");
    assert_eq!(m.prot, RW);
    assert!(file.cache.is_dirty());
    assert_eq!(mm.take_tlb_flushes(), vec![x..x + P]);
    // A write by the kernel (read(2) into the mapping) dirties page 1 too.
    mm.copy_to_user(x + P, b"kernel").expect("copy_to_user");
    mm.msync(x + P, 1, MS_ASYNC).expect("msync of page 1");
    assert_eq!(&file.file.bytes()[P as usize..P as usize + 6], b"kernel");
    // Read-only shared mappings never dirty anything.
    let ro = CachedFile::new(&mm, MemFile::patterned(P));
    let r = map_file(&mut mm, &ro, 1, Prot::READ, MapFlags::SHARED, 0);
    let mut b = [0u8; 1];
    mm.copy_from_user(r, &mut b).expect("read");
    assert!(!ro.cache.is_dirty());
}

#[test]
fn munmap_and_teardown_write_back() {
    let mut mm = new_mm();
    let file = CachedFile::new(&mm, MemFile::patterned(3 * P));
    let x = map_file(&mut mm, &file, 3, RW, MapFlags::SHARED, 0);
    mm.copy_to_user(x + 5, b"zero").expect("store");
    mm.copy_to_user(x + 2 * P, b"two").expect("store");
    mm.munmap(x, P).expect("munmap of page 0");
    assert_eq!(&file.file.bytes()[5..9], b"zero");
    assert_ne!(
        &file.file.bytes()[2 * P as usize..2 * P as usize + 3],
        b"two"
    );
    drop(mm);
    assert_eq!(
        &file.file.bytes()[2 * P as usize..2 * P as usize + 3],
        b"two"
    );
}

#[test]
fn private_mappings_see_the_cache_until_they_copy() {
    let mut mm = new_mm();
    let file = CachedFile::new(&mm, MemFile::patterned(2 * P));
    let s = map_file(&mut mm, &file, 2, RW, MapFlags::SHARED, 0);
    let p = map_file(&mut mm, &file, 2, RW, MapFlags::PRIVATE, 0);
    let mut buf = [0u8; 4];
    mm.copy_from_user(p, &mut buf).expect("private read");
    assert_eq!(buf, [0, 1, 2, 3]);
    let cached = mm.handle_fault(s, false).expect("shared").paddr;
    assert_eq!(mm.handle_fault(p, false).expect("private").paddr, cached);
    // A store through the shared mapping shows in the private one.
    mm.copy_to_user(s, b"AB").expect("shared store");
    mm.copy_from_user(p, &mut buf).expect("private read");
    assert_eq!(&buf, b"AB\x02\x03");
    // The private write copies; the file and the cache keep their bytes.
    mm.copy_to_user(p + 1, b"x").expect("private store");
    mm.copy_to_user(p + P, b"y")
        .expect("private store to an unread page");
    mm.copy_to_user(s, b"CD").expect("shared store");
    mm.copy_from_user(p, &mut buf).expect("private read");
    assert_eq!(&buf, b"Ax\x02\x03", "the copy no longer follows the file");
    mm.msync(p, 2 * P, MS_SYNC)
        .expect("msync of a private mapping");
    mm.munmap(p, 2 * P).expect("munmap");
    let bytes = file.file.bytes();
    assert_eq!(bytes[1], 1, "private stores never reach the file");
    assert_eq!(bytes[P as usize], (P % 251) as u8);
    mm.copy_from_user(s + P, &mut buf[..1])
        .expect("shared read");
    assert_eq!(buf[0], (P % 251) as u8);
}

#[test]
fn truncation_zaps_every_mapping_beyond_the_end() {
    let mut mm = new_mm();
    let frames = mm.frames().clone();
    let free = frames.free_frames();
    let file = CachedFile::new(&mm, MemFile::patterned(3 * P));
    let s = map_file(&mut mm, &file, 3, RW, MapFlags::SHARED, 0);
    let p = map_file(&mut mm, &file, 2, RW, MapFlags::PRIVATE, 1);
    mm.populate(s, s + 3 * P, true);
    mm.copy_to_user(p + P, b"cow")
        .expect("private copy of page 2");
    mm.take_tlb_flushes();
    // The kernel's truncate to P + 10 bytes: size, mappings, then the cache.
    file.file.data.lock().truncate(P as usize + 10);
    let target: *const CachedFile = Arc::as_ptr(&file);
    mm.zap_file_pages(
        &|f| std::ptr::addr_eq(f as *const dyn MappedFile, target),
        2..u64::MAX,
        &|_| false,
    );
    file.cache.truncate(P + 10);
    let mut flushes = mm.take_tlb_flushes();
    flushes.sort_by_key(|r| r.start);
    let mut want = vec![s + 2 * P..s + 3 * P, p + P..p + 2 * P];
    want.sort_by_key(|r| r.start);
    assert_eq!(flushes, want);
    assert_eq!(mm.handle_fault(s + 2 * P, false), Err(FaultError::Bus));
    assert_eq!(mm.handle_fault(p + P, false), Err(FaultError::Bus));
    let mut b = [0xffu8; 2];
    mm.copy_from_user(s + P + 9, &mut b)
        .expect("the last page stays");
    assert_eq!(b, [((P + 9) % 251) as u8, 0], "zero past the new end");
    drop(mm);
    drop(file);
    assert_eq!(frames.free_frames(), free, "no frame leaks");
}

#[test]
fn a_punched_hole_zaps_cached_pages_but_not_private_copies() {
    let mut mm = new_mm();
    let frames = mm.frames().clone();
    let free = frames.free_frames();
    let file = CachedFile::new(&mm, MemFile::patterned(4 * P));
    let s = map_file(&mut mm, &file, 4, RW, MapFlags::SHARED, 0);
    let p = map_file(&mut mm, &file, 4, RW, MapFlags::PRIVATE, 0);
    mm.populate(s, s + 4 * P, true);
    mm.populate(p, p + 4 * P, false);
    mm.copy_to_user(p + 2 * P, b"cow")
        .expect("private copy of page 2");
    mm.take_tlb_flushes();
    // The kernel's hole punch over pages 1 and 2: the file, the mappings of
    // the cached frames, then the cache.
    file.file.data.lock()[P as usize..3 * P as usize].fill(0);
    let cached = file.cache.frames_in(1, 3);
    let target: *const CachedFile = Arc::as_ptr(&file);
    mm.zap_file_pages(
        &|f| std::ptr::addr_eq(f as *const dyn MappedFile, target),
        1..3,
        &|paddr| !cached.contains(&paddr),
    );
    file.cache.invalidate(1, 3);
    let mut flushes = mm.take_tlb_flushes();
    flushes.sort_by_key(|r| r.start);
    let mut want = vec![s + P..s + 3 * P, p + P..p + 2 * P];
    want.sort_by_key(|r| r.start);
    assert_eq!(flushes, want);
    let mut b = [0xffu8; 3];
    mm.copy_from_user(s + 2 * P, &mut b).expect("shared");
    assert_eq!(b, [0; 3], "the shared mapping reads the hole");
    mm.copy_from_user(p + P, &mut b).expect("private");
    assert_eq!(b, [0; 3], "an uncopied private page reads the hole");
    mm.copy_from_user(p + 2 * P, &mut b).expect("private copy");
    assert_eq!(&b, b"cow", "a private copy keeps its bytes");
    mm.copy_from_user(s + 3 * P, &mut b[..1]).expect("after");
    assert_eq!(b[0], ((3 * P) % 251) as u8);
    drop(mm);
    drop(file);
    assert_eq!(frames.free_frames(), free, "no frame leaks");
}

#[test]
fn shared_anonymous_memory_is_shared_over_fork() {
    let mut parent = new_mm();
    let frames = parent.frames().clone();
    let free = frames.free_frames();
    let flags = MapFlags::SHARED | MapFlags::ANONYMOUS;
    let a = parent
        .mmap(0, 2 * P, RW, flags, None, 0, VmaName::None)
        .expect("mmap");
    parent.copy_to_user(a, b"before").expect("store");
    let mut child = parent.fork().expect("fork");
    // Page 1 is first touched after the fork, by the child.
    child.copy_to_user(a + P, b"child").expect("store");
    let mut buf = [0u8; 6];
    parent.copy_from_user(a + P, &mut buf[..5]).expect("load");
    assert_eq!(&buf[..5], b"child");
    parent.copy_to_user(a, b"parent").expect("store");
    child.copy_from_user(a, &mut buf).expect("load");
    assert_eq!(&buf, b"parent");
    let m = child.handle_fault(a + P, false).expect("present");
    assert_eq!(m.prot, RW, "no dirty tracking without a file");
    drop(child);
    drop(parent);
    assert_eq!(frames.free_frames(), free, "no frame leaks");
}

#[test]
fn msync_checks_its_arguments() {
    let mut mm = new_mm();
    let file = CachedFile::new(&mm, MemFile::patterned(4 * P));
    let x = map_file(&mut mm, &file, 4, RW, MapFlags::SHARED, 0);
    assert_eq!(mm.msync(x + 1, P, MS_SYNC), Err(Errno::EINVAL));
    assert_eq!(mm.msync(x, P, 8), Err(Errno::EINVAL));
    assert_eq!(mm.msync(x, P, MS_SYNC | MS_ASYNC), Err(Errno::EINVAL));
    assert_eq!(mm.msync(x, 0, MS_SYNC), Ok(()));
    assert_eq!(mm.msync(x, P, 0), Ok(()), "no flag is MS_ASYNC");
    assert_eq!(mm.msync(x, P, MS_INVALIDATE), Ok(()));
    mm.copy_to_user(x, b"kept").expect("store");
    mm.munmap(x + P, P).expect("hole");
    assert_eq!(mm.msync(x, 4 * P, MS_SYNC), Err(Errno::ENOMEM));
    assert_eq!(&file.file.bytes()[..4], b"kept", "mapped parts are written");
    assert_eq!(mm.msync(x + 4 * P, P, MS_SYNC), Err(Errno::ENOMEM));
    let locked = MapFlags::SHARED | MapFlags::LOCKED;
    let l = map_file(&mut mm, &file, 1, RW, locked, 0);
    assert_eq!(mm.msync(l, P, MS_INVALIDATE), Err(Errno::EBUSY));
    assert_eq!(mm.msync(l, P, MS_SYNC), Ok(()));
}

#[test]
fn mprotect_keeps_within_what_the_file_allows() {
    let mut mm = new_mm();
    let file = Arc::new(CachedFile {
        file: MemFile::patterned(P),
        cache: PageCache::new(mm.frames().clone()),
        max_prot: Prot::READ | Prot::EXEC,
    });
    let x = map_file(&mut mm, &file, 1, Prot::READ, MapFlags::SHARED, 0);
    assert_eq!(mm.mprotect(x, P, RW), Err(Errno::EACCES));
    assert_eq!(mm.mprotect(x, P, Prot::READ | Prot::EXEC), Ok(()));
    assert_eq!(
        mm.find_vma(x).map(|v| v.prot),
        Some(Prot::READ | Prot::EXEC)
    );
}

/// A shrinker over some page caches, as the kernel's.
struct Caches(Mutex<Vec<Arc<CachedFile>>>);

impl Shrinker for Caches {
    fn shrink(&self) -> u64 {
        let caches = self.0.lock();
        caches.iter().map(|c| c.cache.shrink()).sum()
    }
}

#[test]
fn clean_cache_pages_are_reclaimed_when_ram_runs_out() {
    let mut mm = new_mm();
    let frames = mm.frames().clone();
    let file = CachedFile::new(&mm, MemFile::patterned(8 * P));
    let caches = Arc::new(Caches(Mutex::new(vec![file.clone()])));
    let weak: std::sync::Weak<Caches> = Arc::downgrade(&caches);
    frames.set_shrinker(weak);
    let x = map_file(&mut mm, &file, 8, Prot::READ, MapFlags::SHARED, 0);
    mm.populate(x, x + 8 * P, false);
    mm.munmap(x, 8 * P).expect("munmap");
    assert_eq!(file.cache.len(), 8, "unmapped pages stay cached");
    let mut taken = Vec::new();
    while let Ok(f) = frames.alloc() {
        taken.push(f);
    }
    assert_eq!(file.cache.len(), 0, "the cache gave its pages back");
    assert_eq!(frames.free_frames(), 0);
    for f in taken {
        frames.put(f);
    }
}
