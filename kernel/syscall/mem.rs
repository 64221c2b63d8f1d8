//! brk, mmap, munmap, mprotect, mremap, madvise, msync: thin edges over the
//! address space in `mm`; file mappings go through the page cache (`filemap`). A change that takes access away first stops the other threads of the
//! address space (`tlb::quiesce`); the host mappings it invalidates are dropped
//! from every guest CPU before guest code runs again (see `task::tlb`).

use super::arg::Fd;
use crate::filemap::InodeMapping;
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::{FileType, OpenFlags};
use mm::{MapFlags, MappedFile, Prot, VmaName};
use std::sync::Arc;

/// personality(2)'s READ_IMPLIES_EXEC: readable mappings are executable.
pub const READ_IMPLIES_EXEC: u32 = 0x0400000;

/// Returns the caller's address space with the caller's limits on it
/// (RLIMIT_AS, RLIMIT_DATA, RLIMIT_MEMLOCK), for a call that maps or locks.
fn limited_mm(ctx: &TrapContext) -> Arc<arch::sync::KernelCell<mm::Mm>> {
    let mm = ctx.task.mm();
    let limits = crate::task::limits::vm_limits(&ctx.task.process);
    mm.borrow_mut().set_limits(limits);
    mm
}

/// Returns whether the caller's personality has READ_IMPLIES_EXEC.
fn read_implies_exec(ctx: &TrapContext) -> bool {
    let persona = ctx
        .task
        .process
        .personality
        .load(std::sync::atomic::Ordering::Relaxed);
    persona & READ_IMPLIES_EXEC != 0
}

pub fn sys_brk(ctx: &mut TrapContext, addr: u64) -> Result<u64> {
    crate::task::tlb::quiesce(ctx.task);
    Ok(limited_mm(ctx).borrow_mut().brk(addr))
}

pub fn sys_mmap(
    ctx: &mut TrapContext,
    addr: u64,
    len: u64,
    prot: u64,
    flags: u64,
    fd: Fd,
    offset: u64,
) -> Result<u64> {
    // Only a fixed mapping can replace pages other threads may be using.
    if flags & MapFlags::FIXED.bits() as u64 != 0 {
        crate::task::tlb::quiesce(ctx.task);
    }
    // mmap, unlike mprotect, ignores the protection bits it does not know,
    // and its flags are an unsigned long of which Linux reads the low half.
    let mut prot = Prot::from_bits_truncate(prot as u32);
    let mut flags = MapFlags::from_bits_truncate(flags as u32);
    let mut backing: Option<Arc<dyn MappedFile>> = None;
    let mut name = VmaName::None;
    if !flags.contains(MapFlags::ANONYMOUS) {
        let f = fd.file(ctx)?;
        let path = f.path().cloned().ok_or(Errno::EBADF)?;
        let inode = path.inode();
        let access = f.flags().access_mode();
        if access == OpenFlags::O_WRONLY.bits() || f.flags().contains(OpenFlags::O_PATH) {
            return Err(Errno::EACCES);
        }
        // Executable mappings of files on a noexec mount are refused (mmap(2)).
        if prot.contains(Prot::EXEC) && path.mnt.noexec() {
            return Err(Errno::EPERM);
        }
        match inode.file_type() {
            FileType::Regular => {
                let shared = flags.contains(MapFlags::SHARED);
                // A shared mapping writes the file: only through a descriptor
                // open for writing (an O_RDWR open fails on a read-only mount,
                // and so does the mapping if the mount became read-only since).
                let may_write = access == OpenFlags::O_RDWR.bits() && !path.mnt.read_only();
                // Nor does any shared mapping from a writable descriptor of
                // an append-only file (do_mmap).
                if shared && may_write && fs::fileattr::is_append(inode.as_ref()) {
                    return Err(Errno::EACCES);
                }
                let mut max_prot = Prot::all();
                if shared && !may_write {
                    if prot.contains(Prot::WRITE) {
                        return Err(Errno::EACCES);
                    }
                    max_prot -= Prot::WRITE;
                }
                if path.mnt.noexec() {
                    max_prot -= Prot::EXEC;
                }
                // A file sealed against writes takes no shared writable
                // mapping, and its shared mappings never become writable
                // (Linux's seal_check_write).
                let seals = inode.shmem().map_or(Ok(0), |t| t.seals())?;
                if shared && seals & (fs::tmpfs::F_SEAL_WRITE | fs::tmpfs::F_SEAL_FUTURE_WRITE) != 0
                {
                    if prot.contains(Prot::WRITE) {
                        return Err(Errno::EPERM);
                    }
                    max_prot -= Prot::WRITE;
                }
                name = VmaName::Named(
                    String::from_utf8_lossy(&path.to_bytes(&ctx.task.fs().root)).into(),
                );
                backing = Some(InodeMapping::new(&inode, shared, max_prot)?);
            }
            // /dev/zero maps as anonymous memory, as Linux does.
            FileType::CharDevice if inode.stat()?.rdev == fs::makedev(1, 5) => {
                flags |= MapFlags::ANONYMOUS;
            }
            _ => return Err(Errno::ENODEV),
        }
    }
    // READ_IMPLIES_EXEC, unless the file lies on a noexec mount.
    let may_exec = backing
        .as_ref()
        .is_none_or(|b| b.max_prot().contains(Prot::EXEC));
    if prot.contains(Prot::READ) && read_implies_exec(ctx) && may_exec {
        prot |= Prot::EXEC;
    }
    let off = if backing.is_some() { offset } else { 0 };
    limited_mm(ctx)
        .borrow_mut()
        .mmap(addr, len, prot, flags, backing, off, name)
}

