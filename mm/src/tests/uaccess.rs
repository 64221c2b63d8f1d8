//! Tests of the kernel's access to user memory.

use arch::Errno;

use super::{anon, new_mm, RW};
use crate::{Prot, PAGE_SIZE};

const P: u64 = PAGE_SIZE;

#[test]
fn copies_cross_page_boundaries() {
    let mut mm = new_mm();
    let a = anon(&mut mm, 0x10_0000, 3, RW);
    let data: Vec<u8> = (0..P as usize + 10).map(|i| i as u8).collect();
    mm.copy_to_user(a + P - 5, &data).expect("write");
    assert_eq!(mm.rss_pages(), 3);
    let mut back = vec![0u8; data.len()];
    mm.copy_from_user(a + P - 5, &mut back).expect("read");
    assert_eq!(back, data);
    mm.clear_user(a + P - 1, 2).expect("clear");
    mm.copy_from_user(a + P - 2, &mut back[..3]).expect("read");
    assert_eq!(back[..3], [data[3], 0, 0]);
    mm.copy_to_user(a, &[]).expect("empty copy");
}

#[test]
fn efault_on_unmapped_and_read_only() {
    let mut mm = new_mm();
    let a = anon(&mut mm, 0x10_0000, 1, RW);
    let ro = anon(&mut mm, 0x20_0000, 1, Prot::READ);
    assert_eq!(mm.copy_to_user(a + P - 2, b"abcd"), Err(Errno::EFAULT));
    assert_eq!(mm.copy_to_user(ro, b"x"), Err(Errno::EFAULT));
    assert_eq!(mm.clear_user(ro, 1), Err(Errno::EFAULT));
    let mut buf = [0u8; 4];
    assert_eq!(mm.copy_from_user(0x30_0000, &mut buf), Err(Errno::EFAULT));
    assert_eq!(
        mm.copy_from_user(u64::MAX - 1, &mut buf),
        Err(Errno::EFAULT)
    );
    mm.copy_from_user(ro, &mut buf)
        .expect("read-only is readable");
    let none = anon(&mut mm, 0x40_0000, 1, Prot::empty());
    assert_eq!(mm.copy_from_user(none, &mut buf), Err(Errno::EFAULT));
}

#[test]
fn read_cstring_stops_at_nul_or_max() {
    let mut mm = new_mm();
    let a = anon(&mut mm, 0x10_0000, 2, RW);
    // A string across the page boundary.
    mm.copy_to_user(a + P - 3, b"hello\0").expect("write");
    assert_eq!(mm.read_cstring(a + P - 3, 100), Ok(b"hello".to_vec()));
    assert_eq!(mm.read_cstring(a + P - 3, 6), Ok(b"hello".to_vec()));
    assert_eq!(mm.read_cstring(a + P - 3, 5), Err(Errno::ENAMETOOLONG));
    assert_eq!(mm.read_cstring(a + 2 * P - 1, 0), Err(Errno::ENAMETOOLONG));
    // No NUL before the end of the mapping.
    mm.copy_to_user(a + 2 * P - 2, b"ab").expect("write");
    assert_eq!(mm.read_cstring(a + 2 * P - 2, 100), Err(Errno::EFAULT));
    // The NUL ends the read: the unmapped page after it is not touched.
    mm.copy_to_user(a + 2 * P - 1, b"\0").expect("write");
    assert_eq!(mm.read_cstring(a + 2 * P - 1, 100), Ok(vec![]));
}
