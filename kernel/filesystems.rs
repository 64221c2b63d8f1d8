//! The filesystem types mount(2) knows (Linux's fs/filesystems.c): each makes
//! an instance from mount's source and data — a fresh tmpfs, procfs or sysfs;
//! the one devtmpfs; ext4 from a ubd disk or partition — and
//! /proc/filesystems lists them. tmpfs takes Linux's size=, nr_inodes= and
//! mode= options. hostfs mounts the host directory its data names beneath
//! the command line's `hostfs=` (UML's rule).
//!
//! A device has at most one ext4 instance (Linux's superblock per block
//! device): mounting it again shares the instance, `EBUSY` if that would
//! change whether it is read-only; and a disk and its partitions exclude each
//! other, as Linux's exclusive opens of block devices do.

use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::ext4::Ext4;
use fs::tmpfs::Tmpfs;
use fs::{FileSystem, FileType, HostClock};
use std::sync::{Arc, Weak};

/// The ext4 instances alive, by device number.
static EXT4: KernelCell<Vec<(u64, Weak<Ext4>)>> = KernelCell::new(Vec::new());

/// Records the ext4 instance on device `dev` (the root's, at boot).
pub fn register_ext4(dev: u64, fs: &Arc<Ext4>) {
    let mut all = EXT4.borrow_mut();
    all.retain(|(_, w)| w.strong_count() > 0);
    all.push((dev, Arc::downgrade(fs)));
}

/// Returns the ext4 instances alive, mounted or not (a lazily unmounted
/// one lives while its files are open), for the sync at shutdown.
pub fn ext4_instances() -> Vec<Arc<dyn FileSystem>> {
    let all = EXT4.borrow();
    all.iter()
        .filter_map(|(_, w)| w.upgrade())
        .map(|fs| fs as Arc<dyn FileSystem>)
        .collect()
}

/// Returns whether devices `a` and `b` overlap: the same, or a ubd disk and
/// one of its partitions.
fn overlap(a: u64, b: u64) -> bool {
    let disk = |d: u64| fs::minor(d) / 16;
    a == b
        || (fs::major(a) == fs::major(b)
            && disk(a) == disk(b)
            && (fs::minor(a).is_multiple_of(16) || fs::minor(b).is_multiple_of(16)))
}

/// Returns the ext4 instance of `dev`, mounting it if it has none.
fn ext4_instance(d: Arc<dyn fs::BlockDevice>, dev: u64, read_only: bool) -> Result<Arc<Ext4>> {
    let mut all = EXT4.borrow_mut();
    all.retain(|(_, w)| w.strong_count() > 0);
    for (other, w) in all.iter() {
        let Some(fs) = w.upgrade() else { continue };
        if *other == dev {
            if fs.is_read_only() != read_only {
                log::warn!(
                    "ext4: cannot mount {}:{}: would change its read-only state",
                    fs::major(dev),
                    fs::minor(dev)
                );
                return Err(Errno::EBUSY);
            }
            return Ok(fs);
        }
        if overlap(*other, dev) {
            return Err(Errno::EBUSY);
        }
    }
    let fs = Ext4::mount(d, dev, read_only)?;
    all.push((dev, Arc::downgrade(&fs)));
    Ok(fs)
}

/// The known types, and whether each needs no device ("nodev").
const TYPES: &[(&str, bool)] = &[
    ("sysfs", true),
    ("tmpfs", true),
    ("proc", true),
    ("devtmpfs", true),
    ("devpts", true),
    ("cgroup2", true),
    ("mqueue", true),
    ("ext3", false),
    ("ext2", false),
    ("ext4", false),
    ("hostfs", true),
];

/// The host directory every hostfs mount is confined to (`hostfs=`).
static HOSTFS_PREFIX: std::sync::OnceLock<std::path::PathBuf> = std::sync::OnceLock::new();

/// Records `hostfs=` (None: the host's `/`, as UML has it).
pub fn set_hostfs_prefix(dir: Option<&str>) {
    let _ = HOSTFS_PREFIX.set(dir.unwrap_or("/").into());
}

/// Returns the host directory hostfs mounts are confined to.
pub fn hostfs_prefix() -> std::path::PathBuf {
    HOSTFS_PREFIX.get().cloned().unwrap_or_else(|| "/".into())
}

/// Returns the text of /proc/filesystems.
pub fn proc_filesystems() -> String {
    TYPES
        .iter()
        .map(|(name, nodev)| format!("{}\t{name}\n", if *nodev { "nodev" } else { "" }))
        .collect()
}

