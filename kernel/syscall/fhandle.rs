//! name_to_handle_at(2) and open_by_handle_at(2), as Linux's fs/fhandle.c:
//! a `struct file_handle` (`handle_bytes`, `handle_type`, then the bytes
//! the filesystem's encoder made, see fs::export) names a file by inode
//! rather than by path, and a process with `CAP_DAC_READ_SEARCH` opens it
//! again without searching any directory. The mount id written beside a
//! handle is mountinfo's first column, as statx's `stx_mnt_id`.

use super::arg::{Fd, UserStr};
use super::open::{open_file, OpenHow, AT_EMPTY_PATH};
use crate::task::TrapContext;
use arch::abi::capability::CAP_DAC_READ_SEARCH;
use arch::{Errno, Result};
use fs::export::{self, Fid, FILEID_INVALID, MAX_HANDLE_SZ};
use fs::{FileType, LookupFlags, OpenFlags, Path};

/// `AT_SYMLINK_FOLLOW`: name_to_handle_at follows a final symlink only so.
const AT_SYMLINK_FOLLOW: u64 = 0x400;
/// `AT_HANDLE_FID` (Linux 6.5): the handle only identifies the file, and
/// filesystems that cannot decode handles still give one.
const AT_HANDLE_FID: u64 = 0x200;
/// The fixed part of `struct file_handle`.
const HEADER: usize = 8;
/// The flags of `handle_type` Linux keeps for itself (`FILEID_IS_CONNECTABLE`,
/// `FILEID_IS_DIR`), and the whole range of such flags.
const FILEID_VALID_USER_FLAGS: u32 = 0x3_0000;
const FILEID_USER_FLAGS_MASK: u32 = 0xffff_0000;

/// Reads the header of the `struct file_handle` at `addr`: its
/// `handle_bytes` and `handle_type`.
fn read_header(ctx: &TrapContext, addr: u64) -> Result<(u32, i32)> {
    let mut h = [0u8; HEADER];
    ctx.read_user(addr, &mut h)?;
    let bytes = u32::from_ne_bytes([h[0], h[1], h[2], h[3]]);
    let ty = i32::from_ne_bytes([h[4], h[5], h[6], h[7]]);
    Ok((bytes, ty))
}

/// Returns the place name_to_handle_at names (`AT_EMPTY_PATH` with an empty
/// path: `dirfd` itself; a file without a path, a pipe, cannot be exported).
fn handle_path(ctx: &mut TrapContext, dirfd: Fd, path: UserStr, flags: u64) -> Result<Path> {
    let path = path.read_path(ctx)?;
    if path.is_empty() && flags & AT_EMPTY_PATH != 0 && dirfd != Fd::AT_FDCWD {
        let f = dirfd.file(ctx)?;
        return f.path().cloned().ok_or(Errno::EOPNOTSUPP);
    }
    // Unlike the other *at calls, a final symlink is followed only on request.
    let follow = flags & AT_SYMLINK_FOLLOW != 0;
    super::open::resolve_at(ctx, dirfd, &path, flags & AT_EMPTY_PATH, follow)
}

pub fn sys_name_to_handle_at(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    handle: u64,
    mnt_id: u64,
    flags: u64,
) -> Result<u64> {
    if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH | AT_HANDLE_FID) != 0 {
        return Err(Errno::EINVAL);
    }
    let p = handle_path(ctx, dirfd, path, flags)?;
    // Whether the filesystem can export is known before the buffer is read.
    let fid = export::encode_fh(&p, flags & AT_HANDLE_FID != 0)?;
    let (room, _) = read_header(ctx, handle)?;
    if room as usize > MAX_HANDLE_SZ {
        return Err(Errno::EINVAL);
    }
    let bytes = fid.to_bytes();
    let fits = bytes.len() <= room as usize;
    let ty = if fits { fid.fh_type } else { FILEID_INVALID };
    let mut out = Vec::with_capacity(HEADER + bytes.len());
    out.extend_from_slice(&(bytes.len() as u32).to_ne_bytes());
    out.extend_from_slice(&ty.to_ne_bytes());
    if fits {
        out.extend_from_slice(&bytes);
    }
    ctx.write_user(mnt_id, &(p.mnt.id() as i32).to_ne_bytes())?;
    ctx.write_user(handle, &out)?;
    if fits {
        Ok(0)
    } else {
        Err(Errno::EOVERFLOW)
    }
}

pub fn sys_open_by_handle_at(
    ctx: &mut TrapContext,
    mount_fd: Fd,
    handle: u64,
    flags: u64,
) -> Result<u64> {
    let mnt = if mount_fd == Fd::AT_FDCWD {
        Some(ctx.task.fs().cwd.mnt)
    } else {
        mount_fd.file(ctx)?.path().map(|p| p.mnt.clone())
    };
    if !crate::capability::capable(CAP_DAC_READ_SEARCH) {
        return Err(Errno::EPERM);
    }
    let (len, ty) = read_header(ctx, handle)?;
    if len as usize > MAX_HANDLE_SZ || len == 0 {
        return Err(Errno::EINVAL);
    }
    let ty = u32::try_from(ty).map_err(|_| Errno::EINVAL)?;
    if ty & FILEID_USER_FLAGS_MASK & !FILEID_VALID_USER_FLAGS != 0 {
        return Err(Errno::EINVAL);
    }
    let mut body = vec![0u8; len as usize];
    ctx.read_user(handle + HEADER as u64, &mut body)?;
    let fid = Fid::from_bytes(ty & !FILEID_USER_FLAGS_MASK, &body);
    // A file without a path (a pipe) is on a filesystem that cannot decode.
    let p = export::handle_to_path(&mnt.ok_or(Errno::ESTALE)?, &fid)?;
    let mut flags = OpenFlags::from_bits_truncate(flags as u32) | OpenFlags::O_LARGEFILE;
    // The file exists: O_CREAT only refuses with O_EXCL, or a directory.
    if flags.contains(OpenFlags::O_CREAT) && !flags.contains(OpenFlags::O_DIRECTORY) {
        if flags.contains(OpenFlags::O_EXCL) {
            return Err(Errno::EEXIST);
        }
        if p.inode().file_type() == FileType::Directory {
            return Err(Errno::EISDIR);
        }
        flags.remove(OpenFlags::O_CREAT);
    }
    let how = OpenHow {
        flags,
        mode: 0,
        resolve: LookupFlags::EMPTY,
    };
    open_file(ctx, &p.clone(), &p, b"", how)
}
