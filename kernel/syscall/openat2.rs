//! openat2(2): open with a `struct open_how` whose every field is checked
//! (unknown flags, a mode without `O_CREAT`, flags `O_PATH` does not take
//! are `EINVAL`, as Linux's build_open_flags()) and `RESOLVE_*` restrictions
//! on the path walk. `RESOLVE_CACHED` refuses what would create or truncate
//! (`EAGAIN`); every other lookup here is as fast as a cached one.

use super::arg::{Fd, UserPtr, UserStr};
use super::open::{open_file, OpenHow};
use crate::task::TrapContext;
use arch::abi::structs as abi;
use arch::{Errno, Result, PAGE_SIZE};
use fs::{FileType, LookupFlags, OpenFlags};

/// The size of the first `struct open_how` (flags, mode, resolve).
const OPEN_HOW_SIZE_VER0: u64 = size_of::<abi::OpenHow>() as u64;
/// The largest `struct open_how` accepted: a page (`E2BIG` beyond).
const OPEN_HOW_SIZE_MAX: u64 = PAGE_SIZE;

const RESOLVE_NO_XDEV: u64 = 0x01;
const RESOLVE_NO_MAGICLINKS: u64 = 0x02;
const RESOLVE_NO_SYMLINKS: u64 = 0x04;
const RESOLVE_BENEATH: u64 = 0x08;
const RESOLVE_IN_ROOT: u64 = 0x10;
const RESOLVE_CACHED: u64 = 0x20;

/// Reads `struct open_how` of `size` bytes at `addr`: the fields it knows,
/// and zeroes in the rest (`E2BIG` otherwise), as copy_struct_from_user().
fn read_how(ctx: &TrapContext, addr: UserPtr<abi::OpenHow>, size: u64) -> Result<abi::OpenHow> {
    if size < OPEN_HOW_SIZE_VER0 {
        return Err(Errno::EINVAL);
    }
    if size > OPEN_HOW_SIZE_MAX {
        return Err(Errno::E2BIG);
    }
    addr.read_sized(ctx, size as usize)
}

/// Returns the lookup restrictions of `resolve` (`EINVAL` for unknown bits and
/// for `BENEATH` with `IN_ROOT`).
fn resolve_flags(resolve: u64) -> Result<LookupFlags> {
    let known = RESOLVE_NO_XDEV
        | RESOLVE_NO_MAGICLINKS
        | RESOLVE_NO_SYMLINKS
        | RESOLVE_BENEATH
        | RESOLVE_IN_ROOT
        | RESOLVE_CACHED;
    let scoped = RESOLVE_BENEATH | RESOLVE_IN_ROOT;
    if resolve & !known != 0 || resolve & scoped == scoped {
        return Err(Errno::EINVAL);
    }
    let mut lf = LookupFlags::empty();
    for (bit, flag) in [
        (RESOLVE_NO_XDEV, LookupFlags::NO_XDEV),
        (RESOLVE_NO_MAGICLINKS, LookupFlags::NO_MAGICLINKS),
        (RESOLVE_NO_SYMLINKS, LookupFlags::NO_SYMLINKS),
        (RESOLVE_BENEATH, LookupFlags::BENEATH),
        (RESOLVE_IN_ROOT, LookupFlags::IN_ROOT),
    ] {
        if resolve & bit != 0 {
            lf |= flag;
        }
    }
    Ok(lf)
}

/// Returns the open flags of `how` after Linux's checks.
fn open_flags(flags: u64, mode: u64, resolve: u64) -> Result<OpenFlags> {
    let flags = u32::try_from(flags)
        .ok()
        .and_then(OpenFlags::from_bits)
        .ok_or(Errno::EINVAL)?;
    let creates = flags.contains(OpenFlags::O_CREAT) || flags.bits() & fs::O_TMPFILE_BIT != 0;
    if (creates && mode & !0o7777 != 0) || (!creates && mode != 0) {
        return Err(Errno::EINVAL);
    }
    let path_flags =
        OpenFlags::O_PATH | OpenFlags::O_DIRECTORY | OpenFlags::O_NOFOLLOW | OpenFlags::O_CLOEXEC;
    if flags.contains(OpenFlags::O_PATH) && !(flags - path_flags).is_empty() {
        return Err(Errno::EINVAL);
    }
    if flags.contains(OpenFlags::O_CREAT | OpenFlags::O_DIRECTORY) {
        return Err(Errno::EINVAL);
    }
    let changes = creates || flags.contains(OpenFlags::O_TRUNC);
    if resolve & RESOLVE_CACHED != 0 && changes {
        return Err(Errno::EAGAIN);
    }
    Ok(flags)
}

pub fn sys_openat2(
    ctx: &mut TrapContext,
    dirfd: Fd,
    path: UserStr,
    how: UserPtr<abi::OpenHow>,
    size: u64,
) -> Result<u64> {
    let abi::OpenHow {
        flags,
        mode,
        resolve,
    } = read_how(ctx, how, size)?;
    let lf = resolve_flags(resolve)?;
    let flags = open_flags(flags, mode, resolve)?;
    let path = path.read_path(ctx)?;
    let fsc = ctx.task.fs();
    let scoped = lf.intersects(LookupFlags::BENEATH | LookupFlags::IN_ROOT);
    // A scoped walk starts at (and is kept below) dirfd even for absolute
    // paths; otherwise dirfd only matters for relative ones.
    let start = if dirfd == Fd::AT_FDCWD {
        fsc.cwd.clone()
    } else if scoped || path.first() != Some(&b'/') {
        let p = dirfd.file(ctx)?.path().cloned().ok_or(Errno::ENOTDIR)?;
        if p.inode().file_type() != FileType::Directory {
            return Err(Errno::ENOTDIR);
        }
        p
    } else {
        fsc.cwd.clone()
    };
    let root = if scoped { start.clone() } else { fsc.root };
    let how = OpenHow {
        flags,
        mode: mode as u32,
        resolve: lf,
    };
    open_file(ctx, &root, &start, &path, how)
}
