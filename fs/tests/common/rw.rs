//! Fixtures for the write tests: a `BlockDevice` over a host image file, fresh
//! images made by `mkfs.ext4` with its default (4 KiB or 1 KiB) layout, and
//! the e2fsprogs oracles: `e2fsck -fn` must find nothing, `debugfs` reads back.

use fs::ext4::Ext4;
use fs::{BlockDevice, FileSystem, Inode};
use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

/// A block device backed by a host file.
pub struct FileDisk {
    file: File,
    size: u64,
}

impl FileDisk {
    pub fn open(path: &Path) -> Arc<FileDisk> {
        let file = OpenOptions::new()
            .read(true)
            .write(true)
            .open(path)
            .expect("open image");
        let size = file.metadata().expect("stat image").len();
        Arc::new(FileDisk { file, size })
    }
}

impl BlockDevice for FileDisk {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> arch::Result<()> {
        if offset + buf.len() as u64 > self.size {
            return Err(arch::Errno::EIO);
        }
        self.file
            .read_exact_at(buf, offset)
            .map_err(|_| arch::Errno::EIO)
    }
    fn write_at(&self, offset: u64, data: &[u8]) -> arch::Result<()> {
        if offset + data.len() as u64 > self.size {
            return Err(arch::Errno::EIO);
        }
        self.file
            .write_all_at(data, offset)
            .map_err(|_| arch::Errno::EIO)
    }
    fn size(&self) -> u64 {
        self.size
    }
    fn flush(&self) -> arch::Result<()> {
        Ok(())
    }
    fn read_only(&self) -> bool {
        false
    }
}

/// Returns the path of an e2fsprogs tool.
pub fn tool(name: &str) -> PathBuf {
    let p = Path::new("/usr/sbin").join(name);
    if p.exists() {
        p
    } else {
        PathBuf::from(name)
    }
}

/// Makes a fresh image `size` big (mkfs.ext4's defaults, or `-b bs` when
/// given, and extra arguments) in `dir`; with `staging`, its contents.
pub fn mkfs(dir: &Path, size: &str, args: &[&str], staging: Option<&Path>) -> PathBuf {
    let img = dir.join("rw.img");
    let mut cmd = Command::new(tool("mkfs.ext4"));
    cmd.args(["-q", "-F"]).args(args);
    if let Some(s) = staging {
        cmd.arg("-d").arg(s);
    }
    let out = cmd.arg(&img).arg(size).output().expect("run mkfs.ext4");
    assert!(out.status.success(), "mkfs.ext4: {out:?}");
    img
}

/// Mounts the image at `path` read-write.
pub fn mount_rw(path: &Path) -> Arc<Ext4> {
    Ext4::mount(FileDisk::open(path), 0x801, false).expect("mount rw")
}

/// Runs `e2fsck -fn` on the image and panics with its report unless clean.
pub fn fsck_clean(path: &Path) -> String {
    let out = Command::new(tool("e2fsck"))
        .arg("-fn")
        .arg(path)
        .output()
        .expect("run e2fsck");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        out.status.code(),
        Some(0),
        "e2fsck -fn found problems:\n{text}"
    );
    text
}

/// Runs one debugfs request on the image and returns its output.
pub fn debugfs(path: &Path, request: &str) -> Vec<u8> {
    let out = Command::new(tool("debugfs"))
        .arg("-R")
        .arg(request)
        .arg(path)
        .output()
        .expect("run debugfs");
    assert!(out.status.success(), "debugfs {request}: {out:?}");
    out.stdout
}

/// Returns the inode at `path` (slash-separated, from the root).
pub fn walk(fs: &Arc<Ext4>, path: &str) -> arch::Result<Arc<dyn Inode>> {
    let mut cur = fs.root()?;
    for part in path.split('/').filter(|p| !p.is_empty()) {
        cur = cur.lookup(part.as_bytes())?;
    }
    Ok(cur)
}

/// The image loop-mounted read-only on the host (unmounted on drop).
pub struct LoopMount {
    pub dir: PathBuf,
}

impl LoopMount {
    /// Mounts `img` with the host kernel's ext4 on a new directory in `tmp`.
    pub fn new(img: &Path, tmp: &Path) -> LoopMount {
        let dir = tmp.join("mnt");
        std::fs::create_dir_all(&dir).expect("mkdir mnt");
        let out = Command::new("mount")
            .args(["-t", "ext4", "-o", "loop,ro,noload"])
            .arg(img)
            .arg(&dir)
            .output()
            .expect("run mount");
        assert!(out.status.success(), "mount -o loop: {out:?}");
        LoopMount { dir }
    }
}

impl Drop for LoopMount {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg(&self.dir).status();
    }
}

