//! ext4 extended attributes checked by the oracles: set, replace and remove
//! them in the inode and in an attribute block on a fresh `mkfs.ext4` image
//! (4 KiB blocks, 256-byte inodes), then `e2fsck -fn` must be clean, `debugfs`
//! must read the values back, and a second mount must see the same.

mod common;

use arch::Errno;
use common::rw::{debugfs, fsck_clean, mkfs, mount_rw, walk};
use common::TempDir;
use fs::{FileSystem, Inode, Owner, XattrFlags};
use std::sync::Arc;

const NONE: XattrFlags = XattrFlags::empty();

fn value(seed: usize, len: usize) -> Vec<u8> {
    (0..len)
        .map(|i| b'a' + ((i * 7 + seed) % 26) as u8)
        .collect()
}

fn names(inode: &Arc<dyn Inode>) -> Vec<String> {
    let mut v: Vec<String> = inode
        .listxattr()
        .expect("list")
        .iter()
        .map(|n| String::from_utf8_lossy(n).into_owned())
        .collect();
    v.sort();
    v
}

/// Sets the attributes the checks expect on /f, /g and /h.
fn workload(root: &Arc<dyn Inode>) {
    let f = root.create(b"f", 0o644, Owner::ROOT).expect("create");
    f.setxattr(b"user.small", b"v", NONE).expect("small");
    f.setxattr(b"trusted.empty", b"", NONE).expect("empty");
    f.setxattr(b"user.big", &value(1, 3000), NONE)
        .expect("big: into the block");
    f.setxattr(b"security.s", b"label", NONE).expect("security");
    assert_eq!(
        f.setxattr(b"user.small", b"w", XattrFlags::CREATE),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        f.setxattr(b"user.no", b"w", XattrFlags::REPLACE),
        Err(Errno::ENODATA)
    );
    f.setxattr(b"user.small", b"again", XattrFlags::REPLACE)
        .expect("replace");
    assert_eq!(f.getxattr(b"user.big"), Ok(value(1, 3000)));
    assert_eq!(f.getxattr(b"user.none"), Err(Errno::ENODATA));
    assert_eq!(
        f.setxattr(b"user.huge", &value(2, 5000), NONE),
        Err(Errno::ENOSPC)
    );

    // Many small ones: the inode fills, the rest go to a block.
    let g = root.create(b"g", 0o644, Owner::ROOT).expect("create");
    for i in 0..40 {
        let name = format!("user.key{i:02}");
        g.setxattr(name.as_bytes(), &value(i, 20), NONE)
            .expect("set");
    }
    for i in (0..40).step_by(3) {
        let name = format!("user.key{i:02}");
        g.removexattr(name.as_bytes()).expect("remove");
    }
    assert_eq!(g.removexattr(b"user.key00"), Err(Errno::ENODATA));

    // One that had a block and lost it again.
    let h = root.create(b"h", 0o644, Owner::ROOT).expect("create");
    h.setxattr(b"user.big", &value(3, 2000), NONE).expect("set");
    h.removexattr(b"user.big").expect("remove");
    h.setxattr(b"user.tiny", b"t", NONE).expect("set");
    let d = root.mkdir(b"d", 0o755, Owner::ROOT).expect("mkdir");
    d.setxattr(b"user.dir", b"yes", NONE).expect("dir");
    // A file with a block, removed: the block goes with it.
    let gone = root.create(b"gone", 0o644, Owner::ROOT).expect("create");
    gone.setxattr(b"user.big", &value(4, 1000), NONE)
        .expect("set");
    drop(gone);
    root.unlink(b"gone").expect("unlink");
}

/// Checks what `workload` left, through our driver.
fn check(fs: &Arc<fs::ext4::Ext4>) {
    let f = walk(fs, "f").expect("f");
    assert_eq!(
        names(&f),
        ["security.s", "trusted.empty", "user.big", "user.small"]
    );
    assert_eq!(f.getxattr(b"user.small"), Ok(b"again".to_vec()));
    assert_eq!(f.getxattr(b"trusted.empty"), Ok(Vec::new()));
    assert_eq!(f.getxattr(b"user.big"), Ok(value(1, 3000)));
    let g = walk(fs, "g").expect("g");
    for i in 0..40 {
        let name = format!("user.key{i:02}");
        let want = if i % 3 == 0 {
            Err(Errno::ENODATA)
        } else {
            Ok(value(i, 20))
        };
        assert_eq!(g.getxattr(name.as_bytes()), want, "{name}");
    }
    let h = walk(fs, "h").expect("h");
    assert_eq!(names(&h), ["user.tiny"]);
    assert_eq!(h.stat().expect("stat").blocks, 0, "the block was freed");
    let d = walk(fs, "d").expect("d");
    assert_eq!(d.getxattr(b"user.dir"), Ok(b"yes".to_vec()));
}

#[test]
fn xattrs_in_inode_and_block() {
    let tmp = TempDir::new("xattr");
    let img = mkfs(&tmp.0, "32M", &["-b", "4096", "-I", "256"], None);
    {
        let fs = mount_rw(&img);
        workload(&fs.root().expect("root"));
        check(&fs);
        fs.sync().expect("sync");
    }
    fsck_clean(&img);
    let list = String::from_utf8_lossy(&debugfs(&img, "ea_list /f")).into_owned();
    assert!(list.contains("user.small (5) = \"again\""), "{list}");
    assert!(list.contains("user.big (3000)"), "{list}");
    assert!(list.contains("trusted.empty (0)"), "{list}");
    let g = String::from_utf8_lossy(&debugfs(&img, "ea_list /g")).into_owned();
    assert!(
        g.contains("user.key38 (20)") && !g.contains("user.key00"),
        "{g}"
    );
    let fs = mount_rw(&img);
    check(&fs);
}
