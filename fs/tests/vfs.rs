//! Path walking, open(2) rules, File (getdents64, lseek) and FdTable on an ext4
//! image made by mkfs.ext4.

mod common;

use arch::Errno;
use common::{Fixture, MANY};
use fs::{CharDevices, FdTable, File, FileOps, FileType, LookupFlags, OpenFlags, Path, Vfs};
use std::sync::Arc;

const F: LookupFlags = LookupFlags::FOLLOW;
const N: LookupFlags = LookupFlags::empty();

struct NoDevices;
impl CharDevices for NoDevices {
    fn open(&self, _rdev: u64, _flags: OpenFlags) -> arch::Result<Arc<dyn FileOps>> {
        Err(Errno::ENXIO)
    }
}

fn setup() -> (Fixture, Arc<Vfs>, Path) {
    let fx = Fixture::new(4096);
    let vfs = Vfs::new(fx.fs.clone(), true).expect("vfs");
    let root = vfs.root();
    (fx, vfs, root)
}

fn ino(p: &Path) -> u64 {
    p.inode().stat().expect("stat").ino
}

#[test]
fn path_walk() {
    let (_fx, vfs, root) = setup();
    let l = |cwd: &Path, p: &[u8], f| vfs.lookup(&fs::Credentials::ROOT, &root, cwd, p, f);
    let small = l(&root, b"/small.txt", N).expect("small");
    assert_eq!(small.inode().file_type(), FileType::Regular);
    assert_eq!(small.to_bytes(&root), b"/small.txt");
    // The dentry cache returns the same dentry.
    assert!(l(&root, b"small.txt", N).expect("again").same(&small));
    let c = l(&root, b"a/b/c", F).expect("a/b/c");
    assert_eq!(c.to_bytes(&root), b"/a/b/c");
    assert!(l(&c, b"../../..", F).expect("up").same(&root));
    assert!(l(&root, b"/../..", F).expect("root..").same(&root));
    assert!(l(&c, b"./d/../../c/./d/..//", F).expect("dots").same(&c));
    // ".." at a task root that is not "/" stays there.
    let chroot = l(&root, b"a", F).expect("a");
    assert!(vfs
        .lookup(&fs::Credentials::ROOT, &chroot, &chroot, b"../..", F)
        .expect("jail")
        .same(&chroot));
    assert_eq!(
        vfs.lookup(&fs::Credentials::ROOT, &chroot, &chroot, b"/b/c", F)
            .expect("abs in jail")
            .to_bytes(&chroot),
        b"/b/c"
    );
    // Symlinks: final followed only with FOLLOW; intermediate always.
    let fast = l(&root, b"fast_link", N).expect("fast");
    assert_eq!(fast.inode().file_type(), FileType::Symlink);
    assert_eq!(
        ino(&l(&root, b"fast_link", F).expect("follow")),
        ino(&small)
    );
    assert_eq!(
        ino(&l(&root, b"slow_link", F).expect("slow")),
        ino(&l(&root, common::SLOW_TARGET.as_bytes(), N).expect("t"))
    );
    assert!(l(&root, b"dir_link/c", N).expect("intermediate").same(&c));
    assert!(l(&root, b"abs_link", F).expect("absolute").same(&c));
    assert_eq!(
        ino(&l(&root, b"a/b/up_link", F).expect("relative up")),
        ino(&small)
    );
    assert!(
        l(&root, b"dir_link/", N)
            .expect("trailing slash follows")
            .inode()
            .file_type()
            == FileType::Directory
    );
    // Errors.
    assert_eq!(l(&root, b"", F).err(), Some(Errno::ENOENT));
    assert_eq!(l(&root, b"missing/x", F).err(), Some(Errno::ENOENT));
    assert_eq!(l(&root, b"dangling", F).err(), Some(Errno::ENOENT));
    assert!(l(&root, b"dangling", N).is_ok());
    assert_eq!(l(&root, b"loop1", F).err(), Some(Errno::ELOOP));
    assert_eq!(l(&root, b"loop1/x", N).err(), Some(Errno::ELOOP));
    assert_eq!(l(&root, b"small.txt/x", F).err(), Some(Errno::ENOTDIR));
    assert_eq!(l(&root, b"small.txt/", F).err(), Some(Errno::ENOTDIR));
    assert_eq!(l(&root, b"fast_link/", N).err(), Some(Errno::ENOTDIR));
    assert_eq!(
        l(&root, b"small.txt", F | LookupFlags::DIRECTORY).err(),
        Some(Errno::ENOTDIR)
    );
    assert_eq!(l(&root, &[b'x'; 256], F).err(), Some(Errno::ENAMETOOLONG));
    assert_eq!(l(&root, &[b'x'; 255], F).err(), Some(Errno::ENOENT));
    let long: Vec<u8> = b"./".repeat(2048);
    assert_eq!(l(&root, &long, F).err(), Some(Errno::ENAMETOOLONG));
    assert!(l(&root, &long[..4094], F).expect("4094 bytes").same(&root));
    // lookup_parent.
    let (dir, name) = vfs
        .lookup_parent(&fs::Credentials::ROOT, &root, &root, b"dir_link/c/new//")
        .expect("parent");
    assert!(dir.same(&c));
    assert_eq!(name, b"new");
    let (dir, name) = vfs
        .lookup_parent(&fs::Credentials::ROOT, &root, &c, b"x")
        .expect("relative parent");
    assert!(dir.same(&c) && name == b"x");
    assert_eq!(
        vfs.lookup_parent(&fs::Credentials::ROOT, &root, &root, b"missing/x")
            .err(),
        Some(Errno::ENOENT)
    );
}