/// Compares the tree under `inode` with the host's view of it at `host`:
/// names, types, modes, owners, link counts, sizes, contents, symlink
/// targets, device numbers and modification times to the nanosecond.
/// Returns how many inodes were compared.
pub fn compare_with_host(inode: &Arc<dyn Inode>, host: &Path) -> usize {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(host).expect("host stat");
    let st = inode.stat().expect("stat");
    let what = host.display();
    assert_eq!(st.ino, meta.ino(), "{what} ino");
    assert_eq!(st.mode, meta.mode(), "{what} mode");
    assert_eq!((st.uid, st.gid), (meta.uid(), meta.gid()), "{what} owner");
    assert_eq!(st.nlink as u64, meta.nlink(), "{what} nlink");
    assert_eq!(st.size, meta.size(), "{what} size");
    assert_eq!(st.blocks, meta.blocks(), "{what} blocks");
    assert_eq!(st.rdev, meta.rdev(), "{what} rdev");
    assert_eq!(
        (st.mtime.sec, st.mtime.nsec as i64),
        (meta.mtime(), meta.mtime_nsec()),
        "{what} mtime"
    );
    assert_eq!(
        (st.ctime.sec, st.ctime.nsec as i64),
        (meta.ctime(), meta.ctime_nsec()),
        "{what} ctime"
    );
    let mut n = 1;
    match inode.file_type() {
        fs::FileType::Regular => {
            let want = std::fs::read(host).expect("host read");
            let mut got = vec![0u8; want.len()];
            let mut done = 0;
            while done < got.len() {
                let k = inode.read_at(done as u64, &mut got[done..]).expect("read");
                assert!(k > 0, "{what}: short read");
                done += k;
            }
            assert!(got == want, "{what} content");
        }
        fs::FileType::Symlink => {
            let want = std::fs::read_link(host).expect("host readlink");
            assert_eq!(
                inode.readlink().expect("readlink"),
                want.as_os_str().as_bytes()
            );
        }
        fs::FileType::Directory => {
            let mut ours = Vec::new();
            inode
                .readdir(0, &mut |e| {
                    ours.push(e.name.to_vec());
                    true
                })
                .expect("readdir");
            ours.retain(|n| n != b"." && n != b"..");
            ours.sort();
            let mut theirs: Vec<Vec<u8>> = std::fs::read_dir(host)
                .expect("host readdir")
                .map(|e| e.expect("entry").file_name().as_bytes().to_vec())
                .collect();
            theirs.sort();
            assert_eq!(ours.len(), theirs.len(), "{what} entry count");
            assert!(ours == theirs, "{what} listing");
            for name in ours {
                let child = inode.lookup(&name).expect("lookup");
                n += compare_with_host(&child, &host.join(std::ffi::OsStr::from_bytes(&name)));
            }
        }
        _ => {}
    }
    n
}

/// A disk that loses power: writes fail with `EIO` (and reach nothing) once a
/// budget of successful writes is spent.
pub struct FailingDisk {
    inner: Arc<FileDisk>,
    budget: std::sync::atomic::AtomicI64,
}

impl FailingDisk {
    /// Opens the image at `path`, letting `budget` writes through (-1: all).
    pub fn open(path: &Path, budget: i64) -> Arc<FailingDisk> {
        Arc::new(FailingDisk {
            inner: FileDisk::open(path),
            budget: std::sync::atomic::AtomicI64::new(budget),
        })
    }

    /// Returns how many writes are left of the budget.
    pub fn left(&self) -> i64 {
        self.budget.load(std::sync::atomic::Ordering::Relaxed)
    }
}

impl BlockDevice for FailingDisk {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> arch::Result<()> {
        self.inner.read_at(offset, buf)
    }
    fn write_at(&self, offset: u64, data: &[u8]) -> arch::Result<()> {
        use std::sync::atomic::Ordering;
        let left = self.budget.load(Ordering::Relaxed);
        if left == 0 {
            return Err(arch::Errno::EIO);
        }
        if left > 0 {
            self.budget.store(left - 1, Ordering::Relaxed);
        }
        self.inner.write_at(offset, data)
    }
    fn size(&self) -> u64 {
        self.inner.size()
    }
    fn flush(&self) -> arch::Result<()> {
        Ok(())
    }
    fn read_only(&self) -> bool {
        false
    }
}

/// Runs e2fsck's journal replay alone (`-E journal_only`) on the image.
pub fn e2fsck_replay(path: &Path) {
    let out = Command::new(tool("e2fsck"))
        .args(["-fy", "-E", "journal_only"])
        .arg(path)
        .output()
        .expect("run e2fsck");
    assert!(
        matches!(out.status.code(), Some(0..=2)),
        "e2fsck -E journal_only: {out:?}"
    );
}
