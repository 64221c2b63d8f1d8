//! A tmpfs for tests, with a clock that moves only when the test says so.

use fs::tmpfs::{Options, Tmpfs};
use fs::{Clock, FileSystem, Inode, Timespec};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

/// A clock that moves only when told.
pub struct TestClock(pub AtomicI64);

impl Clock for TestClock {
    fn now(&self) -> Timespec {
        Timespec {
            sec: self.0.load(Ordering::Relaxed),
            nsec: 0,
        }
    }
}

/// Returns a new tmpfs of `size` bytes and `nr_inodes` inodes, its root, and
/// its clock (at second 1000).
pub fn mount(size: u64, nr_inodes: u64) -> (Arc<Tmpfs>, Arc<dyn Inode>, Arc<TestClock>) {
    let clock = Arc::new(TestClock(AtomicI64::new(1000)));
    let opts = Options {
        dev: 0x15,
        size,
        nr_inodes,
        mode: 0o1777,
    };
    let fs = Tmpfs::new(opts, clock.clone(), test_frames()).expect("tmpfs");
    let root = fs.root().expect("root");
    (fs, root, clock)
}

/// Returns the link count of `i`.
pub fn nlink(i: &Arc<dyn Inode>) -> u32 {
    i.stat().expect("stat").nlink
}

/// Returns a frame allocator over 64 MiB of RAM for the test's tmpfs.
fn test_frames() -> std::sync::Arc<mm::FrameAllocator> {
    let ram = arch::PhysMem::new(64 << 20).expect("guest RAM");
    mm::FrameAllocator::new(std::sync::Arc::new(ram), 0)
}
