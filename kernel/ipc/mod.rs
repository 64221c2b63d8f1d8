//! System V IPC (svipc(7), Linux's ipc/util.c and ipc/namespace.c): the
//! identifier tables of shared memory segments, semaphore sets and message
//! queues, their permissions (`ipcperms`), and IPC namespaces
//! (ipc_namespaces(7)), each with its own tables and limits.
//!
//! An identifier is Linux's: a table index (the lowest free one) plus a
//! sequence number times 32768, so a stale identifier of a removed object
//! does not name the next object in its slot. A task's namespace is
//! inherited over clone and replaced by clone or unshare with CLONE_NEWIPC
//! (CAP_SYS_ADMIN: root here) or setns with a pidfd; when the last task
//! leaves it, its objects go with it (an attached segment lives on until
//! its last detach, as in Linux). Every call runs under the kernel lock.

pub mod mq_sys;
pub mod mqueue;
pub mod mqueue_fs;
pub mod msg;
pub mod proc;
pub mod sem;
pub mod shm;

use crate::syscall::Cred;
use crate::task::Task;
use arch::abi::structs::IpcPerm64;
use arch::sync::KernelCell;
use arch::{Errno, Result};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, LazyLock};

pub const CLONE_NEWIPC: u64 = 0x0800_0000;

pub const IPC_PRIVATE: i32 = 0;
pub const IPC_CREAT: i32 = 0o1000;
pub const IPC_EXCL: i32 = 0o2000;
pub const IPC_NOWAIT: i32 = 0o4000;

pub const IPC_RMID: i32 = 0;
pub const IPC_SET: i32 = 1;
pub const IPC_STAT: i32 = 2;
pub const IPC_INFO: i32 = 3;

/// `IPCMNI`: the most objects of one kind a namespace holds, and the
/// multiplier of the sequence number in an identifier.
pub const IPCMNI: usize = 32768;
const SEQ_SHIFT: u32 = 15;
/// `IPCID_SEQ_MAX`: where sequence numbers wrap.
const SEQ_MAX: u32 = (i32::MAX as u32) >> SEQ_SHIFT;

const S_IRUGO: u32 = 0o444;
const S_IWUGO: u32 = 0o222;

/// The inode number of the initial namespace in /proc/PID/ns/ipc (Linux's
/// `PROC_IPC_INIT_INO`); new ones count from the same range as UTS's.
const INIT_INO: u32 = 0xEFFF_FFFF;
static NEXT_INO: AtomicU32 = AtomicU32::new(0xF800_0000);

/// The owner, creator, mode and identity of an IPC object (Linux's
/// `kern_ipc_perm`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Perm {
    pub key: i32,
    pub id: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    /// The access bits (0777) and the object's flags above them
    /// (`SHM_DEST`, `SHM_LOCKED`).
    pub mode: u32,
    pub seq: u32,
}

impl Perm {
    /// Returns the permissions of a new object of `key` created by `cred`
    /// with the access bits of `flags`.
    pub fn new(key: i32, flags: i32, cred: &Cred) -> Perm {
        Perm {
            key,
            id: 0,
            uid: cred.euid,
            gid: cred.egid,
            cuid: cred.euid,
            cgid: cred.egid,
            mode: flags as u32 & 0o777,
            seq: 0,
        }
    }

    /// Returns the `struct ipc64_perm` the `*_STAT` commands report.
    pub fn to_abi(self) -> IpcPerm64 {
        IpcPerm64 {
            key: self.key,
            uid: self.uid,
            gid: self.gid,
            cuid: self.cuid,
            cgid: self.cgid,
            mode: self.mode,
            seq: self.seq as u16,
            ..IpcPerm64::default()
        }
    }

    /// Checks access `flag` (read 0444, write 0222 bits, or the low bits of
    /// a get call's flags) as Linux's `ipcperms`: the owner's or creator's
    /// bits for either user, the group bits for a member of either group,
    /// else the others'; root (CAP_IPC_OWNER) passes. `EACCES` otherwise.
    pub fn check(&self, cred: &Cred, flag: u32) -> Result<()> {
        let requested = (flag >> 6) | (flag >> 3) | flag;
        // Linux's in_group_p: the filesystem group or a supplementary one.
        let in_group = |g: u32| cred.fsgid == g || cred.groups.contains(&g);
        let granted = if cred.euid == self.cuid || cred.euid == self.uid {
            self.mode >> 6
        } else if in_group(self.cgid) || in_group(self.gid) {
            self.mode >> 3
        } else {
            self.mode
        };
        if requested & !granted & 0o7 != 0 && !cred.capable(arch::abi::capability::CAP_IPC_OWNER) {
            return Err(Errno::EACCES);
        }
        Ok(())
    }

