//! ubd: the User-mode Block Device, a disk backed by a host file (`ubd0=FILE`),
//! or by a copy-on-write file over a read-only backing file
//! (`ubd0=COW,BACKING`, UML's format: `cow.rs`, its I/O: `cow_disk.rs`, how a
//! command line's disk is opened: `open.rs`).
//! Disk N is `/dev/ubd<a+N>` with major 98 and 16 minors per disk, as in UML;
//! the partitions its table describes are `/dev/ubd<a+N>1`... after it.

pub mod cow;
mod cow_disk;
mod open;

pub use open::{open_disk, UbdSpec};

use crate::partitions::PartitionEntry;
use arch::host::file::HostFile;
use arch::{Errno, Result};
use cow_disk::CowDisk;
use std::sync::Arc;

/// The block major number of ubd disks.
pub const UBD_MAJOR: u32 = 98;

/// Where a disk's sectors are.
enum Store {
    /// One host file, read and written in place.
    Plain(HostFile),
    /// A COW file over a backing file.
    Cow(CowDisk),
}

/// A ubd disk.
pub struct Ubd {
    store: Store,
    index: usize,
}

impl Ubd {
    /// Creates disk `index` over its opened, locked files.
    fn with_store(index: usize, store: Store) -> Ubd {
        Ubd { store, index }
    }

    /// Returns the host files the disk uses, each with whether it is the
    /// disk's own file (`false`: a COW disk's backing file, only read).
    pub fn host_files(&self) -> Vec<(&HostFile, bool)> {
        match &self.store {
            Store::Plain(file) => vec![(file, true)],
            Store::Cow(disk) => {
                let [cow, backing] = disk.files();
                vec![(cow, true), (backing, false)]
            }
        }
    }

    /// Returns whether the disk is a COW file over a backing file.
    pub fn is_cow(&self) -> bool {
        matches!(self.store, Store::Cow(_))
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
            .is_none_or(|end| end > self.size())
        {
            return Err(Errno::EIO);
        }
        match &self.store {
            Store::Plain(file) => file.read_at(offset, buf).map_err(|e| {
                log::error!("{}: read at {offset} failed: {e}", self.name());
                Errno::EIO
            }),
            Store::Cow(disk) => disk.read_at(offset, buf),
        }
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<()> {
        if self.read_only() {
            return Err(Errno::EROFS);
        }
        if offset
            .checked_add(data.len() as u64)
            .is_none_or(|end| end > self.size())
        {
            return Err(Errno::EIO);
        }
        match &self.store {
            Store::Plain(file) => file.write_at(offset, data).map_err(|e| {
                log::error!("{}: write at {offset} failed: {e}", self.name());
                Errno::EIO
            }),
            Store::Cow(disk) => disk.write_at(offset, data),
        }
    }

    fn size(&self) -> u64 {
        match &self.store {
            Store::Plain(file) => file.size(),
            Store::Cow(disk) => disk.size(),
        }
    }

    fn flush(&self) -> Result<()> {
        match &self.store {
            Store::Plain(file) if file.read_only() => Ok(()),
            Store::Plain(file) => file.sync().map_err(|_| Errno::EIO),
            Store::Cow(disk) => disk.flush(),
        }
    }

    fn read_only(&self) -> bool {
        match &self.store {
            Store::Plain(file) => file.read_only(),
            Store::Cow(disk) => disk.read_only(),
        }
    }
}

/// Partition `number` of a ubd disk: `ubda1` is 98:1. A disk has room for
/// 15 (its 16 minors less the whole disk's), as in UML.
pub struct UbdPartition {
    disk: Arc<Ubd>,
    pub entry: PartitionEntry,
}

/// The most partitions of one disk that get a device.
pub const MAX_PARTITIONS: u32 = 15;

impl UbdPartition {
    /// Returns the device's name, `ubda1` for the first of disk 0.
    pub fn name(&self) -> String {
        format!("{}{}", self.disk.name(), self.entry.number)
    }

    /// Returns the device number.
    pub fn dev(&self) -> u64 {
        self.disk.dev() + u64::from(self.entry.number)
    }

    /// Returns the disk the partition is on.
    pub fn disk(&self) -> &Arc<Ubd> {
        &self.disk
    }
}

/// Reads the partition table of `disk`; returns its partitions that fit in
/// the disk's minors.
pub fn partitions(disk: &Arc<Ubd>) -> Vec<Arc<UbdPartition>> {
    let sectors = fs::BlockDevice::size(disk.as_ref()) / crate::partitions::SECTOR;
    let name = disk.name();
    let entries = crate::partitions::scan(disk.as_ref(), sectors, &name);
    let mut found = Vec::new();
    for entry in entries {
        if entry.number > MAX_PARTITIONS {
            log::warn!(
                "{name}: partition {} has no minor left; ignored",
                entry.number
            );
            continue;
        }
        found.push(Arc::new(UbdPartition {
            disk: disk.clone(),
            entry,
        }));
    }
    if !found.is_empty() {
        let names: Vec<_> = found.iter().map(|p| p.name()).collect();
        log::info!(" {name}: {}", names.join(" "));
    }
    found
}

impl fs::BlockDevice for UbdPartition {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        let at = self.translate(offset, buf.len())?;
        fs::BlockDevice::read_at(self.disk.as_ref(), at, buf)
    }

    fn write_at(&self, offset: u64, data: &[u8]) -> Result<()> {
        if self.read_only() {
            return Err(Errno::EROFS);
        }
        let at = self.translate(offset, data.len())?;
        fs::BlockDevice::write_at(self.disk.as_ref(), at, data)
    }

    fn size(&self) -> u64 {
        self.entry.sectors * crate::partitions::SECTOR
    }

    fn flush(&self) -> Result<()> {
        fs::BlockDevice::flush(self.disk.as_ref())
    }

    fn read_only(&self) -> bool {
        fs::BlockDevice::read_only(self.disk.as_ref())
    }
}

impl UbdPartition {
    /// Returns the disk offset of partition offset `offset`; `EIO` when the
    /// `len` bytes there run past the partition's end.
    fn translate(&self, offset: u64, len: usize) -> Result<u64> {
        let end = offset.checked_add(len as u64).ok_or(Errno::EIO)?;
        if end > fs::BlockDevice::size(self) {
            return Err(Errno::EIO);
        }
        Ok(self.entry.start * crate::partitions::SECTOR + offset)
    }
}
