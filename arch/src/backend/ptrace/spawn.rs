//! Starting a stub, the ptrace backend's `spawn`: fork, trace, exec the stub
//! image from a sealed memfd, and run its start-up code, which maps the data page
//! and clears the address space.

use super::{errno_from_host, xstate, Stub, StubHandle};
use crate::abi::errno::{Errno, Result};
use crate::abi::regs::UserRegs;
use crate::backend::stub_process;
use crate::backend::{Backend, CpuHandle, GuestCpu};
use crate::physmem::PhysMem;
use nix::sys::ptrace;
use nix::unistd::Pid;
use std::os::fd::{AsRawFd, OwnedFd};
use std::sync::Arc;

/// The ptrace backend: starts a stub for every guest CPU from the stub program,
/// kept in a sealed memfd.
pub struct PtraceBackend {
    /// A read-only descriptor of the sealed memfd holding the stub program.
    image: OwnedFd,
}

impl PtraceBackend {
    /// Stores the stub program `elf` (built by build.rs) in a sealed memfd from
    /// which every stub is executed.
    pub fn new(elf: &[u8]) -> std::io::Result<PtraceBackend> {
        Ok(PtraceBackend {
            image: stub_process::sealed_image(c"linux-stub", elf)?,
        })
    }
}

impl Backend for PtraceBackend {
    /// Every task has a stub of its own: `share` is not used.
    fn spawn(
        &self,
        physmem: &Arc<PhysMem>,
        data: u64,
        _share: Option<&Arc<dyn CpuHandle>>,
    ) -> Result<Box<dyn GuestCpu>> {
        let mut stub = Stub::spawn(self.image.as_raw_fd(), physmem.clone(), data)?;
        stub.xstate_size = xstate::probe(&stub)?;
        Ok(Box::new(stub))
    }
}

impl Stub {
    /// Starts a stub from the program in `image`, traced by the calling thread, with
    /// its data page at physical address `data` (a frame the caller owns for the
    /// stub's lifetime).
    fn spawn(image: i32, physmem: Arc<PhysMem>, data: u64) -> Result<Stub> {
        let pid = stub_process::fork_stub(image, &[physmem.raw_fd()], true)?;
        let mut stub = Stub {
            pid,
            handle: Arc::new(StubHandle::new(pid)),
            physmem,
            data,
            template: UserRegs::default(),
            xstate_size: 0,
            pending: Vec::new(),
            tlb: Default::default(),
            kicked: false,
        };
        // The child stops with SIGTRAP after its execveat.
        match stub.wait_stop() {
            Some(libc::SIGTRAP) => {}
            other => {
                log::error!("stub {pid} did not start (stop {other:?})");
                return Err(Errno::EIO);
            }
        }
        let options = ptrace::Options::PTRACE_O_EXITKILL | ptrace::Options::PTRACE_O_TRACESYSGOOD;
        ptrace::setoptions(Pid::from_raw(pid), options).map_err(errno_from_host)?;
        stub.template = stub.get_regs()?;
        let start = UserRegs {
            rdi: data,
            orig_rax: u64::MAX,
            ..stub.template
        };
        let regs = stub.run_stub_code(&start)?;
        if regs.rax != 0 {
            log::error!(
                "stub {pid}: start-up failed: host errno {}",
                -(regs.rax as i64)
            );
            return Err(Errno::EIO);
        }
        Ok(stub)
    }
}
