//! Tests of mremap: shrinking, growing in place, moving.

use arch::Errno;

use super::{anon, layout, new_mm, RW};
use crate::{MREMAP_DONTUNMAP, MREMAP_FIXED, MREMAP_MAYMOVE, PAGE_SIZE};

const P: u64 = PAGE_SIZE;

#[test]
fn grows_in_place_and_shrinks() {
    let mut mm = new_mm();
    let a = anon(&mut mm, 0x10_0000, 2, RW);
    mm.copy_to_user(a, b"keep").expect("write");
    assert_eq!(mm.mremap(a, 2 * P, 4 * P, 0, 0), Ok(a));
    assert_eq!(layout(&mm), vec![(a, a + 4 * P, RW)]);
    mm.copy_to_user(a + 3 * P, b"new")
        .expect("grown part is mapped");
    assert_eq!(mm.mremap(a, 4 * P, P, 0, 0), Ok(a));
    assert_eq!(layout(&mm), vec![(a, a + P, RW)]);
    assert_eq!(mm.rss_pages(), 1);
    let mut buf = [0u8; 4];
    mm.copy_from_user(a, &mut buf).expect("read");
    assert_eq!(&buf, b"keep");
}

#[test]
fn moves_when_blocked_preserving_contents() {
    let mut mm = new_mm();
    let a = anon(&mut mm, 0x10_0000, 2, RW);
    anon(&mut mm, a + 2 * P, 1, RW - crate::Prot::WRITE);
    mm.copy_to_user(a + P + 7, b"moved").expect("write");
    let frame = mm.handle_fault(a + P, false).expect("present").paddr;
    assert_eq!(mm.mremap(a, 2 * P, 3 * P, 0, 0), Err(Errno::ENOMEM));
    mm.take_tlb_flushes();
    let free = mm.frames().free_frames();
    let b = mm.mremap(a, 2 * P, 3 * P, MREMAP_MAYMOVE, 0).expect("move");
    assert_ne!(b, a);
    assert!(mm.find_vma(a).is_none());
    assert_eq!(mm.take_tlb_flushes(), vec![a + P..a + 2 * P]);
    assert_eq!(mm.frames().free_frames(), free, "frames stay");
    assert_eq!(mm.handle_fault(b + P, false).map(|m| m.paddr), Ok(frame));
    let mut buf = [0u8; 5];
    mm.copy_from_user(b + P + 7, &mut buf).expect("read");
    assert_eq!(&buf, b"moved");
    mm.copy_to_user(b + 2 * P, b"tail").expect("grown part");
}

#[test]
fn fixed_and_dontunmap() {
    let mut mm = new_mm();
    let a = anon(&mut mm, 0x10_0000, 2, RW);
    mm.copy_to_user(a, b"data").expect("write");
    let to = 0x50_0000;
    assert_eq!(
        mm.mremap(a, 2 * P, 2 * P, MREMAP_FIXED, to),
        Err(Errno::EINVAL)
    );
    let both = MREMAP_MAYMOVE | MREMAP_FIXED;
    assert_eq!(mm.mremap(a, 2 * P, 2 * P, both, a + P), Err(Errno::EINVAL));
    assert_eq!(mm.mremap(a, 2 * P, 2 * P, both, to), Ok(to));
    let keep = MREMAP_MAYMOVE | MREMAP_DONTUNMAP;
    let b = mm.mremap(to, 2 * P, 2 * P, keep, 0).expect("dontunmap");
    let mut buf = [0u8; 4];
    mm.copy_from_user(b, &mut buf).expect("read");
    assert_eq!(&buf, b"data");
    mm.copy_from_user(to, &mut buf)
        .expect("old range still mapped");
    assert_eq!(buf, [0; 4], "and empty");
    assert_eq!(
        mm.mremap(0x90_0000, P, 2 * P, MREMAP_MAYMOVE, 0),
        Err(Errno::EFAULT)
    );
    assert_eq!(mm.mremap(b, 3 * P, 3 * P, 0, 0), Err(Errno::EFAULT));
}
