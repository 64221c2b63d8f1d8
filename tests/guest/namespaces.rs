//! The guest tests of namespaces and System V IPC, split from
//! tests/guest.rs (one boot per C program in tests/guest/).

use crate::common::*;

/// Mount namespaces, propagation and pivot_root (tests/guest/mntns.c).
#[test]
fn mntns() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/mntns", "quiet"]));
}

/// UTS namespaces and unshare (tests/guest/uts.c).
#[test]
fn uts() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/uts", "quiet"]));
}

/// PID namespaces: unshare, clone and setns with CLONE_NEWPID, pid 1 and
/// ppid 0, nesting to 32 levels, kill and wait across levels, orphans, the
/// init's signal protection and death, a procfs of the namespace
/// (tests/guest/pidns.c).
#[test]
fn pidns() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/pidns", "quiet"]));
}

/// PID namespaces, the numbers crossing them: pid arguments of the
/// scheduling, priority, prlimit, ioprio, capget, CPU-clock, ptrace and
/// process_vm_readv calls looked up in the caller's namespace; ptrace's
/// event message and TracerPid, F_GETLK, SO_PEERCRED, SCM_CREDENTIALS and
/// the pty master's TIOCGPGRP in the observer's (tests/guest/pidns2.c).
#[test]
fn pidns2() {
    let run = boot(&[&ubd0r(), "init=/bin/pidns2", "quiet"]);
    assert_checks_passed(&run);
    assert!(
        run.stdout_lines()
            .any(|l| l.trim_end() == "53 passed, 0 failed"),
        "the namespace's init ran all its checks\n{run}"
    );
}

/// Network namespaces: lo alone in a new one, listeners, ports and
/// abstract names apart, sockets staying where they were made, setns by
/// /proc/PID/ns/net and by pidfd, /proc/net and /proc/sys/net per
/// namespace (tests/guest/netns.c).
#[test]
fn netns() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/netns", "quiet"]));
}

/// Cgroup namespaces: paths from the namespace's root (with `/..` for
/// what is outside), a cgroup2 mounted inside shows the subtree, setns and
/// clone(CLONE_NEWCGROUP), EPERM for a user (tests/guest/cgroupns.c).
#[test]
fn cgroupns() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/cgroupns", "quiet"]));
}

/// NETLINK_KOBJECT_UEVENT sockets and sysfs uevent files: the kernel's
/// events after a write to /sys/class/net/lo/uevent, udev's group-2
/// multicasts, socket filters, ENOBUFS, EPERM and EACCES for a user
/// (tests/guest/uevent.c).
#[test]
fn uevent() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/uevent", "quiet"]));
}

/// System V shared memory, semaphores and message queues, /proc/sysvipc,
/// the IPC limits, permissions and IPC namespaces (tests/guest/sysvipc.c).
#[test]
fn sysvipc() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/sysvipc", "quiet"]));
}

/// POSIX message queues: mq_open's checks, priority order, blocking and
/// timeouts, mq_notify, RLIMIT_MSGQUEUE, poll, the status line and the
/// mqueue filesystem (tests/guest/mqueue.c).
#[test]
fn mqueue() {
    assert_checks_passed(&boot(&[&ubd0r(), "init=/bin/mqueue", "quiet"]));
}