/// Returns the frame allocator tmpfs file pages come from.
fn kernel_frames() -> Arc<mm::FrameAllocator> {
    crate::boot::kernel().frames.clone()
}

/// Returns the default tmpfs options: half of RAM in pages and inodes.
pub fn tmpfs_defaults(mode: u32) -> fs::tmpfs::Options {
    let mem = crate::boot::kernel().frames.total_frames() * arch::PAGE_SIZE;
    fs::tmpfs::Options {
        dev: fs::anon_dev(),
        size: mem / 2,
        nr_inodes: mem / 2 / arch::PAGE_SIZE,
        mode,
    }
}

/// Parses a number with an optional k, m, g suffix (memparse), or a
/// percentage of RAM if `percent_of` is given.
fn size_value(v: &str, percent_of: Option<u64>) -> Result<u64> {
    if let (Some(p), Some(total)) = (v.strip_suffix('%'), percent_of) {
        let p: u64 = p.parse().map_err(|_| Errno::EINVAL)?;
        return Ok(total / 100 * p);
    }
    let (digits, shift) = match v.as_bytes().last() {
        Some(b'k' | b'K') => (&v[..v.len() - 1], 10),
        Some(b'm' | b'M') => (&v[..v.len() - 1], 20),
        Some(b'g' | b'G') => (&v[..v.len() - 1], 30),
        _ => (v, 0),
    };
    let n: u64 = digits.parse().map_err(|_| Errno::EINVAL)?;
    n.checked_shl(shift)
        .filter(|r| r >> shift == n)
        .ok_or(Errno::EINVAL)
}

/// Returns tmpfs options from mount's data ("size=10m,mode=755").
fn tmpfs_options(data: &str) -> Result<fs::tmpfs::Options> {
    let mut o = tmpfs_defaults(0o1777);
    let mem = crate::boot::kernel().frames.total_frames() * arch::PAGE_SIZE;
    for opt in data.split(',').filter(|s| !s.is_empty()) {
        let (key, v) = opt.split_once('=').unwrap_or((opt, ""));
        match key {
            "size" => o.size = size_value(v, Some(mem))?,
            "nr_inodes" => o.nr_inodes = size_value(v, None)?,
            "mode" => o.mode = u32::from_str_radix(v, 8).map_err(|_| Errno::EINVAL)? & 0o7777,
            "uid" | "gid" => {
                v.parse::<u32>().map_err(|_| Errno::EINVAL)?;
            }
            _ => return Err(Errno::EINVAL),
        }
    }
    Ok(o)
}

/// Returns the disk or partition the block device node `source` stands for
/// (ext4 mounts), with its device number.
fn block_device(
    task: &crate::task::Task,
    source: &[u8],
) -> Result<(Arc<dyn fs::BlockDevice>, u64)> {
    let fsc = task.fs();
    let cred = task.process.cred.borrow().fs();
    let k = crate::boot::kernel();
    let p = k
        .vfs
        .lookup(&cred, &fsc.root, &fsc.cwd, source, fs::LookupFlags::FOLLOW)?;
    let st = p.inode().stat()?;
    if p.inode().file_type() != FileType::BlockDevice {
        return Err(Errno::ENOTBLK);
    }
    let node = k.block.find(st.rdev).ok_or(Errno::ENXIO)?;
    Ok((node.device(), node.dev()))
}

/// Makes an instance of filesystem `fstype` for mount(2); `ENODEV` for an
/// unknown type.
pub fn instance(
    task: &crate::task::Task,
    fstype: &str,
    source: &[u8],
    data: &str,
    read_only: bool,
) -> Result<Arc<dyn FileSystem>> {
    Ok(match fstype {
        "tmpfs" => Tmpfs::new(tmpfs_options(data)?, Arc::new(HostClock), kernel_frames())?,
        "proc" => crate::proc::ProcFs::new(),
        "sysfs" => crate::sysfs::new(),
        "devtmpfs" => crate::devtmpfs::instance()?,
        "devpts" => crate::devpts::DevPts::instance(),
        "cgroup2" => crate::cgroup::fs::instance(data)?,
        "mqueue" => crate::ipc::mqueue_fs::instance(),
        "hostfs" => fs::hostfs::Hostfs::mount(&hostfs_prefix(), data.as_bytes(), fs::anon_dev())?,
        "ext4" | "ext3" | "ext2" => {
            let (d, dev) = block_device(task, source)?;
            ext4_instance(d, dev, read_only)?
        }
        _ => return Err(Errno::ENODEV),
    })
}
