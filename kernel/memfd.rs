//! memfd_create(2): an anonymous regular file in a tmpfs that no path reaches
//! (Linux's internal shm mount). The file is created as `memfd:NAME` and
//! unlinked at once, so /proc/PID/fd shows `/memfd:NAME (deleted)` as on Linux;
//! it can be read, written, truncated and mapped like any tmpfs file. Its
//! seals (`fs::tmpfs::seals`) are added and read with fcntl's `F_ADD_SEALS`
//! and `F_GET_SEALS` (`fcntl_seals`), on any tmpfs file as in Linux.

use arch::{Errno, Result};
use fs::tmpfs::{F_ALL_SEALS, F_SEAL_SEAL, F_SEAL_WRITE};
use fs::{File, Path};
use std::sync::{Arc, OnceLock};

pub(crate) const MFD_CLOEXEC: u32 = 1;
pub(crate) const MFD_ALLOW_SEALING: u32 = 2;
pub(crate) const MFD_HUGETLB: u32 = 4;
pub(crate) const MFD_NOEXEC_SEAL: u32 = 8;
pub(crate) const MFD_EXEC: u32 = 0x10;
/// NAME_MAX less the "memfd:" prefix.
pub(crate) const MFD_NAME_MAX: usize = 249;

/// The kernel's own tmpfs, mounted on first use.
pub(crate) fn shm_mount() -> Result<Path> {
    static SHM: OnceLock<Path> = OnceLock::new();
    if let Some(p) = SHM.get() {
        return Ok(p.clone());
    }
    let opts = crate::filesystems::tmpfs_defaults(0o1777);
    let tmpfs = fs::tmpfs::Tmpfs::new(
        opts,
        Arc::new(fs::HostClock),
        crate::boot::kernel().frames.clone(),
    )?;
    let path = fs::internal_mount(tmpfs, "tmpfs")?;
    Ok(SHM.get_or_init(|| path).clone())
}

pub(crate) const F_ADD_SEALS: u32 = 1033;
pub(crate) const F_GET_SEALS: u32 = 1034;

/// fcntl's F_ADD_SEALS and F_GET_SEALS (Linux's memfd_fcntl), in Linux's
/// order: adding needs a descriptor open for writing (EPERM) and known seals
/// (EINVAL); both need a tmpfs regular file (EINVAL); a file sealed with
/// F_SEAL_SEAL takes no more (EPERM), and F_SEAL_WRITE waits for no shared
/// writable mapping (EBUSY while one exists).
pub(crate) fn fcntl_seals(f: &File, cmd: u32, arg: u64) -> Result<u64> {
    let seals = arg as u32;
    if cmd == F_ADD_SEALS {
        if !f.flags().writable() {
            return Err(Errno::EPERM);
        }
        if seals & !F_ALL_SEALS != 0 {
            return Err(Errno::EINVAL);
        }
    }
    let inode = f.inode().ok_or(Errno::EINVAL)?;
    let shmem = inode.shmem().ok_or(Errno::EINVAL)?;
    let current = shmem.seals()?;
    if cmd == F_GET_SEALS {
        return Ok(u64::from(current));
    }
    if current & F_SEAL_SEAL != 0 {
        return Err(Errno::EPERM);
    }
    if seals & F_SEAL_WRITE != 0
        && current & F_SEAL_WRITE == 0
        && crate::filemap::maps_writable(inode.as_ref())
    {
        return Err(Errno::EBUSY);
    }
    shmem.add_seals(seals)?;
    Ok(0)
}
