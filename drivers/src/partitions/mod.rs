//! Partition tables (Linux's block/partitions/): the DOS/MBR table with its
//! chain of extended boot records, and GPT, checked by its CRCs, with the
//! backup header at the end of the disk when the primary one is bad. Sizes
//! are in 512-byte sectors. A table that lies is believed only as far as the
//! disk goes: a partition starting past the end is dropped, one running past
//! it is cut short, and a looping or endless extended chain stops.

use arch::Result;

/// The sector size partition tables count in.
pub const SECTOR: u64 = 512;

/// One partition: its number (1-4 primary, 5 on logical for DOS; the slot
/// plus one for GPT), first sector and length in sectors.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PartitionEntry {
    pub number: u32,
    pub start: u64,
    pub sectors: u64,
    /// The GPT partition name, if any (uevent's PARTNAME).
    pub name: Option<String>,
}

/// Reads sectors of the disk being scanned.
pub trait SectorRead {
    /// Fills `buf` from byte `offset`.
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()>;
}

impl<T: fs::BlockDevice + ?Sized> SectorRead for T {
    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<()> {
        fs::BlockDevice::read_at(self, offset, buf)
    }
}

const MBR_SIGNATURE: [u8; 2] = [0x55, 0xaa];
const MBR_TABLE: usize = 446;
const TYPE_GPT_PROTECTIVE: u8 = 0xee;
const EXTENDED_TYPES: [u8; 3] = [0x05, 0x0f, 0x85];
/// The most logical partitions followed in an extended chain.
const MAX_LOGICAL: u32 = 64;
/// The largest GPT entry array read, in bytes.
const MAX_GPT_ENTRIES_BYTES: u64 = 1 << 20;
const GPT_ENTRY_SIZE: u32 = 128;

fn le32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

fn le64(b: &[u8], at: usize) -> u64 {
    u64::from(le32(b, at)) | (u64::from(le32(b, at + 4)) << 32)
}

fn read_sector<D: SectorRead + ?Sized>(disk: &D, lba: u64) -> Result<[u8; 512]> {
    let mut buf = [0u8; 512];
    disk.read_at(lba * SECTOR, &mut buf)?;
    Ok(buf)
}

/// One entry of a DOS table: (type, first sector, length).
fn dos_entry(sector: &[u8; 512], i: usize) -> (u8, u64, u64) {
    let e = &sector[MBR_TABLE + 16 * i..MBR_TABLE + 16 * (i + 1)];
    (e[4], u64::from(le32(e, 8)), u64::from(le32(e, 12)))
}

/// Scans the disk of `sectors` sectors; an empty list when it has no table
/// (or one that cannot be read).
pub fn scan<D: SectorRead + ?Sized>(disk: &D, sectors: u64, name: &str) -> Vec<PartitionEntry> {
    let Ok(mbr) = read_sector(disk, 0) else {
        return Vec::new();
    };
    if mbr[510..512] != MBR_SIGNATURE {
        return Vec::new();
    }
    let parts = if (0..4).any(|i| dos_entry(&mbr, i).0 == TYPE_GPT_PROTECTIVE) {
        gpt(disk, sectors).unwrap_or_else(|| {
            log::warn!("{name}: GPT headers and entries are corrupt; ignoring the table");
            Vec::new()
        })
    } else {
        dos(disk, &mbr, name)
    };
    fit(parts, sectors, name)
}

/// Drops partitions that start past the end of the disk and cuts those that
/// run past it, as Linux does.
fn fit(parts: Vec<PartitionEntry>, sectors: u64, name: &str) -> Vec<PartitionEntry> {
    let mut kept = Vec::new();
    for mut p in parts {
        if p.start >= sectors {
            log::warn!(
                "{name}: p{} start {} is beyond the end of the disk",
                p.number,
                p.start
            );
            continue;
        }
        if p.sectors > sectors - p.start {
            log::warn!(
                "{name}: p{} size {} extends beyond the end of the disk, truncated",
                p.number,
                p.sectors
            );
            p.sectors = sectors - p.start;
        }
        kept.push(p);
    }
    kept
}

