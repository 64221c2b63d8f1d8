//! Boot tests that write: ext4 mounted read-write on a copy of the image,
//! checked with e2fsck and debugfs after each boot, also after a kill (in
//! the middle of a workload, and with an O_TMPFILE file open).

mod common;

use common::*;
use std::path::Path;

/// Boots a copy of the image read-write: the guest's ext4rw writes a workload;
/// e2fsck must find the image clean and debugfs must read what the guest
/// wrote. A second boot checks everything and removes it, leaving the image
/// clean again.
#[test]
fn ext4_read_write() {
    let img = image_copy("ext4rw");
    let (copy, ubd0) = (img.path.clone(), img.ubd0.clone());

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
    let img = image_copy("ext4kill");
    let (copy, ubd0) = (img.path.clone(), img.ubd0.clone());

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

/// Kills `linux` while an unnamed O_TMPFILE file with 1 MiB of data is open
/// on the ext4 root: it was on the orphan list from its creation, so the
/// next read-write boot frees it; the free counts are the image's again and
/// e2fsck finds it clean.
#[test]
fn ext4_tmpfile_survives_kill() {
    let img = image_copy("ext4tmpfile");
    let (copy, ubd0) = (img.path.clone(), img.ubd0.clone());
    let before = free_counts(&copy);

    let args = [
        &ubd0,
        "rw",
        "init=/bin/tmpfile",
        "quiet",
        "--",
        "--hold",
        "/",
    ];
    let mut run = Running::spawn(&mut linux(&args), false);
    assert!(
        run.wait_for_stdout("tmpfile: holding"),
        "the O_TMPFILE file was not made\n{}",
        run.finish()
    );
    run.kill();
    let _ = run.finish();

    let run = boot(&[&ubd0, "rw", "init=/bin/hello", "quiet"]);
    assert_init_exit(&run, 7);
    assert_fsck_clean(&copy);
    assert_clean_journal(&copy);
    assert_eq!(
        free_counts(&copy),
        before,
        "the O_TMPFILE file was not freed"
    );
}

/// Returns the "Free blocks" and "Free inodes" lines of `dumpe2fs -h IMG`.
fn free_counts(img: &Path) -> Vec<String> {
    let out = std::process::Command::new(e2fsprogs("dumpe2fs"))
        .arg("-h")
        .arg(img)
        .output()
        .expect("run dumpe2fs");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter(|l| l.starts_with("Free blocks:") || l.starts_with("Free inodes:"))
        .map(str::to_string)
        .collect()
}

/// Shared file mappings on the read-write ext4 root (and tmpfs): the guest's
/// checks pass, a file written through a mapping never synced and one mapped
/// by a process still alive at shutdown reach the disk, and e2fsck finds the
/// image clean. Then FIFOs on the ext4 root.
#[test]
fn ext4_mmap_shared() {
    let img = image_copy("ext4mmap");
    let (copy, ubd0) = (img.path.clone(), img.ubd0.clone());

    let run = boot(&[
        &ubd0,
        "rw",
        "init=/bin/mmap_shared",
        "quiet",
        "--",
        "--persist",
        "/",
        "/",
        "/tmp",
    ]);
    assert_checks_passed(&run);
    assert_fsck_clean(&copy);
    assert_clean_journal(&copy);
    let want: Vec<u8> = (0..64 * 1024 + 123i64)
        .map(|i| (i * 7 + (i >> 12)) as u8)
        .collect();
    for name in ["mmap-persist-a.bin", "mmap-persist-b.bin"] {
        let (got, err) = debugfs(&copy, &format!("cat /{name}"));
        assert!(
            got == want,
            "debugfs reads a different /{name} ({} bytes): {err}",
            got.len()
        );
    }
    let (_, err) = debugfs(&copy, "stat /mmap-shared.dat");
    assert!(
        err.contains("not found"),
        "/mmap-shared.dat still there: {err}"
    );

    // FIFOs on ext4 too, on the same image.
    assert_checks_passed(&boot(&[&ubd0, "rw", "init=/bin/fifo", "quiet", "--", "/"]));
    assert_fsck_clean(&copy);
}

/// fallocate(2) and SEEK_DATA/SEEK_HOLE on the read-write ext4 root (and
/// tmpfs): preallocation, punched holes under mappings, zeroed, collapsed
/// and inserted ranges, a full disk; e2fsck must find the image clean.
#[test]
fn ext4_falloc() {
    let img = image_copy("ext4falloc");
    let (copy, ubd0) = (img.path.clone(), img.ubd0.clone());
    let args = [&ubd0, "rw", "init=/bin/falloc", "quiet", "--", "/", "/tmp"];
    assert_checks_passed(&boot(&args));
    assert_fsck_clean(&copy);
    assert_clean_journal(&copy);
}
