//! The tracer's side: the ptrace(2) requests.

use super::regs::{self, NR_WORDS};
use super::*;
use crate::syscall::UserPtr;
use crate::task::TrapContext;
use arch::abi::ptrace::*;
use arch::{Errno, Result};

/// The size of the legacy FXSAVE area at the start of an XSAVE area
/// (PTRACE_GETFPREGS, NT_PRFPREG).
const FXSAVE_SIZE: usize = 512;

/// Where NT_X86_XSTATE carries XCR0: the software-reserved bytes at the
/// end of the FXSAVE area start there.
const XSTATE_XCR0_OFFSET: usize = 464;

pub fn sys_ptrace(
    ctx: &mut TrapContext,
    request: u64,
    pid: i32,
    addr: u64,
    data: u64,
) -> Result<u64> {
    match request {
        PTRACE_TRACEME => return traceme(ctx),
        PTRACE_ATTACH | PTRACE_SEIZE => return attach(ctx, pid, request, addr, data),
        _ => {}
    }
    let t = ctx.task.process.find_task(pid).ok_or(Errno::ESRCH)?;
    // These need only the link; the others a tracee in a ptrace-stop.
    let any_state = matches!(request, PTRACE_KILL | PTRACE_INTERRUPT);
    check_attach(ctx, &t, !any_state)?;
    match request {
        PTRACE_PEEKTEXT | PTRACE_PEEKDATA => {
            let mut word = [0u8; 8];
            if t.mm().borrow_mut().access_remote_read(addr, &mut word) != 8 {
                return Err(Errno::EIO);
            }
            UserPtr::<u64>::new(data).write(ctx, &u64::from_ne_bytes(word))?;
            Ok(0)
        }
        PTRACE_POKETEXT | PTRACE_POKEDATA => {
            if t.mm()
                .borrow_mut()
                .access_remote_write(addr, &data.to_ne_bytes())
                != 8
            {
                return Err(Errno::EIO);
            }
            Ok(0)
        }
        PTRACE_PEEKUSR => {
            let v = peek_user(&t, addr)?;
            UserPtr::<u64>::new(data).write(ctx, &v)?;
            Ok(0)
        }
        PTRACE_POKEUSR => poke_user(&t, addr, data),
        PTRACE_GETREGS => {
            let words = with_link(&t, |l| Ok(regs::to_words(&l.regs)))?;
            UserPtr::<[u64; NR_WORDS]>::new(data).write(ctx, &words)?;
            Ok(0)
        }
        PTRACE_SETREGS => {
            let words = UserPtr::<[u64; NR_WORDS]>::new(data).read(ctx)?;
            with_link(&t, |l| regs::put_all(&mut l.regs, &words))?;
            Ok(0)
        }
        PTRACE_GETFPREGS => {
            let fx = get_xstate(&t, FXSAVE_SIZE)?;
            ctx.write_user(data, &fx)?;
            Ok(0)
        }
        PTRACE_SETFPREGS => {
            let mut fx = vec![0u8; FXSAVE_SIZE];
            ctx.read_user(data, &mut fx)?;
            set_xstate(&t, &fx)?;
            Ok(0)
        }
        PTRACE_GETREGSET => get_regset(ctx, &t, addr, data),
        PTRACE_SETREGSET => set_regset(ctx, &t, addr, data),
        PTRACE_GETSIGINFO => {
            let info = with_link(&t, |l| l.siginfo.ok_or(Errno::EINVAL))?;
            UserPtr::<SigInfo>::new(data).write(ctx, &info)?;
            Ok(0)
        }
        PTRACE_SETSIGINFO => {
            let info = UserPtr::<SigInfo>::new(data).read(ctx)?;
            with_link(&t, |l| match l.siginfo.as_mut() {
                Some(s) => {
                    *s = info;
                    Ok(())
                }
                None => Err(Errno::EINVAL),
            })?;
            Ok(0)
        }
        PTRACE_GETEVENTMSG => {
            let msg = with_link(&t, |l| Ok(l.event_msg))?;
            UserPtr::<u64>::new(data).write(ctx, &msg)?;
            Ok(0)
        }
        PTRACE_SETOPTIONS => {
            if data & !PTRACE_O_MASK != 0 {
                return Err(Errno::EINVAL);
            }
            with_link(&t, |l| {
                l.options = data;
                Ok(())
            })?;
            Ok(0)
        }
        PTRACE_GETSIGMASK | PTRACE_SETSIGMASK => {
            if addr != 8 {
                return Err(Errno::EINVAL);
            }
            let m = UserPtr::<u64>::new(data);
            if request == PTRACE_GETSIGMASK {
                m.write(ctx, &t.signal.borrow().mask)?;
            } else {
                t.signal.borrow_mut().mask = m.read(ctx)? & !signal::UNBLOCKABLE;
            }
            Ok(0)
        }
        PTRACE_GET_SYSCALL_INFO => syscall_info(ctx, &t, addr, data),
        PTRACE_CONT | PTRACE_SYSCALL | PTRACE_SYSEMU | PTRACE_SINGLESTEP => {
            let mode = match request {
                PTRACE_SYSCALL => Resume::Syscall,
                PTRACE_SYSEMU => Resume::Sysemu,
                PTRACE_SINGLESTEP => Resume::SingleStep,
                _ => Resume::Cont,
            };
            resume(&t, mode, data)
        }
        PTRACE_DETACH => {
            let sig = valid_signal(data)?;
            unlink(&t, sig);
            Ok(0)
        }
        PTRACE_KILL => {
            signal::group_exit(
                &t.process,
                crate::task::ExitStatus::Signaled(signal::SIGKILL),
            );
            Ok(0)
        }
        PTRACE_INTERRUPT => {
            with_link(&t, |l| {
                if !l.seized {
                    return Err(Errno::EIO);
                }
                if l.stop.is_none() {
                    l.trap_pending = true;
                }
                Ok(())
            })?;
            signal::signal_wake_up(&t);
            Ok(0)
        }
        PTRACE_LISTEN => {
            with_link(&t, |l| {
                let group = matches!(l.stop, Some(StopKind::Group))
                    || l.stop == Some(StopKind::Event(PTRACE_EVENT_STOP));
                if !l.seized || !group {
                    return Err(Errno::EIO);
                }
                l.listening = true;
                l.report = None;
                Ok(())
            })?;
            t.waiter.wake_task();
            Ok(0)
        }
        _ => Err(Errno::EIO),
    }
}

