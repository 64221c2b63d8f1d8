//! memfd_create(2): anonymous files in the kernel's own tmpfs (`crate::memfd`),
//! created with mode 0777 whatever the umask, as Linux's shmem_file_setup.

use super::arg::UserStr;
use crate::memfd::*;
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::OpenFlags;

pub fn sys_memfd_create(ctx: &mut TrapContext, name: UserStr, flags: u32) -> Result<u64> {
    let known = MFD_CLOEXEC | MFD_ALLOW_SEALING | MFD_HUGETLB | MFD_NOEXEC_SEAL | MFD_EXEC;
    if flags & !known != 0 || flags & (MFD_NOEXEC_SEAL | MFD_EXEC) == MFD_NOEXEC_SEAL | MFD_EXEC {
        return Err(Errno::EINVAL);
    }
    // No huge pages to back the file with.
    if flags & MFD_HUGETLB != 0 {
        return Err(Errno::EINVAL);
    }
    let comm = String::from_utf8_lossy(&ctx.task.process.comm.borrow()).into_owned();
    let flags = exec_flags(flags, &comm, ctx.task.process.pid)?;
    let name = name.read_path(ctx).or_else(|e| match e {
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
    if let Some(tmpfs) = f.inode().and_then(|i| i.shmem()) {
        if flags & MFD_NOEXEC_SEAL != 0 {
            tmpfs.seal_noexec()?;
        } else if flags & MFD_ALLOW_SEALING != 0 {
            tmpfs.allow_sealing()?;
        }
    }
    let fd = ctx.task.files().borrow_mut().alloc(
        f,
        flags & MFD_CLOEXEC != 0,
        ctx.task.process.nofile(),
    )?;
    Ok(fd as u64)
}
