//! cgroup2's file handles, as Linux's kernfs (`kernfs_export_ops`, which
//! cgroup2 turns on): `FILEID_KERNFS`, the node's 64-bit id — its inode
//! number, on 64-bit machines — in two words; decoding also takes the
//! generic 32-bit type whose two words hold the same id (what blktrace
//! shows). A group removed, a file not in its group, or a group outside the
//! mount's cgroup namespace is `ESTALE`. systemd compares cgroups this way.

use super::files::FILES;
use super::fs::{dir_inode, file_inode, CgroupDir};
use super::Cgroup;
use arch::{Errno, Result};
use fs::export::{Fid, FILEID_INO32_GEN, FILEID_INO32_GEN_PARENT};
use fs::Inode;
use std::sync::Arc;

/// `FILEID_KERNFS`.
const FILEID_KERNFS: u32 = 0xfe;
/// The low bits of an inode number that say which file of its group it is
/// (0: the directory); the group's id is above them (see fs.rs).
const FILE_BITS: u32 = 6;

/// Returns the handle of `inode`.
pub(super) fn encode_fh(inode: &dyn Inode) -> Fid {
    let id = inode.ino();
    Fid {
        fh_type: FILEID_KERNFS,
        words: vec![id as u32, (id >> 32) as u32],
    }
}

/// Returns the inode a handle names, if it is at or below `root`.
pub(super) fn fh_to_inode(root: &Arc<Cgroup>, fid: &Fid) -> Result<Arc<dyn Inode>> {
    let (&[lo, hi, ..], FILEID_KERNFS | FILEID_INO32_GEN | FILEID_INO32_GEN_PARENT) =
        (&fid.words[..], fid.fh_type)
    else {
        return Err(Errno::ESTALE);
    };
    let id = u64::from(hi) << 32 | u64::from(lo);
    let cg = find(root, id >> FILE_BITS).ok_or(Errno::ESTALE)?;
    if cg.st.borrow().removed {
        return Err(Errno::ESTALE);
    }
    let index = (id & ((1 << FILE_BITS) - 1)) as usize;
    if index == 0 {
        return Ok(dir_inode(&cg));
    }
    match FILES.get(index - 1) {
        Some(f) if f.present(&cg) => Ok(file_inode(&cg, f)),
        _ => Err(Errno::ESTALE),
    }
}

/// Returns the group with id `id` at or below `root`.
fn find(root: &Arc<Cgroup>, id: u64) -> Option<Arc<Cgroup>> {
    let mut todo = vec![root.clone()];
    while let Some(cg) = todo.pop() {
        if cg.id == id {
            return Some(cg);
        }
        todo.extend(cg.st.borrow().children.values().cloned());
    }
    None
}

/// Returns the directory of the group above directory `dir` (the root
/// of the hierarchy is its own).
pub(super) fn get_parent(dir: &dyn Inode) -> Result<Arc<dyn Inode>> {
    let dir = dir
        .as_any()
        .downcast_ref::<CgroupDir>()
        .ok_or(Errno::ESTALE)?;
    let cg = dir.cg.parent.clone().unwrap_or_else(|| dir.cg.clone());
    Ok(dir_inode(&cg))
}
