//! The simple files of /proc/PID (Linux's fs/proc/base.c): cmdline and
//! environ read from the process's memory (the argument and environment
//! strings exec placed on its stack), comm (writable), limits, the cwd, root
//! and exe magic links, and constant answers for the files tools expect
//! (cgroup, loginuid, wchan).

use super::node::Store;
use super::pid::Target;
use crate::task::Process;
use arch::abi::resource::{RLIM_INFINITY, RLIM_NLIMITS};
use arch::{Errno, Result};
use std::sync::Arc;

/// The most of the argument or environment area read at once.
const MAX_STRINGS: u64 = 128 * 1024;

/// Reads what of `[start, end)` in the process's memory is readable.
fn read_mm(p: &Process, start: u64, end: u64) -> Vec<u8> {
    let end = end.min(start.saturating_add(MAX_STRINGS));
    let mm = p.mm.borrow().clone();
    let mut mm = mm.borrow_mut();
    let mut out = Vec::new();
    let mut at = start;
    while at < end {
        let n = (mm::PAGE_SIZE - at % mm::PAGE_SIZE).min(end - at);
        let mut buf = vec![0u8; n as usize];
        if mm.copy_from_user(at, &mut buf).is_err() {
            break;
        }
        out.extend_from_slice(&buf);
        at += n;
    }
    out
}

/// /proc/PID/cmdline: the argument strings, each with its NUL. A program that
/// overwrote its last NUL (setproctitle) gets one string that may run on into
/// the environment area, as Linux gives.
pub fn cmdline(t: &Target) -> Result<Vec<u8>> {
    let p = t.process()?;
    let l = p.mm.borrow().clone();
    let l = l.borrow().layout;
    let mut args = read_mm(&p, l.arg_start, l.arg_end);
    if args.last().is_some_and(|&b| b != 0) {
        args = read_mm(&p, l.arg_start, l.env_end);
        if let Some(nul) = args.iter().position(|&b| b == 0) {
            args.truncate(nul);
        }
    }
    Ok(args)
}

/// /proc/PID/environ: the environment strings exec placed.
pub fn environ(t: &Target) -> Result<Vec<u8>> {
    let p = t.inspect()?;
    let l = p.mm.borrow().clone();
    let l = l.borrow().layout;
    Ok(read_mm(&p, l.env_start, l.env_end))
}

/// /proc/PID/auxv: the auxiliary vector exec gave the program, as
/// (type, value) pairs of native words ending with AT_NULL.
pub fn auxv(t: &Target) -> Result<Vec<u8>> {
    let p = t.inspect()?;
    let mm = p.mm.borrow().clone();
    let mut out = Vec::new();
    for &(k, v) in mm.borrow().saved_auxv.iter().chain(&[(0, 0)]) {
        out.extend_from_slice(&k.to_ne_bytes());
        out.extend_from_slice(&v.to_ne_bytes());
    }
    Ok(out)
}

/// /proc/PID/comm: the command name and a newline.
pub fn comm(t: &Target) -> Result<Vec<u8>> {
    let mut c = t.process()?.comm.borrow().clone();
    c.push(b'\n');
    Ok(c)
}

/// The names and units of the resource limits, by `RLIMIT_*` number.
const LIMITS: [(&str, &str); RLIM_NLIMITS] = [
    ("Max cpu time", "seconds"),
    ("Max file size", "bytes"),
    ("Max data size", "bytes"),
    ("Max stack size", "bytes"),
    ("Max core file size", "bytes"),
    ("Max resident set", "bytes"),
    ("Max processes", "processes"),
    ("Max open files", "files"),
    ("Max locked memory", "bytes"),
    ("Max address space", "bytes"),
    ("Max file locks", "locks"),
    ("Max pending signals", "signals"),
    ("Max msgqueue size", "bytes"),
    ("Max nice priority", ""),
    ("Max realtime priority", ""),
    ("Max realtime timeout", "us"),
];

