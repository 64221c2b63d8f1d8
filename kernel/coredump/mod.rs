//! Core dumps (core(5); Linux's fs/coredump.c `do_coredump` with
//! fs/binfmt_elf.c's `elf_core_dump`). A thread that takes a signal whose
//! default action is to dump core decides first whether to dump at all —
//! the process must be dumpable (PR_SET_DUMPABLE, set-id exec) and, for a
//! file, its RLIMIT_CORE at least a page — then kills the other threads of
//! its group and waits until each has left its registers and FPU state in
//! the process's `CoreState` on its way out (`note_exiting_thread`), and
//! writes an ELF core: to a file named by kernel.core_pattern (`target`), or
//! to the standard input of the program a `|` pattern names. The group's
//! exit status carries WCOREDUMP once the core's file is created, as on
//! Linux, even if writing it then stops short (no space, RLIMIT_CORE,
//! RLIMIT_FSIZE); a file that cannot be created (a read-only file system, no
//! permission) leaves the process to die without one.

mod elf;
mod helper;
mod notes;
mod pattern;
mod process;
mod target;
mod vma;
mod writer;

pub use pattern::{core_pattern, CORENAME_MAX_SIZE, CORE_PATTERN, CORE_USES_PID};

use crate::signal::{self, SigInfo};
use crate::task::{ExitStatus, Task, TrapContext};
use arch::sync::KernelCell;
use notes::ThreadCore;
use pattern::CoreName;
use std::sync::atomic::Ordering;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How long the dumping thread waits for its siblings to stop: a thread
/// that never comes is left out of the core.
const THREAD_WAIT: Duration = Duration::from_secs(10);

/// A dump in progress (Linux's `core_state`): the thread writing it and the
/// states the other threads left as they stopped.
pub struct CoreState {
    dumper: Arc<Task>,
    threads: KernelCell<Vec<ThreadCore>>,
}

/// Returns the state of `task` as the core shows it, with its registers
/// `regs`, XSAVE area `xstate` and host thread's CPU time `stime`.
fn thread_core(task: &Task, regs: &arch::UserRegs, xstate: Option<Vec<u8>>) -> ThreadCore {
    let ts = task.signal.borrow();
    ThreadCore {
        tid: task.tid(),
        regs: *regs,
        xstate,
        sigpend: ts.pending.set(),
        sighold: ts.mask,
        utime: task.guest_cpu_ns(),
        stime: arch::host::time::thread_cpu_ns().saturating_sub(
            task.host_cpu_base
                .load(std::sync::atomic::Ordering::Relaxed),
        ),
    }
}

/// Leaves the state of an exiting thread for the core its group is
/// dumping, if it is (Linux's `coredump_task_exit`). Called by each thread
/// of a dying group before it lets go of its CPU.
pub fn note_exiting_thread(ctx: &TrapContext) {
    let state = ctx.task.process.signal.borrow().core_state.clone();
    let Some(state) = state else { return };
    if Arc::ptr_eq(&state.dumper, ctx.task) {
        return;
    }
    let t = thread_core(ctx.task, ctx.regs, ctx.cpu.get_xstate().ok());
    state.threads.borrow_mut().push(t);
    state.dumper.waiter.wake_task();
}

/// Waits until every other thread of the group has left its state in
/// `state` or exited (Linux's `coredump_wait`).
fn wait_for_threads(task: &Arc<Task>, state: &CoreState) {
    let deadline = Instant::now() + THREAD_WAIT;
    loop {
        let missing = task.process.threads.borrow().iter().any(|t| {
            !Arc::ptr_eq(t, task) && !state.threads.borrow().iter().any(|c| c.tid == t.tid())
        });
        let now = Instant::now();
        if !missing {
            return;
        }
        if now >= deadline {
            log::warn!("core dump of {}: a thread did not stop", task.process.pid);
            return;
        }
        task.waiter.sleep_at(
            "coredump_wait",
            Some((deadline - now).min(Duration::from_millis(100))),
        );
    }
}

/// Where the core goes and how much of it may be written.
enum Destination {
    File { name: Vec<u8>, limit: u64 },
    Pipe { argv: Vec<Vec<u8>> },
}

/// Decides whether and where the process of `ctx` dumps for `sig`: None
/// when it is not dumpable, when a file core is limited below a page by
/// RLIMIT_CORE, or a pipe's by an RLIMIT_CORE of 1 (Linux's marker for
/// "no core, not even to a pipe").
fn destination(ctx: &TrapContext, sig: i32) -> Option<Destination> {
    let p = &ctx.task.process;
    if !p.dumpable() {
        return None;
    }
    let limit = p.rlimit(arch::abi::resource::RLIMIT_CORE);
    let specs = process::specifiers(ctx, sig, limit);
    let uses_pid = CORE_USES_PID.load(Ordering::Relaxed);
    match pattern::format_corename(&pattern::core_pattern(), &specs, uses_pid) {
        CoreName::File(name) if limit >= mm::PAGE_SIZE && !name.is_empty() => {
            Some(Destination::File { name, limit })
        }
        CoreName::Pipe(argv) if limit != 1 && !argv.is_empty() => Some(Destination::Pipe { argv }),
        _ => None,
    }
}

/// Takes the default action of core-dumping signal `info` for the thread of
/// `ctx`: dumps the process's core if it may, and starts the death of its
/// group, whose status says whether a core was written.
pub fn do_coredump(ctx: &mut TrapContext, info: &SigInfo) {
    let task = ctx.task.clone();
    let p = &task.process;
    let sig = info.si_signo;
    if p.signal.borrow().group_exit.is_some() {
        return;
    }
    let Some(dest) = destination(ctx, sig) else {
        signal::group_exit(p, ExitStatus::Signaled(sig));
        return;
    };
    let state = Arc::new(CoreState {
        dumper: task.clone(),
        threads: KernelCell::new(Vec::new()),
    });
    p.signal.borrow_mut().core_state = Some(state.clone());
    signal::group_exit(p, ExitStatus::Signaled(sig));
    wait_for_threads(&task, &state);
    let mut threads = vec![thread_core(&task, ctx.regs, ctx.cpu.get_xstate().ok())];
    threads.extend(state.threads.take());
    p.signal.borrow_mut().core_state = None;
    let core = process::process_core(ctx, info);
    let result = match dest {
        Destination::File { name, limit } => target::open_core_file(ctx, &name).map(|f| {
            let fsize = p.rlimit(arch::abi::resource::RLIMIT_FSIZE);
            let mut w = writer::CoreWriter::file(f, limit, fsize);
            if let Err(e) = writer::write_core(&mut w, ctx, &core, &threads) {
                log::info!("core dump of {} cut short: {e}", p.pid);
            }
        }),
        Destination::Pipe { argv } => helper::start(argv).and_then(|f| {
            let mut w = writer::CoreWriter::pipe(f, task.clone());
            writer::write_core(&mut w, ctx, &core, &threads)
        }),
    };
    match result {
        Ok(()) => p.signal.borrow_mut().group_exit = Some(ExitStatus::CoreDumped(sig)),
        Err(e) => log::info!(
            "core dump of {} ({}) failed: {e}",
            p.pid,
            String::from_utf8_lossy(&p.comm.borrow())
        ),
    }
}
