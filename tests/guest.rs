//! Boot tests that run the C check programs of `tests/guest/` as init: memory,
//! FPU, files, processes, signals, threads, timers, pipes, poll and epoll,
//! tmpfs, procfs, permissions, ptys, terminal job control, the copy calls,
//! shared file mappings,
//! FIFOs, openat2 and sync_file_range, splice, tee and vmsplice, O_TMPFILE,
//! System V IPC, file handles, the network.

mod common;
#[path = "guest/fhandle.rs"]
mod fhandle;
#[path = "guest/namespaces.rs"]
mod namespaces;
#[path = "guest/net.rs"]
mod net;

use common::*;

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

/// CPU-time clocks: POSIX timers on them (process, thread, another
/// process's), clock_nanosleep on them.
#[test]
fn cputimer() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/cputimer", "quiet"]));
}

/// futex_waitv(2): index of the woken futex, EAGAIN, timeouts on both
/// clocks, EINVAL and EFAULT, shared futexes across processes, signals.
#[test]
fn futex_waitv() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/futex_waitv", "quiet"]));
}

/// procfs, sysfs, devtmpfs and mount(2); mem= is what MemTotal must show.
#[test]
fn procfs() {
    assert_checks_passed(&boot(&[&ubd0r(), "mem=128M", "init=/bin/procfs", "quiet"]));
}

#[test]
fn ptys() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/pty", "quiet"]));
}

/// Job control on every call that reads or writes a terminal: sendfile and
/// splice into a terminal stop a background group with SIGTTOU as write does.
#[test]
fn job_control() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/jobctl", "quiet"]));
}

#[test]
fn copy_calls() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/copy", "quiet"]));
}

/// seccomp: strict mode, filters and their actions, stacking, inheritance,
/// TSYNC, and the errnos of malformed programs (tests/guest/seccomp.c).
#[test]
fn seccomp() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/seccomp", "quiet"]));
}

/// signalfd: signals read as signalfd_siginfo, blocking, poll and epoll,
/// and bad arguments (tests/guest/signalfd.c).
#[test]
fn signalfd() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/signalfd", "quiet"]));
}

/// Terminal ioctls' errno order on files that are not terminals and on
/// terminals; FIONREAD on each kind of file (tests/guest/ttyioctl.c).
#[test]
fn ttyioctl() {
    let out = boot(&[&ubd0r(), "init=/bin/ttyioctl", "quiet"]);
    assert_checks_passed(&out);
    assert!(
        out.stdout.contains("ok TIOCOUTQ on a pty master"),
        "{}",
        out.stdout
    );
}

/// Per-task accounting in /proc: io, context switches
/// (tests/guest/procacct.c).
#[test]
fn procacct() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/procacct", "quiet"]));
}

/// Scheduling policies (tests/guest/schedpolicy.c).
#[test]
fn schedpolicy() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/schedpolicy", "quiet"]));
}

/// Signal-driven I/O: fcntl's owners and signals, O_ASYNC (tests/guest/sigio.c).
#[test]
fn sigio() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/sigio", "quiet"]));
}

/// kcmp(2) and get_robust_list(2) (tests/guest/kcmp.c).
#[test]
fn kcmp() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/kcmp", "quiet"]));
}

/// mincore(2) (tests/guest/mincore.c).
#[test]
fn mincore() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/mincore", "quiet"]));
}

