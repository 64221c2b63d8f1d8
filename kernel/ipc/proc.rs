//! The procfs faces of System V IPC: /proc/sysvipc/{shm,sem,msg}, the
//! objects of the reader's namespace in Linux's exact columns (util-linux's
//! ipcs reads them), and the limits of /proc/sys/kernel (shmmax, shmall,
//! shmmni, sem, msgmax, msgmnb, msgmni) of the reader's or writer's
//! namespace, which root may set within Linux's bounds.

use super::{current, IPCMNI};
use arch::{Errno, Result};
use std::fmt::Write;

/// /proc/sysvipc/shm.
pub fn shm() -> Result<Vec<u8>> {
    let ns = current();
    let mut s = String::from(
        "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n",
    );
    for e in ns.shm.borrow().iter() {
        let d = super::shm::stat_of(e);
        let p = &e.perm;
        let _ = writeln!(
            s,
            "{:10} {:10}  {:4o} {:21} {:5} {:5}  {:5} {:5} {:5} {:5} {:5} {:10} {:10} {:10} {:21} {:21}",
            p.key,
            p.id,
            p.mode,
            d.shm_segsz,
            d.shm_cpid,
            d.shm_lpid,
            d.shm_nattch,
            p.uid,
            p.gid,
            p.cuid,
            p.cgid,
            d.shm_atime,
            d.shm_dtime,
            d.shm_ctime,
            e.obj.rss_pages() * arch::PAGE_SIZE,
            0
        );
    }
    Ok(s.into_bytes())
}

/// /proc/sysvipc/sem.
pub fn sem() -> Result<Vec<u8>> {
    let ns = current();
    let mut s = String::from(
        "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n",
    );
    for e in ns.sem.borrow().iter() {
        let st = e.obj.state.borrow();
        let p = &e.perm;
        let _ = writeln!(
            s,
            "{:10} {:10}  {:4o} {:10} {:5} {:5} {:5} {:5} {:10} {:10}",
            p.key,
            p.id,
            p.mode,
            st.sems.len(),
            p.uid,
            p.gid,
            p.cuid,
            p.cgid,
            st.otime,
            st.ctime
        );
    }
    Ok(s.into_bytes())
}

/// /proc/sysvipc/msg.
pub fn msg() -> Result<Vec<u8>> {
    let ns = current();
    let mut s = String::from(
        "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n",
    );
    for e in ns.msg.borrow().iter() {
        let st = e.obj.state.borrow();
        let p = &e.perm;
        let _ = writeln!(
            s,
            "{:10} {:10}  {:4o}  {:10} {:10} {:5} {:5} {:5} {:5} {:5} {:5} {:10} {:10} {:10}",
            p.key,
            p.id,
            p.mode,
            st.cbytes,
            st.messages.len(),
            st.lspid,
            st.lrpid,
            p.uid,
            p.gid,
            p.cuid,
            p.cgid,
            st.stime,
            st.rtime,
            st.ctime
        );
    }
    Ok(s.into_bytes())
}

/// The IPC limits of /proc/sys/kernel.
pub const SYSCTLS: &[&str] = &[
    "msgmax", "msgmnb", "msgmni", "sem", "shmall", "shmmax", "shmmni",
];

/// Returns the text of sysctl `name` for the reader's namespace.
pub fn read_limit(name: &str) -> Result<Vec<u8>> {
    let l = *current().limits.borrow();
    let text = match name {
        "shmmax" => l.shmmax.to_string(),
        "shmall" => l.shmall.to_string(),
        "shmmni" => l.shmmni.to_string(),
        "msgmax" => l.msgmax.to_string(),
        "msgmnb" => l.msgmnb.to_string(),
        "msgmni" => l.msgmni.to_string(),
        "sem" => format!("{}\t{}\t{}\t{}", l.sem[0], l.sem[1], l.sem[2], l.sem[3]),
        _ => return Err(Errno::ENOENT),
    };
    Ok(format!("{text}\n").into_bytes())
}