/// Runs `f` on the link of `t`, which the caller checked.
fn with_link<R>(t: &Task, f: impl FnOnce(&mut PtraceLink) -> Result<R>) -> Result<R> {
    match t.ptrace.borrow_mut().as_mut() {
        Some(l) => f(l),
        None => Err(Errno::ESRCH),
    }
}

/// PTRACE_TRACEME: the parent becomes the tracer.
fn traceme(ctx: &mut TrapContext) -> Result<u64> {
    let me = ctx.task.clone();
    if is_traced(&me) {
        return Err(Errno::EPERM);
    }
    let parent = me.process.parent.borrow().upgrade().ok_or(Errno::EPERM)?;
    // The capability module's rule: a parent without CAP_SYS_PTRACE may
    // not trace a child holding capabilities it has not got.
    let (mine, theirs) = (
        me.process.cred.borrow().clone(),
        parent.cred.borrow().clone(),
    );
    if mine.cap_permitted & !theirs.cap_permitted != 0
        && !theirs.capable(arch::abi::capability::CAP_SYS_PTRACE)
    {
        return Err(Errno::EPERM);
    }
    yama::may_traceme(&parent)?;
    let tracer = parent
        .threads
        .borrow()
        .first()
        .cloned()
        .ok_or(Errno::EPERM)?;
    link(&me, &tracer, 0, false);
    Ok(0)
}

/// PTRACE_ATTACH (the tracee gets SIGSTOP) and PTRACE_SEIZE (it runs on,
/// with `data` as its options).
fn attach(ctx: &mut TrapContext, pid: i32, request: u64, addr: u64, data: u64) -> Result<u64> {
    let seize = request == PTRACE_SEIZE;
    let options = if seize {
        if addr != 0 || data & !PTRACE_O_MASK != 0 {
            return Err(Errno::EIO);
        }
        data
    } else {
        0
    };
    let t = ctx.task.process.find_task(pid).ok_or(Errno::ESRCH)?;
    let me = ctx.task.clone();
    if Arc::ptr_eq(&t.process, &me.process) {
        return Err(Errno::EPERM);
    }
    if t.process.exit_status.borrow().is_some() || signal::fatal_signal_pending(&t) {
        return Err(Errno::EPERM);
    }
    let mode = crate::task::AccessMode::ATTACH_REALCREDS;
    if !crate::task::ptrace_may_access(&me.process, &t.process, mode) {
        return Err(Errno::EPERM);
    }
    if is_traced(&t) {
        return Err(Errno::EPERM);
    }
    link(&t, &me, options, seize);
    if !seize {
        let uid = me.process.cred.borrow().uid;
        let info = SigInfo::kill(signal::SIGSTOP, signal::SI_USER, me.process.pid, uid);
        let _ = signal::send_sig_info(&t, info);
    }
    // A tracee already stopped by job control reports that stop now.
    if t.process.signal.borrow().stopped.is_some() {
        t.waiter.wake_task();
    }
    Ok(0)
}

