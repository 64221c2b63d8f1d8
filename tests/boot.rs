//! Boot tests of the command line and the life of the kernel: init's exit
//! status, `mem=`, bad and locked images, `--help`, gdb, panics, hostile
//! system calls, reboot(2) and host signals.

mod common;

use common::*;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::Command;

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
fn bad_line_spec_is_a_usage_error() {
    let run = boot(&[&ubd0r(), "ssl0=xterm", "init=/bin/hello"]);
    assert_eq!(run.code(), Some(2), "expected usage error status 2\n{run}");
    assert_refused(&run);
    assert!(run.stderr.contains("ssl0=xterm"), "names the word\n{run}");
    let run = boot(&[&ubd0r(), "con1=fd:97", "init=/bin/hello"]);
    assert_refused(&run);
    assert!(run.stderr.contains("host fd 97 is not open"), "{run}");
}

/// Network cards the command line names wrongly: one line each, naming
/// what is wrong, and the kernel does not start.
#[test]
fn bad_card_specs_are_usage_errors() {
    for (word, says) in [
        ("eth0=slirp", "unknown transport 'slirp'"),
        ("vec0:transport=raw,ifname=x", "unknown transport 'raw'"),
        ("eth0=tuntap,tap0,zz:11", "'zz:11' is not a MAC address"),
        ("eth0=user,hostfwd=sctp::1-:2", "tcp or udp"),
    ] {
        let run = boot(&[&ubd0r(), word, "init=/bin/hello"]);
        assert_eq!(run.code(), Some(2), "expected usage error status 2\n{run}");
        assert_refused(&run);
        assert!(run.stderr.contains(says), "{word}: {says}\n{run}");
    }
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
    let img = image_copy("lock-test");
    let ubd0 = img.ubd0.clone();

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

/// A requested init that cannot run is a kernel panic, as on Linux: its reason
/// and the panic exit status, but no backtrace of the kernel's own stack, which
/// says nothing about this user error (issue 19, item 11). A non-executable
/// init is the same.
#[test]
fn missing_init_panics() {
    let run = boot(&[&ubd0r(), "init=/etc/hostname", "quiet"]);
    assert_eq!(run.code(), Some(125), "a kernel panic exits 125\n{run}");
    assert!(
        run.stderr
            .contains("Requested init /etc/hostname failed (error -13)"),
        "panic reason missing\n{run}"
    );
    assert!(!run.stderr.contains("backtrace"), "a backtrace\n{run}");
    let run = boot(&[&ubd0r(), "init=/bin/no-such-init", "quiet"]);
    assert_eq!(run.code(), Some(125), "a kernel panic exits 125\n{run}");
    assert!(
        run.stderr.contains(
            "Kernel panic - not syncing: Requested init /bin/no-such-init failed (error -2)"
        ),
        "panic reason missing\n{run}"
    );
    assert!(!run.stderr.contains("backtrace"), "a backtrace\n{run}");
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

/// Writes the partition table `script` (sfdisk's input) to a new sparse disk
/// file of `mib` MiB.
fn partitioned_disk(path: &Path, mib: u64, script: &str) {
    let f = std::fs::File::create(path).expect("create disk");
    f.set_len(mib << 20).expect("size disk");
    drop(f);
    let mut sfdisk = Command::new("sfdisk")
        .args(["--quiet", "--no-reread", "--no-tell-kernel"])
        .arg(path)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("sfdisk (util-linux's fdisk package) is needed");
    std::io::Write::write_all(&mut sfdisk.stdin.take().expect("stdin"), script.as_bytes())
        .expect("write the table");
    assert!(sfdisk.wait().expect("sfdisk").success(), "sfdisk failed");
}

/// Partitions: root=/dev/ubda1 on a GPT disk whose partition 1 is the test
/// image and partition 2 a small ext4 the guest mounts; a DOS disk with
/// logical partitions; a disk without a table (tests/guest/sh/partitions.sh).
#[test]
fn partitions_of_gpt_and_dos_disks() {
    let tmp = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let id = std::process::id();
    let (a, b, c) = (
        RemoveOnDrop(tmp.join(format!("part-a-{id}.img"))),
        RemoveOnDrop(tmp.join(format!("part-b-{id}.img"))),
        RemoveOnDrop(tmp.join(format!("part-c-{id}.img"))),
    );
    partitioned_disk(
        &a.0,
        128,
        "label: gpt\nstart=2048, size=196608, name=root\nstart=198656, size=32768, name=data\n",
    );
    // Partition 1: the test image, byte for byte.
    let status = Command::new("dd")
        .arg(format!("if={}", image().display()))
        .arg(format!("of={}", a.0.display()))
        .args(["bs=1M", "seek=1", "conv=notrunc,sparse", "status=none"])
        .status()
        .expect("dd");
    assert!(status.success());
    // Partition 2: an ext4 holding /hello.
    let content = RemoveOnDrop(tmp.join(format!("part-data-{id}")));
    std::fs::create_dir_all(&content.0).expect("mkdir");
    std::fs::write(content.0.join("hello"), "hello from partition 2\n").expect("write");
    let status = Command::new(e2fsprogs("mkfs.ext4"))
        .args(["-q", "-F", "-E", &format!("offset={}", 198656 * 512), "-d"])
        .arg(&content.0)
        .arg(&a.0)
        .arg("16M")
        .status()
        .expect("mkfs.ext4");
    assert!(status.success(), "mkfs.ext4 on partition 2 failed");
    let _ = std::fs::remove_dir_all(&content.0);
    partitioned_disk(
        &b.0,
        16,
        "label: dos\nstart=2048, size=2048, type=83\nstart=4096, size=16384, type=5\n\
         start=6144, size=8192, type=83\nstart=16384, size=4096, type=83\n",
    );
    std::fs::File::create(&c.0)
        .and_then(|f| f.set_len(4 << 20))
        .expect("make an empty disk");
    let run = boot(&[
        &format!("ubd0={}", a.0.display()),
        &format!("ubd1r={}", b.0.display()),
        &format!("ubd2r={}", c.0.display()),
        "root=/dev/ubda1",
        "init=/bin/sh",
        "quiet",
        "--",
        "/scripts/partitions.sh",
    ]);
    assert_checks_passed(&run);
    // Partition 2, as the guest left it: clean, with its files.
    let part = RemoveOnDrop(tmp.join(format!("part-a2-{id}.img")));
    let status = Command::new("dd")
        .arg(format!("if={}", a.0.display()))
        .arg(format!("of={}", part.0.display()))
        .args(["bs=512", "skip=198656", "count=32768", "status=none"])
        .status()
        .expect("dd");
    assert!(status.success());
    assert_fsck_clean(&part.0);
    let (data, _) = debugfs(&part.0, "cat /guest");
    assert_eq!(data, b"written by the guest\n");
}

/// root= naming a partition the disk does not have is refused with a message.
#[test]
fn missing_root_partition_is_named() {
    let run = boot(&[&ubd0r(), "root=/dev/ubda3", "init=/bin/hello"]);
    assert_refused(&run);
    assert!(run.stderr.contains("ubda has no partition 3"), "{run}");
}

/// Magic SysRq through /proc/sysrq-trigger: `t` lists every task with its
/// state (a sleeping `sleep` among them), `w` the blocked ones, `m` memory,
/// `s` syncs, each with Linux's header line in the kernel log.
#[test]
fn sysrq_trigger_prints_tasks_memory_and_syncs() {
    let script = "sleep 5 & sleep 0.5; for k in t w m s; do echo $k > /proc/sysrq-trigger; done; \
                  dmesg; kill $!";
    let run = boot(&[&ubd0r(), "init=/bin/sh", "quiet", "--", "-c", script]);
    assert_init_exit(&run, 0);
    let out = &run.stdout;
    for want in [
        "sysrq: Show State",
        "sysrq: Show Blocked State",
        "sysrq: Show Memory",
        "pages RAM",
        "sysrq: Emergency Sync",
        "Emergency Sync complete",
    ] {
        assert!(out.contains(want), "no {want:?} in\n{run}");
    }
    assert!(
        out.lines()
            .any(|l| l.contains("task:sleep") && l.contains("state:S")),
        "no sleeping sleep in the task list:\n{run}"
    );
}
