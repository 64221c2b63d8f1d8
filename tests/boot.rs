//! Boot tests: build the test image with `images/build-test-image.sh`, boot
//! `linux` with one of the guest programs of `tests/guest/` as init, and check
//! what the guest did through the exit status and output of `linux`.
//!
//! The contract under test: `linux ubd0=IMG init=/bin/PROG [KEY=VALUE ...]
//! [-- ARGS...]` runs PROG as pid 1, the guest's stdout is the process's
//! stdout, and when init exits `linux` prints `linux: init exited with status
//! N` on stderr and exits with N. Bad command lines and unusable images give
//! one clear message and a non-zero exit.
//!
//! Tests that only read the image share one copy through `ubd0r=` (read-only),
//! so they run in parallel; the lock test writes to its own copy. Every run is
//! killed after [`TIMEOUT`], so a hung kernel fails a test instead of hanging.

use std::fmt;
use std::io::{BufRead, BufReader, Read};
use std::os::unix::process::{CommandExt, ExitStatusExt};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

/// How long any one run of `linux` may take before it is killed.
const TIMEOUT: Duration = Duration::from_secs(60);

/// The kernel binary under test.
const LINUX: &str = env!("CARGO_BIN_EXE_linux");

/// Returns the path of the shared test image, building it on first use.
fn image() -> &'static Path {
    static IMAGE: OnceLock<PathBuf> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("test.img");
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("images/build-test-image.sh");
        let output = Command::new("sh")
            .arg(&script)
            .arg(&out)
            .output()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(
            output.status.success(),
            "{} failed ({}):\n{}{}",
            script.display(),
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        );
        out
    })
}

/// Returns `ubd0r=IMAGE`: the shared image, attached read-only.
fn ubd0r() -> String {
    format!("ubd0r={}", image().display())
}

/// Returns a `linux` command with ARGS, in its own process group so that a
/// timeout can kill it together with any host processes it started.
fn linux(args: &[&str]) -> Command {
    let mut cmd = Command::new(LINUX);
    cmd.args(args).process_group(0);
    cmd
}

/// The finished run of a host command: its status and everything it printed.
struct Run {
    command: String,
    status: ExitStatus,
    stdout: String,
    stderr: String,
}

impl Run {
    fn code(&self) -> Option<i32> {
        self.status.code()
    }

    fn stdout_lines(&self) -> impl Iterator<Item = &str> {
        self.stdout.lines()
    }

    fn stderr_lines(&self) -> impl Iterator<Item = &str> {
        self.stderr.lines()
    }
}

impl fmt::Display for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "command: {}", self.command)?;
        match (self.status.code(), self.status.signal()) {
            (Some(code), _) => writeln!(f, "exit status: {code}")?,
            (None, Some(sig)) => writeln!(f, "killed by signal {sig}")?,
            _ => writeln!(f, "status: {}", self.status)?,
        }
        writeln!(f, "--- stdout ---\n{}", self.stdout)?;
        write!(f, "--- stderr ---\n{}", self.stderr)
    }
}

/// A running host command whose output is collected by reader threads.
struct Running {
    command: String,
    child: Child,
    stdin: Option<ChildStdin>,
    stdout: Receiver<String>,
    stderr: Receiver<String>,
    stdout_seen: String,
    deadline: Instant,
    reaped: bool,
}

/// Sends every line read from R (lossily decoded, newline kept) on a channel.
fn forward_lines(r: impl Read + Send + 'static) -> Receiver<String> {
    let (tx, rx) = mpsc::channel();
    thread::spawn(move || {
        let mut r = BufReader::new(r);
        let mut line = Vec::new();
        loop {
            line.clear();
            match r.read_until(b'\n', &mut line) {
                Ok(0) | Err(_) => break,
                Ok(_) => {
                    if tx
                        .send(String::from_utf8_lossy(&line).into_owned())
                        .is_err()
                    {
                        break;
                    }
                }
            }
        }
    });
    rx
}

