//! Fast user-space mutexes (futex(2)): wait queues keyed by a user address. A
//! private futex (or one in private memory) is named by its address space and
//! virtual address; a shared one in a `MAP_SHARED` mapping by its physical
//! address, so processes mapping the same memory meet on it. Values are read
//! and compared under the kernel lock, which every waker also holds, so a wake
//! between the check and the sleep cannot be lost.

use crate::sleep::{wait_event, Interruptible};
use crate::syscall::UserPtr;
use crate::task::Task;
use arch::abi::structs::RobustListHead;
use arch::sync::KernelCell;
use arch::{Errno, Result};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

pub const FUTEX_WAIT: u32 = 0;
pub const FUTEX_WAKE: u32 = 1;
pub const FUTEX_REQUEUE: u32 = 3;
pub const FUTEX_CMP_REQUEUE: u32 = 4;
pub const FUTEX_WAKE_OP: u32 = 5;
pub const FUTEX_WAIT_BITSET: u32 = 9;
pub const FUTEX_WAKE_BITSET: u32 = 10;
pub const FUTEX_PRIVATE_FLAG: u32 = 128;
pub const FUTEX_CLOCK_REALTIME: u32 = 256;
pub const FUTEX_BITSET_MATCH_ANY: u32 = u32::MAX;
/// Robust-futex word bits.
pub const FUTEX_WAITERS: u32 = 0x8000_0000;
pub const FUTEX_OWNER_DIED: u32 = 0x4000_0000;
pub const FUTEX_TID_MASK: u32 = 0x3fff_ffff;

/// What names a futex.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FutexKey {
    /// (address space, virtual address).
    Private(usize, u64),
    /// Physical address.
    Shared(u64),
}

struct Waiter {
    key: FutexKey,
    bitset: u32,
    task: Arc<Task>,
    woken: Arc<AtomicBool>,
}

static QUEUE: KernelCell<Vec<Waiter>> = KernelCell::new(Vec::new());

/// Returns the key of the futex word at `uaddr` (EINVAL if unaligned, EFAULT if
/// not mapped).
pub fn key(task: &Task, uaddr: u64, private: bool) -> Result<FutexKey> {
    if !uaddr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    let mm = task.mm();
    let mut m = mm.borrow_mut();
    let shared = m.find_vma(uaddr).ok_or(Errno::EFAULT)?.is_shared();
    if private || !shared {
        return Ok(FutexKey::Private(Arc::as_ptr(&mm) as usize, uaddr));
    }
    Ok(FutexKey::Shared(m.translate(uaddr, false)?))
}

/// Reads the futex word at `uaddr`.
pub fn read_word(task: &Task, uaddr: u64) -> Result<u32> {
    UserPtr::<u32>::new(uaddr).read(task)
}

/// Atomically replaces the word at `uaddr` with `new` if it holds `old`;
/// returns what it held.
pub fn cmpxchg_word(task: &Task, uaddr: u64, old: u32, new: u32) -> Result<u32> {
    if !uaddr.is_multiple_of(4) {
        return Err(Errno::EINVAL);
    }
    let paddr = task.mm().borrow_mut().translate(uaddr, true)?;
    Ok(crate::boot::kernel().physmem.cmpxchg_u32(paddr, old, new))
}

/// FUTEX_WAIT(_BITSET): sleeps if the word still holds `val`, until woken,
/// `deadline` passes (ETIMEDOUT) or a signal comes (ERESTARTSYS).
pub fn wait(
    task: &Arc<Task>,
    uaddr: u64,
    private: bool,
    val: u32,
    deadline: Option<Instant>,
    bitset: u32,
) -> Result<u64> {
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    let key = key(task, uaddr, private)?;
    if read_word(task, uaddr)? != val {
        return Err(Errno::EAGAIN);
    }
    let woken = Arc::new(AtomicBool::new(false));
    QUEUE.borrow_mut().push(Waiter {
        key,
        bitset,
        task: task.clone(),
        woken: woken.clone(),
    });
    let r = wait_event(task, &[], deadline, Interruptible::Signals, || {
        woken.load(Ordering::Relaxed).then_some(())
    });
    if !woken.load(Ordering::Relaxed) {
        QUEUE
            .borrow_mut()
            .retain(|w| !Arc::ptr_eq(&w.woken, &woken));
    }
    match r {
        Ok(Some(())) => Ok(0),
        _ if woken.load(Ordering::Relaxed) => Ok(0),
        Ok(None) => Err(Errno::ETIMEDOUT),
        Err(e) => Err(e),
    }
}

