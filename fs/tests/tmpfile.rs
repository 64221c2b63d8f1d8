//! Unnamed files (open(2)'s `O_TMPFILE`): on tmpfs and ext4 through
//! `Inode::tmpfile` and `link` (one first name, none with `O_EXCL`, freed at
//! the last reference), on ext4 the orphan list (a crash leaves them for the
//! next mount to free, linking takes them off it cleanly), and through
//! `Vfs::open` (the flags, the "#INO" dentry, linking by path).

mod common;

use arch::Errno;
use common::rw::{debugfs, fsck_clean, mkfs, mount_rw, walk};
use common::TempDir;
use fs::tmpfs::{Options, Tmpfs};
use fs::{
    CharDevices, Credentials, FileOps, FileSystem, HostClock, LookupFlags, OpenFlags, Owner,
    SetAttr, Vfs,
};
use std::sync::Arc;

#[test]
fn tmpfs_tmpfile_links_once() {
    let (fs, root, _) = common::tmpfs::mount(16 << 20, 100);
    let used = fs.statfs().ffree;
    let f = root.tmpfile(0o640, Owner::ROOT, true).expect("tmpfile");
    let st = f.stat().expect("stat");
    assert_eq!((st.mode, st.nlink, st.size), (0o100640, 0, 0));
    assert_eq!(fs.statfs().ffree, used - 1);
    assert_eq!(f.write_at(0, b"data"), Ok(4));
    assert!(root.lookup(b"named").is_err());
    root.link(b"named", &f).expect("first link");
    assert_eq!(f.stat().expect("stat").nlink, 1);
    root.unlink(b"named").expect("unlink");
    assert_eq!(root.link(b"again", &f), Err(Errno::ENOENT));
    let excl = root.tmpfile(0o600, Owner::ROOT, false).expect("tmpfile");
    assert_eq!(root.link(b"excl", &excl), Err(Errno::ENOENT));
    drop((f, excl));
    assert_eq!(fs.statfs().ffree, used);
}

#[test]
fn tmpfs_tmpfile_takes_a_set_group_id_directory_group() {
    let (_fs, root, _) = common::tmpfs::mount(16 << 20, 100);
    let owner = Owner { uid: 5, gid: 6 };
    let d = root.mkdir(b"sgid", 0o777, Owner { uid: 0, gid: 77 });
    let d = d.expect("mkdir");
    let sgid = SetAttr {
        mode: Some(0o2777),
        ..SetAttr::default()
    };
    d.setattr(&sgid).expect("chmod");
    let st = d.tmpfile(0o644, owner, true).expect("tmpfile").stat();
    let st = st.expect("stat");
    assert_eq!((st.uid, st.gid, st.mode), (5, 77, 0o100644));
    let plain = root.tmpfile(0o644, owner, true).expect("tmpfile");
    assert_eq!(plain.stat().expect("stat").gid, 6);
}

#[test]
fn ext4_tmpfile_linked_and_orphaned() {
    let tmp = TempDir::new("tmpfile");
    let img = mkfs(&tmp.0, "16M", &[], None);
    let kept = {
        let fs = mount_rw(&img);
        let root = fs.root().expect("root");
        let a = root.tmpfile(0o600, Owner::ROOT, true).expect("tmpfile");
        assert_eq!(a.stat().expect("stat").nlink, 0);
        assert_eq!(a.write_at(0, &[7u8; 5000]), Ok(5000));
        root.link(b"named", &a).expect("link");
        assert_eq!(a.stat().expect("stat").nlink, 1);
        fs.sync().expect("sync");
        let kept = (fs.statfs().bfree, fs.statfs().ffree);
        // Left open at the "crash": one linkable, one not, both with data.
        let b = root.tmpfile(0o600, Owner::ROOT, true).expect("tmpfile");
        b.write_at(0, &[1u8; 100_000]).expect("write");
        let c = root.tmpfile(0o600, Owner::ROOT, false).expect("tmpfile");
        c.write_at(0, &[2u8; 30_000]).expect("write");
        assert_eq!(root.link(b"excl", &c), Err(Errno::ENOENT));
        fs.sync().expect("sync");
        assert!(fs.statfs().ffree < kept.1);
        std::mem::forget((b, c));
        kept
    };
    let stats = String::from_utf8_lossy(&debugfs(&img, "stats")).into_owned();
    assert!(stats.contains("First orphan inode"), "{stats}");
    let fs = mount_rw(&img);
    assert_eq!((fs.statfs().bfree, fs.statfs().ffree), kept);
    let named = walk(&fs, "named").expect("named");
    let mut buf = vec![0u8; 5000];
    assert_eq!(named.read_at(0, &mut buf), Ok(5000));
    assert!(buf.iter().all(|&b| b == 7));
    drop((named, fs));
    fsck_clean(&img);
}

