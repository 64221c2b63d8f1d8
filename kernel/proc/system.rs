//! The system-wide files of /proc (proc(5)): meminfo from the frame
//! allocator and the page caches (MemTotal is exactly `mem=`), cpuinfo from the host's, one entry
//! per CPU the guest sees, uptime and stat since boot with CPU time summed
//! over processes, loadavg, version, partitions, cmdline, devices, swaps and
//! vmstat (the counters this kernel keeps).

use super::stat::{processor, ticks};
use crate::boot::kernel;
use crate::syscall::sched::process_times;
use crate::task::{all_processes, all_tasks, last_pid};
use arch::Result;
use std::fmt::Write;

/// /proc/vmstat: the counters of this kernel that Linux's has, by its
/// names (a subset).
pub fn vmstat() -> Result<Vec<u8>> {
    let k = kernel();
    let lines = [
        ("nr_free_pages", k.frames.free_frames()),
        (
            "nr_file_pages",
            crate::filemap::cached_pages() + k.frames.shmem_frames(),
        ),
        ("nr_shmem", k.frames.shmem_frames()),
        ("oom_kill", crate::oom::kills()),
    ];
    let mut s = String::new();
    for (name, v) in lines {
        let _ = writeln!(s, "{name} {v}");
    }
    Ok(s.into_bytes())
}

/// /proc/meminfo.
pub fn meminfo() -> Result<Vec<u8>> {
    let k = kernel();
    let kb = mm::PAGE_SIZE / 1024;
    let total = k.frames.total_frames() * kb;
    let free = k.frames.free_frames() * kb;
    let used = total - free.min(total);
    // tmpfs and shared anonymous memory count as Cached and Shmem, and are
    // on the anonymous lists, as in Linux; pipe buffers are in no line;
    // socket messages and queued signals are Slab, unreclaimable.
    let shmem = (k.frames.shmem_frames() * kb).min(used);
    let file = (crate::filemap::cached_pages() * kb).min(used - shmem);
    let pipes = (crate::pipe::buffer_pages() * kb).min(used - shmem - file);
    let slab = (crate::kmem::pages() * kb).min(used - shmem - file - pipes);
    let cached = file + shmem;
    let anon = used - cached - pipes - slab;
    let mut s = String::new();
    let lines: [(&str, u64); 38] = [
        ("MemTotal", total),
        ("MemFree", free),
        ("MemAvailable", free + file),
        ("Buffers", 0),
        ("Cached", cached),
        ("SwapCached", 0),
        ("Active", anon + cached),
        ("Inactive", 0),
        ("Active(anon)", anon + shmem),
        ("Inactive(anon)", 0),
        ("Active(file)", file),
        ("Inactive(file)", 0),
        ("Unevictable", 0),
        ("Mlocked", 0),
        ("SwapTotal", 0),
        ("SwapFree", 0),
        ("Zswap", 0),
        ("Zswapped", 0),
        ("Dirty", 0),
        ("Writeback", 0),
        ("AnonPages", anon),
        ("Mapped", 0),
        ("Shmem", shmem),
        ("KReclaimable", 0),
        ("Slab", slab),
        ("SReclaimable", 0),
        ("SUnreclaim", slab),
        ("KernelStack", 0),
        ("PageTables", 0),
        ("NFS_Unstable", 0),
        ("Bounce", 0),
        ("WritebackTmp", 0),
        ("CommitLimit", mm::commit::commit_limit_pages() * 4),
        ("Committed_AS", mm::commit::committed_pages() * 4),
        ("VmallocTotal", 34_359_738_367),
        ("VmallocUsed", 0),
        ("VmallocChunk", 0),
        ("Percpu", 0),
    ];
    for (name, v) in lines {
        let _ = writeln!(s, "{:<16}{v:>8} kB", format!("{name}:"));
    }
    for name in ["AnonHugePages", "ShmemHugePages", "ShmemPmdMapped"] {
        let _ = writeln!(s, "{:<16}{:>8} kB", format!("{name}:"), 0);
    }
    for name in ["FileHugePages", "FilePmdMapped"] {
        let _ = writeln!(s, "{:<16}{:>8} kB", format!("{name}:"), 0);
    }
    for name in ["Total", "Free", "Rsvd", "Surp"] {
        let _ = writeln!(s, "{:<19}{:>5}", format!("HugePages_{name}:"), 0);
    }
    let _ = writeln!(s, "{:<16}{:>8} kB", "Hugepagesize:", 2048);
    let _ = writeln!(s, "{:<16}{:>8} kB", "Hugetlb:", 0);
    let _ = writeln!(s, "{:<16}{:>8} kB", "DirectMap4k:", total);
    Ok(s.into_bytes())
}

/// /proc/cpuinfo: the host's entry for each CPU the guest sees, renumbered.
pub fn cpuinfo() -> Result<Vec<u8>> {
    let k = kernel();
    let n = k.host_cpus.len().max(1);
    let host = arch::host::cpu::cpuinfo();
    let mut s = String::new();
    for i in 0..n {
        let want = k.host_cpus.get(i).copied().unwrap_or(i);
        let block = host
            .iter()
            .find(|(cpu, _)| *cpu == want)
            .or_else(|| host.get(i % host.len().max(1)))
            .map_or("vendor_id\t: unknown", |(_, b)| b.as_str());
        for line in block.lines() {
            let key = line.split(':').next().unwrap_or("").trim_end();
            let value = match key {
                "processor" | "core id" | "apicid" | "initial apicid" => Some(i),
                "physical id" => Some(0),
                "siblings" | "cpu cores" => Some(n),
                _ => None,
            };
            match value {
                Some(v) => {
                    let _ = writeln!(s, "{}: {v}", &line[..line.find(':').unwrap_or(0)]);
                }
                None => {
                    let _ = writeln!(s, "{line}");
                }
            }
        }
        if !block.starts_with("processor") {
            s = format!("processor\t: {i}\n{s}");
        }
        s.push('\n');
    }
    Ok(s.into_bytes())
}

