//! ext4 at its limits: files unlinked while open (the orphan list, freed at the
//! last close or, after a crash, by the next read-write mount), a full disk
//! (`ENOSPC`, short writes, the image still clean), running out of inodes, and
//! truncating big sparse files whose extent trees have index levels.

mod common;

use arch::Errno;
use common::rw::{debugfs, fsck_clean, mkfs, mount_rw, walk};
use common::TempDir;
use fs::{FileSystem, SetAttr};

#[test]
fn unlinked_open_file_lives_until_closed() {
    let tmp = TempDir::new("orphan");
    let img = mkfs(&tmp.0, "16M", &[], None);
    let fs = mount_rw(&img);
    let free = fs.statfs().bfree;
    let root = fs.root().expect("root");
    let f = root
        .create(b"open", 0o644, fs::Owner::ROOT)
        .expect("create");
    f.write_at(0, &[5u8; 100_000]).expect("write");
    let d = root.mkdir(b"cwd", 0o755, fs::Owner::ROOT).expect("mkdir");
    root.unlink(b"open").expect("unlink");
    root.rmdir(b"cwd").expect("rmdir");
    assert_eq!(root.lookup(b"open").err(), Some(Errno::ENOENT));
    // Still readable and writable through the reference.
    f.write_at(100_000, b"more").expect("write after unlink");
    let mut buf = [0u8; 4];
    assert_eq!(f.read_at(100_000, &mut buf), Ok(4));
    assert_eq!(&buf, b"more");
    assert_eq!(
        d.create(b"x", 0o644, fs::Owner::ROOT).err(),
        Some(Errno::ENOENT)
    );
    fs.sync().expect("sync");
    assert!(fs.statfs().bfree < free);
    assert!(debugfs(&img, "stats").windows(4).any(|w| w == b"Last"));
    drop((f, d));
    fs.sync().expect("sync");
    assert_eq!(fs.statfs().bfree, free);
    drop((root, fs));
    fsck_clean(&img);
}

#[test]
fn orphans_left_by_a_crash_are_freed_at_mount() {
    let tmp = TempDir::new("crash");
    let img = mkfs(&tmp.0, "16M", &[], None);
    let free = {
        let fs = mount_rw(&img);
        let free = (fs.statfs().bfree, fs.statfs().ffree);
        let root = fs.root().expect("root");
        let mut open = Vec::new();
        for i in 0..5 {
            let name = format!("f{i}");
            let f = root
                .create(name.as_bytes(), 0o644, fs::Owner::ROOT)
                .expect("create");
            f.write_at(0, &vec![i as u8; 50_000 * (i + 1)])
                .expect("write");
            root.unlink(name.as_bytes()).expect("unlink");
            open.push(f);
        }
        fs.sync().expect("sync");
        // The "crash": the inodes are still open when the disk is dropped, and
        // the queue of evictions is never processed.
        std::mem::forget(open);
        free
    };
    let out = debugfs(&img, "stats");
    let text = String::from_utf8_lossy(&out);
    assert!(text.contains("First orphan inode"), "{text}");
    let fs = mount_rw(&img);
    assert_eq!((fs.statfs().bfree, fs.statfs().ffree), free);
    drop(fs);
    fsck_clean(&img);
}

#[test]
fn full_disk_is_enospc_and_clean() {
    for bs in ["1024", "4096"] {
        let tmp = TempDir::new("full");
        let img = mkfs(&tmp.0, "8M", &["-b", bs, "-N", "256"], None);
        {
            let fs = mount_rw(&img);
            let root = fs.root().expect("root");
            let big = root.create(b"big", 0o644, fs::Owner::ROOT).expect("create");
            let chunk = vec![0xA5u8; 1 << 20];
            let mut off = 0u64;
            let err = loop {
                match big.write_at(off, &chunk) {
                    Ok(n) if n == chunk.len() => off += n as u64,
                    Ok(n) => off += n as u64,
                    Err(e) => break e,
                }
            };
            assert_eq!(err, Errno::ENOSPC);
            assert_eq!(fs.statfs().bfree, 0);
            assert_eq!(big.stat().expect("stat").size, off);
            // Directory growth and new symlink blocks fail cleanly too.
            let mut made = 0;
            let err = loop {
                let name = format!("name_long_enough_to_fill_directory_blocks_{made:04}");
                match root.symlink(name.as_bytes(), &[b'z'; 200], fs::Owner::ROOT) {
                    Ok(_) => made += 1,
                    Err(e) => break e,
                }
            };
            assert_eq!(err, Errno::ENOSPC);
            fs.sync().expect("sync");
            fsck_clean(&img);
            // Freeing space makes room again.
            let cut = SetAttr {
                size: Some(off / 2),
                ..SetAttr::default()
            };
            big.setattr(&cut).expect("truncate");
            root.symlink(b"now_it_fits", &[b'z'; 200], fs::Owner::ROOT)
                .expect("symlink");
            fs.sync().expect("sync");
        }
        fsck_clean(&img);
    }
}

#[test]
fn out_of_inodes_is_enospc() {
    let tmp = TempDir::new("inodes");
    let img = mkfs(&tmp.0, "8M", &["-N", "64"], None);
    let fs = mount_rw(&img);
    let root = fs.root().expect("root");
    let d = root.mkdir(b"d", 0o755, fs::Owner::ROOT).expect("mkdir");
    let mut n = 0;
    let err = loop {
        match d.create(format!("f{n}").as_bytes(), 0o644, fs::Owner::ROOT) {
            Ok(_) => n += 1,
            Err(e) => break e,
        }
    };
    assert_eq!(err, Errno::ENOSPC);
    assert_eq!(fs.statfs().ffree, 0);
    assert_eq!(
        root.mkdir(b"e", 0o755, fs::Owner::ROOT).err(),
        Some(Errno::ENOSPC)
    );
    for i in 0..n {
        d.unlink(format!("f{i}").as_bytes()).expect("unlink");
    }
    root.mkdir(b"e", 0o755, fs::Owner::ROOT).expect("mkdir");
    fs.sync().expect("sync");
    drop((root, d, fs));
    fsck_clean(&img);
}

#[test]
fn deep_extent_trees_truncate_cleanly() {
    let tmp = TempDir::new("deep");
    let img = mkfs(&tmp.0, "64M", &["-b", "1024"], None);
    {
        let fs = mount_rw(&img);
        let f = fs
            .root()
            .expect("root")
            .create(b"holes", 0o644, fs::Owner::ROOT)
            .expect("create");
        // One block every other block: one extent each, 84 per leaf at 1 KiB,
        // so 3000 extents need 36 leaves and an index level above them.
        for i in 0..3000u64 {
            f.write_at(i * 2048, &[(i % 251) as u8 + 1; 1024])
                .expect("write");
        }
        fs.sync().expect("sync");
        fsck_clean(&img);
        for size in [4_000_000, 400_000, 5000, 0] {
            let cut = SetAttr {
                size: Some(size),
                ..SetAttr::default()
            };
            f.setattr(&cut).expect("truncate");
            fs.sync().expect("sync");
            fsck_clean(&img);
        }
        f.write_at(10_000_000, b"tail").expect("write");
        fs.sync().expect("sync");
    }
    fsck_clean(&img);
    let fs = mount_rw(&img);
    let f = walk(&fs, "holes").expect("holes");
    assert_eq!(f.stat().expect("stat").size, 10_000_004);
}
