//! File seals (fcntl(2) "File sealing", Linux's mm/memfd.c over shmem): a
//! tmpfs regular file carries a set of `F_SEAL_*` bits that only grows. A
//! file starts with `F_SEAL_SEAL` (no seals may be added) unless
//! memfd_create(2) was given `MFD_ALLOW_SEALING`. `SHRINK` and `GROW` refuse
//! size changes that way, `WRITE` and `FUTURE_WRITE` refuse writes, with
//! `EPERM`; the data paths check them here (`Pages`), the mmap path in the
//! kernel (`Inode::seals`), which also refuses `WRITE` while a shared
//! writable mapping exists (`EBUSY`). `EXEC` (Linux 6.3) freezes the exec
//! bits of the mode (`do_setattr`); the kernel's fcntl adds the write seals
//! it implies on a file with an exec bit.

use super::file::Pages;
use super::inode::{Body, Inode};
use arch::{Errno, Result};

pub const F_SEAL_SEAL: u32 = 0x01;
pub const F_SEAL_SHRINK: u32 = 0x02;
pub const F_SEAL_GROW: u32 = 0x04;
pub const F_SEAL_WRITE: u32 = 0x08;
pub const F_SEAL_FUTURE_WRITE: u32 = 0x10;
pub const F_SEAL_EXEC: u32 = 0x20;
/// Every seal Linux 6.3 and later know.
pub const F_ALL_SEALS: u32 =
    F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_WRITE | F_SEAL_FUTURE_WRITE | F_SEAL_EXEC;

impl Inode {
    /// Returns the seals of a regular file (`EINVAL` for anything else).
    pub fn seals(&self) -> Result<u32> {
        match &self.state()?.body {
            Body::File(pages) => Ok(pages.seals),
            _ => Err(Errno::EINVAL),
        }
    }

    /// Adds `seals`, already checked against `F_ALL_SEALS`: `EPERM` if
    /// the file is sealed against sealing.
    pub fn add_seals(&self, seals: u32) -> Result<()> {
        let mut st = self.state()?;
        let Body::File(pages) = &mut st.body else {
            return Err(Errno::EINVAL);
        };
        if pages.seals & F_SEAL_SEAL != 0 {
            return Err(Errno::EPERM);
        }
        pages.seals |= seals;
        Ok(())
    }

    /// Lets seals be added (memfd_create's `MFD_ALLOW_SEALING`).
    pub fn allow_sealing(&self) -> Result<()> {
        let mut st = self.state()?;
        if let Body::File(pages) = &mut st.body {
            pages.seals &= !F_SEAL_SEAL;
        }
        Ok(())
    }

    /// Makes a new memfd non-executable for good (memfd_create's
    /// `MFD_NOEXEC_SEAL`): mode 0666 whatever the umask, `F_SEAL_EXEC`
    /// set and, as in Linux, further seals allowed.
    pub fn seal_noexec(&self) -> Result<()> {
        let mut st = self.state()?;
        st.meta.mode &= !0o111;
        if let Body::File(pages) = &mut st.body {
            pages.seals = (pages.seals & !F_SEAL_SEAL) | F_SEAL_EXEC;
        }
        Ok(())
    }
}

impl Pages {
    /// Returns how many of `len` bytes at `offset` the seals let a write
    /// change: none under `WRITE` or `FUTURE_WRITE` (`EPERM`); under `GROW`,
    /// the pages up to the first one the write would extend the file in
    /// (shmem_write_begin checks a page at a time), `EPERM` if that is the
    /// first.
    pub(super) fn sealed_write(&self, offset: u64, len: usize) -> Result<usize> {
        if self.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0 {
            return Err(Errno::EPERM);
        }
        if self.seals & F_SEAL_GROW == 0 {
            return Ok(len);
        }
        let page = super::PAGE_SIZE;
        let mut done = 0u64;
        while done < len as u64 {
            let pos = offset + done;
            let chunk = (page - pos % page).min(len as u64 - done);
            if pos + chunk > self.size() {
                break;
            }
            done += chunk;
        }
        match done {
            0 => Err(Errno::EPERM),
            n => Ok(n as usize),
        }
    }

    /// Checks a change of size to `size` against `SHRINK` and `GROW`.
    pub(super) fn sealed_resize(&self, size: u64) -> Result<()> {
        let shrink = size < self.size() && self.seals & F_SEAL_SHRINK != 0;
        let grow = size > self.size() && self.seals & F_SEAL_GROW != 0;
        match shrink || grow {
            true => Err(Errno::EPERM),
            false => Ok(()),
        }
    }

    /// Checks fallocate of `[offset, end)` (`punch` for a hole) against the
    /// seals, as shmem_fallocate: no hole under `WRITE` or `FUTURE_WRITE`,
    /// nothing past the end under `GROW`, even with `KEEP_SIZE`.
    pub(super) fn sealed_fallocate(&self, end: u64, punch: bool) -> Result<()> {
        if punch && self.seals & (F_SEAL_WRITE | F_SEAL_FUTURE_WRITE) != 0 {
            return Err(Errno::EPERM);
        }
        if !punch && end > self.size() && self.seals & F_SEAL_GROW != 0 {
            return Err(Errno::EPERM);
        }
        Ok(())
    }
}
