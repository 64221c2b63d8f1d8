//! POSIX message queues (mq_overview(7); Linux's ipc/mqueue.c): the queues
//! of an IPC namespace by name, their limits (/proc/sys/fs/mqueue), the
//! per-user RLIMIT_MSGQUEUE charge, notification (mq_notify(3)), and the
//! open file a queue descriptor is. The system calls are in `mq_sys`, the
//! `mqueue` filesystem that lists a namespace's queues in `mqueue_fs`.
//!
//! Messages are kept by priority, highest first, and in arrival order
//! within one. Like every file here a queue never sleeps in its methods:
//! the calls answer `EAGAIN` and sleep on the queue's wait queue, which
//! every send and receive wakes; poll reports POLLIN while a message is
//! there and POLLOUT while there is room.

use crate::kmem::KmemCharge;
use crate::task::Pid;
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{FileOps, PollEvents, Stat, WaitQueue};
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// `MQ_PRIO_MAX`: priorities run below it.
pub const MQ_PRIO_MAX: u32 = 32768;
/// `HARD_MSGMAX` and `HARD_MSGSIZEMAX`: the bounds for CAP_SYS_RESOURCE.
pub const HARD_MSGMAX: i64 = 65536;
pub const HARD_MSGSIZEMAX: i64 = 16 * 1024 * 1024;
/// `sizeof(struct msg_msg)` and `sizeof(struct posix_msg_tree_node)`, which
/// Linux counts in a queue's RLIMIT_MSGQUEUE charge.
const MSG_MSG_SIZE: i64 = 48;
const TREE_NODE_SIZE: i64 = 48;
/// The length of the status line (Linux's `FILENT_SIZE`), a queue file's size.
pub const FILENT_SIZE: u64 = 80;

pub const SIGEV_SIGNAL: i32 = 0;
pub const SIGEV_NONE: i32 = 1;
pub const SIGEV_THREAD: i32 = 2;

/// The limits of /proc/sys/fs/mqueue, per IPC namespace.
#[derive(Clone, Copy, Debug)]
pub struct MqLimits {
    pub queues_max: i64,
    pub msg_max: i64,
    pub msgsize_max: i64,
    pub msg_default: i64,
    pub msgsize_default: i64,
}

impl Default for MqLimits {
    /// Linux's defaults (`DFLT_QUEUESMAX`, `DFLT_MSGMAX`...).
    fn default() -> Self {
        MqLimits {
            queues_max: 256,
            msg_max: 10,
            msgsize_max: 8192,
            msg_default: 10,
            msgsize_default: 8192,
        }
    }
}

/// The queues of an IPC namespace.
#[derive(Default)]
pub struct MqNamespace {
    pub queues: BTreeMap<Vec<u8>, Arc<MQueue>>,
    pub limits: MqLimits,
}

/// The bytes of RLIMIT_MSGQUEUE each real user's queues hold.
static USER_BYTES: KernelCell<BTreeMap<u32, u64>> = KernelCell::new(BTreeMap::new());
static NEXT_INO: AtomicU64 = AtomicU64::new(2);

/// A queue's place in its creator's RLIMIT_MSGQUEUE, returned when the
/// queue is gone (unlinked and closed).
struct UserCharge {
    uid: u32,
    bytes: u64,
}

impl UserCharge {
    /// Charges `bytes` to `uid` within `limit`; `EMFILE` past it, as Linux.
    fn new(uid: u32, bytes: u64, limit: u64) -> Result<UserCharge> {
        let mut all = USER_BYTES.borrow_mut();
        let used = all.entry(uid).or_insert(0);
        match used.checked_add(bytes) {
            Some(total) if total <= limit => {
                *used = total;
                Ok(UserCharge { uid, bytes })
            }
            _ => Err(Errno::EMFILE),
        }
    }
}

impl Drop for UserCharge {
    fn drop(&mut self) {
        let mut all = USER_BYTES.borrow_mut();
        if let Some(used) = all.get_mut(&self.uid) {
            *used = used.saturating_sub(self.bytes);
        }
    }
}

