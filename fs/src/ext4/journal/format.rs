//! The jbd2 on-disk format (Documentation/filesystems/ext4/journal.rst), all
//! big-endian: the journal superblock, the 12-byte header of every log block,
//! descriptor block tags in their three sizes (v3 checksums, v2 checksums,
//! none; 32- or 64-bit block numbers), revoke records, commit blocks, and the
//! crc32c checksums seeded by the journal's UUID.

use crate::crc32c::crc32c_update;
use arch::Result;

pub(super) const JBD2_MAGIC: u32 = 0xC03B_3998;
pub(super) const BT_DESCRIPTOR: u32 = 1;
pub(super) const BT_COMMIT: u32 = 2;
const BT_SUPERBLOCK_V1: u32 = 3;
const BT_SUPERBLOCK_V2: u32 = 4;
pub(super) const BT_REVOKE: u32 = 5;

pub(super) const COMPAT_CHECKSUM: u32 = 0x1;
pub(super) const INCOMPAT_REVOKE: u32 = 0x1;
pub(super) const INCOMPAT_64BIT: u32 = 0x2;
pub(super) const INCOMPAT_ASYNC_COMMIT: u32 = 0x4;
pub(super) const INCOMPAT_CSUM_V2: u32 = 0x8;
pub(super) const INCOMPAT_CSUM_V3: u32 = 0x10;
/// Incompatible journal features we can replay and write.
pub(super) const INCOMPAT_KNOWN: u32 =
    INCOMPAT_REVOKE | INCOMPAT_64BIT | INCOMPAT_ASYNC_COMMIT | INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3;

pub(super) const FLAG_ESCAPE: u32 = 0x1;
pub(super) const FLAG_SAME_UUID: u32 = 0x2;
pub(super) const FLAG_LAST_TAG: u32 = 0x8;

/// `s_checksum_type` for crc32c.
const CHECKSUM_CRC32C: u8 = 4;
/// Size of the journal superblock.
const JSB_SIZE: usize = 1024;
/// Offset of `s_checksum` in the journal superblock.
const JSB_CHECKSUM: usize = 0xFC;
/// Offset of `h_chksum[0]` in a commit block.
const COMMIT_CHECKSUM: usize = 0x10;

/// Returns the big-endian u32 at `off`, or 0 outside `b`.
pub(super) fn be32(b: &[u8], off: usize) -> u32 {
    match b.get(off..off.wrapping_add(4)) {
        Some(s) => u32::from_be_bytes([s[0], s[1], s[2], s[3]]),
        None => 0,
    }
}

fn be16(b: &[u8], off: usize) -> u16 {
    match b.get(off..off.wrapping_add(2)) {
        Some(s) => u16::from_be_bytes([s[0], s[1]]),
        None => 0,
    }
}

/// Stores `v` big-endian at `off`.
pub(super) fn put_be32(b: &mut [u8], off: usize, v: u32) {
    b[off..off + 4].copy_from_slice(&v.to_be_bytes());
}

/// Writes a block header.
pub(super) fn header(b: &mut [u8], blocktype: u32, sequence: u32) {
    put_be32(b, 0, JBD2_MAGIC);
    put_be32(b, 4, blocktype);
    put_be32(b, 8, sequence);
}

/// The journal superblock: its static layout and dynamic state.
#[derive(Clone, Debug)]
pub(super) struct JournalSuper {
    pub maxlen: u32,
    pub first: u32,
    /// The first transaction expected in the log (or the next one).
    pub sequence: u32,
    /// The log's first block, 0 when the journal is empty.
    pub start: u32,
    pub compat: u32,
    pub incompat: u32,
    /// crc32c of the journal UUID, seeding every journal checksum.
    pub csum_seed: u32,
    v2: bool,
    raw: Vec<u8>,
}

