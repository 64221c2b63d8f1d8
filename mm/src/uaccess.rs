//! The kernel's access to user memory (Linux's `copy_from_user`, `copy_to_user`,
//! `clear_user`, `strncpy_from_user`): walk the page table, fault pages in as
//! the MMU would, then copy through the kernel's mapping of physical memory.
//! Any byte the guest could not access itself gives `EFAULT`.

use arch::{Errno, Result};

use crate::{Mm, Prot, PAGE_SIZE};

impl Mm {
    /// Returns the physical address of user byte `addr`, faulting its page in
    /// for a read, or for a write (breaking copy-on-write) if `write`; EFAULT if
    /// the guest could not make that access itself.
    pub fn translate(&mut self, addr: u64, write: bool) -> Result<u64> {
        let vma = self.find_vma(addr).ok_or(Errno::EFAULT)?;
        let prot = vma.prot;
        if prot.is_empty() || (write && !prot.contains(Prot::WRITE)) {
            return Err(Errno::EFAULT);
        }
        let offset = addr % PAGE_SIZE;
        match self.pt.lookup(addr) {
            Some(pte) if !write || pte.writable() => Ok(pte.paddr() + offset),
            _ => Ok(self.handle_fault(addr, write)?.paddr + offset),
        }
    }

    /// Calls `f(paddr, start, len)` for each page-bounded chunk of `len` bytes
    /// of user memory at `addr`, where `start` is the chunk's offset.
    fn for_each_chunk(
        &mut self,
        addr: u64,
        len: usize,
        write: bool,
        mut f: impl FnMut(&Mm, u64, usize, usize),
    ) -> Result<()> {
        let end = addr.checked_add(len as u64).ok_or(Errno::EFAULT)?;
        if end > self.task_size {
            return Err(Errno::EFAULT);
        }
        let mut at = addr;
        while at < end {
            let chunk = (PAGE_SIZE - at % PAGE_SIZE).min(end - at);
            let paddr = self.translate(at, write)?;
            f(self, paddr, (at - addr) as usize, chunk as usize);
            at += chunk;
        }
        Ok(())
    }

    /// Copies `buf.len()` bytes of user memory at `addr` into `buf`.
    pub fn copy_from_user(&mut self, addr: u64, buf: &mut [u8]) -> Result<()> {
        self.for_each_chunk(addr, buf.len(), false, |mm, paddr, start, len| {
            mm.frames
                .physmem()
                .read(paddr, &mut buf[start..start + len]);
        })
    }

    /// Copies `data` to user memory at `addr`; `EFAULT` if it is not writable.
    pub fn copy_to_user(&mut self, addr: u64, data: &[u8]) -> Result<()> {
        self.for_each_chunk(addr, data.len(), true, |mm, paddr, start, len| {
            mm.frames.physmem().write(paddr, &data[start..start + len]);
        })
    }

    /// Zeroes `len` bytes of user memory at `addr`.
    pub fn clear_user(&mut self, addr: u64, len: u64) -> Result<()> {
        let len = usize::try_from(len).map_err(|_| Errno::EFAULT)?;
        self.for_each_chunk(addr, len, true, |mm, paddr, _, len| {
            mm.frames.physmem().fill(paddr, len, 0);
        })
    }

    /// Reads the NUL-terminated string at `addr`, without its NUL; `EFAULT`
    /// on an inaccessible byte before the NUL, `ENAMETOOLONG` if the first
    /// `max` bytes hold no NUL.
    pub fn read_cstring(&mut self, addr: u64, max: usize) -> Result<Vec<u8>> {
        let s = self.strncpy_from_user(addr, max)?;
        if s.len() == max {
            return Err(Errno::ENAMETOOLONG);
        }
        Ok(s)
    }

    /// Reads the string at `addr` up to its NUL or `max` bytes, whichever
    /// comes first (Linux's `strncpy_from_user`): bytes past the first `max`
    /// are never touched, so a string that fills them may end a mapping.
    pub fn strncpy_from_user(&mut self, addr: u64, max: usize) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        let mut at = addr;
        while out.len() < max {
            if at >= self.task_size {
                return Err(Errno::EFAULT);
            }
            let chunk = ((PAGE_SIZE - at % PAGE_SIZE) as usize).min(max - out.len());
            let paddr = self.translate(at, false)?;
            let mut buf = vec![0u8; chunk];
            self.frames.physmem().read(paddr, &mut buf);
            if let Some(nul) = buf.iter().position(|&b| b == 0) {
                out.extend_from_slice(&buf[..nul]);
                return Ok(out);
            }
            out.extend_from_slice(&buf);
            at += chunk as u64;
        }
        Ok(out)
    }
}
