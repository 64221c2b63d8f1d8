//! System V shared memory (shmget(2), shmat(2), shmdt(2), shmctl(2);
//! Linux's ipc/shm.c). A segment is a file of the kernel's own tmpfs
//! (`crate::memfd::shm_mount`), created and unlinked at shmget, so its
//! pages are frames of guest RAM counted as tmpfs pages; shmat maps it
//! shared through the page cache of mmap'ed files (`crate::filemap`).
//!
//! Each attach is a `ShmMapping` the VMAs hold: fork, splits and exec or
//! exit follow from the VMAs' own copies and drops, so the attach count
//! is the number of live references to a segment's mappings, as Linux
//! counts its VMAs. A segment removed while attached is marked
//! `SHM_DEST`, loses its key, and goes with its last detach.

use super::{cred_of, ipcget, now, Entry, IpcNamespace, Perm, IPC_INFO, IPC_RMID, IPC_SET};
use super::{IPC_STAT, S_IRUGO, S_IWUGO};
use crate::filemap::InodeMapping;
use crate::syscall::UserPtr;
use crate::task::TrapContext;
use arch::abi::structs::{ShmInfo64, ShmUsage, ShmidDs};
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{Inode, OpenFlags};
use mm::{FaultError, MapFlags, MappedFile, Prot, VmaName, PAGE_SIZE};
use std::any::Any;
use std::sync::atomic::{AtomicI32, AtomicU64, Ordering};
use std::sync::{Arc, Weak};

pub const SHM_RDONLY: i32 = 0o10000;
pub const SHM_RND: i32 = 0o20000;
pub const SHM_REMAP: i32 = 0o40000;
pub const SHM_EXEC: i32 = 0o100000;

pub const SHM_LOCK: i32 = 11;
pub const SHM_UNLOCK: i32 = 12;
pub const SHM_STAT: i32 = 13;
pub const SHM_INFO: i32 = 14;
pub const SHM_STAT_ANY: i32 = 15;

/// Mode bits: removed while attached, and locked in memory.
pub const SHM_DEST: u32 = 0o1000;
pub const SHM_LOCKED: u32 = 0o2000;

/// `SHMLBA`: attach addresses are multiples of a page on x86_64.
const SHMLBA: u64 = PAGE_SIZE;

/// A segment's times and last users.
#[derive(Default)]
struct Times {
    atime: i64,
    dtime: i64,
    ctime: i64,
    cpid: i32,
    lpid: i32,
}

/// A shared memory segment.
pub struct Segment {
    id: AtomicI32,
    size: u64,
    inode: Arc<dyn Inode>,
    times: KernelCell<Times>,
    /// The attaches made; the live references to them are the attach count.
    attaches: KernelCell<Vec<Weak<ShmMapping>>>,
}

impl Segment {
    /// Returns how many mappings of the segment exist (`shm_nattch`).
    pub fn nattch(&self) -> u64 {
        let mut a = self.attaches.borrow_mut();
        a.retain(|w| w.strong_count() > 0);
        a.iter().map(|w| w.strong_count() as u64).sum()
    }

    /// Returns the segment's size in pages.
    fn pages(&self) -> u64 {
        self.size.div_ceil(PAGE_SIZE)
    }

    /// Returns how many of its pages are in RAM.
    pub fn rss_pages(&self) -> u64 {
        self.inode.stat().map_or(0, |s| s.blocks * 512 / PAGE_SIZE)
    }
}

/// One attach of a segment: what the VMAs of a shmat hold.
pub struct ShmMapping {
    inner: Arc<InodeMapping>,
    seg: Arc<Segment>,
    ns: Weak<IpcNamespace>,
}

impl MappedFile for ShmMapping {
    fn page(&self, index: u64) -> std::result::Result<u64, FaultError> {
        self.inner.page(index)
    }

    fn set_dirty(&self, index: u64) {
        self.inner.set_dirty(index);
    }

    fn max_prot(&self) -> Prot {
        self.inner.max_prot()
    }

    fn punch(&self, first: u64, end: u64) -> Result<()> {
        self.inner.punch(first, end)
    }

    fn dev_ino(&self) -> (u64, u64) {
        self.inner.dev_ino()
    }
}

