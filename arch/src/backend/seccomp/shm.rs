//! The kernel's view of a seccomp stub's control page and message area: a
//! memfd both map, the stub at `SC_CTRL`, the kernel wherever the host put
//! it. Everything here is addressed by the stub's addresses and bounds-checked
//! against the area; what the guest can write (the message area) is only ever
//! copied out as plain data.

use super::layout::{SC_CTRL, SC_END, SC_SHM_SIZE};
use crate::abi::errno::{Errno, Result};
use crate::abi::pod::{as_bytes, as_bytes_mut, Pod};
use nix::sys::memfd::{memfd_create, MFdFlags};
use nix::sys::mman::{mmap, munmap, MapFlags, ProtFlags};
use std::num::NonZeroUsize;
use std::os::fd::OwnedFd;
use std::ptr::NonNull;
use std::sync::atomic::AtomicU32;

/// The kernel's mapping of a stub's shared pages.
pub(super) struct Shm {
    base: NonNull<u8>,
}

// SAFETY: the mapping is plain shared memory owned by this value until it is
// dropped; all access goes through volatile copies and atomics.
unsafe impl Send for Shm {}
// SAFETY: as above; concurrent accesses are atomics or copies of plain data.
unsafe impl Sync for Shm {}

impl Shm {
    /// Creates the memfd of a stub's shared pages and maps it; returns the
    /// mapping and the memfd, which the stub gets at start.
    pub(super) fn new() -> Result<(Shm, OwnedFd)> {
        let fd = memfd_create(c"linux-sysmsg", MFdFlags::MFD_CLOEXEC).map_err(host_errno)?;
        nix::unistd::ftruncate(&fd, SC_SHM_SIZE as i64).map_err(host_errno)?;
        let len = NonZeroUsize::new(SC_SHM_SIZE as usize).ok_or(Errno::EINVAL)?;
        // SAFETY: a new shared mapping of a memfd of exactly `len` bytes at an
        // address the host picks: it overlaps nothing of this process.
        let base = unsafe {
            mmap(
                None,
                len,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED,
                &fd,
                0,
            )
        }
        .map_err(host_errno)?;
        Ok((Shm { base: base.cast() }, fd))
    }

    /// Returns the kernel's pointer to `len` bytes at stub address `addr`, if
    /// they lie within the shared pages.
    fn ptr(&self, addr: u64, len: usize) -> Option<*mut u8> {
        let end = addr.checked_add(len as u64)?;
        if addr < SC_CTRL || end > SC_END {
            return None;
        }
        // SAFETY: the offset is within the mapping (checked above).
        Some(unsafe { self.base.as_ptr().add((addr - SC_CTRL) as usize) })
    }

    /// Copies the `T` at stub address `addr` (EFAULT outside the pages).
    pub(super) fn read<T: Pod>(&self, addr: u64) -> Result<T> {
        let mut v = crate::abi::pod::zeroed::<T>();
        self.read_bytes(addr, as_bytes_mut(&mut v))?;
        Ok(v)
    }

    /// Stores `v` at stub address `addr` (EFAULT outside the pages).
    pub(super) fn write<T: Pod>(&self, addr: u64, v: &T) -> Result<()> {
        self.write_bytes(addr, as_bytes(v))
    }

    /// Copies bytes at stub address `addr` into `buf`.
    pub(super) fn read_bytes(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        let p = self.ptr(addr, buf.len()).ok_or(Errno::EFAULT)?;
        let words = if (p as usize).is_multiple_of(8) {
            buf.len() / 8
        } else {
            0
        };
        for (i, chunk) in buf.chunks_exact_mut(8).take(words).enumerate() {
            // SAFETY: an aligned word within the mapping (`ptr` checked the
            // range); volatile, as the stub may write it meanwhile.
            let w = unsafe { p.cast::<u64>().add(i).read_volatile() };
            chunk.copy_from_slice(&w.to_ne_bytes());
        }
        for (i, b) in buf.iter_mut().enumerate().skip(words * 8) {
            // SAFETY: p + i is within the mapping, as above.
            *b = unsafe { p.add(i).read_volatile() };
        }
        Ok(())
    }

