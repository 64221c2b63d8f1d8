//! Credentials (credentials(7)): real, effective, saved and filesystem user and
//! group ids plus supplementary groups, with Linux's rules for changing them —
//! a process with CAP_SETUID (CAP_SETGID) may set any user (group) id;
//! others may only move between ids they already hold — and the capability
//! sets of capabilities(7), changed as kernel/capability.rs rules.
//! Credentials are per process here: glibc makes every thread change them
//! together anyway (its setxid broadcast).

use super::arg::{user_field, UserPtr};
use crate::capability;
use crate::task::TrapContext;
use arch::abi::capability::{CAP_FULL_SET, CAP_SETGID, CAP_SETUID, SECBIT_NO_SETUID_FIXUP};
use arch::abi::structs::{
    CapUserData, CapUserHeader, LINUX_CAPABILITY_VERSION_1, LINUX_CAPABILITY_VERSION_2,
    LINUX_CAPABILITY_VERSION_3,
};
use arch::{Errno, Result};

/// A process's credentials.
#[derive(Clone, Debug, PartialEq, Eq)]
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
    /// The capabilities execve passes on (capabilities(7)).
    pub cap_inheritable: u64,
    /// The capabilities the process may make effective.
    pub cap_permitted: u64,
    /// The capabilities checked (`capable`).
    pub cap_effective: u64,
    /// The capabilities execve may ever grant.
    pub cap_bset: u64,
    /// The capabilities kept over execve of an unprivileged program.
    pub cap_ambient: u64,
    /// The `SECBIT_*` flags and their locks (prctl(2) PR_SET_SECUREBITS).
    pub securebits: u32,
}

impl Default for Cred {
    /// Returns init's credentials: root, every capability permitted,
    /// effective and in the bounding set, none inheritable or ambient.
    fn default() -> Cred {
        Cred {
            uid: 0,
            euid: 0,
            suid: 0,
            fsuid: 0,
            gid: 0,
            egid: 0,
            sgid: 0,
            fsgid: 0,
            groups: Vec::new(),
            cap_inheritable: 0,
            cap_permitted: CAP_FULL_SET,
            cap_effective: CAP_FULL_SET,
            cap_bset: CAP_FULL_SET,
            cap_ambient: 0,
            securebits: 0,
        }
    }
}

impl Cred {
    /// Returns what the VFS checks file operations against: the filesystem
    /// ids and the effective capabilities.
    pub fn fs(&self) -> fs::Credentials {
        fs::Credentials {
            fsuid: self.fsuid,
            fsgid: self.fsgid,
            groups: self.groups.clone(),
            caps: self.cap_effective,
        }
    }

    /// Returns what access(2) checks against (Linux's access_override_creds):
    /// the real ids, with the permitted capabilities effective if the real
    /// uid is 0 and none otherwise (unless SECBIT_NO_SETUID_FIXUP).
    pub fn real(&self) -> fs::Credentials {
        let caps = if self.issecure(SECBIT_NO_SETUID_FIXUP) {
            self.cap_effective
        } else if self.uid == 0 {
            self.cap_permitted
        } else {
            0
        };
        fs::Credentials {
            fsuid: self.uid,
            fsgid: self.gid,
            groups: self.groups.clone(),
            caps,
        }
    }
}

/// NGROUPS_MAX.
const NGROUPS_MAX: usize = 65536;
/// The "leave unchanged" id.
const KEEP: u32 = u32::MAX;

pub(crate) fn cred(ctx: &TrapContext) -> Cred {
    ctx.task.process.cred.borrow().clone()
}