impl JournalSuper {
    /// Parses the superblock in journal block 0 of a journal of `len` blocks of
    /// `bs` bytes.
    pub fn parse(b: &[u8], bs: u32, len: u64) -> Result<JournalSuper> {
        let blocktype = be32(b, 4);
        if be32(b, 0) != JBD2_MAGIC
            || !(blocktype == BT_SUPERBLOCK_V1 || blocktype == BT_SUPERBLOCK_V2)
        {
            return Err(corrupt!("journal superblock magic"));
        }
        let v2 = blocktype == BT_SUPERBLOCK_V2;
        let js = JournalSuper {
            maxlen: be32(b, 0x10),
            first: be32(b, 0x14),
            sequence: be32(b, 0x18),
            start: be32(b, 0x1C),
            compat: if v2 { be32(b, 0x24) } else { 0 },
            incompat: if v2 { be32(b, 0x28) } else { 0 },
            csum_seed: crc32c_update(!0, b.get(0x30..0x40).unwrap_or(&[0; 16])),
            v2,
            raw: b.get(..JSB_SIZE).unwrap_or(&[]).to_vec(),
        };
        if js.raw.len() != JSB_SIZE
            || be32(b, 0xC) != bs
            || js.maxlen as u64 > len
            || js.first == 0
            || js.first >= js.maxlen
            || (js.start != 0 && (js.start < js.first || js.start >= js.maxlen))
        {
            return Err(corrupt!(
                "journal superblock: block size {}, {} blocks from {}, start {}",
                be32(b, 0xC),
                js.maxlen,
                js.first,
                js.start
            ));
        }
        if js.has_csum() {
            if b[0x50] != CHECKSUM_CRC32C {
                return Err(corrupt!("journal checksum type {}", b[0x50]));
            }
            let want = be32(b, JSB_CHECKSUM);
            let got = js.checksum();
            if want != got {
                return Err(corrupt!(
                    "journal superblock checksum {got:#x} != {want:#x}"
                ));
            }
        }
        Ok(js)
    }

    fn checksum(&self) -> u32 {
        let mut crc = crc32c_update(!0, &self.raw[..JSB_CHECKSUM]);
        crc = crc32c_update(crc, &[0; 4]);
        crc32c_update(crc, &self.raw[JSB_CHECKSUM + 4..])
    }

    /// Returns whether log blocks carry crc32c checksums (v2 or v3).
    pub fn has_csum(&self) -> bool {
        self.incompat & (INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3) != 0
    }

    /// Returns the size of a block tag (without the UUID that may follow).
    pub fn tag_bytes(&self) -> usize {
        if self.incompat & INCOMPAT_CSUM_V3 != 0 {
            return 16;
        }
        let mut sz = 12;
        if self.incompat & INCOMPAT_CSUM_V2 != 0 {
            sz += 2;
        }
        if self.incompat & INCOMPAT_64BIT == 0 {
            sz -= 4;
        }
        sz
    }

    /// Returns the size of a block number in a revoke record.
    pub fn revoke_bytes(&self) -> usize {
        if self.incompat & INCOMPAT_64BIT != 0 {
            8
        } else {
            4
        }
    }

    /// Returns the bytes a descriptor or revoke block keeps for its checksum.
    pub fn tail_len(&self) -> usize {
        if self.has_csum() {
            4
        } else {
            0
        }
    }

    /// Uses the features Linux sets on a journal it mounts: v3 checksums on a
    /// `metadata_csum` filesystem (no v1 or v2 ones), 64-bit block numbers on a
    /// 64-bit one. A v1 superblock keeps no features.
    pub fn set_features(&mut self, csum: bool, wide: bool) {
        if !self.v2 {
            return;
        }
        self.compat &= !COMPAT_CHECKSUM;
        self.incompat &= !(INCOMPAT_CSUM_V2 | INCOMPAT_CSUM_V3);
        if csum {
            self.incompat |= INCOMPAT_CSUM_V3;
            self.raw[0x50] = CHECKSUM_CRC32C;
        }
        if wide {
            self.incompat |= INCOMPAT_64BIT;
        }
    }

    /// Returns the superblock's 1024 bytes with the current state and checksum.
    pub fn encode(&mut self) -> Vec<u8> {
        let (seq, start) = (self.sequence, self.start);
        put_be32(&mut self.raw, 0x18, seq);
        put_be32(&mut self.raw, 0x1C, start);
        if self.v2 {
            let (compat, incompat) = (self.compat, self.incompat);
            put_be32(&mut self.raw, 0x24, compat);
            put_be32(&mut self.raw, 0x28, incompat);
        }
        if self.has_csum() {
            let c = self.checksum();
            put_be32(&mut self.raw, JSB_CHECKSUM, c);
        }
        self.raw.clone()
    }
}

