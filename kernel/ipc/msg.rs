//! System V message queues (msgget(2), msgsnd(2), msgrcv(2), msgctl(2);
//! Linux's ipc/msg.c). A queue keeps its messages in arrival order with
//! their types; msgrcv picks one by type (`select`). Senders wait while
//! the queue's bytes or message count would pass `msg_qbytes`, receivers
//! while no message fits; both sleep on the queue's wait queue, which
//! every send, receive, IPC_SET and removal wakes. Each message's bytes
//! are charged against guest RAM (`crate::kmem`).

use super::{cred_of, ipcget, now, Entry, Perm, IPC_INFO, IPC_NOWAIT, IPC_RMID, IPC_SET};
use super::{IPC_STAT, S_IRUGO, S_IWUGO};
use crate::kmem::KmemCharge;
use crate::sleep::{wait_event, Interruptible};
use crate::syscall::UserPtr;
use crate::task::TrapContext;
use arch::abi::structs::{MsgInfo, MsqidDs};
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::WaitQueue;
use std::collections::VecDeque;
use std::sync::Arc;

pub const MSGMNI: i32 = 32000;
pub const MSGMAX: i32 = 8192;
pub const MSGMNB: i32 = 16384;
const MSGPOOL: i32 = MSGMNI * MSGMNB / 1024;
const MSGTQL: i32 = MSGMNB;
const MSGMAP: i32 = MSGMNB;
const MSGSSZ: i32 = 16;
const MSGSEG: u16 = 0xffff;

pub const MSG_NOERROR: i32 = 0o10000;
pub const MSG_EXCEPT: i32 = 0o20000;
pub const MSG_COPY: i32 = 0o40000;

const MSG_STAT: i32 = 11;
const MSG_INFO: i32 = 12;
const MSG_STAT_ANY: i32 = 13;

/// One message.
pub struct Message {
    pub mtype: i64,
    pub text: Vec<u8>,
    _charge: Option<KmemCharge>,
}

/// The state of a queue.
#[derive(Default)]
pub struct QueueState {
    pub messages: VecDeque<Message>,
    pub cbytes: u64,
    pub qbytes: u64,
    pub stime: i64,
    pub rtime: i64,
    pub ctime: i64,
    pub lspid: i32,
    pub lrpid: i32,
    removed: bool,
}

/// A message queue.
pub struct MsgQueue {
    pub wait: WaitQueue,
    pub state: KernelCell<QueueState>,
}

/// How msgrcv's `msgtyp` picks a message (Linux's `convert_mode`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Search {
    /// The first message (`msgtyp` 0).
    Any,
    /// The first of type `msgtyp`.
    Equal(i64),
    /// The first not of type `msgtyp` (MSG_EXCEPT).
    NotEqual(i64),
    /// The first of the lowest type at most `-msgtyp`.
    LessEqual(i64),
    /// The one at position `msgtyp` (MSG_COPY).
    Number(i64),
}

impl Search {
    /// Returns the search `msgtyp` and `flags` ask for.
    pub fn new(msgtyp: i64, flags: i32) -> Search {
        if flags & MSG_COPY != 0 {
            Search::Number(msgtyp)
        } else if msgtyp == 0 {
            Search::Any
        } else if msgtyp < 0 {
            Search::LessEqual(msgtyp.checked_neg().unwrap_or(i64::MAX))
        } else if flags & MSG_EXCEPT != 0 {
            Search::NotEqual(msgtyp)
        } else {
            Search::Equal(msgtyp)
        }
    }
}

/// Returns the position of the message `search` picks among messages of
/// the types `types` yields, in queue order.
pub fn select(types: impl Iterator<Item = i64>, search: Search) -> Option<usize> {
    let mut best: Option<(usize, i64)> = None;
    for (i, t) in types.enumerate() {
        match search {
            Search::Any => return Some(i),
            Search::Equal(x) if t == x => return Some(i),
            Search::NotEqual(x) if t != x => return Some(i),
            Search::Number(n) if i as i64 == n => return Some(i),
            Search::LessEqual(x) if t <= x && best.is_none_or(|(_, b)| t < b) => {
                best = Some((i, t));
            }
            _ => {}
        }
    }
    best.map(|(i, _)| i)
}

/// msgget(2).
pub fn sys_msgget(ctx: &mut TrapContext, key: i32, flags: i32) -> Result<u64> {
    let ns = ctx.task.ipc.borrow().clone();
    let cred = cred_of(ctx.task);
    ipcget(
        &ns.msg,
        key,
        flags,
        &cred,
        |_| Ok(()),
        || {
            let l = *ns.limits.borrow();
            let q = Arc::new(MsgQueue {
                wait: WaitQueue::default(),
                state: KernelCell::new(QueueState {
                    qbytes: l.msgmnb.max(0) as u64,
                    ctime: now(),
                    ..QueueState::default()
                }),
            });
            let perm = Perm::new(key, flags, &cred);
            ns.msg.borrow_mut().add(perm, q, l.msgmni.max(0) as usize)
        },
    )
}

