//! Waiting for children: wait4(2) and waitid(2) over `task::do_wait`.

use super::arg::UserPtr;
use crate::task::TrapContext;
use crate::task::{self, ChildChange, ExitStatus, WaitOptions, WaitResult};
use arch::abi::structs::{Rusage, SigInfo, Timeval};
use arch::{Errno, Result};

const WNOHANG: u32 = 1;
const WUNTRACED: u32 = 2;
const WEXITED: u32 = 4;
const WCONTINUED: u32 = 8;
const WNOWAIT: u32 = 0x0100_0000;
const WNOTHREAD: u32 = 0x2000_0000;
const WALL: u32 = 0x4000_0000;
const WCLONE: u32 = 0x8000_0000;

/// Writes a `struct rusage` with the (user, system) CPU times in nanoseconds,
/// `ru_maxrss` (`maxrss` pages, shown in kilobytes), the context switches
/// and the page faults.
pub(super) fn write_rusage(
    ctx: &TrapContext,
    addr: u64,
    times: (u64, u64),
    maxrss: u64,
    (nvcsw, nivcsw, minflt): (u64, u64, u64),
) -> Result<()> {
    let tv = |ns: u64| Timeval {
        tv_sec: (ns / 1_000_000_000) as i64,
        tv_usec: (ns % 1_000_000_000 / 1000) as i64,
    };
    let mut usage = Rusage {
        ru_utime: tv(times.0),
        ru_stime: tv(times.1),
        ..Default::default()
    };
    // The first counter is ru_maxrss.
    usage.counters[0] = (maxrss * (mm::PAGE_SIZE / 1024)) as i64;
    // The fifth is ru_minflt.
    usage.counters[4] = minflt as i64;
    // The last two are ru_nvcsw and ru_nivcsw.
    usage.counters[12] = nvcsw as i64;
    usage.counters[13] = nivcsw as i64;
    super::arg::UserPtr::new(addr).write(ctx, &usage)
}

pub fn sys_wait4(
    ctx: &mut TrapContext,
    pid: i32,
    status: UserPtr<i32>,
    options: u32,
    rusage: u64,
) -> Result<u64> {
    if options & !(WNOHANG | WUNTRACED | WCONTINUED | WNOTHREAD | WALL | WCLONE) != 0 {
        return Err(Errno::EINVAL);
    }
    if pid == i32::MIN {
        return Err(Errno::ESRCH);
    }
    let o = WaitOptions {
        pid,
        exited: true,
        stopped: options & WUNTRACED != 0,
        continued: options & WCONTINUED != 0,
        nohang: options & WNOHANG != 0,
        nowait: false,
        all: options & WALL != 0,
        clone: options & WCLONE != 0,
    };
    let task = ctx.task.clone();
    match task::do_wait(&task, o)? {
        None => Ok(0),
        Some(r) => {
            if !status.is_null() {
                status.write(ctx, &(r.status() as i32))?;
            }
            if rusage != 0 {
                write_rusage(ctx, rusage, r.times(), r.maxrss, (0, 0, 0))?;
            }
            Ok(r.pid as u64)
        }
    }
}

/// waitid(idtype, id, infop, options, rusage).
pub fn sys_waitid(
    ctx: &mut TrapContext,
    idtype: i32,
    id: i32,
    infop: UserPtr<SigInfo>,
    options: u32,
    rusage: u64,
) -> Result<u64> {
    const P_ALL: i32 = 0;
    const P_PID: i32 = 1;
    const P_PGID: i32 = 2;
    let known = WNOHANG | WUNTRACED | WEXITED | WCONTINUED | WNOWAIT | WNOTHREAD | WALL | WCLONE;
    if options & !known != 0 || options & (WEXITED | WUNTRACED | WCONTINUED) == 0 {
        return Err(Errno::EINVAL);
    }
    let pid = match idtype {
        P_ALL => -1,
        P_PID if id > 0 => id,
        P_PGID if id > 0 => -id,
        P_PGID if id == 0 => 0,
        _ => return Err(Errno::EINVAL),
    };
    let o = WaitOptions {
        pid,
        exited: options & WEXITED != 0,
        stopped: options & WUNTRACED != 0,
        continued: options & WCONTINUED != 0,
        nohang: options & WNOHANG != 0,
        nowait: options & WNOWAIT != 0,
        all: options & WALL != 0,
        clone: options & WCLONE != 0,
    };
    let task = ctx.task.clone();
    let r = task::do_wait(&task, o)?;
    if !infop.is_null() {
        use crate::signal::{
            CLD_CONTINUED, CLD_DUMPED, CLD_EXITED, CLD_KILLED, CLD_STOPPED, CLD_TRAPPED, SIGCHLD,
        };
        let info = match r {
            None => SigInfo::default(),
            Some(WaitResult {
                pid, uid, change, ..
            }) => {
                let (code, status) = match change {
                    ChildChange::Exited(ExitStatus::Exited(c), _) => (CLD_EXITED, c as i32),
                    ChildChange::Exited(ExitStatus::Signaled(s), _) => (CLD_KILLED, s),
                    ChildChange::Exited(ExitStatus::CoreDumped(s), _) => (CLD_DUMPED, s),
                    ChildChange::Stopped(s) => (CLD_STOPPED, s),
                    ChildChange::Trapped(st) => (CLD_TRAPPED, (st >> 8) as i32),
                    ChildChange::Continued => (CLD_CONTINUED, SIGCHLD),
                };
                SigInfo::child(code, pid, uid, status)
            }
        };
        infop.write(ctx, &info)?;
    }
    if rusage != 0 {
        let (times, maxrss) = r.map_or(((0, 0), 0), |r| (r.times(), r.maxrss));
        write_rusage(ctx, rusage, times, maxrss, (0, 0, 0))?;
    }
    Ok(0)
}
