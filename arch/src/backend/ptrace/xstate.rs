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

/// Returns the size of the host's ptrace XSAVE area, asking the host through
/// `stub` the first time.
pub(super) fn probe(stub: &Stub) -> Result<usize> {
    if let Some(&size) = XSTATE_SIZE.get() {
        return Ok(size);
    }
    let size = stub.getregset(PROBE_SIZE)?.len();
    Ok(*XSTATE_SIZE.get_or_init(|| size))
}

impl Stub {
    /// Returns the stub's XSAVE area (the guest's FPU, SSE, AVX, AVX-512, AMX state).
    pub(super) fn read_xstate(&self) -> Result<Vec<u8>> {
        self.getregset(self.xstate_size)
    }

    /// Returns at most `len` bytes of the stub's XSAVE area: as many as the host has.
    fn getregset(&self, len: usize) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; len];
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
        Ok(buf)
    }

    /// Loads an XSAVE area of `xstate_size` bytes into the stub.
    pub(super) fn write_xstate(&self, state: &[u8]) -> Result<()> {
        if state.len() != self.xstate_size {
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