#[test]
fn mounts_are_crossed_both_ways() {
    let (fx, vfs, root) = setup();
    let second = common::mount(fx.image.clone()).expect("second mount");
    let at = vfs
        .lookup(&fs::Credentials::ROOT, &root, &root, b"a/b", F)
        .expect("a/b");
    vfs.mount(&at, second, true).expect("mount");
    let inside = vfs
        .lookup(&fs::Credentials::ROOT, &root, &root, b"a/b/small.txt", F)
        .expect("through mount");
    assert_eq!(inside.to_bytes(&root), b"/a/b/small.txt");
    assert!(!Arc::ptr_eq(&inside.mnt, &root.mnt));
    assert_eq!(
        vfs.lookup(&fs::Credentials::ROOT, &root, &root, b"a/b/c", F)
            .err(),
        Some(Errno::ENOENT)
    );
    let mnt_root = vfs
        .lookup(&fs::Credentials::ROOT, &root, &root, b"/a/b", F)
        .expect("mount root");
    assert!(Arc::ptr_eq(&mnt_root.mnt, &inside.mnt));
    let back = vfs
        .lookup(&fs::Credentials::ROOT, &root, &mnt_root, b"../b/../..", F)
        .expect("back up");
    assert!(back.same(&root));
    assert_eq!(mnt_root.to_bytes(&root), b"/a/b");
    assert_eq!(vfs.mounts().len(), 2);
}

