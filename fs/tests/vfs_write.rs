//! The VFS calls that change the namespace, on a tmpfs root with a second tmpfs
//! and a read-only one mounted below it: errno order (EEXIST before EROFS,
//! EXDEV), "." / ".." / mount point rules, the dentry cache after unlink and
//! rename, O_CREAT / O_TRUNC, and statfs.

use arch::Errno;
use fs::tmpfs::{Options, Tmpfs, TMPFS_MAGIC};
use fs::{
    CharDevices, FileOps, FileType, HostClock, LookupFlags, OpenFlags, Path, RenameFlags, Vfs,
    ST_RDONLY, ST_VALID,
};
use std::sync::Arc;

struct NoDevices;
impl CharDevices for NoDevices {
    fn open(&self, _rdev: u64, _flags: OpenFlags) -> arch::Result<Arc<dyn FileOps>> {
        Err(Errno::ENXIO)
    }
}

fn tmpfs(dev: u64) -> Arc<Tmpfs> {
    let opts = Options {
        dev,
        size: 16 << 20,
        nr_inodes: 1000,
        mode: 0o1777,
    };
    Tmpfs::new(opts, Arc::new(HostClock), test_frames()).expect("tmpfs")
}

/// Returns a tree: tmpfs at /, another at /mnt, a read-only one at /ro.
fn setup() -> (Arc<Vfs>, Path) {
    let vfs = Vfs::new(tmpfs(1), false).expect("vfs");
    let root = vfs.root();
    for (dir, dev, ro) in [(&b"mnt"[..], 2, false), (b"ro", 3, true)] {
        vfs.mkdir(&fs::Credentials::ROOT, &root, &root, dir, 0o755)
            .expect("mkdir");
        let at = vfs
            .lookup(
                &fs::Credentials::ROOT,
                &root,
                &root,
                dir,
                LookupFlags::FOLLOW,
            )
            .expect("at");
        vfs.mount(&at, tmpfs(dev), ro).expect("mount");
    }
    (vfs, root)
}

const N: LookupFlags = LookupFlags::empty();

