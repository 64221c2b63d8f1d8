//! mount(2) and umount2(2), for root only (`EPERM` otherwise): new mounts of
//! the types `filesystems` knows, remounts that change a mount's flags, bind
//! mounts (recursive with MS_REC), MS_MOVE, and unmounting — `EBUSY` while
//! something is mounted below, or a live process has its root, working
//! directory, executable or an open file inside, unless MNT_DETACH takes it
//! out of the tree lazily. MS_SHARED, MS_PRIVATE, MS_SLAVE and MS_UNBINDABLE
//! change a mount's propagation (`crate::mnt_ns`, `fs::propagation`). A
//! remount does not change a filesystem's own options (tmpfs size=).

use super::arg::{Fd, UserStr};
use super::namei::vfs;
use super::open::resolve_at;
use crate::task::all_processes;
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::{Mount, MountFlags, Path};
use std::sync::Arc;

const MS_RDONLY: u64 = 1;
const MS_NOSUID: u64 = 2;
const MS_NODEV: u64 = 4;
const MS_NOEXEC: u64 = 8;
const MS_REMOUNT: u64 = 32;
const MS_NOSYMFOLLOW: u64 = 256;
const MS_NOATIME: u64 = 1024;
const MS_NODIRATIME: u64 = 2048;
const MS_BIND: u64 = 4096;
const MS_MOVE: u64 = 8192;
const MS_REC: u64 = 16384;
const MS_RELATIME: u64 = 1 << 21;
const MS_STRICTATIME: u64 = 1 << 24;
/// The magic number old programs put in the top half of the flags.
const MS_MGC_VAL: u64 = 0xc0ed_0000;
const MS_MGC_MSK: u64 = 0xffff_0000;
const ATIME_FLAGS: u64 = MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME;
const PROPAGATION: u64 = crate::mnt_ns::MS_PROPAGATION;

const MNT_FORCE: u64 = 1;
const MNT_DETACH: u64 = 2;
const MNT_EXPIRE: u64 = 4;
const UMOUNT_NOFOLLOW: u64 = 8;

/// Returns the per-mount flags `flags` ask for (relatime unless told otherwise).
fn mount_flags(flags: u64) -> MountFlags {
    let mut f = MountFlags::empty();
    for (ms, mf) in [
        (MS_RDONLY, MountFlags::RDONLY),
        (MS_NOSUID, MountFlags::NOSUID),
        (MS_NODEV, MountFlags::NODEV),
        (MS_NOEXEC, MountFlags::NOEXEC),
        (MS_NOATIME, MountFlags::NOATIME),
        (MS_NODIRATIME, MountFlags::NODIRATIME),
        (MS_NOSYMFOLLOW, MountFlags::NOSYMFOLLOW),
    ] {
        if flags & ms != 0 {
            f |= mf;
        }
    }
    if flags & (MS_NOATIME | MS_STRICTATIME) == 0 {
        f |= MountFlags::RELATIME;
    }
    f
}

/// Reads an optional string argument of mount(2) (at most a page).
fn read_opt(ctx: &TrapContext, s: UserStr) -> Result<Option<Vec<u8>>> {
    if s.is_null() {
        return Ok(None);
    }
    let s = s.read_path(ctx).map_err(|e| {
        if e == Errno::ENAMETOOLONG {
            Errno::EINVAL
        } else {
            e
        }
    })?;
    Ok(Some(s))
}

/// Returns whether the caller may mount and unmount: CAP_SYS_ADMIN.
fn is_root(ctx: &TrapContext) -> bool {
    ctx.task
        .process
        .cred
        .borrow()
        .capable(arch::abi::capability::CAP_SYS_ADMIN)
}

/// Returns whether `p` is the root of its mount.
fn is_mount_root(p: &Path) -> bool {
    Arc::ptr_eq(&p.dentry, p.mnt.root())
}