impl Running {
    /// Starts CMD with piped stdout and stderr; stdin is a pipe if
    /// `piped_stdin`, else /dev/null.
    fn spawn(cmd: &mut Command, piped_stdin: bool) -> Running {
        let command = format!("{cmd:?}");
        cmd.stdin(if piped_stdin {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
        let mut child = cmd
            .spawn()
            .unwrap_or_else(|e| panic!("cannot start {command}: {e}"));
        let stdin = child.stdin.take();
        let stdout = forward_lines(child.stdout.take().expect("stdout is piped"));
        let stderr = forward_lines(child.stderr.take().expect("stderr is piped"));
        Running {
            command,
            child,
            stdin,
            stdout,
            stderr,
            stdout_seen: String::new(),
            deadline: Instant::now() + TIMEOUT,
            reaped: false,
        }
    }

    /// Returns true once a stdout line contains MARKER; false if the output
    /// ends or the deadline passes first.
    fn wait_for_stdout(&mut self, marker: &str) -> bool {
        loop {
            let left = self.deadline.saturating_duration_since(Instant::now());
            match self.stdout.recv_timeout(left) {
                Ok(line) => {
                    let found = line.contains(marker);
                    self.stdout_seen.push_str(&line);
                    if found {
                        return true;
                    }
                }
                Err(_) => return false,
            }
        }
    }

    /// Kills the whole process group of the child, then the child itself.
    fn kill(&mut self) {
        let pgid = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &pgid])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
    }

    /// Closes stdin, waits for the child (killing it at the deadline) and
    /// returns its status and output. Panics with the output on a timeout.
    fn finish(&mut self) -> Run {
        self.stdin = None;
        let mut timed_out = false;
        let status = loop {
            match self.child.try_wait() {
                Ok(Some(status)) => break status,
                Ok(None) if Instant::now() < self.deadline => {
                    thread::sleep(Duration::from_millis(20));
                }
                Ok(None) => {
                    timed_out = true;
                    self.kill();
                    break self.child.wait().expect("wait for the killed child");
                }
                Err(e) => panic!("waiting for {} failed: {e}", self.command),
            }
        };
        self.reaped = true;
        // Host processes the child left behind may hold the pipes open:
        // collect for a bounded time only.
        let until = Instant::now() + Duration::from_secs(5);
        let stdout = std::mem::take(&mut self.stdout_seen) + &drain(&self.stdout, until);
        let stderr = drain(&self.stderr, until);
        let run = Run {
            command: self.command.clone(),
            status,
            stdout,
            stderr,
        };
        assert!(
            !timed_out,
            "killed after {TIMEOUT:?} without exiting\n{run}"
        );
        run
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        if !self.reaped {
            self.kill();
            let _ = self.child.wait();
        }
    }
}

/// Returns everything received on RX until it disconnects or UNTIL passes.
fn drain(rx: &Receiver<String>, until: Instant) -> String {
    let mut out = String::new();
    loop {
        match rx.recv_timeout(until.saturating_duration_since(Instant::now())) {
            Ok(line) => out.push_str(&line),
            Err(RecvTimeoutError::Disconnected) => return out,
            Err(RecvTimeoutError::Timeout) => {
                out.push_str("\n[output still open after the process exited]\n");
                return out;
            }
        }
    }
}

/// Runs `linux ARGS` with stdin from /dev/null and returns the finished run.
fn boot(args: &[&str]) -> Run {
    Running::spawn(&mut linux(args), false).finish()
}

/// Asserts that init exited with CODE: `linux` exits with CODE and says so in
/// exactly one line on stderr.
fn assert_init_exit(run: &Run, code: i32) {
    assert_eq!(run.code(), Some(code), "wrong exit status\n{run}");
    let line = format!("linux: init exited with status {code}");
    let n = run.stderr_lines().filter(|l| l.trim_end() == line).count();
    assert_eq!(n, 1, "expected one line `{line}` on stderr\n{run}");
}

/// Asserts that a guest check program (tests/guest/check.h) passed: exit
/// status 0, no FAIL line, and a summary `N passed, 0 failed` backed by at
/// least N `ok` lines.
fn assert_checks_passed(run: &Run) {
    assert_init_exit(run, 0);
    if let Some(fail) = run.stdout_lines().find(|l| l.starts_with("FAIL ")) {
        panic!("guest check failed: {fail}\n{run}");
    }
    let summary = run
        .stdout_lines()
        .filter_map(|l| l.trim_end().strip_suffix(" passed, 0 failed"))
        .filter_map(|n| n.parse::<usize>().ok())
        .last();
    let Some(passed) = summary else {
        panic!("no `N passed, 0 failed` summary line\n{run}");
    };
    let oks = run.stdout_lines().filter(|l| l.starts_with("ok ")).count();
    assert!(passed > 0, "no checks ran\n{run}");
    assert!(
        oks >= passed,
        "summary claims {passed} passed but only {oks} `ok` lines\n{run}"
    );
}