/// cgroup v2 with its controllers (tests/guest/cgroup.c).
#[test]
fn cgroup() {
    let run = boot(&[
        &ubd0r(),
        "init=/bin/cgroup",
        "quiet",
        "loglevel=7",
        "--",
        "--controllers",
    ]);
    assert_checks_passed(&run);
    // memory.max's kill: Linux's memory-cgroup OOM report, in its order.
    let lines: Vec<&str> = run.stdout_lines().collect();
    let at = |what: &str| {
        lines
            .iter()
            .position(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no {what:?} on the console\n{run}"))
    };
    let invoked = at(" invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0,");
    let usage = at("memory: usage ");
    assert!(lines[usage].contains("kB, limit 8192kB, failcnt "), "{run}");
    let tasks = at("Tasks state (memory values in pages):");
    let summary = at(
        "oom-kill:constraint=CONSTRAINT_MEMCG,nodemask=(null),cpuset=/,mems_allowed=0,\
         oom_memcg=/cgroup-test-ctl,task_memcg=/cgroup-test-ctl,task=cgroup,pid=",
    );
    let kill = at("Memory cgroup out of memory: Killed process ");
    let reaped = at("oom_reaper: reaped process ");
    assert!(
        invoked < usage && usage < tasks && tasks < summary && summary < kill && kill < reaped,
        "report out of order\n{run}"
    );
}

/// ptrace(2): system call stops, changed and skipped calls, PEEK and POKE,
/// registers, signal-delivery-stops, exit and fork events, SEIZE with
/// INTERRUPT and DETACH, a tracer's death, process_vm_readv, and the errors
/// of bad requests (tests/guest/ptrace.c).
#[test]
fn ptrace() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/ptrace", "quiet"]));
}

/// The timer slack (prctl and /proc/PID/timerslack_ns), kernel.tainted,
/// vm.drop_caches and /proc/kallsyms (tests/guest/sysctl_misc.c).
#[test]
fn sysctl_misc() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/sysctl_misc", "quiet"]));
}

/// /proc/PID/mem, and Yama's ptrace_scope with PR_SET_PTRACER
/// (tests/guest/ptrace_access.c).
#[test]
fn ptrace_access() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/ptrace_access", "quiet"]));
}

/// Capabilities: capget/capset, the bounding and ambient sets, secure bits,
/// the setuid fixups, file capabilities on /tmp (tests/guest/caps.c).
#[test]
fn caps() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/caps", "quiet"]));
}

/// personality(2) (tests/guest/personality.c).
#[test]
fn personality() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/personality", "quiet"]));
}

/// Threads forking at once while the others write (tests/guest/forkthreads.c):
/// a write fault through a host mapping older than the page table (another
/// thread made the page writable meanwhile) was taken for an execute
/// violation and killed the process with SIGSEGV.
#[test]
fn forkthreads() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/forkthreads", "quiet"]));
}

/// chroot(2) (tests/guest/chroot.c).
#[test]
fn chroot() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/chroot", "quiet"]));
}

/// Shared file mappings over the page cache on tmpfs; with `--frames`, no
/// frame leaks and a page cache larger than the 24 MiB of RAM.
#[test]
fn mmap_shared() {
    let args = [
        &ubd0r(),
        "mem=24M",
        "init=/bin/mmap_shared",
        "quiet",
        "--",
        "--frames",
    ];
    assert_checks_passed(&boot(&args));
}

/// fallocate(2) and SEEK_DATA/SEEK_HOLE on tmpfs (/tmp).
#[test]
fn falloc() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/falloc", "quiet"]));
}

/// inotify(7) on tmpfs (/tmp): watches, events and reads.
#[test]
fn inotify() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/inotify", "quiet"]));
}

/// inotify(7) on the ext4 root of a copy of the image booted `rw`, and on
/// /tmp; e2fsck finds the image clean afterwards.
#[test]
fn inotify_ext4() {
    let img = image_copy("inotify");
    let (copy, ubd0) = (img.path.clone(), img.ubd0.clone());
    let args = [&ubd0, "rw", "init=/bin/inotify", "quiet", "--", "/", "/tmp"];
    assert_checks_passed(&boot(&args));
    assert_fsck_clean(&copy);
}

/// FIFOs on tmpfs.
#[test]
fn fifo() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/fifo", "quiet"]));
}

/// openat2 and its RESOLVE_* flags; sync_file_range.
#[test]
fn openat2() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/openat2", "quiet"]));
}

/// Nice values and CPU affinity: set, read back, inherited, refused as Linux does.
#[test]
fn sched() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/sched", "quiet"]));
}

