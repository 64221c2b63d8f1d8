//! The guest test of file handles (tests/guest/fhandle.c), split from
//! tests/guest.rs, which is near its size limit.

use crate::common::*;

/// name_to_handle_at and open_by_handle_at on the ext4 root (a copy of the
/// image booted `rw`), on tmpfs (/tmp) and on cgroup2: the checks pass, and e2fsck
/// finds the image clean afterwards (the file unlinked while a handle
/// reopened it is freed).
#[test]
fn fhandle() {
    let img = image_copy("fhandle");
    let (copy, ubd0) = (img.path.clone(), img.ubd0.clone());
    let run = boot(&[&ubd0, "rw", "init=/bin/fhandle", "quiet", "--", "/", "/tmp"]);
    assert_checks_passed(&run);
    let out = run.stdout_lines().collect::<Vec<_>>();
    for fs in ["# /: ext4", "# /tmp: tmpfs"] {
        assert!(out.contains(&fs), "{fs:?} missing:\n{run}");
    }
    let passed = out.iter().filter(|l| l.starts_with("ok ")).count();
    assert!(
        !out.iter().any(|l| l.starts_with("# no cgroup2")),
        "cgroup2 skipped:\n{run}"
    );
    assert!(passed >= 130, "only {passed} checks passed:\n{run}");
    eprintln!("fhandle: {passed} checks passed");
    assert_fsck_clean(&copy);
}
