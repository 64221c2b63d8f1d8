//! The core file (Linux's do_coredump for a file pattern): created afresh
//! as the dumping user, in the process's working directory for a relative
//! name — an old file of that name is unlinked first where the user may,
//! then the name is created exclusively, never through a symbolic link, with
//! mode 0600. The core is refused, as on Linux, if what was created is not
//! a regular file with one link, owned by the user and with mode 0600 (a
//! file system that cannot keep them, or a race with another creator).

use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::{File, FileType, LookupFlags, OpenFlags};
use std::sync::Arc;

/// Creates the core file `name` for the process of `ctx`.
pub fn open_core_file(ctx: &TrapContext, name: &[u8]) -> Result<Arc<File>> {
    let cred = ctx.cred();
    let fsc = ctx.task.fs();
    let k = crate::boot::kernel();
    // A failure here shows at the exclusive create.
    let _ = k.vfs.unlink(&cred, &fsc.root, &fsc.cwd, name);
    let flags = OpenFlags::O_CREAT
        | OpenFlags::O_EXCL
        | OpenFlags::O_WRONLY
        | OpenFlags::O_NOFOLLOW
        | OpenFlags::O_LARGEFILE;
    let mode = 0o600 & !fsc.umask;
    let f = k.vfs.open_resolve(
        &cred,
        &fsc.root,
        &fsc.cwd,
        name,
        flags,
        mode,
        LookupFlags::empty(),
        &k.devices,
    )?;
    let st = f.stat()?;
    let regular = f
        .inode()
        .is_some_and(|i| i.file_type() == FileType::Regular);
    if !regular || st.nlink != 1 {
        return Err(Errno::EPERM);
    }
    if st.uid != cred.fsuid || st.mode & 0o677 != 0o600 {
        log::info!(
            "Core dump to {} aborted: cannot preserve file owner or permissions",
            String::from_utf8_lossy(name)
        );
        return Err(Errno::EPERM);
    }
    Ok(f)
}
