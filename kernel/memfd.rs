//! memfd_create(2): an anonymous regular file in a tmpfs that no path reaches
//! (Linux's internal shm mount). The file is created as `memfd:NAME` and
//! unlinked at once, so /proc/PID/fd shows `/memfd:NAME (deleted)` as on Linux;
//! it can be read, written, truncated and mapped like any tmpfs file. Its
//! seals (`fs::tmpfs::seals`) are added and read with fcntl's `F_ADD_SEALS`
//! and `F_GET_SEALS` (`fcntl_seals`), on any tmpfs file as in Linux.
//! Whether a new memfd may be executed follows `MFD_EXEC`, `MFD_NOEXEC_SEAL`
//! and the `vm.memfd_noexec` sysctl (`exec_flags`, Linux's
//! check_sysctl_memfd_noexec; one value, where Linux keeps one per pid
//! namespace).

use arch::{Errno, Result};
use fs::tmpfs::{
    F_ALL_SEALS, F_SEAL_EXEC, F_SEAL_FUTURE_WRITE, F_SEAL_GROW, F_SEAL_SEAL, F_SEAL_SHRINK,
    F_SEAL_WRITE,
};
use fs::{File, Path};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, OnceLock};

pub(crate) const MFD_CLOEXEC: u32 = 1;
pub(crate) const MFD_ALLOW_SEALING: u32 = 2;
pub(crate) const MFD_HUGETLB: u32 = 4;
pub(crate) const MFD_NOEXEC_SEAL: u32 = 8;
pub(crate) const MFD_EXEC: u32 = 0x10;
/// NAME_MAX less the "memfd:" prefix.
pub(crate) const MFD_NAME_MAX: usize = 249;

/// vm.memfd_noexec: 0, memfds are executable unless `MFD_NOEXEC_SEAL`
/// asks; 1, they are not unless `MFD_EXEC` asks; 2, as 1 and `MFD_EXEC`
/// is refused.
pub(crate) static MEMFD_NOEXEC: AtomicU32 = AtomicU32::new(0);

/// Returns memfd_create's `flags` with `MFD_EXEC` or `MFD_NOEXEC_SEAL`
/// chosen by `vm.memfd_noexec` when the caller named neither; `EACCES`
/// for `MFD_EXEC` under mode 2 (logged as Linux does).
pub(crate) fn exec_flags(flags: u32, comm: &str, pid: i32) -> Result<u32> {
    let scope = MEMFD_NOEXEC.load(Ordering::Relaxed);
    if flags & (MFD_EXEC | MFD_NOEXEC_SEAL) == 0 {
        return Ok(flags
            | if scope >= 1 {
                MFD_NOEXEC_SEAL
            } else {
                MFD_EXEC
            });
    }
    if flags & MFD_EXEC != 0 && scope >= 2 {
        log::error!(
            "{comm}[{pid}]: memfd_create() requested MFD_EXEC but MFD_NOEXEC_SEAL is enforced"
        );
        return Err(Errno::EACCES);
    }
    Ok(flags)
}

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
/// writable mapping (EBUSY while one exists), even when it comes with
/// F_SEAL_EXEC on a file with an exec bit, which implies the write seals.
pub(crate) fn fcntl_seals(f: &File, cmd: u32, arg: u64) -> Result<u64> {
    let mut seals = arg as u32;
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
    if seals & F_SEAL_EXEC != 0 && inode.stat()?.mode & 0o111 != 0 {
        seals |= F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE;
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
