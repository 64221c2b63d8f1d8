//! Signal system calls: dispositions (rt_sigaction), masks (rt_sigprocmask,
//! rt_sigpending, rt_sigsuspend), synchronous acceptance (rt_sigtimedwait),
//! alternate stacks (sigaltstack), sending (kill, tkill, tgkill,
//! rt_sigqueueinfo, rt_tgsigqueueinfo) and the return from a handler.

use super::arg::UserPtr;
use crate::signal::{self, sigbit, AltStack, SigInfo, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK};
use crate::signal::{SIGKILL, SIGSTOP, SI_TKILL, SI_USER, UNBLOCKABLE};
use crate::sleep::{wait_event, Interruptible};
use crate::task::TrapContext;
use crate::task::{self, Pid, SigAction};
use arch::abi::structs::{KernelSigaction, StackT};
use arch::{Errno, Result};

const SIG_BLOCK: i32 = 0;
const SIG_UNBLOCK: i32 = 1;
const SIG_SETMASK: i32 = 2;
/// The smallest alternate stack sigaltstack accepts (MINSIGSTKSZ).
const MINSIGSTKSZ: u64 = 2048;

fn to_abi(a: &SigAction) -> KernelSigaction {
    KernelSigaction {
        sa_handler: a.handler,
        sa_flags: a.flags,
        sa_restorer: a.restorer,
        sa_mask: a.mask,
    }
}

