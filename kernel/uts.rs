//! UTS namespaces (Linux's kernel/utsname.c, uts_namespaces(7)): the host
//! and NIS domain names uname(2) reports, sethostname(2) and
//! setdomainname(2) set, and /proc/sys/kernel/{hostname,domainname} show,
//! per namespace. A task's namespace is inherited over clone, and a new
//! one (a copy of the names) comes from `clone(CLONE_NEWUTS)` or
//! `unshare(CLONE_NEWUTS)`, with CAP_SYS_ADMIN.
//!
//! unshare(2) and setns(2) live here too, with what they can do in this
//! kernel: a private file table (CLONE_FILES), a UTS, IPC, mount or PID
//! namespace (`crate::ipc`, `crate::mnt_ns`, `crate::pid_ns`) of one's own
//! or another process's (setns with a pidfd or a namespace file), and the
//! flags that change nothing for a process of one thread. The other
//! namespaces are not built: they are EINVAL, as in a Linux configured
//! without them.

use crate::ipc::CLONE_NEWIPC;
use crate::task::{Task, TrapContext};
use arch::sync::KernelCell;
use arch::{Errno, Result};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};

/// `__NEW_UTS_LEN`: the longest name.
pub const NAME_MAX: usize = 64;
pub const CLONE_NEWUTS: u64 = 0x0400_0000;

/// The inode numbers namespaces show in /proc/PID/ns (Linux's
/// `PROC_UTS_INIT_INO` for the first, then new ones from the same range).
const INIT_INO: u32 = 0xEFFF_FFFE;
static NEXT_INO: AtomicU32 = AtomicU32::new(0xF000_0000);

/// A UTS namespace.
pub struct UtsNamespace {
    pub inum: u32,
    pub nodename: KernelCell<String>,
    pub domainname: KernelCell<String>,
}

/// The initial namespace, the one init starts in.
pub static INIT_UTS: LazyLock<Arc<UtsNamespace>> = LazyLock::new(|| {
    Arc::new(UtsNamespace {
        inum: INIT_INO,
        nodename: KernelCell::new("(none)".into()),
        domainname: KernelCell::new("(none)".into()),
    })
});

impl UtsNamespace {
    /// Returns a new namespace with the names of this one.
    pub fn copy(&self) -> Arc<UtsNamespace> {
        Arc::new(UtsNamespace {
            inum: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            nodename: KernelCell::new(self.nodename.borrow().clone()),
            domainname: KernelCell::new(self.domainname.borrow().clone()),
        })
    }
}

/// Returns the UTS namespace of the task this thread runs (the initial
/// one for threads that run none).
pub fn current() -> Arc<UtsNamespace> {
    crate::task::current().map_or_else(|| INIT_UTS.clone(), |t| t.uts.borrow().clone())
}

/// Sets the host name (`domain`: the domain name) of the caller's
/// namespace to `name`: EPERM without CAP_SYS_ADMIN, EINVAL past 64 bytes.
pub fn set_name(task: &Task, domain: bool, name: &[u8]) -> Result<()> {
    if !task
        .process
        .cred
        .borrow()
        .capable(arch::abi::capability::CAP_SYS_ADMIN)
    {
        return Err(Errno::EPERM);
    }
    if name.len() > NAME_MAX {
        return Err(Errno::EINVAL);
    }
    let ns = task.uts.borrow().clone();
    let field = if domain { &ns.domainname } else { &ns.nodename };
    *field.borrow_mut() = String::from_utf8_lossy(name).into_owned();
    NAME_EVENTS.fetch_add(1, Ordering::Relaxed);
    names_wait().wake_all();
    Ok(())
}

/// Counts the changes of host and domain names, which pollers of
/// /proc/sys/kernel/{hostname,domainname} see (Linux's uts_proc_notify;
/// journald follows the host name so).
pub static NAME_EVENTS: AtomicU32 = AtomicU32::new(0);

/// Woken at each change of a name.
pub fn names_wait() -> &'static fs::WaitQueue {
    static WAIT: LazyLock<fs::WaitQueue> = LazyLock::new(fs::WaitQueue::new);
    &WAIT
}

use crate::cgroup::ns::CLONE_NEWCGROUP;
use crate::mnt_ns::CLONE_NEWNS;
use crate::net::CLONE_NEWNET;
use crate::pid_ns::CLONE_NEWPID;

/// The namespaces this kernel builds.
const BUILT: u64 =
    CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNS | CLONE_NEWNET | CLONE_NEWPID | CLONE_NEWCGROUP;

/// The other namespace flags, which this kernel does not build.
const CLONE_NEWUSER: u64 = 0x1000_0000;
const CLONE_NEWTIME: u64 = 0x80;
const NOT_BUILT: u64 = CLONE_NEWUSER | CLONE_NEWTIME;

