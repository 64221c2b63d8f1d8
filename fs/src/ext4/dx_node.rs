//! The index nodes of htree directories: the root's entries after the fake
//! "." and ".." and `dx_root_info`, an interior node's after a fake entry that
//! spans the block; each a count/limit header, then (hash, block) entries
//! (the first entry's hash implicit), then with `metadata_csum` a tail whose
//! crc32c covers the header, the used entries and the tail's reserved word.

use super::bytes::{le16, le32};
use super::dir::Dir;
use super::dir_write::DirWriter;
use super::dx_hash::{dx_hash, DX_HASH_TEA, DX_HASH_UNSIGNED};
use super::extent::Run;
use crate::crc32c::crc32c_update;
use arch::Result;

/// Where the count/limit header sits in the root and in interior nodes.
pub(super) const ROOT_BASE: usize = 0x20;
pub(super) const NODE_BASE: usize = 0x8;
/// `s_flags`: names hash as unsigned chars.
const EXT2_FLAGS_UNSIGNED_HASH: u32 = 0x2;

/// One index node: its place and contents, and where its entries start.
pub(super) struct Node {
    pub pblk: u64,
    pub block: Vec<u8>,
    pub base: usize,
}

impl Node {
    pub fn limit(&self) -> usize {
        le16(&self.block, self.base) as usize
    }
    pub fn count(&self) -> usize {
        le16(&self.block, self.base + 2) as usize
    }
    /// Returns entry `i`'s hash (the first entry's is implicitly 0).
    pub fn hash(&self, i: usize) -> u32 {
        if i == 0 {
            0
        } else {
            le32(&self.block, self.base + 8 * i)
        }
    }
    pub fn child(&self, i: usize) -> u32 {
        le32(&self.block, self.base + 8 * i + 4)
    }
    /// Returns the (hash, child) entries.
    pub fn entries(&self) -> Vec<(u32, u32)> {
        (0..self.count())
            .map(|i| (self.hash(i), self.child(i)))
            .collect()
    }
    /// Replaces the entries (at most `limit`); the first one's hash is implicit.
    pub fn set_entries(&mut self, list: &[(u32, u32)]) {
        let base = self.base;
        let end = base + 8 * self.limit();
        self.block[base + 4..end].fill(0);
        for (i, &(hash, child)) in list.iter().enumerate() {
            let at = base + 8 * i;
            if i > 0 {
                self.block[at..at + 4].copy_from_slice(&hash.to_le_bytes());
            }
            self.block[at + 4..at + 8].copy_from_slice(&child.to_le_bytes());
        }
        self.block[base + 2..base + 4].copy_from_slice(&(list.len() as u16).to_le_bytes());
    }
}