/// Asserts a clean refusal: a non-zero exit (not a signal) and no Rust panic.
fn assert_refused(run: &Run) {
    match run.code() {
        Some(0) => panic!("expected a non-zero exit status\n{run}"),
        Some(_) => {}
        None => panic!("expected an exit, not a signal\n{run}"),
    }
    assert!(
        !run.stderr.contains("panicked") && !run.stderr.contains("RUST_BACKTRACE"),
        "expected one clear message, not a panic\n{run}"
    );
}

#[test]
fn hello_exits_with_its_status() {
    let run = boot(&[&ubd0r(), "init=/bin/hello"]);
    assert_init_exit(&run, 7);
    assert!(
        run.stdout_lines()
            .any(|l| l.trim_end() == "hello from init"),
        "`hello from init` missing from stdout\n{run}"
    );
}

#[test]
fn hello_quiet() {
    let run = boot(&[&ubd0r(), "init=/bin/hello", "quiet"]);
    assert_init_exit(&run, 7);
    assert!(
        run.stdout_lines()
            .any(|l| l.trim_end() == "hello from init"),
        "`hello from init` missing from stdout\n{run}"
    );
}

#[test]
fn hello_mem_64m() {
    let run = boot(&[&ubd0r(), "mem=64M", "init=/bin/hello", "quiet"]);
    assert_init_exit(&run, 7);
    assert!(run.stdout.contains("hello from init"), "no greeting\n{run}");
}

#[test]
fn hello_mem_1g() {
    let run = boot(&[&ubd0r(), "mem=1G", "init=/bin/hello", "quiet"]);
    assert_init_exit(&run, 7);
    assert!(run.stdout.contains("hello from init"), "no greeting\n{run}");
}

/// argv, envp, auxv, the initial stack, pids and uname as Linux gives init.
#[test]
fn args_env_auxv() {
    let run = boot(&[
        &ubd0r(),
        "init=/bin/args",
        "quiet",
        "FOO=bar",
        "--",
        "one",
        "two words",
        "three",
    ]);
    assert_checks_passed(&run);
}

/// The same as a static PIE, with an unknown word before `--` that Linux also
/// passes to init.
#[test]
fn args_static_pie_words_before_dashdash() {
    let run = boot(&[
        &ubd0r(),
        "init=/bin/args-pie",
        "FOO=bar",
        "one",
        "quiet",
        "--",
        "two words",
        "three",
    ]);
    assert_checks_passed(&run);
}

#[test]
fn mem() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/mem", "quiet"]));
}

#[test]
fn fpu() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/fpu", "quiet"]));
}

#[test]
fn fs() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/fs", "quiet"]));
}

#[test]
fn forkexec() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/forkexec", "quiet"]));
}

/// Pipes: transfer, EOF, EPIPE and SIGPIPE, O_NONBLOCK, PIPE_BUF atomicity,
/// pipe sizes, FIONREAD, interrupted reads.
#[test]
fn pipe() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/pipe", "quiet"]));
}

/// poll, ppoll, select and pselect6 on pipes: readiness, hang-up, timeouts,
/// signals.
#[test]
fn poll() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/poll", "quiet"]));
}

/// epoll (level- and edge-triggered, one-shot, nesting) and eventfd.
#[test]
fn epoll() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/epoll", "quiet"]));
}

#[test]
fn bad_mem_value_is_a_usage_error() {
    let run = boot(&[&ubd0r(), "mem=lots", "init=/bin/hello"]);
    assert_eq!(run.code(), Some(2), "expected usage error status 2\n{run}");
    assert_refused(&run);
    assert!(
        run.stderr.contains("mem"),
        "message should name `mem`\n{run}"
    );
}

#[test]
fn missing_image_is_named() {
    let missing = Path::new(env!("CARGO_TARGET_TMPDIR")).join("no-such-image.img");
    let run = boot(&[&format!("ubd0={}", missing.display()), "init=/bin/hello"]);
    assert_refused(&run);
    assert!(
        run.stderr.contains(&*missing.to_string_lossy()),
        "message should name {}\n{run}",
        missing.display()
    );
}

