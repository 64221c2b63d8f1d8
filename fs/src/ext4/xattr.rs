//! Extended-attribute blocks (Documentation/filesystems/ext4/attributes.rst), as
//! far as freeing an inode needs them: the block is shared by reference count,
//! so the last inode to let go frees it and the others only drop the count
//! (rewriting the block's checksum, which covers its own block number).

use super::bytes::le32;
use super::disk_inode::DiskInode;
use super::handle::Handle;
use crate::crc32c::crc32c_update;
use arch::Result;

const XATTR_MAGIC: u32 = 0xEA02_0000;
/// Offset of `h_checksum` in the block header.
const CHECKSUM_OFFSET: usize = 0x10;

/// Returns the checksum of xattr block `nr` with contents `block`.
fn checksum(seed: u32, nr: u64, block: &[u8]) -> u32 {
    let mut crc = crc32c_update(seed, &nr.to_le_bytes());
    crc = crc32c_update(crc, &block[..CHECKSUM_OFFSET]);
    crc = crc32c_update(crc, &[0; 4]);
    crc32c_update(crc, &block[CHECKSUM_OFFSET + 4..])
}

/// Lets inode `ino` (record `disk`) go of its extended-attribute block.
pub(super) fn release(h: &mut Handle, ino: u32, disk: &mut DiskInode) -> Result<()> {
    let nr = disk.file_acl;
    if nr == 0 {
        return Ok(());
    }
    let fs = h.fs;
    let sb = &fs.sb;
    let block = fs.cache.get(nr)?;
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
