//! What pseudo-filesystems (procfs) rely on in the VFS: dentries dropped when
//! their inode no longer revalidates, magic links that path walk enters
//! without reading their text, a pipe reopened through one, and inodes that
//! give their open files operations of their own.

use arch::{Errno, Result};
use fs::{
    CharDevices, DirEntry, File, FileOps, FileSystem, FileType, Inode, InodeState, LookupFlags,
    OpenFlags, Path, Stat, StatFs, Vfs,
};
use std::any::Any;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

struct NoDevices;
impl CharDevices for NoDevices {
    fn open(&self, _rdev: u64, _flags: OpenFlags) -> Result<Arc<dyn FileOps>> {
        Err(Errno::ENXIO)
    }
}

/// Open-file operations that read "fake" and report a type.
struct FakeOps(u32);
impl FileOps for FakeOps {
    fn read(&self, _pos: u64, buf: &mut [u8]) -> Result<usize> {
        let n = buf.len().min(4);
        buf[..n].copy_from_slice(&b"fake"[..n]);
        Ok(n)
    }
    fn write(&self, _pos: u64, data: &[u8]) -> Result<usize> {
        Ok(data.len())
    }
    fn stat(&self) -> Result<Stat> {
        Ok(Stat {
            mode: self.0,
            ino: 7,
            ..Stat::default()
        })
    }
    fn seekable(&self) -> bool {
        false
    }
}

/// The nodes of the fake filesystem.
enum Kind {
    Root,
    /// A file valid while the generation it was made in is current.
    Gen(u64),
    /// A magic link to an open file.
    Magic,
    /// A regular file with its own open-file operations.
    Own,
}

struct Node {
    kind: Kind,
    fs: Arc<Fake>,
    vfs_state: InodeState,
}

struct Fake {
    generation: AtomicU64,
    target: Mutex<Option<Arc<File>>>,
}