/// ubd locks its image file like UML: a second instance on the same image
/// must refuse to start while the first runs.
#[test]
fn locked_image_is_refused() {
    let copy = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("lock-test-{}.img", std::process::id()));
    std::fs::copy(image(), &copy).expect("copy the test image");
    let _remove = RemoveOnDrop(copy.clone());
    let ubd0 = format!("ubd0={}", copy.display());

    let mut first = Running::spawn(&mut linux(&[&ubd0, "init=/bin/waitstdin", "quiet"]), true);
    if !first.wait_for_stdout("waitstdin: ready") {
        let run = first.finish();
        panic!("first instance did not start\n{run}");
    }

    let second = boot(&[&ubd0, "init=/bin/hello", "quiet"]);
    assert_refused(&second);
    let stderr = second.stderr.to_lowercase();
    assert!(
        stderr.contains("lock") || stderr.contains("in use"),
        "message should say the image is locked or in use\n{second}"
    );
    assert!(
        !second.stdout.contains("hello from init"),
        "second instance ran init\n{second}"
    );

    // Closing stdin lets waitstdin reach end of file and exit 0.
    let run = first.finish();
    assert_init_exit(&run, 0);
}

/// Removes a scratch file when dropped, also when a test fails.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[test]
fn help_exits_0() {
    let run = Running::spawn(&mut linux(&["--help"]), false).finish();
    assert_eq!(run.code(), Some(0), "--help should exit 0\n{run}");
    let text = format!("{}{}", run.stdout, run.stderr).to_lowercase();
    assert!(text.contains("usage"), "--help should print usage\n{run}");
    assert!(text.contains("ubd0"), "usage should mention ubd0=\n{run}");
}

#[test]
fn version_exits_0() {
    let run = Running::spawn(&mut linux(&["--version"]), false).finish();
    assert_eq!(run.code(), Some(0), "--version should exit 0\n{run}");
    assert!(
        !run.stdout.trim().is_empty() || !run.stderr.trim().is_empty(),
        "--version printed nothing\n{run}"
    );
}

/// `gdb --args ./linux ...` works unmodified. gdb 13's -batch exits 0 whatever
/// the inferior did, so the exit code is passed on with `quit $_exitcode`.
#[test]
fn hello_under_gdb() {
    if Command::new("gdb").arg("--version").output().is_err() {
        eprintln!("notice: gdb not found, skipping hello_under_gdb");
        return;
    }
    let image_arg = ubd0r();
    let mut cmd = Command::new("gdb");
    cmd.args([
        "-q",
        "-nx",
        "-batch",
        "-ex",
        "run",
        "-ex",
        "quit $_exitcode",
        "--args",
    ])
    .args([LINUX, &image_arg, "init=/bin/hello", "quiet"])
    .process_group(0);
    let run = Running::spawn(&mut cmd, false).finish();
    assert_eq!(
        run.code(),
        Some(7),
        "gdb should pass on exit status 7\n{run}"
    );
    assert!(run.stdout.contains("hello from init"), "no greeting\n{run}");
    assert!(
        run.stdout.contains("exited with code 07"),
        "gdb should report the exit of linux\n{run}"
    );
}

/// A fault with no handler kills the process with SIGSEGV: init's death ends
/// linux with 128 + 11, and a parent sees the signal in the wait status.
#[test]
fn segfault_kills_with_sigsegv() {
    let run = boot(&[&ubd0r(), "init=/bin/segv", "quiet"]);
    assert_eq!(
        run.code(),
        Some(139),
        "init killed by SIGSEGV should exit 139\n{run}"
    );
    assert!(
        run.stderr.contains("init killed by signal 11"),
        "stderr should say init was killed by signal 11\n{run}"
    );
    let run = boot(&[&ubd0r(), "init=/bin/segv", "quiet", "--", "child"]);
    assert_init_exit(&run, 0);
    assert!(run.stdout.contains("child killed by SIGSEGV"), "{run}");
}

/// A requested init that cannot run is a kernel panic, as on Linux: its reason,
/// a backtrace of the kernel, and the panic exit status.
#[test]
fn missing_init_panics() {
    let run = boot(&[&ubd0r(), "init=/bin/no-such-init", "quiet"]);
    assert_eq!(run.code(), Some(125), "a kernel panic exits 125\n{run}");
    assert!(
        run.stderr.contains(
            "Kernel panic - not syncing: Requested init /bin/no-such-init failed (error -2)"
        ),
        "panic reason missing\n{run}"
    );
    assert!(
        run.stderr.contains("Kernel backtrace:"),
        "backtrace missing\n{run}"
    );
}