    /// Checks that `cred` may change or remove the object (IPC_SET,
    /// IPC_RMID): its owner, its creator or root (CAP_SYS_ADMIN); `EPERM`.
    pub fn check_owner(&self, cred: &Cred) -> Result<()> {
        if cred.euid == self.uid
            || cred.euid == self.cuid
            || cred.capable(arch::abi::capability::CAP_SYS_ADMIN)
        {
            Ok(())
        } else {
            Err(Errno::EPERM)
        }
    }

    /// Applies IPC_SET's owner and access bits (`EINVAL` for the id -1).
    pub fn set(&mut self, from: &IpcPerm64) -> Result<()> {
        if from.uid == u32::MAX || from.gid == u32::MAX {
            return Err(Errno::EINVAL);
        }
        self.uid = from.uid;
        self.gid = from.gid;
        self.mode = (self.mode & !0o777) | (from.mode & 0o777);
        Ok(())
    }
}

/// One object in a table: its permissions and the object itself.
pub struct Entry<T> {
    pub perm: Perm,
    pub obj: Arc<T>,
}

/// The objects of one kind in a namespace (Linux's `ipc_ids`).
pub struct Ids<T> {
    entries: BTreeMap<usize, Entry<T>>,
    seq: u32,
}

impl<T> Default for Ids<T> {
    fn default() -> Self {
        Ids {
            entries: BTreeMap::new(),
            seq: 0,
        }
    }
}

/// Returns the table index an identifier names.
fn index(id: i32) -> usize {
    (id as u32 as usize) % IPCMNI
}

impl<T> Ids<T> {
    /// Returns the identifier of the object with `key` (never `IPC_PRIVATE`).
    pub fn find_key(&self, key: i32) -> Option<i32> {
        if key == IPC_PRIVATE {
            return None;
        }
        self.entries
            .values()
            .find(|e| e.perm.key == key)
            .map(|e| e.perm.id)
    }

    /// Returns the object `id` names: `EINVAL` for none or a stale one.
    pub fn get(&self, id: i32) -> Result<&Entry<T>> {
        if id < 0 {
            return Err(Errno::EINVAL);
        }
        self.entries
            .get(&index(id))
            .filter(|e| e.perm.id == id)
            .ok_or(Errno::EINVAL)
    }

    /// Returns the object `id` names for changing.
    pub fn get_mut(&mut self, id: i32) -> Result<&mut Entry<T>> {
        if id < 0 {
            return Err(Errno::EINVAL);
        }
        self.entries
            .get_mut(&index(id))
            .filter(|e| e.perm.id == id)
            .ok_or(Errno::EINVAL)
    }

    /// Returns the object at table index `idx` (the `*_STAT` commands):
    /// `EINVAL` if there is none.
    pub fn at_index(&self, idx: i32) -> Result<&Entry<T>> {
        usize::try_from(idx)
            .ok()
            .and_then(|i| self.entries.get(&i))
            .ok_or(Errno::EINVAL)
    }

    /// Adds an object at the lowest free index; returns its identifier.
    /// `ENOSPC` once `limit` (the namespace's `*mni`) objects exist.
    pub fn add(&mut self, mut perm: Perm, obj: Arc<T>, limit: usize) -> Result<i32> {
        let limit = limit.min(IPCMNI);
        if self.entries.len() >= limit {
            return Err(Errno::ENOSPC);
        }
        let idx = (0..limit)
            .find(|i| !self.entries.contains_key(i))
            .ok_or(Errno::ENOSPC)?;
        perm.seq = self.seq;
        self.seq = if self.seq >= SEQ_MAX { 0 } else { self.seq + 1 };
        perm.id = ((perm.seq << SEQ_SHIFT) as usize + idx) as i32;
        let id = perm.id;
        self.entries.insert(idx, Entry { perm, obj });
        Ok(id)
    }

    /// Removes the object `id` names and returns it.
    pub fn remove(&mut self, id: i32) -> Option<Entry<T>> {
        self.get(id).ok()?;
        self.entries.remove(&index(id))
    }

    /// Returns the highest index in use, or 0 with none (the `*_INFO`
    /// commands' result).
    pub fn max_index(&self) -> i32 {
        self.entries.keys().next_back().map_or(0, |&i| i as i32)
    }

    /// Returns the number of objects.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Returns the objects in index order.
    pub fn iter(&self) -> impl Iterator<Item = &Entry<T>> {
        self.entries.values()
    }
}

