//! What the host CPU offers guests: hardware capability words for the auxiliary
//! vector, and the number of CPUs.

/// Returns `AT_HWCAP` as Linux computes it on x86: CPUID leaf 1, EDX. (The host's
/// own auxiliary vector cannot be asked: glibc replaces AT_HWCAP with bits of its own.)
pub fn hwcap() -> u64 {
    // SAFETY: CPUID exists on every x86_64 CPU and has no side effects.
    #[allow(unused_unsafe)]
    let leaf = unsafe { core::arch::x86_64::__cpuid(1) };
    leaf.edx as u64
}

/// Returns `AT_HWCAP2` of the host (FSGSBASE and friends), which guests running in
/// stubs on this CPU also have.
pub fn hwcap2() -> u64 {
    // SAFETY: as above.
    unsafe { libc::getauxval(libc::AT_HWCAP2) }
}

/// Returns the minimum signal stack size the host reports (`AT_MINSIGSTKSZ`), which
/// grows with the XSAVE area.
pub fn minsigstksz() -> u64 {
    // SAFETY: as above.
    unsafe { libc::getauxval(51) }
}

/// Returns the number of host CPUs this process may run on.
pub fn online_cpus() -> usize {
    std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// Binds the host thread or process `tid` (0: the calling thread) to host CPU `cpu`.
/// A task's kernel thread and its stub hand control back and forth on every trap;
/// on the same CPU that hand-off needs no cross-CPU wake-up, which in a virtual
/// machine costs an exit to the hypervisor.
pub fn pin(tid: i32, cpu: usize) {
    // SAFETY: an all-zero cpu_set_t is the empty set.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: CPU_SET writes a bit of the set; cpu is reduced below the set's size.
    unsafe { libc::CPU_SET(cpu % libc::CPU_SETSIZE as usize, &mut set) };
    // SAFETY: sched_setaffinity reads one cpu_set_t from a valid pointer.
    let r = unsafe { libc::sched_setaffinity(tid, std::mem::size_of::<libc::cpu_set_t>(), &set) };
    if r != 0 {
        log::debug!(
            "cannot bind {tid} to CPU {cpu}: {}",
            std::io::Error::last_os_error()
        );
    }
}

/// Returns the host CPUs this process may run on, in order.
pub fn allowed_cpus() -> Vec<usize> {
    // SAFETY: an all-zero cpu_set_t is a valid value; sched_getaffinity fills it.
    let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
    // SAFETY: as above, with the set's real size.
    let r = unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) };
    if r != 0 {
        return vec![0];
    }
    // SAFETY: CPU_ISSET only reads the set.
    let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize)
        .filter(|&c| unsafe { libc::CPU_ISSET(c, &set) })
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

/// Gives host process `pid` the nice value `nice` (a guest task's, for the
/// stub running its code). Failures (a lower value without privilege) are
/// only logged: the guest's own bookkeeping is what the guest sees.
pub fn set_nice(pid: i32, nice: i32) {
    if pid <= 0 {
        return;
    }
    // SAFETY: setpriority takes plain integers.
    let r = unsafe { libc::setpriority(libc::PRIO_PROCESS, pid as libc::id_t, nice) };
    if r != 0 {
        log::debug!(
            "cannot set the nice value of {pid} to {nice}: {}",
            std::io::Error::last_os_error()
        );
    }
}
