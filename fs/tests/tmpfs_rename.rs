//! tmpfs rename in all its forms (over files and directories, across
//! directories, NOREPLACE, EXCHANGE, WHITEOUT, subtree and EXDEV refusals) and
//! timestamps, from a clock the test controls.

mod common;

use arch::Errno;
use common::tmpfs::{mount, nlink};
use fs::{AttrTime, FileType, Inode, RenameFlags, SetAttr, Timespec};
use std::sync::atomic::Ordering;
use std::sync::Arc;

#[test]
fn rename_rules() {
    let (_fs, root, _) = mount(1 << 20, 100);
    let a = root.mkdir(b"a", 0o755, fs::Owner::ROOT).expect("mkdir");
    let b = root.mkdir(b"b", 0o755, fs::Owner::ROOT).expect("mkdir");
    let f = a.create(b"f", 0o644, fs::Owner::ROOT).expect("create");
    let g = root.create(b"g", 0o644, fs::Owner::ROOT).expect("create");
    let none = RenameFlags::empty();
    // File over file across directories.
    a.rename(b"f", &root, b"g", none).expect("file over file");
    assert!(root.lookup(b"g").expect("g").is_same(f.as_ref()));
    assert_eq!(a.lookup(b"f").err(), Some(Errno::ENOENT));
    assert_eq!(nlink(&g), 0);
    // Directories: over an empty directory, moved into another (link counts).
    let sub = a.mkdir(b"sub", 0o755, fs::Owner::ROOT).expect("mkdir");
    assert_eq!(root.rename(b"g", &root, b"a", none), Err(Errno::EISDIR));
    assert_eq!(root.rename(b"a", &root, b"g", none), Err(Errno::ENOTDIR));
    assert_eq!(root.rename(b"b", &root, b"a", none), Err(Errno::ENOTEMPTY));
    assert_eq!(root.rename(b"a", &sub, b"x", none), Err(Errno::EINVAL));
    assert_eq!(root.rename(b"a", &a, b"x", none), Err(Errno::EINVAL));
    a.rename(b"sub", &b, b"sub", none).expect("move dir");
    assert_eq!((nlink(&a), nlink(&b)), (2, 3));
    let dotdot = |d: &Arc<dyn Inode>| {
        let mut ino = 0;
        d.readdir(1, &mut |e| {
            ino = e.ino;
            false
        })
        .expect("readdir");
        ino
    };
    assert_eq!(dotdot(&sub), b.ino());
    root.rename(b"a", &b, b"sub", none)
        .expect("dir over empty dir");
    assert_eq!((nlink(&root), nlink(&b), nlink(&sub)), (3, 3, 0));
    // NOREPLACE, EXCHANGE, same inode, whiteout.
    root.link(b"g2", &f).expect("link");
    assert_eq!(
        root.rename(b"g", &root, b"g2", RenameFlags::NOREPLACE),
        Err(Errno::EEXIST)
    );
    root.rename(b"g", &root, b"g2", none).expect("same inode");
    assert!(root.lookup(b"g").is_ok() && nlink(&f) == 2);
    assert_eq!(
        root.rename(b"g", &root, b"zz", RenameFlags::EXCHANGE),
        Err(Errno::ENOENT)
    );
    b.rename(b"sub", &root, b"g", RenameFlags::EXCHANGE)
        .expect("exchange");
    assert!(root.lookup(b"g").expect("g").is_same(a.as_ref()));
    assert!(b.lookup(b"sub").expect("sub").is_same(f.as_ref()));
    assert_eq!((nlink(&root), nlink(&b)), (4, 2));
    assert_eq!(dotdot(&a), root.ino());
    root.rename(b"g2", &root, b"moved", RenameFlags::WHITEOUT)
        .expect("whiteout");
    let w = root.lookup(b"g2").expect("whiteout");
    assert_eq!(
        (w.file_type(), w.stat().expect("stat").rdev),
        (FileType::CharDevice, 0)
    );
    assert_eq!(
        root.rename(
            b"moved",
            &root,
            b"x",
            RenameFlags::EXCHANGE | RenameFlags::NOREPLACE
        ),
        Err(Errno::EINVAL)
    );
    let (_other, other_root, _) = mount(1 << 20, 10);
    assert_eq!(
        root.rename(b"moved", &other_root, b"x", none),
        Err(Errno::EXDEV)
    );
}

#[test]
fn timestamps() {
    let (_fs, root, clock) = mount(1 << 20, 100);
    let at = |s| Timespec { sec: s, nsec: 0 };
    let tick = |s| clock.0.store(s, Ordering::Relaxed);
    tick(2000);
    let f = root.create(b"f", 0o644, fs::Owner::ROOT).expect("create");
    let st = f.stat().expect("stat");
    assert_eq!(
        (st.atime, st.mtime, st.ctime),
        (at(2000), at(2000), at(2000))
    );
    assert_eq!(root.stat().expect("stat").mtime, at(2000));
    tick(2001);
    f.write_at(0, b"x").expect("write");
    let st = f.stat().expect("stat");
    assert_eq!(
        (st.atime, st.mtime, st.ctime),
        (at(2000), at(2001), at(2001))
    );
    tick(2002);
    f.read_at(0, &mut [0u8; 1]).expect("read");
    assert_eq!(
        f.stat().expect("stat").atime,
        at(2002),
        "atime not newer than mtime"
    );
    tick(2003);
    f.read_at(0, &mut [0u8; 1]).expect("read");
    assert_eq!(
        f.stat().expect("stat").atime,
        at(2002),
        "relatime keeps a newer atime"
    );
    tick(2002 + 86400);
    f.read_at(0, &mut [0u8; 1]).expect("read");
    assert_eq!(f.stat().expect("stat").atime, at(2002 + 86400), "a day old");
    tick(3_000_000);
    let attr = SetAttr {
        atime: Some(AttrTime::At(at(5))),
        mtime: Some(AttrTime::Now),
        mode: Some(0o4755),
        uid: Some(7),
        ..SetAttr::default()
    };
    f.setattr(&attr).expect("setattr");
    let st = f.stat().expect("stat");
    assert_eq!(
        (st.atime, st.mtime, st.ctime),
        (at(5), at(3_000_000), at(3_000_000))
    );
    assert_eq!((st.mode, st.uid, st.gid), (0o104755, 7, 0));
    tick(3_000_001);
    root.link(b"g", &f).expect("link");
    assert_eq!(f.stat().expect("stat").ctime, at(3_000_001));
    assert_eq!(root.stat().expect("stat").mtime, at(3_000_001));
}