/// memfd_create: an anonymous tmpfs file, mapped and shared with a child.
#[test]
fn memfd() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/memfd", "quiet"]));
}

/// splice, tee and vmsplice between pipes, sockets and files on tmpfs, and
/// with files on the ext4 root of a copy of the image booted `rw`, which
/// e2fsck must find clean afterwards.
#[test]
fn splice() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/splice", "quiet"]));
    let img = image_copy("splice");
    let (copy, ubd0) = (img.path.clone(), img.ubd0.clone());
    let args = [&ubd0, "rw", "init=/bin/splice", "quiet", "--", "/"];
    assert_checks_passed(&boot(&args));
    assert_fsck_clean(&copy);
}

/// O_TMPFILE on the ext4 root (a copy of the image booted `rw`) and on
/// tmpfs: the checks pass, the file the guest linked (`--keep`) reads back
/// with debugfs, and e2fsck finds the image clean, the unnamed files gone.
#[test]
fn tmpfile() {
    let img = image_copy("tmpfile");
    let (copy, ubd0) = (img.path.clone(), img.ubd0.clone());
    let args = [
        &ubd0,
        "rw",
        "init=/bin/tmpfile",
        "quiet",
        "--",
        "--keep",
        "/",
        "/tmp",
    ];
    assert_checks_passed(&boot(&args));
    assert_fsck_clean(&copy);
    let (kept, err) = debugfs(&copy, "cat /tmpfile-kept");
    assert_eq!(
        kept, b"kept by O_TMPFILE\n",
        "debugfs cat /tmpfile-kept: {err}"
    );
}

/// File attribute flags (what chattr sets) on the ext4 root of a copy of
/// the image booted `rw` and on tmpfs (/tmp): the checks pass, the flags the
/// guest left (`--keep`) are in the inode on disk as debugfs shows them and
/// still there at a second boot (`--kept`), and e2fsck finds the image clean
/// after each.
#[test]
fn fileattr() {
    let img = image_copy("fileattr");
    let (copy, ubd0) = (img.path.clone(), img.ubd0.clone());
    let args = [
        &ubd0,
        "rw",
        "init=/bin/fileattr",
        "quiet",
        "--",
        "--keep",
        "/",
        "/tmp",
    ];
    assert_checks_passed(&boot(&args));
    assert_fsck_clean(&copy);
    let (stat, err) = debugfs(&copy, "stat /fileattr-kept");
    let stat = String::from_utf8_lossy(&stat);
    // Extents, append-only and nodump.
    assert!(stat.contains("Flags: 0x80060"), "debugfs stat: {stat}{err}");
    let args = [
        &ubd0,
        "rw",
        "init=/bin/fileattr",
        "quiet",
        "--",
        "--kept",
        "/",
    ];
    assert_checks_passed(&boot(&args));
    assert_fsck_clean(&copy);
}

/// Out of memory under mem=64M (issue 19, items 6 and 7): the OOM killer
/// kills a hog beside a sleeping bystander (and a big sleeper for a small
/// allocating process), init and the bystanders live; oom_score and
/// oom_score_adj; a size=600M tmpfs, 400 pipes of 1 MiB and 400 full
/// socketpairs fill what RAM holds and fail cleanly; pipe-user-pages-soft,
/// SCM_RIGHTS in flight (ETOOMANYREFS) and RLIMIT_SIGPENDING (EAGAIN).
#[test]
fn oom() {
    // `loglevel=7` after `quiet`: the console shows the whole OOM report.
    let run = boot_long(
        &[&ubd0r(), "mem=64M", "init=/bin/oom", "quiet", "loglevel=7"],
        3,
    );
    assert_checks_passed(&run);
    let lines: Vec<String> = run
        .stdout_lines()
        .chain(run.stderr_lines())
        .map(str::to_string)
        .collect();
    for comm in ["oom-hog", "oom-big"] {
        let line = "Out of memory: Killed process ";
        let named = format!("({comm}) total-vm:");
        let kill = lines
            .iter()
            .position(|l| l.contains(line) && l.contains(&named))
            .unwrap_or_else(|| panic!("no OOM kill of {comm} on the console\n{run}"));
        assert_oom_report(&lines, kill, comm, &run);
    }
}