/// Checks that the caller traces `t` and, if `stopped`, that `t` is in a
/// ptrace-stop (Linux's `ptrace_check_attach`): ESRCH otherwise.
fn check_attach(ctx: &TrapContext, t: &Task, stopped: bool) -> Result<()> {
    let l = t.ptrace.borrow();
    let l = l.as_ref().ok_or(Errno::ESRCH)?;
    if l.tracer.as_ptr() != Arc::as_ptr(ctx.task) || l.detached || l.exit_report.is_some() {
        return Err(Errno::ESRCH);
    }
    if stopped && (l.stop.is_none() || l.resumed.is_some()) {
        return Err(Errno::ESRCH);
    }
    Ok(())
}

/// Returns `data` as a signal to deliver: 0 or a valid number, else EIO.
fn valid_signal(data: u64) -> Result<i32> {
    match i32::try_from(data) {
        Ok(0) => Ok(0),
        Ok(s) if signal::valid(s) => Ok(s),
        _ => Err(Errno::EIO),
    }
}

/// Lets a stopped tracee run on as `mode` says, with `data`'s signal.
fn resume(t: &Task, mode: Resume, data: u64) -> Result<u64> {
    let sig = valid_signal(data)?;
    with_link(t, |l| {
        l.resume = mode;
        l.resumed = Some(sig);
        l.listening = false;
        Ok(())
    })?;
    t.waiter.wake_task();
    Ok(0)
}

/// PTRACE_PEEKUSR: a word of `struct user` — a register, a debug
/// register, or 0 elsewhere.
fn peek_user(t: &Task, addr: u64) -> Result<u64> {
    if !addr.is_multiple_of(8) || addr >= USER_SIZE {
        return Err(Errno::EIO);
    }
    with_link(t, |l| {
        Ok(if addr < USER_REGS_SIZE {
            regs::to_words(&l.regs)[(addr / 8) as usize]
        } else if (USER_DEBUGREG_OFFSET..USER_DEBUGREG_OFFSET + 64).contains(&addr) {
            l.debugreg[((addr - USER_DEBUGREG_OFFSET) / 8) as usize]
        } else {
            0
        })
    })
}

/// PTRACE_POKEUSR: a register as `regs::put_word` checks it, or a debug
/// register as `debugreg::poke` does.
fn poke_user(t: &Task, addr: u64, data: u64) -> Result<u64> {
    if !addr.is_multiple_of(8) || addr >= USER_SIZE {
        return Err(Errno::EIO);
    }
    with_link(t, |l| {
        if addr < USER_REGS_SIZE {
            regs::put_word(&mut l.regs, (addr / 8) as usize, data)
        } else if (USER_DEBUGREG_OFFSET..USER_DEBUGREG_OFFSET + 64).contains(&addr) {
            super::debugreg::poke(l, ((addr - USER_DEBUGREG_OFFSET) / 8) as usize, data)
        } else {
            Err(Errno::EIO)
        }
    })?;
    Ok(0)
}

/// Returns the first `len` bytes of the stopped tracee's XSAVE area.
fn get_xstate(t: &Task, len: usize) -> Result<Vec<u8>> {
    with_link(t, |l| {
        let x = l.xstate.as_ref().ok_or(Errno::EIO)?;
        Ok(x[..len.min(x.len())].to_vec())
    })
}

/// Replaces the start of the stopped tracee's XSAVE area with `bytes`,
/// but for the FXSAVE area's software-reserved bytes, which are the
/// kernel's (Linux ignores what a tracer puts there too).
fn set_xstate(t: &Task, bytes: &[u8]) -> Result<()> {
    with_link(t, |l| {
        let x = l.xstate.as_mut().ok_or(Errno::EIO)?;
        let n = bytes.len().min(x.len());
        let reserved = x.get(XSTATE_XCR0_OFFSET..FXSAVE_SIZE).map(<[u8]>::to_vec);
        x[..n].copy_from_slice(&bytes[..n]);
        if let Some(r) = reserved {
            x[XSTATE_XCR0_OFFSET..FXSAVE_SIZE].copy_from_slice(&r);
        }
        l.xstate_dirty = true;
        Ok(())
    })
}