/// The POSIX message queue limits of /proc/sys/fs/mqueue.
pub const MQ_SYSCTLS: &[&str] = &[
    "msg_default",
    "msg_max",
    "msgsize_default",
    "msgsize_max",
    "queues_max",
];

/// Returns the text of /proc/sys/fs/mqueue/`name` for the reader's namespace.
pub fn read_mq_limit(name: &str) -> Result<Vec<u8>> {
    let l = current().mq.borrow().limits;
    let v = match name {
        "msg_default" => l.msg_default,
        "msg_max" => l.msg_max,
        "msgsize_default" => l.msgsize_default,
        "msgsize_max" => l.msgsize_max,
        "queues_max" => l.queues_max,
        _ => return Err(Errno::ENOENT),
    };
    Ok(format!("{v}\n").into_bytes())
}

/// Sets /proc/sys/fs/mqueue/`name` of the writer's namespace, within
/// Linux's bounds (`EINVAL` outside them).
pub fn write_mq_limit(name: &str, text: &[u8]) -> Result<()> {
    use super::mqueue::{HARD_MSGMAX, HARD_MSGSIZEMAX};
    let s = std::str::from_utf8(text).map_err(|_| Errno::EINVAL)?.trim();
    let ns = current();
    let mut mq = ns.mq.borrow_mut();
    let l = &mut mq.limits;
    match name {
        "msg_default" => l.msg_default = int(s, 1..=HARD_MSGMAX)?.into(),
        "msg_max" => l.msg_max = int(s, 1..=HARD_MSGMAX)?.into(),
        "msgsize_default" => l.msgsize_default = int(s, 128..=HARD_MSGSIZEMAX)?.into(),
        "msgsize_max" => l.msgsize_max = int(s, 128..=HARD_MSGSIZEMAX)?.into(),
        "queues_max" => l.queues_max = int(s, 0..=i32::MAX as i64)?.into(),
        _ => return Err(Errno::ENOENT),
    }
    Ok(())
}

/// Parses an int within `range` (`EINVAL` otherwise).
fn int(s: &str, range: std::ops::RangeInclusive<i64>) -> Result<i32> {
    let v: i64 = s.parse().map_err(|_| Errno::EINVAL)?;
    if !range.contains(&v) {
        return Err(Errno::EINVAL);
    }
    i32::try_from(v).map_err(|_| Errno::EINVAL)
}

/// Sets sysctl `name` of the writer's namespace from `text`.
pub fn write_limit(name: &str, text: &[u8]) -> Result<()> {
    let s = std::str::from_utf8(text).map_err(|_| Errno::EINVAL)?.trim();
    let ns = current();
    let mut l = *ns.limits.borrow();
    let any = 0..=i32::MAX as i64;
    let mni = 0..=IPCMNI as i64;
    match name {
        "shmmax" => l.shmmax = s.parse().map_err(|_| Errno::EINVAL)?,
        "shmall" => l.shmall = s.parse().map_err(|_| Errno::EINVAL)?,
        "shmmni" => l.shmmni = int(s, mni)? as u32,
        "msgmax" => l.msgmax = int(s, any)?,
        "msgmnb" => l.msgmnb = int(s, any)?,
        "msgmni" => l.msgmni = int(s, mni)?,
        "sem" => {
            let v: Vec<&str> = s.split_whitespace().collect();
            if v.is_empty() || v.len() > 4 {
                return Err(Errno::EINVAL);
            }
            for (i, x) in v.iter().enumerate() {
                let range = if i == 3 {
                    mni.clone()
                } else {
                    i32::MIN as i64..=i32::MAX as i64
                };
                l.sem[i] = int(x, range)?;
            }
        }
        _ => return Err(Errno::ENOENT),
    }
    *ns.limits.borrow_mut() = l;
    Ok(())
}
