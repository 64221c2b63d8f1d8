//! Boot tests of the Debian image that `images/build-debian-image.sh` builds
//! (built on first use, which needs root and the machine's Debian mirror):
//! a person's session at a terminal, driven on a pseudo-terminal by
//! `tests/debian-session.py`, and e2fsck's verdict on the image afterwards.

mod common;
#[path = "debian/util_linux.rs"]
mod util_linux;

use common::*;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// Builds (if missing or stale) the image `name` in images/out with the
/// image script, `init` as its INIT and `suite` as its SUITE; returns its
/// path.
fn build_image(name: &str, init: &str, suite: &str) -> PathBuf {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let out = root.join("images/out").join(name);
    let script = root.join("images/build-debian-image.sh");
    let status = Command::new("sh")
        .arg(&script)
        .arg(&out)
        .env("INIT", init)
        .env("SUITE", suite)
        .status()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", script.display()));
    assert!(status.success(), "{} failed: {status}", script.display());
    out
}

/// Returns the Debian image (sysvinit), building it on first use.
fn debian_image() -> &'static Path {
    static IMAGE: OnceLock<PathBuf> = OnceLock::new();
    IMAGE.get_or_init(|| build_image("debian.img", "sysvinit", "bookworm"))
}

/// Returns the stock Debian image (systemd), building it on first use.
fn systemd_image() -> &'static Path {
    static IMAGE: OnceLock<PathBuf> = OnceLock::new();
    IMAGE.get_or_init(|| build_image("debian-systemd.img", "systemd", "bookworm"))
}

/// Returns the stock Debian 13 image (trixie, systemd 257).
fn trixie_image() -> &'static Path {
    static IMAGE: OnceLock<PathBuf> = OnceLock::new();
    IMAGE.get_or_init(|| build_image("debian-trixie.img", "systemd", "trixie"))
}

/// A sparse copy of the Debian image for one test, removed afterwards.
fn copy_image(name: &str) -> RemoveOnDrop {
    copy_of(debian_image(), name)
}

/// A sparse copy of `image` for one test, removed afterwards.
fn copy_of(image: &Path, name: &str) -> RemoveOnDrop {
    let copy = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("debian-{name}-{}.img", std::process::id()));
    let status = Command::new("cp")
        .arg("--sparse=always")
        .arg(image)
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

/// The stock Debian image (systemd as /sbin/init, unchanged but for a root
/// password, hostname and fstab) boots to `login:` on the console, root logs
/// in, `systemctl is-system-running --wait` says running with no failed
/// unit, the journal has the boot, a sandboxed `systemd-run` works,
/// `systemctl poweroff` ends ./linux with status 0, and the image is clean.
#[test]
fn systemd_login_and_poweroff() {
    let img = copy_of(systemd_image(), "systemd");
    session(&img.0, "systemd");
    assert_fsck_clean(&img.0);
}

/// The same for Debian 13 (trixie, systemd 257).
#[test]
fn systemd_trixie_login_and_poweroff() {
    let img = copy_of(trixie_image(), "trixie");
    session(&img.0, "systemd");
    assert_fsck_clean(&img.0);
}

