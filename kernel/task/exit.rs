//! Process exit and reaping: zombies, reparenting to init, `wait4`, and the end of
//! the kernel when init exits.

use super::{find_process, locked, unregister, Pid, Process, Task};
use arch::{Errno, Result};
use std::sync::Arc;

/// How a process ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitStatus {
    /// `exit(code)`.
    Exited(u8),
    /// Killed by a signal.
    Signaled(i32),
}

impl ExitStatus {
    /// Returns the status word `wait4` stores (see wait(2): WEXITSTATUS, WTERMSIG).
    pub fn wait_status(self) -> u32 {
        match self {
            ExitStatus::Exited(code) => (code as u32) << 8,
            ExitStatus::Signaled(sig) => sig as u32 & 0x7f,
        }
    }

    /// Returns the exit status a shell would report: the code, or 128 + signal.
    pub fn shell_status(self) -> i32 {
        match self {
            ExitStatus::Exited(code) => code as i32,
            ExitStatus::Signaled(sig) => 128 + sig,
        }
    }
}

/// Ends `task` (and, single-threaded as processes are for now, its process) with
/// `status`, and releases the kernel lock: the calling host thread then ends.
pub fn do_exit(task: &Arc<Task>, status: ExitStatus) {
    let p = &task.process;
    let k = crate::boot::kernel();
    let ctid = std::mem::take(&mut *locked(&task.clear_child_tid));
    if ctid != 0 {
        let _ = locked(&task.mm()).copy_to_user(ctid, &0u32.to_ne_bytes());
    }
    // Release the address space and files now; the zombie keeps only its status.
    *locked(&p.mm) = Arc::new(std::sync::Mutex::new(mm::Mm::new(
        k.frames.clone(),
        arch::stub::TASK_SIZE,
    )));
    *locked(&p.files) = Arc::new(std::sync::Mutex::new(fs::FdTable::new()));
    if p.pid == 1 {
        crate::boot::shutdown(status);
    }
    let init = find_process(1);
    let orphans = std::mem::take(&mut *locked(&p.children));
    if let Some(init) = &init {
        for c in &orphans {
            *locked(&c.parent) = Arc::downgrade(init);
        }
        locked(&init.children).extend(orphans);
        init.child_wait.wake_all();
    }
    *locked(&p.exit_status) = Some(status);
    if let Some(parent) = locked(&p.parent).upgrade() {
        parent.child_wait.wake_all();
    }
    crate::lock::leave();
}

/// `wait4` options (see wait(2)).
pub const WNOHANG: u32 = 1;
pub const WUNTRACED: u32 = 2;
pub const WCONTINUED: u32 = 8;
pub const WNOTHREAD: u32 = 0x2000_0000;
pub const WALL: u32 = 0x4000_0000;
pub const WCLONE: u32 = 0x8000_0000;

/// Waits for a child matching `pid` (as wait4(2): -1 any, > 0 that one, 0 or < -1 a
/// process group) to exit and reaps it. Returns None for WNOHANG with none ready.
pub fn wait4(
    ctx: &mut crate::syscall::SyscallContext,
    pid: Pid,
    options: u32,
) -> Result<Option<(Pid, ExitStatus)>> {
    let known = WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE;
    if options & !known != 0 {
        return Err(Errno::EINVAL);
    }
    let me = ctx.task.process.clone();
    let my_pgid = *locked(&me.pgid);
    let matches = |c: &Arc<Process>| match pid {
        -1 => true,
        0 => *locked(&c.pgid) == my_pgid,
        p if p > 0 => c.pid == p,
        p => *locked(&c.pgid) == -p,
    };
    loop {
        let children = locked(&me.children).clone();
        let candidates: Vec<_> = children.iter().filter(|c| matches(c)).collect();
        if candidates.is_empty() {
            return Err(Errno::ECHILD);
        }
        let zombie = candidates.iter().find_map(|c| {
            let status = *locked(&c.exit_status);
            status.map(|s| (c.pid, s))
        });
        if let Some((cpid, status)) = zombie {
            locked(&me.children).retain(|c| c.pid != cpid);
            unregister(cpid);
            return Ok(Some((cpid, status)));
        }
        if options & WNOHANG != 0 {
            return Ok(None);
        }
        me.child_wait.wait();
    }
}
