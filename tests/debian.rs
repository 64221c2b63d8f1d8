//! Boot tests of the Debian image that `images/build-debian-image.sh` builds
//! (built on first use, which needs root and the machine's Debian mirror):
//! a person's session at a terminal, driven on a pseudo-terminal by
//! `tests/debian-session.py`, and e2fsck's verdict on the image afterwards.

mod common;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Returns the Debian image, building it on first use.
fn debian_image() -> &'static Path {
    static IMAGE: OnceLock<PathBuf> = OnceLock::new();
    IMAGE.get_or_init(|| {
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        let out = root.join("images/out/debian.img");
        let script = root.join("images/build-debian-image.sh");
        let status = Command::new("sh")
            .arg(&script)
            .arg(&out)
            .status()
            .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
        assert!(status.success(), "{} failed: {status}", script.display());
        out
    })
}

/// A sparse copy of the Debian image for one test, removed afterwards.
fn copy_image(name: &str) -> RemoveOnDrop {
    let copy = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("debian-{name}-{}.img", std::process::id()));
    let status = Command::new("cp")
        .arg("--sparse=always")
        .arg(debian_image())
        .arg(&copy)
        .status()
        .expect("run cp");
    assert!(status.success(), "cannot copy the Debian image");
    RemoveOnDrop(copy)
}

/// Runs one session of `tests/debian-session.py` on IMG; asserts it passed.
fn session(img: &Path, mode: &str) {
    let driver = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/debian-session.py");
    let out = Command::new("timeout")
        .args(["300", "python3", driver, LINUX])
        .arg(img)
        .arg(mode)
        .output()
        .expect("python3 runs the session driver");
    assert!(
        out.status.success(),
        "session {mode}: {}\n--- transcript ---\n{}\n--- driver ---\n{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `init=/bin/bash`: the prompt, python3, `stty size`, Ctrl-C, job control in
/// a `setsid -cw bash` session, a file that a second boot reads and removes,
/// `exit` ending ./linux with status 0, and a clean image after each boot.
#[test]
fn bash_on_the_console() {
    let img = copy_image("bash");
    session(&img.0, "bash");
    assert_fsck_clean(&img.0);
    session(&img.0, "bash-again");
    assert_fsck_clean(&img.0);
}

/// No `init=`: Debian's sysvinit boots to `login:` on the console, root logs
/// in without a password, `poweroff` ends ./linux with status 0, and the
/// image is clean afterwards.
#[test]
fn sysvinit_login_and_poweroff() {
    let img = copy_image("sysv");
    session(&img.0, "sysv");
    assert_fsck_clean(&img.0);
}
