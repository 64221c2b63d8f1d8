//! The execution backend: how guest code runs on the host, the layer UML calls
//! skas. The kernel sees it through three narrow traits and never through a host
//! process or pid:
//!
//! - `Backend` creates a guest CPU for each new task;
//! - `GuestCpu`, owned by the task's kernel thread, runs guest code until it
//!   traps (`run`), takes batches of changes to its host mappings (`queue`: the
//!   CPU's TLB) and gives the register template and the XSAVE area;
//! - `CpuHandle`, shared with other threads, kicks the CPU out of guest code
//!   (the kernel's IPI) and reports the host CPU time its guest code has used.
//!
//! Two implementations: `ptrace` (stub processes under `PTRACE_SYSEMU`) and
//! `seccomp` (stub processes whose own signal handler reports traps through
//! shared memory). The kernel holds CPUs as trait objects: one indirect call per
//! trap costs nothing beside a host context switch.

mod debugreg;
mod host_tlb;
pub mod ptrace;
pub mod seccomp;
mod stub_process;
mod trap;

pub use trap::{FaultKind, MapOp, Trap};

use crate::abi::errno::Result;
use crate::abi::regs::UserRegs;
use crate::physmem::PhysMem;
use std::sync::Arc;

/// The end of the guest's address space: guests see addresses below it only,
/// and every backend keeps its own code and data at or above it.
pub const TASK_SIZE: u64 = 0x7ffe_0000_0000;

/// A way of running guest code: creates the guest CPUs of tasks.
pub trait Backend: Send + Sync {
    /// Creates a guest CPU for a new task, usable only from the calling thread
    /// (the task's kernel thread). Its guest memory is `physmem`; `data` is the
    /// physical address of a page the backend may use for itself, which the
    /// caller owns until the CPU is dropped. `share` is the CPU of a task
    /// whose address space the new task shares (a thread, a vfork child):
    /// the backend may let the two share their host mappings too.
    fn spawn(
        &self,
        physmem: &Arc<PhysMem>,
        data: u64,
        share: Option<&Arc<dyn CpuHandle>>,
    ) -> Result<Box<dyn GuestCpu>>;

    /// Returns the host CPU the kernel thread of a task whose guest CPU is
    /// host CPU `cpu` runs on: that CPU, unless the backend keeps kernel
    /// threads apart from guest code.
    fn kernel_cpu(&self, cpu: usize) -> usize {
        cpu
    }
}

/// One task's CPU: where its guest code runs, with its own host mappings of the
/// task's address space (its TLB) and its FPU and vector state.
pub trait GuestCpu {
    /// Runs guest code with `regs` until the next trap and stores the guest's
    /// registers back into `regs`. Applies queued mapping changes first; a kick
    /// that arrived since the last run is reported before guest code runs.
    fn run(&mut self, regs: &mut UserRegs) -> Result<Trap>;

    /// Queues a change of host mappings; it takes effect before guest code runs
    /// again (changes are batched: fork, exec and fault-around make long runs).
    fn queue(&mut self, op: MapOp);

    /// Applies the queued mapping changes now. The kernel calls it before it
    /// lets other tasks run kernel code (frames a change released may be reused
    /// then): a backend whose guest code might still run while it is in the
    /// kernel must not leave them for `run`.
    fn commit(&mut self) -> Result<()> {
        Ok(())
    }

    /// Makes the CPU stop sharing host mappings with the CPUs of other tasks:
    /// its task now has an address space of its own (exec). Its host
    /// mappings may all be gone afterwards, and its guest registers and
    /// XSAVE state are those of a new context until the kernel sets them.
    fn unshare(&mut self) -> Result<()> {
        Ok(())
    }

    /// Returns the register template for new guest contexts: segment selectors
    /// and flags as the host set them for a fresh 64-bit process.
    fn initial_regs(&self) -> UserRegs;

    /// Returns the size of the XSAVE areas `get_xstate` returns and `set_xstate`
    /// takes, as this host's CPU has it (about 11 KiB with AMX).
    fn xstate_size(&self) -> usize;

    /// Returns the guest's XSAVE area (x87, SSE, AVX, AVX-512, AMX state). Only
    /// where a guest can see it: this is a copy of several KiB.
    fn get_xstate(&self) -> Result<Vec<u8>>;

    /// Loads an XSAVE area of `xstate_size` bytes (EINVAL for another size).
    fn set_xstate(&mut self, state: &[u8]) -> Result<()>;

    /// Arms the guest thread's hardware breakpoints and watchpoints: the
    /// x86 debug registers DR0-DR3 (`addr`) and DR7 (`dr7`), which the
    /// caller has checked as Linux checks a debugger's values.
    fn set_debugregs(&mut self, addr: &[u64; 4], dr7: u64) -> Result<()>;

    /// Returns DR6 as the host set it at the guest's last debug trap:
    /// which of the breakpoints fired (bits 0 to 3).
    fn debug_status(&mut self) -> Result<u64>;

    /// Returns the handle by which other threads reach this CPU. After the CPU
    /// is dropped the handle does nothing and reports no CPU time.
    fn handle(&self) -> Arc<dyn CpuHandle>;
}

/// What any thread may do to a guest CPU, whichever thread owns it.
pub trait CpuHandle: Send + Sync {
    /// Interrupts guest code running on the CPU: its `run` returns `Trap::Kick`
    /// (or the trap that came first). Harmless when no guest code runs.
    fn kick(&self);

    /// Returns the host CPU time the CPU's guest code has used, in nanoseconds.
    fn cpu_time_ns(&self) -> u64;

    /// Binds the host side of the CPU to host CPU `cpu`.
    fn pin(&self, cpu: usize);

    /// Gives the host side of the CPU the host priority of a guest task with
    /// nice value `nice` (see `host::cpu::host_nice`).
    fn set_nice(&self, nice: i32);

    /// Removes the CPU's host mappings of the `(address, length)` ranges at
    /// once, whether or not its guest code runs, and returns true; or returns
    /// false, doing nothing, if the backend can only do it in its owner's
    /// `run`, before guest code runs again (then the caller must stop the CPU's
    /// guest code and queue the change there).
    fn unmap_now(&self, _ranges: &[(u64, u64)]) -> bool {
        false
    }

    /// Returns the handle as `Any`, for its backend's own use (`share`).
    fn as_any(&self) -> &dyn std::any::Any;
}
