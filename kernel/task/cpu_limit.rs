//! RLIMIT_CPU (getrlimit(2); Linux's check_process_timers): a process whose
//! CPU time (user and system, all its threads) reaches its soft limit gets
//! SIGXCPU and the soft limit moves on a second, so it gets one each second
//! after; at the hard limit it gets SIGKILL. While the soft limit is finite a
//! watcher on the kernel timer queue samples the process's CPU time, as
//! rarely as the time left allows and at least every 10 ms near the limit
//! (Linux's tick). setrlimit and fork start it (`watch`); a newer watch, an
//! infinite limit or the process's end stops it.

use super::Process;
use crate::signal::{self, SigInfo, SI_KERNEL};
use arch::abi::resource::{RLIMIT_CPU, RLIM_INFINITY};
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

const NS: u64 = 1_000_000_000;
/// The shortest and longest wait between two samples.
const TICK: Duration = Duration::from_millis(10);
const LONGEST: Duration = Duration::from_secs(1);

/// Starts watching `p`'s CPU time against its RLIMIT_CPU, replacing the
/// watcher it had; nothing is watched while the soft limit is infinite.
pub fn watch(p: &Arc<Process>) {
    let generation = p.cpu_limit_watch.fetch_add(1, Ordering::Relaxed) + 1;
    if p.rlimit(RLIMIT_CPU) != RLIM_INFINITY {
        schedule(p, generation, TICK);
    }
}

fn schedule(p: &Arc<Process>, generation: u64, after: Duration) {
    let weak = Arc::downgrade(p);
    crate::timer::add(Instant::now() + after, move || tick(weak, generation));
}

/// Samples the CPU time of the process, signals it at its limits, and
/// schedules the next sample.
fn tick(p: Weak<Process>, generation: u64) {
    let Some(p) = p.upgrade() else { return };
    if p.cpu_limit_watch.load(Ordering::Relaxed) != generation || p.exit_status.borrow().is_some() {
        return;
    }
    let (soft, hard) = p.rlimits.borrow()[RLIMIT_CPU];
    if soft == RLIM_INFINITY {
        return;
    }
    let (user, system) = crate::syscall::sched::process_times(&p);
    let used = user + system;
    if hard != RLIM_INFINITY && used >= hard.saturating_mul(NS) {
        signal::send_to_process(&p, SigInfo::new(signal::SIGKILL, SI_KERNEL));
        return;
    }
    let mut next = soft;
    if used >= soft.saturating_mul(NS) {
        signal::send_to_process(&p, SigInfo::new(signal::SIGXCPU, SI_KERNEL));
        next = soft.saturating_add(1);
        p.rlimits.borrow_mut()[RLIMIT_CPU].0 = next;
    }
    // CPU time grows at most as fast as wall time on every thread.
    let threads = p.threads.borrow().len().max(1) as u64;
    let target = next.min(hard).saturating_mul(NS);
    let left = Duration::from_nanos(target.saturating_sub(used) / threads);
    schedule(&p, generation, left.clamp(TICK, LONGEST));
}