    /// Copies `data` to stub address `addr`.
    pub(super) fn write_bytes(&self, addr: u64, data: &[u8]) -> Result<()> {
        let p = self.ptr(addr, data.len()).ok_or(Errno::EFAULT)?;
        let words = if (p as usize).is_multiple_of(8) {
            data.len() / 8
        } else {
            0
        };
        for (i, chunk) in data.chunks_exact(8).take(words).enumerate() {
            let w = u64::from_ne_bytes(chunk.try_into().expect("8 bytes"));
            // SAFETY: as in read_bytes.
            unsafe { p.cast::<u64>().add(i).write_volatile(w) };
        }
        for (i, b) in data.iter().enumerate().skip(words * 8) {
            // SAFETY: as in read_bytes.
            unsafe { p.add(i).write_volatile(*b) };
        }
        Ok(())
    }

    /// Gives back the pages of `len` bytes at stub address `addr` (page
    /// aligned): the host frees them, and both mappings read zeros there
    /// after. EFAULT outside the pages.
    pub(super) fn discard(&self, addr: u64, len: u64) -> Result<()> {
        let p = self.ptr(addr, len as usize).ok_or(Errno::EFAULT)?;
        if !(p as usize).is_multiple_of(crate::PAGE_SIZE as usize) {
            return Err(Errno::EINVAL);
        }
        // SAFETY: a page-aligned range within the shared mapping (`ptr`
        // checked it), which stays mapped; its contents become zeros, which
        // every reader of shared memory here is prepared for.
        let r = unsafe { libc::madvise(p.cast(), len as usize, libc::MADV_REMOVE) };
        if r < 0 {
            return Err(host_errno(nix::errno::Errno::last()));
        }
        Ok(())
    }

    /// Returns the 32-bit word at stub address `addr` (4-aligned, within the
    /// pages) as an atomic.
    pub(super) fn word(&self, addr: u64) -> &AtomicU32 {
        let p = self.ptr(addr, 4).expect("a word of the stub's layout");
        assert!(
            (p as usize).is_multiple_of(4),
            "an aligned word of the stub's layout"
        );
        // SAFETY: an aligned 4-byte location within the mapping, which lives as
        // long as `self`; shared memory is accessed only atomically or volatile.
        unsafe { AtomicU32::from_ptr(p.cast()) }
    }

    /// Wakes a waiter on the word at `addr` (the stub's, through its mapping).
    pub(super) fn wake(&self, addr: u64) {
        let w = self.word(addr);
        // SAFETY: FUTEX_WAKE on a valid word of a shared mapping (no PRIVATE
        // flag: the stub waits on its own mapping of the same memfd page).
        unsafe { libc::syscall(libc::SYS_futex, w.as_ptr(), libc::FUTEX_WAKE, 1) };
    }

    /// Sleeps while the word at `addr` holds `val`, at most `timeout_ms`.
    pub(super) fn wait(&self, addr: u64, val: u32, timeout_ms: u64) {
        let w = self.word(addr);
        let ts = libc::timespec {
            tv_sec: (timeout_ms / 1000) as i64,
            tv_nsec: (timeout_ms % 1000 * 1_000_000) as i64,
        };
        // SAFETY: FUTEX_WAIT on a valid word with a valid relative timeout;
        // it returns on a wake, a change, the timeout or a signal.
        unsafe {
            libc::syscall(
                libc::SYS_futex,
                w.as_ptr(),
                libc::FUTEX_WAIT,
                val,
                &ts as *const libc::timespec,
            )
        };
    }
}

impl Drop for Shm {
    fn drop(&mut self) {
        // SAFETY: the mapping made in `new`, unused once `self` goes.
        let _ = unsafe { munmap(self.base.cast(), SC_SHM_SIZE as usize) };
    }
}

fn host_errno(e: nix::errno::Errno) -> Errno {
    crate::backend::stub_process::errno_from_host(e)
}
