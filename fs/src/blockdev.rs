//! The block-device trait disk filesystems read and write through, and `RamDisk`, a
//! device held in memory (for tests and for images loaded whole). The host-file
//! driver (ubd) implements the trait in `drivers/`.

use arch::{Errno, Result};
use std::sync::RwLock;

/// A random-access device of fixed size, addressed in bytes.
pub trait BlockDevice: Send + Sync {
    /// Fills `buf` from `offset`; `EIO` if any of it lies past the end.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()>;
    /// Writes `data` at `offset`; `EROFS` if the device is read-only, `EIO` past the end.
    fn write_at(&self, offset: u64, data: &[u8]) -> Result<()>;
    /// Returns the size in bytes.
    fn size(&self) -> u64;
    /// Makes every completed write durable.
    fn flush(&self) -> Result<()>;
    /// Returns whether writes are refused.
    fn read_only(&self) -> bool;
}

/// A block device backed by a `Vec<u8>`.
pub struct RamDisk {
    data: RwLock<Vec<u8>>,
    read_only: bool,
}

impl RamDisk {
    /// Creates a device holding `data`.
    pub fn new(data: Vec<u8>, read_only: bool) -> RamDisk {
        RamDisk {
            data: RwLock::new(data),
            read_only,
        }
    }

    /// Returns the byte range `offset..offset + len` if it lies inside `size`.
    fn range(offset: u64, len: usize, size: usize) -> Result<core::ops::Range<usize>> {
        let start = usize::try_from(offset).map_err(|_| Errno::EIO)?;
        let end = start.checked_add(len).ok_or(Errno::EIO)?;
        if end > size {
            return Err(Errno::EIO);
        }
        Ok(start..end)
    }
}

impl BlockDevice for RamDisk {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let data = self.data.read().map_err(|_| Errno::EIO)?;
        let r = Self::range(offset, buf.len(), data.len())?;
        buf.copy_from_slice(&data[r]);
        Ok(())
    }

    fn write_at(&self, offset: u64, src: &[u8]) -> Result<()> {
        if self.read_only {
            return Err(Errno::EROFS);
        }
        let mut data = self.data.write().map_err(|_| Errno::EIO)?;
        let r = Self::range(offset, src.len(), data.len())?;
        data[r].copy_from_slice(src);
        Ok(())
    }

    fn size(&self) -> u64 {
        self.data.read().map(|d| d.len() as u64).unwrap_or(0)
    }

    fn flush(&self) -> Result<()> {
        Ok(())
    }

    fn read_only(&self) -> bool {
        self.read_only
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_read_only() {
        let d = RamDisk::new(vec![7; 100], false);
        let mut b = [0u8; 10];
        d.read_at(90, &mut b).expect("inside");
        assert_eq!(b, [7; 10]);
        assert_eq!(d.read_at(91, &mut b), Err(Errno::EIO));
        assert_eq!(d.read_at(u64::MAX, &mut b), Err(Errno::EIO));
        d.write_at(0, &[1, 2]).expect("writable");
        d.read_at(0, &mut b[..2]).expect("inside");
        assert_eq!(&b[..2], &[1, 2]);
        let ro = RamDisk::new(vec![0; 10], true);
        assert_eq!(ro.write_at(0, &[1]), Err(Errno::EROFS));
    }
}
