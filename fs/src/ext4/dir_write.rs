//! Changing directories: adding an entry (in the first block with room, splitting
//! the slack of a live entry or reusing an unused one, else in a new block at the
//! end), removing one (its space joins the entry before it), pointing one at
//! another inode, and the first block of a new directory. Every changed leaf
//! block gets its checksum tail rewritten. Insertions into an htree directory
//! go through its index (`dx`); when an index node is full the directory turns
//! linear instead (the root and interior nodes become empty leaf blocks and the
//! index flag goes), which e2fsck and Linux accept. Removals and replacements
//! keep an index valid, since names and hashes do not change.

use super::dir::{ftype_of, leaf_checksum, Dir, TAIL_LEN};
use super::disk_inode::{DiskInode, EXT4_INDEX_FL};
use super::extent::{ExtentMap, Run};
use super::extent_write;
use super::handle::Handle;
use crate::types::FileType;
use arch::{Errno, Result};

/// Returns the space an entry with a name of `len` bytes needs.
pub(super) fn rec_size(len: usize) -> usize {
    (8 + len).next_multiple_of(4)
}

/// Writes an entry header and name at `off`.
pub(super) fn put_entry(
    block: &mut [u8],
    off: usize,
    ino: u32,
    rec_len: usize,
    name: &[u8],
    ftype: u8,
) {
    block[off..off + 4].copy_from_slice(&ino.to_le_bytes());
    block[off + 4..off + 6].copy_from_slice(&(rec_len as u16).to_le_bytes());
    block[off + 6] = name.len() as u8;
    block[off + 7] = ftype;
    block[off + 8..off + 8 + name.len()].copy_from_slice(name);
}

/// Writes the checksum tail of a leaf block whose entries end at `limit`.
pub(super) fn seal(dir: &Dir, block: &mut [u8], limit: usize) {
    if limit + TAIL_LEN != block.len() {
        return;
    }
    block[limit..limit + 8].copy_from_slice(&[0, 0, 0, 0, TAIL_LEN as u8, 0, 0, 0xDE]);
    let c = leaf_checksum(dir.disk, block, limit);
    block[limit + 8..limit + 12].copy_from_slice(&c.to_le_bytes());
}

/// Returns the first block of a new directory `ino` (with record `disk`)
/// whose parent is `parent`.
pub(super) fn new_dir_block(
    h: &Handle,
    ino: u32,
    disk: &DiskInode,
    map: &ExtentMap,
    parent: u32,
) -> Vec<u8> {
    let bs = h.fs.sb.block_size as usize;
    let dir = Dir {
        fs: h.fs,
        ino,
        disk,
        map,
    };
    let limit = dir.entries_end(0, bs);
    let mut block = vec![0u8; bs];
    put_entry(&mut block, 0, ino, 12, b".", ftype_of(FileType::Directory));
    put_entry(
        &mut block,
        12,
        parent,
        limit - 12,
        b"..",
        ftype_of(FileType::Directory),
    );
    seal(&dir, &mut block, limit);
    block
}

/// Changes the entries of a locked directory.
pub(super) struct DirWriter<'a, 'h> {
    pub h: &'a mut Handle<'h>,
    pub ino: u32,
    pub disk: &'a mut DiskInode,
    pub map: &'a mut ExtentMap,
}