/// The limits of a namespace that /proc/sys/kernel shows and root sets.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// kernel.shmmax: the largest segment, in bytes.
    pub shmmax: u64,
    /// kernel.shmall: the most pages all segments hold.
    pub shmall: u64,
    /// kernel.shmmni: the most segments.
    pub shmmni: u32,
    /// kernel.sem: SEMMSL, SEMMNS, SEMOPM, SEMMNI.
    pub sem: [i32; 4],
    /// kernel.msgmax: the largest message.
    pub msgmax: i32,
    /// kernel.msgmnb: a new queue's byte limit.
    pub msgmnb: i32,
    /// kernel.msgmni: the most queues.
    pub msgmni: i32,
}

impl Default for Limits {
    /// Linux's defaults (include/uapi/linux/{shm,sem,msg}.h).
    fn default() -> Self {
        Limits {
            shmmax: u64::MAX - (1 << 24),
            shmall: u64::MAX - (1 << 24),
            shmmni: 4096,
            sem: [sem::SEMMSL, sem::SEMMNS, sem::SEMOPM, sem::SEMMNI],
            msgmax: msg::MSGMAX,
            msgmnb: msg::MSGMNB,
            msgmni: msg::MSGMNI,
        }
    }
}

/// An IPC namespace.
pub struct IpcNamespace {
    pub inum: u32,
    pub shm: KernelCell<Ids<shm::Segment>>,
    pub sem: KernelCell<Ids<sem::SemSet>>,
    pub msg: KernelCell<Ids<msg::MsgQueue>>,
    pub limits: KernelCell<Limits>,
    /// The POSIX message queues and their limits.
    pub mq: KernelCell<mqueue::MqNamespace>,
}

impl IpcNamespace {
    fn new(inum: u32) -> Arc<IpcNamespace> {
        Arc::new(IpcNamespace {
            inum,
            shm: KernelCell::default(),
            sem: KernelCell::default(),
            msg: KernelCell::default(),
            limits: KernelCell::default(),
            mq: KernelCell::default(),
        })
    }

    /// Returns a new, empty namespace with Linux's default limits.
    pub fn create() -> Arc<IpcNamespace> {
        IpcNamespace::new(NEXT_INO.fetch_add(1, Ordering::Relaxed))
    }
}

/// The initial namespace, the one init starts in.
pub static INIT_IPC: LazyLock<Arc<IpcNamespace>> = LazyLock::new(|| IpcNamespace::new(INIT_INO));

/// Returns the IPC namespace of the task this thread runs (the initial
/// one for threads that run none).
pub fn current() -> Arc<IpcNamespace> {
    crate::task::current().map_or_else(|| INIT_IPC.clone(), |t| t.ipc.borrow().clone())
}

/// Moves `task` into `ns` (unshare, setns): the process's semaphore
/// adjustments are applied in the namespace it leaves, as Linux's
/// `exit_sem` at a change of namespace.
pub fn switch_namespace(task: &Task, ns: Arc<IpcNamespace>) {
    let old = task.ipc.borrow().clone();
    sem::exit_sem(&old, task.process.pid);
    let replaced = std::mem::replace(&mut *task.ipc.borrow_mut(), ns);
    // A namespace left by its last task goes here, outside the borrow.
    drop(replaced);
    drop(old);
}

/// Releases what a process's last thread holds in IPC (Linux's `exit_sem`
/// and `exit_task_namespaces`): its semaphore adjustments are applied and
/// the task leaves its namespace, which ends with its last task.
pub fn exit_ipc(task: &Task) {
    let ns = task.ipc.borrow().clone();
    sem::exit_sem(&ns, task.process.pid);
    let replaced = std::mem::replace(&mut *task.ipc.borrow_mut(), INIT_IPC.clone());
    drop(replaced);
    drop(ns);
}

/// Returns the time of day in seconds, as the objects' times record it.
pub fn now() -> i64 {
    arch::host::time::clock_gettime(0).map_or(0, |(s, _)| s)
}

/// Returns the credentials of `task`'s process.
pub fn cred_of(task: &Task) -> Cred {
    task.process.cred.borrow().clone()
}

