//! File locks from user space: flock(2), and fcntl's record locks — POSIX
//! (F_GETLK, F_SETLK, F_SETLKW; owned by the process's descriptor table,
//! reported with its pid) and open file description ones (F_OFD_GETLK,
//! F_OFD_SETLK, F_OFD_SETLKW; owned by the open file, reported with pid -1).
//! The locks are the inode's (`fs::locks`); blocking waits sleep here,
//! interruptibly (ERESTARTSYS), on the inode's lock wait queue.

use super::arg::{user_field, Fd, UserPtr};
use crate::sleep::{wait_event, Interruptible};
use crate::task::TrapContext;
use arch::abi::structs::Flock;
use arch::{Errno, Result};
use fs::locks::{FileLockContext, LockError, LockKind, LockOwner, RecordLock};
use fs::{File, OpenFlags};
use std::sync::Arc;

pub const F_GETLK: u64 = 5;
pub const F_SETLK: u64 = 6;
pub const F_SETLKW: u64 = 7;
pub const F_OFD_GETLK: u64 = 36;
pub const F_OFD_SETLK: u64 = 37;
pub const F_OFD_SETLKW: u64 = 38;

const LOCK_SH: u64 = 1;
const LOCK_EX: u64 = 2;
const LOCK_NB: u64 = 4;
const LOCK_UN: u64 = 8;

/// `l_type` values.
const F_RDLCK: i16 = 0;
const F_WRLCK: i16 = 1;
const F_UNLCK: i16 = 2;
/// The `l_whence` F_GETLK reports.
const SEEK_SET: i16 = 0;

/// `OFFSET_MAX`: the end of a lock that runs to the end of the file.
const OFFSET_MAX: i64 = i64::MAX;

/// Sleeps until `attempt` stops saying "not yet" (`None`).
fn wait_for<T>(
    ctx: &TrapContext,
    locks: &FileLockContext,
    mut attempt: impl FnMut() -> Option<Result<T>>,
) -> Result<T> {
    wait_event(
        ctx.task,
        &[locks.wait_queue()],
        None,
        Interruptible::Signals,
        &mut attempt,
    )?
    .ok_or(Errno::EINTR)?
}

/// flock(2): LOCK_SH, LOCK_EX or LOCK_UN, with LOCK_NB `EWOULDBLOCK` instead
/// of waiting; the lock belongs to the open file description.
pub fn sys_flock(ctx: &mut TrapContext, fd: Fd, operation: u64) -> Result<u64> {
    let f = super::attr::io_file(ctx, fd)?;
    let want = match operation & !LOCK_NB {
        LOCK_SH => Some(false),
        LOCK_EX => Some(true),
        LOCK_UN => None,
        _ => return Err(Errno::EINVAL),
    };
    let locks = f.file_locks().map_err(|_| Errno::EINVAL)?;
    if locks.flock(f.id(), want) {
        return Ok(0);
    }
    if operation & LOCK_NB != 0 {
        return Err(Errno::EAGAIN);
    }
    wait_for(ctx, locks, || locks.flock(f.id(), want).then_some(Ok(0)))
}

/// Returns the request a `struct flock` makes of `f`, or `EINVAL`/`EOVERFLOW`
/// as Linux's flock_to_posix_lock().
fn flock_to_lock(ctx: &TrapContext, f: &File, fl: &Flock, owner: LockOwner) -> Result<RecordLock> {
    let Flock {
        l_type,
        l_whence,
        l_start,
        l_len,
        l_pid,
        ..
    } = *fl;
    let kind = match l_type {
        F_RDLCK => LockKind::Read,
        F_WRLCK => LockKind::Write,
        F_UNLCK => LockKind::Unlock,
        _ => return Err(Errno::EINVAL),
    };
    if matches!(owner, LockOwner::File(_)) && l_pid != 0 {
        return Err(Errno::EINVAL);
    }
    let base = match l_whence {
        0 => 0,
        1 => f.pos() as i64,
        2 => f.stat()?.size as i64,
        _ => return Err(Errno::EINVAL),
    };
    let mut start = base.checked_add(l_start).ok_or(Errno::EOVERFLOW)?;
    if start < 0 {
        return Err(Errno::EINVAL);
    }
    let end = match l_len {
        0 => OFFSET_MAX,
        n if n > 0 => start.checked_add(n - 1).ok_or(Errno::EOVERFLOW)?,
        n => {
            let end = start - 1;
            start += n;
            if start < 0 {
                return Err(Errno::EINVAL);
            }
            end
        }
    };
    let pid = match owner {
        LockOwner::Files(_) => ctx.task.process.pid,
        LockOwner::File(_) => -1,
    };
    Ok(RecordLock {
        kind,
        start: start as u64,
        end: end as u64,
        owner,
        pid,
    })
}