/// An image that is not ext4 is refused with one line, not a crash.
#[test]
fn corrupt_image_is_refused() {
    let bad = Path::new(env!("CARGO_TARGET_TMPDIR")).join("not-ext4.img");
    std::fs::write(&bad, vec![0x5a; 4 << 20]).expect("write the bad image");
    let run = boot(&[&format!("ubd0r={}", bad.display()), "init=/bin/hello"]);
    assert_refused(&run);
    assert!(run.stderr.contains("cannot mount root"), "{run}");
    let _ = std::fs::remove_file(&bad);
}

/// Hostile arguments to every system call get errnos, never a kernel crash.
#[test]
fn syscalls_with_hostile_arguments() {
    let run = boot(&[&ubd0r(), "init=/bin/sysfuzz", "quiet"]);
    assert_init_exit(&run, 0);
    assert!(run.stdout.contains("calls returned"), "{run}");
}

#[test]
fn tmpfs() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/tmpfs", "quiet"]));
}

/// Permissions (DAC as non-root children see it, set-user-ID exec, access),
/// file locks between processes and extended attributes, on /tmp.
#[test]
fn perms() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/perms", "quiet"]));
}

#[test]
fn signals() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/signals", "quiet"]));
}

#[test]
fn threads() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/threads", "quiet"]));
}

#[test]
fn threads_dynamic() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/threads-dyn", "quiet"]));
}

#[test]
fn procs() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/procs", "quiet"]));
}

#[test]
fn timers() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/timers", "quiet"]));
}

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

/// procfs, sysfs, devtmpfs and mount(2); mem= is what MemTotal must show.
#[test]
fn procfs() {
    assert_checks_passed(&boot(&[&ubd0r(), "mem=128M", "init=/bin/procfs", "quiet"]));
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

#[test]
fn ptys() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/pty", "quiet"]));
}

#[test]
fn reboot_power_off_exits_0() {
    let run = boot(&[&ubd0r(), "init=/bin/reboot", "quiet", "--", "poweroff"]);
    assert!(run.stdout.contains("booted, now poweroff"), "{run}");
    assert!(!run.stdout.contains("FAIL"), "{run}");
    assert_eq!(run.code(), Some(0), "{run}");
    assert!(
        !run.stderr.contains("init exited"),
        "a power off is not init's exit\n{run}"
    );
}

#[test]
fn reboot_restart_boots_again() {
    let ubd0 = ubd0r();
    let mut run = Running::spawn(
        &mut linux(&[&ubd0, "init=/bin/reboot", "quiet", "--", "restart"]),
        false,
    );
    assert!(run.wait_for_stdout("booted, now restart"), "first boot");
    // The restarted kernel runs init again, which prints the line a second time.
    let second = run.wait_for_stdout("booted, now restart");
    run.kill();
    assert!(second, "no second boot");
}

#[test]
fn sigterm_to_linux_shuts_down_cleanly() {
    let ubd0 = ubd0r();
    let mut run = Running::spawn(
        &mut linux(&[
            &ubd0,
            "init=/bin/sh",
            "quiet",
            "--",
            "-c",
            "echo up; sleep 30",
        ]),
        false,
    );
    assert!(run.wait_for_stdout("up"), "init started");
    let pid = run.child.id().to_string();
    let sent = Command::new("kill").args(["-s", "TERM", &pid]).status();
    assert!(sent.is_ok_and(|s| s.success()), "kill -TERM {pid}");
    let done = run.finish();
    assert_eq!(done.code(), Some(143), "{done}");
    assert!(done.stderr.contains("killed by host signal 15"), "{done}");
}

/// Returns the path of an e2fsprogs tool (in sbin, which PATH may lack).
fn e2fsprogs(tool: &str) -> PathBuf {
    let sbin = Path::new("/usr/sbin").join(tool);
    if sbin.exists() {
        sbin
    } else {
        PathBuf::from(tool)
    }
}