/// One futex of a futex_waitv(2) call.
pub struct WaitvEntry {
    pub uaddr: u64,
    pub val: u32,
    pub private: bool,
}

/// futex_waitv(2): sleeps while every word holds its value until one of
/// them is woken (returns its index, the last one if several were),
/// `deadline` passes (ETIMEDOUT) or a signal comes (ERESTARTSYS); EAGAIN if
/// a word differs at entry.
pub fn wait_multiple(
    task: &Arc<Task>,
    futexes: &[WaitvEntry],
    deadline: Option<Instant>,
) -> Result<u64> {
    let keys = futexes
        .iter()
        .map(|f| key(task, f.uaddr, f.private))
        .collect::<Result<Vec<_>>>()?;
    for f in futexes {
        if read_word(task, f.uaddr)? != f.val {
            return Err(Errno::EAGAIN);
        }
    }
    let flags: Vec<Arc<AtomicBool>> = keys.iter().map(|_| Arc::default()).collect();
    QUEUE
        .borrow_mut()
        .extend(keys.iter().zip(&flags).map(|(&key, woken)| Waiter {
            key,
            bitset: FUTEX_BITSET_MATCH_ANY,
            task: task.clone(),
            woken: woken.clone(),
        }));
    let woken = || flags.iter().rposition(|w| w.load(Ordering::Relaxed));
    let r = wait_event(task, &[], deadline, Interruptible::Signals, woken);
    QUEUE
        .borrow_mut()
        .retain(|w| !flags.iter().any(|f| Arc::ptr_eq(&w.woken, f)));
    if let Some(i) = woken() {
        return Ok(i as u64);
    }
    match r {
        Ok(Some(i)) => Ok(i as u64),
        Ok(None) => Err(Errno::ETIMEDOUT),
        Err(e) => Err(e),
    }
}

/// Wakes up to `n` waiters on `key` whose bitset meets `bitset`; returns how many.
pub fn wake_key(key: FutexKey, n: u32, bitset: u32) -> u32 {
    let mut q = QUEUE.borrow_mut();
    let mut woken = 0;
    q.retain(|w| {
        if woken < n && w.key == key && w.bitset & bitset != 0 {
            woken += 1;
            w.woken.store(true, Ordering::Relaxed);
            w.task.waiter.wake_task();
            false
        } else {
            true
        }
    });
    woken
}

/// FUTEX_WAKE(_BITSET).
pub fn wake(task: &Task, uaddr: u64, private: bool, n: u32, bitset: u32) -> Result<u64> {
    if bitset == 0 {
        return Err(Errno::EINVAL);
    }
    Ok(wake_key(key(task, uaddr, private)?, n, bitset) as u64)
}

/// FUTEX_(CMP_)REQUEUE: wakes `nwake` waiters of `uaddr` and moves up to
/// `nrequeue` others to `uaddr2`, if the word still holds `cmp` (when given).
pub fn requeue(
    task: &Task,
    uaddr: u64,
    uaddr2: u64,
    private: bool,
    nwake: u32,
    nrequeue: u32,
    cmp: Option<u32>,
) -> Result<u64> {
    let (k1, k2) = (key(task, uaddr, private)?, key(task, uaddr2, private)?);
    if let Some(c) = cmp {
        if read_word(task, uaddr)? != c {
            return Err(Errno::EAGAIN);
        }
    }
    let mut done = wake_key(k1, nwake, FUTEX_BITSET_MATCH_ANY);
    let mut moved = 0;
    for w in QUEUE.borrow_mut().iter_mut() {
        if moved < nrequeue && w.key == k1 {
            w.key = k2;
            moved += 1;
        }
    }
    if cmp.is_some() {
        done += moved;
    }
    Ok(done as u64)
}

