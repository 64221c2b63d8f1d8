//! Signal-driven I/O (Linux's `f_owner` and fasync, fs/fcntl.c): fcntl(2)
//! names an open file's owner (F_SETOWN, F_SETOWN_EX: a thread, a process
//! or a process group) and its signal (F_SETSIG; SIGIO by default), and
//! once F_SETFL turns O_ASYNC on, each change of the file's readiness sends
//! the owner that signal, with the reason (POLL_IN, POLL_OUT...), the
//! band and the descriptor in its siginfo where the signal is not SIGIO.
//!
//! The file's wait queue, the one poll(2) sleeps on, says when. A wake may
//! come from any host thread, under the file's own locks, so the owner is
//! signalled from the timer thread under the kernel lock, once per burst of
//! wakes, after a poll of the file gives the reason. As in Linux, O_ASYNC
//! given to open(2) does not arm it, and the owner must be one the setter
//! may signal when the signal goes (`sigio_perm`).

use crate::signal::{self, SigInfo};
use crate::syscall::UserPtr;
use crate::task::{self, TrapContext};
use arch::abi::signal::{SIGIO, SI_KERNEL};
use arch::abi::structs::{FOwnerEx, SigPoll};
use arch::sync::Mutex;
use arch::{Errno, Result};
use fs::{File, OpenFlags, PollEvents, Waker};
use std::sync::atomic::{AtomicBool, AtomicU32, Ordering};
use std::sync::{Arc, Weak};

pub const F_SETOWN: u32 = 8;
pub const F_GETOWN: u32 = 9;
pub const F_SETSIG: u32 = 10;
pub const F_GETSIG: u32 = 11;
pub const F_SETOWN_EX: u32 = 15;
pub const F_GETOWN_EX: u32 = 16;

/// `struct f_owner_ex`'s kinds.
const F_OWNER_TID: i32 = 0;
const F_OWNER_PID: i32 = 1;
const F_OWNER_PGRP: i32 = 2;

/// `si_code`s of SIGPOLL.
const POLL_IN: i32 = 1;
const POLL_OUT: i32 = 2;
const POLL_ERR: i32 = 4;
const POLL_PRI: i32 = 5;
const POLL_HUP: i32 = 6;

/// The largest signal number F_SETSIG takes.
const NSIG: u64 = 64;

/// Who gets the signals: one thread, a process, or a process group.
#[derive(Clone, Copy, Default, PartialEq, Eq)]
enum Kind {
    Tid,
    #[default]
    Pid,
    Pgrp,
}

#[derive(Clone, Copy, Default)]
struct OwnerState {
    kind: Kind,
    /// The global id of the owner; 0: none.
    id: i32,
    /// The real and effective user ids of whoever set the owner.
    uid: u32,
    euid: u32,
    /// F_SETSIG's signal (0: SIGIO without details).
    sig: i32,
    /// The descriptor O_ASYNC was turned on through (`si_fd`).
    fd: i32,
}

/// An open file's owner for signal-driven I/O.
pub struct FOwner {
    me: Weak<FOwner>,
    file: Weak<File>,
    state: Mutex<OwnerState>,
    /// Whether F_SETFL turned O_ASYNC on (it is on the file's wait queue).
    armed: AtomicBool,
    /// Whether a signal is on its way (wakes until then add nothing).
    queued: AtomicBool,
    /// The readiness at the last signal: POLL_OUT goes when the file
    /// becomes writable, not at every wake while it is.
    last: AtomicU32,
}

impl FOwner {
    /// Returns the owner of open file `f`, made empty at the first call
    /// (only this module fills the slot).
    fn of(f: &Arc<File>) -> Option<Arc<FOwner>> {
        let any = f
            .owner(|| {
                Arc::new_cyclic(|me| FOwner {
                    me: me.clone(),
                    file: Arc::downgrade(f),
                    state: Mutex::default(),
                    armed: AtomicBool::new(false),
                    queued: AtomicBool::new(false),
                    last: AtomicU32::new(0),
                })
            })
            .clone();
        any.downcast::<FOwner>().ok()
    }

    /// Polls the file and signals the owner if the file is ready for it.
    fn fire(&self) {
        self.queued.store(false, Ordering::Release);
        let Some(file) = self.file.upgrade() else {
            return;
        };
        // Armed only while F_SETFL or FIOASYNC has O_ASYNC on.
        if !self.armed.load(Ordering::Acquire) {
            return;
        }
        let st = *self.state.lock();
        let now = file.ops().poll();
        let before = PollEvents::from_bits_truncate(self.last.swap(now.bits(), Ordering::AcqRel));
        if st.id == 0 {
            return;
        }
        if let Some(reason) = reason(now, before, file.flags()) {
            send_sigio(&st, reason);
        }
    }
}

