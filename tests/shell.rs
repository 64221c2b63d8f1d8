//! Boot tests of busybox and the console: shell scripts run by busybox-static
//! as init, the tools that read /proc, and the console driven on a host pty.

mod common;

use common::*;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::process::Command;
use std::time::Duration;

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

/// `con0=null ssl0=fd:0,fd:1`: the guest talks on /dev/ttyS0 through the
/// host's stdin and stdout, and what it writes to /dev/console is dropped.
#[test]
fn lines_serial_on_host_fds() {
    let ubd0 = ubd0r();
    let mut run = Running::spawn(
        &mut linux(&[
            &ubd0,
            "con0=null",
            "ssl0=fd:0,fd:1",
            "init=/bin/sh",
            "quiet",
            "--",
            "/scripts/lines.sh",
        ]),
        true,
    );
    let stdin = run.stdin.as_mut().expect("stdin is piped");
    stdin.write_all(b"hello serial\n").expect("write to linux");
    let run = run.finish();
    assert_checks_passed(&run);
    assert!(
        !run.stdout.contains("console-marker") && !run.stderr.contains("console-marker"),
        "con0=null let console output through\n{run}"
    );
}

/// `ssl0=pts`: the kernel names a new host pty on stderr; the test opens it
/// and talks to the guest's /dev/ttyS0 there.
#[test]
fn lines_serial_on_host_pty() {
    let ubd0 = ubd0r();
    let mut run = Running::spawn(
        &mut linux(&[
            &ubd0,
            "ssl0=pts",
            "init=/bin/sh",
            "quiet",
            "--",
            "/scripts/lines.sh",
        ]),
        false,
    );
    let mut seen = String::new();
    let path = loop {
        let line = run
            .stderr
            .recv_timeout(Duration::from_secs(30))
            .unwrap_or_else(|_| panic!("no pty announced on stderr:\n{seen}"));
        seen.push_str(&line);
        if let Some(p) = line
            .trim_end()
            .strip_prefix("Serial line 0 assigned device ")
        {
            break p.to_string();
        }
    };
    // O_NOCTTY: the pty must not become the test's controlling terminal.
    let mut pty = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .custom_flags(0o400)
        .open(&path)
        .unwrap_or_else(|e| panic!("open {path}: {e}"));
    pty.write_all(b"hello serial\n").expect("write to the pty");
    let mut reply = pty.try_clone().expect("dup the pty");
    let lines = forward_lines(pty);
    let mut guest = String::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(30)) {
        guest.push_str(&line);
        if line.contains(" passed, ") || line.starts_with("FAIL ") {
            break;
        }
    }
    // The script waits for this before it exits (see lines.sh).
    let _ = reply.write_all(b"bye\n");
    let done = run.finish();
    let checks = Run {
        stdout: guest,
        ..done
    };
    assert_checks_passed(&checks);
}
