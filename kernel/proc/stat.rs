//! /proc/PID/stat and statm (proc(5); Linux's fs/proc/array.c): the 52 fields
//! ps and top read, and the page counts of statm. Also the scheduling state
//! letter that status shows too: R for a task running guest or kernel code, S
//! for one sleeping, T for a stopped group, Z for a zombie.

use super::maps::{usage, Usage};
use super::pid::Target;
use crate::signal::{SIG_DFL, SIG_IGN};
use crate::syscall::sched::{process_times, task_times};
use crate::task::{current, ExitStatus, Process, Task};
use arch::abi::resource::RLIMIT_RSS;
use arch::Result;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Clock ticks per second of the times in stat (USER_HZ).
pub const HZ: u64 = 100;

/// Returns nanoseconds as clock ticks.
pub fn ticks(ns: u64) -> u64 {
    ns / (1_000_000_000 / HZ)
}

/// Returns the state letter and name of a thread of `p` (`t`).
pub fn state(p: &Process, t: Option<&Arc<Task>>) -> (char, &'static str) {
    if p.exit_status.borrow().is_some() {
        return ('Z', "zombie");
    }
    if p.signal.borrow().stopped.is_some() {
        return ('T', "stopped");
    }
    let Some(t) = t else {
        return ('Z', "zombie");
    };
    let me = current().is_some_and(|c| Arc::ptr_eq(&c, t));
    if !me && !t.in_guest.load(Ordering::Relaxed) && t.waiter.is_sleeping() {
        ('S', "sleeping")
    } else {
        ('R', "running")
    }
}

/// Returns the (pending, blocked, ignored, caught) signal sets of a thread.
pub fn signal_sets(p: &Process, t: Option<&Arc<Task>>) -> (u64, u64, u64, u64) {
    let (mut pending, mut blocked) = (0, 0);
    if let Some(t) = t {
        let s = t.signal.borrow();
        pending = s.pending.set();
        blocked = s.mask;
    }
    pending |= p.signal.borrow().pending.set();
    let (mut ignored, mut caught) = (0, 0);
    for (i, a) in p.sigactions.borrow().iter().enumerate() {
        match a.handler {
            SIG_DFL => {}
            SIG_IGN => ignored |= 1 << i,
            _ => caught |= 1 << i,
        }
    }
    (pending, blocked, ignored, caught)
}

/// Returns the CPU a task runs on, as the guest numbers them.
pub fn processor(tid: i32) -> usize {
    match crate::task::find_task(tid) {
        Some(t) => crate::syscall::sched::cpu_index(&t),
        None => tid as usize % crate::boot::kernel().host_cpus.len().max(1),
    }
}

/// /proc/PID/stat.
pub fn stat(t: &Target) -> Result<Vec<u8>> {
    let p = t.process()?;
    let task = t.task();
    let (st, _) = state(&p, task.as_ref());
    let comm = String::from_utf8_lossy(&p.comm.borrow()).into_owned();
    let times = match (&task, t.tid) {
        (Some(th), Some(_)) => task_times(th),
        _ => process_times(&p),
    };
    let children = *p.children_times.borrow();
    let min_flt = match (&task, t.tid) {
        (Some(th), Some(_)) => *th.min_flt.borrow(),
        _ => crate::syscall::sched::process_counts(&p).2,
    };
    let cmin_flt = p.min_flt.borrow().1;
    let u = usage(&p);
    let (pending, blocked, ignored, caught) = signal_sets(&p, task.as_ref());
    let start = p
        .start_time
        .saturating_duration_since(crate::boot::boot_time());
    let exit_code = p.exit_status.borrow().map_or(0, ExitStatus::wait_status);
    let rsslim = p.rlimit(RLIMIT_RSS);
    let l = u.layout;
    let nice = task.as_ref().map_or(0, |t| t.sched.borrow().nice);
    // The controlling terminal, as Linux encodes a device number here, and
    // its foreground process group.
    let (tty_nr, tpgid) = match p.ctty.borrow().as_ref() {
        Some(tty) => (
            u64::from(fs::new_encode_dev(crate::tty::device_number(tty))),
            tty.owner().1 as i64 as u64,
        ),
        None => (0, u64::MAX),
    };
    let ns = crate::pid_ns::current();
    let tpgid = if tpgid == u64::MAX {
        tpgid
    } else {
        ns.nr(tpgid as i64 as crate::task::Pid) as i64 as u64
    };
    let fields: [u64; 49] = [
        ns.nr(p.ppid()) as u64,
        ns.nr(*p.pgid.borrow()) as u64,
        ns.nr(*p.sid.borrow()) as u64,
        tty_nr,
        tpgid,
        0x0040_0000, // flags: PF_RANDOMIZE
        min_flt,
        cmin_flt,
        0,
        0, // majflt, cmajflt: no fault counts as major
        ticks(times.0),
        ticks(times.1),
        ticks(children.0),
        ticks(children.1),
        (20 + nice) as u64, // priority
        nice as i64 as u64,
        p.threads.borrow().len() as u64,
        0, // itrealvalue
        ticks(start.as_nanos() as u64),
        u.size * mm::PAGE_SIZE,
        u.rss,
        rsslim,
        l.start_code,
        l.end_code,
        l.start_stack,
        0,
        0, // kstkesp, kstkeip
        pending,
        blocked,
        ignored,
        caught,
        0,
        0,
        0, // wchan, nswap, cnswap
        *p.exit_signal.borrow() as u64,
        processor(t.id()) as u64,
        0,
        0,
        0,
        0,
        0, // rt_priority, policy, blkio ticks, guest_time, cguest_time
        l.start_data,
        l.end_data,
        u.brk_base,
        l.arg_start,
        l.arg_end,
        l.env_start,
        l.env_end,
        exit_code as u64,
    ];
    let mut s = format!("{} ({}) {}", crate::pid_ns::current().nr(t.id()), comm, st);
    for (i, f) in fields.iter().enumerate() {
        // ppid, pgrp, session and tpgid are signed.
        if matches!(i, 0..=4) {
            s += &format!(" {}", *f as i64);
        } else {
            s += &format!(" {f}");
        }
    }
    s.push('\n');
    Ok(s.into_bytes())
}

/// Returns the pages of the text segment of layout `l`.
pub fn text_pages(u: &Usage) -> u64 {
    let l = u.layout;
    let page = mm::PAGE_SIZE;
    let end = l.end_code.div_ceil(page) * page;
    end.saturating_sub(l.start_code / page * page) / page
}

/// /proc/PID/statm: size resident shared text lib data dt, in pages.
pub fn statm(t: &Target) -> Result<Vec<u8>> {
    let u = usage(&*t.process()?);
    Ok(format!(
        "{} {} {} {} 0 {} 0\n",
        u.size,
        u.rss,
        u.rss_file + u.rss_shmem,
        text_pages(&u),
        u.data + u.stack
    )
    .into_bytes())
}
