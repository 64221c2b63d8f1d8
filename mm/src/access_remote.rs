//! A debugger's access to another process's memory (Linux's
//! `access_process_vm` with `FOLL_FORCE`, as ptrace's PEEK and POKE and
//! /proc/PID/mem use it): reads need a mapping the process could read;
//! writes also reach private mappings it may not write — a breakpoint in
//! its code — by giving the process its own copy of the page, still
//! read-only to it, so the file and other processes never see the change.

use arch::{Errno, Result};

use crate::page_table::{Pte, PteFlags};
use crate::{Mm, Prot, PAGE_SIZE};

impl Mm {
    /// Copies user memory at `addr` into `buf` as a debugger reads it;
    /// returns how many bytes it could read (0: EIO for the caller).
    pub fn access_remote_read(&mut self, addr: u64, buf: &mut [u8]) -> usize {
        let mut done = 0;
        while done < buf.len() {
            let at = addr.wrapping_add(done as u64);
            let chunk = ((PAGE_SIZE - at % PAGE_SIZE) as usize).min(buf.len() - done);
            let Ok(paddr) = self.translate(at, false) else {
                break;
            };
            self.frames
                .physmem()
                .read(paddr, &mut buf[done..done + chunk]);
            done += chunk;
        }
        done
    }

    /// Copies `data` to user memory at `addr` as a debugger writes it
    /// (see the module's comment); returns how many bytes it wrote.
    pub fn access_remote_write(&mut self, addr: u64, data: &[u8]) -> usize {
        let mut done = 0;
        while done < data.len() {
            let at = addr.wrapping_add(done as u64);
            let chunk = ((PAGE_SIZE - at % PAGE_SIZE) as usize).min(data.len() - done);
            let Ok(paddr) = self.translate_forced_write(at) else {
                break;
            };
            self.frames
                .physmem()
                .write(paddr, &data[done..done + chunk]);
            done += chunk;
        }
        done
    }

    /// Returns the physical address a forced write of byte `addr` goes
    /// to: as any write where the mapping is writable, else the process's
    /// own copy of a private page.
    fn translate_forced_write(&mut self, addr: u64) -> Result<u64> {
        if addr >= self.task_size {
            return Err(Errno::EFAULT);
        }
        let vma = self.find_vma(addr).ok_or(Errno::EFAULT)?.clone();
        if vma.prot.contains(Prot::WRITE) {
            return self.translate(addr, true);
        }
        if vma.is_shared() || vma.prot.is_empty() {
            return Err(Errno::EFAULT);
        }
        let page = crate::page_floor(addr);
        let pte = match self.pt.lookup(page) {
            Some(pte) => pte,
            None => {
                self.handle_fault(addr, false).map_err(|_| Errno::EFAULT)?;
                self.pt.lookup(page).ok_or(Errno::EFAULT)?
            }
        };
        // Shared with the page cache or another process: copy it first.
        let pte = if self.frames.refcount(pte.paddr()) > 1 {
            let copy = self.frames.alloc().map_err(|_| Errno::ENOMEM)?;
            self.frames
                .physmem()
                .copy(pte.paddr(), copy, PAGE_SIZE as usize);
            self.frames.put(pte.paddr());
            let new = Pte::new(copy, PteFlags::empty());
            self.pt.map(page, new);
            self.flush(page, page + PAGE_SIZE);
            new
        } else {
            pte
        };
        Ok(pte.paddr() + addr % PAGE_SIZE)
    }
}
