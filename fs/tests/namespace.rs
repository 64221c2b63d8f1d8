//! Changing the mount tree: mounts on mounts, ".." across them, bind mounts of
//! directories and files (recursive ones too), remount flags (read-only,
//! nodev) with statfs, MS_MOVE, and umount with EBUSY, EINVAL and lazy detach.

use arch::Errno;
use fs::tmpfs::{Options, Tmpfs};
use fs::{
    CharDevices, FileOps, FileSystem, HostClock, LookupFlags, MountFlags, OpenFlags, Path, Vfs,
};
use std::sync::Arc;

struct NoDevices;
impl CharDevices for NoDevices {
    fn open(&self, _rdev: u64, _flags: OpenFlags) -> arch::Result<Arc<dyn FileOps>> {
        Err(Errno::ENXIO)
    }
}

fn tmpfs() -> Arc<dyn FileSystem> {
    let opts = Options {
        dev: fs::anon_dev(),
        size: 1 << 20,
        nr_inodes: 100,
        mode: 0o1777,
    };
    Tmpfs::new(opts, Arc::new(HostClock), test_frames()).expect("tmpfs")
}

const F: LookupFlags = LookupFlags::FOLLOW;

fn lookup(vfs: &Vfs, path: &[u8]) -> Result<Path, Errno> {
    let root = vfs.root();
    vfs.lookup(&fs::Credentials::ROOT, &root, &root, path, F)
}

fn at(vfs: &Vfs, path: &[u8]) -> Path {
    lookup(vfs, path).expect("lookup")
}

/// Returns the error looking `path` up gives, if any.
fn err(vfs: &Vfs, path: &[u8]) -> Option<Errno> {
    lookup(vfs, path).err()
}

fn dev_of(vfs: &Vfs, path: &[u8]) -> u64 {
    at(vfs, path).inode().stat().expect("stat").dev
}

fn setup() -> (Arc<Vfs>, Path) {
    let vfs = Vfs::new(tmpfs(), false).expect("vfs");
    let root = vfs.root();
    for d in [&b"a"[..], b"b", b"a/sub"] {
        vfs.mkdir(&fs::Credentials::ROOT, &root, &root, d, 0o755)
            .expect("mkdir");
    }
    vfs.mknod(&fs::Credentials::ROOT, &root, &root, b"a/file", 0o644, 0)
        .expect("mknod");
    vfs.mknod(&fs::Credentials::ROOT, &root, &root, b"b/file", 0o644, 0)
        .expect("mknod");
    (vfs, root)
}

#[test]
fn mounts_stack_and_dotdot_leaves_them() {
    let (vfs, root) = setup();
    let base = dev_of(&vfs, b"b");
    let first = vfs
        .mount_fs(&at(&vfs, b"b"), tmpfs(), MountFlags::RELATIME, "one")
        .expect("mount");
    let second = vfs
        .mount_fs(&at(&vfs, b"b"), tmpfs(), MountFlags::RELATIME, "two")
        .expect("mount on a mount");
    assert_eq!(dev_of(&vfs, b"b"), second.fs().dev());
    assert_eq!(
        dev_of(&vfs, b"b/.."),
        root.inode().stat().expect("stat").dev
    );
    assert_eq!(err(&vfs, b"b/file"), Some(Errno::ENOENT));
    assert_eq!(vfs.mounts().len(), 3);
    assert_eq!(vfs.umount(&at(&vfs, b"b"), false), Ok(()));
    assert_eq!(dev_of(&vfs, b"b"), first.fs().dev());
    assert_eq!(vfs.umount(&at(&vfs, b"b"), false), Ok(()));
    assert_eq!(dev_of(&vfs, b"b"), base);
    assert_eq!(err(&vfs, b"b/file"), None);
    // Not a mount root, and the root itself.
    assert_eq!(vfs.umount(&at(&vfs, b"b"), false), Err(Errno::EINVAL));
    assert_eq!(vfs.umount(&root, false), Err(Errno::EBUSY));
    assert_eq!(vfs.umount(&root, true), Err(Errno::EINVAL));
}