/// `apt-get install ./PKG.deb` offline: a package built on the host with
/// dpkg-deb is installed in the guest, its program runs, dpkg lists it, and
/// the image is clean afterwards.
#[test]
fn apt_installs_a_local_package() {
    let img = copy_image("apt");
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("deb-{}", std::process::id()));
    let pkg = dir.join("pkg");
    std::fs::create_dir_all(pkg.join("DEBIAN")).expect("mkdir");
    std::fs::create_dir_all(pkg.join("usr/bin")).expect("mkdir");
    std::fs::write(
        pkg.join("DEBIAN/control"),
        "Package: hello-guest\nVersion: 1.0\nArchitecture: all\n\
         Maintainer: tests <tests@example.invalid>\nDescription: a test package\n \
         installed offline in the guest\n",
    )
    .expect("write control");
    let prog = pkg.join("usr/bin/hello-guest");
    std::fs::write(&prog, "#!/bin/sh\necho hello from a package\n").expect("write program");
    let status = Command::new("chmod")
        .arg("755")
        .arg(&prog)
        .status()
        .expect("chmod");
    assert!(status.success());
    let deb = dir.join("hello.deb");
    let status = Command::new("dpkg-deb")
        .args(["-b", "--root-owner-group"])
        .arg(&pkg)
        .arg(&deb)
        .status()
        .expect("run dpkg-deb");
    assert!(status.success(), "dpkg-deb failed");
    debugfs_write(&img.0, &deb, "/root/hello.deb");
    let _ = std::fs::remove_dir_all(&dir);
    let ubd0 = format!("ubd0={}", img.0.display());
    let run = boot(&[
        &ubd0,
        "mem=256M",
        "rw",
        "init=/bin/bash",
        "quiet",
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        "--",
        "-c",
        "cd /root && apt-get install -y ./hello.deb && hello-guest && dpkg -l hello-guest",
    ]);
    assert_init_exit(&run, 0);
    assert!(run.stdout.contains("hello from a package"), "{run}");
    assert!(
        run.stdout_lines().any(|l| l.starts_with("ii  hello-guest")),
        "{run}"
    );
    assert_fsck_clean(&img.0);
}

/// Debian's own network tools on the loopback interface: `ip` brings lo up
/// and shows its addresses and routes, `ss` finds a Python web server
/// listening (with its process), `curl` fetches a page from it over IPv4
/// and IPv6, and `ping` gets its echoes back over both.
#[test]
fn network_tools_on_loopback() {
    let script = "\
        ip link set lo up && ip addr show lo && ip -6 addr show lo && ip route show table all && \
        cd /usr/share/doc && { python3 -m http.server 8000 --bind :: >/dev/null 2>&1 & } && \
        for i in $(seq 50); do ss -tln | grep -q :8000 && break; sleep 0.1; done; \
        ss -tlnp && curl -sS http://127.0.0.1:8000/ | grep title && \
        curl -sS -o /dev/null -w 'v6 %{http_code}\\n' 'http://[::1]:8000/bash/copyright' && \
        ping -c 3 -i 0.2 127.0.0.1 && ping -6 -c 3 -i 0.2 ::1";
    let run = boot(&[
        &format!("ubd0r={}", debian_image().display()),
        "mem=256M",
        "init=/bin/bash",
        "quiet",
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        "--",
        "-c",
        script,
    ]);
    assert_init_exit(&run, 0);
    for want in [
        "inet 127.0.0.1/8 scope host lo",
        "inet6 ::1/128 scope host",
        "local 127.0.0.1 dev lo table local proto kernel scope host src 127.0.0.1",
        "users:((\"python3\"",
        "Directory listing for /",
        "v6 200",
        "3 packets transmitted, 3 received, 0% packet loss",
    ] {
        assert!(run.stdout.contains(want), "no {want:?} in\n{run}");
    }
    assert_eq!(
        run.stdout
            .matches("3 packets transmitted, 3 received")
            .count(),
        2,
        "{run}"
    );
    // ss asked NETLINK_SOCK_DIAG, not /proc/net/tcp.
    assert!(!run.stdout.contains("Cannot open netlink socket"), "{run}");
}

