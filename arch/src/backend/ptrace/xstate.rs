//! The extended FPU/vector state (XSAVE area) of a stub. Its size is whatever this
//! host's CPU and kernel report — about 11 KiB with AMX — so it is probed, never
//! assumed. The state stays inside the stub while guest code runs; the kernel copies
//! it only where a guest can see it (fork, signal frames, exec). The XSAVE
//! components of signal frames are the host CPU's business (`host::xsave`).

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

/// Returns the size of the host's ptrace XSAVE area, which `probe` has found
/// before the first stub was handed out.
pub(super) fn xstate_size() -> usize {
    *XSTATE_SIZE
        .get()
        .expect("the XSAVE size is probed before any stub is used")
}

/// Learns the size of the host's XSAVE area from `stub` if it is not known yet.
pub(super) fn probe(stub: &Stub) -> Result<()> {
    if XSTATE_SIZE.get().is_none() {
        stub.read_xstate()?;
    }
    Ok(())
}

impl Stub {
    /// Returns the stub's XSAVE area (the guest's FPU, SSE, AVX, AVX-512, AMX state).
    pub(super) fn read_xstate(&self) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; XSTATE_SIZE.get().copied().unwrap_or(PROBE_SIZE)];
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

    /// Loads an XSAVE area of `xstate_size` bytes into the stub.
    pub(super) fn write_xstate(&self, state: &[u8]) -> Result<()> {
        if Some(&state.len()) != XSTATE_SIZE.get() {
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
