//! memfd_create(2): an anonymous regular file in a tmpfs that no path reaches
//! (Linux's internal shm mount). The file is created as `memfd:NAME` and
//! unlinked at once, so /proc/PID/fd shows `/memfd:NAME (deleted)` as on Linux;
//! it can be read, written, truncated and mapped like any tmpfs file. File
//! sealing is not offered (`MFD_ALLOW_SEALING` is accepted; `F_ADD_SEALS` is not).

use arch::Result;
use fs::Path;
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
