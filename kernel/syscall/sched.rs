//! Scheduling and accounting calls: sched_yield, affinity and nice values
//! (a task's nice value and CPU affinity are its own and reach the host: the
//! guest CPU running its code gets the same nice value and is bound to the
//! CPUs allowed; the policies are in `sched_policy.rs`), getcpu, getrusage
//! and times.
//! CPU time is the host CPU time of a task's guest CPU (its guest code:
//! "user") and of its kernel thread ("system").

use super::arg::UserPtr;
use crate::task::TrapContext;
use crate::task::{self, Process, Task};
use arch::abi::pod::from_bytes;
use arch::abi::structs::Tms;
use arch::{Errno, Result};
use std::sync::atomic::Ordering;

pub fn sys_sched_yield(_: &mut TrapContext) -> Result<u64> {
    crate::lock::unlocked(std::thread::yield_now);
    Ok(0)
}

/// Returns the task `tid` names in the caller's PID namespace (0: the
/// caller); ESRCH for none (Linux's find_task_by_vpid).
pub(super) fn find(ctx: &TrapContext, tid: i32) -> Result<std::sync::Arc<Task>> {
    match tid {
        0 => Ok(ctx.task.clone()),
        t if t > 0 => ctx.task.process.find_task(t).ok_or(Errno::ESRCH),
        _ => Err(Errno::ESRCH),
    }
}

/// Returns the index among the guest's CPUs that task `t` runs on: its own
/// slot (tid modulo the CPUs) if its affinity allows, else the first allowed.
pub fn cpu_index(t: &Task) -> usize {
    let n = crate::boot::kernel().host_cpus.len().clamp(1, 64);
    let allowed = t.sched.borrow().affinity & cpu_mask();
    let own = t.tid() as usize % n;
    if allowed & (1 << own) != 0 || allowed == 0 {
        own
    } else {
        allowed.trailing_zeros() as usize
    }
}

/// Binds task `t`'s guest CPU and kernel thread to the host CPU of `cpu_index`.
fn repin(t: &Task) {
    let k = crate::boot::kernel();
    let cpu = k.host_cpus[cpu_index(t) % k.host_cpus.len()];
    if let Some(c) = t.cpu() {
        c.pin(cpu);
    }
    let host = t.host_tid.load(Ordering::Relaxed);
    if host > 0 {
        arch::host::cpu::pin(host, k.backend.kernel_cpu(cpu));
    }
}

/// Returns the mask of CPUs guests see: one per host CPU we may use.
fn cpu_mask() -> u64 {
    let n = crate::boot::kernel().host_cpus.len().min(64);
    if n == 64 {
        u64::MAX
    } else {
        (1 << n) - 1
    }
}

/// sched_getaffinity: returns the size of the mask written (8 bytes).
pub fn sys_sched_getaffinity(
    ctx: &mut TrapContext,
    pid: u64,
    len: u64,
    user_mask: UserPtr<u64>,
) -> Result<u64> {
    let len = len as usize;
    if len < size_of::<u64>() || !len.is_multiple_of(size_of::<u64>()) {
        return Err(Errno::EINVAL);
    }
    let t = find(ctx, pid as i32)?;
    let mask = t.sched.borrow().affinity & cpu_mask();
    user_mask.write(ctx, &mask)?;
    Ok(size_of::<u64>() as u64)
}

/// sched_setaffinity: the mask, less CPUs the guest does not have, must name
/// one (EINVAL); the task then runs on one of those.
pub fn sys_sched_setaffinity(ctx: &mut TrapContext, pid: u64, len: u64, mask: u64) -> Result<u64> {
    let t = find(ctx, pid as i32)?;
    // The first `len` bytes of the mask (a bitmap of longs), zero beyond.
    let mut b = [0u8; size_of::<u64>()];
    let len = (len as usize).min(b.len());
    ctx.read_user(mask, &mut b[..len])?;
    let mask = from_bytes::<u64>(&b).expect("eight bytes") & cpu_mask();
    if mask == 0 {
        return Err(Errno::EINVAL);
    }
    may_change(ctx, &t)?;
    t.sched.borrow_mut().affinity = mask;
    repin(&t);
    Ok(0)
}

