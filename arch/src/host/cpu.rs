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