/// Debian's `ip netns` and `unshare --net`: a named namespace (a bind
/// mount of /proc/self/ns/net under /run/netns) has lo alone, `ip -n`
/// brings its lo up there only, a server in it is not reached from the
/// first namespace, and `unshare --net` starts a program in a new one.
#[test]
fn network_namespaces_with_ip() {
    let script = "\
        mount -t tmpfs none /run && ip netns add blue && ip netns list && \
        ip netns exec blue ip -o link show && ip -n blue link set lo up && \
        ip -n blue -4 addr show lo && ip -4 addr show lo | grep -c inet; \
        ip netns exec blue python3 -c 'import socket,time; s=socket.socket(); \
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind((\"127.0.0.1\", 8123)); \
s.listen(); open(\"/run/ready\", \"w\").close(); c, _ = s.accept(); c.send(b\"from blue\\n\"); time.sleep(0.2)' & \
        for i in $(seq 100); do [ -e /run/ready ] && break; sleep 0.1; done; \
        ip link set lo up; \
        python3 -c 'import socket; socket.create_connection((\"127.0.0.1\", 8123))' 2>&1 | tail -1; \
        ip netns exec blue python3 -c 'import socket; print(socket.create_connection((\"127.0.0.1\", 8123)).recv(64).decode().strip())'; \
        wait; echo links=$(unshare --net ip -o link show | wc -l); readlink /proc/self/ns/net; \
        unshare --net readlink /proc/self/ns/net; ip netns del blue && echo left=$(ip netns list | wc -l)";
    let run = boot(&[
        &format!("ubd0r={}", debian_image().display()),
        "mem=256M",
        "init=/bin/bash",
        "quiet",
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        "--",
        "-c",
        script,
    ]);
    assert_init_exit(&run, 0);
    let out = &run.stdout;
    assert!(out.contains("blue"), "ip netns list\n{run}");
    assert!(
        out.contains("1: lo: <LOOPBACK> mtu 65536"),
        "a new namespace: lo, down\n{run}"
    );
    assert!(!out.contains("eth0"), "no card in the new namespace\n{run}");
    assert!(
        out.contains("inet 127.0.0.1/8 scope host lo"),
        "lo up in blue\n{run}"
    );
    assert!(
        out.contains("ConnectionRefusedError"),
        "blue's server unseen from the first namespace\n{run}"
    );
    assert!(
        out.contains("from blue"),
        "blue's server seen from blue\n{run}"
    );
    assert!(out.contains("links=1"), "unshare --net: lo alone\n{run}");
    assert!(out.contains("left=0"), "ip netns del\n{run}");
    let lines: Vec<&str> = run.stdout_lines().collect();
    let ns: Vec<&&str> = lines.iter().filter(|l| l.starts_with("net:[")).collect();
    assert_eq!(ns.len(), 2, "{run}");
    assert_ne!(
        ns[0], ns[1],
        "unshare --net ran in another namespace\n{run}"
    );
}

/// util-linux's `unshare --pid --fork --mount-proc`: the program is pid 1
/// of a new PID namespace, and `ps` (reading the procfs mounted there)
/// lists only the namespace's processes; `lsns` tells the namespaces
/// apart.
#[test]
fn pid_namespace_with_unshare() {
    let script = "\
        mount -t proc proc /proc; sleep 30 & \
        unshare --pid --fork --mount-proc sh -c 'echo inner=$$; ps -e -o pid=,comm=; \
            readlink /proc/self/ns/pid'; \
        echo outer=$(ps -e -o comm= | grep -c sleep); readlink /proc/self/ns/pid; kill %1";
    let run = boot(&[
        &format!("ubd0r={}", debian_image().display()),
        "mem=256M",
        "init=/bin/bash",
        "quiet",
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        "--",
        "-c",
        script,
    ]);
    assert_init_exit(&run, 0);
    let out = &run.stdout;
    assert!(out.contains("inner=1"), "the program is pid 1\n{run}");
    let listed: Vec<&str> = run
        .stdout_lines()
        .filter(|l| l.split_whitespace().count() == 2 && l.trim().starts_with(char::is_numeric))
        .collect();
    assert_eq!(listed.len(), 2, "ps lists sh and itself alone\n{run}");
    assert!(listed[0].trim() == "1 sh", "{run}");
    assert!(listed[1].trim().ends_with(" ps"), "{run}");
    assert!(
        out.contains("outer=1"),
        "the first namespace still sees its sleep\n{run}"
    );
    let ns: Vec<&str> = run
        .stdout_lines()
        .filter(|l| l.starts_with("pid:["))
        .collect();
    assert_eq!(ns.len(), 2, "{run}");
    assert_ne!(ns[0], ns[1], "{run}");
}

