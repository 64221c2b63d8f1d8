//! /proc/PID/status (proc(5)): the human-readable summary of a process, in the
//! order and formats of Linux 6.1 — ids, memory (absent for a zombie), signal
//! sets in hex, capabilities (all for root, none for others) and the CPUs
//! the guest sees.

use super::maps::usage;
use super::pid::Target;
use super::stat::{signal_sets, state};
use arch::abi::resource::RLIMIT_SIGPENDING;
use arch::Result;
use std::fmt::Write;

/// Returns the CPUs the guest sees as a hex mask and as a list ("0-3").
pub fn cpus() -> (String, String) {
    let n = crate::boot::kernel().host_cpus.len().max(1);
    let mut words = Vec::new();
    let mut left = n;
    while left > 0 {
        let bits = left.min(32);
        words.push(if bits == 32 {
            u32::MAX
        } else {
            (1u32 << bits) - 1
        });
        left -= bits;
    }
    let mask: Vec<String> = words
        .iter()
        .rev()
        .enumerate()
        .map(|(i, w)| {
            if i == 0 {
                format!("{w:x}")
            } else {
                format!("{w:08x}")
            }
        })
        .collect();
    let list = if n == 1 {
        "0".to_string()
    } else {
        format!("0-{}", n - 1)
    };
    (mask.join(","), list)
}

/// /proc/PID/status.
pub fn status(t: &Target) -> Result<Vec<u8>> {
    let p = t.process()?;
    let task = t.task();
    let (st, st_name) = state(&p, task.as_ref());
    let cred = p.cred.borrow().clone();
    let umask = p.fs.borrow().umask;
    let files = p.files.borrow().clone();
    let fd_size = files
        .borrow()
        .fds()
        .last()
        .map_or(64, |&fd| (fd as u64 + 1).next_multiple_of(64));
    let pgid = *p.pgid.borrow();
    let sid = *p.sid.borrow();
    let tracer = task
        .as_ref()
        .and_then(|t| crate::ptrace::tracer_of(t))
        .map_or(0, |t| t.process.pid);
    // Numbers as the reader's PID namespace sees them, one column per
    // level from there down for the NS* lines.
    let ns = crate::pid_ns::current();
    let cols = |id: crate::task::Pid| {
        let v: Vec<String> = crate::pid_ns::numbers(id, &ns)
            .iter()
            .map(|n| n.to_string())
            .collect();
        if v.is_empty() {
            "0".to_string()
        } else {
            v.join("\t")
        }
    };
    let (nstgid, nspid, nspgid, nssid) = (cols(p.pid), cols(t.id()), cols(pgid), cols(sid));
    let mut s = String::new();
    let name = String::from_utf8_lossy(&p.comm.borrow()).into_owned();
    let _ = write!(
        s,
        "Name:\t{name}\nUmask:\t{umask:04o}\nState:\t{st} ({st_name})\nTgid:\t{}\nNgid:\t0\n\
         Pid:\t{}\nPPid:\t{}\nTracerPid:\t{}\n\
         Uid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\nFDSize:\t{fd_size}\nGroups:\t",
        ns.nr(p.pid),
        ns.nr(t.id()),
        ns.nr(p.ppid()),
        ns.nr(tracer),
        cred.uid,
        cred.euid,
        cred.suid,
        cred.fsuid,
        cred.gid,
        cred.egid,
        cred.sgid,
        cred.fsgid
    );
    for g in &cred.groups {
        let _ = write!(s, "{g} ");
    }
    let _ = write!(
        s,
        "\nNStgid:\t{nstgid}\nNSpid:\t{nspid}\nNSpgid:\t{nspgid}\nNSsid:\t{nssid}\n"
    );
    if p.exit_status.borrow().is_none() {
        let u = usage(&p);
        let kb = mm::PAGE_SIZE / 1024;
        let exe_kb = super::stat::text_pages(&u) * kb;
        let vm = [
            ("VmPeak", u.size * kb),
            ("VmSize", u.size * kb),
            ("VmLck", u.locked * kb),
            ("VmPin", 0),
            ("VmHWM", u.hiwater.max(u.rss) * kb),
            ("VmRSS", u.rss * kb),
            ("RssAnon", u.rss_anon * kb),
            ("RssFile", u.rss_file * kb),
            ("RssShmem", u.rss_shmem * kb),
            ("VmData", u.data * kb),
            ("VmStk", u.stack * kb),
            ("VmExe", exe_kb),
            ("VmLib", (u.exec * kb).saturating_sub(exe_kb)),
            ("VmPTE", (u.rss * 8).div_ceil(1024)),
            ("VmSwap", 0),
        ];
        for (k, v) in vm {
            let _ = writeln!(s, "{k}:\t{v:>8} kB");
        }
        let _ = writeln!(s, "HugetlbPages:\t{:>8} kB", 0);
        let _ = writeln!(s, "CoreDumping:\t0\nTHP_enabled:\t0");
    }
    let (pending, blocked, ignored, caught) = signal_sets(&p, task.as_ref());
    let shared = p.signal.borrow().pending.set();
    let own = task
        .as_ref()
        .map_or(0, |th| th.signal.borrow().pending.set());
    let sigq_max = p.rlimit(RLIMIT_SIGPENDING);
    let queued = (pending.count_ones()) as u64;
    let (mask, list) = cpus();
    // A thread's own seccomp state, else its group leader's.
    let leader = task.clone().or_else(|| p.threads.borrow().first().cloned());
    // The thread's own context switches (a zombie's: its threads' sums).
    let (nvcsw, nivcsw) = leader
        .as_ref()
        .map_or_else(|| *p.switches.borrow(), |t| t.waiter.switches());
    let (nnp, seccomp, filters) = leader.map_or((0, 0, 0), |t| {
        let sc = t.seccomp.borrow();
        let nnp = t.no_new_privs.load(std::sync::atomic::Ordering::Relaxed);
        (u8::from(nnp), sc.mode, sc.filters())
    });
    let _ = write!(
        s,
        "Threads:\t{}\nSigQ:\t{queued}/{sigq_max}\nSigPnd:\t{own:016x}\nShdPnd:\t{shared:016x}\n\
         SigBlk:\t{blocked:016x}\nSigIgn:\t{ignored:016x}\nSigCgt:\t{caught:016x}\n\
         CapInh:\t{:016x}\nCapPrm:\t{:016x}\nCapEff:\t{:016x}\nCapBnd:\t{:016x}\n\
         CapAmb:\t{:016x}\nNoNewPrivs:\t{nnp}\nSeccomp:\t{seccomp}\nSeccomp_filters:\t{filters}\n\
         Speculation_Store_Bypass:\tthread vulnerable\n\
         Cpus_allowed:\t{mask}\nCpus_allowed_list:\t{list}\n\
         Mems_allowed:\t00000001\nMems_allowed_list:\t0\n\
         voluntary_ctxt_switches:\t{nvcsw}\nnonvoluntary_ctxt_switches:\t{nivcsw}\n",
        p.threads.borrow().len(),
        cred.cap_inheritable,
        cred.cap_permitted,
        cred.cap_effective,
        cred.cap_bset,
        cred.cap_ambient,
    );
    Ok(s.into_bytes())
}
