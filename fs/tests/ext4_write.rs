//! ext4 writes checked by the oracles: a workload through the `Inode` API on
//! fresh `mkfs.ext4` images (1 KiB and 4 KiB blocks), then `e2fsck -fn` must be
//! clean, `debugfs` must read back the files, and the host kernel's ext4 (a
//! loop mount) must see exactly the tree we see.

mod common;

use arch::Errno;
use common::rw::{compare_with_host, debugfs, fsck_clean, mkfs, mount_rw, walk, LoopMount};
use common::TempDir;
use fs::{makedev, AttrTime, FileSystem, FileType, Inode, RenameFlags, SetAttr, Timespec};
use std::sync::Arc;

/// Returns byte `i` of file `seed`'s contents.
fn byte(seed: usize, i: usize) -> u8 {
    (i.wrapping_mul(31).wrapping_add(seed * 17) ^ (i >> 11)) as u8
}

fn contents(seed: usize, len: usize) -> Vec<u8> {
    (0..len).map(|i| byte(seed, i)).collect()
}

/// Writes `data` at `off` in pieces of `step` bytes.
fn write_in_steps(f: &Arc<dyn Inode>, off: u64, data: &[u8], step: usize) {
    for (i, chunk) in data.chunks(step).enumerate() {
        let at = off + (i * step) as u64;
        assert_eq!(f.write_at(at, chunk), Ok(chunk.len()), "write at {at}");
    }
}

/// The workload: every kind of inode, big, sparse and truncated files, links,
/// a big directory with removals and renames, and a removed subtree.
fn workload(root: &Arc<dyn Inode>, block_size: usize) {
    let small = root
        .create(b"small.txt", 0o644, fs::Owner::ROOT)
        .expect("create");
    small.write_at(0, b"hello, ext4\n").expect("write");
    root.link(b"hardlink.txt", &small).expect("link");
    root.link(b"third.txt", &small).expect("link");
    root.unlink(b"third.txt").expect("unlink");
    assert_eq!(small.stat().expect("stat").nlink, 2);

    let big = root
        .create(b"big.bin", 0o600, fs::Owner::ROOT)
        .expect("create");
    write_in_steps(&big, 0, &contents(1, 3 << 20), 70001);

    // 30 runs far apart: more extents than i_block holds, so a tree grows.
    let sparse = root
        .create(b"sparse.bin", 0o644, fs::Owner::ROOT)
        .expect("create");
    for i in 0..30u64 {
        sparse
            .write_at(i * 200_000 + 333, &contents(i as usize, 5000))
            .expect("write");
    }
    let cut = SetAttr {
        size: Some(3_000_000),
        ..SetAttr::default()
    };
    sparse.setattr(&cut).expect("truncate down");
    let grow = SetAttr {
        size: Some(9_000_001),
        ..SetAttr::default()
    };
    sparse.setattr(&grow).expect("truncate up");
    sparse
        .write_at(8_999_990, b"end")
        .expect("write past a hole");

    // Deep tree, then a copy of it removed again.
    let mut dir = root.clone();
    for depth in 0..12 {
        dir = dir
            .mkdir(format!("d{depth}").as_bytes(), 0o755, fs::Owner::ROOT)
            .expect("mkdir");
        let f = dir.create(b"file", 0o644, fs::Owner::ROOT).expect("create");
        f.write_at(0, &contents(depth, 100 * depth)).expect("write");
    }
    let doomed = root
        .mkdir(b"doomed", 0o700, fs::Owner::ROOT)
        .expect("mkdir");
    let mut dir = doomed.clone();
    for depth in 0..5 {
        let sub = dir.mkdir(b"sub", 0o755, fs::Owner::ROOT).expect("mkdir");
        sub.create(b"x", 0o644, fs::Owner::ROOT)
            .expect("create")
            .write_at(0, &[7; 5000])
            .expect("write");
        dir.symlink(b"l", b"sub/x", fs::Owner::ROOT)
            .expect("symlink");
        let _ = depth;
        dir = sub;
    }
    remove_tree(root, b"doomed");
    assert_eq!(root.lookup(b"doomed").err(), Some(Errno::ENOENT));

    // A big directory: creations, every third removed, every fifth renamed.
    let many = root.mkdir(b"many", 0o755, fs::Owner::ROOT).expect("mkdir");
    for i in 0..1500 {
        let name = format!("entry_with_a_longish_name_{i:05}");
        let f = many
            .create(name.as_bytes(), 0o644, fs::Owner::ROOT)
            .expect("create");
        f.write_at(0, format!("{i}\n").as_bytes()).expect("write");
    }
    for i in (0..1500).step_by(3) {
        many.unlink(format!("entry_with_a_longish_name_{i:05}").as_bytes())
            .expect("unlink");
    }
    for i in (1..1500).step_by(5).filter(|i| i % 3 != 0) {
        let old = format!("entry_with_a_longish_name_{i:05}");
        many.rename(
            old.as_bytes(),
            &many,
            format!("renamed_{i}").as_bytes(),
            RenameFlags::empty(),
        )
        .expect("rename");
    }

    let slow_target = vec![b'x'; block_size.min(4096) - 1];
    root.symlink(b"fast_link", b"small.txt", fs::Owner::ROOT)
        .expect("symlink");
    root.symlink(
        b"slow_link",
        b"a/target/that/is/longer/than/sixty/bytes/so/it/needs/a/block",
        fs::Owner::ROOT,
    )
    .expect("symlink");
    root.symlink(b"longest_link", &slow_target, fs::Owner::ROOT)
        .expect("symlink");
    let too_long = vec![b'y'; block_size];
    assert_eq!(
        root.symlink(b"too_long", &too_long, fs::Owner::ROOT).err(),
        Some(Errno::ENAMETOOLONG)
    );

    root.mknod(b"null", 0o20666, makedev(1, 3), fs::Owner::ROOT)
        .expect("mknod char");
    root.mknod(b"bigdev", 0o60600, makedev(259, 70000), fs::Owner::ROOT)
        .expect("mknod block");
    root.mknod(b"fifo", 0o10640, 0, fs::Owner::ROOT)
        .expect("mknod fifo");
    root.mknod(b"sock", 0o140755, 0, fs::Owner::ROOT)
        .expect("mknod socket");
    assert_eq!(
        root.mknod(b"fifo", 0o10640, 0, fs::Owner::ROOT).err(),
        Some(Errno::EEXIST)
    );

    let t = Timespec {
        sec: 1_234_567_890,
        nsec: 123_456_789,
    };
    let attrs = SetAttr {
        mode: Some(0o4751),
        uid: Some(1000),
        gid: Some(100_000),
        atime: Some(AttrTime::At(t)),
        mtime: Some(AttrTime::At(Timespec {
            sec: 4_000_000_000,
            nsec: 999_999_999,
        })),
        ..SetAttr::default()
    };
    small.setattr(&attrs).expect("setattr");
}

