//! Boot tests of busybox and the console: shell scripts run by busybox-static
//! as init, the tools that read /proc, and the console driven on a host pty.

mod common;

use common::*;
use std::process::Command;

#[test]
fn busybox_shell_script() {
    assert_checks_passed(&boot(&[
        &ubd0r(),
        "init=/bin/sh",
        "quiet",
        "--",
        "/scripts/shell.sh",
    ]));
}

/// busybox's ps, free, df, mount, top, uptime and friends on /proc and /sys.
#[test]
fn busybox_tools() {
    assert_checks_passed(&boot(&[
        &ubd0r(),
        "mem=128M",
        "init=/bin/sh",
        "quiet",
        "--",
        "/scripts/tools.sh",
    ]));
}

#[test]
fn console_is_a_terminal() {
    let drive = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/tty-drive.py");
    let image = ubd0r();
    let output = Command::new("python3")
        .args([drive, LINUX, &image, "init=/bin/tty", "quiet"])
        .output()
        .expect("python3 runs the pty driver");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        stdout.contains("passed, 0 failed") && !stdout.contains("FAIL "),
        "status {:?}\n{stdout}\n{}",
        output.status,
        String::from_utf8_lossy(&output.stderr)
    );
    // The typed "abc", DEL, "d", CR comes back echoed: the erase as
    // backspace-space-backspace, the CR as NL and then CR NL (ONLCR).
    assert!(
        stdout.contains("abc\x08 \x08d\r\n"),
        "echo and ONLCR\n{stdout}"
    );
    assert_eq!(output.status.code(), Some(0), "{stdout}");
}