/// One block tag of a descriptor.
#[derive(Clone, Copy, Debug)]
pub(super) struct Tag {
    pub blocknr: u64,
    pub flags: u32,
    pub csum: u32,
}

/// Returns the tags of descriptor block `b`.
pub(super) fn read_tags(js: &JournalSuper, b: &[u8]) -> Vec<Tag> {
    let size = js.tag_bytes();
    let end = b.len() - js.tail_len();
    let wide = js.incompat & INCOMPAT_64BIT != 0;
    let v3 = js.incompat & INCOMPAT_CSUM_V3 != 0;
    let mut tags = Vec::new();
    let mut off = 12;
    while off + size <= end {
        let t = &b[off..off + size];
        let high = if wide { (be32(t, 8) as u64) << 32 } else { 0 };
        let tag = if v3 {
            Tag {
                blocknr: be32(t, 0) as u64 | high,
                flags: be32(t, 4),
                csum: be32(t, 12),
            }
        } else {
            Tag {
                blocknr: be32(t, 0) as u64 | high,
                flags: be16(t, 6) as u32,
                csum: be16(t, 4) as u32,
            }
        };
        tags.push(tag);
        off += size;
        if tag.flags & FLAG_SAME_UUID == 0 {
            off += 16;
        }
        if tag.flags & FLAG_LAST_TAG != 0 {
            break;
        }
    }
    tags
}

/// Writes `tag` at `off` of a descriptor; returns its size.
pub(super) fn write_tag(js: &JournalSuper, b: &mut [u8], off: usize, tag: &Tag) -> usize {
    let size = js.tag_bytes();
    let t = &mut b[off..off + size];
    t.fill(0);
    put_be32(t, 0, tag.blocknr as u32);
    if js.incompat & INCOMPAT_CSUM_V3 != 0 {
        put_be32(t, 4, tag.flags);
        put_be32(t, 8, (tag.blocknr >> 32) as u32);
        put_be32(t, 12, tag.csum);
    } else {
        t[4..6].copy_from_slice(&(tag.csum as u16).to_be_bytes());
        t[6..8].copy_from_slice(&(tag.flags as u16).to_be_bytes());
        if js.incompat & INCOMPAT_64BIT != 0 {
            put_be32(t, 8, (tag.blocknr >> 32) as u32);
        }
    }
    size
}

/// Returns the checksum of a data block logged in transaction `sequence`.
pub(super) fn tag_checksum(js: &JournalSuper, sequence: u32, data: &[u8]) -> u32 {
    let crc = crc32c_update(js.csum_seed, &sequence.to_be_bytes());
    let crc = crc32c_update(crc, data);
    if js.incompat & INCOMPAT_CSUM_V3 != 0 {
        crc
    } else {
        crc & 0xFFFF
    }
}

/// Returns the checksum of block `b` taken with the 4 bytes at `at` as zero.
fn checksum_without(seed: u32, b: &[u8], at: usize) -> u32 {
    let crc = crc32c_update(seed, &b[..at]);
    let crc = crc32c_update(crc, &[0; 4]);
    crc32c_update(crc, &b[at + 4..])
}

/// Sets the checksum tail of a descriptor or revoke block.
pub(super) fn set_tail(js: &JournalSuper, b: &mut [u8]) {
    if js.has_csum() {
        let at = b.len() - 4;
        let c = checksum_without(js.csum_seed, b, at);
        put_be32(b, at, c);
    }
}

/// Returns whether a descriptor or revoke block's tail checksum is right.
pub(super) fn tail_ok(js: &JournalSuper, b: &[u8]) -> bool {
    let at = b.len() - 4;
    !js.has_csum() || be32(b, at) == checksum_without(js.csum_seed, b, at)
}

/// Sets the checksum of a commit block.
pub(super) fn set_commit_checksum(js: &JournalSuper, b: &mut [u8]) {
    if js.has_csum() {
        let c = checksum_without(js.csum_seed, b, COMMIT_CHECKSUM);
        put_be32(b, COMMIT_CHECKSUM, c);
    }
}

/// Returns whether a commit block's checksum is right.
pub(super) fn commit_ok(js: &JournalSuper, b: &[u8]) -> bool {
    !js.has_csum() || be32(b, COMMIT_CHECKSUM) == checksum_without(js.csum_seed, b, COMMIT_CHECKSUM)
}