/// PTRACE_GETREGSET: the set `kind` into the iovec at `iov`, whose length
/// becomes what was written.
fn get_regset(ctx: &mut TrapContext, t: &Task, kind: u64, iov: u64) -> Result<u64> {
    let p = UserPtr::<[u64; 2]>::new(iov);
    let [base, len] = p.read(ctx)?;
    let bytes: Vec<u8> = match kind {
        NT_PRSTATUS => {
            let words = with_link(t, |l| Ok(regs::to_words(&l.regs)))?;
            words.iter().flat_map(|w| w.to_ne_bytes()).collect()
        }
        NT_PRFPREG => get_xstate(t, FXSAVE_SIZE)?,
        NT_X86_XSTATE => {
            let mut x = get_xstate(t, usize::MAX)?;
            // Linux puts the enabled features (XCR0) in the FXSAVE area's
            // software-reserved bytes, where debuggers read the layout.
            let xcr0 = arch::host::xsave::sigframe_xstate().xfeatures;
            if let Some(w) = x.get_mut(XSTATE_XCR0_OFFSET..XSTATE_XCR0_OFFSET + 8) {
                w.copy_from_slice(&xcr0.to_ne_bytes());
            }
            x
        }
        _ => return Err(Errno::EINVAL),
    };
    let n = bytes.len().min(usize::try_from(len).unwrap_or(usize::MAX));
    ctx.write_user(base, &bytes[..n])?;
    p.write(ctx, &[base, n as u64])?;
    Ok(0)
}

/// PTRACE_SETREGSET: the set `kind` from the iovec at `iov`.
fn set_regset(ctx: &mut TrapContext, t: &Task, kind: u64, iov: u64) -> Result<u64> {
    let [base, len] = UserPtr::<[u64; 2]>::new(iov).read(ctx)?;
    let size = match kind {
        NT_PRSTATUS => regs::NR_WORDS * 8,
        NT_PRFPREG => FXSAVE_SIZE,
        NT_X86_XSTATE => get_xstate(t, usize::MAX)?.len(),
        _ => return Err(Errno::EINVAL),
    };
    let n = size.min(usize::try_from(len).unwrap_or(usize::MAX));
    let mut bytes = vec![0u8; n];
    ctx.read_user(base, &mut bytes)?;
    match kind {
        NT_PRSTATUS => {
            let words: Vec<u64> = bytes
                .chunks_exact(8)
                .map(|c| u64::from_ne_bytes(c.try_into().unwrap_or([0; 8])))
                .collect();
            with_link(t, |l| regs::put_all(&mut l.regs, &words))?;
        }
        _ => set_xstate(t, &bytes)?,
    }
    Ok(0)
}

/// PTRACE_GET_SYSCALL_INFO: what the tracee's stop says of its system
/// call (`struct ptrace_syscall_info`); returns the size of the whole
/// answer, of which the first `size` bytes are written.
fn syscall_info(ctx: &mut TrapContext, t: &Task, size: u64, data: u64) -> Result<u64> {
    let (stop, r) = with_link(t, |l| Ok((l.stop, l.regs)))?;
    let mut out = Vec::with_capacity(88);
    let op = match stop {
        Some(StopKind::SyscallEntry) => PTRACE_SYSCALL_INFO_ENTRY,
        Some(StopKind::SyscallExit) => PTRACE_SYSCALL_INFO_EXIT,
        _ => PTRACE_SYSCALL_INFO_NONE,
    };
    out.extend_from_slice(&[op, 0, 0, 0]);
    out.extend_from_slice(&AUDIT_ARCH_X86_64.to_ne_bytes());
    out.extend_from_slice(&r.rip.to_ne_bytes());
    out.extend_from_slice(&r.rsp.to_ne_bytes());
    match op {
        PTRACE_SYSCALL_INFO_ENTRY => {
            let (nr, args) = r.syscall_args();
            out.extend_from_slice(&nr.to_ne_bytes());
            for a in args {
                out.extend_from_slice(&a.to_ne_bytes());
            }
        }
        PTRACE_SYSCALL_INFO_EXIT => {
            let rval = r.rax as i64;
            out.extend_from_slice(&rval.to_ne_bytes());
            let is_error = (-4095..0).contains(&rval);
            out.push(is_error as u8);
        }
        _ => {}
    }
    let n = out.len().min(usize::try_from(size).unwrap_or(usize::MAX));
    ctx.write_user(data, &out[..n])?;
    Ok(out.len() as u64)
}