/// Network cards on a host TAP device, in both of UML's syntaxes, inside a
/// network namespace the test makes (tests/net/tap.sh): ping, 100 MB each
/// way over HTTP with its SHA-256 checked, `ip neigh`, and a TUN device
/// refused with one message. Skips without root.
#[test]
fn tap_cards() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/net/tap.sh");
    let out = Command::new("bash")
        .args([script, LINUX])
        .arg(debian_image())
        .output()
        .expect("run tests/net/tap.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    if text.contains("tap: SKIP") {
        eprintln!("{text}");
        return;
    }
    assert!(
        out.status.success() && text.contains("tap: passed"),
        "{}\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// User-mode networking without privilege through passt (tests/net/user.sh):
/// Debian's dhclient gets a lease, the guest fetches a file from a server on
/// the host's loopback, and the host logs in to the guest's sshd through a
/// forwarded port. Skips without passt or ssh on the host.
#[test]
fn user_networking() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/net/user.sh");
    let out = Command::new("bash")
        .args([script, LINUX])
        .arg(debian_image())
        .output()
        .expect("run tests/net/user.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    if text.contains("user: SKIP") {
        eprintln!("{text}");
        return;
    }
    assert!(
        out.status.success() && text.contains("user: passed"),
        "{}\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// `apt-get update` through passt (tests/net/apt.sh): dhclient gets a lease
/// and DNS, apt (with its sandbox user _apt) fetches bookworm's index from the
/// Debian mirror the host's apt sources name, and `apt-cache show bash` finds
/// bash. Skips without passt or when the host cannot reach the mirror.
#[test]
fn apt_get_update_over_user_networking() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/net/apt.sh");
    let out = Command::new("bash")
        .args([script, LINUX])
        .arg(debian_image())
        .output()
        .expect("run tests/net/apt.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    if text.contains("apt: SKIP") {
        eprintln!("{text}");
        return;
    }
    assert!(
        out.status.success() && text.contains("apt: passed"),
        "{}\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// trinity fuzzes every system call as uid 1000 for 90 seconds with a fixed
/// seed (`tests/debian/fuzz.sh`; `make fuzz` runs it longer): no kernel panic,
/// no hang, init still answers afterwards, and e2fsck finds the image clean.
#[test]
fn trinity_as_a_user() {
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/debian/fuzz.sh");
    let out = Command::new("sh")
        .args([script, LINUX])
        .arg(debian_image())
        .args(["90", "42"])
        .output()
        .expect("run tests/debian/fuzz.sh");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success() && text.contains("fuzz: passed"),
        "{}\n{text}\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Copies host file FROM into the image IMG as TO, with debugfs.
fn debugfs_write(img: &Path, from: &Path, to: &str) {
    let out = Command::new(e2fsprogs("debugfs"))
        .arg("-w")
        .arg("-R")
        .arg(format!("write {} {to}", from.display()))
        .arg(img)
        .output()
        .expect("run debugfs");
    assert!(out.status.success(), "debugfs write failed");
}

/// Compiles tests/debian/NAME.c with debugging information (`-g -O0`)
/// and puts the program into the image IMG as /root/NAME.
fn install_debug_program(img: &Path, name: &str) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("{name}-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("mkdir");
    let prog = dir.join(name);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("tests/debian/{name}.c"));
    let status = Command::new("gcc")
        .args(["-g", "-O0", "-o"])
        .arg(&prog)
        .arg(src)
        .status()
        .expect("run gcc");
    assert!(status.success(), "gcc failed");
    debugfs_write(img, &prog, &format!("/root/{name}"));
    let _ = std::fs::remove_dir_all(&dir);
}

/// Debian's chattr and lsattr (e2fsprogs, copied from the host, which runs
/// the same Debian release, as the minimal image has none) on the ext4 root
/// of a copy booted `rw`: an immutable file refuses a write, an append-only
/// one takes `>>` and refuses `>`, and lsattr prints what it prints on the
/// host for the same files.
#[test]
fn chattr_and_lsattr() {
    let img = copy_image("chattr");
    for (from, to) in [
        ("/usr/bin/chattr", "/usr/bin/chattr"),
        ("/usr/bin/lsattr", "/usr/bin/lsattr"),
        (
            "/lib/x86_64-linux-gnu/libe2p.so.2",
            "/usr/lib/x86_64-linux-gnu/libe2p.so.2",
        ),
        (
            "/lib/x86_64-linux-gnu/libcom_err.so.2",
            "/usr/lib/x86_64-linux-gnu/libcom_err.so.2",
        ),
    ] {
        let real = std::fs::canonicalize(from).expect("e2fsprogs on the host");
        debugfs_write(&img.0, &real, to);
    }
    let script = "\
        chmod 755 /usr/bin/chattr /usr/bin/lsattr; cd /root && touch f && chattr +i f && lsattr f; \
        { echo x > f; } 2>&1; rm f 2>&1; chattr -i f && chattr +a f && echo y >> f && cat f && lsattr f; \
        { echo z > f; } 2>&1; chattr -a f && echo z > f && cat f && lsattr f; lsattr -d /root; \
        rm f && echo removed";
    let run = boot(&[
        &format!("ubd0={}", img.0.display()),
        "mem=256M",
        "rw",
        "init=/bin/bash",
        "quiet",
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        "--",
        "-c",
        script,
    ]);
    assert_init_exit(&run, 0);
    let out = format!("{}{}", run.stdout, run.stderr);
    // Each a whole line of the console (bash's message ends one).
    for want in [
        "----i---------e------- f",
        "f: Operation not permitted",
        "rm: cannot remove 'f': Operation not permitted",
        "y",
        "-----a--------e------- f",
        "z",
        "--------------e------- f",
        "--------------e------- /root",
        "removed",
    ] {
        assert!(
            out.lines().any(|l| l.trim_end().ends_with(want)),
            "no line {want:?} in\n{run}"
        );
    }
    let refused = out
        .lines()
        .filter(|l| l.trim_end().ends_with("f: Operation not permitted"));
    assert_eq!(refused.count(), 2, "two refused writes in\n{run}");
    assert_fsck_clean(&img.0);
}

/// Debian's strace and gdb inside the guest (ptrace(2)): `strace -f` of a
/// pipeline shows the execve, clone and wait4 lines and the exit status,
/// `strace -c` sums up; gdb stops at a breakpoint in a shared library
/// function, prints the backtrace and registers, steps one instruction,
/// catches a system call and runs the program to its end.
#[test]
fn strace_and_gdb() {
    let script = "\
        strace -f -e trace=execve,clone,wait4,exit_group sh -c 'echo piped | cat; exit 3'; \
        echo strace-status=$?; strace -c -o /tmp/sum ls / > /dev/null; tail -1 /tmp/sum; \
        gdb -batch -ex 'break opendir' -ex run -ex bt -ex 'info registers rip' -ex stepi -ex 'info registers rip' \
          -ex 'catch syscall write' -ex continue -ex continue -ex delete -ex continue --args /bin/ls /usr 2>&1";
    let run = boot(&[
        &format!("ubd0r={}", debian_image().display()),
        "mem=512M",
        "init=/bin/bash",
        "quiet",
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        "--",
        "-c",
        script,
    ]);
    assert_init_exit(&run, 0);
    let out = format!("{}{}", run.stdout, run.stderr);
    for want in [
        "execve(\"/usr/bin/sh\", [\"sh\", \"-c\"",
        "clone(child_stack=NULL, flags=CLONE_CHILD_CLEARTID|CLONE_CHILD_SETTID|SIGCHLD",
        "execve(\"/usr/bin/cat\", [\"cat\"]",
        "wait4(-1, ",
        "WEXITSTATUS(s) == 0",
        "+++ exited with 3 +++",
        "strace-status=3",
        "total",
        "Breakpoint 1, ",
        " in opendir () from /lib/x86_64-linux-gnu/libc.so.6",
        "#0  0x",
        "<opendir>",
        "<opendir+",
        "Catchpoint 2 (call to syscall write)",
        "Catchpoint 2 (returned from syscall write)",
        "[Inferior 1 (process ",
    ] {
        assert!(out.contains(want), "no {want:?} in\n{run}");
    }
}

/// gdb in the guest with a hardware watchpoint (the debug registers
/// through PTRACE_POKEUSER), then attached to a running process and
/// detached from it, which runs on.
#[test]
fn gdb_watchpoint_attach_detach() {
    let img = copy_image("gdbwatch");
    install_debug_program(&img.0, "watch");
    let script = "\
        chmod 755 /root/watch && mount -t tmpfs none /tmp && \
        gdb -nx -batch -ex 'break main' -ex run -ex 'watch counter' -ex continue -ex continue \
          -ex 'delete' -ex continue /root/watch 2>&1; \
        /root/watch 400 > /tmp/ticks & pid=$!; sleep 1; \
        gdb -nx -batch -p $pid -ex 'info registers rip' -ex 'print counter > 0' -ex detach 2>&1; \
        a=$(wc -l < /tmp/ticks); sleep 1; b=$(wc -l < /tmp/ticks); \
        grep State /proc/$pid/status; [ $b -gt $a ] && echo \"runs on after detach: $a $b\"; \
        kill $pid; wait $pid; echo \"killed: $?\"";
    let run = boot(&[
        &format!("ubd0={}", img.0.display()),
        "mem=256M",
        "rw",
        "init=/bin/bash",
        "quiet",
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        "--",
        "-c",
        script,
    ]);
    assert_init_exit(&run, 0);
    let out = format!("{}{}", run.stdout, run.stderr);
    for want in [
        "Hardware watchpoint 2: counter",
        "Old value = 0",
        "New value = 1",
        "Old value = 1",
        "New value = 2",
        "counter 3",
        "[Inferior 1 (process ",
        "rip            0x",
        "$1 = 1",
        ") detached]",
        "State:\tS (sleeping)",
        "runs on after detach",
        "killed: 143",
    ] {
        assert!(out.contains(want), "no {want:?} in\n{run}");
    }
}

/// A dynamically linked program that dies of SIGSEGV leaves a core in its
/// working directory (`ulimit -c unlimited`, the default core_pattern);
/// bash says "(core dumped)", and gdb in the guest opens the core and shows
/// the crashing function and its callers, its registers, and the signal.
#[test]
fn gdb_reads_a_core_dump() {
    let img = copy_image("core");
    install_debug_program(&img.0, "crash");
    let script = "\
        chmod 755 /root/crash && mount -t tmpfs none /tmp && cd /tmp && ulimit -c unlimited && \
        { /root/crash; echo \"status $?\"; } 2>&1; ls -l /tmp; \
        gdb -nx -batch -ex bt -ex 'info registers rip' /root/crash /tmp/core 2>&1";
    let run = boot(&[
        &format!("ubd0={}", img.0.display()),
        "mem=256M",
        "rw",
        "init=/bin/bash",
        "quiet",
        "PATH=/usr/sbin:/usr/bin:/sbin:/bin",
        "--",
        "-c",
        script,
    ]);
    assert_init_exit(&run, 0);
    for want in [
        "(core dumped)",
        "status 139",
        "Program terminated with signal SIGSEGV, Segmentation fault.",
        "crash_here (depth=0)",
        "crash_here (depth=3)",
        "main ()",
        "rip",
    ] {
        assert!(run.stdout.contains(want), "no {want:?} in\n{run}");
    }
    assert!(!run.stdout.contains("is truncated"), "{run}");
}
