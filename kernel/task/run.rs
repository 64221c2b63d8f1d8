//! The life of a task's host thread: take the kernel lock, start a stub, then loop
//! running guest code and handling what stopped it — the pull-style loop of
//! `match stub.run(..) { Trap::Syscall => .., Trap::PageFault => .. }`.

use super::{locked, Task};
use crate::lock;
use crate::syscall::{self, SyscallContext};
use arch::stub::{FaultKind, MapOp, Stub, Trap};
use arch::UserRegs;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Linux's signal numbers the kernel raises itself before signals exist for real.
pub const SIGKILL: i32 = 9;
pub const SIGSEGV: i32 = 11;
pub const SIGBUS: i32 = 7;

/// How a new task's thread begins.
pub enum Start {
    /// Execute the first of `paths` that works, with `args` after the path as argv
    /// (init).
    Exec {
        paths: Vec<Vec<u8>>,
        args: Vec<Vec<u8>>,
        envp: Vec<Vec<u8>>,
    },
    /// Continue from these registers and this XSAVE state (a forked child).
    Resume {
        regs: UserRegs,
        xstate: Option<Vec<u8>>,
    },
}

/// Starts the host thread of `task`.
pub fn start_task(task: Arc<Task>, start: Start) -> std::io::Result<()> {
    std::thread::Builder::new()
        .name(format!("task-{}", task.tid))
        .stack_size(1 << 20)
        .spawn(move || task_main(task, start))
        .map(|_| ())
}

fn task_main(task: Arc<Task>, start: Start) {
    lock::enter();
    let k = crate::boot::kernel();
    let data = match k.frames.alloc() {
        Ok(f) => f,
        Err(_) => return super::do_exit(&task, super::ExitStatus::Signaled(SIGKILL)),
    };
    let mut stub = match Stub::spawn(k.physmem.clone(), data) {
        Ok(s) => s,
        Err(e) => {
            log::error!("task {}: cannot start a stub: {e}", task.tid);
            k.frames.put(data);
            return super::do_exit(&task, super::ExitStatus::Signaled(SIGKILL));
        }
    };
    task.stub_pid.store(stub.pid(), Ordering::Relaxed);
    // Each task is a virtual CPU: its thread and stub share one host CPU, spread
    // over the CPUs by task id so that tasks still run in parallel.
    let cpus = &k.host_cpus;
    let cpu = cpus[task.tid as usize % cpus.len()];
    arch::host::cpu::pin(0, cpu);
    arch::host::cpu::pin(stub.pid(), cpu);
    let mut regs = UserRegs::default();
    let mut ctx = SyscallContext {
        task: &task,
        regs: &mut regs,
        stub: &mut stub,
        exit: None,
    };
    match start {
        Start::Resume { regs, xstate } => {
            *ctx.regs = regs;
            if let Some(x) = xstate {
                if let Err(e) = ctx.stub.set_xstate(&x) {
                    log::warn!("task {}: cannot copy the FPU state: {e}", task.tid);
                }
            }
        }
        Start::Exec { paths, args, envp } => exec_init(&mut ctx, paths, args, envp),
    }
    run_loop(ctx);
    k.frames.put(data);
}

/// Runs init, as Linux's `kernel_init`: the requested program, or the first of the
/// usual places that works; a kernel panic if none does.
fn exec_init(
    ctx: &mut SyscallContext,
    paths: Vec<Vec<u8>>,
    args: Vec<Vec<u8>>,
    envp: Vec<Vec<u8>>,
) {
    let mut last = None;
    for path in &paths {
        let mut argv = vec![path.clone()];
        argv.extend(args.iter().cloned());
        match crate::exec::execve(ctx, path, argv, envp.clone()) {
            Ok(()) => return,
            Err(e) => {
                log::warn!(
                    "Run {} as init process: error -{}",
                    String::from_utf8_lossy(path),
                    e.as_i32()
                );
                last = Some((path, e));
            }
        }
    }
    match (paths.len(), last) {
        (1, Some((path, e))) => crate::panic::panic(&format!(
            "Requested init {} failed (error -{}).",
            String::from_utf8_lossy(path),
            e.as_i32()
        )),
        _ => crate::panic::panic("No working init found.  Try passing init= option to kernel."),
    }
}

fn run_loop(mut ctx: SyscallContext) {
    loop {
        queue_tlb_flushes(ctx.stub, &mut locked(&ctx.task.mm()));
        lock::leave();
        let trap = ctx.stub.run(ctx.regs);
        lock::enter();
        let result = match trap {
            Ok(Trap::Syscall) => {
                syscall::dispatch(&mut ctx);
                Ok(())
            }
            Ok(Trap::PageFault { addr, kind }) => page_fault(&mut ctx, addr, kind),
            Ok(Trap::Signal { signo, code, addr }) => {
                log::debug!(
                    "task {}: signal {signo} (code {code}, addr {addr:#x}) at {:#x}",
                    ctx.task.tid,
                    ctx.regs.rip
                );
                Err(signo)
            }
            Ok(Trap::Kick) => Ok(()),
            Ok(Trap::Died) | Err(_) => Err(SIGKILL),
        };
        if let Err(sig) = result {
            force_exit(&mut ctx, sig);
        }
        if let Some(status) = ctx.exit.take() {
            return super::do_exit(ctx.task, status);
        }
    }
}

/// Queues the removal of every host mapping the address space has invalidated.
fn queue_tlb_flushes(stub: &mut Stub, mm: &mut mm::Mm) {
    for r in mm.take_tlb_flushes() {
        stub.queue(MapOp::Unmap {
            vaddr: r.start,
            len: r.end - r.start,
        });
    }
}

/// Resolves a page fault, or returns the signal that kills the task (signal
/// delivery to handlers comes with the signal subsystem).
fn page_fault(ctx: &mut SyscallContext, addr: u64, kind: FaultKind) -> Result<(), i32> {
    let mm = ctx.task.mm();
    let mut mm = locked(&mm);
    match mm.handle_fault(addr, kind == FaultKind::Protection) {
        Ok(m) => {
            // A copy-on-write break flushes the old frame's page: drop it before
            // mapping the new one, or the flush would undo the mapping.
            queue_tlb_flushes(ctx.stub, &mut mm);
            ctx.stub.queue(MapOp::Map {
                vaddr: m.vaddr,
                len: mm::PAGE_SIZE,
                paddr: m.paddr,
                prot: m.prot.bits(),
            });
            for n in mm.mappings_around(addr, 16) {
                if n.vaddr != m.vaddr {
                    ctx.stub.queue(MapOp::Map {
                        vaddr: n.vaddr,
                        len: mm::PAGE_SIZE,
                        paddr: n.paddr,
                        prot: n.prot.bits(),
                    });
                }
            }
            Ok(())
        }
        Err(e) => {
            log::debug!(
                "task {}: segfault at {addr:#x} ip {:#x} ({e:?})",
                ctx.task.tid,
                ctx.regs.rip
            );
            Err(match e {
                mm::FaultError::Bus => SIGBUS,
                mm::FaultError::Oom => SIGKILL,
                _ => SIGSEGV,
            })
        }
    }
}

/// Ends the task as killed by `sig`.
fn force_exit(ctx: &mut SyscallContext, sig: i32) {
    ctx.exit = Some(super::ExitStatus::Signaled(sig));
}