impl Dir<'_> {
    /// Returns the bytes an index node keeps for its checksum tail.
    pub(super) fn dx_tail(&self) -> usize {
        if self.fs.sb.has_csum() {
            8
        } else {
            0
        }
    }

    /// Returns the checksum of index node `n`.
    pub(super) fn dx_checksum(&self, n: &Node) -> u32 {
        let t = n.base + 8 * n.limit();
        let crc = crc32c_update(self.disk.csum_seed, &n.block[..n.base + 8 * n.count()]);
        // dt_reserved, then dt_checksum taken as zero.
        let crc = crc32c_update(crc, &n.block[t..t + 4]);
        crc32c_update(crc, &[0; 4])
    }

    /// Reads and checks the index node at logical block `lblk`.
    pub(super) fn dx_node(&self, lblk: u64, base: usize) -> Result<Node> {
        let bs = self.fs.sb.block_size as usize;
        let Run::Data { pblk, .. } = self.map.map(lblk) else {
            return Err(corrupt!(
                "directory {}: htree block {lblk} unmapped",
                self.ino
            ));
        };
        let block = self.fs.cache.get(pblk)?.to_vec();
        let n = Node { pblk, block, base };
        let want = (bs - base - self.dx_tail()) / 8;
        if n.limit() != want || n.count() == 0 || n.count() > n.limit() {
            return Err(corrupt!(
                "directory {}: htree node {lblk} count/limit",
                self.ino
            ));
        }
        if self.dx_tail() > 0 {
            let t = base + 8 * n.limit();
            if le32(&n.block, t + 4) != self.dx_checksum(&n) {
                return Err(corrupt!(
                    "directory {}: htree node {lblk} checksum",
                    self.ino
                ));
            }
        }
        Ok(n)
    }

    /// Returns the hash version names hash with and the number of index
    /// levels below the root, from the root's `dx_root_info`; `None` for an
    /// index this driver does not walk (three levels, unknown layout).
    pub(super) fn dx_info(&self, root: &[u8]) -> Option<(u8, usize)> {
        let levels = root[0x1E] as usize;
        if le32(root, 0x18) != 0 || root[0x1D] != 8 || levels > 1 {
            return None;
        }
        let mut version = root[0x1C];
        if version <= DX_HASH_TEA && self.fs.sb.flags & EXT2_FLAGS_UNSIGNED_HASH != 0 {
            version += DX_HASH_UNSIGNED;
        }
        Some((version, levels))
    }

    /// Walks the index towards the leaf for `name`; `None` when the
    /// directory has no index this driver walks.
    pub(super) fn dx_probe(&self, name: &[u8]) -> Result<Option<Probe>> {
        if !self.indexed() {
            return Ok(None);
        }
        let root = self.dx_node(0, ROOT_BASE)?;
        let Some((version, levels)) = self.dx_info(&root.block) else {
            return Ok(None);
        };
        let Some(hash) = dx_hash(name, version, &self.fs.sb.hash_seed) else {
            return Ok(None);
        };
        let nblocks = self.nblocks();
        let mut path: Vec<(u64, Node, usize)> = Vec::with_capacity(2);
        let mut node = (0, root);
        let leaf = loop {
            let n = &node.1;
            let at = (1..n.count())
                .rev()
                .find(|&i| n.hash(i) <= hash)
                .unwrap_or(0);
            let child = n.child(at) as u64;
            if child == 0 || child >= nblocks {
                return Err(corrupt!(
                    "directory {}: htree points at block {child}",
                    self.ino
                ));
            }
            let last = path.len() == levels;
            path.push((node.0, node.1, at));
            if last {
                break child;
            }
            let next = self.dx_node(child, NODE_BASE)?;
            if le32(&next.block, 0) != 0 {
                return Err(corrupt!("directory {}: bad htree node {child}", self.ino));
            }
            node = (child, next);
        };
        Ok(Some(Probe {
            hash,
            version,
            levels,
            path,
            leaf,
        }))
    }

    /// Looks `name` up through the index: in its leaf, and in the following
    /// leaves while the index says equal hashes continue there. `None` when
    /// there is no index to use.
    pub(super) fn dx_find(&self, name: &[u8]) -> Result<Option<Option<(u32, u8)>>> {
        let Some(probe) = self.dx_probe(name)? else {
            return Ok(None);
        };
        let Some((_, node, mut at)) = probe.path.last() else {
            return Ok(None);
        };
        let mut leaf = probe.leaf;
        loop {
            let Run::Data { pblk, .. } = self.map.map(leaf) else {
                return Err(corrupt!(
                    "directory {}: htree leaf {leaf} unmapped",
                    self.ino
                ));
            };
            let block = self.block(leaf, pblk)?;
            let mut found = None;
            self.scan_block(leaf, &block, &mut |e| {
                if e.name == name {
                    found = Some((e.ino, e.ftype));
                }
                found.is_none()
            })?;
            if found.is_some() {
                return Ok(Some(found));
            }
            at += 1;
            if at >= node.count() {
                // The run may go on in the next node: search linearly then.
                return Ok(if probe.levels > 0 { None } else { Some(None) });
            }
            if node.hash(at) != probe.hash | 1 {
                return Ok(Some(None));
            }
            leaf = node.child(at) as u64;
        }
    }
}

/// Where a name's hash leads in an htree directory.
pub(super) struct Probe {
    pub hash: u32,
    pub version: u8,
    pub levels: usize,
    /// The index nodes from the root down (logical block, node, entry taken).
    pub path: Vec<(u64, Node, usize)>,
    /// The leaf the name belongs in.
    pub leaf: u64,
}

impl DirWriter<'_, '_> {
    /// Writes index node `n` back with its checksum.
    pub(super) fn dx_write(&self, mut n: Node) -> Result<()> {
        if self.dir().dx_tail() > 0 {
            let t = n.base + 8 * n.limit();
            let c = self.dir().dx_checksum(&n);
            n.block[t + 4..t + 8].copy_from_slice(&c.to_le_bytes());
        }
        self.h.fs.cache.write(n.pblk, n.block)
    }

    /// Returns an empty interior node for logical block `lblk` (just appended).
    pub(super) fn fresh_node(&self, lblk: u64) -> Result<Node> {
        let bs = self.h.fs.sb.block_size as usize;
        let Run::Data { pblk, .. } = self.map.map(lblk) else {
            return Err(corrupt!("directory {}: new htree node unmapped", self.ino));
        };
        let mut block = vec![0u8; bs];
        // A fake entry spanning the block hides the node from linear readers.
        block[4..6].copy_from_slice(&(bs.min(65535) as u16).to_le_bytes());
        let limit = (bs - NODE_BASE - self.dir().dx_tail()) / 8;
        block[NODE_BASE..NODE_BASE + 2].copy_from_slice(&(limit as u16).to_le_bytes());
        Ok(Node {
            pblk,
            block,
            base: NODE_BASE,
        })
    }
}