impl Waker for FOwner {
    fn wake(&self) {
        if !self.armed.load(Ordering::Acquire) || self.queued.swap(true, Ordering::AcqRel) {
            return;
        }
        let me = self.me.clone();
        crate::timer::add(std::time::Instant::now(), move || {
            if let Some(o) = me.upgrade() {
                o.fire();
            }
        });
    }
}

/// Returns why a file whose readiness went from `before` to `now` signals
/// its owner, if it does: input (while any is there), an error or hang-up,
/// urgent data, or room for output that was not there before; each only
/// in a direction the file was opened for.
fn reason(now: PollEvents, before: PollEvents, flags: OpenFlags) -> Option<i32> {
    use PollEvents as E;
    if flags.readable() && now.intersects(E::POLLIN | E::POLLRDNORM) {
        Some(POLL_IN)
    } else if now.contains(E::POLLERR) && !before.contains(E::POLLERR) {
        Some(POLL_ERR)
    } else if now.contains(E::POLLHUP) && !before.contains(E::POLLHUP) {
        Some(POLL_HUP)
    } else if flags.readable() && now.contains(E::POLLPRI) {
        Some(POLL_PRI)
    } else if flags.writable() && now.contains(E::POLLOUT) && !before.contains(E::POLLOUT) {
        Some(POLL_OUT)
    } else {
        None
    }
}

/// The poll band of a reason (Linux's `band_table`).
fn band(reason: i32) -> PollEvents {
    use PollEvents as E;
    match reason {
        POLL_IN => E::POLLIN | E::POLLRDNORM,
        POLL_OUT => E::POLLOUT | E::POLLWRNORM | E::POLLWRBAND,
        POLL_ERR => E::POLLERR,
        POLL_PRI => E::POLLPRI | E::POLLRDBAND,
        _ => E::POLLHUP | E::POLLERR,
    }
}

/// Returns whether whoever set the owner may signal `p` (Linux's
/// `sigio_perm`): root, or a real or effective uid that is `p`'s real or
/// saved one.
fn sigio_perm(st: &OwnerState, p: &task::Process) -> bool {
    let c = p.cred.borrow();
    st.euid == 0 || st.euid == c.suid || st.euid == c.uid || st.uid == c.suid || st.uid == c.uid
}

/// Sends the owner's signal for `reason` to every target it names; a
/// real-time signal that finds no room falls back on SIGIO, as in Linux.
fn send_sigio(st: &OwnerState, reason: i32) {
    let plain = SigInfo::new(SIGIO, SI_KERNEL);
    let detailed = (st.sig != 0).then(|| {
        let fields = SigPoll {
            si_band: band(reason).bits() as i64,
            si_fd: st.fd,
            __pad: 0,
        };
        SigInfo::with(st.sig, reason, fields)
    });
    let send_one = |send: &dyn Fn(SigInfo) -> Result<()>| {
        if detailed.is_none_or(|info| send(info).is_err()) {
            let _ = send(plain);
        }
    };
    match st.kind {
        Kind::Tid => {
            if let Some(t) = task::find_task(st.id).filter(|t| sigio_perm(st, &t.process)) {
                send_one(&|info| signal::send_sig_info(&t, info));
            }
        }
        Kind::Pid => {
            if let Some(p) = task::find_process(st.id).filter(|p| sigio_perm(st, p)) {
                send_one(&|info| signal::group_send_sig_info(&p, info));
            }
        }
        Kind::Pgrp => {
            for p in task::all_processes() {
                let live = p.exit_status.borrow().is_none();
                if live && *p.pgid.borrow() == st.id && sigio_perm(st, &p) {
                    send_one(&|info| signal::group_send_sig_info(&p, info));
                }
            }
        }
    }
}