/// Asserts that Linux's OOM report, in Linux's order, leads up to the kill
/// line `lines[kill]` of `comm` and that the reaper reports it after.
fn assert_oom_report(lines: &[String], kill: usize, comm: &str, run: &impl std::fmt::Display) {
    let find_back = |from: usize, what: &str| {
        lines[..from]
            .iter()
            .rposition(|l| l.contains(what))
            .unwrap_or_else(|| panic!("no {what:?} before the kill of {comm}\n{run}"))
    };
    let summary = find_back(kill, "oom-kill:constraint=CONSTRAINT_NONE,nodemask=(null),");
    let s = &lines[summary];
    assert!(
        s.contains(",cpuset=/,mems_allowed=0,global_oom,task_memcg=/")
            && s.contains(&format!(",task={comm},pid=")),
        "summary line: {s}\n{run}"
    );
    let pid: i32 = s
        .split(",pid=")
        .nth(1)
        .and_then(|r| r.split(',').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or_else(|| panic!("no pid in {s}"));
    assert!(s.ends_with(",uid=0"), "summary line: {s}\n{run}");
    assert!(
        lines[kill].contains(&format!("Killed process {pid} ({comm})")),
        "kill line names another pid than {pid}: {}\n{run}",
        lines[kill]
    );
    let header = find_back(summary, "[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem pgtables_bytes swapents oom_score_adj name");
    let tasks = find_back(header, "Tasks state (memory values in pages):");
    assert_eq!(tasks + 1, header, "{run}");
    // The victim's row: pid, uid 0, tgid, then a resident set of pages.
    let row = lines[header + 1..summary]
        .iter()
        .find(|l| l.contains(&format!("[{pid:>7}]")))
        .unwrap_or_else(|| panic!("no task row of {pid} ({comm})\n{run}"));
    let cols: Vec<&str> = row
        .split(&format!("[{pid:>7}]"))
        .nth(1)
        .unwrap_or_default()
        .split_whitespace()
        .collect();
    assert_eq!(cols.len(), 11, "row: {row}");
    assert_eq!(
        (cols[0], cols[1], cols[10]),
        ("0", &*pid.to_string(), comm),
        "row: {row}"
    );
    let rss: u64 = cols[3].parse().unwrap_or(0);
    assert!(rss > 1000, "victim's rss of {rss} pages: {row}");
    let mem = find_back(tasks, "Mem-Info:");
    assert!(lines[mem + 1].contains("active_anon:"), "{run}");
    assert!(lines[mem + 4].contains(" shmem:") && lines[mem + 4].contains(" pagetables:"));
    assert!(lines[mem + 5].contains(" free:"), "{run}");
    let invoked = find_back(
        mem,
        " invoked oom-killer: gfp_mask=0x100cca(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj=",
    );
    assert!(
        !lines[invoked..kill]
            .iter()
            .any(|l| l.contains("Killed process")),
        "report of {comm} interleaved with another kill\n{run}"
    );
    let reaped = format!(
        "oom_reaper: reaped process {pid} ({comm}), now anon-rss:0kB, file-rss:0kB, shmem-rss:0kB"
    );
    assert!(
        lines[kill..].iter().any(|l| l.contains(&reaped)),
        "no {reaped:?}\n{run}"
    );
}

/// Resource limits: RLIMIT_NOFILE bounds every call that makes a descriptor,
/// lowered and raised; setrlimit; raising a hard limit and prlimit on another
/// user's process need privilege.
#[test]
fn rlimit() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/rlimit", "quiet"]));
}

/// Arguments are read at their C types (int vs long), as Linux's wrappers do.
#[test]
fn argwidth() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/argwidth", "quiet"]));
}