#[test]
fn open_rules_and_file_io() {
    let (_fx, vfs, root) = setup();
    let open = |p: &[u8], f: OpenFlags| {
        vfs.open(
            &fs::Credentials::ROOT,
            &root,
            &root,
            p,
            f,
            0o644,
            &NoDevices,
        )
    };
    let f = open(b"small.txt", OpenFlags::empty()).expect("open");
    let mut buf = [0u8; 64];
    assert_eq!(f.read(&mut buf[..5]), Ok(5));
    assert_eq!(f.read(&mut buf), Ok(7));
    assert_eq!(&buf[..7], b", ext4\n");
    assert_eq!(f.read(&mut buf), Ok(0));
    assert_eq!(f.pread(&mut buf[..5], 0), Ok(5));
    assert_eq!(&buf[..5], b"hello");
    assert_eq!(f.write(b"x"), Err(Errno::EBADF));
    assert_eq!(f.lseek(-2, fs::SEEK_END), Ok(10));
    assert_eq!(f.lseek(1, fs::SEEK_CUR), Ok(11));
    assert_eq!(f.lseek(-20, fs::SEEK_CUR), Err(Errno::EINVAL));
    assert_eq!(f.lseek(3, fs::SEEK_DATA), Ok(3));
    assert_eq!(f.lseek(3, fs::SEEK_HOLE), Ok(12));
    assert_eq!(f.lseek(12, fs::SEEK_DATA), Err(Errno::ENXIO));
    assert_eq!(f.stat().expect("fstat").size, 12);
    assert_eq!(f.getdents64(&mut buf), Err(Errno::ENOTDIR));
    // open(2) errors on a read-only mount.
    assert_eq!(
        open(b"small.txt", OpenFlags::O_WRONLY).err(),
        Some(Errno::EROFS)
    );
    assert_eq!(
        open(b"small.txt", OpenFlags::O_RDWR | OpenFlags::O_CREAT).err(),
        Some(Errno::EROFS)
    );
    assert_eq!(
        open(b"newfile", OpenFlags::O_WRONLY | OpenFlags::O_CREAT).err(),
        Some(Errno::EROFS)
    );
    assert_eq!(
        open(b"missing/newfile", OpenFlags::O_CREAT).err(),
        Some(Errno::ENOENT)
    );
    assert_eq!(
        open(b"small.txt", OpenFlags::O_CREAT | OpenFlags::O_EXCL).err(),
        Some(Errno::EEXIST)
    );
    assert!(open(b"small.txt", OpenFlags::O_CREAT).is_ok());
    assert_eq!(
        open(b"small.txt", OpenFlags::O_DIRECTORY).err(),
        Some(Errno::ENOTDIR)
    );
    assert_eq!(open(b"a", OpenFlags::O_WRONLY).err(), Some(Errno::EISDIR));
    assert_eq!(
        open(b"fast_link", OpenFlags::O_NOFOLLOW).err(),
        Some(Errno::ELOOP)
    );
    assert!(open(b"fast_link", OpenFlags::empty()).is_ok());
    assert_eq!(
        open(b"missing", OpenFlags::empty()).err(),
        Some(Errno::ENOENT)
    );
    let p = open(b"fast_link", OpenFlags::O_PATH | OpenFlags::O_NOFOLLOW).expect("O_PATH");
    assert_eq!(p.read(&mut buf), Err(Errno::EBADF));
    assert_eq!(p.stat().expect("stat").mode & 0o170000, 0o120000);
    let d = open(b"a", OpenFlags::O_DIRECTORY).expect("dir");
    assert_eq!(d.read(&mut buf), Err(Errno::EISDIR));
}

/// Decodes linux_dirent64 records, checking their layout.
fn parse_dirents(buf: &[u8]) -> Vec<(u64, i64, u8, Vec<u8>)> {
    let mut out = Vec::new();
    let mut off = 0;
    while off < buf.len() {
        let r = &buf[off..];
        let reclen = u16::from_le_bytes([r[16], r[17]]) as usize;
        assert_eq!(reclen % 8, 0);
        let name_end = r[19..reclen].iter().position(|&c| c == 0).expect("NUL") + 19;
        assert!(reclen - (name_end - 19) - 19 <= 8 + 1);
        out.push((
            u64::from_le_bytes(r[0..8].try_into().expect("8")),
            i64::from_le_bytes(r[8..16].try_into().expect("8")),
            r[18],
            r[19..name_end].to_vec(),
        ));
        off += reclen;
    }
    out
}

