//! futex(2) and futex_waitv(2): the system calls over the futex hash table
//! of `crate::futex` (wait, wake, requeue, wake-op, bitsets, private and
//! shared, timeouts, waiting on several futexes at once).

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

/// The most futexes one futex_waitv waits on (FUTEX_WAITV_MAX).
const FUTEX_WAITV_MAX: u64 = 128;
const FUTEX2_SIZE_U32: u32 = 2;
const FUTEX2_SIZE_MASK: u32 = 3;
const FUTEX2_PRIVATE: u32 = FUTEX_PRIVATE_FLAG;

/// futex_waitv(2): waits on the `nr` futexes of the `struct futex_waitv`
/// array at `waiters` (u64 val, u64 uaddr, u32 flags, u32 reserved) until
/// one is woken, or until the absolute `timeout` on `clockid`
/// (CLOCK_REALTIME or CLOCK_MONOTONIC) passes. Only 32-bit futexes exist,
/// as in Linux; the NUMA flags of later kernels are EINVAL here.
pub fn sys_futex_waitv(
    ctx: &mut TrapContext,
    waiters: u64,
    nr: u64,
    flags: u64,
    timeout: u64,
    clockid: i32,
) -> Result<u64> {
    let nr = nr as u32 as u64;
    if flags as u32 != 0 || nr == 0 || nr > FUTEX_WAITV_MAX || waiters == 0 {
        return Err(Errno::EINVAL);
    }
    let deadline = if timeout == 0 {
        None
    } else {
        if clockid != 0 && clockid != 1 {
            return Err(Errno::EINVAL);
        }
        let ts = crate::syscall::time::read_timespec(ctx, timeout)?;
        Some(crate::syscall::time::deadline_from_abs(clockid, ts)?)
    };
    let raw = crate::syscall::UserPtr::<u64>::new(waiters).read_array(ctx, 3 * nr as usize)?;
    let mut futexes = Vec::with_capacity(nr as usize);
    for w in raw.chunks_exact(3) {
        let (val, uaddr, flags, reserved) = (w[0], w[1], w[2] as u32, (w[2] >> 32) as u32);
        if reserved != 0
            || flags & !(FUTEX2_SIZE_MASK | FUTEX2_PRIVATE) != 0
            || flags & FUTEX2_SIZE_MASK != FUTEX2_SIZE_U32
            || val > u64::from(u32::MAX)
        {
            return Err(Errno::EINVAL);
        }
        futexes.push(WaitvEntry {
            uaddr,
            val: val as u32,
            private: flags & FUTEX2_PRIVATE != 0,
        });
    }
    wait_multiple(&ctx.task.clone(), &futexes, deadline)
}
