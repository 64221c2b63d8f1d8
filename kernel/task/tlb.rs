//! TLB shootdown. Each task's guest CPU caches host mappings of its address
//! space — its TLB. When the mm drops or narrows mappings, every CPU of that mm must
//! forget them before the memory is reused or the change is visible: the
//! changing task quiesces the others first (kicks those running guest code and
//! waits until they are out), then leaves each a list of ranges to unmap, which
//! a task applies before its guest code runs again. Processes with one thread
//! never pay for any of it.

use super::{all_tasks, Task};
use arch::backend::{GuestCpu, MapOp, TASK_SIZE};
use arch::sync::KernelCell;
use mm::Mm;
use std::ops::Range;
use std::sync::atomic::Ordering;
use std::sync::Arc;

/// Beyond this many ranges a task drops its whole TLB instead.
const MAX_RANGES: usize = 64;

/// Host mappings a guest CPU must drop.
#[derive(Default)]
pub struct TlbFlush {
    ranges: Vec<Range<u64>>,
    all: bool,
}

impl TlbFlush {
    fn add(&mut self, ranges: &[Range<u64>]) {
        if self.all {
            return;
        }
        self.ranges.extend_from_slice(ranges);
        if self.ranges.len() > MAX_RANGES {
            self.ranges.clear();
            self.all = true;
        }
    }
}

/// Returns the other live tasks whose CPUs map `mm`: the caller's sibling
/// threads, and the tasks of other processes sharing it (CLONE_VM, vfork).
fn sharers(task: &Task, mm: &Arc<KernelCell<Mm>>) -> Vec<Arc<Task>> {
    let others = |t: &Arc<Task>| !std::ptr::eq(t.as_ref(), task);
    // The process's own reference and the caller's: no other process has it.
    if Arc::strong_count(mm) <= 2 {
        return task
            .process
            .threads
            .borrow()
            .iter()
            .filter(|t| others(t))
            .cloned()
            .collect();
    }
    all_tasks()
        .into_iter()
        .filter(|t| others(t) && Arc::ptr_eq(&t.process.mm.borrow(), mm))
        .collect()
}

/// Returns whether another live task's CPU maps `mm`.
fn has_sharers(task: &Task, mm: &Arc<KernelCell<Mm>>) -> bool {
    Arc::strong_count(mm) > 2 || task.process.threads.borrow().len() > 1
}

/// Kicks every task of `tasks` out of guest code and waits until each is out;
/// they cannot go back while the caller holds the kernel lock.
fn stop_guest(tasks: &[Arc<Task>]) {
    for t in tasks {
        t.kick();
    }
    for t in tasks {
        let mut spins = 0u32;
        while t.in_guest.load(Ordering::Acquire) {
            spins += 1;
            if spins < 1000 {
                std::thread::yield_now();
            } else {
                std::thread::sleep(std::time::Duration::from_micros(50));
            }
        }
    }
}

/// Makes sure no other CPU of `task`'s address space runs guest code until the
/// kernel lock is released: called before changing the mm in a way that takes
/// access away (munmap, mprotect, fork's write protection...).
pub fn quiesce(task: &Task) {
    let mm = task.mm();
    let others = sharers(task, &mm);
    stop_guest(&others);
}

/// Makes sure no task that uses one of `mms`, other than the caller, runs guest
/// code until the kernel lock is released: called before taking pages away
/// from address spaces of other processes (a truncate of a mapped file).
pub fn quiesce_all(mms: &[Arc<KernelCell<Mm>>]) {
    let me = super::current();
    let tasks: Vec<Arc<Task>> = all_tasks()
        .into_iter()
        .filter(|t| me.as_ref().is_none_or(|m| !Arc::ptr_eq(m, t)))
        .filter(|t| mms.iter().any(|m| Arc::ptr_eq(m, &t.mm())))
        .collect();
    stop_guest(&tasks);
}

/// Takes the ranges the mm has invalidated, hands them to every other CPU of
/// it (waiting for those in guest code to stop), and queues this task's own
/// pending flushes on its CPU.
pub fn flush(task: &Task, cpu: &mut dyn GuestCpu) {
    let mm = task.mm();
    let protects = mm.borrow_mut().take_write_protects();
    let ranges = mm.borrow_mut().take_tlb_flushes();
    // Pages that lose write access (fork) stay readable in this CPU's
    // mappings.
    for r in &protects {
        cpu.queue(MapOp::WriteProtect {
            vaddr: r.start,
            len: r.end - r.start,
        });
    }
    // The other CPUs drop the write-protected pages too.
    let theirs = if protects.is_empty() || !has_sharers(task, &mm) {
        std::borrow::Cow::Borrowed(&ranges)
    } else {
        std::borrow::Cow::Owned([ranges.as_slice(), &protects].concat())
    };
    if !theirs.is_empty() {
        let others = sharers(task, &mm);
        let spans: Vec<(u64, u64)> = theirs.iter().map(|r| (r.start, r.end - r.start)).collect();
        // CPUs that can drop mappings at once do (a TLB shootdown); the others
        // are stopped and drop them before their guest code runs again.
        let deferred: Vec<Arc<Task>> = others
            .into_iter()
            .filter(|t| !t.cpu().is_some_and(|c| c.unmap_now(&spans)))
            .collect();
        for t in &deferred {
            t.tlb.borrow_mut().add(&theirs);
        }
        stop_guest(&deferred);
        task.tlb.borrow_mut().add(&ranges);
    }
    let mut own = task.tlb.borrow_mut();
    if std::mem::take(&mut own.all) {
        cpu.queue(MapOp::Unmap {
            vaddr: 0,
            len: TASK_SIZE,
        });
    }
    for r in own.ranges.drain(..) {
        cpu.queue(MapOp::Unmap {
            vaddr: r.start,
            len: r.end - r.start,
        });
    }
}
