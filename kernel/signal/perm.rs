//! Who may signal whom (kill(2), Linux's `check_kill_permission`): a process
//! may signal its own threads; otherwise the sender's real or effective uid
//! must match the target's real or saved uid, or the sender has CAP_KILL (an
//! effective uid of 0 here), or the signal is SIGCONT within one session.
//! Signals the kernel raises itself (faults, timers, SIGCHLD, the tty) are
//! never checked: only the system calls of `syscall/signal.rs` and
//! `pidfd_send_signal` come through here.

use super::SIGCONT;
use crate::task::Process;
use arch::{Errno, Result};
use std::sync::Arc;

/// Returns Ok if `sender` may send `sig` (0 for the existence check) to
/// `target`, EPERM if not.
pub fn check_kill_permission(sender: &Arc<Process>, target: &Arc<Process>, sig: i32) -> Result<()> {
    if Arc::ptr_eq(sender, target) {
        return Ok(());
    }
    let (s, t) = (sender.cred.borrow().clone(), target.cred.borrow().clone());
    let by_cred = s.capable(arch::abi::capability::CAP_KILL)
        || s.euid == t.suid
        || s.euid == t.uid
        || s.uid == t.suid
        || s.uid == t.uid;
    if by_cred || (sig == SIGCONT && *sender.sid.borrow() == *target.sid.borrow()) {
        Ok(())
    } else {
        Err(Errno::EPERM)
    }
}
