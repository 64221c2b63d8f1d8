//! fallocate(2) and SEEK_DATA/SEEK_HOLE on tmpfs, as Linux's shmem does them:
//! allocation charged to the size limit and undone when it runs out,
//! KEEP_SIZE, punched holes, the modes it refuses, fallocated pages that are
//! holes until written; and the VFS checks in front of every filesystem
//! (`File::fallocate`, `FallocMode::from_bits`).

mod common;

use arch::Errno;
use common::tmpfs::mount;
use fs::{CharDevices, FallocMode, FileOps, FileSystem, Inode, OpenFlags, Vfs};
use std::sync::Arc;

const ALLOCATE: FallocMode = FallocMode::Allocate { keep_size: false };
const KEEP_SIZE: FallocMode = FallocMode::Allocate { keep_size: true };
const PUNCH: FallocMode = FallocMode::PunchHole;

fn size_blocks(f: &Arc<dyn Inode>) -> (u64, u64) {
    let st = f.stat().expect("stat");
    (st.size, st.blocks)
}

#[test]
fn allocation_is_charged_and_undone_when_it_runs_out() {
    let (fs, root, clock) = mount(1 << 20, 10);
    let f = root.create(b"f", 0o644, fs::Owner::ROOT).expect("create");
    f.write_at(0, b"x").expect("write");
    clock.0.store(2000, std::sync::atomic::Ordering::Relaxed);
    f.fallocate(ALLOCATE, 0, 100_000).expect("allocate");
    let st = f.stat().expect("stat");
    assert_eq!((st.size, st.blocks), (100_000, 25 * 8));
    assert_eq!((st.mtime.sec, st.ctime.sec), (2000, 2000));
    assert_eq!(fs.statfs().bfree, 256 - 25);
    f.fallocate(KEEP_SIZE, 200_000, 10_000).expect("keep size");
    assert_eq!(size_blocks(&f), (100_000, 29 * 8));
    // More than is left: nothing stays allocated.
    assert_eq!(
        f.fallocate(KEEP_SIZE, 300_000, 240 * 4096),
        Err(Errno::ENOSPC)
    );
    assert_eq!(f.fallocate(ALLOCATE, 0, 4 << 20), Err(Errno::ENOSPC));
    assert_eq!(size_blocks(&f), (100_000, 29 * 8));
    assert_eq!(fs.statfs().bfree, 256 - 29);
    // Only allocation and punching holes.
    for mode in [
        FallocMode::ZeroRange { keep_size: false },
        FallocMode::CollapseRange,
        FallocMode::InsertRange,
        FallocMode::UnshareRange { keep_size: false },
    ] {
        assert_eq!(f.fallocate(mode, 0, 4096), Err(Errno::EOPNOTSUPP));
    }
    let mut buf = vec![1u8; 100_000];
    assert_eq!(f.read_at(0, &mut buf), Ok(100_000));
    assert_eq!(buf[0], b'x');
    assert!(buf[1..].iter().all(|&b| b == 0));
}

#[test]
fn punched_holes_free_pages_and_zero_the_edges() {
    let (fs, root, _) = mount(1 << 20, 10);
    let f = root.create(b"f", 0o644, fs::Owner::ROOT).expect("create");
    f.write_at(0, &[9u8; 40_000]).expect("write");
    f.fallocate(KEEP_SIZE, 64 * 1024, 8192)
        .expect("past the end");
    assert_eq!(size_blocks(&f).1, 12 * 8);
    f.fallocate(PUNCH, 1000, 20_000).expect("punch");
    // Pages 1..5 go; 0 and 5 are zeroed in part.
    assert_eq!(size_blocks(&f), (40_000, 8 * 8));
    let mut buf = vec![1u8; 40_000];
    assert_eq!(f.read_at(0, &mut buf), Ok(40_000));
    assert!(buf[..1000].iter().all(|&b| b == 9));
    assert!(buf[1000..21_000].iter().all(|&b| b == 0));
    assert!(buf[21_000..].iter().all(|&b| b == 9));
    // Pages past the end go too.
    f.fallocate(PUNCH, 60_000, 1 << 20)
        .expect("punch past the end");
    assert_eq!(size_blocks(&f).1, 6 * 8);
    assert_eq!(fs.statfs().bfree, 256 - 6);
}

