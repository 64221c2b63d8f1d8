//! memfd_create(2): an anonymous regular file in a tmpfs that no path reaches
//! (Linux's internal shm mount). The file is created as `memfd:NAME` and
//! unlinked at once, so /proc/PID/fd shows `/memfd:NAME (deleted)` as on Linux;
//! it can be read, written, truncated and mapped like any tmpfs file. File
//! sealing is not offered (`MFD_ALLOW_SEALING` is accepted; `F_ADD_SEALS` is not).

use crate::syscall::SyscallContext;
use crate::task::locked;
use arch::{Errno, Result};
use fs::{OpenFlags, Path};
use std::sync::{Arc, OnceLock};

const MFD_CLOEXEC: u64 = 1;
const MFD_ALLOW_SEALING: u64 = 2;
const MFD_HUGETLB: u64 = 4;
const MFD_NOEXEC_SEAL: u64 = 8;
const MFD_EXEC: u64 = 0x10;
/// NAME_MAX less the "memfd:" prefix.
const MFD_NAME_MAX: usize = 249;

/// The kernel's own tmpfs, mounted on first use.
fn shm_mount() -> Result<Path> {
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

pub fn sys_memfd_create(ctx: &mut SyscallContext, name: u64, flags: u64) -> Result<u64> {
    let known = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC;
    if flags & !known != 0 || flags & (MFD_NOEXEC_SEAL | MFD_EXEC) == MFD_NOEXEC_SEAL | MFD_EXEC {
        return Err(Errno::EINVAL);
    }
    // No huge pages to back the file with.
    if flags & MFD_HUGETLB != 0 {
        return Err(Errno::EINVAL);
    }
    let name = ctx.read_path(name).or_else(|e| match e {
        Errno::ENOENT => Ok(Vec::new()),
        e => Err(e),
    })?;
    if name.len() > MFD_NAME_MAX {
        return Err(Errno::EINVAL);
    }
    // The name is only shown, never looked up: a '/' in it becomes '_'.
    let mut file_name = b"memfd:".to_vec();
    file_name.extend(name.iter().map(|&b| if b == b'/' { b'_' } else { b }));
    let shm = shm_mount()?;
    let k = crate::boot::kernel();
    let cred = ctx.cred();
    let open = OpenFlags::O_RDWR | OpenFlags::O_CREAT | OpenFlags::O_EXCL | OpenFlags::O_LARGEFILE;
    let f = k
        .vfs
        .open(&cred, &shm, &shm, &file_name, open, 0o777, &k.devices)?;
    k.vfs.unlink(&cred, &shm, &shm, &file_name)?;
    let fd = locked(&ctx.task.files()).alloc(f, flags & MFD_CLOEXEC != 0)?;
    Ok(fd as u64)
}