/// FUTEX_WAKE_OP: atomically updates the word at `uaddr2` as `op` encodes, wakes
/// `n` waiters of `uaddr`, and `n2` of `uaddr2` if the old value met `op`'s test.
pub fn wake_op(
    task: &Task,
    uaddr: u64,
    uaddr2: u64,
    private: bool,
    n: u32,
    n2: u32,
    op: u32,
) -> Result<u64> {
    let (k1, k2) = (key(task, uaddr, private)?, key(task, uaddr2, private)?);
    let (kind, cmp) = ((op >> 28) & 0xf, (op >> 24) & 0xf);
    let mut oparg = (op >> 12) & 0xfff;
    let cmparg = op & 0xfff;
    if kind & 8 != 0 {
        oparg = 1u32.checked_shl(oparg).unwrap_or(0);
    }
    let old = loop {
        let old = read_word(task, uaddr2)?;
        let new = match kind & 7 {
            0 => oparg,
            1 => old.wrapping_add(oparg),
            2 => old | oparg,
            3 => old & !oparg,
            4 => old ^ oparg,
            _ => return Err(Errno::ENOSYS),
        };
        if cmpxchg_word(task, uaddr2, old, new)? == old {
            break old;
        }
    };
    let sign_extend = |v: u32| ((v << 20) as i32) >> 20;
    let (o, c) = (old as i32, sign_extend(cmparg));
    let hit = match cmp {
        0 => o == c,
        1 => o != c,
        2 => o < c,
        3 => o >= c,
        4 => o <= c,
        5 => o > c,
        _ => return Err(Errno::ENOSYS),
    };
    let mut woken = wake_key(k1, n, FUTEX_BITSET_MATCH_ANY);
    if hit {
        woken += wake_key(k2, n2, FUTEX_BITSET_MATCH_ANY);
    }
    Ok(woken as u64)
}

/// Marks the robust futex at `uaddr` held by the dying thread `tid` as
/// owner-died and wakes one waiter (Linux's handle_futex_death).
fn futex_death(task: &Task, uaddr: u64, tid: u32) {
    for _ in 0..64 {
        let Ok(val) = read_word(task, uaddr) else {
            return;
        };
        if val & FUTEX_TID_MASK != tid {
            return;
        }
        let new = (val & FUTEX_WAITERS) | FUTEX_OWNER_DIED;
        match cmpxchg_word(task, uaddr, val, new) {
            Ok(v) if v == val => {
                if val & FUTEX_WAITERS != 0 {
                    let _ = wake(task, uaddr, false, 1, FUTEX_BITSET_MATCH_ANY);
                }
                return;
            }
            Ok(_) => continue,
            Err(_) => return,
        }
    }
}

/// Walks the dying thread's robust list (set_robust_list(2)): every futex it
/// still holds is marked owner-died and a waiter is woken.
pub fn exit_robust_list(task: &Task) {
    let (head, _) = *task.robust_list.borrow();
    if head == 0 {
        return;
    }
    let tid = task.tid() as u32;
    let Ok(RobustListHead {
        list: mut entry,
        futex_offset,
        list_op_pending: pending,
    }) = UserPtr::<RobustListHead>::new(head).read(task)
    else {
        return;
    };
    let offset = futex_offset as u64;
    // Linux's ROBUST_LIST_LIMIT guards against circular lists.
    for _ in 0..2048 {
        entry &= !1;
        if entry == head || entry == 0 {
            break;
        }
        let next = UserPtr::<u64>::new(entry).read(task);
        if entry != pending & !1 {
            futex_death(task, entry.wrapping_add(offset), tid);
        }
        match next {
            Ok(n) => entry = n,
            Err(_) => break,
        }
    }
    if pending & !1 != 0 {
        futex_death(task, (pending & !1).wrapping_add(offset), tid);
    }
}