/// Turns signal-driven I/O of `f` on or off, as F_SETFL's O_ASYNC does
/// through descriptor `fd` (Linux's `fasync` file operation).
pub fn set_async(f: &Arc<File>, fd: i32, on: bool) {
    let Some(o) = FOwner::of(f) else {
        return;
    };
    o.state.lock().fd = fd;
    if o.armed.swap(on, Ordering::AcqRel) == on {
        return;
    }
    let Some(queue) = f.ops().wait_queue() else {
        return;
    };
    let waker: Arc<dyn Waker> = o.clone();
    if on {
        o.last.store(f.ops().poll().bits(), Ordering::Release);
        queue.add(&waker);
    } else {
        queue.remove(&waker);
    }
}

/// Makes the caller's `id` of kind `kind` the owner of `f` (0: none);
/// ESRCH if nothing has that id.
fn set_owner(ctx: &TrapContext, o: &FOwner, kind: Kind, id: i32) -> Result<()> {
    let me = &ctx.task.process;
    let global = match kind {
        _ if id == 0 => 0,
        Kind::Tid => me.find_task(id).ok_or(Errno::ESRCH)?.tid(),
        Kind::Pid => me.find_task(id).ok_or(Errno::ESRCH)?.process.pid,
        Kind::Pgrp => me.global(id).ok_or(Errno::ESRCH)?,
    };
    let cred = me.cred.borrow();
    let mut st = o.state.lock();
    st.kind = kind;
    st.id = global;
    st.uid = cred.uid;
    st.euid = cred.euid;
    Ok(())
}

/// fcntl(2)'s owner and signal commands on `f`.
pub fn fcntl(ctx: &TrapContext, f: &Arc<File>, cmd: u32, arg: u64) -> Result<u64> {
    let o = FOwner::of(f).ok_or(Errno::EINVAL)?;
    let me = &ctx.task.process;
    let st = *o.state.lock();
    let vnr = if st.id == 0 { 0 } else { me.vnr(st.id) };
    match cmd {
        F_GETOWN if st.kind == Kind::Pgrp => Ok(-(vnr as i64) as u64),
        F_GETOWN => Ok(vnr as u64),
        F_SETOWN => {
            let who = arg as i32;
            match who {
                i32::MIN => return Err(Errno::EINVAL),
                w if w < 0 => set_owner(ctx, &o, Kind::Pgrp, -w)?,
                w => set_owner(ctx, &o, Kind::Pid, w)?,
            }
            Ok(0)
        }
        F_GETOWN_EX => {
            let kind = match st.kind {
                Kind::Tid => F_OWNER_TID,
                Kind::Pid => F_OWNER_PID,
                Kind::Pgrp => F_OWNER_PGRP,
            };
            let out = FOwnerEx { kind, pid: vnr };
            UserPtr::<FOwnerEx>::new(arg).write(ctx, &out)?;
            Ok(0)
        }
        F_SETOWN_EX => {
            let ex = UserPtr::<FOwnerEx>::new(arg).read(ctx)?;
            let kind = match ex.kind {
                F_OWNER_TID => Kind::Tid,
                F_OWNER_PID => Kind::Pid,
                F_OWNER_PGRP => Kind::Pgrp,
                _ => return Err(Errno::EINVAL),
            };
            if ex.pid < 0 {
                return Err(Errno::ESRCH);
            }
            set_owner(ctx, &o, kind, ex.pid)?;
            Ok(0)
        }
        F_GETSIG => Ok(st.sig as u64),
        F_SETSIG => {
            if arg > NSIG {
                return Err(Errno::EINVAL);
            }
            o.state.lock().sig = arg as i32;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use PollEvents as E;

    #[test]
    fn reasons_follow_the_open_direction_and_new_room() {
        let (rd, wr, rw) = (OpenFlags::empty(), OpenFlags::O_WRONLY, OpenFlags::O_RDWR);
        let none = E::empty();
        assert_eq!(reason(E::POLLIN, none, rd), Some(POLL_IN));
        assert_eq!(
            reason(E::POLLIN, E::POLLIN, rw),
            Some(POLL_IN),
            "input while any is there"
        );
        assert_eq!(
            reason(E::POLLIN, none, wr),
            None,
            "a write end reads nothing"
        );
        assert_eq!(reason(E::POLLOUT, none, wr), Some(POLL_OUT));
        assert_eq!(
            reason(E::POLLOUT, E::POLLOUT, rw),
            None,
            "room that was there already"
        );
        assert_eq!(reason(E::POLLHUP, none, rd), Some(POLL_HUP));
        assert_eq!(reason(E::POLLERR | E::POLLOUT, none, wr), Some(POLL_ERR));
        assert_eq!(band(POLL_IN), E::POLLIN | E::POLLRDNORM);
    }
}
