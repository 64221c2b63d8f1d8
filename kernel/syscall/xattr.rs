//! The extended attribute system calls (xattr(7)): setxattr, getxattr,
//! listxattr, removexattr, each on a path (following symlinks), on a path
//! without following (`l` forms) and on a descriptor (`f` forms). Names and
//! sizes are checked here as Linux copies them in (`ERANGE`, `E2BIG`); the
//! rules of the namespaces are `Vfs`'s.

use super::arg::{Fd, UserStr};
use super::attr::io_file;
use super::namei::vfs;
use super::open::resolve_at;
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::{Path, XattrFlags, XATTR_NAME_MAX, XATTR_SIZE_MAX};

/// The longest list listxattr returns (`XATTR_LIST_MAX`).
const XATTR_LIST_MAX: usize = 65536;

/// Which file a call names.
#[derive(Clone, Copy)]
enum Target {
    /// A path, its final symlink followed or not.
    Path(UserStr, bool),
    /// An open file.
    Fd(Fd),
}

fn resolve(ctx: &TrapContext, t: Target) -> Result<Path> {
    match t {
        Target::Path(addr, follow) => {
            let path = addr.read_path(ctx)?;
            resolve_at(ctx, Fd::AT_FDCWD, &path, 0, follow)
        }
        Target::Fd(fd) => io_file(ctx, fd)?.path().cloned().ok_or(Errno::EOPNOTSUPP),
    }
}

/// Reads an attribute name: 1 to 255 bytes, else `ERANGE`.
fn read_name(ctx: &TrapContext, addr: u64) -> Result<Vec<u8>> {
    let name = ctx
        .task
        .mm()
        .borrow_mut()
        .read_cstring(addr, XATTR_NAME_MAX + 1)
        .map_err(|e| match e {
            Errno::ENAMETOOLONG => Errno::ERANGE,
            e => e,
        })?;
    if name.is_empty() {
        return Err(Errno::ERANGE);
    }
    Ok(name)
}

/// Copies `data` to the user buffer `addr` of `size` bytes, as the get and
/// list calls answer: with size 0 only the length, `ERANGE` if too small.
fn answer(ctx: &TrapContext, data: &[u8], addr: u64, size: u64) -> Result<u64> {
    if size == 0 {
        return Ok(data.len() as u64);
    }
    if data.len() as u64 > size {
        return Err(Errno::ERANGE);
    }
    ctx.write_user(addr, data)?;
    Ok(data.len() as u64)
}

fn do_setxattr(
    ctx: &mut TrapContext,
    t: Target,
    (name, value, size, flags): (u64, u64, u64, u64),
) -> Result<u64> {
    let flags = u32::try_from(flags)
        .ok()
        .and_then(XattrFlags::from_bits)
        .ok_or(Errno::EINVAL)?;
    let name = read_name(ctx, name)?;
    let size = size as usize;
    if size > XATTR_SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    let mut data = vec![0u8; size];
    ctx.read_user(value, &mut data)?;
    let p = resolve(ctx, t)?;
    vfs().setxattr(&ctx.cred(), &p, &name, &data, flags)?;
    Ok(0)
}

fn do_getxattr(
    ctx: &mut TrapContext,
    t: Target,
    (name, value, size): (u64, u64, u64),
) -> Result<u64> {
    let name = read_name(ctx, name)?;
    let p = resolve(ctx, t)?;
    let data = vfs().getxattr(&ctx.cred(), &p, &name)?;
    answer(ctx, &data, value, size.min(XATTR_SIZE_MAX as u64))
}

fn do_listxattr(ctx: &mut TrapContext, t: Target, (list, size): (u64, u64)) -> Result<u64> {
    let p = resolve(ctx, t)?;
    let names = vfs().listxattr(&ctx.cred(), &p)?;
    if names.len() > XATTR_LIST_MAX {
        return Err(Errno::E2BIG);
    }
    answer(ctx, &names, list, size.min(XATTR_LIST_MAX as u64))
}

fn do_removexattr(ctx: &mut TrapContext, t: Target, name: u64) -> Result<u64> {
    let name = read_name(ctx, name)?;
    let p = resolve(ctx, t)?;
    vfs().removexattr(&ctx.cred(), &p, &name)?;
    Ok(0)
}

pub fn sys_setxattr(
    ctx: &mut TrapContext,
    path: UserStr,
    name: u64,
    value: u64,
    size: u64,
    flags: u64,
) -> Result<u64> {
    do_setxattr(ctx, Target::Path(path, true), (name, value, size, flags))
}
pub fn sys_lsetxattr(
    ctx: &mut TrapContext,
    path: UserStr,
    name: u64,
    value: u64,
    size: u64,
    flags: u64,
) -> Result<u64> {
    do_setxattr(ctx, Target::Path(path, false), (name, value, size, flags))
}
pub fn sys_fsetxattr(
    ctx: &mut TrapContext,
    fd: Fd,
    name: u64,
    value: u64,
    size: u64,
    flags: u64,
) -> Result<u64> {
    do_setxattr(ctx, Target::Fd(fd), (name, value, size, flags))
}
pub fn sys_getxattr(
    ctx: &mut TrapContext,
    path: UserStr,
    name: u64,
    value: u64,
    size: u64,
) -> Result<u64> {
    do_getxattr(ctx, Target::Path(path, true), (name, value, size))
}
pub fn sys_lgetxattr(
    ctx: &mut TrapContext,
    path: UserStr,
    name: u64,
    value: u64,
    size: u64,
) -> Result<u64> {
    do_getxattr(ctx, Target::Path(path, false), (name, value, size))
}
pub fn sys_fgetxattr(
    ctx: &mut TrapContext,
    fd: Fd,
    name: u64,
    value: u64,
    size: u64,
) -> Result<u64> {
    do_getxattr(ctx, Target::Fd(fd), (name, value, size))
}
pub fn sys_listxattr(ctx: &mut TrapContext, path: UserStr, list: u64, size: u64) -> Result<u64> {
    do_listxattr(ctx, Target::Path(path, true), (list, size))
}
pub fn sys_llistxattr(ctx: &mut TrapContext, path: UserStr, list: u64, size: u64) -> Result<u64> {
    do_listxattr(ctx, Target::Path(path, false), (list, size))
}
pub fn sys_flistxattr(ctx: &mut TrapContext, fd: Fd, list: u64, size: u64) -> Result<u64> {
    do_listxattr(ctx, Target::Fd(fd), (list, size))
}
pub fn sys_removexattr(ctx: &mut TrapContext, path: UserStr, name: u64) -> Result<u64> {
    do_removexattr(ctx, Target::Path(path, true), name)
}
pub fn sys_lremovexattr(ctx: &mut TrapContext, path: UserStr, name: u64) -> Result<u64> {
    do_removexattr(ctx, Target::Path(path, false), name)
}
pub fn sys_fremovexattr(ctx: &mut TrapContext, fd: Fd, name: u64) -> Result<u64> {
    do_removexattr(ctx, Target::Fd(fd), name)
}