pub fn sys_mount(
    ctx: &mut TrapContext,
    source: UserStr,
    target: UserStr,
    fstype: UserStr,
    flags: u64,
    data: UserStr,
) -> Result<u64> {
    let mut flags = flags;
    if flags & MS_MGC_MSK == MS_MGC_VAL {
        flags &= !MS_MGC_MSK;
    }
    let source = read_opt(ctx, source)?;
    let target = target.read_path(ctx)?;
    let fstype = read_opt(ctx, fstype)?;
    let data = read_opt(ctx, data)?.unwrap_or_default();
    if !is_root(ctx) {
        return Err(Errno::EPERM);
    }
    let at = resolve_at(ctx, Fd::AT_FDCWD, &target, 0, true)?;
    let mut mflags = mount_flags(flags);
    let source_path = |ctx: &TrapContext| -> Result<Path> {
        let s = source.as_deref().ok_or(Errno::EFAULT)?;
        resolve_at(ctx, Fd::AT_FDCWD, s, 0, true)
    };
    if flags & MS_REMOUNT != 0 {
        if !is_mount_root(&at) {
            return Err(Errno::EINVAL);
        }
        if flags & ATIME_FLAGS == 0 {
            let atime = MountFlags::NOATIME | MountFlags::NODIRATIME | MountFlags::RELATIME;
            mflags = (mflags - atime) | (at.mnt.flags() & atime);
        }
        if flags & MS_BIND != 0 {
            vfs().remount(&at, mflags)?;
        } else {
            vfs().remount_fs(&at, mflags)?;
        }
    } else if flags & MS_BIND != 0 {
        let from = source_path(ctx)?;
        // A bind mount has its source's flags; MS_RDONLY needs a remount.
        let inherited = from.mnt.flags();
        vfs().bind_mount(&from, &at, inherited, flags & MS_REC != 0)?;
    } else if flags & PROPAGATION != 0 {
        crate::mnt_ns::change_propagation(&at, flags, flags & MS_REC != 0)?;
    } else if flags & MS_MOVE != 0 {
        vfs().move_mount(&source_path(ctx)?, &at)?;
    } else {
        let fstype = fstype.ok_or(Errno::EINVAL)?;
        let fstype = std::str::from_utf8(&fstype).map_err(|_| Errno::ENODEV)?;
        let data = String::from_utf8_lossy(&data);
        let src = source.unwrap_or_else(|| b"none".to_vec());
        let read_only = flags & MS_RDONLY != 0;
        let fs = crate::filesystems::instance(ctx.task, fstype, &src, &data, read_only)?;
        let name = String::from_utf8_lossy(&src);
        vfs().mount_fs(&at, fs, mflags, &name)?;
    }
    Ok(0)
}

/// Returns whether a live process has its root, working directory,
/// executable or an open file on `mnt`.
fn busy(mnt: &Arc<Mount>) -> bool {
    let on = |p: &Path| Arc::ptr_eq(&p.mnt, mnt);
    all_processes().iter().any(|p| {
        if p.exit_status.borrow().is_some() {
            return false;
        }
        let fsc = p.fs.borrow().clone();
        if on(&fsc.root) || on(&fsc.cwd) || p.exe.borrow().as_ref().is_some_and(on) {
            return true;
        }
        let files = p.files.borrow().clone();
        let files = files.borrow();
        files
            .fds()
            .into_iter()
            .filter_map(|fd| files.get(fd).ok())
            .any(|f| f.path().is_some_and(on))
    })
}

pub fn sys_umount2(ctx: &mut TrapContext, target: UserStr, flags: u64) -> Result<u64> {
    if flags & !(MNT_FORCE | MNT_DETACH | MNT_EXPIRE | UMOUNT_NOFOLLOW) != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MNT_EXPIRE != 0 && flags & (MNT_FORCE | MNT_DETACH) != 0 {
        return Err(Errno::EINVAL);
    }
    let target = target.read_path(ctx)?;
    let follow = flags & UMOUNT_NOFOLLOW == 0;
    let at = vfs().follow_mounts(resolve_at(ctx, Fd::AT_FDCWD, &target, 0, follow)?);
    if !is_root(ctx) {
        return Err(Errno::EPERM);
    }
    if !is_mount_root(&at) {
        return Err(Errno::EINVAL);
    }
    let detach = flags & MNT_DETACH != 0;
    if !detach && busy(&at.mnt) {
        return Err(Errno::EBUSY);
    }
    if flags & MNT_EXPIRE != 0 {
        // The first request only marks the mount as expired, as Linux does.
        return Err(Errno::EAGAIN);
    }
    let fs = at.mnt.fs().clone();
    vfs().umount(&at, detach)?;
    // The last mount of a filesystem gone: write it out, as Linux's
    // deactivate_super does, so that the device is clean from now on.
    if !vfs().mounts().iter().any(|m| Arc::ptr_eq(m.fs(), &fs)) {
        fs::sync_filesystem(fs.as_ref())?;
    }
    Ok(0)
}

/// pivot_root(2): makes `new_root` the root of the caller's mount namespace
/// and mounts the old root at `put_old` (`crate::mnt_ns`).
pub fn sys_pivot_root(ctx: &mut TrapContext, new_root: UserStr, put_old: UserStr) -> Result<u64> {
    if !is_root(ctx) {
        return Err(Errno::EPERM);
    }
    let new_root = new_root.read_path(ctx)?;
    let put_old = put_old.read_path(ctx)?;
    let new = resolve_at(ctx, Fd::AT_FDCWD, &new_root, 0, true)?;
    let old = resolve_at(ctx, Fd::AT_FDCWD, &put_old, 0, true)?;
    crate::mnt_ns::pivot_root(ctx.task, &new, &old)?;
    Ok(0)
}
