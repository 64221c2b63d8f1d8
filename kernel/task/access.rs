//! Who may look inside another process (Linux's `__ptrace_may_access` in
//! kernel/ptrace.c, as /proc uses it with `PTRACE_MODE_READ_FSCREDS`): the
//! threads of one process always; otherwise the caller's filesystem uid must
//! equal the target's real, effective and saved uids, and its filesystem gid
//! the target's three gids, and the target must be dumpable; CAP_SYS_PTRACE
//! (an effective uid of 0 here) overrides both. A process stops being dumpable
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
    if c.euid == 0 {
        return true;
    }
    let t = target.cred.borrow().clone();
    let same_ids = [t.uid, t.euid, t.suid].iter().all(|&u| u == c.fsuid)
        && [t.gid, t.egid, t.sgid].iter().all(|&g| g == c.fsgid);
    same_ids && target.dumpable()
}
