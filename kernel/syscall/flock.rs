//! File locks from user space: flock(2), and fcntl's record locks — POSIX
//! (F_GETLK, F_SETLK, F_SETLKW; owned by the process's descriptor table,
//! reported with its pid) and open file description ones (F_OFD_GETLK,
//! F_OFD_SETLK, F_OFD_SETLKW; owned by the open file, reported with pid -1).
//! The locks are the inode's (`fs::locks`); blocking waits sleep here,
//! interruptibly (ERESTARTSYS), on the inode's lock wait queue.

use super::arg::Fd;
use crate::sleep::{wait_event, Interruptible};
use crate::task::TrapContext;
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

/// Reads a `struct flock` (x86_64: type, whence, start, len, pid) and returns
/// the request it makes of `f`, or `EINVAL`/`EOVERFLOW` as Linux's
/// flock_to_posix_lock().
fn read_flock(ctx: &TrapContext, f: &File, addr: u64, owner: LockOwner) -> Result<RecordLock> {
    let mut b = [0u8; 32];
    ctx.read_user(addr, &mut b)?;
    let kind = match i16::from_ne_bytes([b[0], b[1]]) {
        0 => LockKind::Read,
        1 => LockKind::Write,
        2 => LockKind::Unlock,
        _ => return Err(Errno::EINVAL),
    };
    let word = |o: usize| i64::from_ne_bytes(b[o..o + 8].try_into().expect("8 bytes"));
    let (l_start, l_len) = (word(8), word(16));
    let l_pid = i32::from_ne_bytes(b[24..28].try_into().expect("4 bytes"));
    if matches!(owner, LockOwner::File(_)) && l_pid != 0 {
        return Err(Errno::EINVAL);
    }
    let base = match i16::from_ne_bytes([b[2], b[3]]) {
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

/// Writes F_GETLK's answer: the conflicting lock, or only `F_UNLCK` as type.
fn write_flock(ctx: &TrapContext, addr: u64, found: Option<RecordLock>) -> Result<()> {
    let Some(l) = found else {
        return ctx.write_user(addr, &2i16.to_ne_bytes());
    };
    let mut b = [0u8; 28];
    let kind: i16 = if l.kind == LockKind::Write { 1 } else { 0 };
    b[0..2].copy_from_slice(&kind.to_ne_bytes());
    let len = if l.end as i64 == OFFSET_MAX {
        0
    } else {
        l.end - l.start + 1
    };
    b[8..16].copy_from_slice(&l.start.to_ne_bytes());
    b[16..24].copy_from_slice(&len.to_ne_bytes());
    b[24..28].copy_from_slice(&l.pid.to_ne_bytes());
    ctx.write_user(addr, &b)
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
    let req = read_flock(ctx, f, arg, owner)?;
    let locks = f.file_locks().map_err(|_| Errno::EINVAL)?;
    if matches!(cmd, F_GETLK | F_OFD_GETLK) {
        if req.kind == LockKind::Unlock {
            return Err(Errno::EINVAL);
        }
        write_flock(ctx, arg, locks.test_record(&req))?;
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