/// setpgid's rules: children only, before they exec, within the session,
/// into a group that exists.
#[test]
fn pgrp() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/pgrp", "quiet"]));
}

/// Commit accounting and vm.overcommit_memory's modes
/// (tests/guest/overcommit.c).
#[test]
fn overcommit() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/overcommit", "quiet"]));
}

/// memfd file seals (tests/guest/memfd_seals.c).
#[test]
fn memfd_seals() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/memfd_seals", "quiet"]));
}

/// madvise and mprotect argument checks (tests/guest/madvise.c).
#[test]
fn madvise() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/madvise", "quiet"]));
}

/// Resource limits enforced: NPROC, FSIZE, AS, DATA, STACK, SIGPENDING, CPU,
/// ru_maxrss (tests/guest/rlimit_enforce.c).
#[test]
fn rlimit_enforce() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/rlimit_enforce", "quiet"]));
}

/// mlock, munlock, mlock2, mlockall, VmLck, RLIMIT_MEMLOCK (tests/guest/mlock.c).
#[test]
fn mlock() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/mlock", "quiet"]));
}

/// Guest code attacking the stub it runs in (issue 15): jumps into the stub's
/// code with crafted registers, a corrupted message area, a thread scribbling
/// over its own stub during calls, rt_sigreturn to forged frames (every signal
/// blocked, a 32-bit cs, a non-canonical rip, a bad fpstate), and munmap,
/// mprotect, mmap and mremap at the stub's pages; each fails without effect
/// outside the attacker (tests/guest/stubattack.c).
#[test]
fn stubattack() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/stubattack", "quiet"]));
}

/// Core dumps: WCOREDUMP, RLIMIT_CORE, PR_SET_DUMPABLE, core_pattern and
/// core_uses_pid, and the ELF core's header, notes and memory.
#[test]
fn coredump() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/coredump", "quiet"]));
}

/// A scratch host directory for a hostfs test, removed when dropped.
struct HostDir(std::path::PathBuf);