/// Returns the queue `id` names after checking `access` (`EINVAL`, `EACCES`).
fn queue(ctx: &TrapContext, id: i32, access: u32) -> Result<Arc<MsgQueue>> {
    let ns = ctx.task.ipc.borrow().clone();
    let ids = ns.msg.borrow();
    let e = ids.get(id)?;
    e.perm.check(&cred_of(ctx.task), access)?;
    Ok(e.obj.clone())
}

/// Returns the error a sleep interrupted by a signal gives (msgsnd(2) and
/// msgrcv(2) restart only when no handler ran).
fn interrupted(e: Errno) -> Errno {
    if e == Errno::ERESTARTSYS {
        Errno::ERESTARTNOHAND
    } else {
        e
    }
}

/// msgsnd(2): queues `size` bytes of text after the `long` type at `msgp`.
pub fn sys_msgsnd(ctx: &mut TrapContext, id: i32, msgp: u64, size: u64, flags: i32) -> Result<u64> {
    let mtype = UserPtr::<i64>::new(msgp).read(ctx)?;
    let ns = ctx.task.ipc.borrow().clone();
    let msgmax = ns.limits.borrow().msgmax;
    if size > msgmax.max(0) as u64 || (size as i64) < 0 || id < 0 {
        return Err(Errno::EINVAL);
    }
    if mtype < 1 {
        return Err(Errno::EINVAL);
    }
    // The message is charged before its text is copied in.
    let charge = crate::kmem::charge(48 + size as usize)?;
    let text = UserPtr::<u8>::new(msgp.wrapping_add(8)).read_array(ctx, size as usize)?;
    let q = queue(ctx, id, S_IWUGO)?;
    let pid = ctx.task.process.pid;
    let mut msg = Some(Message {
        mtype,
        text,
        _charge: Some(charge),
    });
    let r = wait_event(ctx.task, &[&q.wait], None, Interruptible::Signals, || {
        let mut st = q.state.borrow_mut();
        if st.removed {
            return Some(Err(Errno::EIDRM));
        }
        let fits = st.cbytes + size <= st.qbytes && (st.messages.len() as u64) < st.qbytes;
        if !fits {
            return (flags & IPC_NOWAIT != 0).then_some(Err(Errno::EAGAIN));
        }
        let m = msg.take()?;
        st.cbytes += m.text.len() as u64;
        st.messages.push_back(m);
        st.lspid = pid;
        st.stime = now();
        Some(Ok(()))
    });
    match r {
        Ok(Some(Ok(()))) => {
            q.wait.wake_all();
            Ok(0)
        }
        Ok(Some(Err(e))) => Err(e),
        Ok(None) => Err(Errno::EAGAIN),
        Err(e) => Err(interrupted(e)),
    }
}

/// msgrcv(2): takes a message `msgtyp` and `flags` pick into the buffer
/// at `msgp` (type, then at most `size` bytes of text); returns the text's
/// length. MSG_COPY copies the message at position `msgtyp` instead.
pub fn sys_msgrcv(
    ctx: &mut TrapContext,
    id: i32,
    msgp: u64,
    size: u64,
    msgtyp: i64,
    flags: i32,
) -> Result<u64> {
    if id < 0 || (size as i64) < 0 {
        return Err(Errno::EINVAL);
    }
    let copy = flags & MSG_COPY != 0;
    if copy && (flags & MSG_EXCEPT != 0 || flags & IPC_NOWAIT == 0) {
        return Err(Errno::EINVAL);
    }
    let search = Search::new(msgtyp, flags);
    let q = queue(ctx, id, S_IRUGO)?;
    let pid = ctx.task.process.pid;
    let r = wait_event(ctx.task, &[&q.wait], None, Interruptible::Signals, || {
        let mut st = q.state.borrow_mut();
        if st.removed {
            return Some(Err(Errno::EIDRM));
        }
        let Some(i) = select(st.messages.iter().map(|m| m.mtype), search) else {
            return (flags & IPC_NOWAIT != 0).then_some(Err(Errno::ENOMSG));
        };
        let len = st.messages[i].text.len() as u64;
        if size < len && flags & MSG_NOERROR == 0 {
            return Some(Err(Errno::E2BIG));
        }
        if copy {
            let m = &st.messages[i];
            return Some(Ok((m.mtype, m.text.clone())));
        }
        let m = st.messages.remove(i)?;
        st.cbytes -= len;
        st.lrpid = pid;
        st.rtime = now();
        Some(Ok((m.mtype, m.text)))
    });
    let (mtype, text) = match r {
        Ok(Some(Ok(m))) => m,
        Ok(Some(Err(e))) => return Err(e),
        Ok(None) => return Err(Errno::ENOMSG),
        Err(e) => return Err(interrupted(e)),
    };
    if !copy {
        q.wait.wake_all();
    }
    let n = text.len().min(size as usize);
    UserPtr::<i64>::new(msgp).write(ctx, &mtype)?;
    UserPtr::<u8>::new(msgp.wrapping_add(8)).write_array(ctx, &text[..n])?;
    Ok(n as u64)
}

