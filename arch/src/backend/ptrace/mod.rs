//! The ptrace backend: stub processes, the host processes in which guest code
//! runs, one per guest thread, each a "CPU with its own TLB" for the address
//! space it serves.
//!
//! A stub is the tiny static program of `arch/stub/stub.S`, started from a sealed
//! memfd with `execveat` and traced (`PTRACE_TRACEME` before exec, so the tracer is
//! exactly the kernel thread that spawned it). Its code page and one data page live
//! at fixed addresses above the guest's address space (`TASK_SIZE`); at start it
//! maps its data page from physmem and unmaps everything else. Address-space
//! operations are batched into the data page and run inside the stub (`Stub::flush`).
//! The addresses and the data page's layout are defined once (`layout`), for this
//! module and for the stub's assembly, which build.rs assembles with them.
//! Guest code runs under `PTRACE_SYSEMU` (`Stub::run`, in `run.rs`). Other threads
//! reach a stub through its `StubHandle` (`handle.rs`).

mod handle;
pub mod layout;
mod run;
mod spawn;
mod xstate;

pub use spawn::PtraceBackend;

use crate::abi::errno::Result;
use crate::abi::pod::{as_bytes, as_bytes_mut, slice_as_bytes};
use crate::abi::regs::UserRegs;
use crate::backend::host_tlb::HostTlb;
use crate::backend::stub_process::{self, errno_from_host, request};
use crate::backend::{CpuHandle, GuestCpu, MapOp, Trap};
use crate::physmem::PhysMem;
use handle::StubHandle;
use layout::{StubData, StubDataHead, StubRequest, STUB_MAX_REQS};
use layout::{STUB_CODE, STUB_RUN_OFFSET};
use nix::errno::Errno as HostErrno;
use std::mem::offset_of;
use std::sync::Arc;

/// The entry that runs the batch of requests in the data page.
const STUB_RUN: u64 = STUB_CODE + STUB_RUN_OFFSET;

/// A traced stub process. Only the thread that spawned it may use it.
struct Stub {
    pid: libc::pid_t,
    /// What other threads hold to kick the stub or read its CPU time.
    handle: Arc<StubHandle>,
    physmem: Arc<PhysMem>,
    /// Physical address of the stub's data page.
    data: u64,
    /// The registers of the stub at its start, the template for stub runs.
    template: UserRegs,
    /// The size of the host's XSAVE area (`xstate::probe`).
    xstate_size: usize,
    /// Requests queued but not yet run.
    pending: Vec<MapOp>,
    /// What the stub maps now.
    tlb: HostTlb,
    /// A kick arrived while stub code ran: the next `run` reports it instead of
    /// running guest code.
    kicked: bool,
}

impl GuestCpu for Stub {
    fn run(&mut self, regs: &mut UserRegs) -> Result<Trap> {
        self.run_guest(regs)
    }

    fn queue(&mut self, op: MapOp) {
        self.pending.push(op);
    }

    fn initial_regs(&self) -> UserRegs {
        UserRegs {
            cs: self.template.cs,
            ss: self.template.ss,
            ds: self.template.ds,
            es: self.template.es,
            fs: self.template.fs,
            gs: self.template.gs,
            eflags: 0x202,
            ..UserRegs::default()
        }
    }

    fn xstate_size(&self) -> usize {
        self.xstate_size
    }

    fn get_xstate(&self) -> Result<Vec<u8>> {
        self.read_xstate()
    }

    fn set_xstate(&mut self, state: &[u8]) -> Result<()> {
        self.write_xstate(state)
    }

    fn set_debugregs(&mut self, addr: &[u64; 4], dr7: u64) -> Result<()> {
        crate::backend::debugreg::set(self.pid, addr, dr7)
    }

    fn debug_status(&mut self) -> Result<u64> {
        crate::backend::debugreg::dr6(self.pid)
    }

    fn handle(&self) -> Arc<dyn CpuHandle> {
        self.handle.clone()
    }
}

impl Stub {
    /// Runs all queued mapping changes inside the stub. Returns the host errno of the
    /// first that failed (and drops the rest).
    fn flush(&mut self) -> Result<()> {
        let head_at = self.data + offset_of!(StubData, head) as u64;
        self.pending = self.tlb.filter(std::mem::take(&mut self.pending));
        while !self.pending.is_empty() {
            let n = self.pending.len().min(STUB_MAX_REQS);
            let reqs: Vec<StubRequest> = self.pending.drain(..n).map(|op| request(&op)).collect();
            let head = StubDataHead {
                count: n as u64,
                ..Default::default()
            };
            self.physmem.write(head_at, as_bytes(&head));
            self.physmem.write(
                self.data + offset_of!(StubData, reqs) as u64,
                slice_as_bytes(&reqs),
            );
            let regs = UserRegs {
                rip: STUB_RUN,
                orig_rax: u64::MAX,
                ..self.template
            };
            self.run_stub_code(&regs)?;
            let mut head = StubDataHead::default();
            self.physmem.read(head_at, as_bytes_mut(&mut head));
            let StubDataHead {
                result,
                failed: index,
                ..
            } = head;
            if result != 0 {
                self.pending.clear();
                log::error!(
                    "stub {}: mapping request {index} failed: host errno {}",
                    self.pid,
                    -result
                );
                return Err(errno_from_host(HostErrno::from_raw(-result as i32)));
            }
        }
        Ok(())
    }
}

impl Drop for Stub {
    fn drop(&mut self) {
        // Other threads may hold the handle: make it forget the pid before the
        // pid is reaped and can be reused.
        self.handle.detach();
        stub_process::kill_and_reap(self.pid);
    }
}