fn check_sigset_size(size: u64) -> Result<()> {
    if size != 8 {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

pub fn sys_rt_sigaction(
    ctx: &mut TrapContext,
    sig: u64,
    act: UserPtr<KernelSigaction>,
    oact: UserPtr<KernelSigaction>,
    sigsetsize: u64,
) -> Result<u64> {
    check_sigset_size(sigsetsize)?;
    let sig = sig as i32;
    if !signal::valid(sig) {
        return Err(Errno::EINVAL);
    }
    let new = if !act.is_null() {
        if sig == SIGKILL || sig == SIGSTOP {
            return Err(Errno::EINVAL);
        }
        let a = act.read(ctx)?;
        Some(SigAction {
            handler: a.sa_handler,
            flags: a.sa_flags,
            restorer: a.sa_restorer,
            mask: a.sa_mask & !UNBLOCKABLE,
        })
    } else {
        None
    };
    let p = ctx.task.process.clone();
    let old = p.sigactions.borrow()[sig as usize - 1];
    if !oact.is_null() {
        oact.write(ctx, &to_abi(&old))?;
    }
    if let Some(n) = new {
        p.sigactions.borrow_mut()[sig as usize - 1] = n;
        // POSIX: setting a pending signal to be ignored discards it everywhere.
        let ignored = n.handler == signal::SIG_IGN
            || (n.handler == signal::SIG_DFL
                && signal::default_action(sig) == signal::DefaultAction::Ignore);
        if ignored {
            p.signal.borrow_mut().pending.remove_set(sigbit(sig));
            for t in p.threads.borrow().iter() {
                t.signal.borrow_mut().pending.remove_set(sigbit(sig));
            }
        }
    }
    Ok(0)
}

pub fn sys_rt_sigprocmask(
    ctx: &mut TrapContext,
    how: i32,
    set: UserPtr<u64>,
    oset: UserPtr<u64>,
    sigsetsize: u64,
) -> Result<u64> {
    check_sigset_size(sigsetsize)?;
    let old = ctx.task.signal.borrow().mask;
    let new = if !set.is_null() {
        let v = set.read(ctx)?;
        Some(match how {
            SIG_BLOCK => old | v,
            SIG_UNBLOCK => old & !v,
            SIG_SETMASK => v,
            _ => return Err(Errno::EINVAL),
        })
    } else {
        None
    };
    if !oset.is_null() {
        oset.write(ctx, &old)?;
    }
    if let Some(n) = new {
        ctx.task.signal.borrow_mut().mask = n & !UNBLOCKABLE;
    }
    Ok(0)
}

pub fn sys_rt_sigpending(ctx: &mut TrapContext, set: UserPtr<u64>, sigsetsize: u64) -> Result<u64> {
    check_sigset_size(sigsetsize)?;
    let (mine, mask) = {
        let s = ctx.task.signal.borrow();
        (s.pending.set(), s.mask)
    };
    let shared = ctx.task.process.signal.borrow().pending.set();
    set.write(ctx, &((mine | shared) & mask))?;
    Ok(0)
}

/// rt_sigsuspend: waits for a signal with a temporary mask; always "fails" with
/// EINTR once a handler has run (the old mask comes back through its frame).
pub fn sys_rt_sigsuspend(ctx: &mut TrapContext, set: u64, sigsetsize: u64) -> Result<u64> {
    check_sigset_size(sigsetsize)?;
    let mask = ctx.read_u64(set)? & !UNBLOCKABLE;
    {
        let mut s = ctx.task.signal.borrow_mut();
        s.saved_mask = Some(s.mask);
        s.mask = mask;
    }
    let task = ctx.task.clone();
    let _ = wait_event(&task, &[], None, Interruptible::Signals, || None::<()>);
    Err(Errno::ERESTARTNOHAND)
}

/// pause: sleeps until a signal is delivered.
pub fn sys_pause(ctx: &mut TrapContext) -> Result<u64> {
    let task = ctx.task.clone();
    let _ = wait_event(&task, &[], None, Interruptible::Signals, || None::<()>);
    Err(Errno::ERESTARTNOHAND)
}

/// rt_sigtimedwait: takes a pending signal of `set` without running its handler.
pub fn sys_rt_sigtimedwait(
    ctx: &mut TrapContext,
    set: u64,
    info: UserPtr<SigInfo>,
    timeout: u64,
    sigsetsize: u64,
) -> Result<u64> {
    check_sigset_size(sigsetsize)?;
    let set = ctx.read_u64(set)? & !UNBLOCKABLE;
    let deadline = if timeout != 0 {
        Some(super::time::deadline_after(super::time::read_timespec(
            ctx, timeout,
        )?))
    } else {
        None
    };
    let task = ctx.task.clone();
    let take = || {
        let mut s = task.signal.borrow_mut();
        signal::take_from(&task, &mut s.pending, set)
    };
    // The waited-for signals are unblocked while waiting, so that their
    // arrival wakes the task (Linux's real_blocked dance).
    let got = match take() {
        Some(i) => Some(i),
        None => {
            let old = {
                let mut s = task.signal.borrow_mut();
                let old = s.mask;
                s.real_blocked = Some(old);
                s.mask &= !set;
                old
            };
            let r = wait_event(&task, &[], deadline, Interruptible::Signals, take);
            let mut s = task.signal.borrow_mut();
            s.mask = old;
            s.real_blocked = None;
            drop(s);
            match r {
                Ok(Some(i)) => Some(i),
                Ok(None) => return Err(Errno::EAGAIN),
                Err(_) => return Err(Errno::EINTR),
            }
        }
    };
    let info_v = got.expect("a signal was taken");
    if !info.is_null() {
        info.write(ctx, &info_v)?;
    }
    Ok(info_v.si_signo as u64)
}

pub fn sys_sigaltstack(
    ctx: &mut TrapContext,
    ss: UserPtr<StackT>,
    oss: UserPtr<StackT>,
) -> Result<u64> {
    let sp = ctx.regs.rsp;
    let cur = ctx.task.signal.borrow().altstack;
    if !ss.is_null() {
        let s = ss.read(ctx)?;
        let new = AltStack {
            sp: s.ss_sp,
            flags: s.ss_flags,
            size: s.ss_size,
        };
        if cur.contains(sp) {
            return Err(Errno::EPERM);
        }
        let mode = new.flags & !SS_AUTODISARM;
        let next = match mode {
            SS_DISABLE => AltStack::default(),
            0 | SS_ONSTACK => {
                if new.size < MINSIGSTKSZ {
                    return Err(Errno::ENOMEM);
                }
                AltStack {
                    flags: new.flags & SS_AUTODISARM,
                    ..new
                }
            }
            _ => return Err(Errno::EINVAL),
        };
        if !oss.is_null() {
            oss.write(ctx, &cur.to_abi(sp))?;
        }
        ctx.task.signal.borrow_mut().altstack = next;
        return Ok(0);
    }
    if !oss.is_null() {
        oss.write(ctx, &cur.to_abi(sp))?;
    }
    Ok(0)
}

pub fn sys_rt_sigreturn(ctx: &mut TrapContext) -> Result<u64> {
    signal::rt_sigreturn(ctx)
}

/// The siginfo kill(2) and friends send: the caller's pid and uid.
fn user_info(ctx: &TrapContext, sig: i32, code: i32) -> SigInfo {
    let uid = ctx.task.process.cred.borrow().uid;
    SigInfo::kill(sig, code, ctx.task.process.pid, uid)
}

/// Sends `info` to the processes kill(2)'s `pid` names; signal 0 only checks.
/// As Linux's kill_something_info: one named process gives its own error; a
/// group succeeds if any member took the signal, else gives the last error;
/// -1 (every process but init and the caller) succeeds if it found any
/// process, even one the caller may not signal.
fn kill_pid(ctx: &TrapContext, pid: Pid, info: SigInfo) -> Result<u64> {
    let sig = info.si_signo;
    let me = &ctx.task.process;
    let deliver = |p: &std::sync::Arc<task::Process>| -> Result<()> {
        signal::check_kill_permission(me, p, sig)?;
        if sig == 0 {
            return Ok(());
        }
        signal::group_send_sig_info(p, info)
    };
    let live = |p: &&std::sync::Arc<task::Process>| p.exit_status.borrow().is_none();
    match pid {
        p if p > 0 => deliver(&me.find_process(p).ok_or(Errno::ESRCH)?).map(|_| 0),
        -1 => {
            // Every process of the caller's namespace and those below but
            // the namespace's init and the caller.
            let mut found = false;
            let mut result = Ok(0);
            for p in task::all_processes().iter().filter(live) {
                if me.vnr(p.pid) <= 1 || p.pid == me.pid {
                    continue;
                }
                found = true;
                match deliver(p) {
                    Err(Errno::EPERM) => {}
                    r => result = r.map(|_| 0),
                }
            }
            if found {
                result
            } else {
                Err(Errno::ESRCH)
            }
        }
        _ => {
            let pgid = if pid == 0 {
                *me.pgid.borrow()
            } else {
                me.global(-pid).ok_or(Errno::ESRCH)?
            };
            let mut result = Err(Errno::ESRCH);
            let mut any = false;
            for p in task::all_processes().iter().filter(live) {
                if *p.pgid.borrow() == pgid {
                    result = deliver(p);
                    any |= result.is_ok();
                }
            }
            if any {
                Ok(0)
            } else {
                result.map(|_| 0)
            }
        }
    }
}

pub fn sys_kill(ctx: &mut TrapContext, pid: u64, sig: u64) -> Result<u64> {
    let sig = sig as i32;
    if sig != 0 && !signal::valid(sig) {
        return Err(Errno::EINVAL);
    }
    if pid as i32 == i32::MIN {
        return Err(Errno::ESRCH);
    }
    kill_pid(ctx, pid as i32, user_info(ctx, sig, SI_USER))
}

/// Sends `info` to thread `tid`, which must belong to `tgid` unless that is -1.
fn kill_thread(ctx: &TrapContext, tgid: Pid, tid: Pid, info: SigInfo) -> Result<u64> {
    let sig = info.si_signo;
    if tid <= 0 || (tgid != -1 && tgid <= 0) {
        return Err(Errno::EINVAL);
    }
    let me = &ctx.task.process;
    let t = me.find_task(tid).ok_or(Errno::ESRCH)?;
    if tgid != -1 && me.vnr(t.process.pid) != tgid {
        return Err(Errno::ESRCH);
    }
    signal::check_kill_permission(&ctx.task.process, &t.process, sig)?;
    if sig != 0 {
        signal::send_sig_info(&t, info)?;
    }
    Ok(0)
}

pub fn sys_tkill(ctx: &mut TrapContext, tid: u64, sig: u64) -> Result<u64> {
    let sig = sig as i32;
    if sig != 0 && !signal::valid(sig) {
        return Err(Errno::EINVAL);
    }
    kill_thread(ctx, -1, tid as i32, user_info(ctx, sig, SI_TKILL))
}

pub fn sys_tgkill(ctx: &mut TrapContext, tgid: u64, tid: u64, sig: u64) -> Result<u64> {
    let sig = sig as i32;
    if sig != 0 && !signal::valid(sig) {
        return Err(Errno::EINVAL);
    }
    kill_thread(ctx, tgid as i32, tid as i32, user_info(ctx, sig, SI_TKILL))
}

/// Reads the siginfo of rt_sigqueueinfo: a process may not pose as the kernel
/// or as kill(2) towards another process (EPERM), as Linux rules.
fn queued_info(
    ctx: &TrapContext,
    sig: i32,
    info: UserPtr<SigInfo>,
    other: bool,
) -> Result<SigInfo> {
    let info = info.read(ctx)?;
    if (info.si_code >= 0 || info.si_code == SI_TKILL) && other {
        return Err(Errno::EPERM);
    }
    Ok(SigInfo {
        si_signo: sig,
        ..info
    })
}

pub fn sys_rt_sigqueueinfo(
    ctx: &mut TrapContext,
    pid: u64,
    sig: u64,
    info: UserPtr<SigInfo>,
) -> Result<u64> {
    let (pid, sig) = (pid as i32, sig as i32);
    if !signal::valid(sig) {
        return Err(Errno::EINVAL);
    }
    let info = queued_info(ctx, sig, info, pid != ctx.task.process.vpid())?;
    if pid <= 0 {
        return Err(Errno::ESRCH);
    }
    kill_pid(ctx, pid, info)
}

pub fn sys_rt_tgsigqueueinfo(
    ctx: &mut TrapContext,
    tgid: u64,
    tid: u64,
    sig: u64,
    info: UserPtr<SigInfo>,
) -> Result<u64> {
    let (tgid, tid, sig) = (tgid as i32, tid as i32, sig as i32);
    if !signal::valid(sig) {
        return Err(Errno::EINVAL);
    }
    let info = queued_info(ctx, sig, info, tgid != ctx.task.process.vpid())?;
    kill_thread(ctx, tgid, tid, info)
}

/// signalfd(2) and signalfd4(2) (kernel/signalfd.rs).
pub fn sys_signalfd(ctx: &mut TrapContext, fd: i32, mask: u64, sizemask: u64) -> Result<u64> {
    crate::signalfd::do_signalfd4(ctx, fd, mask, sizemask, 0)
}

pub fn sys_signalfd4(
    ctx: &mut TrapContext,
    fd: i32,
    mask: u64,
    size: u64,
    flags: u32,
) -> Result<u64> {
    crate::signalfd::do_signalfd4(ctx, fd, mask, size, flags)
}
