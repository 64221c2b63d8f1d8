//! Boot tests of copy-on-write disks in UML's format (issue 17), with UML's
//! own tools: a COW file made by `uml_mkcow` over a read-only base boots and
//! takes the guest's writes, the base stays as it was, and `uml_moo` merges
//! the COW file into an image `e2fsck -fn` finds clean with the guest's file
//! in it; the same for a COW file the kernel made itself. Bad COW files, a
//! changed or missing base and a COW file in use are refused with one line.
//!
//! Needs Debian's uml-utilities (`apt-get install uml-utilities`).

mod common;

use common::*;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

/// Returns the path of a uml-utilities tool; fails the test with what to
/// install when it is missing.
fn uml_tool(name: &str) -> PathBuf {
    let path = Path::new("/usr/bin").join(name);
    let found = path.exists() || Command::new(name).output().map(|_| true).unwrap_or(false);
    assert!(
        found,
        "{name} not found: these tests need Debian's uml-utilities \
         (apt-get install uml-utilities)"
    );
    if path.exists() {
        path
    } else {
        PathBuf::from(name)
    }
}

/// Runs a host command and asserts that it succeeds.
fn run_ok(cmd: &mut Command) {
    let out = cmd
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}{}",
        out.status,
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Returns the SHA-256 of FILE, by sha256sum.
fn sha256(file: &Path) -> String {
    let out = Command::new("sha256sum")
        .arg(file)
        .output()
        .expect("run sha256sum");
    assert!(out.status.success(), "sha256sum {}", file.display());
    String::from_utf8_lossy(&out.stdout)
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_string()
}

