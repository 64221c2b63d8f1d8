//! Credentials (credentials(7)): real, effective, saved and filesystem user and
//! group ids plus supplementary groups, with Linux's rules for changing them —
//! a process whose effective uid is 0 may set anything; others may only move
//! between ids they already hold. Credentials are per process here: glibc makes
//! every thread change them together anyway (its setxid broadcast).

use super::arg::{user_field, UserPtr};
use crate::task::TrapContext;
use arch::abi::structs::{
    CapUserData, CapUserHeader, LINUX_CAPABILITY_VERSION_1, LINUX_CAPABILITY_VERSION_2,
    LINUX_CAPABILITY_VERSION_3,
};
use arch::{Errno, Result};

/// A process's credentials.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Cred {
    pub uid: u32,
    pub euid: u32,
    pub suid: u32,
    pub fsuid: u32,
    pub gid: u32,
    pub egid: u32,
    pub sgid: u32,
    pub fsgid: u32,
    pub groups: Vec<u32>,
}

impl Cred {
    /// Returns what the VFS checks file operations against: the filesystem
    /// ids, with root's capabilities while the filesystem uid is 0 (Linux
    /// drops the file capabilities when it leaves 0) and CAP_SYS_ADMIN while
    /// the effective uid is.
    pub fn fs(&self) -> fs::Credentials {
        fs::Credentials {
            fsuid: self.fsuid,
            fsgid: self.fsgid,
            groups: self.groups.clone(),
            cap_fs: self.fsuid == 0,
            cap_sys_admin: self.euid == 0,
        }
    }

    /// Returns what access(2) checks against: the real ids, with root's
    /// capabilities if the real uid is 0.
    pub fn real(&self) -> fs::Credentials {
        fs::Credentials {
            fsuid: self.uid,
            fsgid: self.gid,
            groups: self.groups.clone(),
            cap_fs: self.uid == 0,
            cap_sys_admin: self.uid == 0,
        }
    }
}

/// NGROUPS_MAX.
const NGROUPS_MAX: usize = 65536;
/// The "leave unchanged" id.
const KEEP: u32 = u32::MAX;

fn cred(ctx: &TrapContext) -> Cred {
    ctx.task.process.cred.borrow().clone()
}

/// Installs new credentials. A change of the effective or filesystem ids
/// makes the process non-dumpable, as Linux's commit_creds does.
fn set(ctx: &TrapContext, c: Cred) {
    let p = &ctx.task.process;
    let mut cur = p.cred.borrow_mut();
    if (cur.euid, cur.egid, cur.fsuid, cur.fsgid) != (c.euid, c.egid, c.fsuid, c.fsgid) {
        p.set_dumpable(false);
    }
    let new_user = cur.uid != c.uid;
    *cur = c;
    drop(cur);
    if new_user {
        crate::task::limits::set_user(p);
    }
}

pub fn sys_getuid(ctx: &mut TrapContext) -> Result<u64> {
    Ok(cred(ctx).uid as u64)
}
pub fn sys_geteuid(ctx: &mut TrapContext) -> Result<u64> {
    Ok(cred(ctx).euid as u64)
}
pub fn sys_getgid(ctx: &mut TrapContext) -> Result<u64> {
    Ok(cred(ctx).gid as u64)
}
pub fn sys_getegid(ctx: &mut TrapContext) -> Result<u64> {
    Ok(cred(ctx).egid as u64)
}

fn write_ids(ctx: &TrapContext, ptrs: [UserPtr<u32>; 3], ids: [u32; 3]) -> Result<u64> {
    for (p, id) in ptrs.into_iter().zip(ids) {
        p.write(ctx, &id)?;
    }
    Ok(0)
}

pub fn sys_getresuid(
    ctx: &mut TrapContext,
    ruid: UserPtr<u32>,
    euid: UserPtr<u32>,
    suid: UserPtr<u32>,
) -> Result<u64> {
    let c = cred(ctx);
    write_ids(ctx, [ruid, euid, suid], [c.uid, c.euid, c.suid])
}

pub fn sys_getresgid(
    ctx: &mut TrapContext,
    rgid: UserPtr<u32>,
    egid: UserPtr<u32>,
    sgid: UserPtr<u32>,
) -> Result<u64> {
    let c = cred(ctx);
    write_ids(ctx, [rgid, egid, sgid], [c.gid, c.egid, c.sgid])
}

