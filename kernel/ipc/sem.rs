//! System V semaphores (semget(2), semop(2), semtimedop(2), semctl(2);
//! Linux's ipc/sem.c). A set's values live in its state; semop applies
//! all of its operations or none (`try_ops` works on a copy), and a task
//! that must wait sleeps on the set's wait queue, looking again after
//! every change: whoever changes values, removes the set (`EIDRM`) or
//! applies adjustments wakes the queue.
//!
//! SEM_UNDO adjustments are kept per set and process (threads share them,
//! as with CLONE_SYSVSEM) and applied, clamped to 0..=SEMVMX, when the
//! process exits or leaves the namespace.

use super::{cred_of, ipcget, now, Entry, IpcNamespace, Perm, IPC_INFO, IPC_NOWAIT, IPC_RMID};
use super::{IPC_SET, IPC_STAT, S_IRUGO, S_IWUGO};
use crate::sleep::{wait_event, Interruptible};
use crate::syscall::UserPtr;
use crate::task::TrapContext;
use arch::abi::structs::{SemInfo, Sembuf, SemidDs, Timespec};
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::WaitQueue;
use std::collections::BTreeMap;
use std::sync::Arc;

pub const SEMMNI: i32 = 32000;
pub const SEMMSL: i32 = 32000;
pub const SEMMNS: i32 = SEMMNI * SEMMSL;
pub const SEMOPM: i32 = 500;
pub const SEMVMX: i32 = 32767;
const SEMAEM: i32 = SEMVMX;
const SEMUSZ: i32 = 20;

pub const SEM_UNDO: i16 = 0x1000;

const GETPID: i32 = 11;
const GETVAL: i32 = 12;
const GETALL: i32 = 13;
const GETNCNT: i32 = 14;
const GETZCNT: i32 = 15;
const SETVAL: i32 = 16;
const SETALL: i32 = 17;
const SEM_STAT: i32 = 18;
const SEM_INFO: i32 = 19;
const SEM_STAT_ANY: i32 = 20;

/// One semaphore.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Sem {
    pub val: i32,
    /// The process that changed it last (`sempid`).
    pub pid: i32,
}

/// The state of a set.
#[derive(Default)]
pub struct SemState {
    pub sems: Vec<Sem>,
    pub otime: i64,
    pub ctime: i64,
    /// SEM_UNDO adjustments by process id.
    undo: BTreeMap<i32, Vec<i32>>,
    /// What each sleeping task waits for (by thread id): the operation
    /// that blocked it, for GETNCNT and GETZCNT.
    waiting: BTreeMap<i32, Sembuf>,
    removed: bool,
}

/// A semaphore set.
pub struct SemSet {
    pub wait: WaitQueue,
    pub state: KernelCell<SemState>,
    /// The set's memory, charged against guest RAM.
    _charge: crate::kmem::KmemCharge,
}

impl SemSet {
    /// Returns the number of semaphores.
    pub fn nsems(&self) -> usize {
        self.state.borrow().sems.len()
    }
}

/// What trying a semop's operations came to.
#[derive(Debug, PartialEq, Eq)]
pub enum Outcome {
    /// All were applied.
    Done,
    /// Operation `i` cannot go on yet: nothing was changed.
    Block(usize),
}

/// Applies `sops` to `sems` all together or not at all (Linux's
/// `perform_atomic_semop`): a decrement below zero or a wait for zero on
/// a non-zero value blocks (`EAGAIN` with `IPC_NOWAIT` on that operation),
/// a result past SEMVMX or an adjustment past ±SEMAEM is `ERANGE`. Values
/// change and `undo` (the caller's adjustments) takes the opposite of each
/// SEM_UNDO operation only when all succeed.
pub fn try_ops(sems: &mut [Sem], undo: &mut [i32], sops: &[Sembuf], pid: i32) -> Result<Outcome> {
    let mut vals: Vec<i32> = sems.iter().map(|s| s.val).collect();
    let mut adj = undo.to_vec();
    for (i, op) in sops.iter().enumerate() {
        let n = op.sem_num as usize;
        let cur = *vals.get(n).ok_or(Errno::EFBIG)?;
        let result = cur + op.sem_op as i32;
        let blocks = (op.sem_op == 0 && cur != 0) || result < 0;
        if blocks {
            if op.sem_flg & IPC_NOWAIT as i16 != 0 {
                return Err(Errno::EAGAIN);
            }
            return Ok(Outcome::Block(i));
        }
        if result > SEMVMX {
            return Err(Errno::ERANGE);
        }
        if op.sem_flg & SEM_UNDO != 0 {
            let a = adj.get(n).copied().unwrap_or(0) - op.sem_op as i32;
            if !(-SEMAEM - 1..=SEMAEM).contains(&a) {
                return Err(Errno::ERANGE);
            }
            if let Some(slot) = adj.get_mut(n) {
                *slot = a;
            }
        }
        vals[n] = result;
    }
    for op in sops {
        if let Some(sem) = sems.get_mut(op.sem_num as usize) {
            sem.pid = pid;
        }
    }
    for (sem, v) in sems.iter_mut().zip(vals) {
        sem.val = v;
    }
    undo.copy_from_slice(&adj);
    Ok(Outcome::Done)
}

