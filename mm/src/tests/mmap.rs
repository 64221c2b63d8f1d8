//! Tests of VMA placement, splitting and merging: mmap, munmap, mprotect, brk.

use arch::Errno;

use super::{anon, layout, new_mm, RW, TASK_SIZE};
use crate::{MapFlags, Prot, VmaName, PAGE_SIZE};

const P: u64 = PAGE_SIZE;
const ANON: MapFlags = MapFlags::PRIVATE.union(MapFlags::ANONYMOUS);

#[test]
fn argument_errors() {
    let mut mm = new_mm();
    let none = VmaName::None;
    assert_eq!(
        mm.mmap(0, 0, RW, ANON, None, 0, none.clone()),
        Err(Errno::EINVAL)
    );
    let fixed = ANON | MapFlags::FIXED;
    assert_eq!(
        mm.mmap(0x10_0001, P, RW, fixed, None, 0, none.clone()),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        mm.mmap(0, P, RW, ANON, None, 10, none.clone()),
        Err(Errno::EINVAL)
    );
    let neither = MapFlags::ANONYMOUS;
    assert_eq!(
        mm.mmap(0, P, RW, neither, None, 0, none.clone()),
        Err(Errno::EINVAL)
    );
    let high = TASK_SIZE - P;
    assert_eq!(
        mm.mmap(high, 2 * P, RW, fixed, None, 0, none.clone()),
        Err(Errno::ENOMEM)
    );
    assert_eq!(
        mm.mmap(0, TASK_SIZE + P, RW, ANON, None, 0, none),
        Err(Errno::ENOMEM)
    );
    assert_eq!(mm.munmap(0x10_0001, P), Err(Errno::EINVAL));
    assert_eq!(mm.munmap(0x10_0000, 0), Err(Errno::EINVAL));
    assert_eq!(mm.vmas().count(), 0);
}

#[test]
fn top_down_placement_and_hint() {
    let mut mm = new_mm();
    let base = mm.mmap_base();
    let a = anon(&mut mm, 0, 2, RW);
    assert_eq!(a, base - 2 * P);
    let b = anon(&mut mm, 0, 1, Prot::READ);
    assert_eq!(b, a - P, "next mapping goes right below");
    // A free hint is honoured; a taken one is not.
    let flags = ANON;
    let h = mm.mmap(0x4000_0000, P, RW, flags, None, 0, VmaName::None);
    assert_eq!(h, Ok(0x4000_0000));
    let h2 = mm.mmap(0x4000_0000, P, RW, flags, None, 0, VmaName::None);
    assert_eq!(h2, Ok(b - P));
    // An unmapped hole is reused top-down.
    mm.munmap(a, 2 * P).expect("munmap");
    assert_eq!(anon(&mut mm, 0, 1, RW), base - P);
}

#[test]
fn fixed_replaces_and_noreplace_refuses() {
    let mut mm = new_mm();
    let a = anon(&mut mm, 0x10_0000, 4, RW);
    mm.copy_to_user(a + P, b"old").expect("write");
    let noreplace = ANON | MapFlags::FIXED_NOREPLACE;
    let r = mm.mmap(a + 3 * P, 2 * P, RW, noreplace, None, 0, VmaName::None);
    assert_eq!(r, Err(Errno::EEXIST));
    let r = mm.mmap(a + 4 * P, 2 * P, RW, noreplace, None, 0, VmaName::None);
    assert_eq!(r, Ok(a + 4 * P));
    assert_eq!(
        layout(&mm),
        vec![(a, a + 6 * P, RW)],
        "merged with neighbour"
    );
    mm.take_tlb_flushes();
    anon(&mut mm, a + P, 1, Prot::READ);
    let mut buf = [1u8; 3];
    mm.copy_from_user(a + P, &mut buf).expect("read");
    assert_eq!(buf, [0; 3], "FIXED replaced the old page");
    assert_eq!(mm.take_tlb_flushes(), vec![a + P..a + 2 * P]);
    assert_eq!(
        layout(&mm),
        vec![
            (a, a + P, RW),
            (a + P, a + 2 * P, Prot::READ),
            (a + 2 * P, a + 6 * P, RW)
        ]
    );
}