#[test]
fn umount_busy_below_and_lazy_detach() {
    let (vfs, root) = setup();
    let fs_b = tmpfs();
    vfs.mount_fs(&at(&vfs, b"b"), fs_b, MountFlags::empty(), "b")
        .expect("mount");
    vfs.mkdir(&fs::Credentials::ROOT, &root, &root, b"b/inner", 0o755)
        .expect("mkdir");
    vfs.mount_fs(&at(&vfs, b"b/inner"), tmpfs(), MountFlags::empty(), "i")
        .expect("mount");
    vfs.mkdir(&fs::Credentials::ROOT, &root, &root, b"b/inner/deep", 0o755)
        .expect("mkdir");
    let inside = at(&vfs, b"b/inner/deep");
    assert_eq!(vfs.umount(&at(&vfs, b"b"), false), Err(Errno::EBUSY));
    assert_eq!(
        vfs.rmdir(&fs::Credentials::ROOT, &root, &root, b"b/inner"),
        Err(Errno::EBUSY)
    );
    assert_eq!(vfs.umount(&at(&vfs, b"b"), true), Ok(()));
    assert_eq!(vfs.mounts().len(), 1);
    assert_eq!(err(&vfs, b"b/inner"), Some(Errno::ENOENT));
    // Who still works inside the detached tree keeps it; ".." stops at its top.
    let up = vfs
        .lookup(&fs::Credentials::ROOT, &root, &inside, b"../../..", F)
        .expect("up");
    assert!(up.same(&Path {
        mnt: inside.mnt.clone(),
        dentry: inside.mnt.root().clone()
    }));
    assert!(vfs
        .lookup(&fs::Credentials::ROOT, &root, &inside, b"..", F)
        .is_ok());
}

#[test]
fn bind_mounts_of_directories_and_files() {
    let (vfs, root) = setup();
    let src = at(&vfs, b"a");
    vfs.bind_mount(&src, &at(&vfs, b"b"), MountFlags::RELATIME, false)
        .expect("bind");
    assert_eq!(
        at(&vfs, b"b/sub").inode().ino(),
        at(&vfs, b"a/sub").inode().ino()
    );
    let m = at(&vfs, b"b").mnt;
    assert_eq!(m.root_in_fs(), b"/a");
    assert_eq!(at(&vfs, b"b").to_bytes(&root), b"/b");
    assert_eq!(at(&vfs, b"b/sub/..").to_bytes(&root), b"/b");
    // A file on a file; a directory on a file is ENOTDIR.
    let file = at(&vfs, b"a/file");
    vfs.bind_mount(&file, &at(&vfs, b"a/sub/.."), MountFlags::empty(), false)
        .expect_err("dir on dir only");
    assert_eq!(
        vfs.bind_mount(&src, &at(&vfs, b"b/file"), MountFlags::empty(), false),
        Err(Errno::ENOTDIR)
    );
    vfs.mknod(&fs::Credentials::ROOT, &root, &root, b"target", 0o600, 0)
        .expect("mknod");
    vfs.bind_mount(&file, &at(&vfs, b"target"), MountFlags::RDONLY, false)
        .expect("file bind");
    let t = at(&vfs, b"target");
    assert!(t.mnt.read_only());
    assert_eq!(t.inode().ino(), file.inode().ino());
    let r = vfs.open(
        &fs::Credentials::ROOT,
        &root,
        &root,
        b"target",
        OpenFlags::O_WRONLY,
        0,
        &NoDevices,
    );
    assert_eq!(r.err(), Some(Errno::EROFS));
    assert_eq!(vfs.umount(&t, false), Ok(()));
}