/// semget(2).
pub fn sys_semget(ctx: &mut TrapContext, key: i32, nsems: i32, flags: i32) -> Result<u64> {
    let ns = ctx.task.ipc.borrow().clone();
    let limits = ns.limits.borrow().sem;
    if nsems < 0 || nsems > limits[0] {
        return Err(Errno::EINVAL);
    }
    let cred = cred_of(ctx.task);
    let check = |e: &Entry<SemSet>| {
        if nsems as usize > e.obj.nsems() {
            return Err(Errno::EINVAL);
        }
        Ok(())
    };
    ipcget(&ns.sem, key, flags, &cred, check, || {
        if nsems == 0 {
            return Err(Errno::EINVAL);
        }
        let used: usize = ns.sem.borrow().iter().map(|e| e.obj.nsems()).sum();
        if used + nsems as usize > limits[1].max(0) as usize {
            return Err(Errno::ENOSPC);
        }
        let bytes = 128 + nsems as usize * std::mem::size_of::<Sem>();
        let set = Arc::new(SemSet {
            _charge: crate::kmem::charge(bytes)?,
            wait: WaitQueue::default(),
            state: KernelCell::new(SemState {
                sems: vec![Sem::default(); nsems as usize],
                ctime: now(),
                ..SemState::default()
            }),
        });
        let perm = Perm::new(key, flags, &cred);
        ns.sem
            .borrow_mut()
            .add(perm, set, limits[3].max(0) as usize)
    })
}

/// semop(2).
pub fn sys_semop(ctx: &mut TrapContext, id: i32, sops: UserPtr<Sembuf>, nsops: u64) -> Result<u64> {
    semtimedop(ctx, id, sops, nsops, None)
}

/// semtimedop(2): semop with a relative timeout (`EAGAIN` when it passes).
pub fn sys_semtimedop(
    ctx: &mut TrapContext,
    id: i32,
    sops: UserPtr<Sembuf>,
    nsops: u64,
    timeout: UserPtr<Timespec>,
) -> Result<u64> {
    let deadline = if timeout.is_null() {
        None
    } else {
        let ts = timeout.read(ctx)?;
        let d = ts.to_duration().ok_or(Errno::EINVAL)?;
        Some(crate::syscall::time::deadline_after(d))
    };
    semtimedop(ctx, id, sops, nsops, Some(deadline))
}

/// The body of semop and semtimedop; `deadline` is `Some(None)` for no
/// timeout given to semtimedop.
fn semtimedop(
    ctx: &mut TrapContext,
    id: i32,
    sops: UserPtr<Sembuf>,
    nsops: u64,
    deadline: Option<Option<std::time::Instant>>,
) -> Result<u64> {
    let ns = ctx.task.ipc.borrow().clone();
    if nsops < 1 || id < 0 {
        return Err(Errno::EINVAL);
    }
    if nsops > ns.limits.borrow().sem[2].max(0) as u64 {
        return Err(Errno::E2BIG);
    }
    // The operations are charged while the kernel holds them.
    let _charge = crate::kmem::charge(nsops as usize * std::mem::size_of::<Sembuf>())?;
    let ops = sops.read_array(ctx, nsops as usize)?;
    let deadline = deadline.flatten();
    let max = ops.iter().map(|o| o.sem_num as usize).max().unwrap_or(0);
    let alter = ops.iter().any(|o| o.sem_op != 0);
    let set = {
        let ids = ns.sem.borrow();
        let e = ids.get(id)?;
        if max >= e.obj.nsems() {
            return Err(Errno::EFBIG);
        }
        let access = if alter { S_IWUGO } else { S_IRUGO };
        e.perm.check(&cred_of(ctx.task), access)?;
        e.obj.clone()
    };
    let pid = ctx.task.process.pid;
    let tid = ctx.task.tid();
    let attempt = || -> Option<Result<()>> {
        let mut st = set.state.borrow_mut();
        if st.removed {
            return Some(Err(Errno::EIDRM));
        }
        let n = st.sems.len();
        let mut undo = st.undo.get(&pid).cloned().unwrap_or_else(|| vec![0; n]);
        let SemState { sems, .. } = &mut *st;
        match try_ops(sems, &mut undo, &ops, pid) {
            Ok(Outcome::Done) => {
                st.waiting.remove(&tid);
                if undo.iter().any(|&a| a != 0) || st.undo.contains_key(&pid) {
                    st.undo.insert(pid, undo);
                }
                st.otime = now();
                Some(Ok(()))
            }
            Ok(Outcome::Block(i)) => {
                st.waiting.insert(tid, ops[i]);
                None
            }
            Err(e) => Some(Err(e)),
        }
    };
    let result = wait_event(
        ctx.task,
        &[&set.wait],
        deadline,
        Interruptible::Signals,
        attempt,
    );
    set.state.borrow_mut().waiting.remove(&tid);
    match result {
        Ok(Some(Ok(()))) => {
            if alter {
                set.wait.wake_all();
            }
            Ok(0)
        }
        Ok(Some(Err(e))) => Err(e),
        Ok(None) => Err(Errno::EAGAIN),
        // semop is never restarted (semop(2): EINTR).
        Err(_) => Err(Errno::EINTR),
    }
}

