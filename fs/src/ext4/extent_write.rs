//! Writing an `ExtentMap` back as an extent tree: up to four extents live in the
//! root in `i_block`; more go in leaf blocks under index levels, each node full
//! to its capacity (`(block size - 12) / 12` entries) with a crc32c tail. The
//! tree is rebuilt whole from the list, reusing its old blocks, allocating the
//! missing ones near the data and freeing the surplus; blocks whose contents
//! do not change are not rewritten.

use super::disk_inode::{DiskInode, EXT4_EXTENTS_FL, I_BLOCK_LEN};
use super::extent::{tail_checksum, Extent, ExtentMap, EXTENT_MAGIC, INIT_MAX_LEN};
use super::handle::Handle;
use arch::Result;

/// Entries the root in `i_block` holds.
const ROOT_CAP: usize = 4;

/// Returns the entries a tree block of `bs` bytes holds.
fn node_cap(bs: usize) -> usize {
    (bs - 12) / 12
}

/// Returns how many tree blocks `n` extents need.
pub(super) fn tree_blocks(n: usize, bs: usize) -> usize {
    let (mut n, mut total) = (n, 0);
    while n > ROOT_CAP {
        n = n.div_ceil(node_cap(bs));
        total += n;
    }
    total
}

/// Returns how many blocks to keep free while adding data blocks to a file
/// with `map`, so that its tree can still grow by a few extents.
pub(super) fn reserve_for(map: &ExtentMap, bs: usize) -> u64 {
    let need = tree_blocks(map.extents.len() + 2, bs);
    need.saturating_sub(map.tree.len()) as u64
}

fn header(out: &mut [u8], entries: usize, max: usize, depth: u16) {
    out[0..2].copy_from_slice(&EXTENT_MAGIC.to_le_bytes());
    out[2..4].copy_from_slice(&(entries as u16).to_le_bytes());
    out[4..6].copy_from_slice(&(max as u16).to_le_bytes());
    out[6..8].copy_from_slice(&depth.to_le_bytes());
    out[8..12].fill(0);
}

fn encode_extent(e: &Extent) -> [u8; 12] {
    let mut r = [0u8; 12];
    let len = if e.unwritten {
        e.len + INIT_MAX_LEN
    } else {
        e.len
    };
    r[0..4].copy_from_slice(&e.lblk.to_le_bytes());
    r[4..6].copy_from_slice(&(len as u16).to_le_bytes());
    r[6..8].copy_from_slice(&((e.pblk >> 32) as u16).to_le_bytes());
    r[8..12].copy_from_slice(&(e.pblk as u32).to_le_bytes());
    r
}

fn encode_index(lblk: u32, child: u64) -> [u8; 12] {
    let mut r = [0u8; 12];
    r[0..4].copy_from_slice(&lblk.to_le_bytes());
    r[4..8].copy_from_slice(&(child as u32).to_le_bytes());
    r[8..10].copy_from_slice(&((child >> 32) as u16).to_le_bytes());
    r
}

/// Returns an empty extent root for `i_block`.
pub(super) fn empty_root() -> [u8; I_BLOCK_LEN] {
    let mut root = [0u8; I_BLOCK_LEN];
    header(&mut root, 0, ROOT_CAP, 0);
    root
}

/// Writes `map` of inode `ino` as its extent tree if it changed, adjusting
/// `disk.blocks_512` for tree blocks gained or freed.
pub(super) fn save(h: &mut Handle, disk: &mut DiskInode, map: &mut ExtentMap) -> Result<()> {
    if !map.dirty {
        return Ok(());
    }
    let fs = h.fs;
    let bs = fs.sb.block_size as usize;
    let per_block = bs as u64 / 512;
    let total = tree_blocks(map.extents.len(), bs);
    while map.tree.len() < total {
        let goal = map
            .tree
            .last()
            .map(|b| b + 1)
            .or_else(|| map.extents.first().map(|e| e.pblk))
            .unwrap_or(0);
        let (b, _) = h.alloc_blocks(goal, 1, 0)?;
        map.tree.push(b);
        disk.blocks_512 += per_block;
    }
    while map.tree.len() > total {
        if let Some(b) = map.tree.pop() {
            h.free_blocks(b, 1)?;
            disk.blocks_512 = disk.blocks_512.saturating_sub(per_block);
        }
    }
    let cap = node_cap(bs);
    let mut entries: Vec<(u32, [u8; 12])> = map
        .extents
        .iter()
        .map(|e| (e.lblk, encode_extent(e)))
        .collect();
    let mut depth = 0u16;
    let mut next = 0;
    while entries.len() > ROOT_CAP {
        let mut parents = Vec::with_capacity(entries.len().div_ceil(cap));
        for chunk in entries.chunks(cap) {
            let nr = map.tree[next];
            next += 1;
            let mut block = vec![0u8; bs];
            header(&mut block, chunk.len(), cap, depth);
            for (i, (_, e)) in chunk.iter().enumerate() {
                block[12 + 12 * i..24 + 12 * i].copy_from_slice(e);
            }
            let tail = 12 + 12 * cap;
            if fs.sb.has_csum() {
                let c = tail_checksum(disk, &block, tail);
                block[tail..tail + 4].copy_from_slice(&c.to_le_bytes());
            }
            let same = fs.cache.get(nr).is_ok_and(|old| old[..] == block[..]);
            if !same {
                fs.cache.write(nr, block)?;
            }
            parents.push((chunk[0].0, encode_index(chunk[0].0, nr)));
        }
        entries = parents;
        depth += 1;
    }
    let mut root = [0u8; I_BLOCK_LEN];
    header(&mut root, entries.len(), ROOT_CAP, depth);
    for (i, (_, e)) in entries.iter().enumerate() {
        root[12 + 12 * i..24 + 12 * i].copy_from_slice(e);
    }
    disk.i_block = root;
    disk.flags |= EXT4_EXTENTS_FL;
    map.dirty = false;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tree_sizes() {
        assert_eq!(tree_blocks(0, 4096), 0);
        assert_eq!(tree_blocks(4, 4096), 0);
        assert_eq!(tree_blocks(5, 4096), 1);
        assert_eq!(tree_blocks(340, 4096), 1);
        assert_eq!(tree_blocks(341, 4096), 2);
        assert_eq!(tree_blocks(4 * 340, 4096), 4);
        // 5 leaves need one index block over them.
        assert_eq!(tree_blocks(4 * 340 + 1, 4096), 6);
        assert_eq!(node_cap(1024), 84);
    }
}