/// A registration of mq_notify(3).
#[derive(Clone, Copy, Debug)]
pub struct Notify {
    pub pid: Pid,
    pub kind: i32,
    pub signo: i32,
    pub value: u64,
}

/// One message and its charge against guest RAM.
struct Message {
    text: Vec<u8>,
    _charge: KmemCharge,
}

/// What changes in a queue.
#[derive(Default)]
pub struct QueueState {
    /// The messages by priority.
    msgs: BTreeMap<u32, VecDeque<Message>>,
    pub curmsgs: i64,
    /// The bytes of all messages' text.
    pub qsize: u64,
    pub notify: Option<Notify>,
    /// How many receivers sleep on the empty queue (they take precedence
    /// over a notification).
    pub receivers: usize,
}

/// A message queue.
pub struct MQueue {
    pub wait: WaitQueue,
    pub state: KernelCell<QueueState>,
    pub maxmsg: i64,
    pub msgsize: i64,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    pub ino: u64,
    _charge: UserCharge,
}

/// What the creator of a queue asks for and who it is.
pub struct NewQueue {
    pub attr: Option<(i64, i64)>,
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
    pub ruid: u32,
    pub resource_cap: bool,
    pub rlimit: u64,
}

impl MQueue {
    /// Creates a queue with `n.attr` (maxmsg, msgsize) or the namespace's
    /// defaults, checked as Linux's `mqueue_get_inode`: `EINVAL` for sizes
    /// out of range, `EOVERFLOW`, then `EMFILE` past RLIMIT_MSGQUEUE.
    pub fn new(l: &MqLimits, n: NewQueue) -> Result<Arc<MQueue>> {
        let (maxmsg, msgsize) = n.attr.unwrap_or((
            l.msg_max.min(l.msg_default),
            l.msgsize_max.min(l.msgsize_default),
        ));
        if maxmsg <= 0 || msgsize <= 0 {
            return Err(Errno::EINVAL);
        }
        let (mmax, smax) = if n.resource_cap {
            (HARD_MSGMAX, HARD_MSGSIZEMAX)
        } else {
            (l.msg_max, l.msgsize_max)
        };
        if maxmsg > mmax || msgsize > smax {
            return Err(Errno::EINVAL);
        }
        let tree = maxmsg * MSG_MSG_SIZE + maxmsg.min(MQ_PRIO_MAX as i64) * TREE_NODE_SIZE;
        let bytes = maxmsg
            .checked_mul(msgsize)
            .and_then(|b| b.checked_add(tree))
            .ok_or(Errno::EOVERFLOW)?;
        let charge = UserCharge::new(n.ruid, bytes as u64, n.rlimit)?;
        Ok(Arc::new(MQueue {
            wait: WaitQueue::new(),
            state: KernelCell::default(),
            maxmsg,
            msgsize,
            uid: n.uid,
            gid: n.gid,
            mode: n.mode & 0o777,
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            _charge: charge,
        }))
    }

    /// Returns the line a read of the queue gives (Linux's
    /// `mqueue_read_file`).
    pub fn status_line(&self) -> String {
        let st = self.state.borrow();
        let (kind, signo, pid) = match st.notify {
            Some(n) => (
                n.kind,
                if n.kind == SIGEV_SIGNAL { n.signo } else { 0 },
                n.pid,
            ),
            None => (0, 0, 0),
        };
        format!(
            "QSIZE:{:<10} NOTIFY:{kind:<5} SIGNO:{signo:<5} NOTIFY_PID:{pid:<6}\n",
            st.qsize
        )
    }

    /// Checks access `acc` (4 read, 2 write) for `cred` as the permission
    /// bits of an inode: `EACCES`.
    pub fn check(&self, cred: &crate::syscall::Cred, acc: u32) -> Result<()> {
        let bits = if cred.fsuid == self.uid {
            self.mode >> 6
        } else if cred.fsgid == self.gid || cred.groups.contains(&self.gid) {
            self.mode >> 3
        } else {
            self.mode
        };
        if acc & !bits & 7 != 0 && !cred.capable(arch::abi::capability::CAP_DAC_OVERRIDE) {
            return Err(Errno::EACCES);
        }
        Ok(())
    }

