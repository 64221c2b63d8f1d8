//! Tests of fault resolution: demand zero, protections, private file mappings,
//! stack growth and fault-around.

use std::sync::Arc;

use arch::Errno;

use super::{anon, new_mm, CachedFile, MemFile, RW};
use crate::{FaultError, MapFlags, MappedFile, Prot, VmaName, PAGE_SIZE};

const P: u64 = PAGE_SIZE;

#[test]
fn protections_decide_fault_results() {
    let mut mm = new_mm();
    assert_eq!(mm.handle_fault(0x10_0000, false), Err(FaultError::MapErr));
    let none = anon(&mut mm, 0x10_0000, 1, Prot::empty());
    assert_eq!(mm.handle_fault(none, false), Err(FaultError::AccErr));
    let ro = anon(&mut mm, 0x20_0000, 1, Prot::READ);
    assert_eq!(mm.handle_fault(ro, true), Err(FaultError::AccErr));
    assert_eq!(mm.handle_fault(ro, false).map(|m| m.prot), Ok(Prot::READ));
    let x = anon(&mut mm, 0x30_0000, 1, Prot::EXEC);
    assert_eq!(
        mm.handle_fault(x, false).map(|m| m.prot),
        Ok(Prot::READ | Prot::EXEC)
    );
    let rwx = anon(&mut mm, 0x40_0000, 1, RW | Prot::EXEC);
    assert_eq!(
        mm.handle_fault(rwx, false).map(|m| m.prot),
        Ok(RW | Prot::EXEC)
    );
    assert_eq!(
        mm.handle_fault(mm.task_size(), false),
        Err(FaultError::MapErr)
    );
}

#[test]
fn private_file_mapping_reads_and_copies() {
    let mut mm = new_mm();
    let file: Arc<dyn MappedFile> = CachedFile::new(&mm, MemFile::patterned(P + 100));
    // Three pages from file offset 0: page 2 lies wholly beyond end of file.
    let flags = MapFlags::PRIVATE;
    let a = mm
        .mmap(0, 3 * P, RW, flags, Some(file.clone()), 0, VmaName::None)
        .expect("mmap");
    let mut buf = vec![0u8; P as usize];
    mm.copy_from_user(a, &mut buf).expect("page 0");
    assert!(buf.iter().enumerate().all(|(i, &b)| b == (i % 251) as u8));
    mm.copy_from_user(a + P, &mut buf).expect("short last page");
    assert_eq!(buf[99], ((P + 99) % 251) as u8);
    assert!(buf[100..].iter().all(|&b| b == 0), "tail is zero-filled");
    assert_eq!(mm.handle_fault(a + 2 * P, false), Err(FaultError::Bus));
    assert_eq!(
        mm.copy_from_user(a + 2 * P, &mut buf[..1]),
        Err(Errno::EFAULT)
    );
    // Writes are private; DONTNEED brings back the file's data.
    mm.copy_to_user(a + 5, b"mine").expect("write");
    mm.madvise(a, P, 4).expect("MADV_DONTNEED");
    mm.copy_from_user(a, &mut buf[..10]).expect("read");
    assert_eq!(buf[5], 5);
    // An offset maps the file from there.
    let b = mm
        .mmap(0, P, Prot::READ, flags, Some(file), P, VmaName::None)
        .expect("mmap at offset");
    let mut one = [0u8; 1];
    mm.copy_from_user(b + 3, &mut one).expect("read");
    assert_eq!(one[0], ((P + 3) % 251) as u8);
    let broken = Arc::new(MemFile {
        broken: true,
        ..MemFile::default()
    });
    let broken: Arc<dyn MappedFile> = CachedFile::new(&mm, broken);
    let c = mm
        .mmap(0, P, Prot::READ, flags, Some(broken), 0, VmaName::None)
        .expect("mmap");
    assert_eq!(mm.handle_fault(c, false), Err(FaultError::Bus));
}

#[test]
fn madvise_dontneed_zeroes_anonymous_pages() {
    let mut mm = new_mm();
    let a = anon(&mut mm, 0x10_0000, 2, RW);
    mm.copy_to_user(a + P - 2, b"abcd").expect("write");
    mm.take_tlb_flushes();
    mm.madvise(a, 2 * P, 4).expect("MADV_DONTNEED");
    assert_eq!(mm.rss_pages(), 0);
    assert_eq!(mm.take_tlb_flushes(), vec![a..a + 2 * P]);
    let mut buf = [1u8; 4];
    mm.copy_from_user(a + P - 2, &mut buf).expect("read");
    assert_eq!(buf, [0; 4]);
    assert_eq!(mm.madvise(a, P, 0), Ok(()));
    assert_eq!(mm.madvise(a, P, 77), Err(Errno::EINVAL));
    assert_eq!(mm.madvise(a, 4 * P, 4), Err(Errno::ENOMEM));
}