/// Finds or creates an object as shmget, semget and msgget do (Linux's
/// `ipcget`): `IPC_PRIVATE` always creates; an existing key is `EEXIST`
/// with `IPC_CREAT | IPC_EXCL`, then `check` (sizes: `EINVAL`), then the
/// access bits of `flags` (`EACCES`); a missing one is `ENOENT` without
/// `IPC_CREAT`, else `create` makes it.
pub fn ipcget<T>(
    ids: &KernelCell<Ids<T>>,
    key: i32,
    flags: i32,
    cred: &Cred,
    check: impl FnOnce(&Entry<T>) -> Result<()>,
    create: impl FnOnce() -> Result<i32>,
) -> Result<u64> {
    if key == IPC_PRIVATE {
        return create().map(|id| id as u64);
    }
    let found = ids.borrow().find_key(key);
    match found {
        None if flags & IPC_CREAT == 0 => Err(Errno::ENOENT),
        None => create().map(|id| id as u64),
        Some(_) if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 => Err(Errno::EEXIST),
        Some(id) => {
            let ids = ids.borrow();
            let e = ids.get(id)?;
            check(e)?;
            e.perm.check(cred, flags as u32 & 0o777)?;
            Ok(id as u64)
        }
    }
}

/// Returns whether `cmd` asks for an object by table index (`*_STAT`,
/// `*_STAT_ANY`) and whether the access check is skipped (`_ANY`).
pub fn stat_kind(cmd: i32, stat: i32, stat_any: i32) -> (bool, bool) {
    (cmd == stat || cmd == stat_any, cmd == stat_any)
}

impl<T> Ids<T> {
    /// The `IPC_STAT`, `*_STAT` and `*_STAT_ANY` commands of `cmd` (whose
    /// by-index forms are `stat` and `stat_any`): the object `id` names
    /// (an identifier, or a table index for the `*_STAT` forms), checked for
    /// read access unless `_ANY`, as `show` describes it; with the value
    /// the call returns (the identifier for the by-index forms, else 0).
    pub fn stat<D>(
        &self,
        cmd: (i32, i32, i32),
        id: i32,
        cred: &Cred,
        show: impl Fn(&Entry<T>) -> D,
    ) -> Result<(D, u64)> {
        let (by_index, any) = stat_kind(cmd.0, cmd.1, cmd.2);
        let e = if by_index {
            self.at_index(id)?
        } else {
            self.get(id)?
        };
        if !any {
            e.perm.check(cred, S_IRUGO)?;
        }
        Ok((show(e), if by_index { e.perm.id as u64 } else { 0 }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cred(uid: u32, gid: u32) -> Cred {
        Cred {
            uid,
            euid: uid,
            suid: uid,
            fsuid: uid,
            gid,
            egid: gid,
            sgid: gid,
            fsgid: gid,
            groups: Vec::new(),
            cap_effective: if uid == 0 {
                arch::abi::capability::CAP_FULL_SET
            } else {
                0
            },
            ..Cred::default()
        }
    }

    #[test]
    fn ids_take_the_lowest_free_index_and_a_new_sequence() {
        let mut ids: Ids<()> = Ids::default();
        let c = cred(0, 0);
        let a = ids
            .add(Perm::new(1, 0o600, &c), Arc::new(()), 10)
            .expect("room");
        let b = ids
            .add(Perm::new(2, 0o600, &c), Arc::new(()), 10)
            .expect("room");
        assert_eq!((a, b), (0, 32769));
        ids.remove(a);
        let d = ids
            .add(Perm::new(3, 0o600, &c), Arc::new(()), 10)
            .expect("room");
        assert_eq!(d, 2 << 15);
        assert!(ids.get(a).is_err(), "a stale id names nothing");
        assert_eq!(ids.find_key(3), Some(d));
        assert_eq!(ids.max_index(), 1);
        ids.add(Perm::new(4, 0, &c), Arc::new(()), 3).expect("room");
        assert_eq!(
            ids.add(Perm::new(5, 0, &c), Arc::new(()), 3),
            Err(Errno::ENOSPC)
        );
    }

    #[test]
    fn ipcperms_picks_owner_group_or_other_bits() {
        let owner = cred(1000, 100);
        let p = Perm::new(1, 0o640, &owner);
        assert!(p.check(&owner, S_IRUGO | S_IWUGO).is_ok());
        assert!(p.check(&cred(1001, 100), S_IRUGO).is_ok());
        assert_eq!(p.check(&cred(1001, 100), S_IWUGO), Err(Errno::EACCES));
        assert_eq!(p.check(&cred(1001, 101), S_IRUGO), Err(Errno::EACCES));
        assert!(p.check(&cred(0, 0), S_IWUGO).is_ok());
        assert_eq!(p.check_owner(&cred(1001, 100)), Err(Errno::EPERM));
        assert!(p.check_owner(&owner).is_ok());
    }
}