/// A scratch directory with a read-only (0444) copy of the test image as
/// `base.img`; removed when dropped.
struct Scratch {
    dir: PathBuf,
    base: PathBuf,
}

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("cow-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("scratch directory");
        let base = dir.join("base.img");
        std::fs::copy(image(), &base).expect("copy the test image");
        std::fs::set_permissions(&base, std::fs::Permissions::from_mode(0o444))
            .expect("chmod 0444 the base");
        Scratch { dir, base }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.join(name)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The file the guest writes and what it holds.
const GUEST_FILE: &str = "/cow-test.txt";
const GUEST_TEXT: &str = "written through a COW file";

/// Boots DISK (a `ubd0=` word) read-write and writes GUEST_FILE in the
/// guest; then boots it again and reads the file back.
fn write_in_guest(disk: &str) {
    let script = format!("echo '{GUEST_TEXT}' > {GUEST_FILE} && sync");
    let run = boot(&[disk, "rw", "init=/bin/sh", "quiet", "--", "-c", &script]);
    assert_init_exit(&run, 0);
    let run = boot(&[disk, "init=/bin/cat", "quiet", "--", GUEST_FILE]);
    assert_init_exit(&run, 0);
    assert!(
        run.stdout.contains(GUEST_TEXT),
        "the second boot does not see the file\n{run}"
    );
}

/// Merges COW into a new image with uml_moo; asserts that e2fsck finds it
/// clean and that it holds the guest's file.
fn assert_merges(s: &Scratch, cow: &Path) {
    let merged = s.path("merged.img");
    let _ = std::fs::remove_file(&merged);
    run_ok(Command::new(uml_tool("uml_moo")).arg(cow).arg(&merged));
    assert_fsck_clean(&merged);
    let (text, err) = debugfs(&merged, &format!("cat {GUEST_FILE}"));
    assert_eq!(
        String::from_utf8_lossy(&text).trim_end(),
        GUEST_TEXT,
        "debugfs cat {GUEST_FILE} in the merged image: {err}"
    );
}

/// Asserts that the base is as it was: same contents and mtime (a changed
/// mtime would invalidate every COW file over it).
fn assert_base_unchanged(s: &Scratch, sha: &str, mtime: i64) {
    assert_eq!(sha256(&s.base), sha, "the base image was written");
    let now = std::fs::metadata(&s.base).expect("stat base").mtime();
    assert_eq!(now, mtime, "the base image's mtime changed");
}

fn base_state(s: &Scratch) -> (String, i64) {
    let mtime = std::fs::metadata(&s.base).expect("stat base").mtime();
    (sha256(&s.base), mtime)
}

/// A COW file made by uml_mkcow boots with `ubd0=COW` (the backing file from
/// its header) and with `ubd0=COW,BASE`; the guest's writes land in it and
/// uml_moo merges them.
#[test]
fn uml_mkcow_file_boots_and_merges() {
    let s = Scratch::new("mkcow");
    let cow = s.path("disk.cow");
    let (sha, mtime) = base_state(&s);
    run_ok(Command::new(uml_tool("uml_mkcow")).arg(&cow).arg(&s.base));
    write_in_guest(&format!("ubd0={}", cow.display()));
    let run = boot(&[
        &format!("ubd0={},{}", cow.display(), s.base.display()),
        "init=/bin/cat",
        "quiet",
        "--",
        GUEST_FILE,
    ]);
    assert_init_exit(&run, 0);
    assert!(run.stdout.contains(GUEST_TEXT), "{run}");
    assert_base_unchanged(&s, &sha, mtime);
    assert_merges(&s, &cow);
}

/// `ubd0=COW,BASE` with no COW file makes one as UML does (the same header
/// and size as uml_mkcow's), and uml_moo merges what the guest wrote (a file,
/// then the ext4rw workload) into a clean image.
#[test]
fn kernel_made_cow_file_merges() {
    let s = Scratch::new("kernel");
    let cow = s.path("made.cow");
    let (sha, mtime) = base_state(&s);
    let disk = format!("ubd0={},{}", cow.display(), s.base.display());
    write_in_guest(&disk);
    // The ext4 workload of tests/ext4.rs, all of it through the COW file.
    assert_checks_passed(&boot(&[&disk, "rw", "init=/bin/ext4rw", "quiet"]));
    assert_base_unchanged(&s, &sha, mtime);

    let reference = s.path("reference.cow");
    run_ok(
        Command::new(uml_tool("uml_mkcow"))
            .arg(&reference)
            .arg(&s.base),
    );
    let (made, want) = (
        std::fs::read(&cow).expect("read the kernel's COW file"),
        std::fs::read(&reference).expect("read uml_mkcow's"),
    );
    assert_eq!(made.len(), want.len(), "COW file sizes differ");
    assert!(
        made[..4128] == want[..4128],
        "the kernel's COW header differs from uml_mkcow's"
    );
    assert_merges(&s, &cow);
}

/// Bad COW files and bases: one line naming the problem, no panic, and the
/// COW file left as it was.
#[test]
fn bad_cow_files_are_refused() {
    let s = Scratch::new("bad");
    let cow = s.path("disk.cow");
    run_ok(Command::new(uml_tool("uml_mkcow")).arg(&cow).arg(&s.base));
    let good = std::fs::read(&cow).expect("read COW");
    let refused = |words: &[&str], file: &Path, reason: &str| {
        let before = sha256(file);
        let mut args = words.to_vec();
        args.extend(["init=/bin/hello", "quiet"]);
        let run = boot(&args);
        assert_refused(&run);
        let lines: Vec<&str> = run.stderr_lines().filter(|l| l.contains("ubd0")).collect();
        assert!(
            lines.len() == 1 && lines[0].contains(reason),
            "expected one line saying {reason:?}\n{run}"
        );
        assert_eq!(sha256(file), before, "a refused COW file was written");
    };
    let ubd0 = format!("ubd0={}", cow.display());

    let mut bad = good.clone();
    bad[4..8].copy_from_slice(&2u32.to_be_bytes());
    std::fs::write(&cow, &bad).expect("write");
    refused(&[&ubd0], &cow, "COW version 2 is not supported");

    let mut bad = good.clone();
    bad[0..4].copy_from_slice(b"XXXX");
    std::fs::write(&cow, &bad).expect("write");
    let with_base = format!("ubd0={},{}", cow.display(), s.base.display());
    refused(&[&with_base], &cow, "not a COW file");

    std::fs::write(&cow, &good[..6000]).expect("write");
    refused(&[&ubd0], &cow, "truncated");

    std::fs::write(&cow, &good).expect("write");
    // The base's mtime moves: the COW file no longer matches it.
    let mtime = std::fs::metadata(&s.base).expect("stat").mtime();
    run_ok(
        Command::new("touch")
            .arg("-d")
            .arg(format!("@{}", mtime + 100))
            .arg(&s.base),
    );
    refused(&[&ubd0], &cow, "touch -d @");
    // UML's way out: the old mtime back, and it boots again.
    run_ok(
        Command::new("touch")
            .arg("-d")
            .arg(format!("@{mtime}"))
            .arg(&s.base),
    );
    assert_init_exit(&boot(&[&ubd0, "init=/bin/hello", "quiet"]), 7);

    // A moved base: named on the command line, it replaces the header's.
    let moved = s.path("moved.img");
    std::fs::rename(&s.base, &moved).expect("move the base");
    refused(&[&ubd0], &cow, "NEWPATH");
    let switch = format!("ubd0={},{}", cow.display(), moved.display());
    assert_init_exit(&boot(&[&switch, "init=/bin/hello", "quiet"]), 7);
    assert_init_exit(&boot(&[&ubd0, "init=/bin/hello", "quiet"]), 7);

    // A COW file in use by another instance (the header now names moved.img).
    let mut first = Running::spawn(
        &mut linux(&[
            &ubd0,
            "init=/bin/sh",
            "quiet",
            "--",
            "-c",
            "echo ready; sleep 60",
        ]),
        false,
    );
    assert!(
        first.wait_for_stdout("ready"),
        "the first instance did not start\n{}",
        first.finish()
    );
    let run = boot(&[&switch, "init=/bin/hello", "quiet"]);
    first.kill();
    let _ = first.finish();
    assert_refused(&run);
    assert!(run.stderr.contains("is locked"), "{run}");
}
