//! The extended FPU/vector state (XSAVE area) of a stub. Its size is whatever this
//! host's CPU and kernel report — about 11 KiB with AMX — so it is probed, never
//! assumed. The state stays inside the stub while guest code runs; the kernel copies
//! it only where a guest can see it (fork, signal frames, exec).

use super::{errno_from_host, Stub};
use crate::abi::errno::{Errno, Result};
use nix::errno::Errno as HostErrno;
use std::sync::OnceLock;

/// The regset of the XSAVE area. nix's `getregset` knows only fixed-size sets
/// (NT_PRSTATUS, NT_PRFPREG), so this one is read and written through libc.
const NT_X86_XSTATE: libc::c_int = 0x202;
/// Larger than any XSAVE area a CPU reports today; the host trims it.
const PROBE_SIZE: usize = 64 * 1024;

static XSTATE_SIZE: OnceLock<usize> = OnceLock::new();

/// Returns the size of the host's ptrace XSAVE area, once a stub has been probed.
pub fn xstate_size() -> Option<usize> {
    XSTATE_SIZE.get().copied()
}

impl Stub {
    /// Returns the stub's XSAVE area (the guest's FPU, SSE, AVX, AVX-512, AMX state).
    pub fn get_xstate(&self) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; xstate_size().unwrap_or(PROBE_SIZE)];
        let mut iov = libc::iovec {
            iov_base: buf.as_mut_ptr().cast(),
            iov_len: buf.len(),
        };
        // SAFETY: iov describes buf, which outlives the call; the host writes at most
        // iov_len bytes and stores the length it wrote back into iov.
        let r = unsafe {
            libc::ptrace(
                libc::PTRACE_GETREGSET,
                self.pid,
                NT_X86_XSTATE,
                &mut iov as *mut _,
            )
        };
        if r < 0 {
            return Err(errno_from_host(HostErrno::last()));
        }
        buf.truncate(iov.iov_len);
        let _ = XSTATE_SIZE.set(iov.iov_len);
        Ok(buf)
    }

    /// Loads an XSAVE area taken by `get_xstate` into the stub.
    pub fn set_xstate(&self, state: &[u8]) -> Result<()> {
        if Some(state.len()) != xstate_size() {
            return Err(Errno::EINVAL);
        }
        let mut iov = libc::iovec {
            iov_base: state.as_ptr() as *mut libc::c_void,
            iov_len: state.len(),
        };
        // SAFETY: the host only reads iov_len bytes from state for SETREGSET.
        let r = unsafe {
            libc::ptrace(
                libc::PTRACE_SETREGSET,
                self.pid,
                NT_X86_XSTATE,
                &mut iov as *mut _,
            )
        };
        if r < 0 {
            return Err(errno_from_host(HostErrno::last()));
        }
        Ok(())
    }
}

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