impl Drop for ShmMapping {
    /// Notes the detach; a segment marked for removal goes with its last.
    fn drop(&mut self) {
        let pid = crate::task::current().map_or(0, |t| t.process.pid);
        {
            let mut t = self.seg.times.borrow_mut();
            t.dtime = now();
            t.lpid = pid;
        }
        if self.seg.nattch() != 0 {
            return;
        }
        let Some(ns) = self.ns.upgrade() else {
            return;
        };
        let id = self.seg.id.load(Ordering::Relaxed);
        let gone = {
            let mut ids = ns.shm.borrow_mut();
            let dest = ids
                .get(id)
                .is_ok_and(|e| Arc::ptr_eq(&e.obj, &self.seg) && e.perm.mode & SHM_DEST != 0);
            if dest {
                ids.remove(id)
            } else {
                None
            }
        };
        drop(gone);
    }
}

/// Returns the number of pages all segments of `ns` hold (`shm_tot`).
fn total_pages(ns: &IpcNamespace) -> u64 {
    ns.shm
        .borrow()
        .iter()
        .fold(0u64, |t, e| t.saturating_add(e.obj.pages()))
}

/// Makes the file behind a new segment of `size` bytes.
fn new_file(key: i32, size: u64) -> Result<Arc<dyn Inode>> {
    static SERIAL: AtomicU64 = AtomicU64::new(0);
    let shm = crate::memfd::shm_mount()?;
    let k = crate::boot::kernel();
    let cred = fs::Credentials::ROOT;
    let name = format!(
        "SYSV{:08x}.{}",
        key as u32,
        SERIAL.fetch_add(1, Ordering::Relaxed)
    );
    let open = OpenFlags::O_RDWR | OpenFlags::O_CREAT | OpenFlags::O_EXCL | OpenFlags::O_LARGEFILE;
    let f = k
        .vfs
        .open(&cred, &shm, &shm, name.as_bytes(), open, 0o600, &k.devices)?;
    k.vfs.unlink(&cred, &shm, &shm, name.as_bytes())?;
    let path = f.path().cloned().ok_or(Errno::EIO)?;
    k.vfs.ftruncate(&cred, &path, size)?;
    Ok(path.inode())
}

/// Creates a segment in `ns` (Linux's `newseg`).
fn newseg(ctx: &TrapContext, ns: &IpcNamespace, key: i32, size: u64, flags: i32) -> Result<i32> {
    let limits = *ns.limits.borrow();
    if size < 1 || size > limits.shmmax {
        return Err(Errno::EINVAL);
    }
    let pages = size.div_ceil(PAGE_SIZE);
    if pages.checked_mul(PAGE_SIZE).is_none() {
        return Err(Errno::ENOSPC);
    }
    let tot = total_pages(ns);
    if tot.checked_add(pages).is_none_or(|t| t > limits.shmall) {
        return Err(Errno::ENOSPC);
    }
    if ns.shm.borrow().len() >= limits.shmmni as usize {
        return Err(Errno::ENOSPC);
    }
    let inode = new_file(key, size)?;
    let seg = Arc::new(Segment {
        id: AtomicI32::new(0),
        size,
        inode,
        times: KernelCell::new(Times {
            ctime: now(),
            cpid: ctx.task.process.pid,
            ..Times::default()
        }),
        attaches: KernelCell::default(),
    });
    let perm = Perm::new(key, flags, &cred_of(ctx.task));
    let id = ns
        .shm
        .borrow_mut()
        .add(perm, seg.clone(), limits.shmmni as usize)?;
    seg.id.store(id, Ordering::Relaxed);
    Ok(id)
}

/// shmget(2).
pub fn sys_shmget(ctx: &mut TrapContext, key: i32, size: u64, flags: i32) -> Result<u64> {
    let ns = ctx.task.ipc.borrow().clone();
    let cred = cred_of(ctx.task);
    let check = |e: &Entry<Segment>| {
        if e.obj.size < size {
            return Err(Errno::EINVAL);
        }
        Ok(())
    };
    ipcget(&ns.shm, key, flags, &cred, check, || {
        newseg(ctx, &ns, key, size, flags)
    })
}

