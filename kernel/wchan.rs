//! Wait points: the name, in Linux's function vocabulary, of where a
//! sleeping task waits, for /proc/PID/wchan and /proc/PID/stack (Linux's
//! `get_wchan`, which walks the sleeping task's kernel stack to the first
//! function outside the scheduler). Here a sleep records its wait point as
//! it starts: a caller that knows better names it (`TaskWaiter::sleep_at`,
//! `hint`), else it is read off the system call the task is in, and for the
//! read and write families off the kind of file that blocks.

use crate::task::Task;

/// Returns the wait point of a sleep in system call number `call` (x86_64
/// numbers) that names none.
pub fn of_syscall(call: u64) -> &'static str {
    match call {
        61 | 247 => "do_wait",              // wait4, waitid
        35 | 230 => "hrtimer_nanosleep",    // nanosleep, clock_nanosleep
        202 => "futex_wait_queue",          // futex
        449 => "futex_wait_multiple",       // futex_waitv
        232 | 281 | 441 => "do_epoll_wait", // epoll_wait, epoll_pwait(2)
        7 | 271 => "do_sys_poll",           // poll, ppoll
        23 | 270 => "do_select",            // select, pselect6
        128 => "do_sigtimedwait",           // rt_sigtimedwait
        130 => "sigsuspend",                // rt_sigsuspend
        70 => "do_msgrcv",                  // msgrcv
        69 => "do_msgsnd",                  // msgsnd
        65 | 220 => "do_semtimedop",        // semop, semtimedop
        242 | 243 => "wq_sleep",            // mq_timedsend, mq_timedreceive
        73 | 72 => "locks_lock_inode_wait", // flock, fcntl
        2 | 257 | 437 => "fifo_open",       // open, openat, openat2
        43 | 288 => "unix_accept",          // accept, accept4
        _ => "",
    }
}

/// Returns the wait point of a read (`write` false) or write that blocks on
/// `f`: the pipe's, terminal's or socket's own function.
pub fn of_file(f: &fs::File, write: bool) -> &'static str {
    if f.ops_as::<crate::pipe::PipeEnd>().is_some() {
        return if write { "pipe_write" } else { "pipe_read" };
    }
    if f.ops_as::<crate::tty::TtyFile>().is_some() || f.ops_as::<crate::pty::PtyMaster>().is_some()
    {
        return if write { "n_tty_write" } else { "n_tty_read" };
    }
    if f.ops_as::<crate::eventfd::EventFd>().is_some() {
        return if write {
            "eventfd_write"
        } else {
            "eventfd_read"
        };
    }
    if crate::net::socket_of(f).is_some() {
        return if write {
            "sock_alloc_send_pskb"
        } else {
            "unix_stream_read_generic"
        };
    }
    ""
}

/// Returns the wait point of a sleep of `task` in a `wait_event` : the one
/// its caller named, else its system call's.
pub fn current_point(task: &Task) -> &'static str {
    match task.waiter.take_hint() {
        Some(p) => p,
        None => of_syscall(task.trap_regs.borrow().orig_rax),
    }
}
