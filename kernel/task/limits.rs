//! How many tasks the guest may have (Linux's kernel/fork.c): `threads-max`,
//! derived from guest RAM as Linux derives it (one task per 32 pages, at least
//! 20) and capped by what the host can give (every guest task is a host thread
//! and the host process of its guest CPU), and `RLIMIT_NPROC`, the most tasks
//! one real user may have, which root does not meet. init's own `RLIMIT_NPROC` is half of
//! `threads-max`, as Linux sets it. A fork past either limit fails with EAGAIN
//! before anything is created, so a fork bomb meets an errno, not a host that
//! has run out of processes.

use super::{Process, PIDS};
use arch::abi::resource::RLIMIT_NPROC;
use arch::{Errno, Result};
use std::sync::atomic::{AtomicUsize, Ordering};

/// Linux's MIN_THREADS.
const MIN_THREADS: usize = 20;

static MAX_THREADS: AtomicUsize = AtomicUsize::new(MIN_THREADS);

/// Sets `threads-max` for a guest of `ram_bytes` of RAM on a host that can
/// run `host_tasks` more tasks; returns it.
pub fn set_max_threads(ram_bytes: u64, host_tasks: usize) -> usize {
    let by_ram = (ram_bytes / mm::PAGE_SIZE / 32) as usize;
    let max = by_ram.min(host_tasks / 2).max(MIN_THREADS);
    MAX_THREADS.store(max, Ordering::Relaxed);
    max
}

/// Returns `threads-max`.
pub fn max_threads() -> usize {
    MAX_THREADS.load(Ordering::Relaxed)
}

/// Returns the number of tasks (live threads, and one for each zombie) in
/// all, and of those whose process has real uid `uid`, in one pass.
fn nr_threads(uid: u32) -> (usize, usize) {
    let procs: Vec<_> = PIDS
        .borrow()
        .processes
        .values()
        .filter_map(|w| w.upgrade())
        .collect();
    procs.iter().fold((0, 0), |(all, mine), p| {
        let n = p.threads.borrow().len().max(1);
        let ours = p.cred.borrow().uid == uid;
        (all + n, mine + if ours { n } else { 0 })
    })
}

/// Returns whether the real user of `p` has more tasks than `p`'s
/// RLIMIT_NPROC allows (root, Linux's INIT_USER, never has), not counting
/// `p`'s own `skip` threads.
fn over_nproc(p: &Process, skip: usize) -> bool {
    let uid = p.cred.borrow().uid;
    let limit = p.rlimit(RLIMIT_NPROC);
    uid != 0 && limit != u64::MAX && nr_threads(uid).1.saturating_sub(skip) as u64 > limit
}

/// After a change of `p`'s real uid (setuid, setreuid, setresuid): notes
/// whether the new user is past its limit. The change itself succeeds, as in
/// Linux since 3.1; the next execve fails instead (`may_exec`). As Linux
/// checks before the caller is counted as the new user's, its own threads
/// are left out.
pub fn set_user(p: &Process) {
    let own = p.threads.borrow().len();
    p.nproc_exceeded
        .store(over_nproc(p, own), Ordering::Relaxed);
}

/// Checks, at execve, a limit that a change of real uid exceeded: EAGAIN if
/// the user is still past it, else the note is cleared.
pub fn may_exec(p: &Process) -> Result<()> {
    if p.nproc_exceeded.load(Ordering::Relaxed) && over_nproc(p, 0) {
        return Err(Errno::EAGAIN);
    }
    p.nproc_exceeded.store(false, Ordering::Relaxed);
    Ok(())
}

/// Checks that `parent` may create one more task (Linux's copy_process):
/// EAGAIN past `threads-max`, or past the caller's `RLIMIT_NPROC` unless its
/// real user is root or it has CAP_SYS_RESOURCE or CAP_SYS_ADMIN.
pub fn may_fork(parent: &Process) -> Result<()> {
    use arch::abi::capability::{CAP_SYS_ADMIN, CAP_SYS_RESOURCE};
    let (uid, privileged) = {
        let c = parent.cred.borrow();
        (
            c.uid,
            c.capable(CAP_SYS_RESOURCE) || c.capable(CAP_SYS_ADMIN),
        )
    };
    let (all, mine) = nr_threads(uid);
    if all >= max_threads() {
        log::warn!("fork: threads-max ({}) reached", max_threads());
        return Err(Errno::EAGAIN);
    }
    let limit = parent.rlimit(RLIMIT_NPROC);
    if uid != 0 && !privileged && limit != u64::MAX && mine as u64 >= limit {
        return Err(Errno::EAGAIN);
    }
    Ok(())
}

/// Returns the limits that `p`'s calls mapping or locking memory meet:
/// RLIMIT_AS, RLIMIT_DATA and RLIMIT_MEMLOCK, the last lifted by
/// CAP_IPC_LOCK (Linux's `capable(CAP_IPC_LOCK)` in mm/mlock.c), and
/// whether CAP_SYS_ADMIN lets it use the overcommit admin reserve.
pub fn vm_limits(p: &Process) -> mm::VmLimits {
    use arch::abi::resource::{RLIMIT_AS, RLIMIT_DATA, RLIMIT_MEMLOCK};
    let l = *p.rlimits.borrow();
    let ipc_lock = p.cred.borrow().capable(arch::abi::capability::CAP_IPC_LOCK);
    let cap_sys_admin = p
        .cred
        .borrow()
        .capable(arch::abi::capability::CAP_SYS_ADMIN);
    mm::VmLimits {
        address_space: l[RLIMIT_AS].0,
        data: l[RLIMIT_DATA],
        memlock: if ipc_lock {
            u64::MAX
        } else {
            l[RLIMIT_MEMLOCK].0
        },
        cap_sys_admin,
    }
}
