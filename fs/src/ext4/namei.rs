//! Making new inodes with names: mknod (regular files, devices, FIFOs,
//! sockets), mkdir, symlink (fast in `i_block` below 60 bytes, else in a
//! block); unnamed regular files (`O_TMPFILE`, born on the orphan list); and
//! the helpers every change of a directory or record goes through. New
//! inodes belong to root, with the group and set-group-ID bit of a
//! set-group-ID directory as Linux's inode_init_owner() gives them.

use super::dir::Dir;
use super::dir_write::{new_dir_block, DirWriter};
use super::disk_inode::{self, DiskInode, EXT4_EXTENTS_FL, I_BLOCK_LEN};
use super::extent::ExtentMap;
use super::extent_write;
use super::file;
use super::fileattr;
use super::handle::Handle;
use super::inode::Inode;
use super::link::{inc_dir_links, LINK_MAX};
use super::superblock::RO_COMPAT_DIR_NLINK;
use crate::types::{FileType, Owner, S_IFMT};
use arch::{Errno, Result};
use std::sync::atomic::Ordering;
use std::sync::Arc;

const S_ISGID: u32 = 0o2000;

/// Checks a new name: 1 to 255 bytes.
pub(super) fn check_name(name: &[u8]) -> Result<()> {
    match name.len() {
        0 => Err(Errno::ENOENT),
        1..=255 => Ok(()),
        _ => Err(Errno::ENAMETOOLONG),
    }
}

impl Inode {
    /// Runs `f` on this directory's entries; stamps its modification and change
    /// times if `stamp`, and writes its record back.
    pub(super) fn change_dir<T>(
        &self,
        h: &mut Handle,
        stamp: bool,
        f: impl FnOnce(&mut DirWriter) -> Result<T>,
    ) -> Result<T> {
        if self.kind() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        let mut st = self.lock()?;
        let (disk, map) = st.parts(&self.fs, self.ino)?;
        let r = f(&mut DirWriter {
            h,
            ino: self.ino,
            disk,
            map,
        });
        if stamp && r.is_ok() {
            let now = h.now();
            disk.mtime = now;
            disk.ctime = now;
        }
        // Written even after an error: a failed step may have changed the
        // record (blocks, the index flag) consistently with its blocks.
        self.fs.write_inode(self.ino, disk)?;
        r
    }

    /// Runs `f` on this inode's record and writes it back.
    pub(super) fn change<T>(
        &self,
        h: &mut Handle,
        f: impl FnOnce(&mut Handle, &mut DiskInode) -> Result<T>,
    ) -> Result<T> {
        let mut st = self.lock()?;
        let r = f(h, &mut st.disk)?;
        self.fs.write_inode(self.ino, &st.disk)?;
        Ok(r)
    }

    /// Returns entry `name` of this directory: inode number and dirent type.
    pub(super) fn find(&self, name: &[u8]) -> Result<Option<(u32, u8)>> {
        let mut st = self.lock()?;
        let (disk, map) = st.parts(&self.fs, self.ino)?;
        if disk.links == 0 {
            return Ok(None);
        }
        Dir {
            fs: &self.fs,
            ino: self.ino,
            disk,
            map,
        }
        .find(name)
    }

    /// Creates a new inode of type `ft` named `name` here, or with no name
    /// and no links on the orphan list if `name` is `None` (`O_TMPFILE`);
    /// `init` fills its record and blocks.
    fn add_new(
        &self,
        name: Option<&[u8]>,
        ft: FileType,
        perm: u32,
        owner: Owner,
        init: impl FnOnce(&mut Handle, u32, &mut DiskInode, &mut ExtentMap) -> Result<()>,
    ) -> Result<Arc<Inode>> {
        if let Some(name) = name {
            check_name(name)?;
        }
        if self.kind() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        let fs = &self.fs;
        let mut h = fs.begin()?;
        let (parent_mode, parent_gid, parent_links, parent_flags) = {
            let st = self.lock()?;
            (
                st.disk.mode as u32,
                st.disk.gid,
                st.disk.links,
                st.disk.flags,
            )
        };
        match name {
            Some(_) if parent_links == 0 => return Err(Errno::ENOENT),
            Some(name) if self.find(name)?.is_some() => return Err(Errno::EEXIST),
            Some(_) => {}
            // Nothing is made in a removed directory, as Linux's
            // __ext4_new_inode() refuses (the VFS stops the named cases).
            None if parent_links == 0 => return Err(Errno::EPERM),
            None => {}
        }
        let is_dir = ft == FileType::Directory;
        if is_dir && parent_links >= LINK_MAX && fs.sb.feature_ro_compat & RO_COMPAT_DIR_NLINK == 0
        {
            return Err(Errno::EMLINK);
        }
        let (gid, perm) = match parent_mode & S_ISGID != 0 {
            true if is_dir => (parent_gid, perm | S_ISGID),
            true => (parent_gid, perm),
            false => (owner.gid, perm),
        };
        let ino = h.alloc_inode(self.ino, is_dir)?;
        let now = h.now();
        let mut gen = [0u8; 4];
        arch::host::random::getrandom(&mut gen);
        let generation = u32::from_le_bytes(gen);
        let mut disk = DiskInode {
            mode: (ft.to_mode_bits() | (perm & 0o7777)) as u16,
            file_type: ft,
            uid: owner.uid,
            gid,
            size: 0,
            links: match name {
                None => 0,
                Some(_) if is_dir => 2,
                Some(_) => 1,
            },
            blocks_512: 0,
            flags: fileattr::inherited(ft, parent_flags),
            i_block: [0; I_BLOCK_LEN],
            generation,
            atime: now,
            ctime: now,
            mtime: now,
            dtime: 0,
            file_acl: 0,
            csum_seed: disk_inode::csum_seed(&fs.sb, ino, generation),
        };
        if matches!(ft, FileType::Regular | FileType::Directory) {
            disk.flags |= EXT4_EXTENTS_FL;
            disk.i_block = extent_write::empty_root();
        }
        let mut map = ExtentMap::default();
        let r = init(&mut h, ino, &mut disk, &mut map)
            .and_then(|()| extent_write::save(&mut h, &mut disk, &mut map))
            .and_then(|()| fs.init_inode(ino, &disk))
            .and_then(|()| match name {
                Some(name) => self.change_dir(&mut h, true, |w| {
                    w.add(name, ino, ft)?;
                    if is_dir {
                        inc_dir_links(w.h, w.disk)?;
                    }
                    Ok(())
                }),
                None => h.orphan_add(ino),
            });
        if let Err(e) = r {
            // Undo: free what the new inode got.
            disk.links = 0;
            let _ = file::free_from(&mut h, &mut disk, &mut map, 0);
            map.dirty = true;
            let _ = extent_write::save(&mut h, &mut disk, &mut map);
            let _ = fs.init_inode(ino, &disk);
            let _ = fs.set_dtime(ino, now.sec as u32);
            let _ = h.free_inode(ino, is_dir);
            return Err(e);
        }
        let inode = fs.inode(ino)?;
        h.finish()?;
        Ok(inode)
    }

