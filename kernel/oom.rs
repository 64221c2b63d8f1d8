//! The OOM killer (Linux's mm/oom_kill.c, in its simple global form). When a
//! page a process maps finds no frame even after the page caches gave back
//! what they could (`mm::FrameAllocator::alloc`), the fault or system call
//! that wanted it calls `out_of_memory` on its way out, holding only the
//! kernel lock. That chooses the process with the highest badness — the
//! pages its address space holds (resident pages and page tables) plus
//! `oom_score_adj` thousandths of RAM — never init, never one whose
//! `oom_score_adj` is -1000, kills it with SIGKILL, logs it as Linux's dmesg
//! does and waits, without the kernel lock, until its address space is torn
//! down and its frames are free; then the caller retries. A victim that does
//! not go within `VICTIM_WAIT` is passed over from then on (Linux's
//! oom_reaper gives up on it the same way). While a victim dies, every other
//! caller waits for it rather than choosing another (Linux's `oom_lock`).

mod report;

pub use report::{dump_header, killed, Constraint};

use crate::signal::{self, SigInfo};
use crate::task::{all_processes, Process, Task};
use arch::sync::KernelCell;
use mm::Mm;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// `oom_score_adj` that makes a process never chosen.
pub const OOM_SCORE_ADJ_MIN: i32 = -1000;
/// `oom_score_adj` that makes a process chosen first.
pub const OOM_SCORE_ADJ_MAX: i32 = 1000;
/// How long a victim may take to release its memory.
const VICTIM_WAIT: Duration = Duration::from_secs(5);
/// How often the waiter looks whether the victim went.
const POLL: Duration = Duration::from_millis(5);

/// How many processes the OOM killer killed (/proc/vmstat's `oom_kill`).
static OOM_KILLS: AtomicU64 = AtomicU64::new(0);

type MmRef = Arc<KernelCell<Mm>>;

/// The victim being waited for, and the address spaces of victims that did
/// not go in time.
struct State {
    victim: Option<Victim>,
    skip: Vec<Weak<KernelCell<Mm>>>,
}

/// A victim's address space and when it must be gone.
#[derive(Clone)]
struct Victim {
    mm: Weak<KernelCell<Mm>>,
    deadline: Instant,
}

static STATE: KernelCell<State> = KernelCell::new(State {
    victim: None,
    skip: Vec::new(),
});

/// Returns how many processes the OOM killer killed since boot.
pub fn kills() -> u64 {
    OOM_KILLS.load(Ordering::Relaxed)
}

/// Returns the pages of RAM (Linux's `totalram_pages`; there is no swap).
fn total_pages() -> i64 {
    crate::boot::kernel().frames.total_frames() as i64
}

/// Returns the badness of `p` (Linux's `oom_badness`): the pages its
/// address space holds, adjusted by `oom_score_adj`; `None` for what is
/// never chosen — init, zombies, `OOM_SCORE_ADJ_MIN`, victims passed over.
pub fn badness(p: &Process) -> Option<i64> {
    let adj = p.oom_score_adj.load(Ordering::Relaxed);
    if p.pid == 1 || adj == OOM_SCORE_ADJ_MIN || p.exit_status.borrow().is_some() {
        return None;
    }
    if p.threads.borrow().is_empty() {
        return None;
    }
    let mm = p.mm.borrow().clone();
    if STATE
        .borrow()
        .skip
        .iter()
        .any(|s| std::ptr::eq(s.as_ptr(), Arc::as_ptr(&mm)))
    {
        return None;
    }
    let points = {
        let m = mm.borrow();
        (m.rss_pages() + m.page_table_pages()) as i64
    };
    Some(points + i64::from(adj) * (total_pages() / 1000))
}

/// Returns /proc/PID/oom_score: the badness scaled to 0..2000 as Linux
/// shows it, 0 for what is never chosen.
pub fn oom_score(p: &Process) -> u64 {
    let total = total_pages().max(1);
    match badness(p) {
        Some(b) => ((1000 + b * 1000 / total) * 2 / 3).max(0) as u64,
        None => 0,
    }
}

/// Frees memory for `current`, whose allocation of a frame failed: waits
/// for the victim of an earlier call, or kills the process with the highest
/// badness and waits until its memory is free. Returns whether the
/// allocation is worth retrying: something was freed (or `current` is
/// dying itself); false when nothing is left to kill.
pub fn out_of_memory(current: &Arc<Task>) -> bool {
    if signal::fatal_signal_pending(current) {
        // Dying already: its own memory goes on the way out.
        return true;
    }
    let pending = {
        let mut st = STATE.borrow_mut();
        st.skip.retain(|s| s.strong_count() > 0);
        st.victim.clone()
    };
    if let Some(v) = pending {
        return wait_for(current, &v.mm, v.deadline);
    }
    let Some(victim) = select() else {
        log::error!("Out of memory and no killable processes...");
        return false;
    };
    report::dump_header(&current.process, &Constraint::None, &victim);
    let mm = kill(&victim);
    let deadline = Instant::now() + VICTIM_WAIT;
    STATE.borrow_mut().victim = Some(Victim {
        mm: Arc::downgrade(&mm),
        deadline,
    });
    let weak = Arc::downgrade(&mm);
    drop(mm);
    wait_for(current, &weak, deadline)
}

/// Called when a process released its address space: if that was the last
/// reference to a victim's (of this or of a memory cgroup's OOM), logs the
/// reaper's line now (Linux's oom_reaper runs on its own).
pub fn mm_released() {
    report::reap();
}

/// Returns the process with the highest badness; of equals, the youngest.
fn select() -> Option<Arc<Process>> {
    let mut chosen: Option<(i64, Arc<Process>)> = None;
    for p in all_processes() {
        if let Some(points) = badness(&p) {
            if chosen.as_ref().is_none_or(|(best, _)| points >= *best) {
                chosen = Some((points, p));
            }
        }
    }
    chosen.map(|(_, p)| p)
}

/// Kills `victim` and every other process sharing its address space but
/// init, logging it; returns the address space.
fn kill(victim: &Arc<Process>) -> MmRef {
    let mm = victim.mm.borrow().clone();
    report::killed("Out of memory", victim);
    for p in all_processes() {
        let shares = Arc::ptr_eq(&p.mm.borrow(), &mm);
        if shares && p.pid != 1 && p.exit_status.borrow().is_none() {
            signal::send_to_process(&p, SigInfo::new(signal::SIGKILL, signal::SI_KERNEL));
        }
    }
    OOM_KILLS.fetch_add(1, Ordering::Relaxed);
    mm
}

/// Waits, without the kernel lock, until the address space `mm` is gone,
/// `current` is dying or `deadline` passes; a victim that outlives its
/// deadline is passed over from then on. Returns true: either way the
/// allocation may be tried again.
fn wait_for(current: &Task, mm: &Weak<KernelCell<Mm>>, deadline: Instant) -> bool {
    loop {
        if mm.strong_count() == 0 {
            let mut st = STATE.borrow_mut();
            if st.victim.as_ref().is_some_and(|v| v.mm.ptr_eq(mm)) {
                st.victim = None;
            }
            drop(st);
            report::reap();
            return true;
        }
        if signal::fatal_signal_pending(current) {
            return true;
        }
        if Instant::now() >= deadline {
            let mut st = STATE.borrow_mut();
            if st.victim.as_ref().is_some_and(|v| v.mm.ptr_eq(mm)) {
                log::warn!("oom_reaper: a victim did not release its memory in time");
                st.victim = None;
                st.skip.push(mm.clone());
            }
            return true;
        }
        crate::lock::unlocked(|| std::thread::sleep(POLL));
    }
}