/// Applies setresuid/setresgid semantics to (real, effective, saved, fs).
fn setres(privileged: bool, cur: (u32, u32, u32), new: (u32, u32, u32)) -> Result<(u32, u32, u32)> {
    let allowed = |v: u32| v == KEEP || privileged || v == cur.0 || v == cur.1 || v == cur.2;
    if !(allowed(new.0) && allowed(new.1) && allowed(new.2)) {
        return Err(Errno::EPERM);
    }
    let pick = |v: u32, old: u32| if v == KEEP { old } else { v };
    Ok((pick(new.0, cur.0), pick(new.1, cur.1), pick(new.2, cur.2)))
}

fn do_setresuid(ctx: &TrapContext, r: u32, e: u32, s: u32) -> Result<u64> {
    let mut c = cred(ctx);
    let (uid, euid, suid) = setres(c.euid == 0, (c.uid, c.euid, c.suid), (r, e, s))?;
    (c.uid, c.euid, c.suid, c.fsuid) = (uid, euid, suid, euid);
    set(ctx, c);
    Ok(0)
}

fn do_setresgid(ctx: &TrapContext, r: u32, e: u32, s: u32) -> Result<u64> {
    let mut c = cred(ctx);
    let (gid, egid, sgid) = setres(c.euid == 0, (c.gid, c.egid, c.sgid), (r, e, s))?;
    (c.gid, c.egid, c.sgid, c.fsgid) = (gid, egid, sgid, egid);
    set(ctx, c);
    Ok(0)
}

pub fn sys_setresuid(ctx: &mut TrapContext, ruid: u32, euid: u32, suid: u32) -> Result<u64> {
    do_setresuid(ctx, ruid, euid, suid)
}

pub fn sys_setresgid(ctx: &mut TrapContext, rgid: u32, egid: u32, sgid: u32) -> Result<u64> {
    do_setresgid(ctx, rgid, egid, sgid)
}

/// setuid(2): privileged, it sets all three ids; otherwise only the effective
/// one, to the real or saved id.
pub fn sys_setuid(ctx: &mut TrapContext, u: u32) -> Result<u64> {
    if u == KEEP {
        return Err(Errno::EINVAL);
    }
    if cred(ctx).euid == 0 {
        do_setresuid(ctx, u, u, u)
    } else {
        do_setresuid(ctx, KEEP, u, KEEP)
    }
}

pub fn sys_setgid(ctx: &mut TrapContext, g: u32) -> Result<u64> {
    if g == KEEP {
        return Err(Errno::EINVAL);
    }
    if cred(ctx).euid == 0 {
        do_setresgid(ctx, g, g, g)
    } else {
        do_setresgid(ctx, KEEP, g, KEEP)
    }
}

/// setreuid(2): an unprivileged caller may set the real id to the real or
/// effective one, the effective to any of the three; the saved id follows the
/// new effective one when the real id is set or the effective one changes away
/// from the old real id.
pub fn sys_setreuid(ctx: &mut TrapContext, r: u32, e: u32) -> Result<u64> {
    let mut c = cred(ctx);
    let privileged = c.euid == 0;
    if r != KEEP && !privileged && r != c.uid && r != c.euid {
        return Err(Errno::EPERM);
    }
    if e != KEEP && !privileged && e != c.uid && e != c.euid && e != c.suid {
        return Err(Errno::EPERM);
    }
    let old_uid = c.uid;
    if r != KEEP {
        c.uid = r;
    }
    if e != KEEP {
        c.euid = e;
    }
    if r != KEEP || (e != KEEP && e != old_uid) {
        c.suid = c.euid;
    }
    c.fsuid = c.euid;
    set(ctx, c);
    Ok(0)
}

pub fn sys_setregid(ctx: &mut TrapContext, r: u32, e: u32) -> Result<u64> {
    let mut c = cred(ctx);
    let privileged = c.euid == 0;
    if r != KEEP && !privileged && r != c.gid && r != c.egid {
        return Err(Errno::EPERM);
    }
    if e != KEEP && !privileged && e != c.gid && e != c.egid && e != c.sgid {
        return Err(Errno::EPERM);
    }
    let old_gid = c.gid;
    if r != KEEP {
        c.gid = r;
    }
    if e != KEEP {
        c.egid = e;
    }
    if r != KEEP || (e != KEEP && e != old_gid) {
        c.sgid = c.egid;
    }
    c.fsgid = c.egid;
    set(ctx, c);
    Ok(0)
}

