//! The POSIX message queue system calls (mq_open(3), mq_unlink(3),
//! mq_timedsend(3), mq_timedreceive(3), mq_notify(3), mq_getsetattr(2)) over
//! the queues of `mqueue`, with Linux's order of checks (ipc/mqueue.c). A
//! queue descriptor is close-on-exec, as Linux makes it. The C library strips
//! the name's leading slash; the kernel sees the rest.

use super::mqueue::{MQueue, MqFile, NewQueue, Notify, MQ_PRIO_MAX};
use super::mqueue::{SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD};
use super::{cred_of, IpcNamespace};
use crate::signal::SigInfo;
use crate::sleep::{wait_event, Interruptible};
use crate::syscall::UserPtr;
use crate::task::TrapContext;
use arch::abi::capability::{CAP_FOWNER, CAP_SYS_RESOURCE};
use arch::abi::resource::RLIMIT_MSGQUEUE;
use arch::abi::structs::{SigRt, Sigevent};
use arch::{Errno, Result};
use fs::{File, OpenFlags};
use std::sync::Arc;
use std::time::Instant;

/// `SI_MESGQ`: the si_code of a queue's notification.
const SI_MESGQ: i32 = -3;
const NAME_MAX: usize = 255;
/// The `struct mq_attr` fields: flags, maxmsg, msgsize, curmsgs, reserved.
const ATTR_LONGS: usize = 8;

/// Checks a queue name as Linux's `lookup_one_len` in the mqueue root:
/// `ENAMETOOLONG` past NAME_MAX, `EACCES` for "", ".", ".." and a slash.
fn check_name(name: &[u8]) -> Result<()> {
    if name.len() > NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    if name.is_empty() || name == b"." || name == b".." || name.contains(&b'/') {
        return Err(Errno::EACCES);
    }
    Ok(())
}

/// Returns the queue name at `addr`, checked.
fn read_name(ctx: &TrapContext, addr: u64) -> Result<Vec<u8>> {
    let name = ctx.read_path(addr)?;
    check_name(&name)?;
    Ok(name)
}

fn namespace(ctx: &TrapContext) -> Arc<IpcNamespace> {
    ctx.task.ipc.borrow().clone()
}

/// mq_open(3).
pub fn sys_mq_open(
    ctx: &mut TrapContext,
    name: u64,
    oflag: i32,
    mode: u32,
    attr: u64,
) -> Result<u64> {
    let attr = if attr != 0 {
        Some(UserPtr::<i64>::new(attr).read_array(ctx, ATTR_LONGS)?)
    } else {
        None
    };
    let name = read_name(ctx, name)?;
    let ns = namespace(ctx);
    let cred = cred_of(ctx.task);
    let flags = OpenFlags::from_bits_truncate(oflag as u32);
    let existing = ns.mq.borrow().queues.get(&name).cloned();
    let queue = match existing {
        None if !flags.contains(OpenFlags::O_CREAT) => return Err(Errno::ENOENT),
        None => {
            let l = ns.mq.borrow().limits;
            if ns.mq.borrow().queues.len() as i64 >= l.queues_max && !cred.capable(CAP_SYS_RESOURCE)
            {
                return Err(Errno::ENOSPC);
            }
            let umask = ctx.task.fs().umask;
            let q = MQueue::new(
                &l,
                NewQueue {
                    attr: attr.map(|a| (a[1], a[2])),
                    mode: mode & !umask,
                    uid: cred.fsuid,
                    gid: cred.fsgid,
                    ruid: cred.uid,
                    resource_cap: cred.capable(CAP_SYS_RESOURCE),
                    rlimit: ctx.task.process.rlimit(RLIMIT_MSGQUEUE),
                },
            )?;
            ns.mq.borrow_mut().queues.insert(name, q.clone());
            q
        }
        Some(q) => {
            if flags.contains(OpenFlags::O_CREAT | OpenFlags::O_EXCL) {
                return Err(Errno::EEXIST);
            }
            let acc = match flags.access_mode() {
                0 => 4,
                1 => 2,
                2 => 6,
                _ => return Err(Errno::EINVAL),
            };
            q.check(&cred, acc)?;
            q
        }
    };
    let status = OpenFlags::from_bits_truncate(oflag as u32 & 3) | (flags & OpenFlags::O_NONBLOCK);
    let f = File::new(None, Arc::new(MqFile { queue }), status);
    let fd = ctx
        .task
        .files()
        .borrow_mut()
        .alloc(f, true, ctx.task.process.nofile())?;
    Ok(fd as u64)
}

