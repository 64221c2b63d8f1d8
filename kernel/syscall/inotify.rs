//! inotify_init, inotify_init1, inotify_add_watch and inotify_rm_watch
//! (inotify(7)). Errors come in Linux's order: the mask is checked before the
//! descriptor (`EBADF`), which must be an inotify instance (`EINVAL`), then
//! the path walk and read permission on the file.

use super::arg::{Fd, UserStr};
use crate::inotify::{inotify_of, Inotify};
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::fsnotify::{IN_DONT_FOLLOW, IN_MASK_ADD, IN_MASK_CREATE, IN_ONLYDIR};
use fs::{Access, File, FileType, LookupFlags, OpenFlags};

const IN_CLOEXEC: u64 = OpenFlags::O_CLOEXEC.bits() as u64;
const IN_NONBLOCK: u64 = OpenFlags::O_NONBLOCK.bits() as u64;
/// Every bit inotify_add_watch(2) knows (Linux's `ALL_INOTIFY_BITS`).
const ALL_INOTIFY_BITS: u32 = 0xf700_efff;

fn do_init(ctx: &mut TrapContext, flags: u64) -> Result<u64> {
    let flags = flags as u32 as u64;
    if flags & !(IN_CLOEXEC | IN_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let uid = ctx.task.process.cred.borrow().euid;
    let status = OpenFlags::from_bits_truncate((flags & IN_NONBLOCK) as u32);
    let f = File::new(None, Inotify::new(uid)?, status);
    let fd = ctx.task.files().borrow_mut().alloc(
        f,
        flags & IN_CLOEXEC != 0,
        ctx.task.process.nofile(),
    )?;
    Ok(fd as u64)
}

pub fn sys_inotify_init(ctx: &mut TrapContext) -> Result<u64> {
    do_init(ctx, 0)
}

pub fn sys_inotify_init1(ctx: &mut TrapContext, flags: u64) -> Result<u64> {
    do_init(ctx, flags)
}

pub fn sys_inotify_add_watch(
    ctx: &mut TrapContext,
    fd: Fd,
    path: UserStr,
    mask: u64,
) -> Result<u64> {
    let mask = mask as u32;
    if mask & IN_MASK_ADD != 0 && mask & IN_MASK_CREATE != 0 {
        return Err(Errno::EINVAL);
    }
    if mask & ALL_INOTIFY_BITS == 0 {
        return Err(Errno::EINVAL);
    }
    let f = fd.file(ctx)?;
    let group = inotify_of(&f).ok_or(Errno::EINVAL)?;
    let path = path.read_path(ctx)?;
    let (root, start) = super::open::start_dir(ctx, Fd::AT_FDCWD, &path)?;
    let mut lf = LookupFlags::empty();
    if mask & IN_DONT_FOLLOW == 0 {
        lf |= LookupFlags::FOLLOW;
    }
    if mask & IN_ONLYDIR != 0 {
        lf |= LookupFlags::DIRECTORY;
    }
    let cred = ctx.cred();
    let p = crate::boot::kernel()
        .vfs
        .lookup(&cred, &root, &start, &path, lf)?;
    let inode = p.inode();
    if mask & IN_ONLYDIR != 0 && inode.file_type() != FileType::Directory {
        return Err(Errno::ENOTDIR);
    }
    fs::permission(&cred, &inode.stat()?, Access::READ)?;
    Ok(group.add_watch(&inode, mask)? as u64)
}

pub fn sys_inotify_rm_watch(ctx: &mut TrapContext, fd: Fd, wd: u64) -> Result<u64> {
    let f = fd.file(ctx)?;
    let group = inotify_of(&f).ok_or(Errno::EINVAL)?;
    group.rm_watch(wd as i32)?;
    Ok(0)
}