#[test]
fn recursive_bind_copies_submounts() {
    let (vfs, _root) = setup();
    let sub = vfs
        .mount_fs(&at(&vfs, b"a/sub"), tmpfs(), MountFlags::empty(), "s")
        .expect("mount");
    let src = at(&vfs, b"a");
    vfs.bind_mount(&src, &at(&vfs, b"b"), MountFlags::empty(), false)
        .expect("bind");
    assert_ne!(dev_of(&vfs, b"b/sub"), sub.fs().dev());
    vfs.umount(&at(&vfs, b"b"), false).expect("umount");
    vfs.bind_mount(&src, &at(&vfs, b"b"), MountFlags::empty(), true)
        .expect("rbind");
    assert_eq!(dev_of(&vfs, b"b/sub"), sub.fs().dev());
    assert_eq!(vfs.umount(&at(&vfs, b"b"), false), Err(Errno::EBUSY));
}

#[test]
fn remount_and_statfs_flags() {
    let (vfs, root) = setup();
    let m = vfs
        .mount_fs(&at(&vfs, b"b"), tmpfs(), MountFlags::RELATIME, "t")
        .expect("mount");
    vfs.mknod(&fs::Credentials::ROOT, &root, &root, b"b/x", 0o644, 0)
        .expect("writable");
    let b = at(&vfs, b"b");
    assert_eq!(vfs.remount(&at(&vfs, b"b/.."), MountFlags::RDONLY), Ok(()));
    assert!(vfs.root().mnt.read_only());
    vfs.remount(&vfs.root(), MountFlags::empty())
        .expect("remount");
    let flags = MountFlags::RDONLY | MountFlags::NODEV | MountFlags::NOEXEC;
    assert_eq!(vfs.remount(&b, flags), Ok(()));
    assert!(m.read_only() && m.noexec() && m.nodev());
    assert_eq!(
        vfs.mknod(&fs::Credentials::ROOT, &root, &root, b"b/y", 0o644, 0),
        Err(Errno::EROFS)
    );
    let st = vfs.statfs(&b);
    assert_eq!(st.flags & 0xf, 1 | 4 | 8);
    assert_eq!(m.flags().show(), "ro,nodev,noexec");
    vfs.mknod(
        &fs::Credentials::ROOT,
        &root,
        &root,
        b"a/null",
        0o20666,
        fs::makedev(1, 3),
    )
    .expect("mknod");
    vfs.bind_mount(&at(&vfs, b"a"), &b, MountFlags::NODEV, false)
        .expect("bind");
    let r = vfs.open(
        &fs::Credentials::ROOT,
        &root,
        &root,
        b"b/null",
        OpenFlags::empty(),
        0,
        &NoDevices,
    );
    assert_eq!(r.err(), Some(Errno::EACCES));
    assert_eq!(vfs.remount(&at(&vfs, b"b/sub"), flags), Err(Errno::EINVAL));
}

#[test]
fn move_mount() {
    let (vfs, _root) = setup();
    let m = vfs
        .mount_fs(&at(&vfs, b"a"), tmpfs(), MountFlags::empty(), "t")
        .expect("mount");
    vfs.mkdir(
        &fs::Credentials::ROOT,
        &vfs.root(),
        &vfs.root(),
        b"a/in",
        0o755,
    )
    .expect("mkdir");
    let from = at(&vfs, b"a");
    assert_eq!(vfs.move_mount(&from, &at(&vfs, b"a/in")), Err(Errno::ELOOP));
    assert_eq!(vfs.move_mount(&from, &at(&vfs, b"b")), Ok(()));
    assert_eq!(dev_of(&vfs, b"b"), m.fs().dev());
    assert_eq!(err(&vfs, b"a/sub"), None);
    assert_eq!(
        vfs.move_mount(&at(&vfs, b"a/sub"), &at(&vfs, b"b")),
        Err(Errno::EINVAL)
    );
}

/// Returns a frame allocator over 64 MiB of RAM for the test's tmpfs.
fn test_frames() -> std::sync::Arc<mm::FrameAllocator> {
    let ram = arch::PhysMem::new(64 << 20).expect("guest RAM");
    mm::FrameAllocator::new(std::sync::Arc::new(ram), 0)
}
