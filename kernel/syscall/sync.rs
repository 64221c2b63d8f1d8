//! Writing back: fsync and fdatasync (the file's dirty page-cache pages, then
//! the whole filesystem of the file, which is more than they must), syncfs and
//! sync. Files that cannot be synchronised (devices, pipes, terminals) give
//! EINVAL, as fsync(2) says.

use super::attr::io_file;
use super::namei::vfs;
use super::rw::file;
use super::SyscallContext;
use arch::{Errno, Result};
use fs::FileType;

pub fn sys_fsync(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    let f = io_file(ctx, a[0])?;
    let p = f.path().ok_or(Errno::EINVAL)?;
    match p.inode().file_type() {
        FileType::Regular | FileType::Directory | FileType::Symlink => {
            if let Some(space) = fs::address_space::find(p.inode().as_ref()) {
                space.write_back()?;
            }
            p.mnt.fs().sync()?;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

pub fn sys_fdatasync(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    sys_fsync(ctx, a)
}

pub fn sys_syncfs(ctx: &mut SyscallContext, a: [u64; 6]) -> Result<u64> {
    if let Some(p) = file(ctx, a[0])?.path() {
        let fs = p.mnt.fs();
        fs::address_space::write_back_all(Some(fs.dev()))?;
        fs.sync()?;
    }
    Ok(0)
}

/// sync(2) always succeeds; failures are logged.
pub fn sys_sync(_ctx: &mut SyscallContext, _a: [u64; 6]) -> Result<u64> {
    let _ = vfs().sync();
    Ok(0)
}
