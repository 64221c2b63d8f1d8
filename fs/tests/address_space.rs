//! The VFS sends regular-file reads, writes, truncation and sync(2) through
//! the page cache attached to an inode (`fs::address_space`), and straight to
//! the inode when none is attached; fallocate(2) and lseek's SEEK_DATA tell
//! the cache what they changed or write it back first.

use arch::{Errno, Result};
use fs::address_space::{self, AddressSpace, InodeKey};
use fs::tmpfs::{Options, Tmpfs};
use fs::{CharDevices, FallocMode, FileOps, HostClock, Inode, OpenFlags, SetAttr, Vfs};
use std::sync::{Arc, Mutex, MutexGuard};

/// The attached caches are global and `sync` writes back every one of them:
/// the tests here run one at a time.
fn serial() -> MutexGuard<'static, ()> {
    static SERIAL: Mutex<()> = Mutex::new(());
    SERIAL.lock().unwrap_or_else(|e| e.into_inner())
}

struct NoDevices;
impl CharDevices for NoDevices {
    fn open(&self, _rdev: u64, _flags: OpenFlags) -> Result<Arc<dyn FileOps>> {
        Err(Errno::ENXIO)
    }
}

/// A cache that records what it is asked and passes data to the inode.
struct Recorder {
    inode: Arc<dyn Inode>,
    calls: Mutex<Vec<String>>,
}

impl Recorder {
    fn note(&self, call: String) {
        self.calls.lock().expect("calls").push(call);
    }

    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.calls.lock().expect("calls"))
    }
}

impl AddressSpace for Recorder {
    fn read(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        self.note(format!("read {offset} {}", buf.len()));
        self.inode.read_at(offset, buf)
    }

    fn write(&self, offset: u64, data: &[u8]) -> Result<usize> {
        self.note(format!("write {offset} {}", data.len()));
        self.inode.write_at(offset, data)
    }

    fn resize(&self, old: u64, new: u64) {
        self.note(format!("resize {old} {new}"));
    }

    fn invalidate_range(&self, start: u64, end: u64) {
        self.note(format!("invalidate {start} {end}"));
    }

    fn invalidate_from(&self, offset: u64) {
        self.note(format!("invalidate from {offset}"));
    }

    fn write_back(&self) -> Result<()> {
        self.note("write_back".into());
        Ok(())
    }
}

#[test]
fn file_io_goes_through_an_attached_cache() {
    let _serial = serial();
    let opts = Options {
        dev: 0x77,
        size: 1 << 20,
        nr_inodes: 10,
        mode: 0o1777,
    };
    let vfs = Vfs::new(
        Tmpfs::new(opts, Arc::new(HostClock), test_frames()).expect("tmpfs"),
        false,
    )
    .expect("vfs");
    let root = vfs.root();
    let cred = fs::Credentials::ROOT;
    let open = |flags: OpenFlags| {
        vfs.open(&cred, &root, &root, b"f", flags, 0o644, &NoDevices)
            .expect("open")
    };
    let f = open(OpenFlags::O_RDWR | OpenFlags::O_CREAT);
    assert_eq!(f.write(b"hello, cache"), Ok(12));
    let inode = f.inode().expect("inode").clone();
    let rec = Arc::new(Recorder {
        inode: inode.clone(),
        calls: Mutex::default(),
    });
    let key = InodeKey::of(inode.as_ref()).expect("key");
    let space = address_space::find_or_attach(inode.as_ref(), key, || rec.clone());
    assert!(Arc::ptr_eq(&space, &(rec.clone() as Arc<dyn AddressSpace>)));

    let mut buf = [0u8; 5];
    assert_eq!(f.pread(&mut buf, 7), Ok(5));
    assert_eq!(&buf, b"cache");
    assert_eq!(f.pwrite(b"CACHE", 7), Ok(5));
    assert_eq!(rec.take(), ["read 7 5", "write 7 5"]);
    let path = f.path().expect("path").clone();
    let shrink = SetAttr {
        size: Some(5),
        ..SetAttr::default()
    };
    vfs.setattr(&path, &shrink).expect("truncate");
    assert_eq!(rec.take(), ["resize 12 5"]);
    drop(open(OpenFlags::O_WRONLY | OpenFlags::O_TRUNC));
    assert_eq!(rec.take(), ["resize 5 0"]);
    vfs.sync().expect("sync");
    assert_eq!(rec.take(), ["write_back"]);

    address_space::detach(inode.as_ref(), rec.as_ref());
    assert_eq!(f.write(b"direct"), Ok(6));
    assert!(rec.take().is_empty(), "a detached cache is left alone");
    assert!(address_space::find(inode.as_ref()).is_none());
}

#[test]
fn fallocate_and_seek_data_keep_an_attached_cache_in_step() {
    let _serial = serial();
    let opts = Options {
        dev: 0x78,
        size: 1 << 20,
        nr_inodes: 10,
        mode: 0o1777,
    };
    let vfs = Vfs::new(
        Tmpfs::new(opts, Arc::new(HostClock), test_frames()).expect("tmpfs"),
        false,
    )
    .expect("vfs");
    let root = vfs.root();
    let flags = OpenFlags::O_RDWR | OpenFlags::O_CREAT;
    let f = vfs
        .open(
            &fs::Credentials::ROOT,
            &root,
            &root,
            b"g",
            flags,
            0o644,
            &NoDevices,
        )
        .expect("open");
    assert_eq!(f.write(&[7; 10000]), Ok(10000));
    let inode = f.inode().expect("inode").clone();
    let rec = Arc::new(Recorder {
        inode: inode.clone(),
        calls: Mutex::default(),
    });
    let key = InodeKey::of(inode.as_ref()).expect("key");
    address_space::find_or_attach(inode.as_ref(), key, || rec.clone());

    f.fallocate(FallocMode::PunchHole, 100, 5000)
        .expect("punch");
    assert_eq!(rec.take(), ["invalidate 100 5100"]);
    f.fallocate(FallocMode::Allocate { keep_size: false }, 0, 20000)
        .expect("allocate");
    assert_eq!(rec.take(), ["resize 10000 20000"]);
    f.fallocate(FallocMode::Allocate { keep_size: true }, 0, 30000)
        .expect("keep size");
    assert!(rec.take().is_empty());
    let zero = FallocMode::ZeroRange { keep_size: false };
    assert_eq!(f.fallocate(zero, 0, 10), Err(Errno::EOPNOTSUPP));
    assert!(rec.take().is_empty(), "an unsupported mode changes nothing");
    assert_eq!(f.lseek(0, fs::SEEK_DATA), Ok(0));
    assert_eq!(rec.take(), ["write_back"]);
    address_space::detach(inode.as_ref(), rec.as_ref());
}

/// Returns a frame allocator over 64 MiB of RAM for the test's tmpfs.
fn test_frames() -> std::sync::Arc<mm::FrameAllocator> {
    let ram = arch::PhysMem::new(64 << 20).expect("guest RAM");
    mm::FrameAllocator::new(std::sync::Arc::new(ram), 0)
}