#[test]
fn create_and_remove() {
    let (vfs, root) = setup();
    let r = &root;
    assert_eq!(vfs.mkdir(&fs::Credentials::ROOT, r, r, b"d", 0o755), Ok(()));
    assert_eq!(
        vfs.mkdir(&fs::Credentials::ROOT, r, r, b"d/", 0o755),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        vfs.mkdir(&fs::Credentials::ROOT, r, r, b"e/", 0o755),
        Ok(())
    );
    assert_eq!(
        vfs.mkdir(&fs::Credentials::ROOT, r, r, b"/", 0o755),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        vfs.mkdir(&fs::Credentials::ROOT, r, r, b"d/.", 0o755),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        vfs.mkdir(&fs::Credentials::ROOT, r, r, b"x/y", 0o755),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        vfs.mkdir(&fs::Credentials::ROOT, r, r, b"ro", 0o755),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        vfs.mkdir(&fs::Credentials::ROOT, r, r, b"ro/new", 0o755),
        Err(Errno::EROFS)
    );
    assert_eq!(
        vfs.mknod(&fs::Credentials::ROOT, r, r, b"d/f", 0, 0),
        Ok(())
    );
    let f = vfs
        .lookup(&fs::Credentials::ROOT, r, r, b"d/f", N)
        .expect("d/f");
    assert_eq!(f.inode().stat().expect("stat").mode, 0o100000);
    assert_eq!(
        vfs.mknod(&fs::Credentials::ROOT, r, r, b"d/x", 0o040755, 0),
        Err(Errno::EPERM)
    );
    assert_eq!(
        vfs.mknod(&fs::Credentials::ROOT, r, r, b"d/x", 0o120755, 0),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        vfs.mknod(&fs::Credentials::ROOT, r, r, b"d/f", 0o140755, 0),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        vfs.mknod(&fs::Credentials::ROOT, r, r, b"d/g/", 0o644, 0),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        vfs.symlink(&fs::Credentials::ROOT, r, r, b"f", b"d/l"),
        Ok(())
    );
    assert_eq!(
        vfs.symlink(&fs::Credentials::ROOT, r, r, b"", b"d/l2"),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        vfs.symlink(&fs::Credentials::ROOT, r, r, b"f", b"d/l"),
        Err(Errno::EEXIST)
    );
    let l = vfs
        .lookup(&fs::Credentials::ROOT, r, r, b"d/l", LookupFlags::FOLLOW)
        .expect("follow");
    assert!(l.same(&f));
    // link: EEXIST, EROFS, EXDEV, EPERM in Linux's order.
    let d = vfs
        .lookup(&fs::Credentials::ROOT, r, r, b"d", N)
        .expect("d");
    assert_eq!(
        vfs.link(&fs::Credentials::ROOT, r, &f, r, b"d/l"),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        vfs.link(&fs::Credentials::ROOT, r, &f, r, b"ro/f"),
        Err(Errno::EROFS)
    );
    assert_eq!(
        vfs.link(&fs::Credentials::ROOT, r, &f, r, b"mnt/f"),
        Err(Errno::EXDEV)
    );
    assert_eq!(
        vfs.link(&fs::Credentials::ROOT, r, &d, r, b"d2"),
        Err(Errno::EPERM)
    );
    assert_eq!(vfs.link(&fs::Credentials::ROOT, r, &f, &d, b"f2"), Ok(()));
    assert_eq!(f.inode().stat().expect("stat").nlink, 2);
    // unlink and rmdir.
    assert_eq!(
        vfs.unlink(&fs::Credentials::ROOT, r, r, b"d"),
        Err(Errno::EISDIR)
    );
    assert_eq!(
        vfs.unlink(&fs::Credentials::ROOT, r, r, b"d/f/"),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        vfs.unlink(&fs::Credentials::ROOT, r, r, b"d/."),
        Err(Errno::EISDIR)
    );
    assert_eq!(
        vfs.unlink(&fs::Credentials::ROOT, r, r, b"ro/x"),
        Err(Errno::EROFS)
    );
    assert_eq!(
        vfs.unlink(&fs::Credentials::ROOT, r, r, b"d/nothing"),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        vfs.rmdir(&fs::Credentials::ROOT, r, r, b"d"),
        Err(Errno::ENOTEMPTY)
    );
    assert_eq!(
        vfs.rmdir(&fs::Credentials::ROOT, r, r, b"d/f"),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        vfs.rmdir(&fs::Credentials::ROOT, r, r, b"d/."),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        vfs.rmdir(&fs::Credentials::ROOT, r, r, b"d/.."),
        Err(Errno::ENOTEMPTY)
    );
    assert_eq!(
        vfs.rmdir(&fs::Credentials::ROOT, r, r, b"/"),
        Err(Errno::EBUSY)
    );
    assert_eq!(
        vfs.rmdir(&fs::Credentials::ROOT, r, r, b"mnt"),
        Err(Errno::EBUSY)
    );
    assert_eq!(
        vfs.rmdir(&fs::Credentials::ROOT, r, &d, b"../d/../e"),
        Ok(())
    );
    for name in [&b"d/f"[..], b"d/f2", b"d/l"] {
        assert_eq!(vfs.unlink(&fs::Credentials::ROOT, r, r, name), Ok(()));
    }
    assert!(f.dentry.is_deleted());
    assert_eq!(
        vfs.lookup(&fs::Credentials::ROOT, r, r, b"d/f", N).err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(vfs.rmdir(&fs::Credentials::ROOT, r, r, b"d"), Ok(()));
    // The removed directory as a working directory.
    assert_eq!(
        vfs.mkdir(&fs::Credentials::ROOT, r, &d, b"x", 0o755),
        Err(Errno::ENOENT)
    );
    assert!(vfs
        .lookup(&fs::Credentials::ROOT, r, &d, b"..", N)
        .expect("..")
        .same(r));
}

#[test]
fn rename_across_the_tree() {
    let (vfs, root) = setup();
    let r = &root;
    let none = RenameFlags::empty();
    vfs.mkdir(&fs::Credentials::ROOT, r, r, b"a", 0o755)
        .expect("mkdir");
    vfs.mkdir(&fs::Credentials::ROOT, r, r, b"a/b", 0o755)
        .expect("mkdir");
    vfs.mknod(&fs::Credentials::ROOT, r, r, b"a/b/f", 0o644, 0)
        .expect("mknod");
    let f = vfs
        .lookup(&fs::Credentials::ROOT, r, r, b"a/b/f", N)
        .expect("cached");
    let b = vfs
        .lookup(&fs::Credentials::ROOT, r, r, b"a/b", N)
        .expect("cached");
    assert_eq!(
        vfs.rename(&fs::Credentials::ROOT, r, r, b"a/b/f", r, b"mnt/f", none),
        Err(Errno::EXDEV)
    );
    assert_eq!(
        vfs.rename(&fs::Credentials::ROOT, r, r, b"a", r, b"ro/a", none),
        Err(Errno::EXDEV)
    );
    assert_eq!(
        vfs.rename(&fs::Credentials::ROOT, r, r, b"a", r, b"a/b/c", none),
        Err(Errno::EINVAL)
    );
    assert_eq!(
        vfs.rename(&fs::Credentials::ROOT, r, r, b"a", r, b"a", none),
        Ok(())
    );
    assert_eq!(
        vfs.rename(&fs::Credentials::ROOT, r, r, b"a/.", r, b"z", none),
        Err(Errno::EBUSY)
    );
    assert_eq!(
        vfs.rename(&fs::Credentials::ROOT, r, r, b"a", r, b"a/b/..", none),
        Err(Errno::EBUSY)
    );
    assert_eq!(
        vfs.rename(&fs::Credentials::ROOT, r, r, b"mnt", r, b"z", none),
        Err(Errno::EBUSY)
    );
    assert_eq!(
        vfs.rename(&fs::Credentials::ROOT, r, r, b"a/b/f/", r, b"z", none),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        vfs.rename(&fs::Credentials::ROOT, r, r, b"a/b/f", r, b"z/", none),
        Err(Errno::ENOTDIR)
    );
    assert_eq!(
        vfs.rename(&fs::Credentials::ROOT, r, r, b"a/b/f", r, b"a", none),
        Err(Errno::ENOTEMPTY)
    );
    assert_eq!(
        vfs.rename(&fs::Credentials::ROOT, r, r, b"a/b/f", r, b"mnt", none),
        Err(Errno::EISDIR)
    );
    assert_eq!(
        vfs.rename(&fs::Credentials::ROOT, r, r, b"a/b", r, b"ro", none),
        Err(Errno::EBUSY)
    );
    // Moving a directory moves what the cache knows below it.
    assert_eq!(
        vfs.rename(&fs::Credentials::ROOT, r, r, b"a/b", r, b"c", none),
        Ok(())
    );
    assert_eq!(f.to_bytes(r), b"/c/f");
    assert_eq!(b.to_bytes(r), b"/c");
    assert!(vfs
        .lookup(&fs::Credentials::ROOT, r, r, b"c/f", N)
        .expect("new name")
        .same(&f));
    assert_eq!(
        vfs.lookup(&fs::Credentials::ROOT, r, r, b"a/b/f", N).err(),
        Some(Errno::ENOENT)
    );
    assert!(
        vfs.lookup(&fs::Credentials::ROOT, r, &f, b"..", N).is_err(),
        "f is not a directory"
    );
    assert!(vfs
        .lookup(&fs::Credentials::ROOT, r, &b, b"..", N)
        .expect("..")
        .same(r));
    // Over an existing name: the old dentry is deleted; exchange swaps.
    vfs.mknod(&fs::Credentials::ROOT, r, r, b"g", 0o644, 0)
        .expect("mknod");
    let g = vfs
        .lookup(&fs::Credentials::ROOT, r, r, b"g", N)
        .expect("g");
    assert_eq!(
        vfs.rename(
            &fs::Credentials::ROOT,
            r,
            r,
            b"c/f",
            r,
            b"g",
            RenameFlags::NOREPLACE
        ),
        Err(Errno::EEXIST)
    );
    assert_eq!(
        vfs.rename(&fs::Credentials::ROOT, r, r, b"c/f", r, b"g", none),
        Ok(())
    );
    assert!(g.dentry.is_deleted() && !f.dentry.is_deleted());
    assert_eq!(f.to_bytes(r), b"/g");
    assert_eq!(
        vfs.rename(
            &fs::Credentials::ROOT,
            r,
            r,
            b"g",
            r,
            b"c",
            RenameFlags::EXCHANGE
        ),
        Ok(())
    );
    assert_eq!(
        (f.to_bytes(r), b.to_bytes(r)),
        (b"/c".to_vec(), b"/g".to_vec())
    );
    assert_eq!(
        vfs.lookup(&fs::Credentials::ROOT, r, r, b"g", N)
            .expect("g")
            .inode()
            .file_type(),
        FileType::Directory
    );
    assert_eq!(
        vfs.rename(
            &fs::Credentials::ROOT,
            r,
            r,
            b"g",
            r,
            b"nothing",
            RenameFlags::EXCHANGE
        ),
        Err(Errno::ENOENT)
    );
    assert_eq!(
        vfs.rename(
            &fs::Credentials::ROOT,
            r,
            r,
            b"g",
            r,
            b"c",
            RenameFlags::EXCHANGE | RenameFlags::WHITEOUT
        ),
        Err(Errno::EINVAL)
    );
}

#[test]
fn open_create_truncate_and_statfs() {
    let (vfs, root) = setup();
    let r = &root;
    let open =
        |p: &[u8], f: OpenFlags| vfs.open(&fs::Credentials::ROOT, r, r, p, f, 0o640, &NoDevices);
    let w = OpenFlags::O_WRONLY | OpenFlags::O_CREAT;
    let f = open(b"mnt/file", w | OpenFlags::O_EXCL).expect("create");
    assert_eq!(f.write(b"0123456789"), Ok(10));
    assert_eq!(
        open(b"mnt/file", w | OpenFlags::O_EXCL).err(),
        Some(Errno::EEXIST)
    );
    assert_eq!(open(b"ro/file", w).err(), Some(Errno::EROFS));
    assert_eq!(open(b"mnt/dir/", w).err(), Some(Errno::EISDIR));
    let a = open(b"mnt/file", OpenFlags::O_RDWR | OpenFlags::O_APPEND).expect("append");
    assert_eq!(a.write(b"ab"), Ok(2));
    assert_eq!(f.stat().expect("stat").size, 12);
    let t = open(b"mnt/file", OpenFlags::O_WRONLY | OpenFlags::O_TRUNC).expect("trunc");
    assert_eq!(t.stat().expect("stat").size, 0);
    // Through a dangling symlink O_CREAT creates the target; O_EXCL refuses.
    vfs.symlink(&fs::Credentials::ROOT, r, r, b"target", b"mnt/link")
        .expect("symlink");
    assert_eq!(
        open(b"mnt/link", w | OpenFlags::O_EXCL).err(),
        Some(Errno::EEXIST)
    );
    open(b"mnt/link", w).expect("create through link");
    assert!(vfs
        .lookup(&fs::Credentials::ROOT, r, r, b"mnt/target", N)
        .is_ok());
    assert_eq!(
        open(b"mnt/link", OpenFlags::O_CREAT | OpenFlags::O_NOFOLLOW).err(),
        Some(Errno::ELOOP)
    );
    // Unlinked while open.
    vfs.unlink(&fs::Credentials::ROOT, r, r, b"mnt/file")
        .expect("unlink");
    assert_eq!(a.pwrite(b"still", 0), Ok(5));
    let mut buf = [0u8; 5];
    assert_eq!(a.pread(&mut buf, 0), Ok(5));
    assert_eq!(&buf, b"still");
    assert_eq!(a.stat().expect("stat").nlink, 0);
    // Attributes and statfs.
    let p = vfs
        .lookup(&fs::Credentials::ROOT, r, r, b"mnt/target", N)
        .expect("target");
    vfs.chmod(&fs::Credentials::ROOT, &p, 0o6755)
        .expect("chmod");
    vfs.chown(&fs::Credentials::ROOT, &p, Some(5), None)
        .expect("chown");
    let st = p.inode().stat().expect("stat");
    assert_eq!(
        (st.mode, st.uid, st.gid),
        (0o100755, 5, 0),
        "chown drops set-ID bits"
    );
    vfs.truncate(&fs::Credentials::ROOT, &p, 5000)
        .expect("truncate");
    assert_eq!(p.inode().stat().expect("stat").size, 5000);
    let dir = vfs
        .lookup(&fs::Credentials::ROOT, r, r, b"mnt", N)
        .expect("mnt");
    assert_eq!(
        vfs.truncate(&fs::Credentials::ROOT, &dir, 0),
        Err(Errno::EISDIR)
    );
    let ro = vfs
        .lookup(&fs::Credentials::ROOT, r, r, b"ro", N)
        .expect("ro");
    assert_eq!(
        vfs.chmod(&fs::Credentials::ROOT, &ro, 0o755),
        Err(Errno::EROFS)
    );
    let s = vfs.statfs(&ro);
    assert_eq!(
        (s.f_type, s.flags & (ST_RDONLY | ST_VALID)),
        (TMPFS_MAGIC, ST_RDONLY | ST_VALID)
    );
    assert_eq!(vfs.statfs(&dir).flags & ST_RDONLY, 0);
    assert_eq!(vfs.sync(), Ok(()));
}

/// Returns a frame allocator over 64 MiB of RAM for the test's tmpfs.
fn test_frames() -> std::sync::Arc<mm::FrameAllocator> {
    let ram = arch::PhysMem::new(64 << 20).expect("guest RAM");
    mm::FrameAllocator::new(std::sync::Arc::new(ram), 0)
}
