//! The program a `|` core_pattern names (Linux's call_usermodehelper with
//! umh_pipe_setup): a new process, started by the kernel rather than forked
//! by anyone — root with every capability, in init's namespaces with `/` as
//! its root and working directory, an empty environment, RLIMIT_CORE at 1
//! (so that it never dumps into itself), and a pipe as its standard input,
//! whose other end the dumping thread writes the core to. No process is its
//! parent: it is reaped as it exits, as kthreadd's children are.

use crate::task::{self, Process, Start, Task};
use arch::abi::resource::RLIMIT_CORE;
use arch::{Errno, Result};
use fs::{File, OpenFlags};
use std::sync::Arc;

/// Starts `argv` (its program is `argv[0]`) and returns the write end of
/// its standard input.
pub fn start(argv: Vec<Vec<u8>>) -> Result<Arc<File>> {
    let (r, w) = crate::pipe::new_pipe()?;
    let mut files = fs::FdTable::new();
    files.alloc(File::new(None, r, OpenFlags::empty()), false, fs::NR_OPEN)?;
    let writer = File::new(None, w, OpenFlags::O_WRONLY);
    let pid = task::alloc_pid().ok_or(Errno::EAGAIN)?;
    let p = Process::new_kernel_started(pid, files);
    p.rlimits.borrow_mut()[RLIMIT_CORE] = (1, 1);
    task::register(&p);
    crate::cgroup::init(&p);
    let t = Task::new(pid, p.clone(), 0);
    p.threads.borrow_mut().push(t.clone());
    if let Err(e) = task::start_task(t.clone(), Start::Helper { argv }) {
        log::error!("core dump helper: cannot start a host thread: {e}");
        p.threads.borrow_mut().clear();
        task::unregister_task(pid);
        crate::cgroup::exit(&p);
        task::unregister(pid);
        return Err(Errno::EAGAIN);
    }
    Ok(writer)
}