/// Removes `name` from `dir` and everything under it.
fn remove_tree(dir: &Arc<dyn Inode>, name: &[u8]) {
    let victim = dir.lookup(name).expect("lookup");
    if victim.file_type() == FileType::Directory {
        let mut names = Vec::new();
        victim
            .readdir(0, &mut |e| {
                names.push(e.name.to_vec());
                true
            })
            .expect("readdir");
        for n in names.iter().filter(|n| &n[..] != b"." && &n[..] != b"..") {
            remove_tree(&victim, n);
        }
        dir.rmdir(name).expect("rmdir");
    } else {
        dir.unlink(name).expect("unlink");
    }
}

fn check(block_size: usize) {
    let tmp = TempDir::new("workload");
    let bs = block_size.to_string();
    let img = mkfs(&tmp.0, "64M", &["-b", &bs], None);
    let before = {
        let fs = mount_rw(&img);
        let before = fs.statfs();
        workload(&fs.root().expect("root"), block_size);
        fs.sync().expect("sync");
        before
    };
    let report = fsck_clean(&img);
    assert!(
        report.contains("clean") || report.contains("Pass 5"),
        "{report}"
    );
    assert_eq!(debugfs(&img, "cat /small.txt"), b"hello, ext4\n");
    assert!(debugfs(&img, "cat /big.bin") == contents(1, 3 << 20));
    let fs = mount_rw(&img);
    let mnt = LoopMount::new(&img, &tmp.0);
    let n = compare_with_host(&fs.root().expect("root"), &mnt.dir);
    assert!(n > 1000, "compared only {n} inodes");
    drop(mnt);
    let sparse = walk(&fs, "sparse.bin").expect("sparse");
    let mut buf = [1u8; 10];
    assert_eq!(sparse.read_at(3_000_000, &mut buf), Ok(10));
    assert_eq!(buf, [0; 10], "the truncated tail reads as zeroes");
    drop(sparse);
    // Removing everything gives back every block and inode.
    let root = fs.root().expect("root");
    let mut names = Vec::new();
    root.readdir(0, &mut |e| {
        names.push(e.name.to_vec());
        true
    })
    .expect("readdir");
    for n in names
        .iter()
        .filter(|n| ![&b"."[..], b"..", b"lost+found"].contains(&&n[..]))
    {
        remove_tree(&root, n);
    }
    drop(root);
    fs.sync().expect("sync");
    let after = fs.statfs();
    assert_eq!((after.bfree, after.ffree), (before.bfree, before.ffree));
    drop(fs);
    fsck_clean(&img);
}

#[test]
fn workload_1k_blocks_matches_host() {
    check(1024);
}

#[test]
fn workload_4k_blocks_matches_host() {
    check(4096);
}
