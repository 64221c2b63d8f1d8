//! devtmpfs: the one tmpfs instance holding the device nodes the kernel's
//! drivers provide, as Linux's drivers/base/devtmpfs.c creates them — the
//! memory devices, the console and tty, the configured virtual consoles and
//! serial lines, kmsg, a block node per ubd disk — with
//! Linux's modes, plus the symlinks and directories udev would otherwise add
//! (fd, stdin, stdout, stderr; pts, shm). Boot mounts it on /dev; every mount
//! of type devtmpfs shows this same instance. A disk attached or removed while
//! the kernel runs gains or loses its nodes here (`add_block`,
//! `remove_block`), as Linux's devtmpfs_create_node and devtmpfs_delete_node
//! do.

use arch::Result;
use fs::tmpfs::Tmpfs;
use fs::{makedev, FileSystem, FileType, HostClock, Inode, StatFs};
use std::sync::{Arc, OnceLock};

static DEVTMPFS: OnceLock<Arc<DevTmpfs>> = OnceLock::new();

/// A tmpfs that calls itself devtmpfs in /proc/mounts.
struct DevTmpfs(Arc<Tmpfs>);

impl FileSystem for DevTmpfs {
    fn root(&self) -> Result<Arc<dyn Inode>> {
        self.0.root()
    }

    fn name(&self) -> &'static str {
        "devtmpfs"
    }

    fn dev(&self) -> u64 {
        self.0.dev()
    }

    fn sync(&self) -> Result<()> {
        Ok(())
    }

    fn statfs(&self) -> StatFs {
        self.0.statfs()
    }

    fn show_options(&self) -> String {
        self.0.show_options()
    }

    fn encode_fh(&self, inode: &dyn Inode) -> Option<fs::export::Fid> {
        self.0.encode_fh(inode)
    }

    fn fh_to_inode(&self, fid: &fs::export::Fid) -> Result<Arc<dyn Inode>> {
        self.0.fh_to_inode(fid)
    }

    fn get_parent(&self, dir: &dyn Inode) -> Result<Arc<dyn Inode>> {
        self.0.get_parent(dir)
    }
}

/// Character devices: name, major, minor, permission bits.
const CHAR_DEVICES: &[(&str, u32, u32, u32)] = &[
    ("null", 1, 3, 0o666),
    ("zero", 1, 5, 0o666),
    ("full", 1, 7, 0o666),
    ("random", 1, 8, 0o666),
    ("urandom", 1, 9, 0o666),
    ("kmsg", 1, 11, 0o644),
    ("tty", 5, 0, 0o666),
    ("console", 5, 1, 0o600),
    ("ptmx", 5, 2, 0o666),
];

/// Symlinks: name, target.
const LINKS: &[(&str, &str)] = &[
    ("fd", "/proc/self/fd"),
    ("stdin", "/proc/self/fd/0"),
    ("stdout", "/proc/self/fd/1"),
    ("stderr", "/proc/self/fd/2"),
];

/// Fills the root of a new devtmpfs.
fn populate(root: &Arc<dyn Inode>) -> Result<()> {
    let chr = FileType::CharDevice.to_mode_bits();
    for &(name, major, minor, mode) in CHAR_DEVICES {
        root.mknod(
            name.as_bytes(),
            chr | mode,
            makedev(major, minor),
            fs::Owner::ROOT,
        )?;
    }
    for (name, dev, mode, gid) in crate::boot::kernel().devices.lines.nodes() {
        root.mknod(name.as_bytes(), chr | mode, dev, fs::Owner { uid: 0, gid })?;
    }
    let blk = FileType::BlockDevice.to_mode_bits();
    for d in crate::boot::kernel().block.snapshot().all() {
        root.mknod(d.name().as_bytes(), blk | 0o660, d.dev(), fs::Owner::ROOT)?;
    }
    for &(name, target) in LINKS {
        root.symlink(name.as_bytes(), target.as_bytes(), fs::Owner::ROOT)?;
    }
    root.mkdir(b"pts", 0o755, fs::Owner::ROOT)?;
    root.mkdir(b"shm", 0o1777, fs::Owner::ROOT)?;
    Ok(())
}

/// Returns the devtmpfs instance, creating it on first use.
pub fn instance() -> Result<Arc<dyn FileSystem>> {
    if let Some(d) = DEVTMPFS.get() {
        return Ok(d.clone());
    }
    let opts = crate::filesystems::tmpfs_defaults(0o755);
    let d = Tmpfs::new(
        opts,
        Arc::new(HostClock),
        crate::boot::kernel().frames.clone(),
    )?;
    populate(&d.root()?)?;
    Ok(DEVTMPFS.get_or_init(|| Arc::new(DevTmpfs(d))).clone())
}

/// Returns the mounts of the devtmpfs instance, if it exists.
fn mounts(d: &DevTmpfs) -> Vec<Arc<fs::Mount>> {
    let dev = d.0.dev();
    let vfs = &crate::boot::kernel().vfs;
    vfs.mounts()
        .into_iter()
        .filter(|m| m.fs().dev() == dev)
        .collect()
}

/// Creates the block device node `name` for device `dev` (a disk attached
/// while the kernel runs), through a mount when there is one so that
/// inotify watchers of /dev see it.
pub fn add_block(name: &str, dev: u64) -> Result<()> {
    let Some(d) = DEVTMPFS.get() else {
        return Ok(());
    };
    let mode = FileType::BlockDevice.to_mode_bits() | 0o660;
    let cred = fs::Credentials::ROOT;
    let vfs = &crate::boot::kernel().vfs;
    match mounts(d).first() {
        Some(m) => {
            let at = fs::Path {
                mnt: m.clone(),
                dentry: m.root().clone(),
            };
            vfs.mknod(&cred, &at, &at, name.as_bytes(), mode, dev)
        }
        None => {
            d.0.root()?
                .mknod(name.as_bytes(), mode, dev, fs::Owner::ROOT)
                .map(|_| ())
        }
    }
}

/// Removes the node `name` (a disk removed while the kernel runs); a node
/// already gone is no error.
pub fn remove_block(name: &str) -> Result<()> {
    let Some(d) = DEVTMPFS.get() else {
        return Ok(());
    };
    let cred = fs::Credentials::ROOT;
    let vfs = &crate::boot::kernel().vfs;
    let all = mounts(d);
    let r = match all.first() {
        Some(m) => {
            let at = fs::Path {
                mnt: m.clone(),
                dentry: m.root().clone(),
            };
            vfs.unlink(&cred, &at, &at, name.as_bytes())
        }
        None => d.0.root()?.unlink(name.as_bytes()),
    };
    // The other mounts' cached names go too.
    for m in all.iter().skip(1) {
        m.root().forget(name.as_bytes());
    }
    match r {
        Err(arch::Errno::ENOENT) => Ok(()),
        r => r,
    }
}
