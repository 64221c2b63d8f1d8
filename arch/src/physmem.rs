//! Guest physical memory: one sparse memfd of exactly `mem=` bytes, mapped shared
//! into the kernel. Stub processes map frames of the same memfd into guest address
//! spaces, so a byte written here is the byte a guest reads, and the reverse.
//!
//! Guest code in other host processes may write any frame at any moment, so this
//! module never hands out Rust references into the mapping: every access is a copy
//! through raw pointers (`read`, `write`, `fill`, `copy`).

use nix::errno::Errno;
use nix::fcntl::{fallocate, FallocateFlags};
use nix::sys::memfd::{memfd_create, MFdFlags};
use nix::sys::mman::{mmap, munmap, MapFlags, ProtFlags};
use std::io;
use std::num::NonZeroUsize;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::ptr::NonNull;
use std::sync::atomic::{AtomicU32, Ordering};

pub use crate::abi::PAGE_SIZE;

/// Guest RAM: a memfd and the kernel's shared mapping of all of it.
pub struct PhysMem {
    fd: OwnedFd,
    base: NonNull<u8>,
    size: u64,
}

// SAFETY: the mapping is shared memory accessed only by copies through raw
// pointers (never references), so moving or sharing the handle between threads
// cannot create aliasing Rust references.
unsafe impl Send for PhysMem {}
// SAFETY: as above; concurrent copies race only on guest-visible bytes, which is
// what real RAM does too.
unsafe impl Sync for PhysMem {}

impl PhysMem {
    /// Creates `size` bytes (a multiple of the page size) of zeroed guest RAM.
    pub fn new(size: u64) -> io::Result<PhysMem> {
        let len = NonZeroUsize::new(size as usize)
            .filter(|_| size.is_multiple_of(PAGE_SIZE))
            .ok_or(Errno::EINVAL)?;
        let fd = memfd_create(c"physmem", MFdFlags::MFD_CLOEXEC)?;
        // Sizing the memfd uses no RAM: it stays sparse until written.
        nix::unistd::ftruncate(&fd, size as libc::off_t)?;
        // SAFETY: a new shared mapping of the whole memfd at an address the host
        // chooses; it overlaps nothing of ours.
        let base = unsafe {
            mmap(
                None,
                len,
                ProtFlags::PROT_READ | ProtFlags::PROT_WRITE,
                MapFlags::MAP_SHARED | MapFlags::MAP_NORESERVE,
                &fd,
                0,
            )?
        };
        Ok(PhysMem {
            fd,
            base: base.cast(),
            size,
        })
    }

    /// Returns the size of guest RAM in bytes.
    pub fn size(&self) -> u64 {
        self.size
    }

    /// Returns the memfd, for stubs that map frames of it.
    pub fn raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    fn check(&self, paddr: u64, len: usize) {
        let end = paddr.checked_add(len as u64);
        assert!(
            end.is_some_and(|end| end <= self.size),
            "physmem access {paddr:#x}+{len:#x} outside {:#x}",
            self.size
        );
    }

    /// Copies `buf.len()` bytes at physical address `paddr` into `buf`.
    pub fn read(&self, paddr: u64, buf: &mut [u8]) {
        self.check(paddr, buf.len());
        // SAFETY: the range is inside the mapping (checked above), which lives as long
        // as self; buf is a distinct Rust allocation, so the ranges cannot overlap.
        unsafe {
            std::ptr::copy_nonoverlapping(
                self.base.as_ptr().add(paddr as usize),
                buf.as_mut_ptr(),
                buf.len(),
            )
        }
    }

    /// Copies `data` to physical address `paddr`.
    pub fn write(&self, paddr: u64, data: &[u8]) {
        self.check(paddr, data.len());
        // SAFETY: as in `read`, with the copy in the other direction.
        unsafe {
            std::ptr::copy_nonoverlapping(
                data.as_ptr(),
                self.base.as_ptr().add(paddr as usize),
                data.len(),
            )
        }
    }

    /// Sets `len` bytes at `paddr` to `byte`.
    pub fn fill(&self, paddr: u64, len: usize, byte: u8) {
        self.check(paddr, len);
        // SAFETY: the range is inside the mapping (checked above).
        unsafe { std::ptr::write_bytes(self.base.as_ptr().add(paddr as usize), byte, len) }
    }

    /// Copies `len` bytes from `src` to `dst`; the ranges may overlap.
    pub fn copy(&self, src: u64, dst: u64, len: usize) {
        self.check(src, len);
        self.check(dst, len);
        // SAFETY: both ranges are inside the mapping (checked above); `copy`
        // tolerates overlap.
        unsafe {
            std::ptr::copy(
                self.base.as_ptr().add(src as usize),
                self.base.as_ptr().add(dst as usize),
                len,
            )
        }
    }

    /// Atomically replaces the aligned 32-bit word at `paddr` with `new` if it
    /// holds `old`; returns the value it held. Guest threads on other CPUs may be
    /// operating on the same word with locked instructions (futexes).
    pub fn cmpxchg_u32(&self, paddr: u64, old: u32, new: u32) -> u32 {
        assert!(
            paddr.is_multiple_of(4),
            "unaligned atomic access at {paddr:#x}"
        );
        self.check(paddr, 4);
        // SAFETY: the word is inside the mapping (checked above) and 4-byte
        // aligned; the mapping lives as long as self. Every access to guest
        // memory that may race with this one is atomic or a plain byte copy,
        // which is what the guest's own memory model allows.
        let word = unsafe { &*(self.base.as_ptr().add(paddr as usize) as *const AtomicU32) };
        match word.compare_exchange(old, new, Ordering::SeqCst, Ordering::SeqCst) {
            Ok(v) | Err(v) => v,
        }
    }

    /// Gives the host memory behind `len` bytes at `paddr` back to the host; the
    /// range reads as zeroes afterwards. Used when frames are freed.
    pub fn discard(&self, paddr: u64, len: u64) {
        self.check(paddr, len as usize);
        // Punching a hole affects only that range of guest RAM, which the caller owns.
        let r = fallocate(
            &self.fd,
            FallocateFlags::FALLOC_FL_PUNCH_HOLE | FallocateFlags::FALLOC_FL_KEEP_SIZE,
            paddr as libc::off_t,
            len as libc::off_t,
        );
        if r.is_err() {
            self.fill(paddr, len as usize, 0);
        }
    }
}

impl Drop for PhysMem {
    fn drop(&mut self) {
        // SAFETY: base/size are exactly the mapping made in `new`; no references into
        // it exist (this module never creates any).
        let _ = unsafe { munmap(self.base.cast(), self.size as usize) };
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn read_back_what_was_written() {
        let pm = PhysMem::new(16 * PAGE_SIZE).expect("memfd");
        pm.write(4096 + 10, b"hello");
        let mut buf = [0u8; 5];
        pm.read(4096 + 10, &mut buf);
        assert_eq!(&buf, b"hello");
        pm.copy(4096, 8192, 4096);
        pm.read(8192 + 10, &mut buf);
        assert_eq!(&buf, b"hello");
        pm.discard(4096, 4096);
        pm.read(4096 + 10, &mut buf);
        assert_eq!(buf, [0; 5]);
    }

    #[test]
    fn rejects_unaligned_size() {
        assert!(PhysMem::new(1000).is_err());
    }
}
