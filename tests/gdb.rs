//! Boot test of the gdb commands the kernel carries (issue 16, "the kernel
//! seen from the host"): a guest runs `sleep` and a busy loop, the host's
//! gdb attaches to `./linux` with auto-load trusting the binary, and the
//! commands of scripts/gdb/linux.py (embedded in the binary's
//! `.debug_gdb_scripts` section) show the guest: `lx-ps` its tasks,
//! `lx-dmesg` the boot log, `lx-mounts` the root, `lx-task` and `lx-files`
//! one task. gdb holds the kernel stopped for longer than the seccomp
//! backend's kick grace, detaches, and the guest runs on to a normal end.
//!
//! Needs the host's gdb (`apt-get install gdb`); skipped without it.

mod common;

use common::*;
use std::io::Write;
use std::process::Command;
use std::time::Duration;

/// Returns whether the host has gdb.
fn have_gdb() -> bool {
    Command::new("gdb")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

/// Attaches gdb to process `pid` of the kernel binary, runs `commands`
/// and detaches; returns what gdb printed. The binary is named before the
/// attach, so gdb reads its debug information before it stops the kernel.
fn gdb_batch(pid: u32, commands: &[&str]) -> String {
    let linux = std::fs::canonicalize(LINUX).expect("the kernel binary");
    let linux = linux.to_str().expect("a UTF-8 path");
    let mut cmd = Command::new("gdb");
    cmd.args(["-nx", "-batch"])
        .args(["-iex", &format!("add-auto-load-safe-path {linux}")])
        .args(["-iex", "set python print-stack full"])
        .arg(linux)
        .args(["-p", &pid.to_string()]);
    for c in commands {
        cmd.args(["-ex", c]);
    }
    let out = cmd.output().expect("run gdb");
    String::from_utf8_lossy(&out.stdout).into_owned() + &String::from_utf8_lossy(&out.stderr)
}

#[test]
fn gdb_lx_commands() {
    if !have_gdb() {
        eprintln!("skipped: gdb_lx_commands needs the host's gdb (apt-get install gdb)");
        return;
    }
    // The busy loop keeps guest code running while gdb stops the kernel;
    // `read` waits for the host to say gdb has gone.
    let script = "sleep 600 & s=$!; (while :; do :; done) & b=$!; echo ready; \
                  read line; echo \"host says $line\"; kill $s $b; wait; echo guest done";
    let ubd = ubd0r();
    let mut cmd = linux(&[&ubd, "init=/bin/sh", "--", "-c", script]);
    let mut r = Running::spawn(&mut cmd, true);
    assert!(r.wait_for_stdout("ready"), "no ready:\n{}", r.stdout_seen);
    // Let sleep reach its nanosleep.
    std::thread::sleep(Duration::from_millis(500));

    let out = gdb_batch(
        r.child.id(),
        &[
            "info threads",
            "lx-ps",
            "lx-dmesg",
            "lx-mounts",
            "lx-task 1",
            "lx-files 1",
            // Hold the kernel stopped past the seccomp backend's 5 s kick
            // grace: a stopped kernel must not take its stubs for dead.
            "shell sleep 6",
        ],
    );
    let ps: Vec<&str> = out
        .lines()
        .skip_while(|l| !l.contains("COMM"))
        .take_while(|l| !l.starts_with('['))
        .collect();
    assert!(
        !out.contains("Python Exception") && !out.contains("Traceback"),
        "a command failed:\n{out}"
    );
    assert!(
        ps.iter()
            .any(|l| l.contains(" sleep ") && l.contains(" S ")),
        "lx-ps has no sleeping sleep:\n{out}"
    );
    assert!(
        ps.iter().any(|l| l.contains(" sh ")),
        "lx-ps has no sh:\n{out}"
    );
    assert!(
        out.contains("sleep_until") || out.contains("nanosleep"),
        "lx-ps does not say sleep waits in nanosleep:\n{out}"
    );
    assert!(
        out.contains("Kernel command line:") && out.contains("init=/bin/sh"),
        "lx-dmesg has no boot log:\n{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("/dev/ubda ") && l.contains(" / ") && l.contains(" ext4 ")),
        "lx-mounts has no ext4 root:\n{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.contains(" /proc ") && l.contains(" proc ")),
        "lx-mounts does not name proc:\n{out}"
    );
    // sh waits for the console line: busybox's `read` polls first.
    assert!(
        ["system call: poll", "system call: read"]
            .iter()
            .any(|c| out.contains(c)),
        "lx-task 1 does not show sh reading the console:\n{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.trim_start().starts_with("0 ") && l.contains("/dev/console")),
        "lx-files 1 has no console on fd 0:\n{out}"
    );
    assert!(
        out.contains("\"task-1\"") && out.contains("\"task-2\""),
        "info threads names no task threads:\n{out}"
    );

    // The guest runs on: it reads the host's word and ends normally.
    let stdin = r.stdin.as_mut().expect("stdin is piped");
    stdin.write_all(b"hello\n").expect("write to the console");
    stdin.flush().expect("flush the console");
    let run = r.finish();
    assert!(run.stdout.contains("host says hello"), "{run}");
    assert!(run.stdout.contains("guest done"), "{run}");
    assert_init_exit(&run, 0);
}
