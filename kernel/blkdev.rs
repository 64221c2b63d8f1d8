//! Block device files (Linux's block/fops.c): /dev/ubda and its partitions
//! opened as files read and write the disk at the file position, as fsck,
//! blkid and dd use them. The size is the device's (SEEK_END, BLKGETSIZE64);
//! a read stops at the end, a write past it is ENOSPC. A read-only disk
//! (`ubdNr=`) refuses opens for writing with EROFS. Writes go to the disk
//! directly: a filesystem mounted from it keeps what it cached, as on Linux
//! where fsck of a mounted root asks for a reboot after repairs.

use arch::{Errno, Result};
use fs::{BlockDevice, FileOps, OpenFlags, UserMemory};
use std::sync::Arc;

const BLKROGET: u32 = 0x125e;
const BLKRRPART: u32 = 0x125f;
const BLKGETSIZE: u32 = 0x1260;
const BLKFLSBUF: u32 = 0x1261;
const BLKSSZGET: u32 = 0x1268;
const BLKIOMIN: u32 = 0x1278;
const BLKIOOPT: u32 = 0x1279;
const BLKPBSZGET: u32 = 0x127b;
const BLKGETSIZE64: u32 = 0x8008_1272;
const BLKBSZGET: u32 = 0x8008_1270;

/// An open block device.
pub struct BlockFile {
    dev: Arc<dyn BlockDevice>,
}

/// Opens block device `rdev`: ENXIO when there is none, EROFS for writing
/// a read-only one.
pub fn open(rdev: u64, flags: OpenFlags) -> Result<Arc<dyn FileOps>> {
    let node = crate::boot::kernel().block.find(rdev).ok_or(Errno::ENXIO)?;
    let dev = node.device();
    if flags.access_mode() != 0 && dev.read_only() {
        return Err(Errno::EROFS);
    }
    Ok(Arc::new(BlockFile { dev }))
}

impl FileOps for BlockFile {
    fn read(&self, pos: u64, buf: &mut [u8]) -> Result<usize> {
        let size = self.dev.size();
        if pos >= size {
            return Ok(0);
        }
        let n = buf.len().min((size - pos) as usize);
        self.dev.read_at(pos, &mut buf[..n])?;
        Ok(n)
    }

    fn write(&self, pos: u64, data: &[u8]) -> Result<usize> {
        let size = self.dev.size();
        if pos >= size && !data.is_empty() {
            return Err(Errno::ENOSPC);
        }
        let n = data.len().min(size.saturating_sub(pos) as usize);
        self.dev.write_at(pos, &data[..n])?;
        Ok(n)
    }

    fn end(&self) -> Option<u64> {
        Some(self.dev.size())
    }

    fn ioctl(&self, user: &dyn UserMemory, cmd: u32, arg: u64) -> Result<u64> {
        let put_u64 = |v: u64| user.write_user(arg, &v.to_ne_bytes()).map(|()| 0);
        let put_i32 = |v: i32| user.write_user(arg, &v.to_ne_bytes()).map(|()| 0);
        match cmd {
            BLKGETSIZE64 => put_u64(self.dev.size()),
            BLKGETSIZE => put_u64(self.dev.size() / 512),
            BLKSSZGET | BLKPBSZGET | BLKIOMIN => put_i32(512),
            BLKIOOPT => put_i32(0),
            BLKBSZGET => put_i32(4096),
            BLKROGET => put_i32(i32::from(self.dev.read_only())),
            BLKFLSBUF => self.dev.flush().map(|()| 0),
            // The partitions are read once, at boot; re-reading them while
            // in use is what Linux refuses too.
            BLKRRPART => Err(Errno::EBUSY),
            _ => Err(Errno::ENOTTY),
        }
    }
}
