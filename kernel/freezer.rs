//! The system freezer behind the mconsole's `stop` and `go` (Linux's
//! kernel/freezer.c as the suspend path uses it): while the system is
//! frozen, every guest task stops before it next returns to guest code —
//! a sleeping call is interrupted to get there and restarted after the
//! thaw — exactly as a task of a frozen control group does (cgroup.freeze,
//! `crate::cgroup::set_frozen`), but for all tasks at once and without
//! touching the groups' own state. Kernel threads (timers, the consoles'
//! input, the mconsole) keep running.

use std::sync::atomic::{AtomicBool, Ordering};

static FROZEN: AtomicBool = AtomicBool::new(false);

/// Returns whether the system is frozen.
pub fn frozen() -> bool {
    FROZEN.load(Ordering::Acquire)
}

/// Wakes and kicks every task so it looks at the freezer.
fn poke_all() {
    for t in crate::task::all_tasks() {
        t.waiter.wake_task();
        t.kick();
    }
}

/// Freezes every guest task; returns false if the system was frozen already.
pub fn freeze() -> bool {
    if FROZEN.swap(true, Ordering::AcqRel) {
        return false;
    }
    poke_all();
    true
}

/// Thaws every guest task; returns false if the system was not frozen.
pub fn thaw() -> bool {
    if !FROZEN.swap(false, Ordering::AcqRel) {
        return false;
    }
    poke_all();
    true
}