pub fn sys_munmap(ctx: &mut TrapContext, addr: u64, len: u64) -> Result<u64> {
    crate::task::tlb::quiesce(ctx.task);
    ctx.task.mm().borrow_mut().munmap(addr, len)?;
    Ok(0)
}

/// mprotect(2), checked in Linux's order (do_mprotect_pkey): both GROWS
/// bits, then an unaligned start, are EINVAL; a zero length succeeds
/// whatever the bits; a range that wraps is ENOMEM; then bits other than
/// PROT_READ, PROT_WRITE, PROT_EXEC and PROT_SEM (which x86 allows and
/// ignores) are EINVAL.
pub fn sys_mprotect(ctx: &mut TrapContext, addr: u64, len: u64, prot: u64) -> Result<u64> {
    const PROT_SEM: u64 = 0x8;
    const PROT_GROWSDOWN: u64 = 0x0100_0000;
    const PROT_GROWSUP: u64 = 0x0200_0000;
    let grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
    if grows == PROT_GROWSDOWN | PROT_GROWSUP || !addr.is_multiple_of(arch::PAGE_SIZE) {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    let end = len
        .checked_next_multiple_of(arch::PAGE_SIZE)
        .and_then(|l| addr.checked_add(l));
    if end.is_none() {
        return Err(Errno::ENOMEM);
    }
    let bits = prot & !(grows | PROT_SEM);
    let prot = u32::try_from(bits)
        .ok()
        .and_then(Prot::from_bits)
        .ok_or(Errno::EINVAL)?;
    crate::task::tlb::quiesce(ctx.task);
    let rie = read_implies_exec(ctx);
    limited_mm(ctx)
        .borrow_mut()
        .mprotect_with(addr, len, prot, grows == PROT_GROWSDOWN, rie)?;
    Ok(0)
}

pub fn sys_mremap(
    ctx: &mut TrapContext,
    addr: u64,
    old_len: u64,
    new_len: u64,
    flags: u64,
    new_addr: u64,
) -> Result<u64> {
    let flags = u32::try_from(flags).map_err(|_| Errno::EINVAL)?;
    crate::task::tlb::quiesce(ctx.task);
    limited_mm(ctx)
        .borrow_mut()
        .mremap(addr, old_len, new_len, flags, new_addr)
}

pub fn sys_madvise(ctx: &mut TrapContext, addr: u64, len: u64, advice: i32) -> Result<u64> {
    crate::task::tlb::quiesce(ctx.task);
    let mut punches = Vec::new();
    let result = ctx
        .task
        .mm()
        .borrow_mut()
        .madvise_deferred(addr, len, advice, &mut punches);
    for p in punches {
        p.run()?;
    }
    result.map(|()| 0)
}

/// Returns EPERM unless the caller may lock memory at all: a non-zero
/// RLIMIT_MEMLOCK or CAP_IPC_LOCK (Linux's can_do_mlock).
fn can_do_mlock(ctx: &TrapContext) -> Result<()> {
    match crate::task::limits::vm_limits(&ctx.task.process).memlock {
        0 => Err(Errno::EPERM),
        _ => Ok(()),
    }
}

/// mlock(2): guest memory is never paged out, so locking counts the pages
/// (VmLck, RLIMIT_MEMLOCK) and faults them in (`Mm::mlock`).
pub fn sys_mlock(ctx: &mut TrapContext, addr: u64, len: u64) -> Result<u64> {
    sys_mlock2(ctx, addr, len, 0)
}

/// munlock(2); see `sys_mlock`.
pub fn sys_munlock(ctx: &mut TrapContext, addr: u64, len: u64) -> Result<u64> {
    limited_mm(ctx)
        .borrow_mut()
        .mlock(addr, len, false, false)?;
    Ok(0)
}

/// mlock2(2): mlock with flags (MLOCK_ONFAULT: pages are not faulted in).
pub fn sys_mlock2(ctx: &mut TrapContext, addr: u64, len: u64, flags: u32) -> Result<u64> {
    const MLOCK_ONFAULT: u32 = 1;
    if flags & !MLOCK_ONFAULT != 0 {
        return Err(Errno::EINVAL);
    }
    can_do_mlock(ctx)?;
    let on_fault = flags & MLOCK_ONFAULT != 0;
    limited_mm(ctx)
        .borrow_mut()
        .mlock(addr, len, true, on_fault)?;
    Ok(0)
}

/// mlockall(2): EINVAL for no flags, unknown ones or MCL_ONFAULT alone,
/// then EPERM as for mlock.
pub fn sys_mlockall(ctx: &mut TrapContext, flags: u32) -> Result<u64> {
    use mm::{MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT};
    if flags & !(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT) != 0
        || flags & (MCL_CURRENT | MCL_FUTURE) == 0
    {
        return Err(Errno::EINVAL);
    }
    can_do_mlock(ctx)?;
    limited_mm(ctx).borrow_mut().mlockall(flags)?;
    Ok(0)
}

/// munlockall(2).
pub fn sys_munlockall(ctx: &mut TrapContext) -> Result<u64> {
    ctx.task.mm().borrow_mut().munlockall();
    Ok(0)
}

pub fn sys_msync(ctx: &mut TrapContext, addr: u64, len: u64, flags: u32) -> Result<u64> {
    ctx.task.mm().borrow_mut().msync(addr, len, flags)?;
    Ok(0)
}

/// mincore(2): one byte per page of `[addr, addr + len)`, 1 when the page
/// is resident — in this address space's page table, or for a file mapping
/// in the file's page cache — else 0. EINVAL for an unaligned `addr`,
/// ENOMEM for a range with unmapped pages (or past the user address space),
/// EFAULT for a bad `vec`. Done a page of `vec` at a time, as Linux does,
/// so a huge range costs no more kernel memory than a small one.
pub fn sys_mincore(ctx: &mut TrapContext, addr: u64, len: u64, vec: u64) -> Result<u64> {
    let page = arch::PAGE_SIZE;
    if !addr.is_multiple_of(page) {
        return Err(Errno::EINVAL);
    }
    addr.checked_add(len)
        .filter(|&e| e <= arch::backend::TASK_SIZE)
        .ok_or(Errno::ENOMEM)?;
    let pages = len.div_ceil(page);
    let mm = ctx.task.mm();
    let mut done = 0;
    while done < pages {
        let n = (pages - done).min(page);
        let first = addr + done * page;
        let chunk = {
            let m = mm.borrow();
            let resident: std::collections::BTreeSet<u64> = m
                .resident(first, first + n * page)
                .into_iter()
                .map(|(a, _)| a)
                .collect();
            let mut out = Vec::with_capacity(n as usize);
            for a in (0..n).map(|i| first + i * page) {
                let vma = m.find_vma(a).ok_or(Errno::ENOMEM)?;
                let cached = vma
                    .file
                    .as_ref()
                    .is_some_and(|f| f.cached((vma.offset + (a - vma.start)) / page));
                out.push(u8::from(resident.contains(&a) || cached));
            }
            out
        };
        ctx.write_user(vec + done, &chunk)?;
        done += n;
    }
    Ok(0)
}
