//! Extended attributes of ext4 inodes (Documentation/filesystems/ext4/attributes.rst):
//! a table in the inode's extra space after `i_extra_isize` (behind a magic
//! number) and one in an attribute block (`i_file_acl`, behind a header with
//! a reference count, a hash and a checksum covering its block number). Each
//! change lays all of an inode's attributes out again: in name order, into the
//! inode while they fit, the rest, sorted as Linux looks them up, into the
//! block (`ENOSPC` when that is full: no ea_inode values). A block shared by
//! reference count is copied before it changes; the last inode to let go of
//! one frees it.

use super::bytes::le32;
use super::disk_inode::DiskInode;
use super::handle::Handle;
use super::inode::Inode;
use super::xattr_entry::{self, split_name, Entry};
use crate::crc32c::crc32c_update;
use crate::xattr::XattrFlags;
use arch::{Errno, Result};

const XATTR_MAGIC: u32 = 0xEA02_0000;
/// Offset of `h_checksum` in the block header.
const CHECKSUM_OFFSET: usize = 0x10;
/// The size of the block header, where the entries start.
const BLOCK_HEADER: usize = 32;
/// The superblock's `ext_attr` feature.
const COMPAT_EXT_ATTR: u32 = 0x8;

/// Returns the checksum of xattr block `nr` with contents `block`.
fn checksum(seed: u32, nr: u64, block: &[u8]) -> u32 {
    let mut crc = crc32c_update(seed, &nr.to_le_bytes());
    crc = crc32c_update(crc, &block[..CHECKSUM_OFFSET]);
    crc = crc32c_update(crc, &[0; 4]);
    crc32c_update(crc, &block[CHECKSUM_OFFSET + 4..])
}

/// Returns the checked contents of attribute block `nr` of inode `ino`.
fn read_block(h_fs: &super::Ext4, ino: u32, nr: u64) -> Result<std::sync::Arc<[u8]>> {
    let sb = &h_fs.sb;
    let block = h_fs.cache.get(nr)?;
    if le32(&block, 0) != XATTR_MAGIC || le32(&block, 8) != 1 {
        return Err(corrupt!("inode {ino}: bad xattr block {nr}"));
    }
    if sb.has_csum() {
        let want = le32(&block, CHECKSUM_OFFSET);
        let got = checksum(sb.csum_seed, nr, &block);
        if want != got {
            return Err(corrupt!("xattr block {nr} checksum {got:#x} != {want:#x}"));
        }
    }
    Ok(block)
}

/// Lets inode `ino` (record `disk`) go of its extended-attribute block.
pub(super) fn release(h: &mut Handle, ino: u32, disk: &mut DiskInode) -> Result<()> {
    let nr = disk.file_acl;
    if nr == 0 {
        return Ok(());
    }
    let fs = h.fs;
    let sb = &fs.sb;
    let block = read_block(fs, ino, nr)?;
    let refs = le32(&block, 4);
    if refs <= 1 {
        h.free_blocks(nr, 1)?;
    } else {
        let mut block = block.to_vec();
        block[4..8].copy_from_slice(&(refs - 1).to_le_bytes());
        if sb.has_csum() {
            let c = checksum(sb.csum_seed, nr, &block);
            block[CHECKSUM_OFFSET..CHECKSUM_OFFSET + 4].copy_from_slice(&c.to_le_bytes());
        }
        fs.cache.write(nr, block)?;
    }
    disk.file_acl = 0;
    disk.blocks_512 = disk.blocks_512.saturating_sub(sb.block_size as u64 / 512);
    Ok(())
}

/// Returns the inode's extra space (after `i_extra_isize`) in its record.
fn ibody(raw: &mut [u8]) -> &mut [u8] {
    let extra = if raw.len() > 128 {
        u16::from_le_bytes([raw[0x80], raw[0x81]]) as usize
    } else {
        0
    };
    let start = (128 + extra).min(raw.len());
    &mut raw[start..]
}

impl Inode {
    /// Returns all the inode's attributes: those in the inode, then the
    /// block's.
    fn xattrs(&self, disk: &DiskInode) -> Result<Vec<Entry>> {
        let mut raw = self.fs.raw_inode(self.ino)?;
        let body = ibody(&mut raw);
        let mut all = match body.len() >= 8 && le32(body, 0) == XATTR_MAGIC {
            true => xattr_entry::parse(body, 4, 4)?,
            false => Vec::new(),
        };
        if disk.file_acl != 0 {
            let block = read_block(&self.fs, self.ino, disk.file_acl)?;
            all.extend(xattr_entry::parse(&block, BLOCK_HEADER, 0)?);
        }
        Ok(all)
    }

