//! ext4 rename and htree directories, checked by e2fsck and the host kernel:
//! plain moves, replacing files and empty directories, RENAME_NOREPLACE and
//! RENAME_EXCHANGE, directories moving between parents (their ".." and both
//! link counts), and insertions into an htree directory made by `e2fsck -D`.

mod common;

use arch::Errno;
use common::rw::{
    compare_with_host, debugfs, fsck_clean, mkfs, mount_rw, walk, FileDisk, LoopMount,
};
use common::{make_image, populate, TempDir, MANY};
use fs::ext4::Ext4;
use fs::{FileSystem, Inode, RenameFlags};
use std::sync::Arc;

const NONE: RenameFlags = RenameFlags::empty();

fn nlink(i: &Arc<dyn Inode>) -> u32 {
    i.stat().expect("stat").nlink
}

#[test]
fn renames_keep_the_filesystem_clean() {
    let tmp = TempDir::new("rename");
    let img = mkfs(&tmp.0, "32M", &[], None);
    {
        let fs = mount_rw(&img);
        let root = fs.root().expect("root");
        let a = root.mkdir(b"a", 0o755, fs::Owner::ROOT).expect("mkdir");
        let b = root.mkdir(b"b", 0o755, fs::Owner::ROOT).expect("mkdir");
        let f = a.create(b"f", 0o644, fs::Owner::ROOT).expect("create");
        f.write_at(0, b"f data").expect("write");
        let g = b.create(b"g", 0o644, fs::Owner::ROOT).expect("create");
        g.write_at(0, b"g data").expect("write");
        // A plain move within and across directories.
        a.rename(b"f", &a, b"f2", NONE).expect("rename in place");
        a.rename(b"f2", &b, b"f", NONE).expect("rename across");
        assert_eq!(a.lookup(b"f2").err(), Some(Errno::ENOENT));
        // Replacing a file; NOREPLACE refuses.
        assert_eq!(
            b.rename(b"f", &b, b"g", RenameFlags::NOREPLACE).err(),
            Some(Errno::EEXIST)
        );
        b.rename(b"f", &b, b"g", NONE).expect("replace");
        assert_eq!(nlink(&g), 0, "the replaced file lost its name");
        drop(g);
        // A directory moving between parents: "..", and both link counts.
        let sub = a.mkdir(b"sub", 0o755, fs::Owner::ROOT).expect("mkdir");
        sub.create(b"inside", 0o644, fs::Owner::ROOT)
            .expect("create");
        assert_eq!((nlink(&a), nlink(&b)), (3, 2));
        a.rename(b"sub", &b, b"moved", NONE).expect("move dir");
        assert_eq!((nlink(&a), nlink(&b)), (2, 3));
        let dotdot = sub.lookup(b"..").expect("..");
        assert_eq!(dotdot.ino(), b.ino());
        // Replacing an empty directory, refusing a full one.
        let empty = a.mkdir(b"empty", 0o755, fs::Owner::ROOT).expect("mkdir");
        assert_eq!(b.rename(b"moved", &a, b"empty", NONE).ok(), Some(()));
        assert_eq!(nlink(&empty), 0);
        drop(empty);
        assert_eq!((nlink(&a), nlink(&b)), (3, 2));
        a.mkdir(b"full", 0o755, fs::Owner::ROOT)
            .expect("mkdir")
            .create(b"x", 0o644, fs::Owner::ROOT)
            .expect("create");
        assert_eq!(
            a.rename(b"empty", &a, b"full", NONE).err(),
            Some(Errno::ENOTEMPTY)
        );
        // Type mismatches.
        assert_eq!(b.rename(b"g", &a, b"full", NONE).err(), Some(Errno::EISDIR));
        assert_eq!(
            a.rename(b"full", &b, b"g", NONE).err(),
            Some(Errno::ENOTDIR)
        );
        // Exchange a directory and a file across parents.
        a.rename(b"full", &b, b"g", RenameFlags::EXCHANGE)
            .expect("exchange");
        assert_eq!(walk(&fs, "b/g/x").map(|_| ()), Ok(()));
        assert_eq!(
            walk(&fs, "a/full").expect("file").read_at(0, &mut [0; 6]),
            Ok(6)
        );
        // a keeps "empty" (the directory moved in); b gained "g".
        assert_eq!((nlink(&a), nlink(&b)), (3, 3));
        let full = walk(&fs, "b/g").expect("dir");
        assert_eq!(full.lookup(b"..").expect("..").ino(), b.ino());
        // Exchange two directories in one parent, and two files.
        b.mkdir(b"other", 0o700, fs::Owner::ROOT).expect("mkdir");
        b.rename(b"g", &b, b"other", RenameFlags::EXCHANGE)
            .expect("exchange dirs");
        assert_eq!(walk(&fs, "b/other/x").map(|_| ()), Ok(()));
        root.create(b"one", 0o600, fs::Owner::ROOT)
            .expect("create")
            .write_at(0, b"1")
            .expect("write");
        root.create(b"two", 0o600, fs::Owner::ROOT)
            .expect("create")
            .write_at(0, b"22")
            .expect("write");
        root.rename(b"one", &root, b"two", RenameFlags::EXCHANGE)
            .expect("exchange files");
        assert_eq!(walk(&fs, "two").expect("two").stat().expect("stat").size, 1);
        assert_eq!(
            root.rename(b"one", &root, b"nothere", RenameFlags::EXCHANGE)
                .err(),
            Some(Errno::ENOENT)
        );
        // Hard links to one inode: renaming one over the other does nothing.
        root.link(b"two_again", &walk(&fs, "two").expect("two"))
            .expect("link");
        root.rename(b"two", &root, b"two_again", NONE)
            .expect("same inode");
        assert!(walk(&fs, "two").is_ok() && walk(&fs, "two_again").is_ok());
        fs.sync().expect("sync");
    }
    fsck_clean(&img);
    let fs = mount_rw(&img);
    let mnt = LoopMount::new(&img, &tmp.0);
    compare_with_host(&fs.root().expect("root"), &mnt.dir);
}

