//! Who may look inside another process (Linux's `__ptrace_may_access` in
//! kernel/ptrace.c): the threads of one process always; otherwise the
//! caller's uid (the filesystem uid for /proc, the real uid for ptrace and
//! process_vm_readv) must equal the target's real, effective and saved
//! uids, and likewise its gid the target's three gids, the target must be
//! dumpable, and its permitted capabilities must be among the caller's
//! effective ones; CAP_SYS_PTRACE overrides all three. A process stops
//! being dumpable when its credentials change (setuid and friends) or it
//! execs a set-id program, and becomes dumpable again at a plain exec or
//! PR_SET_DUMPABLE. Access that lets the caller change the target (the
//! attach modes) also passes Yama's rules (`crate::ptrace::yama`).

use super::Process;
use std::sync::Arc;

/// Linux's PTRACE_MODE_* pairs: what the access allows, and which of the
/// caller's ids are compared.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct AccessMode {
    /// PTRACE_MODE_ATTACH (to change or stop the target) rather than
    /// PTRACE_MODE_READ.
    pub attach: bool,
    /// PTRACE_MODE_FSCREDS (the filesystem ids) rather than REALCREDS.
    pub fscreds: bool,
}

impl AccessMode {
    /// /proc's files that show a process's insides (maps, environ, fd).
    pub const READ_FSCREDS: AccessMode = AccessMode {
        attach: false,
        fscreds: true,
    };
    /// kcmp(2) and get_robust_list(2).
    pub const READ_REALCREDS: AccessMode = AccessMode {
        attach: false,
        fscreds: false,
    };
    /// /proc/PID/mem.
    pub const ATTACH_FSCREDS: AccessMode = AccessMode {
        attach: true,
        fscreds: true,
    };
    /// ptrace(2)'s attach, process_vm_readv(2) and process_vm_writev(2).
    pub const ATTACH_REALCREDS: AccessMode = AccessMode {
        attach: true,
        fscreds: false,
    };
}

/// Returns whether `caller` may read (or, in an attach mode, change) the
/// memory, environment, files and links of `target`.
pub fn ptrace_may_access(caller: &Arc<Process>, target: &Arc<Process>, mode: AccessMode) -> bool {
    if Arc::ptr_eq(caller, target) {
        return true;
    }
    if !credentials_allow(caller, target, mode) {
        return false;
    }
    !mode.attach || crate::ptrace::yama::may_attach(caller, target)
}

fn credentials_allow(caller: &Arc<Process>, target: &Arc<Process>, mode: AccessMode) -> bool {
    let c = caller.cred.borrow().clone();
    if c.capable(arch::abi::capability::CAP_SYS_PTRACE) {
        return true;
    }
    let (uid, gid) = if mode.fscreds {
        (c.fsuid, c.fsgid)
    } else {
        (c.uid, c.gid)
    };
    let t = target.cred.borrow().clone();
    let same_ids = [t.uid, t.euid, t.suid].iter().all(|&u| u == uid)
        && [t.gid, t.egid, t.sgid].iter().all(|&g| g == gid);
    // The capability module's rule: nobody reaches a target with
    // permitted capabilities it does not hold itself (its effective set
    // with the filesystem credentials, its permitted set with the real).
    let held = if mode.fscreds {
        c.cap_effective
    } else {
        c.cap_permitted
    };
    let caps_covered = t.cap_permitted & !held == 0;
    same_ids && target.dumpable() && caps_covered
}
