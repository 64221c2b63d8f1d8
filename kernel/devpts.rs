//! devpts (Linux's fs/devpts): the filesystem on /dev/pts listing one character
//! device per live, unlocked pseudo-terminal (136:N, owned by its creator, group
//! tty, mode 0620) and `ptmx`. Opening an entry goes through the device number
//! like any device node, to the pty's slave.

use crate::pty::{self, PTS_MAJOR};
use arch::{Errno, Result};
use fs::{makedev, DirEntry, FileSystem, FileType, Inode, InodeState, Stat, StatFs, Timespec};
use std::any::Any;
use std::sync::Arc;

/// DEVPTS_SUPER_MAGIC.
const DEVPTS_MAGIC: u64 = 0x1cd1;

/// A devpts instance.
pub struct DevPts {
    dev: u64,
}

impl DevPts {
    /// Creates an instance (every mount shows the same ptys: one namespace).
    pub fn instance() -> Arc<dyn FileSystem> {
        Arc::new(DevPts {
            dev: fs::anon_dev(),
        })
    }
}

impl FileSystem for DevPts {
    fn root(&self) -> Result<Arc<dyn Inode>> {
        Ok(Arc::new(Root {
            dev: self.dev,
            vfs_state: InodeState::new(),
        }))
    }
    fn name(&self) -> &'static str {
        "devpts"
    }
    fn dev(&self) -> u64 {
        self.dev
    }
    fn sync(&self) -> Result<()> {
        Ok(())
    }
    fn statfs(&self) -> StatFs {
        StatFs::pseudo(DEVPTS_MAGIC)
    }
    fn show_options(&self) -> String {
        ",gid=5,mode=620,ptmxmode=000".into()
    }
}

fn now() -> Timespec {
    fs::Clock::now(&fs::HostClock)
}

fn stat(dev: u64, ino: u64, mode: u32, rdev: u64, owner: (u32, u32)) -> Stat {
    Stat {
        rdev,
        blksize: 1024,
        ..Stat::pseudo(dev, ino, mode, owner, now())
    }
}

struct Root {
    dev: u64,
    vfs_state: InodeState,
}

/// A device entry: `ptmx` (index None) or pty N.
struct Device {
    dev: u64,
    index: Option<u32>,
    vfs_state: InodeState,
}

impl Device {
    fn rdev(&self) -> u64 {
        match self.index {
            Some(n) => makedev(PTS_MAJOR, n),
            None => makedev(5, 2),
        }
    }
}

/// Returns the unlocked live ptys, in order.
fn visible() -> Vec<Arc<pty::Pty>> {
    pty::indexes()
        .into_iter()
        .filter_map(pty::find)
        .filter(|p| !p.is_locked())
        .collect()
}

impl Inode for Root {
    fn stat(&self) -> Result<Stat> {
        Ok(stat(
            self.dev,
            1,
            FileType::Directory.to_mode_bits() | 0o755,
            0,
            (0, 0),
        ))
    }
    fn file_type(&self) -> FileType {
        FileType::Directory
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn inode_state(&self) -> &InodeState {
        &self.vfs_state
    }
    fn ino(&self) -> u64 {
        1
    }
    fn read_at(&self, _: u64, _: &mut [u8]) -> Result<usize> {
        Err(Errno::EISDIR)
    }
    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>> {
        if name == b"ptmx" {
            return Ok(Arc::new(Device {
                dev: self.dev,
                index: None,
                vfs_state: InodeState::new(),
            }));
        }
        let n: u32 = std::str::from_utf8(name)
            .ok()
            .filter(|s| !s.starts_with('0') || *s == "0")
            .and_then(|s| s.parse().ok())
            .ok_or(Errno::ENOENT)?;
        match pty::find(n) {
            Some(p) if !p.is_locked() => Ok(Arc::new(Device {
                dev: self.dev,
                index: Some(n),
                vfs_state: InodeState::new(),
            })),
            _ => Err(Errno::ENOENT),
        }
    }
    fn readdir(&self, pos: u64, emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64> {
        // Positions: 0 ".", 1 "..", 2 "ptmx", then 3 + N for pty N.
        let mut names: Vec<(u64, Vec<u8>, u64, FileType)> = vec![
            (0, b".".to_vec(), 1, FileType::Directory),
            (1, b"..".to_vec(), 1, FileType::Directory),
            (2, b"ptmx".to_vec(), 2, FileType::CharDevice),
        ];
        for p in visible() {
            let n = p.index as u64;
            names.push((
                3 + n,
                n.to_string().into_bytes(),
                n + 3,
                FileType::CharDevice,
            ));
        }
        for (at, name, ino, file_type) in names.into_iter().filter(|e| e.0 >= pos) {
            let e = DirEntry {
                ino,
                name: &name,
                file_type,
                next_pos: at + 1,
            };
            if !emit(&e) {
                return Ok(at);
            }
        }
        Ok(u64::MAX)
    }
    fn readlink(&self) -> Result<Vec<u8>> {
        Err(Errno::EINVAL)
    }
}

impl Inode for Device {
    fn stat(&self) -> Result<Stat> {
        let chr = FileType::CharDevice.to_mode_bits();
        Ok(match self.index {
            None => stat(self.dev, 2, chr, self.rdev(), (0, 0)),
            Some(n) => {
                let p = pty::find(n).ok_or(Errno::ENOENT)?;
                stat(
                    self.dev,
                    n as u64 + 3,
                    chr | 0o620,
                    self.rdev(),
                    (p.uid, p.gid),
                )
            }
        })
    }
    fn file_type(&self) -> FileType {
        FileType::CharDevice
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
    fn inode_state(&self) -> &InodeState {
        &self.vfs_state
    }
    fn ino(&self) -> u64 {
        self.index.map_or(2, |n| n as u64 + 3)
    }
    fn revalidate(&self) -> bool {
        self.index.is_none_or(|n| pty::find(n).is_some())
    }
    fn read_at(&self, _: u64, _: &mut [u8]) -> Result<usize> {
        Err(Errno::EINVAL)
    }
    fn lookup(&self, _: &[u8]) -> Result<Arc<dyn Inode>> {
        Err(Errno::ENOTDIR)
    }
    fn readdir(&self, _: u64, _: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64> {
        Err(Errno::ENOTDIR)
    }
    fn readlink(&self) -> Result<Vec<u8>> {
        Err(Errno::EINVAL)
    }
}
