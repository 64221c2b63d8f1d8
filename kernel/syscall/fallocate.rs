//! fallocate(2): the range and the mode are checked here, at the edge, in
//! Linux's order (`EINVAL` for the range, then `EOPNOTSUPP` for the mode),
//! the rest by the VFS (`File::fallocate`). Like a write, a call that
//! changed the file clears its set-user-ID bit (Linux's `file_modified`).

use super::arg::Fd;
use super::rw::remove_privs;
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::FallocMode;

/// fallocate(fd, mode, offset, len).
pub fn sys_fallocate(
    ctx: &mut TrapContext,
    fd: Fd,
    mode: u32,
    offset: i64,
    len: i64,
) -> Result<u64> {
    let f = fd.file(ctx)?;
    if offset < 0 || len <= 0 {
        return Err(Errno::EINVAL);
    }
    let mode = FallocMode::from_bits(mode)?;
    // A range that grows the file meets RLIMIT_FSIZE (shmem_fallocate's and
    // ext4's inode_newsize_ok).
    let grows = matches!(
        mode,
        FallocMode::Allocate { keep_size: false } | FallocMode::ZeroRange { keep_size: false }
    );
    if let (true, Some(inode)) = (grows, f.inode()) {
        if inode.file_type() == fs::FileType::Regular {
            let end = (offset as u64).saturating_add(len as u64);
            super::rlimit::fsize_grow(ctx, inode.as_ref(), end)?;
        }
    }
    f.fallocate(mode, offset as u64, len as u64)?;
    remove_privs(ctx, &f)?;
    Ok(0)
}