impl HostDir {
    fn new(tag: &str) -> HostDir {
        let d = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
            .join(format!("{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).expect("make the scratch directory");
        HostDir(d)
    }
}

impl Drop for HostDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// hostfs (UML's host filesystem): `hostfs=BOX` and `mount -t hostfs none
/// /tmp/h -o /` in the guest; the guest reads, writes, renames, removes,
/// maps and changes the host's files, with the host's attributes and the
/// guest's permission checks, and neither `..`, symlinks out of BOX nor
/// symlinks swapped while it opens them (by a guest process and by the
/// host) read the secret beside BOX. The host then finds what the guest
/// wrote, and the secret untouched.
#[test]
fn hostfs() {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    use std::sync::atomic::{AtomicBool, Ordering};
    let top = HostDir::new("hostfs");
    let (secret, bx) = (top.0.join("secret"), top.0.join("box"));
    std::fs::write(&secret, "top secret\n").expect("host setup or check");
    std::fs::create_dir(&bx).expect("host setup or check");
    std::fs::set_permissions(&bx, std::fs::Permissions::from_mode(0o755))
        .expect("host setup or check");
    let hello = bx.join("hello.txt");
    std::fs::write(&hello, "hello from the host\n").expect("host setup or check");
    std::fs::set_permissions(&hello, std::fs::Permissions::from_mode(0o644))
        .expect("host setup or check");
    let t = std::time::UNIX_EPOCH + std::time::Duration::from_secs(1_500_000_000);
    std::fs::File::options()
        .write(true)
        .open(&hello)
        .and_then(|f| f.set_modified(t))
        .expect("host setup or check");
    std::fs::write(bx.join("locked"), "locked").expect("host setup or check");
    std::fs::set_permissions(bx.join("locked"), std::fs::Permissions::from_mode(0o000))
        .expect("host setup or check");
    let map: Vec<u8> = (0..8192).map(|i| (i % 251) as u8).collect();
    std::fs::write(bx.join("map.bin"), &map).expect("host setup or check");
    std::fs::write(bx.join("delete-me"), "x").expect("host setup or check");
    std::fs::write(bx.join("hostswap"), "host public\n").expect("host setup or check");
    std::os::unix::fs::symlink("../secret", bx.join("out")).expect("host setup or check");
    std::os::unix::fs::symlink(&secret, bx.join("abs")).expect("host setup or check");
    let ino = std::fs::metadata(&hello)
        .expect("host setup or check")
        .ino()
        .to_string();

    // The host swaps hostswap between a file and a symlink to the secret.
    let stop = std::sync::Arc::new(AtomicBool::new(false));
    let swapper = {
        let (stop, bx) = (stop.clone(), bx.clone());
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                let _ = std::os::unix::fs::symlink("../secret", bx.join(".s"));
                let _ = std::fs::rename(bx.join(".s"), bx.join("hostswap"));
                let _ = std::fs::write(bx.join(".f"), "host public\n");
                let _ = std::fs::rename(bx.join(".f"), bx.join("hostswap"));
            }
        })
    };
    let hostfs_arg = format!("hostfs={}", bx.display());
    let run = boot(&[
        &ubd0r(),
        &hostfs_arg,
        "init=/bin/hostfs",
        "quiet",
        "--",
        &ino,
    ]);
    stop.store(true, Ordering::Relaxed);
    swapper.join().expect("host setup or check");
    assert_checks_passed(&run);

    let read = |name: &str| std::fs::read(bx.join(name)).unwrap_or_default();
    assert_eq!(read("from-guest.txt"), b"written by the guest\nmore\n");
    let mapped = read("mapped.bin");
    assert_eq!(mapped.len(), 8192, "mapped.bin");
    assert_eq!(&mapped[4096..4110], b"shared mapping");
    assert!(mapped[..4096].iter().all(|&b| b == 0));
    let owned = std::fs::metadata(bx.join("owned.txt")).expect("host setup or check");
    assert_eq!(
        (owned.uid(), owned.gid(), owned.mode()),
        (1000, 1000, 0o100600)
    );
    assert_eq!(read("owned.txt"), b"mine");
    assert!(bx.join("kept-dir").is_dir());
    assert!(!bx.join("delete-me").exists());
    assert!(!bx.join("d").exists() && !bx.join("user.txt").exists());
    assert_eq!(read("map.bin"), map);
    assert_eq!(
        std::fs::read(&secret).expect("host setup or check"),
        b"top secret\n"
    );
    let mut outside: Vec<_> = std::fs::read_dir(&top.0)
        .expect("host setup or check")
        .map(|e| e.expect("host setup or check").file_name())
        .collect();
    outside.sort();
    assert_eq!(outside, ["box", "secret"]);
}

/// `rootfstype=hostfs hostfs=DIR`: a host directory as the root, from which
/// init runs; `rootflags=` leaving DIR is refused.
#[test]
fn hostfs_root() {
    use std::os::unix::fs::PermissionsExt;
    let top = HostDir::new("hostfs-root");
    let root = top.0.join("root");
    std::fs::create_dir_all(root.join("bin")).expect("host setup or check");
    let exe = root.join("bin/exit42");
    let (_, err) = debugfs(image(), &format!("dump /bin/exit42 {}", exe.display()));
    assert!(exe.exists(), "debugfs dump: {err}");
    std::fs::set_permissions(&exe, std::fs::Permissions::from_mode(0o755))
        .expect("host setup or check");
    let arg = format!("hostfs={}", root.display());
    assert_init_exit(
        &boot(&["rootfstype=hostfs", &arg, "init=/bin/exit42", "quiet"]),
        42,
    );
    assert_init_exit(
        &boot(&[
            "rootfstype=hostfs",
            &arg,
            "rootflags=/bin/..",
            "init=/bin/exit42",
            "quiet",
            "--",
            "7",
        ]),
        7,
    );
    assert_refused(&boot(&[
        "rootfstype=hostfs",
        &arg,
        "rootflags=../",
        "init=/bin/exit42",
    ]));
}
