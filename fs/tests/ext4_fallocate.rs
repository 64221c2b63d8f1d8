//! fallocate(2) and SEEK_DATA/SEEK_HOLE on ext4 through the `Inode` methods,
//! on fresh `mkfs.ext4` images with 1 KiB and 4 KiB blocks: preallocation as
//! unwritten extents, writes that split them, holes punched (also across an
//! extent tree with index levels), zeroed, collapsed and inserted ranges, a
//! full disk. After each, `e2fsck -fn` must be clean and the host kernel's
//! ext4 (a loop mount) must see the same sizes, block counts and contents.

mod common;

use arch::Errno;
use common::rw::{compare_with_host, debugfs, fsck_clean, mkfs, mount_rw, LoopMount};
use common::TempDir;
use fs::ext4::Ext4;
use fs::{FallocMode, FileSystem, Inode};
use std::path::Path;
use std::sync::Arc;

const ALLOCATE: FallocMode = FallocMode::Allocate { keep_size: false };
const KEEP_SIZE: FallocMode = FallocMode::Allocate { keep_size: true };
const PUNCH: FallocMode = FallocMode::PunchHole;
const ZERO: FallocMode = FallocMode::ZeroRange { keep_size: false };
const MIB: u64 = 1 << 20;

fn byte(i: u64) -> u8 {
    (i.wrapping_mul(13) ^ (i >> 10)) as u8 | 1
}

fn contents(from: u64, len: u64) -> Vec<u8> {
    (from..from + len).map(byte).collect()
}

/// Reads `len` bytes of `f` at `off`.
fn read(f: &Arc<dyn Inode>, off: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0xeeu8; len];
    let n = f.read_at(off, &mut buf).expect("read");
    buf.truncate(n);
    buf
}

fn size_blocks(f: &Arc<dyn Inode>) -> (u64, u64) {
    let st = f.stat().expect("stat");
    (st.size, st.blocks)
}

fn create(fs: &Arc<Ext4>, name: &str) -> Arc<dyn Inode> {
    let root = fs.root().expect("root");
    root.create(name.as_bytes(), 0o644, fs::Owner::ROOT)
        .expect("create")
}

/// Syncs, runs e2fsck on the image and compares the tree with the host's view.
fn check(fs: &Arc<Ext4>, img: &Path, tmp: &Path) {
    fs.sync().expect("sync");
    fsck_clean(img);
    let mnt = LoopMount::new(img, tmp);
    compare_with_host(&fs.root().expect("root"), &mnt.dir);
}

/// Runs `test` on a fresh 64 MiB image with each block size.
fn on_images(test: impl Fn(&Arc<Ext4>, &Path, &Path, u64)) {
    for bs in [1024u64, 4096] {
        let tmp = TempDir::new("falloc");
        let img = mkfs(&tmp.0, "64M", &["-b", &bs.to_string()], None);
        let fs = mount_rw(&img);
        test(&fs, &img, &tmp.0, bs);
        fs.sync().expect("sync");
        drop(fs);
        fsck_clean(&img);
    }
}

#[test]
fn allocation_makes_unwritten_extents_that_read_as_zeroes() {
    on_images(|fs, img, tmp, bs| {
        let f = create(fs, "pre");
        f.write_at(0, b"head").expect("write");
        let free = fs.statfs().bfree;
        f.fallocate(ALLOCATE, 0, 6 * MIB).expect("allocate");
        let (size, blocks) = size_blocks(&f);
        assert_eq!(size, 6 * MIB);
        assert!(blocks >= 6 * MIB / 512, "{blocks} sectors");
        assert!(fs.statfs().bfree <= free - 6 * MIB / bs + 1);
        assert_eq!(read(&f, 0, 4), b"head");
        assert!(read(&f, 4, 3 * MIB as usize).iter().all(|&b| b == 0));
        // Past the end, the size stays and the blocks still count.
        f.fallocate(KEEP_SIZE, 7 * MIB, 3 * MIB).expect("keep size");
        assert_eq!(size_blocks(&f), (6 * MIB, blocks + 3 * MIB / 512));
        // Allocating what is allocated changes nothing but the times.
        f.fallocate(ALLOCATE, MIB, MIB).expect("again");
        assert_eq!(size_blocks(&f), (6 * MIB, blocks + 3 * MIB / 512));
        // Unwritten extents are holes to SEEK_DATA; the written head is data.
        assert_eq!(f.seek_data(0, false), Ok(0));
        assert_eq!(f.seek_data(0, true), Ok(bs));
        assert_eq!(f.seek_data(bs, false), Err(Errno::ENXIO));
        assert_eq!(f.seek_data(6 * MIB, true), Err(Errno::ENXIO));
        check(fs, img, tmp);
        let ex = String::from_utf8_lossy(&debugfs(img, "ex /pre")).into_owned();
        assert!(ex.contains("Uninit"), "debugfs ex /pre:\n{ex}");
    });
}

