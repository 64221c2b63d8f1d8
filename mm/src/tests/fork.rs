//! Tests of fork's copy-on-write and the fault rules around it.

use super::{anon, new_mm, RW};
use crate::{FaultError, MapFlags, Prot, VmaName, PAGE_SIZE};

const P: u64 = PAGE_SIZE;

#[test]
fn child_write_does_not_change_parent() {
    let mut parent = new_mm();
    let a = anon(&mut parent, 0x10_0000, 2, RW);
    parent.copy_to_user(a, b"parent").expect("write");
    let frame = parent.handle_fault(a, false).expect("present").paddr;
    assert_eq!(parent.take_tlb_flushes(), vec![]);
    let free = parent.frames().free_frames();

    let mut child = parent.fork().expect("fork");
    assert_eq!(parent.frames().refcount(frame), 2);
    assert_eq!(
        parent.take_write_protects(),
        vec![a..a + P],
        "parent loses write access"
    );
    assert_eq!(parent.take_tlb_flushes(), vec![], "and keeps read access");
    let m = parent.handle_fault(a, false).expect("read");
    assert_eq!(
        (m.paddr, m.prot),
        (frame, RW - Prot::WRITE),
        "COW pages map read-only"
    );

    // The child's write fault copies the page.
    let m = child.handle_fault(a, true).expect("COW break");
    assert_ne!(m.paddr, frame);
    assert_eq!(m.prot, RW);
    assert_eq!(child.take_tlb_flushes(), vec![a..a + P]);
    child.copy_to_user(a, b"child!").expect("write");
    assert_eq!(parent.frames().refcount(frame), 1);
    assert_eq!(parent.frames().free_frames(), free - 1);

    let mut buf = [0u8; 6];
    parent.copy_from_user(a, &mut buf).expect("read");
    assert_eq!(&buf, b"parent");
    child.copy_from_user(a, &mut buf).expect("read");
    assert_eq!(&buf, b"child!");

    // With the last sharer gone, the parent's write fault reuses the frame.
    let m = parent.handle_fault(a, true).expect("reuse");
    assert_eq!((m.paddr, m.prot), (frame, RW));
    // Other stubs of the mm may hold the page read-only: they must drop it.
    assert_eq!(parent.take_tlb_flushes(), vec![a..a + P]);
    drop(child);
    assert_eq!(parent.frames().free_frames(), free);
}

#[test]
fn refcounts_drop_back_when_child_exits() {
    let mut parent = new_mm();
    let a = anon(&mut parent, 0x10_0000, 4, RW);
    parent.clear_user(a, 4 * P).expect("touch");
    let free = parent.frames().free_frames();
    let child = parent.fork().expect("fork");
    assert_eq!(parent.frames().free_frames(), free, "fork copies no frame");
    assert_eq!(child.rss_pages(), 4);
    drop(child);
    for i in 0..4 {
        let pte = parent.pt.lookup(a + i * P).expect("present");
        assert_eq!(parent.frames().refcount(pte.paddr()), 1);
    }
    // Copy-to-user breaks (here: reclaims) COW without a new frame.
    parent.copy_to_user(a, b"x").expect("write");
    assert_eq!(parent.frames().free_frames(), free);
}

#[test]
fn shared_anonymous_memory_is_shared_across_fork() {
    let mut parent = new_mm();
    let flags = MapFlags::SHARED | MapFlags::ANONYMOUS;
    let a = parent
        .mmap(0, P, RW, flags, None, 0, VmaName::None)
        .expect("mmap");
    parent.copy_to_user(a, b"one").expect("write");
    let mut child = parent.fork().expect("fork");
    assert!(
        parent.take_tlb_flushes().is_empty() && parent.take_write_protects().is_empty(),
        "shared pages keep write access"
    );
    child.copy_to_user(a, b"two").expect("write");
    let mut buf = [0u8; 3];
    parent.copy_from_user(a, &mut buf).expect("read");
    assert_eq!(&buf, b"two");
    assert_eq!(child.handle_fault(a, false).expect("map").prot, RW);
}

#[test]
fn write_fault_on_writable_page_is_exec_violation() {
    let mut mm = new_mm();
    let a = anon(&mut mm, 0x10_0000, 1, RW);
    let m = mm.handle_fault(a + 8, false).expect("demand zero");
    assert_eq!((m.vaddr, m.prot), (a, RW));
    assert_eq!(mm.handle_fault(a, true), Err(FaultError::AccErr));
}

#[test]
fn stale_write_fault_maps_the_page_again() {
    let mut parent = new_mm();
    let a = anon(&mut parent, 0x10_0000, 1, RW);
    parent.copy_to_user(a, b"x").expect("write");
    let child = parent.fork().expect("fork");
    // One thread's CPU holds the page read-only (copy-on-write); another
    // thread's write breaks the sharing first (the child is gone).
    drop(child);
    let m = parent.handle_fault(a, true).expect("reuse");
    assert_eq!(m.prot, RW);
    // The first thread's write fault, handled after: a stale mapping.
    let far = a + 0x10_0000;
    assert_eq!(
        parent
            .handle_user_fault(a + 8, true, far, false)
            .expect("again"),
        m
    );
    // A fetch from the page, which is not executable, stays refused.
    assert_eq!(
        parent.handle_user_fault(a + 8, true, a + 8, false),
        Err(FaultError::AccErr)
    );
}
