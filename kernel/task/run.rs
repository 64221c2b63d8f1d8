//! The life of a task's host thread: take the kernel lock, create its guest CPU,
//! then loop running guest code and handling what stopped it — the pull-style
//! loop of `match cpu.run(..) { Trap::Syscall => .., Trap::PageFault => .. }`.

use super::{emulate, tlb, Task};
use crate::lock;
use crate::signal::{self, SigInfo};
use crate::syscall;
use crate::task::TrapContext;
use arch::backend::{CpuHandle, GuestCpu, MapOp, Trap};
use arch::{UserRegs, PAGE_SIZE};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// The trap flag of rflags: a debug trap after each instruction.
const EFLAGS_TF: u64 = 0x100;

/// How a new task's thread begins.
pub enum Start {
    /// Execute the first of `paths` that works, with `args` after the path as argv
    /// (init).
    Exec {
        paths: Vec<Vec<u8>>,
        args: Vec<Vec<u8>>,
        envp: Vec<Vec<u8>>,
    },
    /// Execute `argv[0]` with `argv` and no environment, or exit with status
    /// 1 (a helper the kernel starts: `crate::coredump`'s pipe reader).
    Helper { argv: Vec<Vec<u8>> },
    /// Continue from these registers and this XSAVE state (a forked child),
    /// sharing the address space of the task of CPU `share` (CLONE_VM).
    Resume {
        regs: UserRegs,
        xstate: Option<Vec<u8>>,
        share: Option<Arc<dyn CpuHandle>>,
    },
}

/// Returns the name of the host thread of the task with thread id `tid`
/// ("task-42"), which gdb's `info threads` shows.
pub(super) fn thread_name(tid: super::Pid) -> String {
    format!("task-{tid}")
}

/// Runs `task` on the calling host thread until it ends.
pub(super) fn task_main(task: Arc<Task>, start: Start) {
    super::set_current(&task);
    task.host_cpu_base
        .store(arch::host::time::thread_cpu_ns(), Ordering::Relaxed);
    lock::enter();
    let k = crate::boot::kernel();
    let data = match k.frames.alloc() {
        Ok(f) => f,
        Err(_) => return super::do_exit(task, super::ExitStatus::Signaled(signal::SIGKILL)),
    };
    let share = match &start {
        Start::Resume { share, .. } => share.clone(),
        _ => None,
    };
    // Making a guest CPU waits for the host (a stub's start, or a thread's
    // in a stub): other tasks run meanwhile.
    let spawned = lock::unlocked(|| k.backend.spawn(&k.physmem, data, share.as_ref()));
    let mut cpu = match spawned {
        Ok(c) => c,
        Err(e) => {
            log::error!("task {}: cannot create a guest CPU: {e}", task.tid());
            k.frames.put(data);
            return super::do_exit(task, super::ExitStatus::Signaled(signal::SIGKILL));
        }
    };
    let handle = cpu.handle();
    task.set_cpu(handle.clone());
    task.host_tid
        .store(arch::host::time::gettid(), Ordering::Relaxed);
    // Each task is a virtual CPU, spread over the host CPUs by task id so that
    // tasks run in parallel; its thread runs where the backend wants kernel
    // threads (with its guest code, or apart on a CPU of their own).
    let cpus = &k.host_cpus;
    let host_cpu = cpus[crate::syscall::sched::cpu_index(&task) % cpus.len()];
    arch::host::cpu::pin(0, k.backend.kernel_cpu(host_cpu));
    handle.pin(host_cpu);
    let nice = crate::cgroup::limits::effective_nice(&task);
    if nice != 0 {
        handle.set_nice(nice);
    }
    let mut regs = UserRegs::default();
    let mut ctx = TrapContext {
        task: &task,
        regs: &mut regs,
        cpu: cpu.as_mut(),
        exit: None,
        in_syscall: false,
    };
    match start {
        Start::Resume { regs, xstate, .. } => {
            *ctx.regs = regs;
            premap(&mut ctx);
            if let Some(x) = xstate {
                if let Err(e) = ctx.cpu.set_xstate(&x) {
                    log::warn!("task {}: cannot copy the FPU state: {e}", task.tid());
                }
            }
        }
        Start::Exec { paths, args, envp } => exec_init(&mut ctx, paths, args, envp),
        Start::Helper { argv } => {
            let path = argv.first().cloned().unwrap_or_default();
            if let Err(e) = crate::exec::execve(&mut ctx, &path, argv, Vec::new()) {
                log::info!(
                    "Core dump to |{} pipe failed (error -{})",
                    String::from_utf8_lossy(&path),
                    e.as_i32()
                );
                ctx.exit = Some(super::ExitStatus::Exited(1));
            }
        }
    }
    let status = run_loop(&mut ctx);
    crate::coredump::note_exiting_thread(&ctx);
    account_exit(&task, handle.as_ref());
    // Ending it too (its frame goes back after).
    lock::unlocked(|| drop(cpu));
    k.frames.put(data);
    super::do_exit(task, status);
}

