//! seccomp: system call filtering (Linux's kernel/seccomp.c, seccomp(2),
//! Documentation/userspace-api/seccomp_filter.rst).
//!
//! A task in strict mode may only read, write, exit and return from a
//! signal handler; any other call kills it with SIGKILL. A task in filter
//! mode has a chain of classic BPF programs (the newest first, each
//! installed on top of those before, inherited over fork and clone and
//! kept over execve). Every system call it makes runs all of them on its
//! `struct seccomp_data` (number, arch, instruction pointer, arguments),
//! and the most restrictive action returned wins: kill the process or the
//! thread (SIGSYS), raise SIGSYS (`SECCOMP_RET_TRAP`), fail with an errno,
//! log, or allow. Installing a filter takes no_new_privs or CAP_SYS_ADMIN.
//!
//! Not supported, answered as a kernel before them would: user-space
//! notification (`SECCOMP_RET_USER_NOTIF` is not available, the
//! `NEW_LISTENER` flag is EINVAL) and tracers (`SECCOMP_RET_TRACE` fails
//! the call with ENOSYS, as Linux does without a tracer).

use crate::net::filter::{self, BpfInput};
use crate::signal::{self, SigInfo};
use crate::syscall::UserPtr;
use crate::task::{ExitStatus, TrapContext};
use arch::abi::structs::{SigSys, SockFilter};
use arch::{Errno, Result};
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// `SECCOMP_MODE_*`.
pub const MODE_STRICT: u8 = 1;
pub const MODE_FILTER: u8 = 2;

/// seccomp(2)'s operations.
const SET_MODE_STRICT: u32 = 0;
const SET_MODE_FILTER: u32 = 1;
const GET_ACTION_AVAIL: u32 = 2;

/// `SECCOMP_FILTER_FLAG_*` this kernel takes: synchronise the threads
/// (failing with ESRCH rather than a thread id), log, and the speculation
/// flag (which has nothing to change here).
const FLAG_TSYNC: u64 = 1;
const FLAG_LOG: u64 = 2;
const FLAG_SPEC_ALLOW: u64 = 4;
const FLAG_TSYNC_ESRCH: u64 = 16;

/// `SECCOMP_RET_*`: the action in the upper 16 bits, data in the lower.
const RET_KILL_PROCESS: u32 = 0x8000_0000;
const RET_KILL_THREAD: u32 = 0;
const RET_TRAP: u32 = 0x0003_0000;
const RET_ERRNO: u32 = 0x0005_0000;
const RET_TRACE: u32 = 0x7ff0_0000;
const RET_LOG: u32 = 0x7ffc_0000;
const RET_ALLOW: u32 = 0x7fff_0000;
const RET_ACTION_FULL: u32 = 0xffff_0000;
const RET_DATA: u32 = 0x0000_ffff;

/// `AUDIT_ARCH_X86_64`: what `seccomp_data.arch` says of a 64-bit call.
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
/// SIGSYS's `si_code` for a filter's trap.
const SYS_SECCOMP: i32 = 1;
/// `struct seccomp_data`'s size.
const DATA_LEN: u32 = 64;
/// The most instructions a task's filters may hold together, each filter
/// counting 4 more (`MAX_INSNS_PER_PATH`).
const MAX_INSNS_PER_PATH: usize = 32_768;

/// The system calls strict mode allows: read, write, exit, rt_sigreturn.
const STRICT_ALLOWED: [u64; 4] = [0, 1, 60, 15];

/// A filter, and the chain installed before it.
pub struct Filter {
    prog: Vec<SockFilter>,
    prev: Option<Arc<Filter>>,
    /// `SECCOMP_FILTER_FLAG_LOG`: its actions other than allow are logged.
    log: bool,
}

impl Filter {
    /// Returns the filters of the chain from this one, newest first.
    fn chain(self: &Arc<Filter>) -> impl Iterator<Item = &Arc<Filter>> {
        std::iter::successors(Some(self), |f| f.prev.as_ref())
    }
}

/// A task's seccomp state.
#[derive(Clone, Default)]
pub struct Seccomp {
    pub mode: u8,
    pub filter: Option<Arc<Filter>>,
}

impl Seccomp {
    /// Returns how many filters the chain holds (/proc/PID/status).
    pub fn filters(&self) -> usize {
        self.filter.as_ref().map_or(0, |f| f.chain().count())
    }
}

/// `struct seccomp_data`, as the filters read it: 32-bit words in the
/// host's byte order.
struct SeccompData([u8; DATA_LEN as usize]);

impl SeccompData {
    fn new(nr: u64, ip: u64, args: [u64; 6]) -> SeccompData {
        let mut b = [0u8; DATA_LEN as usize];
        b[0..4].copy_from_slice(&(nr as i32).to_ne_bytes());
        b[4..8].copy_from_slice(&AUDIT_ARCH_X86_64.to_ne_bytes());
        b[8..16].copy_from_slice(&ip.to_ne_bytes());
        for (i, a) in args.iter().enumerate() {
            b[16 + i * 8..24 + i * 8].copy_from_slice(&a.to_ne_bytes());
        }
        SeccompData(b)
    }
}

