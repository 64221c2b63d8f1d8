//! tmpfs through its `Inode` methods: file data with holes and truncation, space
//! and inode limits, directories and link counts, removal while referenced, and
//! readdir positions under concurrent change.

mod common;

use arch::Errno;
use common::tmpfs::{mount, nlink};
use fs::tmpfs::TMPFS_MAGIC;
use fs::{DirEntry, FileSystem, FileType, Inode, SetAttr};
use std::collections::HashMap;
use std::sync::Arc;

fn names(dir: &Arc<dyn Inode>) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    dir.readdir(0, &mut |e: &DirEntry| {
        out.push(e.name.to_vec());
        true
    })
    .expect("readdir");
    out
}

#[test]
fn file_data_holes_and_truncate() {
    let (fs, root, _) = mount(64 << 20, 100);
    let f = root.create(b"f", 0o644, fs::Owner::ROOT).expect("create");
    assert_eq!(f.stat().expect("stat").mode, 0o100644);
    assert_eq!(f.write_at(0, b"hello"), Ok(5));
    assert_eq!(f.write_at(3 << 20, b"end"), Ok(3));
    let st = f.stat().expect("stat");
    assert_eq!((st.size, st.blocks, st.blksize), ((3 << 20) + 3, 16, 4096));
    let mut buf = vec![0xffu8; 8192];
    assert_eq!(f.read_at(4096 * 5, &mut buf), Ok(8192));
    assert!(buf.iter().all(|&b| b == 0), "holes read as zeroes");
    assert_eq!(f.read_at(0, &mut buf[..10]), Ok(10));
    assert_eq!(&buf[..10], b"hello\0\0\0\0\0");
    assert_eq!(f.read_at((3 << 20) + 1, &mut buf), Ok(2));
    assert_eq!(f.read_at(10 << 20, &mut buf), Ok(0));
    // Down to 2 bytes: the tail of the page is zeroed and stays so when extended.
    let trunc = |size| SetAttr {
        size: Some(size),
        ..SetAttr::default()
    };
    f.setattr(&trunc(2)).expect("truncate down");
    assert_eq!(f.stat().expect("stat").blocks, 8);
    f.setattr(&trunc(10000)).expect("truncate up");
    let st = f.stat().expect("stat");
    assert_eq!((st.size, st.blocks), (10000, 8));
    assert_eq!(f.read_at(0, &mut buf[..6]), Ok(6));
    assert_eq!(&buf[..6], b"he\0\0\0\0");
    f.setattr(&trunc(0)).expect("truncate to 0");
    assert_eq!(f.stat().expect("stat").blocks, 0);
    assert_eq!(f.setattr(&trunc(1 << 63)), Err(Errno::EFBIG));
    assert_eq!(f.write_at(i64::MAX as u64, b"x"), Err(Errno::EFBIG));
    assert_eq!(root.read_at(0, &mut buf), Err(Errno::EISDIR));
    assert_eq!(root.write_at(0, b"x"), Err(Errno::EISDIR));
    assert_eq!(root.setattr(&trunc(0)), Err(Errno::EISDIR));
    let s = fs.statfs();
    assert_eq!(
        (s.f_type, s.bsize, s.blocks, s.bfree),
        (TMPFS_MAGIC, 4096, 16384, 16384)
    );
    assert_eq!((s.files, s.ffree, s.namelen), (100, 98, 255));
}

#[test]
fn limits_give_enospc() {
    let (fs, root, _) = mount(3 * 4096, 3);
    let f = root.create(b"f", 0o644, fs::Owner::ROOT).expect("create");
    assert_eq!(f.write_at(0, &[1u8; 5 * 4096]), Ok(3 * 4096), "short write");
    assert_eq!(f.write_at(3 * 4096, b"x"), Err(Errno::ENOSPC));
    assert_eq!(fs.statfs().bfree, 0);
    root.mkdir(b"d", 0o755, fs::Owner::ROOT)
        .expect("third inode");
    assert_eq!(
        root.create(b"g", 0o644, fs::Owner::ROOT).err(),
        Some(Errno::ENOSPC)
    );
    root.unlink(b"f").expect("unlink");
    drop(f);
    assert_eq!(fs.statfs().bfree, 3, "pages of a dropped file are freed");
    assert_eq!(fs.statfs().ffree, 1);
    root.create(b"g", 0o644, fs::Owner::ROOT)
        .expect("inode freed");
}