/// setfsuid/setfsgid return the old value and change it only when allowed.
pub fn sys_setfsuid(ctx: &mut TrapContext, u: u32) -> Result<u64> {
    let mut c = cred(ctx);
    let old = c.fsuid;
    if c.euid == 0 || [c.uid, c.euid, c.suid, c.fsuid].contains(&u) {
        c.fsuid = u;
        set(ctx, c);
    }
    Ok(old as u64)
}

pub fn sys_setfsgid(ctx: &mut TrapContext, g: u32) -> Result<u64> {
    let mut c = cred(ctx);
    let old = c.fsgid;
    if c.euid == 0 || [c.gid, c.egid, c.sgid, c.fsgid].contains(&g) {
        c.fsgid = g;
        set(ctx, c);
    }
    Ok(old as u64)
}

pub fn sys_getgroups(ctx: &mut TrapContext, size: i32, list: UserPtr<u32>) -> Result<u64> {
    let groups = cred(ctx).groups;
    if size < 0 {
        return Err(Errno::EINVAL);
    }
    if size == 0 {
        return Ok(groups.len() as u64);
    }
    if (size as usize) < groups.len() {
        return Err(Errno::EINVAL);
    }
    list.write_array(ctx, &groups)?;
    Ok(groups.len() as u64)
}

pub fn sys_setgroups(ctx: &mut TrapContext, size: i32, list: UserPtr<u32>) -> Result<u64> {
    // A negative size is a huge unsigned one: EINVAL.
    let n = size as u32 as usize;
    if n > NGROUPS_MAX {
        return Err(Errno::EINVAL);
    }
    let mut c = cred(ctx);
    if c.euid != 0 {
        return Err(Errno::EPERM);
    }
    let mut groups = list.read_array(ctx, n)?;
    groups.sort_unstable();
    c.groups = groups;
    set(ctx, c);
    Ok(0)
}

/// capget: root holds every capability, others none (no file capabilities).
/// An unknown version is answered with the current one in the header and
/// EINVAL, or 0 when no data was asked for (how libcap probes it, as Linux's
/// capget allows).
pub fn sys_capget(
    ctx: &mut TrapContext,
    header: UserPtr<CapUserHeader>,
    data: UserPtr<CapUserData>,
) -> Result<u64> {
    let CapUserHeader { version, .. } = header.read(ctx)?;
    let sets = match version {
        LINUX_CAPABILITY_VERSION_1 => 1,
        LINUX_CAPABILITY_VERSION_2 | LINUX_CAPABILITY_VERSION_3 => 2,
        _ => {
            user_field!(header, CapUserHeader, version).write(ctx, &LINUX_CAPABILITY_VERSION_3)?;
            return if data.is_null() {
                Ok(0)
            } else {
                Err(Errno::EINVAL)
            };
        }
    };
    if !data.is_null() {
        // 41 capabilities: effective and permitted, nothing inheritable.
        let all: u64 = (1 << 41) - 1;
        let set = if cred(ctx).euid == 0 { all } else { 0 };
        let half = |bits: u64| CapUserData {
            effective: bits as u32,
            permitted: bits as u32,
            inheritable: 0,
        };
        let d = [half(set & 0xffff_ffff), half(set >> 32)];
        data.write_array(ctx, &d[..sets])?;
    }
    Ok(0)
}

/// capset as Linux's `capset` and `cap_capset`: an unknown version is
/// EINVAL (the current one is written back), another thread's pid EPERM.
/// Root keeps every capability whatever it asks for (a no-op); anyone
/// else holds none, so may only ask for none (ping(8) drops its
/// capabilities so), and gets EPERM for any other set.
pub fn sys_capset(
    ctx: &mut TrapContext,
    header: UserPtr<CapUserHeader>,
    data: UserPtr<CapUserData>,
) -> Result<u64> {
    let CapUserHeader { version, pid } = header.read(ctx)?;
    let sets = match version {
        LINUX_CAPABILITY_VERSION_1 => 1,
        LINUX_CAPABILITY_VERSION_2 | LINUX_CAPABILITY_VERSION_3 => 2,
        _ => {
            user_field!(header, CapUserHeader, version).write(ctx, &LINUX_CAPABILITY_VERSION_3)?;
            return Err(Errno::EINVAL);
        }
    };
    if pid != 0 && pid != ctx.task.tid() {
        return Err(Errno::EPERM);
    }
    let asked = data.read_array(ctx, sets)?;
    if cred(ctx).euid == 0 {
        return Ok(0);
    }
    let any = asked
        .iter()
        .any(|d| d.effective | d.permitted | d.inheritable != 0);
    if any {
        return Err(Errno::EPERM);
    }
    Ok(0)
}
