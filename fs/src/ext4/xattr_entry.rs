//! The extended-attribute entry tables of ext4
//! (Documentation/filesystems/ext4/attributes.rst): a run of 4-byte aligned
//! entries (name length, name index, value offset, value inode, value size,
//! hash, name without its prefix) ended by four zero bytes, with the values
//! packed at the end of the same space. The same table sits after the magic
//! number in the inode's extra space (value offsets from the first entry) and
//! after the header of an attribute block (offsets from the block start).

use super::bytes::{le16, le32};
use arch::Result;

/// The size of an entry before its name.
const ENTRY_HEADER: usize = 16;
const NAME_HASH_SHIFT: u32 = 5;
const VALUE_HASH_SHIFT: u32 = 16;
const BLOCK_HASH_SHIFT: u32 = 16;

/// The name indexes of the namespaces the VFS lets through.
const PREFIXES: [(&[u8], u8); 3] = [(b"user.", 1), (b"trusted.", 4), (b"security.", 6)];

/// One attribute: its name index, its name without the prefix, its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) struct Entry {
    pub index: u8,
    pub name: Vec<u8>,
    pub value: Vec<u8>,
}

/// Rounds `n` up to the 4-byte padding of entries and values.
fn pad(n: usize) -> usize {
    (n + 3) & !3
}

/// Returns the (index, name) a full attribute name is stored as, or `None`
/// for a namespace ext4 does not keep here.
pub(super) fn split_name(full: &[u8]) -> Option<(u8, &[u8])> {
    PREFIXES
        .iter()
        .find_map(|&(p, i)| full.strip_prefix(p).map(|rest| (i, rest)))
        .filter(|(_, rest)| !rest.is_empty() && rest.len() <= 255)
}

impl Entry {
    /// Returns the full name ("user.x"), or `None` for the indexes the VFS
    /// does not show (POSIX ACLs, system.*).
    pub fn full_name(&self) -> Option<Vec<u8>> {
        let (prefix, _) = PREFIXES.iter().find(|&&(_, i)| i == self.index)?;
        Some([*prefix, &self.name[..]].concat())
    }

    /// Returns the space the entry takes in a table (without its value).
    fn size(&self) -> usize {
        pad(ENTRY_HEADER + self.name.len())
    }

    /// Returns the entry's hash of its name and value words (`e_hash`).
    pub fn hash(&self) -> u32 {
        let mut h: u32 = 0;
        for &c in &self.name {
            h = (h << NAME_HASH_SHIFT) ^ (h >> (32 - NAME_HASH_SHIFT)) ^ c as u32;
        }
        let mut words = self.value.clone();
        words.resize(pad(words.len()), 0);
        for w in words.chunks_exact(4) {
            let w = u32::from_le_bytes([w[0], w[1], w[2], w[3]]);
            h = (h << VALUE_HASH_SHIFT) ^ (h >> (32 - VALUE_HASH_SHIFT)) ^ w;
        }
        h
    }

    /// Returns the order of entries in an attribute block: index, name
    /// length, name.
    pub fn sort_key(&self) -> (u8, usize, &[u8]) {
        (self.index, self.name.len(), &self.name)
    }
}

/// Returns the hash of a block holding `entries` (`h_hash`).
pub(super) fn block_hash(entries: &[Entry]) -> u32 {
    let mut h: u32 = 0;
    for e in entries {
        h = (h << BLOCK_HASH_SHIFT) ^ (h >> (32 - BLOCK_HASH_SHIFT)) ^ e.hash();
    }
    h
}

/// Decodes the table starting at `first` in `buf`, whose value offsets count
/// from `base`.
pub(super) fn parse(buf: &[u8], first: usize, base: usize) -> Result<Vec<Entry>> {
    let mut out = Vec::new();
    let mut pos = first;
    loop {
        if pos + 4 > buf.len() {
            return Err(corrupt!("xattr table without an end"));
        }
        if le32(buf, pos) == 0 {
            return Ok(out);
        }
        let name_len = buf[pos] as usize;
        let end = pos + ENTRY_HEADER + name_len;
        if end > buf.len() || name_len == 0 {
            return Err(corrupt!("xattr entry at {pos} runs out"));
        }
        let offs = base + le16(buf, pos + 2) as usize;
        let size = le32(buf, pos + 8) as usize;
        if le32(buf, pos + 4) != 0 {
            return Err(corrupt!(
                "xattr value in an inode (ea_inode) is not supported"
            ));
        }
        let value = match buf.get(offs..offs.saturating_add(size)) {
            Some(v) if size == 0 || offs >= end => v.to_vec(),
            _ => return Err(corrupt!("xattr value at {offs} size {size} out of place")),
        };
        out.push(Entry {
            index: buf[pos + 1],
            name: buf[pos + ENTRY_HEADER..end].to_vec(),
            value,
        });
        pos = pad(end);
    }
}

/// Encodes `entries` as a table in `buf` from `first` (value offsets from
/// `base`), values packed at its end; returns false if they do not fit.
pub(super) fn encode(entries: &[Entry], buf: &mut [u8], first: usize, base: usize) -> bool {
    if !fits(entries, buf.len() - first) {
        return false;
    }
    buf[first..].fill(0);
    let (mut pos, mut value_end) = (first, buf.len());
    for e in entries {
        let offs = if e.value.is_empty() {
            0
        } else {
            value_end -= pad(e.value.len());
            buf[value_end..value_end + e.value.len()].copy_from_slice(&e.value);
            value_end - base
        };
        buf[pos] = e.name.len() as u8;
        buf[pos + 1] = e.index;
        buf[pos + 2..pos + 4].copy_from_slice(&(offs as u16).to_le_bytes());
        buf[pos + 8..pos + 12].copy_from_slice(&(e.value.len() as u32).to_le_bytes());
        buf[pos + 12..pos + 16].copy_from_slice(&e.hash().to_le_bytes());
        buf[pos + ENTRY_HEADER..pos + ENTRY_HEADER + e.name.len()].copy_from_slice(&e.name);
        pos += e.size();
    }
    true
}

/// Returns whether `entries` fit a table of `room` bytes.
pub(super) fn fits(entries: &[Entry], room: usize) -> bool {
    let need: usize = entries.iter().map(|e| e.size() + pad(e.value.len())).sum();
    need + 4 <= room
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(index: u8, name: &str, value: &str) -> Entry {
        Entry {
            index,
            name: name.as_bytes().to_vec(),
            value: value.as_bytes().to_vec(),
        }
    }

    #[test]
    fn round_trip() {
        let list = vec![
            entry(1, "a", "hello"),
            entry(4, "bb", ""),
            entry(6, "c", "x"),
        ];
        let mut buf = vec![0u8; 128];
        assert!(encode(&list, &mut buf, 4, 4));
        assert_eq!(parse(&buf, 4, 4).expect("parse"), list);
        assert!(!encode(&list, &mut [0u8; 60], 0, 0), "too small");
        assert_eq!(split_name(b"user.a"), Some((1, &b"a"[..])));
        assert_eq!(split_name(b"user."), None);
        assert_eq!(list[0].full_name(), Some(b"user.a".to_vec()));
    }

    #[test]
    fn hash_of_name_and_value_words() {
        // "a" = 0x61; then the value word "hell" and "o\0\0\0".
        let h1 = 0x61u32;
        let h2 = (h1 << 16) ^ (h1 >> 16) ^ u32::from_le_bytes(*b"hell");
        let h3 = (h2 << 16) ^ (h2 >> 16) ^ u32::from_le_bytes(*b"o\0\0\0");
        assert_eq!(entry(1, "a", "hello").hash(), h3);
    }
}
