//! ubd: the User-mode Block Device, a disk backed by a host file (`ubd0=FILE`).
//! Disk N is `/dev/ubd<a+N>` with major 98 and 16 minors per disk, as in UML.

use arch::host::file::HostFile;
use arch::{Errno, Result};

/// The block major number of ubd disks.
pub const UBD_MAJOR: u32 = 98;

/// A ubd disk.
pub struct Ubd {
    file: HostFile,
    index: usize,
}

impl Ubd {
    /// Creates disk `index` over an opened, locked host file.
    pub fn new(index: usize, file: HostFile) -> Ubd {
        Ubd { file, index }
    }

    /// Returns the device's name, `ubda` for disk 0.
    pub fn name(&self) -> String {
        format!("ubd{}", (b'a' + self.index as u8) as char)
    }

    /// Returns the device number of the whole disk.
    pub fn dev(&self) -> u64 {
        fs::makedev(UBD_MAJOR, (self.index as u32) * 16)
    }
}

impl fs::BlockDevice for Ubd {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        if offset
            .checked_add(buf.len() as u64)
            .is_none_or(|end| end > self.file.size())
        {
            return Err(Errno::EIO);
        }
        self.file.read_at(offset, buf).map_err(|e| {
            log::error!("{}: read at {offset} failed: {e}", self.name());
            Errno::EIO
        })
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<()> {
        if self.file.read_only() {
            return Err(Errno::EROFS);
        }
        if offset
            .checked_add(data.len() as u64)
            .is_none_or(|end| end > self.file.size())
        {
            return Err(Errno::EIO);
        }
        self.file.write_at(offset, data).map_err(|e| {
            log::error!("{}: write at {offset} failed: {e}", self.name());
            Errno::EIO
        })
    }

    fn size(&self) -> u64 {
        self.file.size()
    }

    fn flush(&self) -> Result<()> {
        if self.file.read_only() {
            return Ok(());
        }
        self.file.sync().map_err(|_| Errno::EIO)
    }

    fn read_only(&self) -> bool {
        self.file.read_only()
    }
}