/// mq_unlink(3): `ENOENT`; `EACCES` for a user who does not own the queue
/// (what Linux answers, mq_unlink(3)).
pub fn sys_mq_unlink(ctx: &mut TrapContext, name: u64) -> Result<u64> {
    let name = read_name(ctx, name)?;
    let ns = namespace(ctx);
    let cred = cred_of(ctx.task);
    unlink(&ns, &name, &cred)?;
    Ok(0)
}

/// Removes queue `name` of `ns` for `cred` (mq_unlink and the mqueue
/// filesystem).
pub fn unlink(ns: &IpcNamespace, name: &[u8], cred: &crate::syscall::Cred) -> Result<()> {
    let mut mq = ns.mq.borrow_mut();
    let q = mq.queues.get(name).ok_or(Errno::ENOENT)?;
    if cred.fsuid != q.uid && cred.fsuid != 0 && !cred.capable(CAP_FOWNER) {
        return Err(Errno::EACCES);
    }
    let gone = mq.queues.remove(name);
    drop(mq);
    drop(gone);
    Ok(())
}

/// Returns the queue of descriptor `fd` and whether it is non-blocking,
/// after checking access mode `want` (1 write, 0 read): `EBADF`.
fn queue_of(ctx: &TrapContext, fd: i32, write: bool) -> Result<(Arc<MQueue>, bool)> {
    let f = ctx.task.files().borrow().get(fd)?;
    let q = f.ops_as::<MqFile>().ok_or(Errno::EBADF)?.queue.clone();
    let fl = f.flags();
    let ok = if write {
        fl.access_mode() == 1 || fl.access_mode() == 2
    } else {
        fl.access_mode() == 0 || fl.access_mode() == 2
    };
    if !ok {
        return Err(Errno::EBADF);
    }
    Ok((q, fl.contains(OpenFlags::O_NONBLOCK)))
}

/// Returns the host deadline of an absolute CLOCK_REALTIME timeout at
/// `addr` (none for NULL; `EINVAL` for an invalid one).
fn deadline(ctx: &TrapContext, addr: u64) -> Result<Option<Instant>> {
    if addr == 0 {
        return Ok(None);
    }
    let abs = crate::syscall::time::read_timespec(ctx, addr)?;
    crate::syscall::time::deadline_from_abs(0, abs).map(Some)
}

/// Sends the signal of notification `n` from the sending process.
fn notify(ctx: &TrapContext, n: Notify) {
    if n.kind != SIGEV_SIGNAL || n.signo == 0 {
        return;
    }
    let Some(p) = crate::task::find_process(n.pid) else {
        return;
    };
    let info = SigInfo::with(
        n.signo,
        SI_MESGQ,
        SigRt {
            si_pid: ctx.task.process.pid,
            si_uid: cred_of(ctx.task).uid,
            si_value: n.value,
        },
    );
    crate::signal::send_to_process(&p, info);
}

/// mq_timedsend(3).
pub fn sys_mq_timedsend(
    ctx: &mut TrapContext,
    fd: i32,
    msg: u64,
    len: u64,
    prio: u32,
    timeout: u64,
) -> Result<u64> {
    if prio >= MQ_PRIO_MAX {
        return Err(Errno::EINVAL);
    }
    let deadline = deadline(ctx, timeout)?;
    let (q, nonblock) = queue_of(ctx, fd, true)?;
    if len > q.msgsize as u64 {
        return Err(Errno::EMSGSIZE);
    }
    let charge = crate::kmem::charge(48 + len as usize)?;
    let text = UserPtr::<u8>::new(msg).read_array(ctx, len as usize)?;
    let mut msg = Some((text, charge));
    let r = wait_event(
        ctx.task,
        &[&q.wait],
        deadline,
        Interruptible::Signals,
        || {
            let full = q.state.borrow().curmsgs >= q.maxmsg;
            if full {
                return nonblock.then_some(Err(Errno::EAGAIN));
            }
            let (text, charge) = msg.take()?;
            Some(q.send(text, prio, charge))
        },
    );
    match r? {
        Some(Ok(n)) => {
            if let Some(n) = n {
                notify(ctx, n);
            }
            Ok(0)
        }
        Some(Err(e)) => Err(e),
        None => Err(Errno::ETIMEDOUT),
    }
}

