//! A copy-on-write disk: reads come from the COW file for the sectors its
//! bitmap marks and from the backing file for the others; writes go to the
//! COW file only, whole sectors at a time, data first and then the bitmap
//! bytes that changed (as UML orders them, so that a crash between the two
//! leaves the old data visible, never unwritten sectors). The backing file is
//! opened read-only and never written.

use super::cow::{Bitmap, Layout};
use arch::host::file::HostFile;
use arch::sync::Mutex;
use arch::{Errno, Result};

/// The two files of a COW disk and the bitmap, kept in memory.
pub struct CowDisk {
    cow: HostFile,
    backing: HostFile,
    layout: Layout,
    /// The disk's size: the backing file's.
    size: u64,
    /// Held across a whole request, so that a partial-sector write's
    /// read-modify-write and the bitmap update are one step.
    bitmap: Mutex<Bitmap>,
}

impl CowDisk {
    /// Creates the disk over its opened files; `bitmap` was read from `cow`.
    pub(super) fn new(
        cow: HostFile,
        backing: HostFile,
        layout: Layout,
        size: u64,
        bitmap: Bitmap,
    ) -> CowDisk {
        CowDisk {
            cow,
            backing,
            layout,
            size,
            bitmap: Mutex::new(bitmap),
        }
    }

    /// Returns the size of the disk in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Returns whether the COW file was opened read-only (`ubdNr=`).
    pub fn read_only(&self) -> bool {
        self.cow.read_only()
    }

    /// Returns the two host files: the COW file, then the backing file.
    pub fn files(&self) -> [&HostFile; 2] {
        [&self.cow, &self.backing]
    }

    /// Returns the sectors that bytes `offset..offset + len` touch.
    fn sectors(&self, offset: u64, len: usize) -> std::ops::Range<u64> {
        let ss = self.layout.sector_size;
        offset / ss..(offset + len as u64).div_ceil(ss)
    }

    /// Fills `buf` from disk offset `offset` with the bitmap held.
    fn read_locked(&self, bitmap: &Bitmap, offset: u64, buf: &mut [u8]) -> Result<()> {
        let ss = self.layout.sector_size;
        let end = offset + buf.len() as u64;
        for (first, count, in_cow) in bitmap.runs(self.sectors(offset, buf.len())) {
            let from = (first * ss).max(offset);
            let to = ((first + count) * ss).min(end);
            let part = &mut buf[(from - offset) as usize..(to - offset) as usize];
            let done = if in_cow {
                self.cow
                    .read_at_or_zero(self.layout.data_offset + from, part)
            } else {
                self.backing.read_at_or_zero(from, part)
            };
            done.map_err(|e| {
                log::error!("COW disk: read at {from} failed: {e}");
                Errno::EIO
            })?;
        }
        Ok(())
    }

    /// Fills `buf` from disk offset `offset`.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let bitmap = self.bitmap.lock();
        self.read_locked(&bitmap, offset, buf)
    }

    /// Writes `data` at disk offset `offset` into the COW file.
    pub fn write_at(&self, offset: u64, data: &[u8]) -> Result<()> {
        if data.is_empty() {
            return Ok(());
        }
        let ss = self.layout.sector_size;
        let mut bitmap = self.bitmap.lock();
        let sectors = self.sectors(offset, data.len());
        let start = sectors.start * ss;
        let io_err = |what: &str, e: std::io::Error| {
            log::error!("COW disk: {what} failed: {e}");
            Errno::EIO
        };
        if offset.is_multiple_of(ss) && (data.len() as u64).is_multiple_of(ss) {
            self.cow
                .write_at(self.layout.data_offset + start, data)
                .map_err(|e| io_err("data write", e))?;
        } else {
            // Whole sectors: the first and last keep what they held around
            // the new bytes.
            let mut whole = vec![0u8; ((sectors.end - sectors.start) * ss) as usize];
            let head = (offset - start) as usize;
            let last = whole.len() - ss as usize;
            if head != 0 {
                self.read_locked(&bitmap, start, &mut whole[..ss as usize])?;
            }
            if !(head + data.len()).is_multiple_of(ss as usize) && (head == 0 || last != 0) {
                self.read_locked(&bitmap, start + last as u64, &mut whole[last..])?;
            }
            whole[head..head + data.len()].copy_from_slice(data);
            self.cow
                .write_at(self.layout.data_offset + start, &whole)
                .map_err(|e| io_err("data write", e))?;
        }
        if let Some(changed) = bitmap.set(sectors) {
            let at = self.layout.bitmap_offset + changed.start as u64;
            self.cow
                .write_at(at, bitmap.bytes(changed))
                .map_err(|e| io_err("bitmap write", e))?;
        }
        Ok(())
    }

    /// Makes the COW file's data and bitmap durable.
    pub fn flush(&self) -> Result<()> {
        if self.cow.read_only() {
            return Ok(());
        }
        self.cow.sync().map_err(|_| Errno::EIO)
    }
}