#[test]
fn fallocated_pages_are_holes_until_written() {
    let (_fs, root, _) = mount(8 << 20, 10);
    let f = root.create(b"f", 0o644, fs::Owner::ROOT).expect("create");
    f.fallocate(ALLOCATE, 0, 64 * 1024).expect("allocate");
    assert_eq!(f.seek_data(0, false), Err(Errno::ENXIO));
    assert_eq!(f.seek_data(0, true), Ok(0));
    let mut buf = [1u8; 10];
    assert_eq!(f.read_at(4096, &mut buf), Ok(10));
    assert_eq!(
        f.seek_data(0, false),
        Err(Errno::ENXIO),
        "reading writes nothing"
    );
    f.write_at(4096 + 5, b"x").expect("write");
    assert_eq!(f.seek_data(0, false), Ok(4096));
    assert_eq!(f.seek_data(4096, true), Ok(8192));
    assert_eq!(f.seek_data(5000, false), Ok(5000));
    // A sparse file: data at 0 and 1 MiB, a hole at the end.
    let g = root.create(b"g", 0o644, fs::Owner::ROOT).expect("create");
    g.write_at(0, &[1; 4096]).expect("write");
    g.write_at(1 << 20, &[2; 4096]).expect("write");
    let grow = fs::SetAttr {
        size: Some(2 << 20),
        ..fs::SetAttr::default()
    };
    g.setattr(&grow).expect("truncate up");
    assert_eq!(g.seek_data(0, true), Ok(4096));
    assert_eq!(g.seek_data(4096, false), Ok(1 << 20));
    assert_eq!(g.seek_data((1 << 20) + 1, true), Ok((1 << 20) + 4096));
    assert_eq!(g.seek_data((1 << 20) + 4096, false), Err(Errno::ENXIO));
    assert_eq!(g.seek_data(2 << 20, true), Err(Errno::ENXIO));
    assert_eq!(root.seek_data(0, false), Err(Errno::EINVAL));
}

struct NoDevices;
impl CharDevices for NoDevices {
    fn open(&self, _rdev: u64, _flags: OpenFlags) -> arch::Result<Arc<dyn FileOps>> {
        Err(Errno::ENXIO)
    }
}

#[test]
fn modes_are_checked_at_the_edge() {
    let ok = |bits: u32, mode: FallocMode| assert_eq!(FallocMode::from_bits(bits), Ok(mode));
    ok(0, ALLOCATE);
    ok(1, KEEP_SIZE);
    ok(3, PUNCH);
    ok(0x10, FallocMode::ZeroRange { keep_size: false });
    ok(0x11, FallocMode::ZeroRange { keep_size: true });
    ok(0x08, FallocMode::CollapseRange);
    ok(0x20, FallocMode::InsertRange);
    // Linux 6.x refuses all other combinations, and unknown bits, so.
    for bits in [
        2,
        4,
        5,
        0x9,
        0x12,
        0x13,
        0x18,
        0x21,
        0x28,
        0x80,
        0x100,
        1 << 31,
    ] {
        assert_eq!(
            FallocMode::from_bits(bits),
            Err(Errno::EOPNOTSUPP),
            "{bits:#x}"
        );
    }
}

#[test]
fn the_vfs_checks_the_file_first() {
    let (fs, _, _) = mount(1 << 20, 10);
    let vfs = Vfs::new(fs, false).expect("vfs");
    let root = vfs.root();
    let open = |flags: OpenFlags| {
        let flags = flags | OpenFlags::O_CREAT;
        vfs.open(
            &fs::Credentials::ROOT,
            &root,
            &root,
            b"f",
            flags,
            0o644,
            &NoDevices,
        )
        .expect("open")
    };
    let ro = open(OpenFlags::empty());
    assert_eq!(ro.fallocate(ALLOCATE, 0, 1), Err(Errno::EBADF));
    let rw = open(OpenFlags::O_RDWR | OpenFlags::O_APPEND);
    assert_eq!(
        rw.fallocate(ALLOCATE, i64::MAX as u64, 1),
        Err(Errno::EFBIG)
    );
    rw.fallocate(ALLOCATE, 0, 5000).expect("allocate");
    assert_eq!(rw.stat().expect("stat").size, 5000);
    rw.fallocate(PUNCH, 0, 5000)
        .expect("punch on an O_APPEND file");
    assert_eq!(rw.lseek(0, fs::SEEK_HOLE), Ok(0));
    assert_eq!(rw.lseek(0, fs::SEEK_DATA), Err(Errno::ENXIO));
    assert_eq!(rw.lseek(-1, fs::SEEK_HOLE), Err(Errno::ENXIO));
    assert_eq!(rw.lseek(5000, fs::SEEK_HOLE), Err(Errno::ENXIO));
    assert_eq!(rw.pos(), 0);
}