/// Returns the CPU time (user, system) in nanoseconds of every process, and
/// of the processes they reaped, per CPU the guest sees.
fn cpu_times() -> Vec<(u64, u64)> {
    let n = kernel().host_cpus.len().max(1);
    let mut per_cpu = vec![(0, 0); n];
    for p in all_processes() {
        let (u, s) = process_times(&p);
        let (cu, cs) = *p.children_times.borrow();
        let c = &mut per_cpu[processor(p.pid)];
        c.0 += u + cu;
        c.1 += s + cs;
    }
    per_cpu
}

/// Returns the idle time of a CPU that was busy for `busy` ns since boot.
fn idle(busy: u64) -> u64 {
    (crate::boot::uptime().as_nanos() as u64).saturating_sub(busy)
}

/// /proc/uptime: seconds since boot, and idle seconds summed over CPUs.
pub fn uptime() -> Result<Vec<u8>> {
    let up = crate::boot::uptime().as_secs_f64();
    let idle: u64 = cpu_times().iter().map(|(u, s)| idle(u + s)).sum();
    Ok(format!("{up:.2} {:.2}\n", idle as f64 / 1e9).into_bytes())
}

/// /proc/loadavg: no load average is kept yet (0.00); running and all
/// threads; the last pid handed out.
pub fn loadavg() -> Result<Vec<u8>> {
    let tasks = all_tasks();
    let running = tasks.iter().filter(|t| !t.waiter.is_sleeping()).count();
    let s = format!(
        "0.00 0.00 0.00 {}/{} {}\n",
        running.max(1),
        tasks.len(),
        last_pid()
    );
    Ok(s.into_bytes())
}

/// /proc/stat: CPU time in clock ticks, boot time, process counts.
pub fn stat() -> Result<Vec<u8>> {
    let per_cpu = cpu_times();
    let line = |name: &str, (u, s): (u64, u64)| {
        let idle = ticks(idle(u + s));
        format!("{name} {} 0 {} {idle} 0 0 0 0 0 0\n", ticks(u), ticks(s))
    };
    let total = per_cpu.iter().fold((0, 0), |a, c| (a.0 + c.0, a.1 + c.1));
    let idle_all: u64 = per_cpu.iter().map(|(u, s)| ticks(idle(u + s))).sum();
    let mut s = format!(
        "cpu  {} 0 {} {idle_all} 0 0 0 0 0 0\n",
        ticks(total.0),
        ticks(total.1)
    );
    for (i, c) in per_cpu.iter().enumerate() {
        s += &line(&format!("cpu{i}"), *c);
    }
    let (now, _) = arch::host::time::clock_gettime(0).unwrap_or((0, 0));
    let btime = now - crate::boot::uptime().as_secs() as i64;
    let tasks = all_tasks();
    let running = tasks.iter().filter(|t| !t.waiter.is_sleeping()).count();
    let _ = write!(
        s,
        "intr 0\nctxt 0\nbtime {btime}\nprocesses {}\nprocs_running {}\nprocs_blocked 0\n\
         softirq 0 0 0 0 0 0 0 0 0 0 0\n",
        last_pid(),
        running.max(1)
    );
    Ok(s.into_bytes())
}

/// /proc/version: the line `uname -srv` would make, as Linux prints it.
pub fn version() -> Result<Vec<u8>> {
    Ok(format!(
        "Linux version {} (root@linux-rs) (rustc) #1 SMP {}\n",
        crate::syscall::RELEASE,
        env!("CARGO_PKG_VERSION")
    )
    .into_bytes())
}

/// /proc/partitions: each disk and partition with its size in 1 KiB blocks.
pub fn partitions() -> Result<Vec<u8>> {
    let mut s = String::from("major minor  #blocks  name\n\n");
    for d in kernel().block.snapshot().all() {
        let dev = d.dev();
        let blocks = d.device().size() / 1024;
        let _ = writeln!(
            s,
            "{:4}  {:7} {:10} {}",
            fs::major(dev),
            fs::minor(dev),
            blocks,
            d.name()
        );
    }
    Ok(s.into_bytes())
}

/// /proc/cmdline: the kernel command line.
pub fn cmdline() -> Result<Vec<u8>> {
    Ok(format!("{}\n", kernel().cmdline).into_bytes())
}

/// /proc/devices: the device majors the kernel has drivers for.
pub fn devices() -> Result<Vec<u8>> {
    Ok(
        b"Character devices:\n  1 mem\n  4 /dev/vc/0\n  4 tty\n  5 /dev/tty\n  5 /dev/console\n\n\
         Block devices:\n 98 ubd\n"
            .to_vec(),
    )
}

/// /proc/swaps: no swap.
/// Woken when the swap areas change (never: there is no swapon here);
/// /proc/swaps is pollable for POLLPRI all the same, as systemd expects.
pub fn swaps_wait() -> &'static fs::WaitQueue {
    static SWAPS: std::sync::LazyLock<fs::WaitQueue> = std::sync::LazyLock::new(fs::WaitQueue::new);
    &SWAPS
}

pub fn swaps() -> Result<Vec<u8>> {
    Ok(b"Filename\t\t\t\tType\t\tSize\t\tUsed\t\tPriority\n".to_vec())
}