    /// Adds a message of priority `prio`; `EAGAIN` while the queue is full.
    /// Returns the notification to send, if the queue was empty, one is
    /// registered and no receiver waits (mq_notify(3)); the registration
    /// then ends.
    pub fn send(&self, text: Vec<u8>, prio: u32, charge: KmemCharge) -> Result<Option<Notify>> {
        let mut st = self.state.borrow_mut();
        if st.curmsgs >= self.maxmsg {
            return Err(Errno::EAGAIN);
        }
        st.qsize += text.len() as u64;
        st.curmsgs += 1;
        st.msgs.entry(prio).or_default().push_back(Message {
            text,
            _charge: charge,
        });
        let notify = if st.curmsgs == 1 && st.receivers == 0 {
            st.notify.take()
        } else {
            None
        };
        drop(st);
        self.wait.wake_all();
        Ok(notify)
    }

    /// Takes the oldest message of the highest priority; `EAGAIN` if none.
    pub fn receive(&self) -> Result<(Vec<u8>, u32)> {
        let mut st = self.state.borrow_mut();
        let mut entry = st.msgs.last_entry().ok_or(Errno::EAGAIN)?;
        let prio = *entry.key();
        let m = entry.get_mut().pop_front().ok_or(Errno::EAGAIN)?;
        if entry.get().is_empty() {
            entry.remove();
        }
        st.curmsgs -= 1;
        st.qsize -= m.text.len() as u64;
        drop(st);
        self.wait.wake_all();
        Ok((m.text, prio))
    }

    /// Returns the readiness poll reports.
    pub fn poll(&self) -> PollEvents {
        let st = self.state.borrow();
        let mut ev = PollEvents::empty();
        if st.curmsgs > 0 {
            ev |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
        }
        if st.curmsgs < self.maxmsg {
            ev |= PollEvents::POLLOUT | PollEvents::POLLWRNORM;
        }
        ev
    }

    /// Returns the queue's attributes of a file (regular, its mode).
    pub fn stat(&self, dev: u64) -> Stat {
        let t = fs::Clock::now(&fs::HostClock);
        let mode = fs::FileType::Regular.to_mode_bits() | self.mode;
        Stat {
            size: FILENT_SIZE,
            ..Stat::pseudo(dev, self.ino, mode, (self.uid, self.gid), t)
        }
    }
}

/// Returns `line`'s bytes from `pos` into `buf`.
pub fn read_line(line: &str, pos: u64, buf: &mut [u8]) -> usize {
    let bytes = line.as_bytes();
    let start = (pos as usize).min(bytes.len());
    let n = buf.len().min(bytes.len() - start);
    buf[..n].copy_from_slice(&bytes[start..start + n]);
    n
}

/// The open file of a queue descriptor.
pub struct MqFile {
    pub queue: Arc<MQueue>,
}

impl FileOps for MqFile {
    fn read(&self, pos: u64, buf: &mut [u8]) -> Result<usize> {
        Ok(read_line(&self.queue.status_line(), pos, buf))
    }
    fn write(&self, _: u64, _: &[u8]) -> Result<usize> {
        Err(Errno::EINVAL)
    }
    fn poll(&self) -> PollEvents {
        self.queue.poll()
    }
    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.queue.wait)
    }
    fn stat(&self) -> Result<Stat> {
        Ok(self.queue.stat(0))
    }
}

impl Drop for MqFile {
    /// Ends the closing process's notification (Linux ends it at every
    /// close by its owner, `mqueue_flush_file`; here at the last close of
    /// the open file).
    fn drop(&mut self) {
        if let Some(t) = crate::task::current() {
            let mut st = self.queue.state.borrow_mut();
            if st.notify.is_some_and(|n| n.pid == t.process.pid) {
                st.notify = None;
            }
        }
    }
}
