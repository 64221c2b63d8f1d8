//! `ext4::Inode`, the VFS face of an ext4 inode: attributes, file data through the
//! extent tree (holes and unwritten extents read as zeroes), directories (see
//! `dir`), and fast and slow symlinks.

use super::dir;
use super::disk_inode::DiskInode;
use super::extent::{self, Run};
use super::Ext4;
use crate::inode::Inode as VfsInode;
use crate::types::{DirEntry, FileType, Stat};
use arch::{Errno, Result};
use std::sync::Arc;

/// An inode of a mounted ext4 filesystem.
pub struct Inode {
    fs: Arc<Ext4>,
    ino: u32,
    disk: DiskInode,
}

impl Inode {
    pub(super) fn new(fs: Arc<Ext4>, ino: u32, disk: DiskInode) -> Inode {
        Inode { fs, ino, disk }
    }

    pub(super) fn fs(&self) -> &Ext4 {
        &self.fs
    }

    pub(super) fn ino(&self) -> u32 {
        self.ino
    }

    pub(super) fn disk(&self) -> &DiskInode {
        &self.disk
    }

    /// Returns the run of blocks starting at logical block `lblk`.
    pub(super) fn map(&self, lblk: u64) -> Result<Run> {
        extent::map(&self.fs, self.ino, &self.disk, lblk)
    }

    /// Reads file data at `offset`, short at end of file.
    fn read_data(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let size = self.disk.size;
        if offset >= size {
            return Ok(0);
        }
        let n = buf
            .len()
            .min((size - offset).min(usize::MAX as u64) as usize);
        let bs = self.fs.sb.block_size as u64;
        let dev = self.fs.cache.device();
        let mut done = 0usize;
        while done < n {
            let pos = offset + done as u64;
            let within = pos % bs;
            let run = self.map(pos / bs)?;
            let (Run::Hole { len } | Run::Data { len, .. }) = run;
            let run_bytes = len.saturating_mul(bs).saturating_sub(within).max(1);
            let chunk = ((n - done) as u64).min(run_bytes) as usize;
            let dst = &mut buf[done..done + chunk];
            match run {
                Run::Hole { .. } => dst.fill(0),
                Run::Data { pblk, .. } => dev.read_at(pblk * bs + within, dst).map_err(|e| {
                    log::error!("ext4: inode {}: read of block {pblk} failed: {e}", self.ino);
                    Errno::EIO
                })?,
            }
            done += chunk;
        }
        Ok(n)
    }
}

impl VfsInode for Inode {
    fn stat(&self) -> Result<Stat> {
        let d = &self.disk;
        let rdev = match d.file_type {
            FileType::CharDevice | FileType::BlockDevice => d.rdev(),
            _ => 0,
        };
        Ok(Stat {
            dev: self.fs.dev_id,
            ino: self.ino as u64,
            mode: d.mode as u32,
            nlink: d.links as u32,
            uid: d.uid,
            gid: d.gid,
            rdev,
            size: d.size,
            blksize: self.fs.sb.block_size,
            blocks: d.blocks_512,
            atime: d.atime,
            mtime: d.mtime,
            ctime: d.ctime,
        })
    }

    fn file_type(&self) -> FileType {
        self.disk.file_type
    }

    fn as_any(&self) -> &dyn std::any::Any {
        self
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        match self.disk.file_type {
            FileType::Regular => self.read_data(offset, buf),
            FileType::Directory => Err(Errno::EISDIR),
            _ => Err(Errno::EINVAL),
        }
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn VfsInode>> {
        if self.disk.file_type != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        if name.is_empty() || name.len() > 255 {
            return Err(if name.is_empty() {
                Errno::ENOENT
            } else {
                Errno::ENAMETOOLONG
            });
        }
        let ino = dir::find(self, name)?.ok_or(Errno::ENOENT)?;
        Ok(self.fs.inode(ino)?)
    }

    fn readdir(&self, pos: u64, emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64> {
        if self.disk.file_type != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        dir::readdir(self, pos, emit)
    }

    fn readlink(&self) -> Result<Vec<u8>> {
        if self.disk.file_type != FileType::Symlink {
            return Err(Errno::EINVAL);
        }
        let size = self.disk.size as usize;
        if !self.disk.has_extents() {
            // A fast symlink: the target is stored in i_block itself.
            return match self.disk.i_block.get(..size) {
                Some(target) => Ok(target.to_vec()),
                None => Err(corrupt!("inode {}: fast symlink of {size} bytes", self.ino)),
            };
        }
        let mut target = vec![0u8; size];
        let n = self.read_data(0, &mut target)?;
        target.truncate(n);
        Ok(target)
    }
}