impl BpfInput for SeccompData {
    fn load_abs(&self, k: u32, size: usize, _a: u32, _x: u32) -> Option<u32> {
        let at = k as usize;
        let w = self
            .0
            .get(at..at + 4)
            .filter(|_| size == 4 && k.is_multiple_of(4))?;
        Some(u32::from_ne_bytes([w[0], w[1], w[2], w[3]]))
    }

    fn load_ind(&self, _k: u32, _size: usize) -> Option<u32> {
        None
    }

    fn len(&self) -> u32 {
        DATA_LEN
    }
}

/// Checks a program (already through `filter::check`) for what seccomp
/// allows (`seccomp_check_filter`): word loads of `seccomp_data`, aligned
/// and inside it; no packet loads, no ancillary data. Loads of the length
/// become loads of the constant 64. EINVAL otherwise.
fn check(prog: &mut [SockFilter]) -> Result<()> {
    const LD_W_ABS: u16 = 0x20;
    const LD_W_LEN: u16 = 0x80;
    const LDX_W_LEN: u16 = 0x81;
    const LD_IMM: u16 = 0x00;
    const LDX_IMM: u16 = 0x01;
    for i in prog.iter_mut() {
        match i.code {
            LD_W_ABS if i.k >= DATA_LEN || i.k % 4 != 0 => return Err(Errno::EINVAL),
            LD_W_ABS => {}
            LD_W_LEN => (i.code, i.k) = (LD_IMM, DATA_LEN),
            LDX_W_LEN => (i.code, i.k) = (LDX_IMM, DATA_LEN),
            // The rest of the loads (IND, MSH, half words and bytes).
            c if c & 0x07 <= 0x01 && c & 0xe0 != 0x00 && c & 0xe0 != 0x60 => {
                return Err(Errno::EINVAL)
            }
            _ => {}
        }
    }
    Ok(())
}

/// What happens to a system call on entry.
pub enum Entry {
    /// It runs.
    Run,
    /// It does not; the task sees this in rax (or dies).
    Return(u64),
}

/// Returns the negated errno `e` as rax holds it.
fn neg(e: Errno) -> u64 {
    e.as_syscall_return()
}

/// Ends the calling thread killed by `sig`: the whole process if it is its
/// last thread (Linux's do_exit, or the core-dumping SIGSYS).
fn kill_thread(ctx: &mut TrapContext, sig: i32) {
    if ctx.task.process.threads.borrow().len() > 1 {
        ctx.exit = Some(ExitStatus::Signaled(sig));
    } else {
        signal::group_exit(&ctx.task.process, ExitStatus::Signaled(sig));
    }
}

/// Runs the calling task's seccomp policy on system call `nr` with `args`
/// (Linux's `__secure_computing`).
pub fn syscall_entry(ctx: &mut TrapContext, nr: u64, args: [u64; 6]) -> Entry {
    let sc = {
        let sc = ctx.task.seccomp.borrow();
        if sc.mode == 0 {
            return Entry::Run;
        }
        sc.clone()
    };
    let chain = match sc.mode {
        MODE_STRICT if STRICT_ALLOWED.contains(&nr) => return Entry::Run,
        MODE_STRICT => {
            log::info!(
                "seccomp: strict mode killed pid {} on system call {nr}",
                ctx.task.tid()
            );
            kill_thread(ctx, signal::SIGKILL);
            return Entry::Return(neg(Errno::ENOSYS));
        }
        MODE_FILTER => match sc.filter {
            Some(f) => f,
            None => return Entry::Run,
        },
        _ => return Entry::Run,
    };
    let data = SeccompData::new(nr, ctx.regs.rip, args);
    let (mut ret, mut log) = (RET_ALLOW, false);
    for f in chain.chain() {
        let cur = filter::run(&f.prog, &data);
        // The most restrictive action: the lowest as a signed number.
        if ((cur & RET_ACTION_FULL) as i32) < ((ret & RET_ACTION_FULL) as i32) {
            (ret, log) = (cur, f.log);
        }
    }
    let reason = ret & RET_DATA;
    let action = ret & RET_ACTION_FULL;
    if log && action != RET_ALLOW || action == RET_LOG || action == RET_KILL_PROCESS {
        log::info!(
            "seccomp: pid {} system call {nr} action {action:#x}",
            ctx.task.tid()
        );
    }
    match action {
        RET_ALLOW | RET_LOG => Entry::Run,
        RET_ERRNO => Entry::Return(0u64.wrapping_sub(u64::from(reason.min(4095)))),
        RET_TRAP => {
            let mut info = SigInfo::with(
                signal::SIGSYS,
                SYS_SECCOMP,
                SigSys {
                    call_addr: ctx.regs.rip,
                    syscall: nr as i32,
                    arch: AUDIT_ARCH_X86_64,
                },
            );
            info.si_errno = reason as i32;
            signal::force_signal(ctx.task, info);
            Entry::Return(neg(Errno::ENOSYS))
        }
        RET_TRACE => Entry::Return(neg(Errno::ENOSYS)),
        RET_KILL_THREAD => {
            kill_thread(ctx, signal::SIGSYS);
            Entry::Return(neg(Errno::ENOSYS))
        }
        // RET_KILL_PROCESS, and any action not known.
        _ => {
            signal::group_exit(&ctx.task.process, ExitStatus::Signaled(signal::SIGSYS));
            Entry::Return(neg(Errno::ENOSYS))
        }
    }
}