#[test]
fn getdents64_records() {
    let (_fx, vfs, root) = setup();
    let d = vfs
        .open(
            &fs::Credentials::ROOT,
            &root,
            &root,
            b"many",
            OpenFlags::O_DIRECTORY,
            0,
            &NoDevices,
        )
        .expect("open");
    let mut tiny = [0u8; 20];
    assert_eq!(d.getdents64(&mut tiny), Err(Errno::EINVAL));
    let mut all = Vec::new();
    let mut buf = vec![0u8; 1000];
    loop {
        let n = d.getdents64(&mut buf).expect("getdents64");
        if n == 0 {
            break;
        }
        all.extend(parse_dirents(&buf[..n]));
    }
    assert_eq!(all.len(), MANY + 2);
    let dot = all.iter().find(|e| e.3 == b".").expect(".");
    assert_eq!(dot.2, 4); // DT_DIR
    assert_eq!(dot.0, d.stat().expect("stat").ino);
    assert!(all
        .iter()
        .filter(|e| e.3 != b"." && e.3 != b"..")
        .all(|e| e.2 == 8));
    // Seeking to a d_off resumes right after that entry.
    let (_, off, _, _) = all[100].clone();
    assert_eq!(d.lseek(off, fs::SEEK_SET), Ok(off as u64));
    let n = d.getdents64(&mut buf).expect("getdents64");
    assert_eq!(parse_dirents(&buf[..n])[0].3, all[101].3);
    // Record layout of one known entry.
    let f = vfs
        .open(
            &fs::Credentials::ROOT,
            &root,
            &root,
            b"a/b/c/d",
            OpenFlags::O_DIRECTORY,
            0,
            &NoDevices,
        )
        .expect("open");
    let n = f.getdents64(&mut buf).expect("getdents64");
    let recs = parse_dirents(&buf[..n]);
    let deep = recs.iter().find(|e| e.3 == b"deep.txt").expect("deep.txt");
    assert_eq!(deep.2, 8);
    let start = {
        let mut off = 0;
        for r in &recs {
            if r.3 == b"deep.txt" {
                break;
            }
            off += (19 + r.3.len() + 1).next_multiple_of(8);
        }
        off
    };
    assert_eq!(u16::from_le_bytes([buf[start + 16], buf[start + 17]]), 32);
    assert_eq!(&buf[start + 19..start + 28], b"deep.txt\0");
}

#[test]
fn fd_table() {
    let (_fx, vfs, root) = setup();
    let f = vfs
        .open(
            &fs::Credentials::ROOT,
            &root,
            &root,
            b"small.txt",
            OpenFlags::empty(),
            0,
            &NoDevices,
        )
        .expect("open");
    let mut t = FdTable::new();
    assert_eq!(t.alloc(f.clone(), false, 1024), Ok(0));
    assert_eq!(t.alloc(f.clone(), true, 1024), Ok(1));
    assert_eq!(t.alloc(f.clone(), false, 1024), Ok(2));
    assert_eq!(t.close(1), Ok(()));
    assert_eq!(t.close(1), Err(Errno::EBADF));
    assert_eq!(t.alloc(f.clone(), false, 1024), Ok(1));
    assert_eq!(t.alloc_from(10, f.clone(), true, 1024), Ok(10));
    assert_eq!(t.alloc_from(5, f.clone(), false, 1024), Ok(5));
    assert_eq!(t.install(1, f.clone(), true, 1024), Ok(()));
    assert_eq!(t.cloexec(1), Ok(true));
    assert_eq!(t.install(1024, f.clone(), false, 1024), Err(Errno::EBADF));
    assert_eq!(t.get(-1).err(), Some(Errno::EBADF));
    assert_eq!(t.get(3).err(), Some(Errno::EBADF));
    let forked = t.clone();
    t.set_cloexec(5, true).expect("set");
    t.close_on_exec();
    assert_eq!(t.fds(), vec![0, 2]);
    assert_eq!(forked.fds(), vec![0, 1, 2, 5, 10]);
    // Shared offset between descriptors of one open file.
    let mut buf = [0u8; 5];
    t.get(0).expect("0").read(&mut buf).expect("read");
    assert_eq!(t.get(2).expect("2").lseek(0, fs::SEEK_CUR), Ok(5));
    // EMFILE at the limit.
    let mut full = FdTable::new();
    for i in 0..64 {
        assert_eq!(full.alloc(f.clone(), false, 64), Ok(i));
    }
    assert_eq!(full.alloc(f.clone(), false, 64), Err(Errno::EMFILE));
    assert_eq!(
        full.alloc_from(64, f.clone(), false, 64),
        Err(Errno::EINVAL)
    );
    assert_eq!(full.install(64, f.clone(), false, 64), Err(Errno::EBADF));
    // A raised limit lets the table grow; a lowered one keeps what is open.
    assert_eq!(full.alloc(f.clone(), false, 128), Ok(64));
    assert!(full.get(64).is_ok());
    let _ = File::new(None, f.ops().clone(), OpenFlags::empty());
}