/// Returns the attach of the VMA `vma` maps, if it is one.
fn attach_of(file: Option<&Arc<dyn MappedFile>>) -> Option<&ShmMapping> {
    let f = file?;
    (f.as_ref() as &dyn Any).downcast_ref::<ShmMapping>()
}

/// shmat(2): maps segment `id` at `addr` (anywhere for 0).
pub fn sys_shmat(ctx: &mut TrapContext, id: i32, addr: u64, flags: i32) -> Result<u64> {
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    let mut addr = addr;
    let mut map_flags = MapFlags::SHARED;
    if addr != 0 {
        if addr & (SHMLBA - 1) != 0 {
            if flags & SHM_RND == 0 {
                return Err(Errno::EINVAL);
            }
            addr &= !(SHMLBA - 1);
            if addr == 0 && flags & SHM_REMAP != 0 {
                return Err(Errno::EINVAL);
            }
        }
        map_flags |= MapFlags::FIXED;
    } else if flags & SHM_REMAP != 0 {
        return Err(Errno::EINVAL);
    }
    let (mut prot, mut access) = if flags & SHM_RDONLY != 0 {
        (Prot::READ, S_IRUGO)
    } else {
        (Prot::READ | Prot::WRITE, S_IRUGO | S_IWUGO)
    };
    if flags & SHM_EXEC != 0 {
        prot |= Prot::EXEC;
        access |= 0o111;
    }
    let ns = ctx.task.ipc.borrow().clone();
    let (seg, key) = {
        let ids = ns.shm.borrow();
        let e = ids.get(id)?;
        e.perm.check(&cred_of(ctx.task), access)?;
        (e.obj.clone(), e.perm.key)
    };
    let size = seg.pages() * PAGE_SIZE;
    let mm = ctx.task.mm();
    if addr != 0 && flags & SHM_REMAP == 0 {
        let end = addr.checked_add(size).ok_or(Errno::EINVAL)?;
        if mm.borrow().vmas().any(|v| v.start < end && addr < v.end) {
            return Err(Errno::EINVAL);
        }
    }
    let mut max_prot = Prot::all();
    if flags & SHM_RDONLY != 0 {
        max_prot -= Prot::WRITE;
    }
    let inner = InodeMapping::new(&seg.inode, true, max_prot)?;
    let mapping = Arc::new(ShmMapping {
        inner,
        seg: seg.clone(),
        ns: Arc::downgrade(&ns),
    });
    seg.attaches.borrow_mut().push(Arc::downgrade(&mapping));
    if map_flags.contains(MapFlags::FIXED) {
        crate::task::tlb::quiesce(ctx.task);
    }
    let name = VmaName::Named(format!("/SYSV{:08x} (deleted)", key as u32));
    let file: Arc<dyn MappedFile> = mapping;
    let at = mm
        .borrow_mut()
        .mmap(addr, size, prot, map_flags, Some(file), 0, name)?;
    let mut t = seg.times.borrow_mut();
    t.atime = now();
    t.lpid = ctx.task.process.pid;
    Ok(at)
}

/// shmdt(2): unmaps the attach at `addr` (`EINVAL` if none starts there).
pub fn sys_shmdt(ctx: &mut TrapContext, addr: u64) -> Result<u64> {
    if addr & (PAGE_SIZE - 1) != 0 {
        return Err(Errno::EINVAL);
    }
    let mm = ctx.task.mm();
    let ranges: Vec<(u64, u64)> = {
        let m = mm.borrow();
        let Some(first) = m.find_vma(addr).filter(|v| v.start == addr) else {
            return Err(Errno::EINVAL);
        };
        let Some(seg) = attach_of(first.file.as_ref()).map(|a| a.seg.clone()) else {
            return Err(Errno::EINVAL);
        };
        if first.offset != 0 {
            return Err(Errno::EINVAL);
        }
        let end = addr.saturating_add(seg.size);
        m.vmas()
            .filter(|v| v.start >= addr && v.start < end)
            .filter(|v| {
                attach_of(v.file.as_ref()).is_some_and(|a| Arc::ptr_eq(&a.seg, &seg))
                    && v.offset == v.start - addr
            })
            .map(|v| (v.start, v.end - v.start))
            .collect()
    };
    crate::task::tlb::quiesce(ctx.task);
    for (start, len) in ranges {
        // The attach's references drop here, outside every borrow.
        mm.borrow_mut().munmap(start, len)?;
    }
    Ok(0)
}

