//! The host threads tasks run on. A task's thread is its kernel stack, but a
//! host thread need not end with its task: it waits for the next one (at
//! most `IDLE_MAX` wait), which then starts without a host thread's
//! creation, and the ending task's thread does not spend the CPU on its
//! teardown while the task it woke (a parent in `wait4`, a thread in
//! `pthread_join`) waits for it.
//!
//! What a task leaves in its thread: thread-local state (the current task,
//! the kernel lock's holder), which the next task's start sets again; its
//! name, set again; its CPU time, counted from the new task's start on
//! (`Task::host_cpu_base`); its host CPU, set again where the task starts.

use super::run::{task_main, thread_name, Start};
use super::Task;
use std::sync::{Arc, Condvar, Mutex};

/// How many host threads wait for a task at most.
const IDLE_MAX: usize = 8;

/// A task and how it begins, handed to a waiting thread.
type Job = (Arc<Task>, Start);

/// A waiting thread's mailbox.
#[derive(Default)]
struct Mailbox {
    job: Mutex<Option<Job>>,
    came: Condvar,
}

/// The threads that wait for a task.
static IDLE: Mutex<Vec<Arc<Mailbox>>> = Mutex::new(Vec::new());

/// Runs `task` on a waiting host thread, or a new one.
pub fn start_task(task: Arc<Task>, start: Start) -> std::io::Result<()> {
    let waiting = IDLE.lock().unwrap_or_else(|e| e.into_inner()).pop();
    if let Some(mailbox) = waiting {
        *mailbox.job.lock().unwrap_or_else(|e| e.into_inner()) = Some((task, start));
        mailbox.came.notify_one();
        return Ok(());
    }
    std::thread::Builder::new()
        .name(thread_name(task.tid()))
        .stack_size(1 << 20)
        .spawn(move || serve((task, start)))
        .map(|_| ())
}

/// Runs `job`, then the tasks given to this thread while it waits, until
/// enough others wait.
fn serve(job: Job) {
    let mut job = job;
    loop {
        let (task, start) = job;
        task_main(task, start);
        let mailbox = Arc::new(Mailbox::default());
        {
            let mut idle = IDLE.lock().unwrap_or_else(|e| e.into_inner());
            if idle.len() >= IDLE_MAX {
                return;
            }
            idle.push(mailbox.clone());
        }
        let mut slot = mailbox.job.lock().unwrap_or_else(|e| e.into_inner());
        job = loop {
            if let Some(j) = slot.take() {
                break j;
            }
            slot = mailbox.came.wait(slot).unwrap_or_else(|e| e.into_inner());
        };
        drop(slot);
        arch::host::thread::set_name(&thread_name(job.0.tid()));
    }
}
