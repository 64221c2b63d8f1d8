//! process_vm_readv(2) and process_vm_writev(2): copying between the
//! caller's memory and another process's, with ptrace's access check and
//! none of its stops.

use crate::syscall::iovecs;
use crate::task::TrapContext;
use arch::{Errno, Result};

pub fn sys_process_vm_readv(
    ctx: &mut TrapContext,
    pid: i32,
    local: u64,
    liovcnt: u64,
    remote: u64,
    riovcnt: u64,
    flags: u64,
) -> Result<u64> {
    process_vm(ctx, pid, (local, liovcnt), (remote, riovcnt), flags, false)
}

pub fn sys_process_vm_writev(
    ctx: &mut TrapContext,
    pid: i32,
    local: u64,
    liovcnt: u64,
    remote: u64,
    riovcnt: u64,
    flags: u64,
) -> Result<u64> {
    process_vm(ctx, pid, (local, liovcnt), (remote, riovcnt), flags, true)
}

/// Copies from the local iovecs to the remote ones (`write`) or back, as
/// far as both go; returns the bytes copied. An unreadable remote range
/// ends the copy (EFAULT if nothing was copied), as Linux does.
fn process_vm(
    ctx: &mut TrapContext,
    pid: i32,
    local: (u64, u64),
    remote: (u64, u64),
    flags: u64,
    write: bool,
) -> Result<u64> {
    if flags != 0 {
        return Err(Errno::EINVAL);
    }
    let local = iovecs(ctx, local.0, local.1)?;
    let remote = iovecs(ctx, remote.0, remote.1)?;
    // Any thread id names its process (Linux's find_get_task_by_vpid).
    let p = (ctx.task.process.find_task(pid).map(|t| t.process.clone()))
        .filter(|p| p.exit_status.borrow().is_none())
        .ok_or(Errno::ESRCH)?;
    let mode = crate::task::AccessMode::ATTACH_REALCREDS;
    if !crate::task::ptrace_may_access(&ctx.task.process, &p, mode) {
        return Err(Errno::EPERM);
    }
    let mm = p.mm.borrow().clone();
    let (mut li, mut loff) = (0usize, 0u64);
    let mut done = 0u64;
    for (rbase, rlen) in remote {
        let mut roff = 0u64;
        while roff < rlen {
            while li < local.len() && loff == local[li].1 {
                li += 1;
                loff = 0;
            }
            let Some(&(lbase, llen)) = local.get(li) else {
                return Ok(done);
            };
            let n = (rlen - roff).min(llen - loff).min(64 << 10) as usize;
            let mut buf = vec![0u8; n];
            let (raddr, laddr) = (rbase.wrapping_add(roff), lbase.wrapping_add(loff));
            // One address space at a time: the remote one may be the
            // caller's own.
            let copied = if write {
                ctx.read_user(laddr, &mut buf)
                    .and_then(|()| mm.borrow_mut().copy_to_user(raddr, &buf))
            } else {
                let r = mm.borrow_mut().copy_from_user(raddr, &mut buf);
                r.and_then(|()| ctx.write_user(laddr, &buf))
            };
            if let Err(e) = copied {
                return if done == 0 { Err(e) } else { Ok(done) };
            }
            done += n as u64;
            roff += n as u64;
            loff += n as u64;
        }
    }
    Ok(done)
}
