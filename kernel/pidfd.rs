//! Process file descriptors (pidfd_open(2), CLONE_PIDFD): a file that names a
//! process, becomes readable when it exits, and can be signalled
//! (pidfd_send_signal(2)) without the race of a recycled pid.

use crate::task::Process;
use crate::task::TrapContext;
use arch::{Errno, Result};
use fs::{File, FileOps, OpenFlags, PollEvents, WaitQueue};
use std::sync::Arc;

/// The open file of a pidfd.
pub struct PidFd(pub(crate) Arc<Process>);

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
        if self.0.exit_status.borrow().is_some() {
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
    fn anon_name(&self) -> Option<&'static str> {
        Some("[pidfd]")
    }
    /// "Pid:" and "NSpid:" as Linux's pidfd_show_fdinfo: -1 once the
    /// process has been reaped (systemd reads the pid back from here).
    fn show_fdinfo(&self) -> String {
        let p = &self.0;
        let reaped = crate::task::find_process(p.pid).is_none_or(|q| !Arc::ptr_eq(&q, p));
        // As the reader's PID namespace sees it: 0 from outside, its
        // number at each level from there down.
        let ns = crate::pid_ns::current();
        if reaped {
            return "Pid:\t-1\nNSpid:\t-1\n".to_string();
        }
        let nrs = crate::pid_ns::numbers(p.pid, &ns);
        let cols: Vec<String> = nrs.iter().map(|n| n.to_string()).collect();
        let cols = if cols.is_empty() {
            "0".to_string()
        } else {
            cols.join("\t")
        };
        format!("Pid:\t{}\nNSpid:\t{cols}\n", ns.nr(p.pid))
    }
}

/// Opens a pidfd for `p` in the caller's file table (close-on-exec, as Linux).
pub fn install(ctx: &TrapContext, p: &Arc<Process>) -> Result<i32> {
    let f = File::new(None, Arc::new(PidFd(p.clone())), OpenFlags::O_RDWR);
    ctx.task
        .files()
        .borrow_mut()
        .alloc(f, true, ctx.task.process.nofile())
}

/// The process whose /proc/PID directory `f` is open on: Linux accepts such
/// a descriptor as a pidfd in pidfd_send_signal. EBADF for any other file,
/// ESRCH once the process is gone.
pub(crate) fn proc_pid_dir(f: &fs::File) -> Result<Arc<crate::task::Process>> {
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
    crate::pid_ns::current()
        .find_process(pid)
        .ok_or(Errno::ESRCH)
}
