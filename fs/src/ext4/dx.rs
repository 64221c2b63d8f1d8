//! Inserting into htree (dir_index) directories while keeping the index valid
//! (Documentation/filesystems/ext4/directory.rst). The root in block 0 and the
//! interior nodes hold sorted (hash, block) entries; a name goes in the leaf
//! whose range holds its hash. A full leaf is split by size around a hash, the
//! upper half moving to a new block at the end of the directory, and its first
//! hash (with the low bit set when equal hashes continue across the split) is
//! added to the parent. Each index node carries a crc32c tail with
//! `metadata_csum`. When the parent is full, `dx_add` says so and the caller
//! makes the directory linear instead of growing the tree.

use super::dir_write::{put_entry, rec_size, seal, DirWriter};
use super::dx_hash::dx_hash;
use super::dx_node::{Node, Probe, NODE_BASE, ROOT_BASE};
use super::extent::Run;
use crate::types::FileType;
use arch::Result;

/// One live entry of a leaf being split.
struct Entry {
    hash: u32,
    ino: u32,
    ftype: u8,
    name: Vec<u8>,
}

impl DirWriter<'_, '_> {
    /// Adds entry `name` through the index; returns false (having changed
    /// nothing) when the index cannot take it without a third level.
    pub(super) fn dx_add(&mut self, name: &[u8], ino: u32, ft: FileType) -> Result<bool> {
        let Some(probe) = self.dir().dx_probe(name)? else {
            return Ok(false);
        };
        let Probe {
            hash,
            version,
            levels,
            path,
            leaf,
        } = probe;
        let Run::Data { pblk, .. } = self.map.map(leaf) else {
            return Err(corrupt!(
                "directory {}: htree leaf {leaf} unmapped",
                self.ino
            ));
        };
        let block = self.dir().block(leaf, pblk)?;
        if let Some(slot) = self.slot_in(leaf, &block, rec_size(name.len()))? {
            self.put_at((leaf, pblk), slot, name, ino, ft)?;
            return Ok(true);
        }
        // A full root grows a level; a full node under it splits; with both
        // full the index would need a third level, which only largedir allows.
        let full = |n: &Node| n.count() >= n.limit();
        if levels > 0 && full(&path[0].1) && path.last().is_some_and(|p| full(&p.1)) {
            return Ok(false);
        }
        let new = Entry {
            hash,
            ino,
            ftype: super::dir::ftype_of(ft),
            name: name.to_vec(),
        };
        let (hash2, new_leaf) = self.split_leaf((leaf, pblk), &block, new, version)?;
        self.add_index(path, hash2, new_leaf as u32)?;
        Ok(true)
    }

    /// Adds index entry (hash, leaf) after the entry taken in the last node of
    /// `path`, splitting that node or moving the root's entries one level
    /// down when it is full (the caller checked that this suffices).
    fn add_index(&mut self, mut path: Vec<(u64, Node, usize)>, hash: u32, leaf: u32) -> Result<()> {
        let Some((_, mut parent, at)) = path.pop() else {
            return Err(corrupt!("directory {}: empty htree path", self.ino));
        };
        let mut list = parent.entries();
        list.insert(at + 1, (hash, leaf));
        if list.len() <= parent.limit() {
            parent.set_entries(&list);
            return self.dx_write(parent);
        }
        let node_limit = (self.h.fs.sb.block_size as usize - NODE_BASE - self.dir().dx_tail()) / 8;
        if parent.base == ROOT_BASE {
            // The root is full: its entries move into a new node below it.
            let child = self.append_block(|_, out, _| out.fill(0))?;
            let mut node = self.fresh_node(child)?;
            node.set_entries(&list[..list.len().min(node_limit)]);
            if list.len() > node_limit {
                return Err(corrupt!(
                    "directory {}: htree root over its limit",
                    self.ino
                ));
            }
            self.dx_write(node)?;
            parent.block[0x1E] = 1;
            parent.set_entries(&[(0, child as u32)]);
            return self.dx_write(parent);
        }
        // An interior node is full: its upper half moves to a new node.
        let mid = list.len() / 2;
        let child = self.append_block(|_, out, _| out.fill(0))?;
        let mut upper = self.fresh_node(child)?;
        upper.set_entries(&list[mid..]);
        parent.set_entries(&list[..mid]);
        let split_hash = list[mid].0;
        self.dx_write(upper)?;
        self.dx_write(parent)?;
        let Some((_, mut root, root_at)) = path.pop() else {
            return Err(corrupt!(
                "directory {}: htree node without a root",
                self.ino
            ));
        };
        let mut top = root.entries();
        top.insert(root_at + 1, (split_hash, child as u32));
        if top.len() > root.limit() {
            return Err(corrupt!(
                "directory {}: htree root over its limit",
                self.ino
            ));
        }
        root.set_entries(&top);
        self.dx_write(root)
    }

    /// Splits full leaf `leaf` (contents `block`) by size around a hash, with
    /// `new` added; the upper half goes to a new block. Returns the hash the
    /// upper half starts at (low bit set when equal hashes continue across)
    /// and the new block.
    fn split_leaf(
        &mut self,
        (leaf, pblk): (u64, u64),
        block: &[u8],
        new: Entry,
        version: u8,
    ) -> Result<(u32, u64)> {
        let seed = self.h.fs.sb.hash_seed;
        let mut entries = vec![new];
        self.dir().scan_block(leaf, block, &mut |e| {
            entries.push(Entry {
                hash: dx_hash(e.name, version, &seed).unwrap_or(0),
                ino: e.ino,
                ftype: e.ftype,
                name: e.name.to_vec(),
            });
            true
        })?;
        entries.sort_by_key(|e| e.hash);
        // Move entries from the top until half the bytes have moved.
        let total: usize = entries.iter().map(|e| rec_size(e.name.len())).sum();
        let (mut moved, mut split) = (0, entries.len());
        while split > 1 && moved + rec_size(entries[split - 1].name.len()) / 2 <= total / 2 {
            split -= 1;
            moved += rec_size(entries[split].name.len());
        }
        let split = split.min(entries.len() - 1).max(1);
        let hash2 = entries[split].hash | u32::from(entries[split].hash == entries[split - 1].hash);
        let (lower, upper) = entries.split_at(split);
        let pack = |dir: &super::dir::Dir, out: &mut [u8], limit: usize, list: &[Entry]| {
            let mut off = 0;
            for (i, e) in list.iter().enumerate() {
                let len = if i + 1 == list.len() {
                    limit - off
                } else {
                    rec_size(e.name.len())
                };
                put_entry(out, off, e.ino, len, &e.name, e.ftype);
                off += len;
            }
            seal(dir, out, limit);
        };
        let new_leaf = self.append_block(|dir, out, limit| pack(dir, out, limit, upper))?;
        let dir = self.dir();
        let mut old = vec![0u8; block.len()];
        pack(&dir, &mut old, dir.entries_end(leaf, block.len()), lower);
        self.h.fs.cache.write(pblk, old)?;
        Ok((hash2, new_leaf))
    }
}
