//! Process file descriptors (pidfd_open(2), CLONE_PIDFD): a file that names a
//! process, becomes readable when it exits, and can be signalled
//! (pidfd_send_signal(2)) without the race of a recycled pid.

use crate::signal::{self, SigInfo, SI_USER};
use crate::syscall::SyscallContext;
use crate::task::{self, locked, Process};
use arch::{Errno, Result};
use fs::{File, FileOps, OpenFlags, PollEvents, WaitQueue};
use std::any::Any;
use std::sync::Arc;

/// The open file of a pidfd.
pub struct PidFd(Arc<Process>);

impl FileOps for PidFd {
    fn read(&self, _: u64, _: &mut [u8]) -> Result<usize> {
        Err(Errno::EINVAL)
    }
    fn write(&self, _: u64, _: &[u8]) -> Result<usize> {
        Err(Errno::EINVAL)
    }
    fn seekable(&self) -> bool {
        false
    }
    fn poll(&self) -> PollEvents {
        if locked(&self.0.exit_status).is_some() {
            PollEvents::POLLIN | PollEvents::POLLRDNORM
        } else {
            PollEvents::empty()
        }
    }
    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.0.exit_wait)
    }
    fn stat(&self) -> Result<fs::Stat> {
        Ok(crate::anon_inode::stat())
    }
    fn as_any(&self) -> &dyn Any {
        self
    }
}

/// Opens a pidfd for `p` in the caller's file table (close-on-exec, as Linux).
pub fn install(ctx: &SyscallContext, p: &Arc<Process>) -> Result<i32> {
    let f = File::new(None, Arc::new(PidFd(p.clone())), OpenFlags::O_RDWR);
    locked(&ctx.task.files()).alloc(f, true)
}

pub fn sys_pidfd_open(ctx: &mut SyscallContext, pid: u64, flags: u64) -> Result<u64> {
    const PIDFD_NONBLOCK: u64 = 0o4000;
    if flags & !PIDFD_NONBLOCK != 0 || (pid as i32) <= 0 {
        return Err(Errno::EINVAL);
    }
    let p = task::find_process(pid as i32).ok_or(Errno::ESRCH)?;
    Ok(install(ctx, &p)? as u64)
}

/// The process whose /proc/PID directory `f` is open on: Linux accepts such
/// a descriptor as a pidfd in pidfd_send_signal. EBADF for any other file,
/// ESRCH once the process is gone.
fn proc_pid_dir(f: &fs::File) -> Result<Arc<crate::task::Process>> {
    let pid = (|| {
        let path = f.path()?;
        if path.mnt.fs().name() != "proc" || path.inode().file_type() != fs::FileType::Directory {
            return None;
        }
        if !Arc::ptr_eq(&path.dentry.parent()?, path.mnt.root()) {
            return None;
        }
        std::str::from_utf8(&path.dentry.name())
            .ok()?
            .parse::<i32>()
            .ok()
    })()
    .ok_or(Errno::EBADF)?;
    crate::task::find_process(pid).ok_or(Errno::ESRCH)
}

pub fn sys_pidfd_send_signal(
    ctx: &mut SyscallContext,
    fd: u64,
    sig: u64,
    info: u64,
    flags: u64,
) -> Result<u64> {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let f = locked(&ctx.task.files()).get(fd as i32)?;
    let p = match f.ops().as_any().downcast_ref::<PidFd>() {
        Some(PidFd(p)) => p.clone(),
        None => proc_pid_dir(&f)?,
    };
    let sig = sig as i32;
    if sig != 0 && !signal::valid(sig) {
        return Err(Errno::EINVAL);
    }
    if locked(&p.exit_status).is_some() {
        return Err(Errno::ESRCH);
    }
    signal::check_kill_permission(&ctx.task.process, &p, sig)?;
    let uid = locked(&ctx.task.process.cred).uid;
    let mut si = SigInfo::user(sig, SI_USER, ctx.task.process.pid, uid);
    if info != 0 {
        ctx.read_user(info, &mut si.0)?;
        if si.signo() != sig || (si.code() >= 0 && !Arc::ptr_eq(&p, &ctx.task.process)) {
            return Err(Errno::EPERM);
        }
    }
    if sig != 0 {
        signal::group_send_sig_info(&p, si)?;
    }
    Ok(0)
}