/// Asserts that `e2fsck -fn` finds nothing wrong with IMG.
fn assert_fsck_clean(img: &Path) {
    let out = Command::new(e2fsprogs("e2fsck"))
        .arg("-fn")
        .arg(img)
        .output()
        .expect("run e2fsck");
    assert_eq!(
        out.status.code(),
        Some(0),
        "e2fsck -fn {} found problems:\n{}{}",
        img.display(),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Asserts that IMG needs no journal recovery: a clean shutdown leaves the
/// journal empty and `needs_recovery` clear.
fn assert_clean_journal(img: &Path) {
    let out = Command::new(e2fsprogs("dumpe2fs"))
        .arg("-h")
        .arg(img)
        .output()
        .expect("run dumpe2fs");
    let info = String::from_utf8_lossy(&out.stdout);
    assert!(
        !info.contains("needs_recovery") && info.contains("Journal start:            0"),
        "the journal is not empty after shutdown:\n{info}"
    );
}

/// Returns the output (stdout, stderr) of one debugfs request on IMG.
fn debugfs(img: &Path, request: &str) -> (Vec<u8>, String) {
    let out = Command::new(e2fsprogs("debugfs"))
        .args(["-R", request])
        .arg(img)
        .output()
        .expect("run debugfs");
    (
        out.stdout,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Boots a copy of the image read-write: the guest's ext4rw writes a workload;
/// e2fsck must find the image clean and debugfs must read what the guest
/// wrote. A second boot checks everything and removes it, leaving the image
/// clean again.
#[test]
fn ext4_read_write() {
    let copy =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("ext4rw-{}.img", std::process::id()));
    std::fs::copy(image(), &copy).expect("copy the test image");
    let _remove = RemoveOnDrop(copy.clone());
    let ubd0 = format!("ubd0={}", copy.display());

    assert_checks_passed(&boot(&[&ubd0, "rw", "init=/bin/ext4rw", "quiet"]));
    assert_fsck_clean(&copy);
    assert_clean_journal(&copy);
    let (big, _) = debugfs(&copy, "cat /ext4rw/big.bin");
    let want: Vec<u8> = (0..4 * 1024 * 1024 + 123i64)
        .map(|i| ((i * 7) ^ (i >> 13)) as u8)
        .collect();
    assert!(big == want, "debugfs reads a different /ext4rw/big.bin");
    let (small, _) = debugfs(&copy, "cat /ext4rw/small.txt");
    assert_eq!(small, b"hello ext4\n");
    let (stat, _) = debugfs(&copy, "stat /ext4rw/small.txt");
    let stat = String::from_utf8_lossy(&stat);
    assert!(
        stat.contains("Mode:  0640") && stat.contains("Links: 2") && stat.contains("User:  1000"),
        "debugfs stat /ext4rw/small.txt:\n{stat}"
    );
    let (xattrs, _) = debugfs(&copy, "ea_list /ext4rw/small.txt");
    let xattrs = String::from_utf8_lossy(&xattrs);
    assert!(
        xattrs.contains("user.small (5) = \"hello\"") && xattrs.contains("user.big (3000)"),
        "debugfs ea_list /ext4rw/small.txt:\n{xattrs}"
    );
    let (link, _) = debugfs(&copy, "stat /ext4rw/slow_link");
    assert!(
        String::from_utf8_lossy(&link).contains("EXTENTS:"),
        "slow symlink has a block"
    );

    let run = boot(&[&ubd0, "rw", "init=/bin/ext4rw", "quiet", "--", "check"]);
    assert_checks_passed(&run);
    assert_fsck_clean(&copy);
    let (_, err) = debugfs(&copy, "stat /ext4rw");
    assert!(err.contains("not found"), "/ext4rw still there: {err}");
}

/// Kills `linux` in the middle of the ext4rw workload: the next read-write
/// boot replays the journal and frees the orphans, and the image is clean.
#[test]
fn ext4_survives_kill() {
    let copy =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("ext4kill-{}.img", std::process::id()));
    std::fs::copy(image(), &copy).expect("copy the test image");
    let _remove = RemoveOnDrop(copy.clone());
    let ubd0 = format!("ubd0={}", copy.display());

    let mut run = Running::spawn(
        &mut linux(&[&ubd0, "rw", "init=/bin/ext4rw", "quiet"]),
        false,
    );
    assert!(
        run.wait_for_stdout("ok every third removed"),
        "the workload did not get going\n{}",
        run.finish()
    );
    run.kill();
    let _ = run.finish();

    let run = boot(&[&ubd0, "rw", "init=/bin/hello", "quiet"]);
    assert_init_exit(&run, 7);
    assert_fsck_clean(&copy);
    assert_clean_journal(&copy);
}

#[test]
fn copy_calls() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/copy", "quiet"]));
}