    /// Returns the value of attribute `name` (`ENODATA`).
    pub(super) fn get_xattr(&self, name: &[u8]) -> Result<Vec<u8>> {
        let (index, name) = split_name(name).ok_or(Errno::ENODATA)?;
        let st = self.lock()?;
        let all = self.xattrs(&st.disk)?;
        let e = all.into_iter().find(|e| e.index == index && e.name == name);
        e.map(|e| e.value).ok_or(Errno::ENODATA)
    }

    /// Returns the full names of the attributes the VFS shows.
    pub(super) fn list_xattrs(&self) -> Result<Vec<Vec<u8>>> {
        let st = self.lock()?;
        Ok(self
            .xattrs(&st.disk)?
            .iter()
            .filter_map(Entry::full_name)
            .collect())
    }

    /// Sets attribute `name` to `value`, or removes it if `value` is `None`,
    /// honouring `CREATE` (`EEXIST`) and `REPLACE` (`ENODATA`); the change
    /// time becomes now.
    pub(super) fn set_xattr(
        &self,
        name: &[u8],
        value: Option<&[u8]>,
        flags: XattrFlags,
    ) -> Result<()> {
        let (index, name) = split_name(name).ok_or(Errno::EOPNOTSUPP)?;
        if self.fs.sb.feature_compat & COMPAT_EXT_ATTR == 0 {
            return Err(Errno::EOPNOTSUPP);
        }
        let mut h = self.fs.begin()?;
        let mut st = self.lock()?;
        let mut all = self.xattrs(&st.disk)?;
        let at = all.iter().position(|e| e.index == index && e.name == name);
        if at.is_some() && flags.contains(XattrFlags::CREATE) {
            return Err(Errno::EEXIST);
        }
        if at.is_none() && flags.contains(XattrFlags::REPLACE) {
            return Err(Errno::ENODATA);
        }
        if let Some(i) = at {
            all.remove(i);
        }
        if let Some(v) = value {
            all.push(Entry {
                index,
                name: name.to_vec(),
                value: v.to_vec(),
            });
        }
        self.store_xattrs(&mut h, &mut st.disk, all)?;
        st.disk.ctime = h.now();
        self.fs.write_inode(self.ino, &st.disk)?;
        drop(st);
        h.finish()
    }

    /// Lays `all` out in the inode and its block, allocating, rewriting or
    /// freeing the block as needed (`ENOSPC` before anything changes when
    /// they do not fit).
    fn store_xattrs(
        &self,
        h: &mut Handle,
        disk: &mut DiskInode,
        mut all: Vec<Entry>,
    ) -> Result<()> {
        let fs = h.fs;
        let ino = self.ino;
        let mut raw = fs.raw_inode(ino)?;
        let room = ibody(&mut raw).len().saturating_sub(4);
        all.sort_by(|a, b| a.sort_key().cmp(&b.sort_key()));
        let (mut inside, mut outside) = (Vec::new(), Vec::new());
        for e in all {
            inside.push(e);
            if !xattr_entry::fits(&inside, room) {
                outside.extend(inside.pop());
            }
        }
        let bs = fs.sb.block_size as usize;
        let mut block = vec![0u8; bs];
        if !xattr_entry::encode(&outside, &mut block, BLOCK_HEADER, 0) {
            return Err(Errno::ENOSPC);
        }
        if outside.is_empty() {
            release(h, ino, disk)?;
        } else {
            let shared = disk.file_acl != 0 && le32(&fs.cache.get(disk.file_acl)?, 4) != 1;
            if shared {
                release(h, ino, disk)?;
            }
            if disk.file_acl == 0 {
                let goal = fs.sb.group_first_block((ino - 1) / fs.sb.inodes_per_group);
                let (nr, _) = h.alloc_blocks(goal, 1, 0)?;
                disk.file_acl = nr;
                disk.blocks_512 += bs as u64 / 512;
            }
            let nr = disk.file_acl;
            block[0..4].copy_from_slice(&XATTR_MAGIC.to_le_bytes());
            block[4..8].copy_from_slice(&1u32.to_le_bytes());
            block[8..12].copy_from_slice(&1u32.to_le_bytes());
            block[12..16].copy_from_slice(&xattr_entry::block_hash(&outside).to_le_bytes());
            if fs.sb.has_csum() {
                let c = checksum(fs.sb.csum_seed, nr, &block);
                block[CHECKSUM_OFFSET..CHECKSUM_OFFSET + 4].copy_from_slice(&c.to_le_bytes());
            }
            fs.cache.write(nr, block)?;
        }
        fs.patch_inode(ino, |raw| {
            let body = ibody(raw);
            if inside.is_empty() || body.len() < 8 {
                body.fill(0);
            } else {
                body[0..4].copy_from_slice(&XATTR_MAGIC.to_le_bytes());
                xattr_entry::encode(&inside, body, 4, 4);
            }
        })
    }
}
