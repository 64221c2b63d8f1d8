//! File handles, as Linux's fs/exportfs and include/linux/exportfs.h: a
//! filesystem that can find its inodes again by number says so by encoding
//! a `Fid` (`FileSystem::encode_fh`, Linux's `export_operations.encode_fh`)
//! and decoding one (`FileSystem::fh_to_inode`, `fh_to_dentry`). This module
//! joins them to the VFS for name_to_handle_at(2) and open_by_handle_at(2):
//! non-directories come back on a dentry of their own with no parent (a
//! disconnected alias, as `d_obtain_alias` makes), directories are
//! reconnected to their place in the dentry tree (`reconnect_path`) by
//! walking ".." up to the filesystem's root and looking the names up again.

use crate::dentry::Dentry;
use crate::inode::Inode;
use crate::mount::{Mount, Path};
use crate::types::FileType;
use arch::{Errno, Result};
use std::sync::Arc;

/// The largest handle, in bytes (`MAX_HANDLE_SZ`).
pub const MAX_HANDLE_SZ: usize = 128;
/// 32-bit inode number and generation (`FILEID_INO32_GEN`).
pub const FILEID_INO32_GEN: u32 = 1;
/// The same followed by the parent's (`FILEID_INO32_GEN_PARENT`).
pub const FILEID_INO32_GEN_PARENT: u32 = 2;
/// 64-bit inode number and generation, for handles that only identify a
/// file (`FILEID_INO64_GEN`, what `AT_HANDLE_FID` gets from filesystems
/// that cannot decode).
pub const FILEID_INO64_GEN: u32 = 0x81;
/// The type an encoder answers when the buffer is too small (`FILEID_INVALID`).
pub const FILEID_INVALID: u32 = 0xff;
/// Deepest directory tree `reconnect` climbs before giving up.
const MAX_DEPTH: usize = 4096;

/// An encoded handle: its type and its 32-bit words, as Linux's `struct fid`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fid {
    pub fh_type: u32,
    pub words: Vec<u32>,
}

impl Fid {
    /// Returns the handle's bytes, as the guest's `f_handle` holds them.
    pub fn to_bytes(&self) -> Vec<u8> {
        self.words.iter().flat_map(|w| w.to_ne_bytes()).collect()
    }

    /// Returns the handle of type `fh_type` held in `bytes` (whole words;
    /// a trailing partial word is ignored, as Linux rounds down).
    pub fn from_bytes(fh_type: u32, bytes: &[u8]) -> Fid {
        let words = bytes
            .chunks_exact(4)
            .map(|c| u32::from_ne_bytes([c[0], c[1], c[2], c[3]]))
            .collect();
        Fid { fh_type, words }
    }
}

/// Returns the handle of the file at `p`: its filesystem's own
/// (`EOPNOTSUPP` if it has none), or with `fid_only` (`AT_HANDLE_FID`) an
/// inode number and generation for filesystems that cannot decode
/// (Linux's `exportfs_encode_ino64_fid`).
pub fn encode_fh(p: &Path, fid_only: bool) -> Result<Fid> {
    encode_inode_fh(p.mnt.fs().as_ref(), p.inode().as_ref(), fid_only)
}

/// Returns the handle of `inode` of `fs`, as `encode_fh` does.
pub fn encode_inode_fh(
    fs: &dyn crate::inode::FileSystem,
    inode: &dyn Inode,
    fid_only: bool,
) -> Result<Fid> {
    match fs.encode_fh(inode) {
        Some(fid) => Ok(fid),
        None if fid_only => Ok(ino64_fid(inode.ino(), 0)),
        None => Err(Errno::EOPNOTSUPP),
    }
}

/// Returns a `FILEID_INO64_GEN` handle for inode `ino`, generation `gen`.
pub fn ino64_fid(ino: u64, gen: u32) -> Fid {
    Fid {
        fh_type: FILEID_INO64_GEN,
        words: vec![ino as u32, (ino >> 32) as u32, gen],
    }
}

/// Returns the place handle `fid` names on the filesystem of `mnt`
/// (Linux's `exportfs_decode_fh` with every alias acceptable): `ESTALE`
/// when the filesystem cannot decode or the file is gone.
pub fn handle_to_path(mnt: &Arc<Mount>, fid: &Fid) -> Result<Path> {
    let inode = mnt.fs().fh_to_inode(fid)?;
    let dentry = if inode.file_type() == FileType::Directory {
        reconnect(mnt, inode)?
    } else {
        Dentry::new_anon(inode)
    };
    Ok(Path {
        mnt: mnt.clone(),
        dentry,
    })
}

/// Returns the dentry of directory `dir` in the tree of `mnt`'s filesystem,
/// found by climbing ".." to the root and looking each name up again.
fn reconnect(mnt: &Arc<Mount>, dir: Arc<dyn Inode>) -> Result<Arc<Dentry>> {
    let top = mnt.root().top();
    let fs = mnt.fs();
    let mut names = Vec::new();
    let mut cur = dir.clone();
    while !cur.is_same(top.inode().as_ref()) {
        if names.len() >= MAX_DEPTH {
            return Err(Errno::ESTALE);
        }
        let parent = fs.get_parent(cur.as_ref())?;
        if parent.is_same(cur.as_ref()) {
            // A root that is not the tree's: the directory is not reachable.
            return Err(Errno::ESTALE);
        }
        names.push(get_name(parent.as_ref(), cur.ino())?);
        cur = parent;
    }
    let mut d = top;
    for name in names.iter().rev() {
        d = d.lookup(name).map_err(|_| Errno::ESTALE)?;
    }
    if !d.inode().is_same(dir.as_ref()) {
        return Err(Errno::ESTALE);
    }
    Ok(d)
}

/// Returns the name under which directory `parent` holds inode `ino`
/// (Linux's generic `get_name`, a scan of the directory).
fn get_name(parent: &dyn Inode, ino: u64) -> Result<Vec<u8>> {
    let mut found = None;
    let mut pos = 0;
    loop {
        let mut progressed = false;
        pos = parent.readdir(pos, &mut |e| {
            progressed = true;
            if e.ino == ino && e.name != b"." && e.name != b".." {
                found = Some(e.name.to_vec());
                return false;
            }
            true
        })?;
        if found.is_some() || !progressed {
            break;
        }
    }
    found.ok_or(Errno::ESTALE)
}
