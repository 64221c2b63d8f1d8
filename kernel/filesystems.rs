//! The filesystem types mount(2) knows (Linux's fs/filesystems.c): each makes
//! an instance from mount's source and data — a fresh tmpfs, procfs or sysfs;
//! the one devtmpfs; ext4 read-only from a ubd disk — and /proc/filesystems
//! lists them. tmpfs takes Linux's size=, nr_inodes= and mode= options.

use arch::{Errno, Result};
use fs::tmpfs::Tmpfs;
use fs::{FileSystem, FileType, HostClock};
use std::sync::Arc;

/// The known types, and whether each needs no device ("nodev").
const TYPES: &[(&str, bool)] = &[
    ("sysfs", true),
    ("tmpfs", true),
    ("proc", true),
    ("devtmpfs", true),
    ("devpts", true),
    ("ext3", false),
    ("ext2", false),
    ("ext4", false),
];

/// Returns the text of /proc/filesystems.
pub fn proc_filesystems() -> String {
    TYPES
        .iter()
        .map(|(name, nodev)| format!("{}\t{name}\n", if *nodev { "nodev" } else { "" }))
        .collect()
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

/// Returns the disk the block device node `source` stands for (ext4 mounts).
fn disk(task: &crate::task::Task, source: &[u8]) -> Result<Arc<drivers::ubd::Ubd>> {
    let fsc = task.fs();
    let cred = crate::task::locked(&task.process.cred).fs();
    let k = crate::boot::kernel();
    let p = k
        .vfs
        .lookup(&cred, &fsc.root, &fsc.cwd, source, fs::LookupFlags::FOLLOW)?;
    let st = p.inode().stat()?;
    if p.inode().file_type() != FileType::BlockDevice {
        return Err(Errno::ENOTBLK);
    }
    k.disks
        .iter()
        .find(|d| d.dev() == st.rdev)
        .cloned()
        .ok_or(Errno::ENXIO)
}

/// Makes an instance of filesystem `fstype` for mount(2); `ENODEV` for an
/// unknown type. ext4 is read-only here (`EROFS` unless `read_only`).
pub fn instance(
    task: &crate::task::Task,
    fstype: &str,
    source: &[u8],
    data: &str,
    read_only: bool,
) -> Result<Arc<dyn FileSystem>> {
    Ok(match fstype {
        "tmpfs" => Tmpfs::new(tmpfs_options(data)?, Arc::new(HostClock))?,
        "proc" => crate::proc::ProcFs::new(),
        "sysfs" => crate::sysfs::new(),
        "devtmpfs" => crate::devtmpfs::instance()?,
        "devpts" => crate::devpts::DevPts::instance(),
        "ext4" | "ext3" | "ext2" => {
            let d = disk(task, source)?;
            if !read_only {
                return Err(Errno::EROFS);
            }
            let dev = d.dev();
            fs::ext4::Ext4::mount(d, dev, true)?
        }
        _ => return Err(Errno::ENODEV),
    })
}
