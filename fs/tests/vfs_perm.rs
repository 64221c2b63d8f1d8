//! Permission checks through the VFS on a tmpfs, for an ordinary user next to
//! root: search permission on every component, owners of new files,
//! set-group-ID directories, the sticky bit, chmod/chown/utimes rules.

use arch::Errno;
use fs::tmpfs::{Options, Tmpfs};
use fs::{AttrTime, Credentials, HostClock, LookupFlags, Path, RenameFlags, Vfs};
use std::sync::Arc;

const ROOT: &Credentials = &Credentials::ROOT;
const N: LookupFlags = LookupFlags::empty();

fn setup() -> (Arc<Vfs>, Path) {
    let opts = Options {
        dev: 1,
        size: 1 << 20,
        nr_inodes: 100,
        mode: 0o1777,
    };
    let vfs = Vfs::new(
        Tmpfs::new(opts, Arc::new(HostClock), test_frames()).expect("tmpfs"),
        false,
    )
    .expect("vfs");
    let root = vfs.root();
    (vfs, root)
}

fn user(uid: u32) -> Credentials {
    Credentials::user(uid, uid, vec![])
}

#[test]
fn search_and_ownership() {
    let (vfs, r) = setup();
    let r = &r;
    let u = &user(1000);
    vfs.mkdir(ROOT, r, r, b"priv", 0o700).expect("mkdir");
    vfs.mknod(ROOT, r, r, b"priv/f", 0o644, 0).expect("mknod");
    assert_eq!(vfs.lookup(u, r, r, b"priv/f", N).err(), Some(Errno::EACCES));
    assert!(
        vfs.lookup(u, r, r, b"priv", N).is_ok(),
        "the dir itself is in a searchable one"
    );
    assert_eq!(vfs.mkdir(u, r, r, b"priv/d", 0o755), Err(Errno::EACCES));
    assert_eq!(vfs.mkdir(u, r, r, b"mine", 0o755), Ok(()));
    let st = vfs
        .lookup(u, r, r, b"mine", N)
        .expect("mine")
        .inode()
        .stat()
        .expect("stat");
    assert_eq!((st.uid, st.gid), (1000, 1000));
    // A set-group-ID directory hands its group down.
    vfs.mkdir(ROOT, r, r, b"sg", 0o777).expect("mkdir");
    let sg = vfs.lookup(ROOT, r, r, b"sg", N).expect("sg");
    vfs.chown(ROOT, &sg, None, Some(3000)).expect("chgrp");
    vfs.chmod(ROOT, &sg, 0o2777).expect("chmod");
    vfs.mkdir(u, r, r, b"sg/d", 0o755).expect("mkdir");
    let st = vfs
        .lookup(u, r, r, b"sg/d", N)
        .expect("d")
        .inode()
        .stat()
        .expect("stat");
    assert_eq!((st.uid, st.gid, st.mode & 0o7777), (1000, 3000, 0o2755));
}

#[test]
fn sticky_and_attributes() {
    let (vfs, r) = setup();
    let r = &r;
    let (a, b) = (&user(1000), &user(1001));
    vfs.mknod(a, r, r, b"a", 0o644, 0).expect("mknod");
    assert_eq!(vfs.unlink(b, r, r, b"a"), Err(Errno::EPERM));
    assert_eq!(vfs.mknod(b, r, r, b"b", 0o666, 0), Ok(()));
    assert_eq!(
        vfs.rename(b, r, r, b"b", r, b"a", RenameFlags::empty()),
        Err(Errno::EPERM)
    );
    let f = vfs.lookup(a, r, r, b"a", N).expect("a");
    assert_eq!(vfs.chmod(b, &f, 0o777), Err(Errno::EPERM));
    assert_eq!(vfs.chown(a, &f, Some(1001), None), Err(Errno::EPERM));
    assert_eq!(vfs.chown(a, &f, None, Some(5)), Err(Errno::EPERM));
    let now = Some(AttrTime::Now);
    assert_eq!(vfs.utimes(b, &f, now, now), Err(Errno::EACCES));
    let g = vfs.lookup(a, r, r, b"b", N).expect("b");
    assert_eq!(
        vfs.utimes(a, &g, now, now),
        Ok(()),
        "write permission suffices"
    );
    assert_eq!(vfs.utimes(a, &g, now, None), Err(Errno::EPERM));
    assert_eq!(vfs.unlink(a, r, r, b"a"), Ok(()));
    assert_eq!(vfs.unlink(ROOT, r, r, b"b"), Ok(()));
}

/// Returns a frame allocator over 64 MiB of RAM for the test's tmpfs.
fn test_frames() -> std::sync::Arc<mm::FrameAllocator> {
    let ram = arch::PhysMem::new(64 << 20).expect("guest RAM");
    mm::FrameAllocator::new(std::sync::Arc::new(ram), 0)
}