/// unshare(2).
pub fn sys_unshare(ctx: &mut TrapContext, flags: u64) -> Result<u64> {
    use crate::task::fork::{
        CLONE_FILES, CLONE_FS, CLONE_SIGHAND, CLONE_SYSVSEM, CLONE_THREAD, CLONE_VM,
    };
    let known = CLONE_FILES | CLONE_FS | CLONE_SYSVSEM | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM;
    if flags & !(known | BUILT | NOT_BUILT) != 0 {
        return Err(Errno::EINVAL);
    }
    let task = ctx.task.clone();
    // Sharing the address space, signal handlers or thread group cannot be
    // undone: fine for a process of one thread, where nothing is shared. A
    // new mount namespace takes a root and working directory of the
    // caller's own (CLONE_FS), which threads here share.
    if flags & (CLONE_THREAD | CLONE_SIGHAND | CLONE_VM | CLONE_NEWNS) != 0
        && task.process.threads.borrow().len() > 1
    {
        return Err(Errno::EINVAL);
    }
    let namespaces = flags & (BUILT | NOT_BUILT);
    if namespaces != 0
        && !task
            .process
            .cred
            .borrow()
            .capable(arch::abi::capability::CAP_SYS_ADMIN)
    {
        return Err(Errno::EPERM);
    }
    if flags & NOT_BUILT != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_NEWPID != 0 {
        crate::pid_ns::unshare(&task)?;
    }
    if flags & CLONE_FILES != 0 {
        let files = task.files();
        let copy = files.borrow().clone();
        *task.process.files.borrow_mut() = Arc::new(KernelCell::new(copy));
    }
    if flags & CLONE_NEWUTS != 0 {
        let new = task.uts.borrow().copy();
        *task.uts.borrow_mut() = new;
    }
    if flags & CLONE_NEWIPC != 0 {
        crate::ipc::switch_namespace(&task, crate::ipc::IpcNamespace::create());
    }
    if flags & CLONE_NEWNS != 0 {
        crate::mnt_ns::unshare(&task.process)?;
    }
    if flags & CLONE_NEWNET != 0 {
        *task.net.borrow_mut() = crate::net::Net::new();
    }
    if flags & CLONE_NEWCGROUP != 0 {
        crate::cgroup::ns::unshare(&task);
    }
    Ok(0)
}

/// setns(2): joins the namespaces `flags` names of the process a pidfd
/// names (the UTS, IPC and mount namespaces exist here); EINVAL for any other file,
/// for no flags or flags that are not namespaces, and for namespaces this
/// kernel does not build; EPERM without root; ESRCH once it exited.
pub fn sys_setns(ctx: &mut TrapContext, fd: i32, flags: u64) -> Result<u64> {
    let f = crate::syscall::Fd(fd).file(ctx)?;
    if let Some(ns) = crate::nsfs::namespace_of(&f) {
        if flags != 0 && flags != ns.clone_flag() {
            return Err(Errno::EINVAL);
        }
        if !ctx
            .task
            .process
            .cred
            .borrow()
            .capable(arch::abi::capability::CAP_SYS_ADMIN)
        {
            return Err(Errno::EPERM);
        }
        crate::nsfs::setns(ctx.task, ns, flags)?;
        return Ok(0);
    }
    let Some(pidfd) = f.ops_as::<crate::pidfd::PidFd>() else {
        return Err(Errno::EINVAL);
    };
    if flags == 0 || flags & !(BUILT | NOT_BUILT) != 0 {
        return Err(Errno::EINVAL);
    }
    let target = pidfd
        .0
        .threads
        .borrow()
        .first()
        .cloned()
        .ok_or(Errno::ESRCH)?;
    if !ctx
        .task
        .process
        .cred
        .borrow()
        .capable(arch::abi::capability::CAP_SYS_ADMIN)
    {
        return Err(Errno::EPERM);
    }
    if flags & NOT_BUILT != 0 {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_NEWNS != 0 && ctx.task.process.threads.borrow().len() > 1 {
        return Err(Errno::EINVAL);
    }
    if flags & CLONE_NEWPID != 0 {
        crate::pid_ns::install(ctx.task, target.process.ns())?;
    }
    if flags & CLONE_NEWUTS != 0 {
        let uts = target.uts.borrow().clone();
        *ctx.task.uts.borrow_mut() = uts;
    }
    if flags & CLONE_NEWNS != 0 {
        crate::mnt_ns::enter(&ctx.task.process, &target.process)?;
    }
    if flags & CLONE_NEWIPC != 0 {
        let ipc = target.ipc.borrow().clone();
        crate::ipc::switch_namespace(ctx.task, ipc);
    }
    if flags & CLONE_NEWNET != 0 {
        let net = target.net.borrow().clone();
        *ctx.task.net.borrow_mut() = net;
    }
    if flags & CLONE_NEWCGROUP != 0 {
        let ns = target.cgroup_ns.borrow().clone();
        *ctx.task.cgroup_ns.borrow_mut() = ns;
    }
    Ok(0)
}
