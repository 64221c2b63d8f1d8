//! The harness the boot tests share: build the test image with
//! `images/build-test-image.sh`, run `linux` with a deadline, and check what
//! the guest did through the exit status and output of `linux`.
//!
//! The contract under test: `linux ubd0=IMG init=/bin/PROG [KEY=VALUE ...]
//! [-- ARGS...]` runs PROG as pid 1, the guest's stdout is the process's
//! stdout, and when init exits `linux` prints `linux: init exited with status
//! N` on stderr and exits with N. Bad command lines and unusable images give
//! one clear message and a non-zero exit.
//!
//! Tests that only read the image share one copy through `ubd0r=` (read-only),
//! so they run in parallel; tests that write use their own copy. Every run is
//! killed after [`TIMEOUT`], so a hung kernel fails a test instead of hanging.
#![allow(
    dead_code,
    reason = "each test binary uses a different part of the harness"
)]

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
pub const TIMEOUT: Duration = Duration::from_secs(60);

/// The kernel binary under test.
pub const LINUX: &str = env!("CARGO_BIN_EXE_linux");

/// Returns the path of the shared test image, building it on first use.
pub fn image() -> &'static Path {
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
pub fn ubd0r() -> String {
    format!("ubd0r={}", image().display())
}

/// Returns a `linux` command with ARGS, in its own process group so that a
/// timeout can kill it together with any host processes it started.
pub fn linux(args: &[&str]) -> Command {
    let mut cmd = Command::new(LINUX);
    cmd.args(args).process_group(0);
    cmd
}

/// The finished run of a host command: its status and everything it printed.
pub struct Run {
    pub command: String,
    pub status: ExitStatus,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    pub fn code(&self) -> Option<i32> {
        self.status.code()
    }

    pub fn stdout_lines(&self) -> impl Iterator<Item = &str> {
        self.stdout.lines()
    }

    pub fn stderr_lines(&self) -> impl Iterator<Item = &str> {
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
pub struct Running {
    pub command: String,
    pub child: Child,
    pub stdin: Option<ChildStdin>,
    pub stdout: Receiver<String>,
    pub stderr: Receiver<String>,
    pub stdout_seen: String,
    pub deadline: Instant,
    pub reaped: bool,
}

/// Sends every line read from R (lossily decoded, newline kept) on a channel.
pub fn forward_lines(r: impl Read + Send + 'static) -> Receiver<String> {
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
    pub fn spawn(cmd: &mut Command, piped_stdin: bool) -> Running {
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
    pub fn wait_for_stdout(&mut self, marker: &str) -> bool {
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
    pub fn kill(&mut self) {
        let pgid = format!("-{}", self.child.id());
        let _ = Command::new("kill")
            .args(["-s", "KILL", "--", &pgid])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
    }

    /// Closes stdin, waits for the child (killing it at the deadline) and
    /// returns its status and output. Panics with the output on a timeout.
    pub fn finish(&mut self) -> Run {
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
        assert!(!timed_out, "killed at its deadline without exiting\n{run}");
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
pub fn drain(rx: &Receiver<String>, until: Instant) -> String {
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
pub fn boot(args: &[&str]) -> Run {
    Running::spawn(&mut linux(args), false).finish()
}

/// As `boot`, for a guest that fills its memory many times over: killed
/// after `factor` times `TIMEOUT` (the debug build, beside another test,
/// takes about a minute).
pub fn boot_long(args: &[&str], factor: u32) -> Run {
    let mut run = Running::spawn(&mut linux(args), false);
    run.deadline = Instant::now() + TIMEOUT * factor;
    run.finish()
}

/// Asserts that init exited with CODE: `linux` exits with CODE and says so in
/// exactly one line on stderr.
pub fn assert_init_exit(run: &Run, code: i32) {
    assert_eq!(run.code(), Some(code), "wrong exit status\n{run}");
    let line = format!("linux: init exited with status {code}");
    let n = run.stderr_lines().filter(|l| l.trim_end() == line).count();
    assert_eq!(n, 1, "expected one line `{line}` on stderr\n{run}");
}

/// Asserts that a guest check program (tests/guest/check.h) passed: exit
/// status 0, no FAIL line, and a summary `N passed, 0 failed` backed by at
/// least N `ok` lines.
pub fn assert_checks_passed(run: &Run) {
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
pub fn assert_refused(run: &Run) {
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

/// A private copy of the test image, for a test that writes to it; removed
/// when dropped.
pub struct ImageCopy {
    pub path: PathBuf,
    /// `ubd0=PATH`: the copy attached read-write.
    pub ubd0: String,
    _remove: RemoveOnDrop,
}

/// Copies the test image to a scratch file named after `name`.
pub fn image_copy(name: &str) -> ImageCopy {
    let path =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}.img", std::process::id()));
    std::fs::copy(image(), &path).expect("copy the test image");
    ImageCopy {
        ubd0: format!("ubd0={}", path.display()),
        _remove: RemoveOnDrop(path.clone()),
        path,
    }
}

/// Removes a scratch file when dropped, also when a test fails.
pub struct RemoveOnDrop(pub PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Returns the path of an e2fsprogs tool (in sbin, which PATH may lack).
pub fn e2fsprogs(tool: &str) -> PathBuf {
    let sbin = Path::new("/usr/sbin").join(tool);
    if sbin.exists() {
        sbin
    } else {
        PathBuf::from(tool)
    }
}

/// Asserts that `e2fsck -fn` finds nothing wrong with IMG.
pub fn assert_fsck_clean(img: &Path) {
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
pub fn assert_clean_journal(img: &Path) {
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
pub fn debugfs(img: &Path, request: &str) -> (Vec<u8>, String) {
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
