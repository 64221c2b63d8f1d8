//! Shared test fixture: a staging directory built with std::fs, turned into an ext4
//! image by `mkfs.ext4 -d` (e2fsprogs), loaded into a `RamDisk` and mounted.
#![allow(dead_code)]

pub mod rw;
pub mod tmpfs;

use fs::ext4::Ext4;
use fs::{BlockDevice, RamDisk};
use std::io::{Seek, SeekFrom, Write};
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

pub const MANY: usize = 3000;
pub const BIG_LEN: usize = 5 * 1024 * 1024 + 123;
pub const SLOW_TARGET: &str =
    "a/b/c/d/this_is_a_rather_long_file_name_so_that_the_symlink_target_exceeds_60.txt";

/// Returns byte `i` of the big file's pattern.
pub fn pattern(i: usize) -> u8 {
    (i.wrapping_mul(7) ^ (i >> 12)) as u8
}

/// A temporary directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(tag: &str) -> TempDir {
        static N: AtomicU32 = AtomicU32::new(0);
        let n = N.fetch_add(1, Ordering::Relaxed);
        // The time too: a run killed while mounted leaves its loop mount
        // behind, and a later run with the same pid must not meet it.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        let p = std::env::temp_dir().join(format!("fs-test-{}-{t}-{tag}-{n}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("create temp dir");
        TempDir(p)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Fills `dir` with the test tree.
pub fn populate(dir: &Path) {
    let w = |p: &str, data: &[u8]| std::fs::write(dir.join(p), data).expect("write");
    w("small.txt", b"hello, ext4\n");
    w("empty", b"");
    std::fs::hard_link(dir.join("small.txt"), dir.join("hardlink.txt")).expect("link");
    let big: Vec<u8> = (0..BIG_LEN).map(pattern).collect();
    w("big.bin", &big);
    // Sparse: 24 separate data runs, more than the 4 extents i_block holds.
    let mut f = std::fs::File::create(dir.join("sparse.bin")).expect("create");
    for i in 0..24u64 {
        f.seek(SeekFrom::Start(i * 65536 + 1000)).expect("seek");
        f.write_all(&[i as u8 + 1; 3000]).expect("write");
    }
    f.set_len(24 * 65536 + 50000).expect("set_len");
    drop(f);
    std::fs::create_dir_all(dir.join("a/b/c/d")).expect("mkdir");
    w("a/b/c/d/deep.txt", b"deep\n");
    w(SLOW_TARGET, b"long name\n");
    std::fs::create_dir(dir.join("many")).expect("mkdir");
    for i in 0..MANY {
        w(
            &format!("many/entry_with_a_longish_name_{i:05}"),
            format!("{i}\n").as_bytes(),
        );
    }
    symlink("small.txt", dir.join("fast_link")).expect("symlink");
    symlink(SLOW_TARGET, dir.join("slow_link")).expect("symlink");
    symlink("a/b", dir.join("dir_link")).expect("symlink");
    symlink("/a/b/c", dir.join("abs_link")).expect("symlink");
    symlink("../../small.txt", dir.join("a/b/up_link")).expect("symlink");
    symlink("loop2", dir.join("loop1")).expect("symlink");
    symlink("loop1", dir.join("loop2")).expect("symlink");
    symlink("nowhere", dir.join("dangling")).expect("symlink");
}

/// Returns the mkfs.ext4 binary.
fn mkfs() -> &'static str {
    if Path::new("/usr/sbin/mkfs.ext4").exists() {
        "/usr/sbin/mkfs.ext4"
    } else {
        "mkfs.ext4"
    }
}

/// Makes an image of `staging` with the given block size; returns its bytes.
pub fn make_image(staging: &Path, block_size: u32, size: &str) -> Vec<u8> {
    let tmp = TempDir::new("img");
    let img = tmp.0.join("fs.img");
    let out = Command::new(mkfs())
        .args(["-q", "-F", "-b", &block_size.to_string(), "-d"])
        .arg(staging)
        .arg(&img)
        .arg(size)
        .output()
        .expect("run mkfs.ext4");
    assert!(
        out.status.success(),
        "mkfs.ext4 failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    // mkfs -d writes linear directories; e2fsck -D rebuilds large ones as htrees.
    let fsck = Path::new(mkfs()).with_file_name("e2fsck");
    let out = Command::new(fsck)
        .args(["-f", "-y", "-D"])
        .arg(&img)
        .output()
        .expect("run e2fsck");
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "e2fsck -D: {out:?}"
    );
    std::fs::read(&img).expect("read image")
}

/// A mounted test image with its staging directory.
pub struct Fixture {
    pub staging: TempDir,
    pub image: Vec<u8>,
    pub fs: Arc<Ext4>,
}

impl Fixture {
    pub fn new(block_size: u32) -> Fixture {
        let staging = TempDir::new("stage");
        populate(&staging.0);
        let image = make_image(&staging.0, block_size, "64M");
        let fs = mount(image.clone()).expect("mount");
        Fixture { staging, image, fs }
    }
}

/// Mounts an image held in memory.
pub fn mount(image: Vec<u8>) -> arch::Result<Arc<Ext4>> {
    let dev: Arc<dyn BlockDevice> = Arc::new(RamDisk::new(image, true));
    Ext4::mount(dev, 0x801, true)
}