/// mq_timedreceive(3): returns the message's length.
pub fn sys_mq_timedreceive(
    ctx: &mut TrapContext,
    fd: i32,
    msg: u64,
    len: u64,
    prio: u64,
    timeout: u64,
) -> Result<u64> {
    let deadline = deadline(ctx, timeout)?;
    let (q, nonblock) = queue_of(ctx, fd, false)?;
    if len < q.msgsize as u64 {
        return Err(Errno::EMSGSIZE);
    }
    let r = if nonblock {
        Ok(Some(q.receive()))
    } else {
        q.state.borrow_mut().receivers += 1;
        let r = wait_event(
            ctx.task,
            &[&q.wait],
            deadline,
            Interruptible::Signals,
            || q.receive().ok().map(Ok),
        );
        q.state.borrow_mut().receivers -= 1;
        r
    };
    let (text, p) = match r? {
        Some(m) => m?,
        None => return Err(Errno::ETIMEDOUT),
    };
    if prio != 0 {
        UserPtr::<u32>::new(prio).write(ctx, &p)?;
    }
    UserPtr::<u8>::new(msg).write_array(ctx, &text)?;
    Ok(text.len() as u64)
}

/// mq_notify(3): registers the calling process (`EBUSY` if any process
/// is), or with NULL removes its registration.
pub fn sys_mq_notify(ctx: &mut TrapContext, fd: i32, sevp: u64) -> Result<u64> {
    let ev = if sevp == 0 {
        None
    } else {
        let ev = UserPtr::<Sigevent>::new(sevp).read(ctx)?;
        match ev.sigev_notify {
            SIGEV_NONE => {}
            SIGEV_SIGNAL if (0..=64).contains(&ev.sigev_signo) => {}
            // SIGEV_THREAD needs a netlink socket, which this kernel lacks.
            SIGEV_THREAD => return Err(Errno::EBADF),
            _ => return Err(Errno::EINVAL),
        }
        Some(ev)
    };
    let f = ctx.task.files().borrow().get(fd)?;
    let q = f.ops_as::<MqFile>().ok_or(Errno::EBADF)?.queue.clone();
    let pid = ctx.task.process.pid;
    let mut st = q.state.borrow_mut();
    match ev {
        None => {
            if st.notify.is_some_and(|n| n.pid == pid) {
                st.notify = None;
            }
        }
        Some(_) if st.notify.is_some() => return Err(Errno::EBUSY),
        Some(ev) => {
            st.notify = Some(Notify {
                pid,
                kind: ev.sigev_notify,
                signo: ev.sigev_signo,
                value: ev.sigev_value,
            });
        }
    }
    Ok(0)
}

/// mq_getsetattr(2): sets O_NONBLOCK only (`EINVAL` for other flags).
pub fn sys_mq_getsetattr(ctx: &mut TrapContext, fd: i32, new: u64, old: u64) -> Result<u64> {
    let nonblock = OpenFlags::O_NONBLOCK.bits() as i64;
    let new = if new != 0 {
        let a = UserPtr::<i64>::new(new).read_array(ctx, ATTR_LONGS)?;
        if a[0] & !nonblock != 0 {
            return Err(Errno::EINVAL);
        }
        Some(a[0])
    } else {
        None
    };
    let f = ctx.task.files().borrow().get(fd)?;
    let q = f.ops_as::<MqFile>().ok_or(Errno::EBADF)?.queue.clone();
    let flags = f.flags();
    let was = [
        (flags.bits() as i64) & nonblock,
        q.maxmsg,
        q.msgsize,
        q.state.borrow().curmsgs,
        0,
        0,
        0,
        0,
    ];
    if let Some(n) = new {
        let mut fl = flags - OpenFlags::O_NONBLOCK;
        if n != 0 {
            fl |= OpenFlags::O_NONBLOCK;
        }
        f.set_flags(fl);
    }
    if old != 0 {
        UserPtr::<i64>::new(old).write_array(ctx, &was)?;
    }
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_checked_as_linux() {
        assert_eq!(check_name(b""), Err(Errno::EACCES));
        assert_eq!(check_name(b"a/b"), Err(Errno::EACCES));
        assert_eq!(check_name(b".."), Err(Errno::EACCES));
        assert_eq!(check_name(&[b'x'; 256]), Err(Errno::ENAMETOOLONG));
        assert!(check_name(&[b'x'; 255]).is_ok());
    }
}