/// Gives a new CPU of an existing address space (a forked child, a new
/// thread) the present pages around where it starts — its code, its stack,
/// its thread pointer — in one batch, instead of a fault for each.
fn premap(ctx: &mut TrapContext) {
    let mm = ctx.task.mm();
    let mut mm = mm.borrow_mut();
    let r = *ctx.regs;
    for addr in [r.rip, r.rsp, r.fs_base] {
        for m in mm.mappings_near(addr, 16) {
            map_page(ctx.cpu, &m);
        }
    }
}

/// Queues the host mapping of one page on `cpu`.
fn map_page(cpu: &mut dyn GuestCpu, m: &mm::Mapping) {
    cpu.queue(MapOp::Map {
        vaddr: m.vaddr,
        len: PAGE_SIZE,
        paddr: m.paddr,
        prot: m.prot.bits(),
    });
}

/// Adds the CPU time of an exiting task — its guest CPU's (guest code, "user")
/// and its host thread's (kernel work, "system") — to its process.
fn account_exit(task: &Task, cpu: &dyn CpuHandle) {
    let system = arch::host::time::thread_cpu_ns()
        .saturating_sub(task.host_cpu_base.load(Ordering::Relaxed));
    let user = cpu.cpu_time_ns();
    // The host thread goes on to other tasks.
    task.host_tid.store(0, Ordering::Relaxed);
    let mut t = task.process.times.borrow_mut();
    t.0 += user;
    t.1 += system;
}

/// Runs init, as Linux's `kernel_init`: the requested program, or the first of the
/// usual places that works; a kernel panic if none does.
fn exec_init(ctx: &mut TrapContext, paths: Vec<Vec<u8>>, args: Vec<Vec<u8>>, envp: Vec<Vec<u8>>) {
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
        (1, Some((path, e))) => crate::panic::panic_user(&format!(
            "Requested init {} failed (error -{}).",
            String::from_utf8_lossy(path),
            e.as_i32()
        )),
        _ => {
            crate::panic::panic_user("No working init found.  Try passing init= option to kernel.")
        }
    }
}