impl DirWriter<'_, '_> {
    pub(super) fn dir(&self) -> Dir<'_> {
        Dir {
            fs: self.h.fs,
            ino: self.ino,
            disk: self.disk,
            map: self.map,
        }
    }

    /// Finds entry `name`; calls `f(block, offset of the entry, offset of the
    /// entry before it in the block, limit)` on a copy of its block and writes
    /// the copy back. Returns the entry's inode number (`ENOENT`).
    fn edit(
        &mut self,
        name: &[u8],
        f: impl FnOnce(&mut [u8], usize, Option<usize>, usize),
    ) -> Result<u32> {
        let mut found = None;
        {
            let dir = self.dir();
            dir.for_each_block(0, &mut |lblk, pblk, block| {
                let mut prev = None;
                dir.scan_raw(lblk, block, &mut |e| {
                    if e.ino != 0 && e.name == name {
                        found = Some((lblk, pblk, e.offset, prev, e.ino));
                        return false;
                    }
                    prev = Some(e.offset);
                    true
                })?;
                Ok(found.is_none())
            })?;
        }
        let (lblk, pblk, off, prev, ino) = found.ok_or(Errno::ENOENT)?;
        let dir = self.dir();
        let mut block = dir.block(lblk, pblk)?.to_vec();
        let limit = dir.entries_end(lblk, block.len());
        f(&mut block, off, prev, limit);
        seal(&dir, &mut block, limit);
        self.h.fs.cache.write(pblk, block)?;
        Ok(ino)
    }

    /// Removes entry `name`; returns its inode number.
    pub fn remove(&mut self, name: &[u8]) -> Result<u32> {
        self.edit(name, |block, off, prev, _| {
            let rec_len = u16::from_le_bytes([block[off + 4], block[off + 5]]);
            match prev {
                Some(p) => {
                    let prev_len = u16::from_le_bytes([block[p + 4], block[p + 5]]);
                    block[p + 4..p + 6].copy_from_slice(&(prev_len + rec_len).to_le_bytes());
                }
                None => block[off..off + 4].fill(0),
            }
        })
    }

    /// Points entry `name` at inode `ino` of type `ft`; returns the old inode.
    pub fn set(&mut self, name: &[u8], ino: u32, ft: FileType) -> Result<u32> {
        self.edit(name, |block, off, _, _| {
            block[off..off + 4].copy_from_slice(&ino.to_le_bytes());
            block[off + 7] = ftype_of(ft);
        })
    }

    /// Returns where an entry needing `need` bytes fits in block `lblk`
    /// (contents `block`): the offset of the entry whose slack or space it
    /// takes, and how much of that entry stays in use.
    pub(super) fn slot_in(
        &self,
        lblk: u64,
        block: &[u8],
        need: usize,
    ) -> Result<Option<(usize, usize)>> {
        let mut slot = None;
        self.dir().scan_raw(lblk, block, &mut |e| {
            let used = if e.ino == 0 {
                0
            } else {
                rec_size(e.name.len())
            };
            if e.rec_len >= used + need {
                slot = Some((e.offset, used));
            }
            slot.is_none()
        })?;
        Ok(slot)
    }

    /// Writes entry `name` into the slot `(off, used)` of block `lblk` at `pblk`.
    pub(super) fn put_at(
        &mut self,
        (lblk, pblk): (u64, u64),
        (off, used): (usize, usize),
        name: &[u8],
        ino: u32,
        ft: FileType,
    ) -> Result<()> {
        let dir = self.dir();
        let mut block = dir.block(lblk, pblk)?.to_vec();
        let limit = dir.entries_end(lblk, block.len());
        let rec_len = u16::from_le_bytes([block[off + 4], block[off + 5]]) as usize;
        if used > 0 {
            block[off + 4..off + 6].copy_from_slice(&(used as u16).to_le_bytes());
        }
        put_entry(
            &mut block,
            off + used,
            ino,
            rec_len - used,
            name,
            ftype_of(ft),
        );
        seal(&dir, &mut block, limit);
        self.h.fs.cache.write(pblk, block)
    }

    /// Adds entry `name` for inode `ino` of type `ft` (the caller checked that
    /// the name is new): through the index of an htree directory while it
    /// has room, else in the first block with room or a new one.
    pub fn add(&mut self, name: &[u8], ino: u32, ft: FileType) -> Result<()> {
        if self.disk.flags & EXT4_INDEX_FL != 0 {
            if self.dx_add(name, ino, ft)? {
                return Ok(());
            }
            self.clear_index()?;
        }
        let need = rec_size(name.len());
        let mut slot = None;
        {
            let dir = self.dir();
            dir.for_each_block(0, &mut |lblk, pblk, block| {
                if let Some(at) = self.slot_in(lblk, block, need)? {
                    slot = Some(((lblk, pblk), at));
                }
                Ok(slot.is_none())
            })?;
        }
        if let Some((place, at)) = slot {
            return self.put_at(place, at, name, ino, ft);
        }
        let ftype = ftype_of(ft);
        self.append_block(|dir, block, limit| {
            put_entry(block, 0, ino, limit, name, ftype);
            seal(dir, block, limit);
        })
        .map(|_| ())
    }

    /// Adds a block at the end of the directory, filled by `fill`; returns its
    /// logical block number.
    pub(super) fn append_block(
        &mut self,
        fill: impl FnOnce(&Dir, &mut [u8], usize),
    ) -> Result<u64> {
        let bs = self.h.fs.sb.block_size as u64;
        let lblk = self.disk.size.div_ceil(bs);
        if lblk >= u32::MAX as u64 {
            return Err(Errno::ENOSPC);
        }
        if !matches!(self.map.map(lblk), Run::Hole { .. }) {
            return Err(corrupt!("directory {}: data past its size", self.ino));
        }
        let goal = self.map.extents.last().map_or(0, |e| e.pblk + e.len as u64);
        let reserve = extent_write::reserve_for(self.map, bs as usize);
        let (pblk, _) = self.h.alloc_blocks(goal, 1, reserve)?;
        let mut block = vec![0u8; bs as usize];
        let dir = self.dir();
        let limit = dir.entries_end(lblk, bs as usize);
        fill(&dir, &mut block, limit);
        self.h.fs.cache.write(pblk, block)?;
        self.map.insert(lblk, pblk, 1);
        self.disk.size = (lblk + 1) * bs;
        self.disk.blocks_512 += bs / 512;
        extent_write::save(self.h, self.disk, self.map)?;
        Ok(lblk)
    }

    /// Turns an htree directory into a linear one.
    pub(super) fn clear_index(&mut self) -> Result<()> {
        let bs = self.h.fs.sb.block_size as usize;
        let mut blocks = Vec::new();
        {
            let dir = self.dir();
            dir.for_each_block(0, &mut |lblk, pblk, block| {
                if lblk == 0 || dir.is_dx_node(lblk, block) {
                    blocks.push((lblk, pblk, block.to_vec()));
                }
                Ok(true)
            })?;
        }
        self.disk.flags &= !EXT4_INDEX_FL;
        let dir = self.dir();
        for (lblk, pblk, mut block) in blocks {
            let limit = dir.entries_end(lblk, bs);
            if lblk == 0 {
                // "." then ".." whose record covered the index: now up to the tail.
                let dot_len = u16::from_le_bytes([block[4], block[5]]) as usize;
                if dot_len != 12 || block[6] != 1 || block[12 + 6] != 2 {
                    return Err(corrupt!("directory {}: bad htree root", self.ino));
                }
                block[16..18].copy_from_slice(&((limit - 12) as u16).to_le_bytes());
                block[24..].fill(0);
            } else {
                block.fill(0);
                block[4..6].copy_from_slice(&(limit as u16).to_le_bytes());
            }
            seal(&dir, &mut block, limit);
            self.h.fs.cache.write(pblk, block)?;
        }
        log::debug!("ext4: directory {} is linear now", self.ino);
        Ok(())
    }
}
