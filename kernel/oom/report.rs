//! The OOM killer's report in the kernel log (Linux's mm/oom_kill.c
//! `dump_header`, `dump_tasks`, `dump_oom_summary`, `__oom_kill_process` and
//! `__oom_reap_task_mm`, with mm/show_mem.c's "Mem-Info:" summary and
//! mm/memcontrol.c's `mem_cgroup_print_oom_meminfo`). The lines, their
//! levels and their order are Linux's; the stack dump is left out, and the
//! memory summary has only the counters this kernel keeps (no swap, no
//! inactive lists, no dirty or writeback accounting): fields it would have
//! to invent are not printed.

use crate::cgroup::Cgroup;
use crate::task::{all_processes, Pid, Process};
use arch::sync::KernelCell;
use mm::Mm;
use std::collections::BTreeSet;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Weak};

/// A killed victim's address space, pid and name.
type Reaped = (Weak<KernelCell<Mm>>, Pid, String);

/// Killed victims whose address space is not gone yet, for the reaper's
/// line.
static REAP: KernelCell<Vec<Reaped>> = KernelCell::new(Vec::new());

/// What the OOM was confined to (Linux's `enum oom_constraint`).
pub enum Constraint<'a> {
    /// All of RAM: `CONSTRAINT_NONE`, `global_oom`.
    None,
    /// A memory cgroup past its `memory.max`: `CONSTRAINT_MEMCG`.
    Memcg(&'a Arc<Cgroup>),
}

/// Linux's `gfp_mask` of a user page allocation (a page fault's):
/// `GFP_HIGHUSER_MOVABLE`.
const GFP_HIGHUSER_MOVABLE: u32 = 0x100cca;

fn comm(p: &Process) -> String {
    String::from_utf8_lossy(&p.comm.borrow()).into_owned()
}

/// Logs what precedes the kill (Linux's `dump_header`): who invoked the
/// OOM killer, the memory summary, the candidate tasks and the summary
/// naming `victim`.
pub fn dump_header(current: &Process, constraint: &Constraint, victim: &Process) {
    log::warn!(
        "{} invoked oom-killer: gfp_mask={:#x}(GFP_HIGHUSER_MOVABLE), order=0, oom_score_adj={}",
        comm(current),
        GFP_HIGHUSER_MOVABLE,
        current.oom_score_adj.load(Ordering::Relaxed)
    );
    match constraint {
        Constraint::None => show_mem(),
        Constraint::Memcg(cg) => memcg_meminfo(cg),
    }
    dump_tasks(constraint);
    dump_oom_summary(constraint, victim);
}

/// Linux's `show_mem` as far as this kernel counts: pages on the LRU-like
/// lists (all active: there are no inactive lists), slab, shmem, page
/// tables and free pages, split as /proc/meminfo splits them.
fn show_mem() {
    let k = crate::boot::kernel();
    let total = k.frames.total_frames();
    let free = k.frames.free_frames();
    let used = total - free.min(total);
    let shmem = k.frames.shmem_frames().min(used);
    let file = crate::filemap::cached_pages().min(used - shmem);
    let pipes = crate::pipe::buffer_pages().min(used - shmem - file);
    let slab = crate::kmem::pages().min(used - shmem - file - pipes);
    let anon = used - shmem - file - pipes - slab;
    let mut seen = BTreeSet::new();
    let mut pagetables = 0;
    for p in all_processes() {
        let mm = p.mm.borrow().clone();
        if seen.insert(Arc::as_ptr(&mm) as usize) {
            pagetables += mm.borrow().page_table_pages();
        }
    }
    log::warn!("Mem-Info:");
    log::warn!(
        "active_anon:{} inactive_anon:0 isolated_anon:0",
        anon + shmem
    );
    log::warn!(" active_file:{file} inactive_file:0 isolated_file:0");
    log::warn!(" slab_reclaimable:0 slab_unreclaimable:{slab}");
    log::warn!(" shmem:{shmem} pagetables:{pagetables}");
    log::warn!(" free:{free} free_pcp:0 free_cma:0");
}