/// Applies and forgets process `pid`'s adjustments in every set of `ns`
/// (Linux's `exit_sem`).
pub fn exit_sem(ns: &IpcNamespace, pid: i32) {
    let sets: Vec<Arc<SemSet>> = ns.sem.borrow().iter().map(|e| e.obj.clone()).collect();
    for set in sets {
        let adj = set.state.borrow_mut().undo.remove(&pid);
        let Some(adj) = adj else { continue };
        {
            let mut st = set.state.borrow_mut();
            for (sem, a) in st.sems.iter_mut().zip(adj) {
                if a != 0 {
                    sem.val = (sem.val + a).clamp(0, SEMVMX);
                    sem.pid = pid;
                }
            }
            st.otime = now();
        }
        set.wait.wake_all();
    }
}

/// Returns the `struct semid64_ds` of `e`.
fn stat(e: &Entry<SemSet>) -> SemidDs {
    let st = e.obj.state.borrow();
    SemidDs {
        sem_perm: e.perm.to_abi(),
        sem_otime: st.otime,
        sem_ctime: st.ctime,
        sem_nsems: st.sems.len() as u64,
        ..SemidDs::default()
    }
}

/// semctl(2); `arg` is the union semun, passed by value.
pub fn sys_semctl(ctx: &mut TrapContext, id: i32, semnum: i32, cmd: i32, arg: u64) -> Result<u64> {
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    let ns = ctx.task.ipc.borrow().clone();
    let cred = cred_of(ctx.task);
    match cmd {
        IPC_INFO | SEM_INFO => {
            let l = ns.limits.borrow().sem;
            let (sets, sems, max) = {
                let ids = ns.sem.borrow();
                let sems: usize = ids.iter().map(|e| e.obj.nsems()).sum();
                (ids.len() as i32, sems as i32, ids.max_index())
            };
            let info = SemInfo {
                semmap: SEMMNS,
                semmni: l[3],
                semmns: l[1],
                semmnu: SEMMNS,
                semmsl: l[0],
                semopm: l[2],
                semume: SEMOPM,
                semusz: if cmd == SEM_INFO { sets } else { SEMUSZ },
                semvmx: SEMVMX,
                semaem: if cmd == SEM_INFO { sems } else { SEMAEM },
            };
            UserPtr::<SemInfo>::new(arg).write(ctx, &info)?;
            Ok(max as u64)
        }
        IPC_STAT | SEM_STAT | SEM_STAT_ANY => {
            let kinds = (cmd, SEM_STAT, SEM_STAT_ANY);
            let (ds, ret) = ns.sem.borrow().stat(kinds, id, &cred, stat)?;
            UserPtr::<SemidDs>::new(arg).write(ctx, &ds)?;
            Ok(ret)
        }
        GETALL | GETVAL | GETPID | GETNCNT | GETZCNT | SETALL => {
            let set = {
                let ids = ns.sem.borrow();
                let e = ids.get(id)?;
                let access = if cmd == SETALL { S_IWUGO } else { S_IRUGO };
                e.perm.check(&cred, access)?;
                e.obj.clone()
            };
            values(ctx, &set, semnum, cmd, arg)
        }
        SETVAL => {
            let val = arg as i32;
            if !(0..=SEMVMX).contains(&val) {
                return Err(Errno::ERANGE);
            }
            let set = {
                let ids = ns.sem.borrow();
                let e = ids.get(id)?;
                if semnum < 0 || semnum as usize >= e.obj.nsems() {
                    return Err(Errno::EINVAL);
                }
                e.perm.check(&cred, S_IWUGO)?;
                e.obj.clone()
            };
            {
                let mut st = set.state.borrow_mut();
                let n = semnum as usize;
                for adj in st.undo.values_mut() {
                    adj[n] = 0;
                }
                st.sems[n] = Sem {
                    val,
                    pid: ctx.task.process.pid,
                };
                st.ctime = now();
            }
            set.wait.wake_all();
            Ok(0)
        }
        IPC_SET => {
            let ds = UserPtr::<SemidDs>::new(arg).read(ctx)?;
            let mut ids = ns.sem.borrow_mut();
            let e = ids.get_mut(id)?;
            e.perm.check_owner(&cred)?;
            e.perm.set(&ds.sem_perm)?;
            e.obj.state.borrow_mut().ctime = now();
            Ok(0)
        }
        IPC_RMID => {
            let gone = {
                let mut ids = ns.sem.borrow_mut();
                ids.get(id)?.perm.check_owner(&cred)?;
                ids.remove(id)
            };
            if let Some(e) = gone {
                e.obj.state.borrow_mut().removed = true;
                e.obj.wait.wake_all();
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// The value commands of semctl: GETALL and SETALL (an array of
/// `unsigned short` at `arg`), GETVAL, GETPID, GETNCNT and GETZCNT of
/// semaphore `semnum`.
fn values(ctx: &mut TrapContext, set: &SemSet, semnum: i32, cmd: i32, arg: u64) -> Result<u64> {
    let n = set.nsems();
    match cmd {
        GETALL => {
            let vals: Vec<u16> = set
                .state
                .borrow()
                .sems
                .iter()
                .map(|s| s.val as u16)
                .collect();
            UserPtr::<u16>::new(arg).write_array(ctx, &vals)?;
            Ok(0)
        }
        SETALL => {
            let vals = UserPtr::<u16>::new(arg).read_array(ctx, n)?;
            if vals.iter().any(|&v| v as i32 > SEMVMX) {
                return Err(Errno::ERANGE);
            }
            {
                let pid = ctx.task.process.pid;
                let mut st = set.state.borrow_mut();
                for adj in st.undo.values_mut() {
                    adj.iter_mut().for_each(|a| *a = 0);
                }
                for (sem, v) in st.sems.iter_mut().zip(vals) {
                    *sem = Sem { val: v as i32, pid };
                }
                st.ctime = now();
            }
            set.wait.wake_all();
            Ok(0)
        }
        _ => {
            if semnum < 0 || semnum as usize >= n {
                return Err(Errno::EINVAL);
            }
            let st = set.state.borrow();
            let sem = st.sems[semnum as usize];
            let waiting = |zero: bool| {
                st.waiting
                    .values()
                    .filter(|op| op.sem_num as i32 == semnum)
                    .filter(|op| if zero { op.sem_op == 0 } else { op.sem_op < 0 })
                    .count() as u64
            };
            Ok(match cmd {
                GETVAL => sem.val as u64,
                GETPID => sem.pid as u64,
                GETNCNT => waiting(false),
                _ => waiting(true),
            })
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(num: u16, op: i16, flg: i16) -> Sembuf {
        Sembuf {
            sem_num: num,
            sem_op: op,
            sem_flg: flg,
        }
    }

    fn sems(vals: &[i32]) -> Vec<Sem> {
        vals.iter().map(|&val| Sem { val, pid: 0 }).collect()
    }

    #[test]
    fn all_operations_or_none() {
        let mut s = sems(&[1, 0]);
        let mut undo = vec![0, 0];
        // The second operation blocks: the first must not have happened.
        let r = try_ops(&mut s, &mut undo, &[op(0, -1, 0), op(1, -1, 0)], 7);
        assert_eq!(r, Ok(Outcome::Block(1)));
        assert_eq!(s, sems(&[1, 0]));
        let r = try_ops(&mut s, &mut undo, &[op(0, -1, 0), op(1, 2, SEM_UNDO)], 7);
        assert_eq!(r, Ok(Outcome::Done));
        assert_eq!((s[0].val, s[1].val, s[1].pid), (0, 2, 7));
        assert_eq!(undo, vec![0, -2]);
    }

    #[test]
    fn wait_for_zero_nowait_and_range() {
        let mut s = sems(&[3]);
        let mut undo = vec![0];
        assert_eq!(
            try_ops(&mut s, &mut undo, &[op(0, 0, 0)], 1),
            Ok(Outcome::Block(0))
        );
        assert_eq!(
            try_ops(&mut s, &mut undo, &[op(0, -4, IPC_NOWAIT as i16)], 1),
            Err(Errno::EAGAIN)
        );
        assert_eq!(
            try_ops(&mut s, &mut undo, &[op(0, 32767, 0)], 1),
            Err(Errno::ERANGE)
        );
        // The same semaphore twice in one call sees the first change.
        assert_eq!(
            try_ops(&mut s, &mut undo, &[op(0, -3, 0), op(0, 0, 0)], 1),
            Ok(Outcome::Done)
        );
        assert_eq!(s[0].val, 0);
    }
}
