//! futex(2): the system call over the futex hash table of `crate::futex` (wait, wake, requeue, wake-op, bitsets, private and shared, timeouts).

use crate::futex::*;
use crate::task::TrapContext;
use arch::{Errno, Result};

/// The futex system call.
pub fn sys_futex(
    ctx: &mut TrapContext,
    uaddr: u64,
    op: u64,
    val: u64,
    timeout: u64,
    uaddr2: u64,
    val3: u64,
) -> Result<u64> {
    let op = op as u32;
    let private = op & FUTEX_PRIVATE_FLAG != 0;
    let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
    let task = ctx.task.clone();
    match cmd {
        FUTEX_WAIT | FUTEX_WAIT_BITSET => {
            let bitset = if cmd == FUTEX_WAIT {
                FUTEX_BITSET_MATCH_ANY
            } else {
                val3 as u32
            };
            let deadline = if timeout == 0 {
                None
            } else {
                let ts = crate::syscall::time::read_timespec(ctx, timeout)?;
                // FUTEX_WAIT takes a relative timeout; the BITSET form an
                // absolute one on CLOCK_MONOTONIC or (with the flag) REALTIME.
                Some(if cmd == FUTEX_WAIT {
                    crate::syscall::time::deadline_after(ts)
                } else {
                    let clock = if op & FUTEX_CLOCK_REALTIME != 0 { 0 } else { 1 };
                    crate::syscall::time::deadline_from_abs(clock, ts)?
                })
            };
            wait(&task, uaddr, private, val as u32, deadline, bitset)
        }
        FUTEX_WAKE => wake(&task, uaddr, private, val as u32, FUTEX_BITSET_MATCH_ANY),
        FUTEX_WAKE_BITSET => wake(&task, uaddr, private, val as u32, val3 as u32),
        FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
            let cmp = (cmd == FUTEX_CMP_REQUEUE).then_some(val3 as u32);
            let nrequeue = timeout as u32;
            if (val as i32) < 0 || (nrequeue as i32) < 0 {
                return Err(Errno::EINVAL);
            }
            requeue(&task, uaddr, uaddr2, private, val as u32, nrequeue, cmp)
        }
        FUTEX_WAKE_OP => wake_op(
            &task,
            uaddr,
            uaddr2,
            private,
            val as u32,
            timeout as u32,
            val3 as u32,
        ),
        // The priority-inheritance operations (LOCK_PI, UNLOCK_PI, TRYLOCK_PI,
        // WAIT_REQUEUE_PI, CMP_REQUEUE_PI, LOCK_PI2): glibc falls back without them.
        6 | 7 | 8 | 11 | 12 | 13 => Err(Errno::ENOSYS),
        _ => Err(Errno::ENOSYS),
    }
}