#[test]
fn ext4_tmpfile_freed_at_last_close_and_off_the_list_once_linked() {
    let tmp = TempDir::new("tmpfile-close");
    let img = mkfs(&tmp.0, "16M", &[], None);
    {
        let fs = mount_rw(&img);
        let root = fs.root().expect("root");
        fs.sync().expect("sync");
        let free = (fs.statfs().bfree, fs.statfs().ffree);
        let held = root.tmpfile(0o600, Owner::ROOT, true).expect("tmpfile");
        held.write_at(0, &[3u8; 200_000]).expect("write");
        let linked = root.tmpfile(0o644, Owner::ROOT, true).expect("tmpfile");
        linked.write_at(0, b"linked").expect("write");
        root.link(b"linked", &linked).expect("link");
        root.unlink(b"linked").expect("unlink");
        assert_eq!(root.link(b"again", &linked), Err(Errno::ENOENT));
        let cut = SetAttr {
            size: Some(1000),
            ..SetAttr::default()
        };
        held.setattr(&cut).expect("truncate");
        drop((held, linked));
        fs.sync().expect("sync");
        assert_eq!((fs.statfs().bfree, fs.statfs().ffree), free);
        // `named` joins the list in front of `other`; once linked it must
        // keep no link to it (an inode in use with i_dtime set is corrupt).
        let other = root.tmpfile(0o644, Owner::ROOT, true).expect("tmpfile");
        let named = root.tmpfile(0o644, Owner::ROOT, true).expect("tmpfile");
        root.link(b"kept", &named).expect("link");
        drop(other);
        fs.sync().expect("sync");
    }
    let stats = String::from_utf8_lossy(&debugfs(&img, "stats")).into_owned();
    assert!(!stats.contains("First orphan inode"), "{stats}");
    fsck_clean(&img);
}

struct NoDevices;
impl CharDevices for NoDevices {
    fn open(&self, _rdev: u64, _flags: OpenFlags) -> arch::Result<Arc<dyn FileOps>> {
        Err(Errno::ENXIO)
    }
}

#[test]
fn vfs_open_tmpfile() {
    let opts = Options {
        dev: 9,
        size: 16 << 20,
        nr_inodes: 100,
        mode: 0o1777,
    };
    let vfs = Vfs::new(
        Tmpfs::new(opts, Arc::new(HostClock), test_frames()).expect("tmpfs"),
        false,
    );
    let vfs = vfs.expect("vfs");
    let r = &vfs.root();
    let cred = &Credentials::ROOT;
    vfs.mkdir(cred, r, r, b"dir", 0o755).expect("mkdir");
    let open = |p: &[u8], f: OpenFlags| vfs.open(cred, r, r, p, f, 0o640, &NoDevices);
    let tmp = OpenFlags::O_TMPFILE;
    for bad in [tmp, tmp | OpenFlags::O_RDWR | OpenFlags::O_CREAT] {
        assert_eq!(open(b"dir", bad).err(), Some(Errno::EINVAL));
    }
    assert_eq!(
        open(b"nope", tmp | OpenFlags::O_RDWR).err(),
        Some(Errno::ENOENT)
    );
    let f = open(b"dir", tmp | OpenFlags::O_RDWR).expect("O_TMPFILE");
    let st = f.stat().expect("stat");
    assert_eq!((st.mode, st.nlink), (0o100640, 0));
    assert_eq!(
        open(b"dir/x", tmp | OpenFlags::O_RDWR).err(),
        Some(Errno::ENOENT)
    );
    let p = f.path().expect("path");
    let name = format!("/dir/#{}", st.ino);
    assert_eq!(p.to_bytes(r), name.as_bytes());
    assert!(p.dentry.is_deleted());
    assert_eq!(f.cred(), Some(cred));
    assert_eq!(f.write(b"hello"), Ok(5));
    vfs.link(cred, r, p, r, b"dir/named").expect("link");
    let named = vfs.lookup(cred, r, r, b"dir/named", LookupFlags::empty());
    assert_eq!(named.expect("named").inode().stat().expect("stat").size, 5);
    assert_eq!(f.stat().expect("stat").nlink, 1);
    let excl = open(b"dir", tmp | OpenFlags::O_WRONLY | OpenFlags::O_EXCL).expect("excl");
    assert!(!excl.flags().contains(OpenFlags::O_EXCL));
    let ep = excl.path().expect("path");
    assert_eq!(vfs.link(cred, r, ep, r, b"dir/e"), Err(Errno::ENOENT));
}

/// Returns a frame allocator over 64 MiB of RAM for the test's tmpfs.
fn test_frames() -> std::sync::Arc<mm::FrameAllocator> {
    let ram = arch::PhysMem::new(64 << 20).expect("guest RAM");
    mm::FrameAllocator::new(std::sync::Arc::new(ram), 0)
}