#[test]
fn munmap_splits_in_the_middle() {
    let mut mm = new_mm();
    let a = anon(&mut mm, 0x20_0000, 8, RW);
    mm.clear_user(a, 8 * P).expect("touch all");
    assert_eq!(mm.rss_pages(), 8);
    let free = mm.frames().free_frames();
    mm.take_tlb_flushes();
    mm.munmap(a + 3 * P, 2 * P).expect("munmap");
    assert_eq!(
        layout(&mm),
        vec![(a, a + 3 * P, RW), (a + 5 * P, a + 8 * P, RW)]
    );
    assert_eq!(mm.rss_pages(), 6);
    assert_eq!(mm.frames().free_frames(), free + 2);
    assert_eq!(mm.take_tlb_flushes(), vec![a + 3 * P..a + 5 * P]);
    assert!(mm.find_vma(a + 4 * P).is_none());
    assert_eq!(mm.copy_to_user(a + 4 * P, b"x"), Err(Errno::EFAULT));
    // Unmapping nothing is fine.
    mm.munmap(a + 3 * P, P).expect("munmap hole");
}

#[test]
fn mprotect_splits_and_merges_back() {
    let mut mm = new_mm();
    let a = anon(&mut mm, 0x30_0000, 6, RW);
    mm.clear_user(a, 6 * P).expect("touch");
    mm.take_tlb_flushes();
    mm.mprotect(a + 2 * P, 2 * P, Prot::READ).expect("mprotect");
    assert_eq!(
        layout(&mm),
        vec![
            (a, a + 2 * P, RW),
            (a + 2 * P, a + 4 * P, Prot::READ),
            (a + 4 * P, a + 6 * P, RW)
        ]
    );
    assert_eq!(mm.take_tlb_flushes(), vec![a + 2 * P..a + 4 * P]);
    assert_eq!(mm.copy_to_user(a + 2 * P, b"x"), Err(Errno::EFAULT));
    let m = mm.handle_fault(a + 2 * P, false).expect("read fault");
    assert_eq!(m.prot, Prot::READ);
    // Adding rights needs no flush; the areas merge again.
    mm.mprotect(a + 2 * P, 2 * P, RW).expect("mprotect");
    assert!(mm.take_tlb_flushes().is_empty());
    assert_eq!(layout(&mm), vec![(a, a + 6 * P, RW)]);
    mm.copy_to_user(a + 2 * P, b"x").expect("writable again");
    // Holes give ENOMEM; unaligned starts EINVAL.
    assert_eq!(mm.mprotect(a + 5 * P, 2 * P, RW), Err(Errno::ENOMEM));
    assert_eq!(mm.mprotect(a + 1, P, RW), Err(Errno::EINVAL));
}

#[test]
fn brk_grows_and_shrinks() {
    let mut mm = new_mm();
    mm.set_brk_base(0x40_0123);
    let base = 0x40_1000;
    assert_eq!(mm.brk(0), base, "brk(0) reports the break");
    assert_eq!(mm.brk(base + 3 * P + 5), base + 3 * P + 5);
    let heap = mm.find_vma(base).expect("heap").clone();
    assert_eq!(
        (heap.start, heap.end, heap.name),
        (base, base + 4 * P, VmaName::Heap)
    );
    mm.copy_to_user(base + 3 * P, b"data")
        .expect("heap is writable");
    assert_eq!(mm.brk(base + P), base + P);
    assert_eq!(layout(&mm), vec![(base, base + P, RW)]);
    assert_eq!(mm.rss_pages(), 0);
    assert_eq!(mm.brk(base + 4 * P), base + 4 * P);
    let mut buf = [9u8; 4];
    mm.copy_from_user(base + 3 * P, &mut buf).expect("read");
    assert_eq!(buf, [0; 4], "regrown heap is zeroed");
    // Growing into another mapping fails and keeps the old break.
    anon(&mut mm, base + 6 * P, 1, RW);
    assert_eq!(mm.brk(base + 7 * P), base + 4 * P);
    assert_eq!(mm.brk(base - P), base + 4 * P, "below the base");
    assert_eq!(mm.brk(base), base);
    assert!(mm.find_vma(base).is_none());
}