    /// Creates a regular file, device node, FIFO or socket.
    pub(super) fn do_mknod(
        &self,
        name: &[u8],
        mode: u32,
        rdev: u64,
        owner: Owner,
    ) -> Result<Arc<Inode>> {
        let ft = FileType::from_mode(mode).ok_or(Errno::EINVAL)?;
        match ft {
            FileType::Directory => return Err(Errno::EPERM),
            FileType::Symlink => return Err(Errno::EINVAL),
            _ => {}
        }
        self.add_new(Some(name), ft, mode & !S_IFMT, owner, |_, _, disk, _| {
            if matches!(ft, FileType::CharDevice | FileType::BlockDevice) {
                disk.set_rdev(rdev);
            }
            Ok(())
        })
    }

    /// Creates a regular file with no name (`Inode::tmpfile`): no links, on
    /// the orphan list from the start, so that a crash leaves it to be freed
    /// by the next mount, as Linux's ext4_tmpfile().
    pub(super) fn do_tmpfile(&self, perm: u32, owner: Owner, linkable: bool) -> Result<Arc<Inode>> {
        let inode = self.add_new(None, FileType::Regular, perm, owner, |_, _, _, _| Ok(()))?;
        inode.linkable.store(linkable, Ordering::Relaxed);
        Ok(inode)
    }

    /// Creates a directory with "." and "..".
    pub(super) fn do_mkdir(&self, name: &[u8], perm: u32, owner: Owner) -> Result<Arc<Inode>> {
        let parent = self.ino;
        self.add_new(
            Some(name),
            FileType::Directory,
            perm,
            owner,
            |h, ino, disk, map| {
                let sb = &h.fs.sb;
                let goal = sb.group_first_block((ino - 1) / sb.inodes_per_group);
                let (pblk, _) = h.alloc_blocks(goal, 1, 0)?;
                map.insert(0, pblk, 1);
                let bs = sb.block_size as u64;
                disk.size = bs;
                disk.blocks_512 = bs / 512;
                let block = new_dir_block(h, ino, disk, map, parent);
                h.fs.cache.write(pblk, block)
            },
        )
    }

    /// Creates a symlink: fast below 60 bytes, else in one block
    /// (`ENAMETOOLONG` when the target and its NUL exceed a block).
    pub(super) fn do_symlink(
        &self,
        name: &[u8],
        target: &[u8],
        owner: Owner,
    ) -> Result<Arc<Inode>> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        let bs = self.fs.sb.block_size as usize;
        if target.len() + 1 > bs.min(crate::namei::PATH_MAX) {
            return Err(Errno::ENAMETOOLONG);
        }
        self.add_new(
            Some(name),
            FileType::Symlink,
            0o777,
            owner,
            |h, ino, disk, map| {
                disk.size = target.len() as u64;
                if target.len() < I_BLOCK_LEN {
                    disk.i_block[..target.len()].copy_from_slice(target);
                    return Ok(());
                }
                let sb = &h.fs.sb;
                let goal = sb.group_first_block((ino - 1) / sb.inodes_per_group);
                let (pblk, _) = h.alloc_blocks(goal, 1, 0)?;
                map.insert(0, pblk, 1);
                disk.blocks_512 = bs as u64 / 512;
                let mut block = vec![0u8; bs];
                block[..target.len()].copy_from_slice(target);
                h.fs.cache.write(pblk, block)
            },
        )
    }
}