/// Linux's `mem_cgroup_print_oom_meminfo`, its first line: the group's
/// usage and limit, and how often it reached the limit.
fn memcg_meminfo(cg: &Arc<Cgroup>) {
    let usage = crate::cgroup::limits::memory_current(cg) / 1024;
    let (max, failcnt) = {
        let st = cg.st.borrow();
        (st.memory.max, st.memory.events[1])
    };
    let limit = if max == crate::cgroup::MAX {
        // Linux shows PAGE_COUNTER_MAX pages.
        (i64::MAX as u64 / arch::PAGE_SIZE) * (arch::PAGE_SIZE / 1024)
    } else {
        max / 1024
    };
    log::info!("memory: usage {usage}kB, limit {limit}kB, failcnt {failcnt}");
}

/// Returns whether `p` is a row of the task dump: it has an address space
/// (not a zombie) and is not init (Linux's `oom_unkillable_task`).
fn dumpable(p: &Process) -> bool {
    p.pid != 1 && p.exit_status.borrow().is_none() && !p.threads.borrow().is_empty()
}

/// Linux's `dump_tasks`: one row per process that could be chosen, of the
/// whole system or of the memory cgroup, in pages.
fn dump_tasks(constraint: &Constraint) {
    log::info!("Tasks state (memory values in pages):");
    log::info!(
        "[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem \
         pgtables_bytes swapents oom_score_adj name"
    );
    let procs = match constraint {
        Constraint::None => all_processes(),
        Constraint::Memcg(cg) => cg.subtree_processes(),
    };
    for p in procs.iter().filter(|p| dumpable(p)) {
        let u = crate::proc::usage(p);
        let tables = p.mm.borrow().borrow().page_table_pages() * arch::PAGE_SIZE;
        log::info!(
            "[{:>7}] {:>5} {:>5} {:>8} {:>8} {:>8} {:>8} {:>9} {:>8} {:>8}         {:>5} {}",
            p.pid,
            p.cred.borrow().uid,
            p.pid,
            u.size,
            u.rss,
            u.rss_anon,
            u.rss_file,
            u.rss_shmem,
            tables,
            0,
            p.oom_score_adj.load(Ordering::Relaxed),
            comm(p)
        );
    }
}

/// Linux's `dump_oom_summary`: the constraint, the cpuset and memory nodes
/// (one node, no cpuset controller: the root), the OOM's and the victim's
/// memory cgroups and the victim.
fn dump_oom_summary(constraint: &Constraint, victim: &Process) {
    let (name, memcg) = match constraint {
        Constraint::None => ("CONSTRAINT_NONE", "global_oom".to_string()),
        Constraint::Memcg(cg) => ("CONSTRAINT_MEMCG", format!("oom_memcg={}", cg.path())),
    };
    log::info!(
        "oom-kill:constraint={name},nodemask=(null),cpuset=/,mems_allowed=0,{memcg},\
         task_memcg={},task={},pid={},uid={}",
        crate::cgroup::of(victim).path(),
        comm(victim),
        victim.pid,
        victim.cred.borrow().uid
    );
}

/// Logs the kill of `victim` (Linux's `__oom_kill_process`); `message` is
/// "Out of memory" or "Memory cgroup out of memory". `reap` logs the
/// reaper's line once its address space is gone.
pub fn killed(message: &str, victim: &Process) {
    let mm = Arc::downgrade(&victim.mm.borrow());
    REAP.borrow_mut().push((mm, victim.pid, comm(victim)));
    let u = crate::proc::usage(victim);
    let kb = arch::PAGE_SIZE / 1024;
    let tables = victim.mm.borrow().borrow().page_table_pages() * kb;
    log::error!(
        "{message}: Killed process {} ({}) total-vm:{}kB, anon-rss:{}kB, file-rss:{}kB, \
         shmem-rss:{}kB, UID:{} pgtables:{}kB oom_score_adj:{}",
        victim.pid,
        comm(victim),
        u.size * kb,
        u.rss_anon * kb,
        u.rss_file * kb,
        u.rss_shmem * kb,
        victim.cred.borrow().uid,
        tables,
        victim.oom_score_adj.load(Ordering::Relaxed)
    );
}

/// Logs, for each killed victim whose address space is gone, that it was
/// reaped (Linux's `__oom_reap_task_mm` report): nothing of it stays
/// resident.
pub fn reap() {
    let mut reap = REAP.borrow_mut();
    reap.retain(|(mm, pid, comm)| {
        if mm.strong_count() > 0 {
            return true;
        }
        log::info!(
            "oom_reaper: reaped process {pid} ({comm}), now anon-rss:0kB, file-rss:0kB, \
             shmem-rss:0kB"
        );
        false
    });
}