impl Inode for Node {
    fn stat(&self) -> Result<Stat> {
        let ino = match self.kind {
            Kind::Root => 1,
            Kind::Gen(g) => 100 + g,
            Kind::Magic => 2,
            Kind::Own => 3,
        };
        Ok(Stat {
            ino,
            mode: self.file_type().to_mode_bits() | 0o644,
            ..Stat::default()
        })
    }
    fn file_type(&self) -> FileType {
        match self.kind {
            Kind::Root => FileType::Directory,
            Kind::Magic => FileType::Symlink,
            _ => FileType::Regular,
        }
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn inode_state(&self) -> &InodeState {
        &self.vfs_state
    }
    fn read_at(&self, _offset: u64, _buf: &mut [u8]) -> Result<usize> {
        Ok(0)
    }
    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>> {
        let kind = match name {
            b"gen" => Kind::Gen(self.fs.generation.load(Ordering::Relaxed)),
            b"magic" => Kind::Magic,
            b"own" => Kind::Own,
            _ => return Err(Errno::ENOENT),
        };
        Ok(Arc::new(Node {
            kind,
            fs: self.fs.clone(),
            vfs_state: InodeState::new(),
        }))
    }
    fn readdir(&self, pos: u64, _emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64> {
        Ok(pos)
    }
    fn readlink(&self) -> Result<Vec<u8>> {
        Ok(b"pipe:[7]".to_vec())
    }
    fn follow_link(&self) -> Option<Result<Path>> {
        let target = self.fs.target.lock().ok()?.clone()?;
        matches!(self.kind, Kind::Magic).then(|| fs::reopen_path(target))
    }
    fn open(&self, _flags: OpenFlags) -> Result<Option<Arc<dyn FileOps>>> {
        Ok(matches!(self.kind, Kind::Own).then(|| Arc::new(FakeOps(0)) as Arc<dyn FileOps>))
    }
    fn revalidate(&self) -> bool {
        match self.kind {
            Kind::Gen(g) => g == self.fs.generation.load(Ordering::Relaxed),
            _ => true,
        }
    }
}

struct FakeFs(Arc<Fake>);

impl FileSystem for FakeFs {
    fn root(&self) -> Result<Arc<dyn Inode>> {
        Ok(Arc::new(Node {
            kind: Kind::Root,
            fs: self.0.clone(),
            vfs_state: InodeState::new(),
        }))
    }
    fn name(&self) -> &'static str {
        "fake"
    }
    fn dev(&self) -> u64 {
        9
    }
    fn sync(&self) -> Result<()> {
        Ok(())
    }
    fn statfs(&self) -> StatFs {
        StatFs::default()
    }
}

fn setup() -> (Arc<Fake>, Arc<Vfs>, Path) {
    let fake = Arc::new(Fake {
        generation: AtomicU64::new(0),
        target: Mutex::new(None),
    });
    let vfs = Vfs::new(Arc::new(FakeFs(fake.clone())), false).expect("vfs");
    let root = vfs.root();
    (fake, vfs, root)
}

fn ino(vfs: &Vfs, root: &Path, path: &[u8]) -> u64 {
    let p = vfs.lookup(
        &fs::Credentials::ROOT,
        root,
        root,
        path,
        LookupFlags::empty(),
    );
    p.expect("lookup").inode().ino()
}

#[test]
fn stale_dentries_are_looked_up_again() {
    let (fake, vfs, root) = setup();
    assert_eq!(ino(&vfs, &root, b"gen"), 100);
    let d1 = vfs
        .lookup(
            &fs::Credentials::ROOT,
            &root,
            &root,
            b"gen",
            LookupFlags::empty(),
        )
        .expect("gen");
    let d2 = vfs
        .lookup(
            &fs::Credentials::ROOT,
            &root,
            &root,
            b"gen",
            LookupFlags::empty(),
        )
        .expect("gen");
    assert!(d1.same(&d2), "a valid dentry is reused");
    fake.generation.store(1, Ordering::Relaxed);
    assert_eq!(ino(&vfs, &root, b"gen"), 101);
    assert!(d1.dentry.is_deleted(), "the stale dentry is dropped");
}

#[test]
fn magic_links_reopen_pipes() {
    let (fake, vfs, root) = setup();
    let ops: Arc<dyn FileOps> = Arc::new(FakeOps(0o010600));
    let pipe = File::new(None, ops.clone(), OpenFlags::O_WRONLY);
    *fake.target.lock().expect("lock") = Some(pipe);
    let f = vfs
        .open(
            &fs::Credentials::ROOT,
            &root,
            &root,
            b"magic",
            OpenFlags::empty(),
            0,
            &NoDevices,
        )
        .expect("open through the magic link");
    assert!(Arc::ptr_eq(f.ops(), &ops), "the same pipe end");
    let mut buf = [0u8; 4];
    assert_eq!(f.read(&mut buf), Ok(4));
    assert_eq!(f.stat().map(|s| s.ino), Ok(7));
    // Not a FIFO: ENXIO, as Linux gives for sockets.
    let other = File::new(None, Arc::new(FakeOps(0o140600)), OpenFlags::O_RDWR);
    *fake.target.lock().expect("lock") = Some(other);
    let r = vfs.open(
        &fs::Credentials::ROOT,
        &root,
        &root,
        b"magic",
        OpenFlags::O_RDWR,
        0,
        &NoDevices,
    );
    assert_eq!(r.err(), Some(Errno::ENXIO));
    // Without following, the link itself.
    let l = vfs.lookup(
        &fs::Credentials::ROOT,
        &root,
        &root,
        b"magic",
        LookupFlags::empty(),
    );
    assert_eq!(
        l.expect("link").inode().readlink(),
        Ok(b"pipe:[7]".to_vec())
    );
}

#[test]
fn inodes_may_bring_their_own_file_ops() {
    let (_fake, vfs, root) = setup();
    let f = vfs
        .open(
            &fs::Credentials::ROOT,
            &root,
            &root,
            b"own",
            OpenFlags::empty(),
            0,
            &NoDevices,
        )
        .expect("open");
    assert!(f.ops_as::<FakeOps>().is_some());
    let mut buf = [0u8; 8];
    assert_eq!(f.read(&mut buf), Ok(4));
}
