//! What the controllers enforce: `pids.max` at fork, `memory.max` after
//! the page faults that take memory, and `cpu.weight` as the host nice
//! value of the group's tasks.
//!
//! Memory is what the group's address spaces hold resident (their pages and
//! page tables, each address space once), the measure Linux's OOM killer
//! ranks by; page cache and tmpfs pages are not charged to groups. Past
//! `memory.max` the process of the group (or below) with the highest OOM
//! badness is killed, as Linux's memory-cgroup OOM killer does.
//!
//! A group's CPU weight (1 to 10000, 100 by default) becomes the nice value
//! whose scheduler weight is nearest (each nice step is a factor of 1.25,
//! Linux's `sched_prio_to_weight`), added to each task's own nice value for
//! its host thread and guest CPU: the host's scheduler then shares CPU time
//! between the groups' tasks in about the ratio of their weights. Only the
//! group's own weight counts (not its ancestors'), and a host process that
//! may not lower nice values keeps its tasks at 0 or above.

use super::{Cgroup, Controllers, MAX};
use crate::task::{Process, Task};
use arch::{Errno, Result};
use std::collections::BTreeSet;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

/// The number of groups with a memory.max below max: faults look no
/// further while it is zero.
pub static MEMORY_LIMITS: AtomicUsize = AtomicUsize::new(0);

/// Returns the groups from `cg` up to the root whose own `controller` is
/// enabled (its parent gives it).
fn limiting(cg: &Arc<Cgroup>, controller: Controllers) -> Vec<Arc<Cgroup>> {
    let mut out = Vec::new();
    let mut at = Some(cg.clone());
    while let Some(c) = at {
        if c.controllers().contains(controller) && !c.is_root() {
            out.push(c.clone());
        }
        at = c.parent.clone();
    }
    out
}

/// Checks that `p` may have one more task: `EAGAIN` when a group on its
/// path is at its `pids.max` (that group's pids.events counts it).
pub fn may_fork(p: &Process) -> Result<()> {
    let cg = super::of(p);
    for c in limiting(&cg, Controllers::PIDS) {
        let max = c.st.borrow().pids_max;
        if max != MAX && c.nr_tasks() >= max {
            c.st.borrow_mut().pids_events_max += 1;
            super::fs::notify_modified(&c, "pids.events");
            return Err(Errno::EAGAIN);
        }
    }
    Ok(())
}

/// Returns the memory the group and its descendants hold, in bytes.
pub fn memory_current(cg: &Arc<Cgroup>) -> u64 {
    let mut seen = BTreeSet::new();
    let mut pages = 0;
    for p in cg.subtree_processes() {
        let mm = p.mm.borrow().clone();
        if seen.insert(Arc::as_ptr(&mm) as usize) {
            let m = mm.borrow();
            pages += m.rss_pages() + m.page_table_pages();
        }
    }
    pages * arch::PAGE_SIZE
}

/// The memory.stat figures of a group, in bytes.
pub struct MemoryStat {
    pub anon: u64,
    pub file: u64,
    pub pagetables: u64,
}

/// Returns what memory.stat shows: the resident pages of the group's
/// address spaces, by whether a file backs them.
pub fn memory_stat(cg: &Arc<Cgroup>) -> MemoryStat {
    let mut seen = BTreeSet::new();
    let mut st = MemoryStat {
        anon: 0,
        file: 0,
        pagetables: 0,
    };
    for p in cg.subtree_processes() {
        let mm = p.mm.borrow().clone();
        if !seen.insert(Arc::as_ptr(&mm) as usize) {
            continue;
        }
        let m = mm.borrow();
        st.pagetables += m.page_table_pages() * arch::PAGE_SIZE;
        for vma in m.vmas() {
            let n = m.resident(vma.start, vma.end).len() as u64 * arch::PAGE_SIZE;
            if vma.file.is_some() {
                st.file += n;
            } else {
                st.anon += n;
            }
        }
    }
    st
}

/// Returns whether a memory limit of some cgroup is in force.
pub fn memory_limited() -> bool {
    MEMORY_LIMITS.load(Ordering::Relaxed) != 0
}

/// Called after a fault of `task` took memory: past a memory.max on its
/// path, kills the group's process of highest badness.
pub fn charge_fault(task: &Arc<Task>) {
    if MEMORY_LIMITS.load(Ordering::Relaxed) == 0 {
        return;
    }
    let cg = super::of(&task.process);
    for c in limiting(&cg, Controllers::MEMORY) {
        let max = c.st.borrow().memory.max;
        if max == MAX || memory_current(&c) <= max {
            continue;
        }
        c.st.borrow_mut().memory.events[1] += 1;
        let victim = c
            .subtree_processes()
            .into_iter()
            .filter_map(|p| crate::oom::badness(&p).map(|b| (b, p)))
            .max_by_key(|(b, _)| *b);
        c.st.borrow_mut().memory.events[2] += 1;
        if let Some((_, v)) = victim {
            if v.signal.borrow().group_exit.is_none() {
                let memcg = crate::oom::Constraint::Memcg(&c);
                crate::oom::dump_header(&task.process, &memcg, &v);
                crate::oom::killed("Memory cgroup out of memory", &v);
                c.st.borrow_mut().memory.events[3] += 1;
                let info =
                    crate::signal::SigInfo::new(crate::signal::SIGKILL, crate::signal::SI_KERNEL);
                crate::signal::send_to_process(&v, info);
            }
        }
        super::fs::notify_modified(&c, "memory.events");
        return;
    }
}

/// Returns the nice value whose scheduler weight is nearest to cgroup
/// weight `w` (100 is nice 0).
pub fn weight_to_nice(w: u64) -> i32 {
    let ratio = w.clamp(1, 10_000) as f64 / 100.0;
    (-(ratio.ln() / 1.25f64.ln())).round().clamp(-20.0, 19.0) as i32
}

/// Returns the cgroup weight of nice value `n` (cpu.weight.nice writes).
pub fn nice_to_weight(n: i32) -> u64 {
    let w = 100.0 * 1.25f64.powi(-n.clamp(-20, 19));
    (w.round() as u64).clamp(1, 10_000)
}

/// Returns the host nice value for task `t`: its own nice plus its
/// group's, or the least favoured for a `SCHED_IDLE` task.
pub fn effective_nice(t: &Task) -> i32 {
    let s = *t.sched.borrow();
    if s.policy == crate::syscall::sched_policy::SCHED_IDLE {
        return 19;
    }
    let w = super::of(&t.process).st.borrow().cpu_weight;
    (s.nice + weight_to_nice(w)).clamp(-20, 19)
}

/// Gives the tasks of `p` the host nice value their group asks for.
pub fn apply_nice(p: &Process) {
    for t in p.threads.borrow().iter() {
        if let Some(c) = t.cpu() {
            c.set_nice(effective_nice(t));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_and_nice_values_meet_at_the_default() {
        assert_eq!(weight_to_nice(100), 0);
        assert_eq!(nice_to_weight(0), 100);
        assert_eq!(weight_to_nice(10_000), -20);
        assert_eq!(weight_to_nice(1), 19);
        assert_eq!(weight_to_nice(125), -1);
        assert_eq!(weight_to_nice(80), 1);
        for n in -20..=14 {
            assert_eq!(weight_to_nice(nice_to_weight(n)), n, "nice {n}");
        }
    }
}
