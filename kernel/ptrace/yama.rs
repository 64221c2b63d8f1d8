//! Yama's ptrace restrictions (Linux's security/yama, Documentation/
//! admin-guide/LSM/Yama.rst), applied on top of the credential check to
//! every access that may change a process (ptrace attach, /proc/PID/mem,
//! process_vm_writev and friends). /proc/sys/kernel/yama/ptrace_scope:
//!
//! - 0: the credential check alone;
//! - 1 (Yama's default): the tracer must be an ancestor of the target, or
//!   a process (or a descendant of one) the target named with
//!   PR_SET_PTRACER, or hold CAP_SYS_PTRACE;
//! - 2: only CAP_SYS_PTRACE attaches, and PTRACE_TRACEME needs a parent
//!   with it;
//! - 3: nothing attaches, and the setting can no longer change.

use crate::task::Process;
use arch::abi::capability::CAP_SYS_PTRACE;
use arch::{Errno, Result};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Weak};

/// kernel.yama.ptrace_scope.
pub static PTRACE_SCOPE: AtomicU32 = AtomicU32::new(SCOPE_RELATIONAL);

const SCOPE_DISABLED: u32 = 0;
const SCOPE_RELATIONAL: u32 = 1;
const SCOPE_CAPABILITY: u32 = 2;
const SCOPE_NO_ATTACH: u32 = 3;

/// PR_SET_PTRACER's argument naming any process.
pub const PR_SET_PTRACER_ANY: u64 = u64::MAX;

/// Whom a process allowed to attach to it with PR_SET_PTRACER.
#[derive(Clone)]
pub enum Ptracer {
    Any,
    /// This process and its descendants.
    Process(Weak<Process>),
}

/// Returns whether `ancestor` is `p` or one of its ancestors (by parent,
/// as reparenting leaves them).
fn is_descendant(ancestor: &Arc<Process>, p: &Arc<Process>) -> bool {
    let mut walker = p.clone();
    loop {
        if Arc::ptr_eq(&walker, ancestor) {
            return true;
        }
        let parent = walker.parent.borrow().upgrade();
        match parent {
            Some(next) if !Arc::ptr_eq(&next, &walker) => walker = next,
            _ => return false,
        }
    }
}

/// Returns whether `tracee` named `tracer` (or one of its ancestors, or
/// anyone) with PR_SET_PTRACER.
fn exception_found(tracer: &Arc<Process>, tracee: &Arc<Process>) -> bool {
    match &*tracee.ptracer.borrow() {
        Some(Ptracer::Any) => true,
        Some(Ptracer::Process(w)) => w.upgrade().is_some_and(|a| is_descendant(&a, tracer)),
        None => false,
    }
}

/// Yama's check of an attach of `tracer` to `tracee`, after the
/// credential check passed; a refusal is logged as Linux logs it.
pub fn may_attach(tracer: &Arc<Process>, tracee: &Arc<Process>) -> bool {
    let has_cap = || tracer.cred.borrow().capable(CAP_SYS_PTRACE);
    let ok = match PTRACE_SCOPE.load(Ordering::Relaxed) {
        SCOPE_DISABLED => true,
        SCOPE_RELATIONAL => {
            is_descendant(tracer, tracee) || exception_found(tracer, tracee) || has_cap()
        }
        SCOPE_CAPABILITY => has_cap(),
        _ => false,
    };
    if !ok {
        let comm = |p: &Process| String::from_utf8_lossy(&p.comm.borrow()).into_owned();
        crate::printk::emit(
            5,
            &format!(
                "ptrace attach of \"{}\"[{}] was attempted by \"{}\"[{}]",
                comm(tracee),
                tracee.pid,
                comm(tracer),
                tracer.pid
            ),
        );
    }
    ok
}

/// Yama's check of PTRACE_TRACEME, `parent` becoming the tracer.
pub fn may_traceme(parent: &Arc<Process>) -> Result<()> {
    match PTRACE_SCOPE.load(Ordering::Relaxed) {
        SCOPE_CAPABILITY if !parent.cred.borrow().capable(CAP_SYS_PTRACE) => Err(Errno::EPERM),
        SCOPE_NO_ATTACH => Err(Errno::EPERM),
        _ => Ok(()),
    }
}

/// prctl(PR_SET_PTRACER, `arg`) by process `me`: 0 forgets the exception,
/// PR_SET_PTRACER_ANY allows anyone, a pid names a live process (EINVAL
/// otherwise).
pub fn set_ptracer(me: &Arc<Process>, arg: u64) -> Result<u64> {
    let exception = match arg {
        0 => None,
        PR_SET_PTRACER_ANY => Some(Ptracer::Any),
        pid => {
            let pid = i32::try_from(pid).map_err(|_| Errno::EINVAL)?;
            let p = me.find_process(pid).ok_or(Errno::EINVAL)?;
            Some(Ptracer::Process(Arc::downgrade(&p)))
        }
    };
    *me.ptracer.borrow_mut() = exception;
    Ok(0)
}

/// Returns the text of /proc/sys/kernel/yama/ptrace_scope.
pub fn scope_text() -> Vec<u8> {
    format!("{}\n", PTRACE_SCOPE.load(Ordering::Relaxed)).into_bytes()
}

/// Sets kernel.yama.ptrace_scope: CAP_SYS_PTRACE is needed (EPERM), the
/// value is 0 to 3 (EINVAL), and once it is 3 it stays.
pub fn set_scope(text: &str) -> Result<()> {
    if !crate::capability::capable(CAP_SYS_PTRACE) {
        return Err(Errno::EPERM);
    }
    let v = text.trim().parse::<u32>().map_err(|_| Errno::EINVAL)?;
    let now = PTRACE_SCOPE.load(Ordering::Relaxed);
    if v > SCOPE_NO_ATTACH || (now == SCOPE_NO_ATTACH && v != now) {
        return Err(Errno::EINVAL);
    }
    PTRACE_SCOPE.store(v, Ordering::Relaxed);
    Ok(())
}
