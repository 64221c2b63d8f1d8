//! Who may look inside another process (Linux's `__ptrace_may_access` in
//! kernel/ptrace.c, as /proc uses it with `PTRACE_MODE_READ_FSCREDS`): the
//! threads of one process always; otherwise the caller's filesystem uid must
//! equal the target's real, effective and saved uids, and its filesystem gid
//! the target's three gids, the target must be dumpable, and its permitted
//! capabilities must be among the caller's effective ones; CAP_SYS_PTRACE
//! overrides all three. A process stops being dumpable
//! when its credentials change (setuid and friends) or it execs a set-id
//! program, and becomes dumpable again at a plain exec or PR_SET_DUMPABLE.

use super::Process;
use std::sync::Arc;

/// Returns whether `caller` may read the memory, environment, files and
/// links of `target`.
pub fn ptrace_may_access(caller: &Arc<Process>, target: &Arc<Process>) -> bool {
    if Arc::ptr_eq(caller, target) {
        return true;
    }
    let c = caller.cred.borrow().clone();
    if c.capable(arch::abi::capability::CAP_SYS_PTRACE) {
        return true;
    }
    let t = target.cred.borrow().clone();
    let same_ids = [t.uid, t.euid, t.suid].iter().all(|&u| u == c.fsuid)
        && [t.gid, t.egid, t.sgid].iter().all(|&g| g == c.fsgid);
    // The capability module's rule: nobody reaches a target with
    // permitted capabilities it does not hold itself (effective, with the
    // filesystem credentials).
    let caps_covered = t.cap_permitted & !c.cap_effective == 0;
    same_ids && target.dumpable() && caps_covered
}