/// Returns the `struct shmid64_ds` of `e`.
pub(super) fn stat_of(e: &Entry<Segment>) -> ShmidDs {
    let t = e.obj.times.borrow();
    ShmidDs {
        shm_perm: e.perm.to_abi(),
        shm_segsz: e.obj.size,
        shm_atime: t.atime,
        shm_dtime: t.dtime,
        shm_ctime: t.ctime,
        shm_cpid: t.cpid,
        shm_lpid: t.lpid,
        shm_nattch: e.obj.nattch(),
        ..ShmidDs::default()
    }
}

/// shmctl(2).
pub fn sys_shmctl(ctx: &mut TrapContext, id: i32, cmd: i32, buf: u64) -> Result<u64> {
    if cmd < 0 || id < 0 {
        return Err(Errno::EINVAL);
    }
    let ns = ctx.task.ipc.borrow().clone();
    let cred = cred_of(ctx.task);
    match cmd {
        IPC_INFO => {
            let l = *ns.limits.borrow();
            let info = ShmInfo64 {
                shmmax: l.shmmax,
                shmmin: 1,
                shmmni: l.shmmni as u64,
                shmseg: l.shmmni as u64,
                shmall: l.shmall,
                ..ShmInfo64::default()
            };
            UserPtr::<ShmInfo64>::new(buf).write(ctx, &info)?;
            Ok(ns.shm.borrow().max_index() as u64)
        }
        SHM_INFO => {
            let (info, max) = {
                let ids = ns.shm.borrow();
                let info = ShmUsage {
                    used_ids: ids.len() as i32,
                    shm_tot: ids.iter().fold(0, |t, e| t.saturating_add(e.obj.pages())),
                    shm_rss: ids.iter().map(|e| e.obj.rss_pages()).sum(),
                    ..ShmUsage::default()
                };
                (info, ids.max_index())
            };
            UserPtr::<ShmUsage>::new(buf).write(ctx, &info)?;
            Ok(max as u64)
        }
        IPC_STAT | SHM_STAT | SHM_STAT_ANY => {
            let kinds = (cmd, SHM_STAT, SHM_STAT_ANY);
            let (ds, ret) = ns.shm.borrow().stat(kinds, id, &cred, stat_of)?;
            UserPtr::<ShmidDs>::new(buf).write(ctx, &ds)?;
            Ok(ret)
        }
        IPC_SET => {
            let ds = UserPtr::<ShmidDs>::new(buf).read(ctx)?;
            let mut ids = ns.shm.borrow_mut();
            let e = ids.get_mut(id)?;
            e.perm.check_owner(&cred)?;
            e.perm.set(&ds.shm_perm)?;
            e.obj.times.borrow_mut().ctime = now();
            Ok(0)
        }
        IPC_RMID => {
            let gone = {
                let mut ids = ns.shm.borrow_mut();
                let e = ids.get_mut(id)?;
                e.perm.check_owner(&cred)?;
                if e.obj.nattch() > 0 {
                    e.perm.mode |= SHM_DEST;
                    e.perm.key = super::IPC_PRIVATE;
                    None
                } else {
                    ids.remove(id)
                }
            };
            drop(gone);
            Ok(0)
        }
        SHM_LOCK | SHM_UNLOCK => {
            let memlock = ctx.task.process.rlimit(arch::abi::resource::RLIMIT_MEMLOCK);
            let mut ids = ns.shm.borrow_mut();
            let e = ids.get_mut(id)?;
            if !cred.capable(arch::abi::capability::CAP_IPC_LOCK) {
                if cred.euid != e.perm.uid && cred.euid != e.perm.cuid {
                    return Err(Errno::EPERM);
                }
                if cmd == SHM_LOCK && memlock == 0 {
                    return Err(Errno::EPERM);
                }
            }
            if cmd == SHM_LOCK {
                e.perm.mode |= SHM_LOCKED;
            } else {
                e.perm.mode &= !SHM_LOCKED;
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}