/// /proc/PID/limits: the soft and hard resource limits.
pub fn limits(t: &Target) -> Result<Vec<u8>> {
    let lim = *t.process()?.rlimits.borrow();
    let show = |v: u64| match v {
        RLIM_INFINITY => "unlimited".to_string(),
        v => v.to_string(),
    };
    let mut s = format!(
        "{:<25} {:<20} {:<20} {:<10}\n",
        "Limit", "Soft Limit", "Hard Limit", "Units"
    );
    for (i, (name, unit)) in LIMITS.iter().enumerate() {
        s += &format!(
            "{:<25} {:<20} {:<20} ",
            name,
            show(lim[i].0),
            show(lim[i].1)
        );
        if unit.is_empty() {
            s.push('\n');
        } else {
            s += &format!("{unit:<10}\n");
        }
    }
    Ok(s.into_bytes())
}

/// /proc/PID/cgroup: the process's group in the unified hierarchy.
pub fn cgroup(t: &Target) -> Result<Vec<u8>> {
    Ok(crate::cgroup::proc_cgroup(&*t.process()?))
}

/// loginuid and sessionid: unset (-1 as unsigned), without a newline as Linux.
pub fn unset_id(t: &Target) -> Result<Vec<u8>> {
    t.process()?;
    Ok(b"4294967295".to_vec())
}

/// wchan: where the thread sleeps, a Linux function name (Linux's
/// proc_pid_wchan); "0" while it runs, where the point is unknown, and for a
/// caller that may not ptrace-read it.
pub fn wchan(t: &Target) -> Result<Vec<u8>> {
    t.process()?;
    let point = match (t.inspect(), t.task()) {
        (Ok(_), Some(task)) => task.waiter.wait_point(),
        _ => None,
    };
    Ok(point.unwrap_or("0").as_bytes().to_vec())
}

/// stack: the sleeping thread's wait point as one frame in Linux's format
/// (Linux's proc_pid_stack; the host stack of the kernel thread means
/// nothing to a guest); EACCES without CAP_SYS_ADMIN.
pub fn stack(t: &Target) -> Result<Vec<u8>> {
    if !crate::capability::capable(arch::abi::capability::CAP_SYS_ADMIN) {
        return Err(Errno::EACCES);
    }
    t.inspect()?;
    let point = t.task().and_then(|task| task.waiter.wait_point());
    Ok(point
        .map(|p| format!("[<0>] {p}+0x0/0x0\n"))
        .unwrap_or_default()
        .into_bytes())
}

/// schedstat: "run_ns wait_ns timeslices" of the thread (Linux's
/// proc_pid_schedstat; /proc/PID shows the thread-group leader, as Linux):
/// its CPU time in nanoseconds, that of its guest CPU and its kernel
/// thread as CLOCK_THREAD_CPUTIME_ID counts it; 0 for the time it waited
/// runnable, which is the host scheduler's delay of those threads and not
/// known here; and the times it was put on a CPU, its first run and one
/// more after every sleep it came back from or kick out of guest code. A
/// process whose threads have all exited shows what they left behind.
pub fn schedstat(t: &Target) -> Result<Vec<u8>> {
    let p = t.process()?;
    let (run_ns, slices) = match t.task() {
        Some(task) => {
            let (user, sys) = crate::syscall::sched::task_times(&task);
            let (v, nv) = task.waiter.switches();
            // A sleeper counted its switch out but has not run again.
            let sleeping = u64::from(task.waiter.is_sleeping());
            (user + sys, (1 + v + nv).saturating_sub(sleeping))
        }
        None if t.tid.is_some() => return Err(Errno::ESRCH),
        None => {
            let (user, sys) = *p.times.borrow();
            let (v, nv) = *p.switches.borrow();
            (user + sys, 1 + v + nv)
        }
    };
    Ok(format!("{run_ns} 0 {slices}\n").into_bytes())
}

/// io: the I/O counts of the thread (in a task directory) or of the whole
/// process, its exited threads and reaped children with its live threads
/// (Linux's `do_io_accounting`); EACCES for a caller that may not ptrace-read
/// it, checked at each read.
pub fn io(t: &Target) -> Result<Vec<u8>> {
    let p = t.inspect()?;
    let ioac = match t.tid {
        Some(_) => *t.task().ok_or(Errno::ESRCH)?.ioac.borrow(),
        None => {
            let mut sum = *p.ioac.borrow();
            for th in p.threads.borrow().iter() {
                sum.add(&th.ioac.borrow());
            }
            sum
        }
    };
    Ok(ioac.render().into_bytes())
}