/// EPERM unless the caller may change `t`'s scheduling: CAP_SYS_NICE, or
/// the same user (its effective uid is the target's real or effective uid).
pub(super) fn may_change(ctx: &TrapContext, t: &Task) -> Result<()> {
    let (euid, nice) = {
        let c = ctx.task.process.cred.borrow();
        (c.euid, c.capable(arch::abi::capability::CAP_SYS_NICE))
    };
    let (uid, their_euid) = {
        let c = t.process.cred.borrow();
        (c.uid, c.euid)
    };
    if nice || euid == uid || euid == their_euid {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}

/// getpriority returns 20 - nice (nice is always 0 here).
/// The tasks `which` (PRIO_PROCESS, PRIO_PGRP, PRIO_USER) and `who` (0: the
/// caller's own) name; EINVAL for an unknown `which`.
pub(super) fn prio_targets(
    ctx: &TrapContext,
    which: u64,
    who: u64,
) -> Result<Vec<std::sync::Arc<Task>>> {
    let who = who as u32 as i32;
    Ok(match which {
        0 => find(ctx, who).into_iter().collect(),
        1 => {
            let pgid = if who == 0 {
                *ctx.task.process.pgid.borrow()
            } else {
                match ctx.task.process.global(who) {
                    Some(g) => g,
                    None => return Ok(Vec::new()),
                }
            };
            task::all_tasks()
                .into_iter()
                .filter(|t| *t.process.pgid.borrow() == pgid)
                .collect()
        }
        2 => {
            let uid = if who == 0 {
                ctx.task.process.cred.borrow().uid
            } else {
                who as u32
            };
            task::all_tasks()
                .into_iter()
                .filter(|t| t.process.cred.borrow().uid == uid)
                .collect()
        }
        _ => return Err(Errno::EINVAL),
    })
}

/// getpriority: 20 - nice of the most favoured task named (1 to 40, as the
/// system call returns it; glibc turns it back into a nice value).
pub fn sys_getpriority(ctx: &mut TrapContext, which: u64, who: u64) -> Result<u64> {
    let targets = prio_targets(ctx, which, who)?;
    let best = targets.iter().map(|t| t.sched.borrow().nice).min();
    best.map(|n| (20 - n) as u64).ok_or(Errno::ESRCH)
}

/// setpriority: sets the nice value (clamped to -20..19) of every task named;
/// lowering it needs CAP_SYS_NICE (EACCES), other users' tasks too (EPERM).
pub fn sys_setpriority(ctx: &mut TrapContext, which: u64, who: u64, prio: u64) -> Result<u64> {
    let targets = prio_targets(ctx, which, who)?;
    if targets.is_empty() {
        return Err(Errno::ESRCH);
    }
    let nice = (prio as i32).clamp(-20, 19);
    let root = ctx
        .task
        .process
        .cred
        .borrow()
        .capable(arch::abi::capability::CAP_SYS_NICE);
    for t in &targets {
        may_change(ctx, t)?;
        if nice < t.sched.borrow().nice && !root {
            return Err(Errno::EACCES);
        }
        t.sched.borrow_mut().nice = nice;
        if let Some(c) = t.cpu() {
            c.set_nice(crate::cgroup::limits::effective_nice(t));
        }
    }
    Ok(0)
}

/// getcpu(cpu, node, cache): the host CPU the task's guest CPU is pinned to, as
/// an index among the CPUs guests see.
pub fn sys_getcpu(
    ctx: &mut TrapContext,
    cpup: UserPtr<u32>,
    nodep: UserPtr<u32>,
    _cache: u64,
) -> Result<u64> {
    let k = crate::boot::kernel();
    let cpu = (cpu_index(ctx.task) % k.host_cpus.len()) as u32;
    if !cpup.is_null() {
        cpup.write(ctx, &cpu)?;
    }
    if !nodep.is_null() {
        nodep.write(ctx, &0)?;
    }
    Ok(0)
}

/// Returns the CPU time (user, system) in nanoseconds of a live task.
pub fn task_times(t: &Task) -> (u64, u64) {
    let host = t.host_tid.load(Ordering::Relaxed);
    (
        t.guest_cpu_ns(),
        if host > 0 {
            arch::host::time::thread_cpu_ns_of(host)
                .saturating_sub(t.host_cpu_base.load(Ordering::Relaxed))
        } else {
            0
        },
    )
}

/// Returns the CPU time of a process: its exited threads and its live ones.
pub fn process_times(p: &Process) -> (u64, u64) {
    let mut t = *p.times.borrow_mut();
    for th in p.threads.borrow().iter() {
        let (u, s) = task_times(th);
        t.0 += u;
        t.1 += s;
    }
    t
}

/// Returns the context switches (voluntary, nonvoluntary) and the page
/// faults of a process: its exited threads' and its live ones'.
pub fn process_counts(p: &Process) -> (u64, u64, u64) {
    let (mut v, mut nv) = *p.switches.borrow();
    let mut flt = p.min_flt.borrow().0;
    for th in p.threads.borrow().iter() {
        let (tv, tnv) = th.waiter.switches();
        v += tv;
        nv += tnv;
        flt += *th.min_flt.borrow();
    }
    (v, nv, flt)
}

pub fn sys_getrusage(ctx: &mut TrapContext, who: u64, usage: u64) -> Result<u64> {
    const RUSAGE_SELF: i32 = 0;
    const RUSAGE_CHILDREN: i32 = -1;
    const RUSAGE_THREAD: i32 = 1;
    let p = &ctx.task.process;
    let (own, children) = p.maxrss();
    let (times, maxrss, switches) = match who as i32 {
        RUSAGE_SELF => (process_times(p), own, process_counts(p)),
        RUSAGE_CHILDREN => {
            let (v, nv) = *p.children_switches.borrow();
            (
                *p.children_times.borrow(),
                children,
                (v, nv, p.min_flt.borrow().1),
            )
        }
        RUSAGE_THREAD => {
            let (v, nv) = ctx.task.waiter.switches();
            (
                task_times(ctx.task),
                ctx.task.mm().borrow().hiwater_rss(),
                (v, nv, *ctx.task.min_flt.borrow()),
            )
        }
        _ => return Err(Errno::EINVAL),
    };
    super::wait4::write_rusage(ctx, usage, times, maxrss, switches)?;
    Ok(0)
}

/// times(2): clock ticks (100 Hz) of the process and its reaped children;
/// returns the ticks since boot.
pub fn sys_times(ctx: &mut TrapContext, buf: UserPtr<Tms>) -> Result<u64> {
    let ticks = |ns: u64| ns / 10_000_000;
    if !buf.is_null() {
        let me = process_times(&ctx.task.process);
        let ch = *ctx.task.process.children_times.borrow();
        let tms = Tms {
            tms_utime: ticks(me.0) as i64,
            tms_stime: ticks(me.1) as i64,
            tms_cutime: ticks(ch.0) as i64,
            tms_cstime: ticks(ch.1) as i64,
        };
        buf.write(ctx, &tms)?;
    }
    let now = super::time::guest_clock_now(7).ok_or(Errno::EINVAL)?;
    Ok(ticks(now.as_nanos() as u64))
}
