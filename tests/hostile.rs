//! Boot tests for what an unprivileged guest user, or a careless command line,
//! once did to the kernel (issue 19): the guest program `hostile` (signals
//! without permission, /proc of another user, lost SIGCHLD, mremap wrap-around,
//! int $0x80, vsyscall, #! depth, RLIMIT_NPROC and a fork bomb), one disk file
//! attached twice, a guest root asking for host priority, and host signals
//! that must always end `./linux`.

mod common;

use common::*;
use std::time::{Duration, Instant};

/// The hostile-user checks pass, the fork bomb included.
#[test]
fn hostile_user() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/hostile", "quiet"]));
}

/// One image file as two disks is refused at boot, read-write or not, also
/// through another path to it: writing through both once lost files.
#[test]
fn same_disk_twice_is_refused() {
    let img = image_copy("twice");
    let path = img.path.display().to_string();
    let link = img.path.with_extension("link");
    let _ = std::fs::remove_file(&link);
    std::os::unix::fs::symlink(&img.path, &link).expect("symlink to the image");
    let _remove = RemoveOnDrop(link.clone());
    let other = format!("ubd1={}", link.display());
    for args in [
        vec![format!("ubd0={path}"), format!("ubd1={path}")],
        vec![format!("ubd0={path}"), other],
        vec![format!("ubd0r={path}"), format!("ubd1r={path}")],
    ] {
        let mut args: Vec<&str> = args.iter().map(String::as_str).collect();
        args.extend(["init=/bin/hello", "quiet"]);
        let run = boot(&args);
        assert_refused(&run);
        assert!(
            run.stderr.contains("is the same file as ubd0"),
            "expected the reason\n{run}"
        );
    }
}

/// Returns the nice value of every host child of `parent` (the kernel's
/// stubs), by pid.
fn stub_nice_values(parent: u32) -> Vec<(u32, i32)> {
    let mut out = Vec::new();
    for e in std::fs::read_dir("/proc").expect("read /proc").flatten() {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else {
            continue;
        };
        // Fields after the command name, which ends with the last ')'.
        let Some(rest) = stat.rfind(')').map(|i| &stat[i + 2..]) else {
            continue;
        };
        let f: Vec<&str> = rest.split(' ').collect();
        // f[0] is field 3 (state): ppid is field 4, nice field 19.
        let (Some(ppid), Some(nice)) = (f.get(1), f.get(16)) else {
            continue;
        };
        if ppid.parse() == Ok(parent) {
            out.push((pid, nice.parse().unwrap_or(i32::MIN)));
        }
    }
    out
}

/// A guest root's setpriority(-20) changes the guest's nice value but never
/// makes a host stub more favoured than `./linux` itself, here at nice 10.
#[test]
fn guest_nice_never_raises_host_priority() {
    let mut cmd = std::process::Command::new("nice");
    cmd.args([
        "-n",
        "10",
        LINUX,
        &ubd0r(),
        "init=/bin/hostile",
        "quiet",
        "--",
        "--nice",
    ]);
    std::os::unix::process::CommandExt::process_group(&mut cmd, 0);
    let mut r = Running::spawn(&mut cmd, true);
    assert!(r.wait_for_stdout("nice -20 asked"), "{}", r.finish());
    // `nice` execs ./linux, so the child is the kernel.
    let stubs = stub_nice_values(r.child.id());
    let run_ok = stubs.len() >= 2;
    let too_favoured: Vec<_> = stubs.iter().filter(|(_, n)| *n < 10).collect();
    let run = r.finish();
    assert!(
        run_ok,
        "expected the stubs of two tasks, found {stubs:?}\n{run}"
    );
    assert!(
        too_favoured.is_empty(),
        "stubs above ./linux's priority: {too_favoured:?}\n{run}"
    );
    assert_checks_passed(&run);
}

/// SIGTERM ends a running kernel with 128 + 15 after syncing its disks.
#[test]
fn host_sigterm_ends_the_kernel() {
    let mut r = Running::spawn(&mut linux(&[&ubd0r(), "init=/bin/waitstdin"]), true);
    assert!(r.wait_for_stdout("waitstdin: ready"), "{}", r.finish());
    // Init's stdin stays open until the end: at its end of file init would
    // exit, and ./linux with it, racing the signal.
    let _stdin = r.stdin.take();
    let started = Instant::now();
    let pid = r.child.id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-TERM", &pid])
        .status();
    let run = r.finish();
    assert_eq!(run.code(), Some(128 + 15), "{run}");
    assert!(
        run.stderr
            .contains("killed by host signal 15, disks synced"),
        "{run}"
    );
    assert!(started.elapsed() < Duration::from_secs(10), "{run}");
}

/// Returns the host processes whose parent is `parent`.
fn host_children(parent: u32) -> Vec<u32> {
    stub_nice_values(parent)
        .into_iter()
        .map(|(pid, _)| pid)
        .collect()
}

/// Whether host process `pid` still exists (a zombie counts as gone).
fn host_alive(pid: u32) -> bool {
    std::fs::read_to_string(format!("/proc/{pid}/stat"))
        .ok()
        .and_then(|s| s.rfind(')').map(|i| s[i + 2..].starts_with('Z')))
        .is_some_and(|zombie| !zombie)
}

/// A guest holding `n` tasks at once (`manytasks threads|forks n`) has at most
/// one host process per task and a few more (init's, the pool of started
/// stubs) — one per task for processes, and for threads under ptrace; under
/// seccomp the threads of a process share stubs of 512 — and `kill -9` of
/// ./linux leaves none of them behind.
fn many_tasks_leave_nothing(kind: &str, n: usize) {
    let count = n.to_string();
    let mut cmd = linux(&[
        &ubd0r(),
        "mem=256M",
        "init=/bin/manytasks",
        "quiet",
        "--",
        kind,
        &count,
    ]);
    let mut r = Running::spawn(&mut cmd, true);
    assert!(
        r.wait_for_stdout(&format!("manytasks: ready {n}")),
        "{}",
        r.finish()
    );
    let ptrace = std::env::var("LINUX_BACKEND").as_deref() == Ok("ptrace");
    let least = if kind == "threads" && !ptrace {
        n.div_ceil(512)
    } else {
        n
    };
    let most = least + 8;
    // The tasks exist once the guest says so; their host processes come
    // as fast as the host starts them.
    let until = Instant::now() + Duration::from_secs(20);
    let mut stubs = host_children(r.child.id());
    while stubs.len() < least && Instant::now() < until {
        std::thread::sleep(Duration::from_millis(50));
        stubs = host_children(r.child.id());
    }
    let pid = r.child.id().to_string();
    let _ = std::process::Command::new("kill")
        .args(["-KILL", &pid])
        .status();
    let run = r.finish();
    assert!(
        stubs.len() >= least && stubs.len() <= most,
        "{} host processes for {n} {kind} and init (expected {least} to {most})\n{run}",
        stubs.len()
    );
    let until = Instant::now() + Duration::from_secs(20);
    let mut left: Vec<u32> = stubs;
    while !left.is_empty() && Instant::now() < until {
        left.retain(|&p| host_alive(p));
        std::thread::sleep(Duration::from_millis(100));
    }
    assert!(left.is_empty(), "stubs left after kill -9: {left:?}\n{run}");
}

/// 1000 guest threads: at most that many host processes (and a few), all
/// gone after kill -9 of ./linux.
#[test]
fn thousand_threads_leave_nothing() {
    many_tasks_leave_nothing("threads", 1000);
}

/// 1000 guest processes: the same.
#[test]
fn thousand_forks_leave_nothing() {
    many_tasks_leave_nothing("forks", 1000);
}