/// Returns the `struct msqid64_ds` of `e`.
fn stat(e: &Entry<MsgQueue>) -> MsqidDs {
    let st = e.obj.state.borrow();
    MsqidDs {
        msg_perm: e.perm.to_abi(),
        msg_stime: st.stime,
        msg_rtime: st.rtime,
        msg_ctime: st.ctime,
        msg_cbytes: st.cbytes,
        msg_qnum: st.messages.len() as u64,
        msg_qbytes: st.qbytes,
        msg_lspid: st.lspid,
        msg_lrpid: st.lrpid,
        ..MsqidDs::default()
    }
}

/// msgctl(2).
pub fn sys_msgctl(ctx: &mut TrapContext, id: i32, cmd: i32, buf: u64) -> Result<u64> {
    if id < 0 || cmd < 0 {
        return Err(Errno::EINVAL);
    }
    let ns = ctx.task.ipc.borrow().clone();
    let cred = cred_of(ctx.task);
    match cmd {
        IPC_INFO | MSG_INFO => {
            let l = *ns.limits.borrow();
            let (queues, msgs, bytes, max) = {
                let ids = ns.msg.borrow();
                let (mut msgs, mut bytes) = (0u64, 0u64);
                for e in ids.iter() {
                    let st = e.obj.state.borrow();
                    msgs = msgs.saturating_add(st.messages.len() as u64);
                    bytes = bytes.saturating_add(st.cbytes);
                }
                // The counts are ints in `struct msginfo`.
                let int = |v: u64| v.min(i32::MAX as u64) as i32;
                (ids.len() as i32, int(msgs), int(bytes), ids.max_index())
            };
            let usage = cmd == MSG_INFO;
            let info = MsgInfo {
                msgpool: if usage { queues } else { MSGPOOL },
                msgmap: if usage { msgs } else { MSGMAP },
                msgmax: l.msgmax,
                msgmnb: l.msgmnb,
                msgmni: l.msgmni,
                msgssz: MSGSSZ,
                msgtql: if usage { bytes } else { MSGTQL },
                msgseg: MSGSEG,
                __pad: 0,
            };
            UserPtr::<MsgInfo>::new(buf).write(ctx, &info)?;
            Ok(max as u64)
        }
        IPC_STAT | MSG_STAT | MSG_STAT_ANY => {
            let kinds = (cmd, MSG_STAT, MSG_STAT_ANY);
            let (ds, ret) = ns.msg.borrow().stat(kinds, id, &cred, stat)?;
            UserPtr::<MsqidDs>::new(buf).write(ctx, &ds)?;
            Ok(ret)
        }
        IPC_SET => {
            let ds = UserPtr::<MsqidDs>::new(buf).read(ctx)?;
            let msgmnb = ns.limits.borrow().msgmnb;
            let q = {
                let mut ids = ns.msg.borrow_mut();
                let e = ids.get_mut(id)?;
                e.perm.check_owner(&cred)?;
                // Raising a queue past msgmnb takes CAP_SYS_RESOURCE.
                if ds.msg_qbytes > msgmnb.max(0) as u64
                    && !cred.capable(arch::abi::capability::CAP_SYS_RESOURCE)
                {
                    return Err(Errno::EPERM);
                }
                e.perm.set(&ds.msg_perm)?;
                let mut st = e.obj.state.borrow_mut();
                st.qbytes = ds.msg_qbytes;
                st.ctime = now();
                drop(st);
                e.obj.clone()
            };
            q.wait.wake_all();
            Ok(0)
        }
        IPC_RMID => {
            let gone = {
                let mut ids = ns.msg.borrow_mut();
                ids.get(id)?.perm.check_owner(&cred)?;
                ids.remove(id)
            };
            if let Some(e) = gone {
                let old = {
                    let mut st = e.obj.state.borrow_mut();
                    st.removed = true;
                    std::mem::take(&mut st.messages)
                };
                drop(old);
                e.obj.wait.wake_all();
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn msgtyp_picks_as_linux() {
        let types = [3i64, 1, 2, 1, 5];
        let pick = |msgtyp, flags| select(types.iter().copied(), Search::new(msgtyp, flags));
        assert_eq!(pick(0, 0), Some(0));
        assert_eq!(pick(2, 0), Some(2));
        assert_eq!(pick(4, 0), None);
        assert_eq!(pick(3, MSG_EXCEPT), Some(1));
        // The lowest type at most 4, the first of that type.
        assert_eq!(pick(-4, 0), Some(1));
        assert_eq!(pick(-2, 0), Some(1));
        assert_eq!(pick(-i64::MAX, 0), Some(1));
        assert_eq!(pick(i64::MIN, 0), Some(1));
        assert_eq!(pick(3, MSG_COPY | IPC_NOWAIT), Some(3));
        assert_eq!(pick(9, MSG_COPY | IPC_NOWAIT), None);
    }
}