#[test]
fn stack_grows_down_within_limit() {
    let mut mm = new_mm();
    let flags = MapFlags::PRIVATE | MapFlags::ANONYMOUS | MapFlags::GROWSDOWN | MapFlags::FIXED;
    let top = 0x7000_0000;
    mm.mmap(top - P, P, RW, flags, None, 0, VmaName::Stack)
        .expect("stack");
    mm.handle_fault(top - 5 * P + 8, false).expect("grows");
    assert_eq!(mm.find_vma(top - 5 * P).map(|v| v.start), Some(top - 5 * P));
    assert_eq!(
        mm.handle_fault(top - (9 << 20), false),
        Err(FaultError::MapErr)
    );
}

#[test]
fn fault_around_returns_present_neighbours() {
    let mut mm = new_mm();
    let a = anon(&mut mm, 0x10_0000, 32, RW);
    mm.clear_user(a + 2 * P, 3 * P).expect("touch 2..5");
    mm.clear_user(a + 20 * P, P).expect("touch 20");
    let around = mm.mappings_around(a + 3 * P, 16);
    let pages: Vec<u64> = around.iter().map(|m| (m.vaddr - a) / P).collect();
    assert_eq!(pages, vec![2, 4]);
    assert!(around.iter().all(|m| m.prot == RW));
    assert!(mm.mappings_around(0x9000_0000, 16).is_empty());
}

#[test]
fn file_fault_around_maps_cached_pages_only() {
    let mut mm = new_mm();
    let file = CachedFile::new(&mm, MemFile::patterned(32 * P));
    // File pages 8 on: the fault reads file pages 0-15 around its page 10
    // (`READ_AROUND`), so only the mapping's pages 0-7 are cached.
    let a = super::map_file(&mut mm, &file, 24, Prot::READ, MapFlags::PRIVATE, 8);
    let m = mm.handle_fault(a + 2 * P, false).expect("read fault");
    mm.fault_around(a + 2 * P, 16);
    let pages: Vec<u64> = mm
        .mappings_around(a + 2 * P, 16)
        .iter()
        .map(|m| (m.vaddr - a) / P)
        .collect();
    let window = (a + 2 * P) & !(16 * P - 1);
    let expected: Vec<u64> = (0..8)
        .filter(|&p| p != 2 && (window..window + 16 * P).contains(&(a + p * P)))
        .collect();
    assert_eq!(
        pages, expected,
        "the cached neighbours of the window, no more"
    );
    assert!(mm
        .mappings_around(a + 2 * P, 16)
        .iter()
        .all(|m| m.prot == Prot::READ));
    assert_eq!(m.prot, Prot::READ);
    assert_eq!(
        mm.rss_pages(),
        1 + expected.len() as u64,
        "mapped pages count, as Linux's fault-around"
    );
    // Read-only, so a write to a private page still copies it.
    let b = super::map_file(&mut mm, &file, 32, RW, MapFlags::PRIVATE, 0);
    mm.handle_fault(b + 2 * P, false).expect("read");
    mm.fault_around(b + 2 * P, 16);
    let cow = mm.handle_fault(b + 3 * P, true).expect("COW");
    let cached = file.page(3).expect("cached");
    assert_ne!(cow.paddr, cached);
    mm.frames().put(cached);
}

#[test]
fn anonymous_pages_come_in_blocks() {
    const MADV_NOHUGEPAGE: i32 = 15;
    let mut mm = new_mm();
    // Three aligned blocks of 16 pages, then 4 pages past the last.
    let a = anon(&mut mm, 0x20_0000, 52, RW);
    let m = mm
        .handle_user_fault(a + 5 * P + 8, true, 0, true)
        .expect("fault");
    assert_eq!(mm.rss_pages(), 16, "the whole aligned block");
    let near = mm.mappings_around(a + 5 * P, 16);
    assert_eq!(near.len(), 15);
    assert!(
        near.iter()
            .all(|n| n.paddr.wrapping_sub(m.paddr) == n.vaddr.wrapping_sub(m.vaddr)),
        "frames in a row, in the pages' order"
    );
    // Not without being asked, nor where the advice refuses it.
    mm.handle_user_fault(a + 16 * P, true, 0, false)
        .expect("fault");
    assert_eq!(mm.rss_pages(), 17);
    mm.madvise(a + 32 * P, 16 * P, MADV_NOHUGEPAGE)
        .expect("madvise");
    mm.handle_user_fault(a + 33 * P, true, 0, true)
        .expect("fault");
    assert_eq!(mm.rss_pages(), 18);
    // A block with a page present already, or past the area's end.
    mm.handle_user_fault(a + 17 * P, true, 0, true)
        .expect("fault");
    mm.handle_user_fault(a + 49 * P, true, 0, true)
        .expect("fault");
    assert_eq!(mm.rss_pages(), 20);
}