/// Returns the image of the shared test tree, whose big directory `many` is an
/// htree (made by e2fsck -D), mounted read-write from a file in `tmp`.
fn htree_image(tmp: &TempDir, block_size: u32) -> (std::path::PathBuf, Arc<Ext4>) {
    let staging = TempDir::new("htree-stage");
    populate(&staging.0);
    let img = tmp.0.join("htree.img");
    std::fs::write(&img, make_image(&staging.0, block_size, "64M")).expect("write image");
    let fs = Ext4::mount(FileDisk::open(&img), 0x801, false).expect("mount");
    (img, fs)
}

/// Returns the leaf count in the root of htree directory `/many`, or None if
/// it is not indexed (any more).
fn htree_leaves(img: &std::path::Path) -> Option<usize> {
    let out = debugfs(img, "htree_dump /many");
    let text = String::from_utf8_lossy(&out);
    let count = text
        .lines()
        .find_map(|l| l.trim().strip_prefix("Number of entries (count): "))?;
    count.trim().parse().ok()
}

/// Adds `n` names to `/many`, removes every other old one, and checks the
/// image with e2fsck and the host kernel (which looks every name up through
/// the index).
fn grow_htree(block_size: u32, n: usize) -> (Option<usize>, Option<usize>) {
    let tmp = TempDir::new("htree");
    let (img, fs) = htree_image(&tmp, block_size);
    let before = htree_leaves(&img);
    {
        let many = walk(&fs, "many").expect("many");
        many.unlink(b"entry_with_a_longish_name_00007")
            .expect("unlink");
        fs.sync().expect("sync");
        fsck_clean(&img);
        assert_eq!(htree_leaves(&img), before, "a removal keeps the index");
        for i in 0..n {
            let name = format!("new_entry_with_another_long_name_{i}");
            many.create(name.as_bytes(), 0o644, fs::Owner::ROOT)
                .expect("create");
        }
        for i in (0..MANY).step_by(2) {
            let name = format!("entry_with_a_longish_name_{i:05}");
            match many.unlink(name.as_bytes()) {
                Ok(()) => {}
                Err(Errno::ENOENT) if i == 7 => {}
                Err(e) => panic!("unlink {name}: {e}"),
            }
        }
        assert!(many.lookup(b"entry_with_a_longish_name_00009").is_ok());
        let last = format!("new_entry_with_another_long_name_{}", n - 1);
        assert!(many.lookup(last.as_bytes()).is_ok());
        fs.sync().expect("sync");
    }
    drop(fs);
    fsck_clean(&img);
    let after = htree_leaves(&img);
    let fs = mount_rw(&img);
    let mnt = LoopMount::new(&img, &tmp.0);
    let compared = compare_with_host(&fs.root().expect("root"), &mnt.dir);
    assert!(compared > MANY / 2 + n);
    (before, after)
}

#[test]
fn htree_directory_splits_leaves() {
    let (before, after) = grow_htree(4096, 1500);
    let (before, after) = (before.expect("indexed"), after.expect("still indexed"));
    assert!(
        after > before,
        "no leaf split: {before} leaves, then {after}"
    );
}

#[test]
fn full_htree_root_grows_a_level() {
    // 1 KiB blocks: the root holds 123 leaves; 6000 more names overflow it,
    // so its entries move to a node below and that node splits in turn.
    let (before, after) = grow_htree(1024, 6000);
    assert!(before.is_some(), "the test directory is not an htree");
    assert!(
        after.is_some_and(|n| n > 1),
        "the root did not grow: {after:?}"
    );
}

#[test]
fn two_level_htree_splits_full_nodes() {
    // e2fsck -D packs interior nodes full: the first leaf split splits one.
    let tmp = TempDir::new("htree2");
    let staging = TempDir::new("htree2-stage");
    std::fs::create_dir(staging.0.join("many")).expect("mkdir");
    for i in 0..8000 {
        std::fs::write(
            staging
                .0
                .join(format!("many/a_two_level_htree_name_{i:05}")),
            b"",
        )
        .expect("create");
    }
    let img = tmp.0.join("two.img");
    std::fs::write(&img, make_image(&staging.0, 1024, "64M")).expect("write image");
    let dump = String::from_utf8_lossy(&debugfs(&img, "htree_dump /many")).into_owned();
    assert!(dump.contains("Indirect levels: 1"), "{dump}");
    let before = htree_leaves(&img).expect("indexed");
    {
        let fs = mount_rw(&img);
        let many = walk(&fs, "many").expect("many");
        for i in 0..3000 {
            many.create(format!("added_name_{i}").as_bytes(), 0o644, fs::Owner::ROOT)
                .expect("create");
        }
        fs.sync().expect("sync");
    }
    fsck_clean(&img);
    assert!(
        htree_leaves(&img).expect("still indexed") > before,
        "no node split"
    );
    let fs = mount_rw(&img);
    let mnt = LoopMount::new(&img, &tmp.0);
    assert!(compare_with_host(&fs.root().expect("root"), &mnt.dir) > 11000);
}