/// Installs new credentials. A change of the effective or filesystem ids,
/// or a permitted capability gained, makes the process non-dumpable, as
/// Linux's commit_creds does.
pub(crate) fn set(ctx: &TrapContext, c: Cred) {
    let p = &ctx.task.process;
    let mut cur = p.cred.borrow_mut();
    let ids_changed =
        (cur.euid, cur.egid, cur.fsuid, cur.fsgid) != (c.euid, c.egid, c.fsuid, c.fsgid);
    if ids_changed || c.cap_permitted & !cur.cap_permitted != 0 {
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

/// Installs `new` user ids with the capability fixups they make.
fn set_uids(ctx: &TrapContext, old: &Cred, mut new: Cred) {
    capability::fix_setuid(old, &mut new);
    set(ctx, new);
}

fn do_setresuid(ctx: &TrapContext, r: u32, e: u32, s: u32) -> Result<u64> {
    let old = cred(ctx);
    let mut c = old.clone();
    let privileged = c.capable(CAP_SETUID);
    let (uid, euid, suid) = setres(privileged, (c.uid, c.euid, c.suid), (r, e, s))?;
    (c.uid, c.euid, c.suid, c.fsuid) = (uid, euid, suid, euid);
    set_uids(ctx, &old, c);
    Ok(0)
}

fn do_setresgid(ctx: &TrapContext, r: u32, e: u32, s: u32) -> Result<u64> {
    let mut c = cred(ctx);
    let privileged = c.capable(CAP_SETGID);
    let (gid, egid, sgid) = setres(privileged, (c.gid, c.egid, c.sgid), (r, e, s))?;
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

/// setuid(2): with CAP_SETUID it sets all three ids; otherwise only the
/// effective one, to the real or saved id.
pub fn sys_setuid(ctx: &mut TrapContext, u: u32) -> Result<u64> {
    if u == KEEP {
        return Err(Errno::EINVAL);
    }
    if cred(ctx).capable(CAP_SETUID) {
        do_setresuid(ctx, u, u, u)
    } else {
        do_setresuid(ctx, KEEP, u, KEEP)
    }
}

pub fn sys_setgid(ctx: &mut TrapContext, g: u32) -> Result<u64> {
    if g == KEEP {
        return Err(Errno::EINVAL);
    }
    if cred(ctx).capable(CAP_SETGID) {
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
    let old = cred(ctx);
    let mut c = old.clone();
    let privileged = c.capable(CAP_SETUID);
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
    set_uids(ctx, &old, c);
    Ok(0)
}

pub fn sys_setregid(ctx: &mut TrapContext, r: u32, e: u32) -> Result<u64> {
    let mut c = cred(ctx);
    let privileged = c.capable(CAP_SETGID);
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

/// setfsuid/setfsgid return the old value and change it only when allowed
/// (to one of the other ids, or anything with CAP_SETUID or CAP_SETGID).
pub fn sys_setfsuid(ctx: &mut TrapContext, u: u32) -> Result<u64> {
    let old = cred(ctx);
    let mut c = old.clone();
    if c.capable(CAP_SETUID) || [c.uid, c.euid, c.suid, c.fsuid].contains(&u) {
        c.fsuid = u;
        capability::fix_setfsuid(&old, &mut c);
        set(ctx, c);
    }
    Ok(old.fsuid as u64)
}

pub fn sys_setfsgid(ctx: &mut TrapContext, g: u32) -> Result<u64> {
    let mut c = cred(ctx);
    let old = c.fsgid;
    if c.capable(CAP_SETGID) || [c.gid, c.egid, c.sgid, c.fsgid].contains(&g) {
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
    if !c.capable(CAP_SETGID) {
        return Err(Errno::EPERM);
    }
    let mut groups = list.read_array(ctx, n)?;
    groups.sort_unstable();
    c.groups = groups;
    set(ctx, c);
    Ok(0)
}

/// Returns the number of `CapUserData` halves a capability version passes,
/// or writes the current version into the header and fails with EINVAL.
fn cap_version(ctx: &TrapContext, header: UserPtr<CapUserHeader>, version: u32) -> Result<usize> {
    match version {
        LINUX_CAPABILITY_VERSION_1 => Ok(1),
        LINUX_CAPABILITY_VERSION_2 | LINUX_CAPABILITY_VERSION_3 => Ok(2),
        _ => {
            user_field!(header, CapUserHeader, version).write(ctx, &LINUX_CAPABILITY_VERSION_3)?;
            Err(Errno::EINVAL)
        }
    }
}

/// capget(2): the effective, permitted and inheritable sets of thread `pid`
/// (0: the caller; ESRCH if none, EINVAL if negative). An unknown version
/// is answered with the current one in the header and EINVAL, or 0 when no
/// data was asked for (how libcap probes it, as Linux's capget allows).
pub fn sys_capget(
    ctx: &mut TrapContext,
    header: UserPtr<CapUserHeader>,
    data: UserPtr<CapUserData>,
) -> Result<u64> {
    let CapUserHeader { version, pid } = header.read(ctx)?;
    let sets = match cap_version(ctx, header, version) {
        Err(Errno::EINVAL) if data.is_null() => return Ok(0),
        r => r?,
    };
    if pid < 0 {
        return Err(Errno::EINVAL);
    }
    let c = if pid == 0 || pid == ctx.task.process.vnr(ctx.task.tid()) {
        cred(ctx)
    } else {
        let t = ctx.task.process.find_task(pid).ok_or(Errno::ESRCH)?;
        let c = t.process.cred.borrow().clone();
        c
    };
    if !data.is_null() {
        let half = |shift: u32| CapUserData {
            effective: (c.cap_effective >> shift) as u32,
            permitted: (c.cap_permitted >> shift) as u32,
            inheritable: (c.cap_inheritable >> shift) as u32,
        };
        let d = [half(0), half(32)];
        data.write_array(ctx, &d[..sets])?;
    }
    Ok(0)
}

/// capset(2): sets the caller's effective, permitted and inheritable sets
/// (capability::capset's rules; a version 1 call clears capabilities 32 and
/// up). An unknown version is EINVAL (the current one is written back),
/// another thread's pid EPERM.
pub fn sys_capset(
    ctx: &mut TrapContext,
    header: UserPtr<CapUserHeader>,
    data: UserPtr<CapUserData>,
) -> Result<u64> {
    let CapUserHeader { version, pid } = header.read(ctx)?;
    let sets = cap_version(ctx, header, version)?;
    if pid != 0 && pid != ctx.task.process.vnr(ctx.task.tid()) {
        return Err(Errno::EPERM);
    }
    let asked = data.read_array(ctx, sets)?;
    let join = |f: fn(&CapUserData) -> u32| {
        let hi = asked.get(1).map_or(0, f);
        let lo = asked.first().map_or(0, f);
        (u64::from(hi) << 32 | u64::from(lo)) & CAP_FULL_SET
    };
    let old = cred(ctx);
    let new = capability::capset(
        &old,
        join(|d| d.effective),
        join(|d| d.permitted),
        join(|d| d.inheritable),
    )?;
    set(ctx, new);
    Ok(0)
}