/// The DOS table: four primary slots, and logical partitions from 5 in the
/// chain of an extended one, which itself shows as a 2-sector partition.
fn dos<D: SectorRead + ?Sized>(disk: &D, mbr: &[u8; 512], name: &str) -> Vec<PartitionEntry> {
    let mut parts = Vec::new();
    let mut extended = None;
    for i in 0..4 {
        let (ty, start, sectors) = dos_entry(mbr, i);
        if ty == 0 || sectors == 0 {
            continue;
        }
        let number = i as u32 + 1;
        if EXTENDED_TYPES.contains(&ty) {
            extended.get_or_insert((start, sectors));
            parts.push(PartitionEntry {
                number,
                start,
                sectors: sectors.min(2),
                name: None,
            });
        } else {
            parts.push(PartitionEntry {
                number,
                start,
                sectors,
                name: None,
            });
        }
    }
    if let Some((base, len)) = extended {
        logical(disk, base, len, name, &mut parts);
    }
    parts
}

/// Follows the extended boot records of the extended partition at `base`.
fn logical<D: SectorRead + ?Sized>(
    disk: &D,
    base: u64,
    len: u64,
    name: &str,
    parts: &mut Vec<PartitionEntry>,
) {
    let mut ebr = base;
    let mut number = 5;
    while number < 5 + MAX_LOGICAL {
        let Ok(sector) = read_sector(disk, ebr) else {
            log::warn!("{name}: cannot read the extended boot record at sector {ebr}");
            return;
        };
        if sector[510..512] != MBR_SIGNATURE {
            return;
        }
        let (ty, start, sectors) = dos_entry(&sector, 0);
        if ty != 0 && sectors != 0 && !EXTENDED_TYPES.contains(&ty) {
            parts.push(PartitionEntry {
                number,
                start: ebr + start,
                sectors,
                name: None,
            });
            number += 1;
        }
        let (ty, next, _) = dos_entry(&sector, 1);
        if !EXTENDED_TYPES.contains(&ty) || next == 0 || next >= len {
            return;
        }
        let next = base + next;
        if next <= ebr {
            log::warn!("{name}: the extended partition chain loops; stopping");
            return;
        }
        ebr = next;
    }
}

/// GPT: the primary header at sector 1, or the backup at the last sector.
fn gpt<D: SectorRead + ?Sized>(disk: &D, sectors: u64) -> Option<Vec<PartitionEntry>> {
    if sectors < 2 {
        return None;
    }
    gpt_at(disk, 1, sectors).or_else(|| gpt_at(disk, sectors - 1, sectors))
}

/// Reads and checks the GPT header at `lba` and its entries.
fn gpt_at<D: SectorRead + ?Sized>(disk: &D, lba: u64, sectors: u64) -> Option<Vec<PartitionEntry>> {
    let mut h = read_sector(disk, lba).ok()?;
    if &h[0..8] != b"EFI PART" {
        return None;
    }
    let size = le32(&h, 12) as usize;
    if !(92..=512).contains(&size) || le64(&h, 24) != lba {
        return None;
    }
    let crc = le32(&h, 16);
    h[16..20].fill(0);
    if fs::crc32c::crc32(&h[..size]) != crc {
        return None;
    }
    let (first_usable, last_usable) = (le64(&h, 40), le64(&h, 48));
    let entries_lba = le64(&h, 72);
    let count = le32(&h, 80);
    if le32(&h, 84) != GPT_ENTRY_SIZE || first_usable > last_usable || last_usable >= sectors {
        return None;
    }
    let bytes = u64::from(count) * u64::from(GPT_ENTRY_SIZE);
    if bytes > MAX_GPT_ENTRIES_BYTES
        || entries_lba.checked_mul(SECTOR)?.checked_add(bytes)? > sectors * SECTOR
    {
        return None;
    }
    let mut table = vec![0u8; bytes as usize];
    disk.read_at(entries_lba * SECTOR, &mut table).ok()?;
    if fs::crc32c::crc32(&table) != le32(&h, 88) {
        return None;
    }
    let mut parts = Vec::new();
    for (i, e) in table.chunks_exact(GPT_ENTRY_SIZE as usize).enumerate() {
        if e[..16].iter().all(|&b| b == 0) {
            continue;
        }
        let (first, last) = (le64(e, 32), le64(e, 40));
        if first > last || first < first_usable || last > last_usable {
            continue;
        }
        let units: Vec<u16> = e[56..128]
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]))
            .take_while(|&u| u != 0)
            .collect();
        let name = String::from_utf16(&units).ok().filter(|n| !n.is_empty());
        parts.push(PartitionEntry {
            number: i as u32 + 1,
            start: first,
            sectors: last - first + 1,
            name,
        });
    }
    Some(parts)
}

#[cfg(test)]
mod tests;
