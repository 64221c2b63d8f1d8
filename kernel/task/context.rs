//! The trap context: what kernel code handling a trap of a task (a system
//! call, a page fault, a signal on the way back to guest code, exec) works on —
//! the task, its registers, its guest CPU — and the copies between the kernel and
//! that task's memory that every system call makes, which it also lends to
//! file operations (`fs::UserMemory`, an ioctl's argument).

use super::{ExitStatus, Task};
use crate::syscall::UserPtr;
use arch::backend::GuestCpu;
use arch::{Errno, Result, UserRegs};
use std::sync::Arc;

/// What a trap of a task is handled with: the task, its registers (a system
/// call's result goes to rax) and the guest CPU its code runs on.
pub struct TrapContext<'a> {
    pub task: &'a Arc<Task>,
    pub regs: &'a mut UserRegs,
    pub cpu: &'a mut dyn GuestCpu,
    /// Set by exit (and by signal delivery when the group dies): the task ends
    /// after this trap.
    pub exit: Option<ExitStatus>,
    /// True while handling a system call trap: its result in rax may be one of
    /// the `-ERESTART*` codes that signal delivery turns into a restart or EINTR.
    pub in_syscall: bool,
}

impl TrapContext<'_> {
    /// Returns the caller's credentials for file operations.
    pub fn cred(&self) -> fs::Credentials {
        self.task.process.cred.borrow().fs()
    }

    /// Copies guest memory at `addr` into `buf` (EFAULT if not readable).
    pub fn read_user(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        self.task.mm().borrow_mut().copy_from_user(addr, buf)
    }

    /// Copies `data` to guest memory at `addr` (EFAULT if not writable).
    pub fn write_user(&self, addr: u64, data: &[u8]) -> Result<()> {
        self.task.mm().borrow_mut().copy_to_user(addr, data)
    }

    /// Reads a u64 from guest memory.
    pub fn read_u64(&self, addr: u64) -> Result<u64> {
        UserPtr::<u64>::new(addr).read(self)
    }

    /// Reads a NUL-terminated path (ENAMETOOLONG past PATH_MAX).
    pub fn read_path(&self, addr: u64) -> Result<Vec<u8>> {
        self.task.mm().borrow_mut().read_cstring(addr, fs::PATH_MAX)
    }

    /// Reads a NULL-terminated array of string pointers (argv, envp), each string at
    /// most 128 KiB and all of them together at most 2 MiB (E2BIG).
    pub fn read_string_array(&self, addr: u64) -> Result<Vec<Vec<u8>>> {
        let mut out = Vec::new();
        let mut total = 0usize;
        if addr == 0 {
            return Ok(out);
        }
        for i in 0.. {
            let p = UserPtr::<u64>::new(addr).add(i).read(self)?;
            if p == 0 {
                break;
            }
            let s = self
                .task
                .mm()
                .borrow_mut()
                .read_cstring(p, 128 * 1024)
                .map_err(|e| {
                    if e == Errno::ENAMETOOLONG {
                        Errno::E2BIG
                    } else {
                        e
                    }
                })?;
            total += s.len() + 1 + 8;
            // No execve takes more (Linux's _STK_LIM / 4 * 3); the caller
            // applies the caller's own RLIMIT_STACK limit.
            if total > 6 << 20 {
                return Err(Errno::E2BIG);
            }
            out.push(s);
        }
        Ok(out)
    }
}

impl fs::UserMemory for TrapContext<'_> {
    fn read_user(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        TrapContext::read_user(self, addr, buf)
    }

    fn write_user(&self, addr: u64, data: &[u8]) -> Result<()> {
        TrapContext::write_user(self, addr, data)
    }
}

/// A task's memory, for work done outside its own system calls (at its
/// exit, a futex wake-up): `UserPtr`s are read and written in it too.
impl fs::UserMemory for Task {
    fn read_user(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
        self.mm().borrow_mut().copy_from_user(addr, buf)
    }

    fn write_user(&self, addr: u64, data: &[u8]) -> Result<()> {
        self.mm().borrow_mut().copy_to_user(addr, data)
    }
}
