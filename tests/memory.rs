//! Host memory of `./linux` (issue 19, item 7): while a guest under mem=64M
//! fills a size=600M tmpfs, then 400 pipes of 1 MiB, then the send buffers
//! of 400 Unix socketpairs (`oom --hold`), the host memory the kernel
//! process uses stays under `mem=` plus a fixed overhead, and it drops back
//! once the guest frees that memory. Socket messages are on the kernel's
//! heap, charged against guest RAM frames that are never touched, so for
//! them the kernel's anonymous memory grows, not the memfd's.
//!
//! The measure (README's stated bound): the guest RAM memfd's allocated
//! size (its `st_blocks`, shared memory counted once however many stubs map
//! it), plus the anonymous memory (`RssAnon`) of the kernel process and of
//! every stub process — all that the host would have to free if `./linux`
//! went away. The bound is `mem=` + 64 MiB.

mod common;

use common::*;
use std::io::Write;
use std::os::unix::fs::MetadataExt;

const MIB: u64 = 1 << 20;
/// Guest RAM of the run.
const MEM: u64 = 64 * MIB;
/// What the kernel process may use beyond guest RAM: the kernel's own heap,
/// stacks of its task threads, the stubs.
const OVERHEAD: u64 = 64 * MIB;

/// Returns the `RssAnon` of host process `pid` in bytes (0 if it is gone).
fn rss_anon(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("RssAnon:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .map_or(0, |kb| kb * 1024)
}

/// Returns the children of every thread of host process `pid`.
fn children(pid: u32) -> Vec<u32> {
    let Ok(tasks) = std::fs::read_dir(format!("/proc/{pid}/task")) else {
        return Vec::new();
    };
    tasks
        .flatten()
        .filter_map(|t| std::fs::read_to_string(t.path().join("children")).ok())
        .flat_map(|s| {
            s.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect::<Vec<u32>>()
        })
        .collect()
}

/// Returns the allocated bytes of the guest RAM memfd of the kernel `pid`.
fn physmem_bytes(pid: u32) -> u64 {
    let fds = std::fs::read_dir(format!("/proc/{pid}/fd")).expect("the kernel's fds");
    for fd in fds.flatten() {
        let target = std::fs::read_link(fd.path()).unwrap_or_default();
        if target.to_string_lossy().contains("memfd:physmem") {
            let meta = std::fs::metadata(fd.path()).expect("stat of the physmem memfd");
            return meta.blocks() * 512;
        }
    }
    panic!("no physmem memfd among the fds of {pid}");
}

/// The host memory of `./linux` at one moment.
#[derive(Debug, Clone, Copy)]
struct Usage {
    physmem: u64,
    kernel_anon: u64,
    stubs_anon: u64,
}

impl Usage {
    fn of(pid: u32) -> Usage {
        Usage {
            physmem: physmem_bytes(pid),
            kernel_anon: rss_anon(pid),
            stubs_anon: children(pid).into_iter().map(rss_anon).sum(),
        }
    }

    fn total(&self) -> u64 {
        self.physmem + self.kernel_anon + self.stubs_anon
    }
}

impl std::fmt::Display for Usage {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} MiB (guest RAM {} MiB, kernel anon {} MiB, stubs anon {} MiB)",
            self.total() / MIB,
            self.physmem / MIB,
            self.kernel_anon / MIB,
            self.stubs_anon / MIB
        )
    }
}

#[test]
fn host_memory_stays_within_mem_plus_overhead() {
    let mut run = Running::spawn(
        &mut linux(&[
            &ubd0r(),
            "mem=64M",
            "init=/bin/oom",
            "quiet",
            "--",
            "--hold",
        ]),
        true,
    );
    let pid = run.child.id();
    let mut seen = Vec::new();
    for marker in [
        "oom: holding tmpfs",
        "oom: freed tmpfs",
        "oom: holding pipes",
        "oom: freed pipes",
        "oom: holding sockets",
        "oom: freed sockets",
    ] {
        if !run.wait_for_stdout(marker) {
            let out = run.finish();
            panic!("no {marker:?} from the guest\n{out}");
        }
        let usage = Usage::of(pid);
        eprintln!("{marker}: {usage}");
        seen.push((marker, usage));
        let stdin = run.stdin.as_mut().expect("stdin is piped");
        stdin.write_all(b"\n").expect("write to the guest");
        stdin.flush().expect("flush");
    }
    let out = run.finish();
    assert_checks_passed(&out);
    for (marker, usage) in &seen {
        assert!(
            usage.total() <= MEM + OVERHEAD,
            "{marker}: {usage} is over mem= + {} MiB\n{out}",
            OVERHEAD / MIB
        );
    }
    // Held, guest RAM is nearly full (tmpfs and pipe data in its frames);
    // freed, it is given back to the host.
    for (held, freed) in [(0, 1), (2, 3), (4, 5)] {
        let (held, freed) = (seen[held], seen[freed]);
        assert!(
            held.1.total() >= MEM / 2,
            "{}: {} is not what the guest holds\n{out}",
            held.0,
            held.1
        );
        assert!(
            held.1.physmem >= MEM / 2 || held.0.contains("sockets"),
            "{}: {} is not in guest RAM\n{out}",
            held.0,
            held.1
        );
        assert!(
            freed.1.total() + MEM / 2 <= held.1.total(),
            "{}: {} did not drop from {}\n{out}",
            freed.0,
            freed.1,
            held.1
        );
    }
}
