//! select and pselect6: poll over three fd_set bitmaps (read, write, except).
//! As on Linux, a descriptor named in a set must be open (`EBADF`), `nfds` is
//! capped at the size of the descriptor table, the sets are rewritten to the
//! ready descriptors, the timeout is updated with the time left, and an
//! interrupted call fails with EINTR once a handler runs (select(2)).

use super::arg::UserPtr;
use super::poll::{deadline_after, restore_saved_sigmask_unless, set_user_sigmask};
use super::poll::{wait_files, write_time_left};
use super::time::read_timespec;
use crate::task::TrapContext;
use arch::abi::structs::{SigsetArgpack, Timespec, Timeval};
use arch::{Errno, Result};
use fs::{File, PollEvents as P};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Events that make a descriptor ready for reading, writing, or exceptional.
const IN_SET: P = P::POLLIN
    .union(P::POLLRDNORM)
    .union(P::POLLRDBAND)
    .union(P::POLLHUP)
    .union(P::POLLERR);
const OUT_SET: P = P::POLLOUT
    .union(P::POLLWRNORM)
    .union(P::POLLWRBAND)
    .union(P::POLLERR);
const EX_SET: P = P::POLLPRI;

/// Reads an fd_set of `words` longs at `addr` (all clear if NULL).
fn read_set(ctx: &TrapContext, addr: UserPtr<u64>, words: usize) -> Result<Vec<u64>> {
    if addr.is_null() {
        return Ok(vec![0u64; words]);
    }
    addr.read_array(ctx, words)
}

fn bit(set: &[u64], fd: usize) -> bool {
    set[fd / 64] & (1 << (fd % 64)) != 0
}

/// Waits until a descriptor of the three sets at `addrs` is ready or
/// `deadline`; rewrites the sets and returns the number of bits set.
fn do_select(
    ctx: &TrapContext,
    n: u64,
    addrs: [UserPtr<u64>; 3],
    deadline: Option<Instant>,
) -> Result<u64> {
    if (n as i32) < 0 {
        return Err(Errno::EINVAL);
    }
    // Bits past the descriptor table's size are not looked at (Linux's max_fds).
    let n = (n as i32 as usize).min(ctx.task.files().borrow().max_fds());
    let words = n.div_ceil(64);
    let sets = [
        read_set(ctx, addrs[0], words)?,
        read_set(ctx, addrs[1], words)?,
        read_set(ctx, addrs[2], words)?,
    ];
    let mut watched: Vec<(usize, Arc<File>)> = Vec::new();
    {
        let table = ctx.task.files();
        let table = table.borrow();
        for fd in 0..n {
            if sets.iter().any(|s| bit(s, fd)) {
                watched.push((fd, table.get(fd as i32)?));
            }
        }
    }
    let scan = || {
        let mut out = [vec![0u64; words], vec![0u64; words], vec![0u64; words]];
        let mut count = 0u64;
        for (fd, f) in &watched {
            let ev = f.ops().poll();
            for (i, wanted) in [IN_SET, OUT_SET, EX_SET].into_iter().enumerate() {
                if bit(&sets[i], *fd) && ev.intersects(wanted) {
                    out[i][fd / 64] |= 1 << (fd % 64);
                    count += 1;
                }
            }
        }
        (count > 0).then_some((count, out))
    };
    let files: Vec<&Arc<File>> = watched.iter().map(|(_, f)| f).collect();
    let (count, out) = match wait_files(ctx.task, &files, deadline, scan) {
        Ok(Some(r)) => r,
        Ok(None) => (0, [vec![0; words], vec![0; words], vec![0; words]]),
        Err(Errno::ERESTARTSYS) => return Err(Errno::ERESTARTNOHAND),
        Err(e) => return Err(e),
    };
    for (addr, set) in addrs.iter().zip(&out) {
        if !addr.is_null() {
            addr.write_array(ctx, set)?;
        }
    }
    Ok(count)
}

pub fn sys_select(
    ctx: &mut TrapContext,
    n: u64,
    inp: UserPtr<u64>,
    outp: UserPtr<u64>,
    exp: UserPtr<u64>,
    tvp: UserPtr<Timeval>,
) -> Result<u64> {
    let mut timeout = None;
    if !tvp.is_null() {
        let Timeval {
            tv_sec: sec,
            tv_usec: usec,
        } = tvp.read(ctx)?;
        if sec < 0 || usec < 0 {
            return Err(Errno::EINVAL);
        }
        let t = Duration::from_secs(sec as u64).saturating_add(Duration::from_micros(usec as u64));
        timeout = Some(t);
    }
    let deadline = timeout.and_then(deadline_after);
    let ret = do_select(ctx, n, [inp, outp, exp], deadline);
    if timeout.is_none_or(|t| t.is_zero()) {
        return ret;
    }
    write_time_left(ctx, tvp, deadline, ret)
}

pub fn sys_pselect6(
    ctx: &mut TrapContext,
    n: u64,
    inp: UserPtr<u64>,
    outp: UserPtr<u64>,
    exp: UserPtr<u64>,
    tsp: u64,
    sig: UserPtr<SigsetArgpack>,
) -> Result<u64> {
    let timeout = if tsp != 0 {
        Some(read_timespec(ctx, tsp)?)
    } else {
        None
    };
    let deadline = timeout.and_then(deadline_after);
    if !sig.is_null() {
        let SigsetArgpack { ss, ss_len } = sig.read(ctx)?;
        set_user_sigmask(ctx, ss, ss_len)?;
    }
    let ret = do_select(ctx, n, [inp, outp, exp], deadline);
    restore_saved_sigmask_unless(ctx.task, ret == Err(Errno::ERESTARTNOHAND));
    if timeout.is_none_or(|t| t.is_zero()) {
        return ret;
    }
    write_time_left(ctx, UserPtr::<Timespec>::new(tsp), deadline, ret)
}