/// Puts the caller in strict mode (EINVAL in filter mode).
fn set_strict(ctx: &TrapContext) -> Result<u64> {
    let mut sc = ctx.task.seccomp.borrow_mut();
    if sc.mode == MODE_FILTER {
        return Err(Errno::EINVAL);
    }
    sc.mode = MODE_STRICT;
    Ok(0)
}

/// Installs the filter the `struct sock_fprog` at `uargs` describes on
/// the caller (and, with TSYNC, on its other threads).
fn set_filter(ctx: &TrapContext, flags: u64, uargs: u64) -> Result<u64> {
    if flags & !(FLAG_TSYNC | FLAG_LOG | FLAG_SPEC_ALLOW | FLAG_TSYNC_ESRCH) != 0 {
        return Err(Errno::EINVAL);
    }
    let task = ctx.task;
    let nnp = task.no_new_privs.load(Ordering::Relaxed);
    let mut prog = filter::read_prog(ctx, uargs, || {
        if nnp
            || task
                .process
                .cred
                .borrow()
                .capable(arch::abi::capability::CAP_SYS_ADMIN)
        {
            Ok(())
        } else {
            Err(Errno::EACCES)
        }
    })?;
    filter::check(&prog)?;
    check(&mut prog)?;
    let old = task.seccomp.borrow().clone();
    if old.mode == MODE_STRICT {
        return Err(Errno::EINVAL);
    }
    let held: usize = old
        .filter
        .as_ref()
        .map_or(0, |f| f.chain().map(|f| f.prog.len() + 4).sum());
    if held + prog.len() > MAX_INSNS_PER_PATH {
        return Err(Errno::ENOMEM);
    }
    let new = Arc::new(Filter {
        prog,
        prev: old.filter.clone(),
        log: flags & FLAG_LOG != 0,
    });
    if flags & FLAG_TSYNC != 0 {
        // Every other thread must have no filter or one of the caller's
        // chain (an ancestor): else the first that does not is named.
        let threads = task.process.threads.borrow().clone();
        let mine: Vec<*const Filter> = new.chain().map(Arc::as_ptr).collect();
        for t in threads.iter().filter(|t| !Arc::ptr_eq(t, task)) {
            let sc = t.seccomp.borrow();
            let ancestor = sc
                .filter
                .as_ref()
                .is_none_or(|f| mine.contains(&Arc::as_ptr(f)));
            if sc.mode == MODE_STRICT || !ancestor {
                return if flags & FLAG_TSYNC_ESRCH != 0 {
                    Err(Errno::ESRCH)
                } else {
                    Ok(t.tid() as u64)
                };
            }
        }
        for t in threads.iter().filter(|t| !Arc::ptr_eq(t, task)) {
            *t.seccomp.borrow_mut() = Seccomp {
                mode: MODE_FILTER,
                filter: Some(new.clone()),
            };
            if nnp {
                t.no_new_privs.store(true, Ordering::Relaxed);
            }
        }
    }
    *task.seccomp.borrow_mut() = Seccomp {
        mode: MODE_FILTER,
        filter: Some(new),
    };
    Ok(0)
}

/// seccomp(2).
pub fn sys_seccomp(ctx: &mut TrapContext, op: u32, flags: u64, uargs: u64) -> Result<u64> {
    match op {
        SET_MODE_STRICT if flags != 0 || uargs != 0 => Err(Errno::EINVAL),
        SET_MODE_STRICT => set_strict(ctx),
        SET_MODE_FILTER => set_filter(ctx, flags, uargs),
        GET_ACTION_AVAIL if flags != 0 => Err(Errno::EINVAL),
        GET_ACTION_AVAIL => {
            let action = UserPtr::<u32>::new(uargs).read(ctx)?;
            let known = [
                RET_KILL_PROCESS,
                RET_KILL_THREAD,
                RET_TRAP,
                RET_ERRNO,
                RET_TRACE,
                RET_LOG,
                RET_ALLOW,
            ];
            if known.contains(&action) {
                Ok(0)
            } else {
                Err(Errno::EOPNOTSUPP)
            }
        }
        _ => Err(Errno::EINVAL),
    }
}

/// prctl(PR_SET_SECCOMP, mode, filter).
pub fn prctl_set(ctx: &mut TrapContext, mode: u64, filter: u64) -> Result<u64> {
    match mode {
        1 => sys_seccomp(ctx, SET_MODE_STRICT, 0, 0),
        2 => sys_seccomp(ctx, SET_MODE_FILTER, 0, filter),
        _ => Err(Errno::EINVAL),
    }
}