#[test]
fn writes_into_unwritten_extents_split_them() {
    on_images(|fs, img, tmp, bs| {
        let f = create(fs, "split");
        f.fallocate(ALLOCATE, 0, 2 * MIB).expect("allocate");
        let blocks = size_blocks(&f).1;
        let mid = MIB + 333;
        f.write_at(mid, &contents(mid, 5000)).expect("write middle");
        f.write_at(4 * bs, &contents(4 * bs, bs))
            .expect("write a block");
        f.write_at(2 * MIB - 10, &contents(2 * MIB - 10, 20))
            .expect("write over the end");
        // One more block past the end, and a tree block for the pieces at 1 KiB.
        let (size, now) = size_blocks(&f);
        assert_eq!(size, 2 * MIB + 10);
        assert!(
            now == blocks + bs / 512 || now == blocks + 2 * bs / 512,
            "{now}"
        );
        assert!(read(&f, 0, 4 * bs as usize).iter().all(|&b| b == 0));
        assert_eq!(read(&f, 4 * bs, bs as usize), contents(4 * bs, bs));
        let around = read(&f, mid - 100, 5200);
        assert!(around[..100].iter().all(|&b| b == 0));
        assert_eq!(around[100..5100], contents(mid, 5000)[..]);
        assert!(around[5100..].iter().all(|&b| b == 0));
        assert_eq!(f.seek_data(0, false), Ok(4 * bs));
        assert_eq!(f.seek_data(4 * bs, true), Ok(5 * bs));
        assert_eq!(f.seek_data(5 * bs, false), Ok(mid - mid % bs));
        check(fs, img, tmp);
    });
}

#[test]
fn punched_holes_free_blocks_and_read_as_zeroes() {
    on_images(|fs, img, tmp, bs| {
        let f = create(fs, "big");
        let len = 3 * MIB;
        f.write_at(0, &contents(0, len)).expect("write");
        fs.sync().expect("sync");
        let (free, blocks) = (fs.statfs().bfree, size_blocks(&f).1);
        let (start, end) = (MIB + 100, 2 * MIB + 300);
        f.fallocate(PUNCH, start, end - start).expect("punch");
        fs.sync().expect("sync");
        let whole = end / bs - start.div_ceil(bs);
        assert_eq!(size_blocks(&f), (len, blocks - whole * (bs / 512)));
        assert!(fs.statfs().bfree >= free + whole);
        let got = read(&f, 0, len as usize);
        let mut want = contents(0, len);
        want[start as usize..end as usize].fill(0);
        assert!(got == want, "contents after the punch");
        assert_eq!(f.seek_data(start, false), Ok(start));
        assert_eq!(f.seek_data(start, true), Ok(start.div_ceil(bs) * bs));
        assert_eq!(
            f.seek_data(start.div_ceil(bs) * bs, false),
            Ok(end / bs * bs)
        );
        // Punching a hole again, or past the end, changes nothing.
        f.fallocate(PUNCH, start, end - start).expect("again");
        f.fallocate(KEEP_SIZE, 4 * MIB, MIB).expect("past the end");
        let blocks = size_blocks(&f).1;
        f.fallocate(PUNCH, 4 * MIB, MIB)
            .expect("punch past the end");
        assert_eq!(
            size_blocks(&f),
            (len, blocks),
            "Linux keeps blocks past EOF"
        );
        check(fs, img, tmp);
    });
}

#[test]
fn punching_through_an_extent_tree_with_index_levels() {
    let tmp = TempDir::new("falloc-deep");
    let img = mkfs(&tmp.0, "64M", &["-b", "1024"], None);
    let fs = mount_rw(&img);
    let f = create(&fs, "holes");
    // 3000 extents of one block: 36 leaves under an index level at 1 KiB.
    for i in 0..3000u64 {
        f.write_at(i * 2048, &[(i % 251) as u8 + 1; 1024])
            .expect("write");
    }
    check(&fs, &img, &tmp.0);
    let free = fs.statfs().bfree;
    // From the middle of one extent to the middle of another, far away.
    f.fallocate(PUNCH, 300 * 2048 + 512, 2000 * 2048)
        .expect("punch");
    check(&fs, &img, &tmp.0);
    assert!(fs.statfs().bfree > free + 1990, "blocks came back");
    assert_eq!(read(&f, 300 * 2048, 512), vec![(300 % 251) as u8 + 1; 512]);
    assert!(read(&f, 300 * 2048 + 512, 4000).iter().all(|&b| b == 0));
    // Then one hole per extent, making the tree grow again on a split.
    for i in (2400..2900u64).step_by(7) {
        f.fallocate(PUNCH, i * 2048 + 100, 200).expect("punch");
    }
    f.fallocate(PUNCH, 0, 3000 * 2048)
        .expect("punch everything");
    assert_eq!(size_blocks(&f).1, 0);
    check(&fs, &img, &tmp.0);
}

