//! kcmp(2): whether two tasks share a kernel object — an open file, an
//! address space, a file table, filesystem information, signal handlers,
//! an I/O context, System V semaphore adjustments, or a file an epoll
//! instance watches — and else an order of the two that is the same for
//! every call but shows nothing of where the objects are (Linux orders
//! obfuscated addresses; here, addresses mixed with a boot-time key).
//! Both tasks must be open to the caller as ptrace's read mode says.
//!
//! What this kernel keeps per process (filesystem information, signal
//! handlers, semaphore adjustments) is shared by a process's threads only;
//! an I/O context is each task's own (CLONE_IO shares none here).

use super::arg::UserPtr;
use crate::task::{ptrace_may_access, AccessMode, Task, TrapContext};
use arch::abi::structs::KcmpEpollSlot;
use arch::{Errno, Result};
use std::sync::{Arc, OnceLock};

const KCMP_FILE: u64 = 0;
const KCMP_VM: u64 = 1;
const KCMP_FILES: u64 = 2;
const KCMP_FS: u64 = 3;
const KCMP_SIGHAND: u64 = 4;
const KCMP_IO: u64 = 5;
const KCMP_SYSVSEM: u64 = 6;
const KCMP_EPOLL_TFD: u64 = 7;

/// Returns 0 if `a` and `b` are the same object, else 1 or 2 as the first
/// sorts before or after the second (Linux's `kcmp_ptr`).
fn order(a: usize, b: usize, kind: u64) -> u64 {
    static KEY: OnceLock<[u64; 2]> = OnceLock::new();
    let key = KEY.get_or_init(|| {
        let mut bytes = [0u8; 16];
        arch::host::random::getrandom(&mut bytes);
        let half = |i: usize| u64::from_ne_bytes(bytes[i..i + 8].try_into().unwrap_or_default());
        [half(0), half(8) | 1]
    });
    let mix = |v: usize| ((v as u64) ^ key[0] ^ kind).wrapping_mul(key[1]);
    let (x, y) = (mix(a), mix(b));
    (x < y) as u64 | (((x > y) as u64) << 1)
}

fn addr<T: ?Sized>(a: &Arc<T>) -> usize {
    Arc::as_ptr(a).cast::<()>() as usize
}

/// Returns the open file of `t` at descriptor `fd`, or EBADF.
fn file_of(t: &Task, fd: u64) -> Result<Arc<fs::File>> {
    let fd = i32::try_from(fd).map_err(|_| Errno::EBADF)?;
    t.files().borrow().get(fd).map_err(|_| Errno::EBADF)
}

pub fn sys_kcmp(
    ctx: &mut TrapContext,
    pid1: u64,
    pid2: u64,
    kind: u64,
    idx1: u64,
    idx2: u64,
) -> Result<u64> {
    let me = &ctx.task.process;
    let find = |pid: u64| me.find_task(pid as i32).ok_or(Errno::ESRCH);
    let (t1, t2) = (find(pid1)?, find(pid2)?);
    let mode = AccessMode::READ_REALCREDS;
    if !ptrace_may_access(me, &t1.process, mode) || !ptrace_may_access(me, &t2.process, mode) {
        return Err(Errno::EPERM);
    }
    let (p1, p2) = (&t1.process, &t2.process);
    let (a, b) = match kind {
        KCMP_FILE => (addr(&file_of(&t1, idx1)?), addr(&file_of(&t2, idx2)?)),
        KCMP_VM => (addr(&t1.mm()), addr(&t2.mm())),
        KCMP_FILES => (addr(&t1.files()), addr(&t2.files())),
        KCMP_FS | KCMP_SIGHAND | KCMP_SYSVSEM => (addr(p1), addr(p2)),
        KCMP_IO => (addr(&t1), addr(&t2)),
        KCMP_EPOLL_TFD => {
            let slot = UserPtr::<KcmpEpollSlot>::new(idx2).read(ctx)?;
            let file = file_of(&t1, idx1)?;
            let epoll_file = file_of(&t2, slot.efd as u64)?;
            let epoll = crate::epoll::epoll_of(&epoll_file).ok_or(Errno::EINVAL)?;
            let fd = i32::try_from(slot.tfd).map_err(|_| Errno::ENOENT)?;
            let target = epoll.target(fd, slot.toff).ok_or(Errno::ENOENT)?;
            (addr(&file), addr(&target))
        }
        _ => return Err(Errno::EINVAL),
    };
    let kind = if kind == KCMP_EPOLL_TFD {
        KCMP_FILE
    } else {
        kind
    };
    Ok(order(a, b, kind))
}