/// Returns the task whose timer slack /proc/PID/timerslack_ns shows, if
/// the caller may reach it: its own, or any with CAP_SYS_NICE (EPERM).
fn slack_task(t: &Target) -> Result<Arc<crate::task::Task>> {
    let task = t.task().ok_or(Errno::ESRCH)?;
    let own = crate::task::current().is_none_or(|me| Arc::ptr_eq(&me, &task));
    if !own && !crate::capability::capable(arch::abi::capability::CAP_SYS_NICE) {
        return Err(Errno::EPERM);
    }
    Ok(task)
}

/// timerslack_ns: the task's timer slack in nanoseconds.
pub fn timerslack(t: &Target) -> Result<Vec<u8>> {
    let task = slack_task(t)?;
    let ns = task.sched.borrow().timer_slack_ns;
    Ok(format!("{ns}\n").into_bytes())
}

/// personality: the execution domain and flags, in hex (personality(2)).
pub fn personality(t: &Target) -> Result<Vec<u8>> {
    let p = t.process()?;
    let persona = p.personality.load(std::sync::atomic::Ordering::Relaxed);
    Ok(format!("{persona:08x}\n").into_bytes())
}

/// Returns the place `t`'s directory link `which` names; `ENOENT` for a zombie.
fn fs_link(t: &Target, which: fn(&Process) -> Option<fs::Path>) -> Result<fs::Path> {
    let p = t.inspect()?;
    if p.exit_status.borrow().is_some() {
        return Err(Errno::ENOENT);
    }
    which(&p).ok_or(Errno::ENOENT)
}

/// /proc/PID/cwd.
pub fn cwd(t: &Target) -> Result<fs::Path> {
    fs_link(t, |p| Some(p.fs.borrow().cwd.clone()))
}

/// /proc/PID/root.
pub fn root(t: &Target) -> Result<fs::Path> {
    fs_link(t, |p| Some(p.fs.borrow().root.clone()))
}

/// /proc/PID/exe.
pub fn exe(t: &Target) -> Result<fs::Path> {
    fs_link(t, |p| p.exe.borrow().clone())
}

/// Returns the text of a link to `p`: its path from the reader's root, with
/// " (deleted)" once its name was removed, as Linux's d_path.
pub fn link_text(p: &fs::Path) -> Result<Vec<u8>> {
    let root = match crate::task::current() {
        Some(t) => t.fs().root,
        None => crate::boot::kernel().vfs.root(),
    };
    let mut s = p.to_bytes(&root);
    if p.dentry.is_deleted() {
        s.extend_from_slice(b" (deleted)");
    }
    Ok(s)
}

/// Returns what takes writes to the file `name` of `t`'s directory, if it is
/// writable: comm renames the process, the OOM settings are those of
/// `oom`, and the audit setting is accepted if it is a number and has no
/// effect.
pub fn store(name: &str, t: &Target) -> Option<Store> {
    let t = t.clone();
    match name {
        "comm" => Some(Arc::new(move |data: &[u8]| {
            // Linux keeps a newline written with the name.
            let p = t.inspect()?;
            *p.comm.borrow_mut() = data[..data.len().min(15)].to_vec();
            Ok(())
        })),
        "oom_score_adj" => Some(Arc::new(move |data: &[u8]| {
            super::oom::write(&t, data, false)
        })),
        "oom_adj" => Some(Arc::new(move |data: &[u8]| {
            super::oom::write(&t, data, true)
        })),
        "timerslack_ns" => Some(Arc::new(move |data: &[u8]| {
            let s = std::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
            let ns = s.trim().parse::<u64>().map_err(|_| Errno::EINVAL)?;
            let task = slack_task(&t)?;
            crate::syscall::sched_policy::set_timer_slack(&mut task.sched.borrow_mut(), ns);
            Ok(())
        })),
        "loginuid" => Some(Arc::new(move |data: &[u8]| {
            t.process()?;
            let s = std::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
            s.trim().parse::<i64>().map_err(|_| Errno::EINVAL)?;
            Ok(())
        })),
        _ => None,
    }
}