#[test]
fn zeroed_ranges_read_as_zeroes_and_stay_allocated() {
    on_images(|fs, img, tmp, bs| {
        let f = create(fs, "z");
        let len = MIB;
        f.write_at(0, &contents(0, len)).expect("write");
        let blocks = size_blocks(&f).1;
        let (start, end) = (100_000, 600_000);
        f.fallocate(ZERO, start, end - start).expect("zero");
        assert_eq!(size_blocks(&f), (len, blocks));
        let mut want = contents(0, len);
        want[start as usize..end as usize].fill(0);
        assert!(read(&f, 0, len as usize) == want);
        assert_eq!(f.seek_data(start, true), Ok(start.div_ceil(bs) * bs));
        // Across the end: the file grows, the hole before it is allocated.
        f.fallocate(ZERO, len - 10, 50_000)
            .expect("zero past the end");
        assert_eq!(size_blocks(&f).0, len + 49_990);
        assert!(read(&f, len - 10, 49_990).iter().all(|&b| b == 0));
        f.fallocate(FallocMode::ZeroRange { keep_size: true }, 2 * MIB, 8192)
            .expect("zero, keep size");
        assert_eq!(size_blocks(&f).0, len + 49_990);
        check(fs, img, tmp);
    });
}

#[test]
fn collapsed_and_inserted_ranges_move_the_rest() {
    on_images(|fs, img, tmp, bs| {
        let f = create(fs, "move");
        let len = MIB;
        f.write_at(0, &contents(0, len)).expect("write");
        let collapse = FallocMode::CollapseRange;
        let insert = FallocMode::InsertRange;
        assert_eq!(f.fallocate(collapse, 100, bs), Err(Errno::EINVAL));
        assert_eq!(f.fallocate(collapse, 0, len), Err(Errno::EINVAL));
        assert_eq!(f.fallocate(insert, len, bs), Err(Errno::EINVAL));
        assert_eq!(f.fallocate(insert, bs, 100), Err(Errno::EINVAL));
        f.fallocate(collapse, 64 * 1024, 64 * 1024)
            .expect("collapse");
        let mut want = contents(0, len);
        want.drain(64 * 1024..128 * 1024);
        assert_eq!(size_blocks(&f).0, len - 64 * 1024);
        assert!(read(&f, 0, len as usize) == want);
        f.fallocate(insert, 4 * bs, 2 * bs).expect("insert");
        want.splice(4 * bs as usize..4 * bs as usize, vec![0; 2 * bs as usize]);
        assert!(read(&f, 0, len as usize) == want);
        assert_eq!(f.seek_data(4 * bs, false), Ok(6 * bs));
        check(fs, img, tmp);
    });
}

#[test]
fn a_full_disk_is_enospc_and_clean() {
    let tmp = TempDir::new("falloc-full");
    let img = mkfs(&tmp.0, "16M", &["-b", "4096"], None);
    let fs = mount_rw(&img);
    let f = create(&fs, "huge");
    assert_eq!(f.fallocate(ALLOCATE, 0, 64 * MIB), Err(Errno::ENOSPC));
    // What was allocated stays, and the file grew over it.
    let (size, blocks) = size_blocks(&f);
    assert!(size > 4 * MIB && size < 16 * MIB, "size {size}");
    assert!(blocks * 512 >= size);
    assert_eq!(fs.statfs().bfree, 0);
    let g = create(&fs, "other");
    assert_eq!(g.fallocate(KEEP_SIZE, 0, MIB), Err(Errno::ENOSPC));
    check(&fs, &img, &tmp.0);
    f.fallocate(PUNCH, 0, size).expect("punch");
    assert_eq!(size_blocks(&f), (size, 0));
    g.fallocate(KEEP_SIZE, 0, MIB).expect("room again");
    check(&fs, &img, &tmp.0);
}

#[test]
fn seek_data_and_hole_on_a_sparse_file() {
    on_images(|fs, img, tmp, bs| {
        let f = create(fs, "sparse");
        f.write_at(0, &contents(0, 4096)).expect("write");
        f.write_at(MIB, &contents(MIB, 4096)).expect("write");
        let grow = fs::SetAttr {
            size: Some(2 * MIB),
            ..fs::SetAttr::default()
        };
        f.setattr(&grow).expect("truncate up");
        assert_eq!(f.seek_data(0, false), Ok(0));
        assert_eq!(f.seek_data(100, false), Ok(100));
        assert_eq!(f.seek_data(0, true), Ok(4096));
        assert_eq!(f.seek_data(4096, false), Ok(MIB));
        assert_eq!(f.seek_data(MIB + 5, true), Ok(MIB + 4096));
        assert_eq!(f.seek_data(MIB + 4096, false), Err(Errno::ENXIO));
        assert_eq!(f.seek_data(2 * MIB - 1, true), Ok(2 * MIB - 1));
        assert_eq!(f.seek_data(2 * MIB, true), Err(Errno::ENXIO));
        // Preallocated blocks in the hole are still a hole.
        f.fallocate(KEEP_SIZE, 8192, 8192).expect("allocate");
        assert_eq!(f.seek_data(4096, false), Ok(MIB));
        let _ = bs;
        check(fs, img, tmp);
    });
}
