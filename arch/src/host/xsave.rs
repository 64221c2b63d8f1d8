//! The host CPU's XSAVE features as Linux puts them in user signal frames. They
//! depend on the CPU (XCR0 and CPUID leaf 0xD), not on how guest code runs, so
//! every backend's guests see the same frames.

use std::sync::OnceLock;

/// The XSAVE components a user signal frame carries, and the size of the standard
/// (non-compacted) XSAVE area holding them: every component the host enables for
/// user space except AMX tile data, which Linux leaves out of frames unless a
/// process has asked for it (`ARCH_REQ_XCOMP_PERM`, which guests cannot).
#[derive(Clone, Copy, Debug)]
pub struct SigframeXstate {
    pub xfeatures: u64,
    pub size: usize,
}

/// XFEATURE 18: AMX tile data.
const XFEATURE_TILEDATA: u32 = 18;

/// Returns the signal-frame XSAVE geometry of this host.
pub fn sigframe_xstate() -> SigframeXstate {
    static GEOMETRY: OnceLock<SigframeXstate> = OnceLock::new();
    *GEOMETRY.get_or_init(|| {
        let (lo, hi): (u32, u32);
        // SAFETY: XGETBV with ECX=0 reads XCR0; every CPU this kernel runs on has
        // XSAVE (x86_64 Linux hosts with AVX do), and it has no side effects.
        unsafe {
            core::arch::asm!("xgetbv", in("ecx") 0, out("eax") lo, out("edx") hi,
                options(nomem, nostack, preserves_flags));
        }
        let xcr0 = (hi as u64) << 32 | lo as u64;
        let xfeatures = xcr0 & !(1 << XFEATURE_TILEDATA);
        let mut size = 576;
        for i in 2..63 {
            if xfeatures & (1 << i) == 0 {
                continue;
            }
            // CPUID leaf 0xD exists when XSAVE does; it has no side effects.
            let leaf = core::arch::x86_64::__cpuid_count(0xd, i);
            size = size.max(leaf.ebx as usize + leaf.eax as usize);
        }
        SigframeXstate { xfeatures, size }
    })
}