/// Runs guest code and handles its traps until the task exits; returns how.
fn run_loop(ctx: &mut TrapContext) -> super::ExitStatus {
    loop {
        // The way back to guest code: signals first (they may end the task),
        // then the host mappings other tasks have invalidated.
        signal::do_signal(ctx);
        if let Some(status) = ctx.exit.take() {
            crate::ptrace::exit_event(ctx, status);
            return status;
        }
        tlb::flush(ctx.task, ctx.cpu);
        if ctx.cpu.commit().is_err() {
            // The CPU's host side cannot drop what it must: it dies.
            signal::group_exit(
                &ctx.task.process,
                super::ExitStatus::Signaled(signal::SIGKILL),
            );
            continue;
        }
        // The trap flag of a single step, unless the guest set it itself.
        let step = crate::ptrace::single_stepping(ctx.task) && ctx.regs.eflags & EFLAGS_TF == 0;
        if step {
            ctx.regs.eflags |= EFLAGS_TF;
        }
        ctx.task.in_guest.store(true, Ordering::Release);
        lock::leave();
        let trap = ctx.cpu.run(ctx.regs);
        ctx.task.in_guest.store(false, Ordering::Release);
        lock::enter();
        if step {
            ctx.regs.eflags &= !EFLAGS_TF;
        }
        *ctx.task.trap_regs.borrow_mut() = *ctx.regs;
        ctx.in_syscall = false;
        match trap {
            Ok(Trap::Syscall) if emulate::is_int80(ctx) => emulate::refuse_int80(ctx),
            Ok(Trap::Syscall) => {
                ctx.in_syscall = true;
                if !crate::ptrace::syscall_entry(ctx) {
                    syscall::dispatch(ctx);
                }
                crate::ptrace::syscall_exit(ctx);
            }
            Ok(Trap::PageFault { addr, write, .. }) => page_fault(ctx, addr, write),
            Ok(Trap::Signal { signo, code, addr }) => {
                // A call into the vsyscall page that the host could not
                // emulate (see emulate.rs) is no fault.
                let vsyscall = signo == signal::SIGSEGV
                    && ctx.regs.rip & !(PAGE_SIZE - 1) == emulate::VSYSCALL_ADDR;
                if vsyscall && emulate::emulate_vsyscall(ctx) {
                    continue;
                }
                if emulate::is_host_only_syscall(ctx, signo, code) {
                    emulate::refuse_host_only_syscall(ctx);
                    continue;
                }
                log::debug!(
                    "task {}: signal {signo} (code {code}, addr {addr:#x}) at {:#x}",
                    ctx.task.tid(),
                    ctx.regs.rip
                );
                if signo == signal::SIGTRAP {
                    crate::ptrace::debugreg::trap(ctx, code);
                }
                signal::force_signal(ctx.task, SigInfo::fault(signo, code, addr));
            }
            Ok(Trap::Kick) => ctx.task.waiter.preempted(),
            Ok(Trap::Died) | Err(_) => signal::group_exit(
                &ctx.task.process,
                super::ExitStatus::Signaled(signal::SIGKILL),
            ),
        }
    }
}

/// Resolves a page fault, or sends the task SIGSEGV or SIGBUS.
fn page_fault(ctx: &mut TrapContext, addr: u64, write: bool) {
    let mm = ctx.task.mm();
    let faults = mm.borrow().faults();
    // Anonymous memory comes in blocks unless memory limits of cgroups
    // are in force, which count what a fault costs page by page.
    let block = !crate::cgroup::limits::memory_limited();
    let result = mm
        .borrow_mut()
        .handle_user_fault(addr, write, ctx.regs.rip, block);
    *ctx.task.min_flt.borrow_mut() += mm.borrow().faults() - faults;
    mm::take_alloc_failure();
    // Out of frames: the OOM killer frees some and the access faults again
    // (Linux's pagefault_out_of_memory); only with nothing left to kill does
    // the task die.
    if result == Err(mm::FaultError::Oom) && crate::oom::out_of_memory(ctx.task) {
        return;
    }
    match result {
        Ok(m) => {
            // A copy-on-write break flushes the old frame's page: drop it
            // everywhere before mapping the new one, or the flush would undo it.
            tlb::flush(ctx.task, ctx.cpu);
            map_page(ctx.cpu, &m);
            if !write {
                mm.borrow_mut().fault_around(addr, 16);
            }
            for n in mm.borrow_mut().mappings_around(addr, 16) {
                map_page(ctx.cpu, &n);
            }
            crate::cgroup::charge_fault(ctx.task);
        }
        Err(e) => {
            log::debug!(
                "task {}: segfault at {addr:#x} ip {:#x} sp {:#x} ({e:?}) in {:?}",
                ctx.task.tid(),
                ctx.regs.rip,
                ctx.regs.rsp,
                mm.borrow().find_vma(addr).map(|v| (v.start, v.end, v.prot))
            );
            let info = match e {
                mm::FaultError::Bus => SigInfo::fault(signal::SIGBUS, signal::BUS_ADRERR, addr),
                mm::FaultError::Oom => SigInfo::new(signal::SIGKILL, signal::SI_KERNEL),
                mm::FaultError::AccErr => {
                    SigInfo::fault(signal::SIGSEGV, signal::SEGV_ACCERR, addr)
                }
                _ => SigInfo::fault(signal::SIGSEGV, signal::SEGV_MAPERR, addr),
            };
            signal::force_signal(ctx.task, info);
        }
    }
}