/// Writes F_GETLK's answer over the caller's `fl`: the conflicting lock, or
/// only `F_UNLCK` as type (the other fields stay as the caller gave them).
fn write_flock(
    ctx: &TrapContext,
    addr: UserPtr<Flock>,
    fl: Flock,
    found: Option<RecordLock>,
) -> Result<()> {
    let Some(l) = found else {
        return user_field!(addr, Flock, l_type).write(ctx, &F_UNLCK);
    };
    let len = if l.end as i64 == OFFSET_MAX {
        0
    } else {
        l.end - l.start + 1
    };
    let flock = Flock {
        l_type: if l.kind == LockKind::Write {
            F_WRLCK
        } else {
            F_RDLCK
        },
        l_whence: SEEK_SET,
        l_start: l.start as i64,
        l_len: len as i64,
        // In the caller's PID namespace, 0 where the owner is not visible
        // (Linux's locks_translate_pid); -1 stays for an OFD lock.
        l_pid: if l.pid > 0 {
            ctx.task.process.vnr(l.pid)
        } else {
            l.pid
        },
        ..fl
    };
    addr.write(ctx, &flock)
}

/// The record lock commands of fcntl(2).
pub fn fcntl_lock(ctx: &mut TrapContext, f: &Arc<File>, cmd: u64, arg: u64) -> Result<u64> {
    if f.flags().contains(OpenFlags::O_PATH) {
        return Err(Errno::EBADF);
    }
    let owner = match cmd {
        F_OFD_GETLK | F_OFD_SETLK | F_OFD_SETLKW => LockOwner::File(f.id()),
        _ => LockOwner::Files(ctx.task.files().borrow().owner()),
    };
    let arg = UserPtr::<Flock>::new(arg);
    let fl = arg.read(ctx)?;
    let req = flock_to_lock(ctx, f, &fl, owner)?;
    let locks = f.file_locks().map_err(|_| Errno::EINVAL)?;
    if matches!(cmd, F_GETLK | F_OFD_GETLK) {
        if req.kind == LockKind::Unlock {
            return Err(Errno::EINVAL);
        }
        write_flock(ctx, arg, fl, locks.test_record(&req))?;
        return Ok(0);
    }
    let mode = f.flags().access_mode();
    match req.kind {
        LockKind::Read if mode == 1 => return Err(Errno::EBADF),
        LockKind::Write if mode == 0 => return Err(Errno::EBADF),
        _ => {}
    }
    let wait = matches!(cmd, F_SETLKW | F_OFD_SETLKW);
    match locks.set_record(&req, wait) {
        Ok(()) => return Ok(0),
        Err(LockError::Deadlock) => return Err(Errno::EDEADLK),
        Err(LockError::Conflict(_)) if !wait => return Err(Errno::EAGAIN),
        Err(LockError::Conflict(_)) => {}
    }
    let posix = matches!(owner, LockOwner::Files(_));
    if posix {
        fs::locks::set_blocked(owner, Some((locks.clone(), req)));
    }
    let r = wait_for(ctx, locks, || match locks.set_record(&req, true) {
        Ok(()) => Some(Ok(0)),
        Err(LockError::Deadlock) => Some(Err(Errno::EDEADLK)),
        Err(LockError::Conflict(_)) => None,
    });
    if posix {
        fs::locks::set_blocked(owner, None);
    }
    r
}
