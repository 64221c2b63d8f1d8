//! What the host CPU offers guests: hardware capability words for the auxiliary
//! vector, and the number of CPUs.

use nix::errno::Errno;
use nix::sched::{sched_getaffinity, sched_setaffinity, CpuSet};
use nix::sys::resource::{getrlimit, Resource};
use nix::unistd::Pid;

/// Returns `AT_HWCAP` as Linux computes it on x86: CPUID leaf 1, EDX. (The host's
/// own auxiliary vector cannot be asked: glibc replaces AT_HWCAP with bits of its own.)
pub fn hwcap() -> u64 {
    // CPUID exists on every x86_64 CPU and has no side effects.
    let leaf = core::arch::x86_64::__cpuid(1);
    leaf.edx as u64
}

/// Returns `AT_HWCAP2` of the host (FSGSBASE and friends), which guests running in
/// stubs on this CPU also have.
pub fn hwcap2() -> u64 {
    // SAFETY: getauxval only reads the auxiliary vector the host gave this
    // process, and returns 0 for a type it does not hold. (nix has no wrapper.)
    unsafe { libc::getauxval(libc::AT_HWCAP2) }
}

/// Returns the minimum signal stack size the host reports (`AT_MINSIGSTKSZ`), which
/// grows with the XSAVE area.
pub fn minsigstksz() -> u64 {
    // SAFETY: as in `hwcap2`.
    unsafe { libc::getauxval(51) }
}

/// Binds the host thread or process `tid` (0: the calling thread) to host CPU `cpu`.
/// A task's kernel thread and its stub hand control back and forth on every trap;
/// on the same CPU that hand-off needs no cross-CPU wake-up, which in a virtual
/// machine costs an exit to the hypervisor.
pub fn pin(tid: i32, cpu: usize) {
    pin_set(tid, &[cpu]);
}

/// Binds host thread `tid` to the host CPUs `cpus`.
pub fn pin_set(tid: i32, cpus: &[usize]) {
    let mut set = CpuSet::new();
    let r = cpus
        .iter()
        .try_for_each(|&c| set.set(c % CpuSet::count()))
        .and_then(|()| sched_setaffinity(Pid::from_raw(tid), &set));
    if let Err(e) = r {
        log::debug!("cannot bind {tid} to CPUs {cpus:?}: {e}");
    }
}

/// Returns the host CPUs this process may run on, in order: its main thread's,
/// which is never pinned (the threads that run tasks are).
pub fn allowed_cpus() -> Vec<usize> {
    let Ok(set) = sched_getaffinity(nix::unistd::getpid()) else {
        return vec![0];
    };
    let cpus: Vec<usize> = (0..CpuSet::count())
        .filter(|&c| set.is_set(c).unwrap_or(false))
        .collect();
    if cpus.is_empty() {
        vec![0]
    } else {
        cpus
    }
}

/// Returns the host's /proc/cpuinfo split into one block of "key\t: value"
/// lines per host CPU, indexed by the CPU number of its "processor" line;
/// empty if it cannot be read.
pub fn cpuinfo() -> Vec<(usize, String)> {
    let Ok(text) = std::fs::read_to_string("/proc/cpuinfo") else {
        return Vec::new();
    };
    text.split("\n\n")
        .filter(|b| !b.trim().is_empty())
        .map(|block| {
            let cpu = block
                .lines()
                .find_map(|l| l.strip_prefix("processor"))
                .and_then(|v| v.trim_start_matches([' ', '\t', ':']).trim().parse().ok())
                .unwrap_or(0);
            (cpu, block.trim_end().to_string())
        })
        .collect()
}

/// Returns the nice value `./linux` itself was started with.
fn base_nice() -> i32 {
    static BASE: std::sync::OnceLock<i32> = std::sync::OnceLock::new();
    *BASE.get_or_init(|| {
        // -1 is a valid nice value, so errno is what tells failure apart.
        Errno::clear();
        // SAFETY: getpriority takes and returns plain integers. (nix has no
        // wrapper of getpriority or setpriority.)
        let n = unsafe { libc::getpriority(libc::PRIO_PROCESS, std::process::id()) };
        if Errno::last_raw() != 0 {
            0
        } else {
            n
        }
    })
}

/// Returns the host nice value of a stub whose guest task has nice value
/// `nice`: the guest's value on top of `./linux`'s own, and never more
/// favourable than that, whatever the host would allow (a guest root must not
/// raise host priority).
pub fn host_nice(nice: i32) -> i32 {
    let base = base_nice();
    (base + nice.max(0)).clamp(base, 19)
}

/// Gives host process `pid` the nice value of a guest task with nice value
/// `nice` (for the stub running its code; see `host_nice`). Failures are
/// only logged: the guest's own bookkeeping is what the guest sees.
pub fn set_nice(pid: i32, nice: i32) {
    if pid <= 0 {
        return;
    }
    let nice = host_nice(nice);
    // SAFETY: setpriority takes plain integers.
    let r = unsafe { libc::setpriority(libc::PRIO_PROCESS, pid as libc::id_t, nice) };
    if r != 0 {
        log::debug!(
            "cannot set the nice value of {pid} to {nice}: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// Returns how many tasks (threads and processes) the host lets this kernel
/// have at most: half of the host's `pid_max` and `threads-max`, and the
/// `RLIMIT_NPROC` of the user running it, whichever is least.
pub fn host_task_capacity() -> usize {
    let read =
        |path: &str| -> Option<usize> { std::fs::read_to_string(path).ok()?.trim().parse().ok() };
    let mut cap = usize::MAX;
    for path in ["/proc/sys/kernel/pid_max", "/proc/sys/kernel/threads-max"] {
        if let Some(n) = read(path) {
            cap = cap.min(n / 2);
        }
    }
    if let Ok((soft, _)) = getrlimit(Resource::RLIMIT_NPROC) {
        if soft != libc::RLIM_INFINITY {
            cap = cap.min(soft as usize);
        }
    }
    cap
}