#[test]
fn directories_and_links() {
    let (_fs, root, _) = mount(1 << 20, 100);
    assert_eq!(nlink(&root), 2);
    let d = root.mkdir(b"d", 0o755, fs::Owner::ROOT).expect("mkdir");
    assert_eq!((nlink(&root), nlink(&d)), (3, 2));
    assert_eq!(
        root.mkdir(b"d", 0o755, fs::Owner::ROOT).err(),
        Some(Errno::EEXIST)
    );
    let f = d.create(b"f", 0o600, fs::Owner::ROOT).expect("create");
    assert_eq!(
        f.mkdir(b"x", 0o755, fs::Owner::ROOT).err(),
        Some(Errno::ENOTDIR)
    );
    assert_eq!(root.rmdir(b"d"), Err(Errno::ENOTEMPTY));
    assert_eq!(d.rmdir(b"f"), Err(Errno::ENOTDIR));
    assert_eq!(root.unlink(b"d"), Err(Errno::EISDIR));
    assert_eq!(root.unlink(b"nothing"), Err(Errno::ENOENT));
    // Hard links.
    root.link(b"f2", &f).expect("link");
    assert_eq!(nlink(&f), 2);
    assert!(root.lookup(b"f2").expect("lookup").is_same(f.as_ref()));
    assert_eq!(root.link(b"d2", &d), Err(Errno::EPERM));
    assert_eq!(root.link(b"f2", &f), Err(Errno::EEXIST));
    let (_other, other_root, _) = mount(1 << 20, 10);
    assert_eq!(other_root.link(b"f", &f), Err(Errno::EXDEV));
    // Unlinked while referenced: data stays until the last reference goes.
    f.write_at(0, b"still here").expect("write");
    d.unlink(b"f").expect("unlink");
    root.unlink(b"f2").expect("unlink");
    assert_eq!(nlink(&f), 0);
    let mut buf = [0u8; 10];
    assert_eq!(f.read_at(0, &mut buf), Ok(10));
    assert_eq!(&buf, b"still here");
    assert_eq!(root.link(b"back", &f), Err(Errno::ENOENT));
    // A removed directory refuses new entries and listings.
    root.rmdir(b"d").expect("rmdir");
    assert_eq!((nlink(&root), nlink(&d)), (2, 0));
    assert_eq!(
        d.create(b"g", 0o644, fs::Owner::ROOT).err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(d.readdir(0, &mut |_| true), Err(Errno::ENOENT));
    // Other node types.
    let c = root
        .mknod(b"null", 0o020666, 0x103, fs::Owner::ROOT)
        .expect("mknod");
    let st = c.stat().expect("stat");
    assert_eq!(
        (st.mode, st.rdev, c.file_type()),
        (0o020666, 0x103, FileType::CharDevice)
    );
    let p = root
        .mknod(b"fifo", 0o010644, 0x103, fs::Owner::ROOT)
        .expect("fifo");
    assert_eq!(p.stat().expect("stat").rdev, 0);
    assert_eq!(
        root.mknod(b"x", 0o040755, 0, fs::Owner::ROOT).err(),
        Some(Errno::EPERM)
    );
    let l = root
        .symlink(b"l", b"target/path", fs::Owner::ROOT)
        .expect("symlink");
    let st = l.stat().expect("stat");
    assert_eq!((st.mode, st.size), (0o120777, 11));
    assert_eq!(l.readlink(), Ok(b"target/path".to_vec()));
    assert_eq!(
        root.symlink(b"e", b"", fs::Owner::ROOT).err(),
        Some(Errno::ENOENT)
    );
    let long = root
        .symlink(b"long", &[b'a'; 200], fs::Owner::ROOT)
        .expect("long symlink");
    assert_eq!(
        long.stat().expect("stat").blocks,
        8,
        "a long target takes a page"
    );
    assert_eq!(f.readlink(), Err(Errno::EINVAL));
    // Set-group-ID directories pass on their group.
    let g = root.mkdir(b"g", 0o755, fs::Owner::ROOT).expect("mkdir");
    g.setattr(&SetAttr {
        mode: Some(0o2775),
        gid: Some(50),
        ..SetAttr::default()
    })
    .expect("chmod");
    let sub = g.mkdir(b"sub", 0o755, fs::Owner::ROOT).expect("mkdir");
    let st = sub.stat().expect("stat");
    assert_eq!((st.mode, st.gid), (0o042755, 50));
    assert_eq!(
        g.create(b"f", 0o644, fs::Owner::ROOT)
            .expect("create")
            .stat()
            .expect("stat")
            .gid,
        50
    );
}

#[test]
fn readdir_positions_survive_changes() {
    let (_fs, root, _) = mount(1 << 20, 1000);
    for i in 0..100 {
        root.create(format!("f{i:03}").as_bytes(), 0o644, fs::Owner::ROOT)
            .expect("create");
    }
    let mut seen: HashMap<Vec<u8>, u32> = HashMap::new();
    let mut pos = 0;
    let mut round = 0;
    loop {
        let mut got = 0;
        pos = root
            .readdir(pos, &mut |e| {
                if got == 7 {
                    return false;
                }
                got += 1;
                *seen.entry(e.name.to_vec()).or_default() += 1;
                true
            })
            .expect("readdir");
        if got == 0 {
            break;
        }
        // Between batches: remove one entry not yet seen and one already seen,
        // add a new one (in the first rounds: a listing may see new entries).
        round += 1;
        let _ = root.unlink(format!("f{:03}", 99 - round).as_bytes());
        let _ = root.unlink(format!("f{:03}", round).as_bytes());
        if round <= 10 {
            root.create(format!("new{round}").as_bytes(), 0o644, fs::Owner::ROOT)
                .expect("create");
        }
        assert!(round < 100, "the listing ends");
    }
    assert!(seen.values().all(|&n| n == 1), "no entry twice: {seen:?}");
    for name in names(&root) {
        assert!(
            seen.contains_key(&name) || name.starts_with(b"new"),
            "{name:?} skipped"
        );
    }
    // At the end a listing stays at the end, whatever is created.
    root.create(b"late", 0o644, fs::Owner::ROOT)
        .expect("create");
    assert_eq!(
        root.readdir(pos, &mut |_| panic!("listed past the end")),
        Ok(pos)
    );
    assert_eq!(seen.get(b".".as_slice()), Some(&1));
    assert_eq!(seen.get(b"..".as_slice()), Some(&1));
}
