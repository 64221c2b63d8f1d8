//! Capabilities (capabilities(7)): the five sets and secure bits a process's
//! credentials carry, and Linux's rules for changing them — the `capable`
//! check privileged operations make, capset(2)'s subset rules, the fixups a
//! change of user ids makes (`cap_emulate_setxuid`), the prctl(2) bounding,
//! secure-bits and ambient operations, and the transformation execve(2)
//! applies from the program's file capabilities and the root rules
//! (`cap_bprm_creds_from_file`). The rules are pure functions of the
//! credentials; the system calls (syscall/cred.rs, syscall/prctl.rs,
//! exec/mod.rs) read and install them.

use crate::syscall::Cred;
use arch::abi::capability::*;
use arch::{Errno, Result};

impl Cred {
    /// Returns whether the effective set holds `cap` (Linux's `capable`).
    pub fn capable(&self, cap: u32) -> bool {
        self.cap_effective & cap_mask(cap) != 0
    }

    /// Returns whether secure bit `bit` (a `SECBIT_*` mask) is set.
    pub fn issecure(&self, bit: u32) -> bool {
        self.securebits & bit != 0
    }
}

/// Returns whether the calling task holds `cap`; the kernel's own work
/// (no current task) holds every capability.
pub fn capable(cap: u32) -> bool {
    crate::task::current().is_none_or(|t| t.process.cred.borrow().capable(cap))
}

/// Returns whether `cap` is a capability this kernel knows (`cap_valid`).
pub fn cap_valid(cap: u64) -> bool {
    cap <= u64::from(CAP_LAST_CAP)
}

/// Returns `old` with the sets capset(2) asks for (Linux's `cap_capset`):
/// the new inheritable set within the old inheritable and permitted sets
/// (unless CAP_SETPCAP) and within the old inheritable and bounding sets,
/// the new permitted set within the old one, the new effective set within
/// the new permitted one; EPERM otherwise. The ambient set shrinks to what
/// stays both permitted and inheritable.
pub fn capset(old: &Cred, effective: u64, permitted: u64, inheritable: u64) -> Result<Cred> {
    let subset = |a: u64, b: u64| a & !b == 0;
    if !old.capable(CAP_SETPCAP) && !subset(inheritable, old.cap_inheritable | old.cap_permitted) {
        return Err(Errno::EPERM);
    }
    if !subset(inheritable, old.cap_inheritable | old.cap_bset)
        || !subset(permitted, old.cap_permitted)
        || !subset(effective, permitted)
    {
        return Err(Errno::EPERM);
    }
    let mut new = old.clone();
    new.cap_effective = effective;
    new.cap_permitted = permitted;
    new.cap_inheritable = inheritable;
    new.cap_ambient &= permitted & inheritable;
    Ok(new)
}

/// Applies to `new` the capability changes a change of the real, effective
/// or saved user id from `old` makes (Linux's `cap_emulate_setxuid`): all of
/// them leaving 0 clears the permitted and effective sets (not under
/// SECBIT_KEEP_CAPS) and the ambient set; the effective uid leaving 0
/// clears the effective set, coming to 0 makes it the permitted set.
/// Nothing under SECBIT_NO_SETUID_FIXUP.
pub fn fix_setuid(old: &Cred, new: &mut Cred) {
    if old.issecure(SECBIT_NO_SETUID_FIXUP) {
        return;
    }
    let had_root = old.uid == 0 || old.euid == 0 || old.suid == 0;
    let has_root = new.uid == 0 || new.euid == 0 || new.suid == 0;
    if had_root && !has_root {
        if !old.issecure(SECBIT_KEEP_CAPS) {
            new.cap_permitted = 0;
            new.cap_effective = 0;
        }
        new.cap_ambient = 0;
    }
    if old.euid == 0 && new.euid != 0 {
        new.cap_effective = 0;
    }
    if old.euid != 0 && new.euid == 0 {
        new.cap_effective = new.cap_permitted;
    }
}

/// Applies to `new` what a change of the filesystem uid from `old` makes
/// (setfsuid(2)): leaving 0 drops the filesystem capabilities
/// (`CAP_FS_MASK`) from the effective set, coming to 0 raises those of them
/// that are permitted. Nothing under SECBIT_NO_SETUID_FIXUP.
pub fn fix_setfsuid(old: &Cred, new: &mut Cred) {
    if old.issecure(SECBIT_NO_SETUID_FIXUP) {
        return;
    }
    if old.fsuid == 0 && new.fsuid != 0 {
        new.cap_effective &= !CAP_FS_MASK;
    }
    if old.fsuid != 0 && new.fsuid == 0 {
        new.cap_effective |= new.cap_permitted & CAP_FS_MASK;
    }
}

/// Sets the secure bits to `bits` (PR_SET_SECUREBITS): EPERM if that
/// changes a locked flag, clears a lock, names an unknown bit, or the caller
/// lacks CAP_SETPCAP.
pub fn set_securebits(cred: &mut Cred, bits: u64) -> Result<()> {
    let old = u64::from(cred.securebits);
    let locks = u64::from(SECURE_ALL_LOCKS);
    let known = u64::from(SECURE_ALL_BITS | SECURE_ALL_LOCKS);
    let changes_locked = ((old & locks) >> 1) & (old ^ bits) != 0;
    let unlocks = old & locks & !bits != 0;
    if changes_locked || unlocks || bits & !known != 0 || !cred.capable(CAP_SETPCAP) {
        return Err(Errno::EPERM);
    }
    // Every known bit fits in 32.
    cred.securebits = bits as u32;
    Ok(())
}

/// Sets or clears SECBIT_KEEP_CAPS (PR_SET_KEEPCAPS): EINVAL for a value
/// other than 0 or 1, EPERM while the flag is locked.
pub fn set_keepcaps(cred: &mut Cred, on: u64) -> Result<()> {
    if on > 1 {
        return Err(Errno::EINVAL);
    }
    if cred.issecure(SECBIT_KEEP_CAPS_LOCKED) {
        return Err(Errno::EPERM);
    }
    if on == 1 {
        cred.securebits |= SECBIT_KEEP_CAPS;
    } else {
        cred.securebits &= !SECBIT_KEEP_CAPS;
    }
    Ok(())
}

/// Removes `cap` from the bounding set (PR_CAPBSET_DROP): EPERM without
/// CAP_SETPCAP, EINVAL for an unknown capability.
pub fn bset_drop(cred: &mut Cred, cap: u64) -> Result<()> {
    if !cred.capable(CAP_SETPCAP) {
        return Err(Errno::EPERM);
    }
    if !cap_valid(cap) {
        return Err(Errno::EINVAL);
    }
    cred.cap_bset &= !(1 << cap);
    Ok(())
}

/// PR_CAP_AMBIENT's operations (prctl(2)).
pub const PR_CAP_AMBIENT_IS_SET: u64 = 1;
pub const PR_CAP_AMBIENT_RAISE: u64 = 2;
pub const PR_CAP_AMBIENT_LOWER: u64 = 3;
pub const PR_CAP_AMBIENT_CLEAR_ALL: u64 = 4;

/// Carries out PR_CAP_AMBIENT operation `op` on capability `cap`; the
/// arguments past it must be 0 (EINVAL, as an unknown operation or
/// capability). IS_SET returns 1 or 0; RAISE needs the capability permitted
/// and inheritable and SECBIT_NO_CAP_AMBIENT_RAISE clear (EPERM).
pub fn ambient(cred: &mut Cred, op: u64, cap: u64, rest: u64) -> Result<u64> {
    if op == PR_CAP_AMBIENT_CLEAR_ALL {
        if cap | rest != 0 {
            return Err(Errno::EINVAL);
        }
        cred.cap_ambient = 0;
        return Ok(0);
    }
    if !cap_valid(cap) || rest != 0 {
        return Err(Errno::EINVAL);
    }
    let bit = 1u64 << cap;
    match op {
        PR_CAP_AMBIENT_IS_SET => Ok(u64::from(cred.cap_ambient & bit != 0)),
        PR_CAP_AMBIENT_RAISE => {
            let allowed = cred.cap_permitted & cred.cap_inheritable & bit != 0;
            if !allowed || cred.issecure(SECBIT_NO_CAP_AMBIENT_RAISE) {
                return Err(Errno::EPERM);
            }
            cred.cap_ambient |= bit;
            Ok(0)
        }
        PR_CAP_AMBIENT_LOWER => {
            cred.cap_ambient &= !bit;
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// A program file's capabilities, from its `security.capability` attribute.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct FileCaps {
    pub permitted: u64,
    pub inheritable: u64,
    /// The effective bit: the permitted set starts effective.
    pub effective: bool,
}

impl FileCaps {
    /// Decodes a `security.capability` value (`struct vfs_cap_data` or
    /// `vfs_ns_cap_data`, little-endian): EINVAL for an unknown revision or
    /// a size that does not match it; `None` for a revision 3 attribute
    /// whose root uid is not 0 (it belongs to another user namespace).
    pub fn parse(v: &[u8]) -> Result<Option<FileCaps>> {
        let word = |i: usize| -> u32 {
            let b = v.get(i * 4..i * 4 + 4).unwrap_or(&[0; 4]);
            u32::from_le_bytes([b[0], b[1], b[2], b[3]])
        };
        let magic = word(0);
        match (magic & VFS_CAP_REVISION_MASK, v.len()) {
            (VFS_CAP_REVISION_2, XATTR_CAPS_SZ_2) => {}
            (VFS_CAP_REVISION_3, XATTR_CAPS_SZ_3) if word(5) == 0 => {}
            (VFS_CAP_REVISION_3, XATTR_CAPS_SZ_3) => return Ok(None),
            _ => return Err(Errno::EINVAL),
        }
        let set = |lo: u32, hi: u32| (u64::from(hi) << 32 | u64::from(lo)) & CAP_FULL_SET;
        Ok(Some(FileCaps {
            permitted: set(word(1), word(3)),
            inheritable: set(word(2), word(4)),
            effective: magic & VFS_CAP_FLAGS_EFFECTIVE != 0,
        }))
    }
}

/// What execve's credential change means for the new program.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ExecOutcome {
    /// AT_SECURE: set-id, or capabilities gained by someone not root.
    pub secure: bool,
    /// The permitted set grew: the program is not dumpable and loses
    /// PER_CLEAR_ON_SETID personality flags.
    pub gained: bool,
}

/// Computes the capability sets after execve (Linux's
/// `cap_bprm_creds_from_file`, capabilities(7) "Transformation of
/// capabilities during execve()"). `new` is `old` with the effective ids
/// the set-id bits gave; `file` the program's file capabilities (none on a
/// `nosuid` mount); `no_new_privs` limits what is gained to the old
/// permitted set and undoes a set-id change. Root (a real or effective uid
/// of 0, without SECBIT_NOROOT) execs as if the file had every capability,
/// effective if the effective uid is 0. EPERM if a file with the effective
/// bit would not get all its permitted capabilities. The saved and
/// filesystem ids follow the effective ones; SECBIT_KEEP_CAPS is cleared.
pub fn bprm_creds(
    old: &Cred,
    new: &mut Cred,
    file: Option<FileCaps>,
    no_new_privs: bool,
) -> Result<ExecOutcome> {
    let mut effective = false;
    new.cap_permitted = 0;
    if let Some(f) = file {
        new.cap_permitted = (f.permitted & old.cap_bset) | (f.inheritable & old.cap_inheritable);
        effective = f.effective;
        if effective && f.permitted & !new.cap_permitted != 0 {
            return Err(Errno::EPERM);
        }
    }
    let setuid_root_with_fcaps = file.is_some() && new.euid == 0 && new.uid != 0;
    if !old.issecure(SECBIT_NOROOT) && !setuid_root_with_fcaps {
        if new.euid == 0 || new.uid == 0 {
            new.cap_permitted = old.cap_bset | old.cap_inheritable;
        }
        if new.euid == 0 {
            effective = true;
        }
    }
    let gained = new.cap_permitted & !old.cap_permitted != 0;
    let is_setid = new.euid != old.uid || new.egid != old.gid;
    if (is_setid || gained) && no_new_privs {
        new.euid = new.uid;
        new.egid = new.gid;
        new.cap_permitted &= old.cap_permitted;
    }
    (new.suid, new.fsuid) = (new.euid, new.euid);
    (new.sgid, new.fsgid) = (new.egid, new.egid);
    if file.is_some() || is_setid {
        new.cap_ambient = 0;
    }
    new.cap_permitted |= new.cap_ambient;
    new.cap_effective = if effective {
        new.cap_permitted
    } else {
        new.cap_ambient
    };
    new.securebits &= !SECBIT_KEEP_CAPS;
    let grew = new.cap_permitted & !new.cap_ambient != 0;
    let secure = is_setid || (new.uid != 0 && (effective || grew));
    Ok(ExecOutcome {
        secure,
        gained: new.cap_permitted & !old.cap_permitted != 0,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> Cred {
        Cred::default()
    }

    fn user(uid: u32) -> Cred {
        let mut c = root();
        (c.uid, c.euid, c.suid, c.fsuid) = (uid, uid, uid, uid);
        (c.cap_permitted, c.cap_effective) = (0, 0);
        c
    }

    const NET_RAW: u64 = 1 << CAP_NET_RAW;
    const KILL: u64 = 1 << CAP_KILL;

    #[test]
    fn init_is_root_with_every_capability() {
        let c = root();
        assert_eq!((c.uid, c.euid), (0, 0));
        assert_eq!(c.cap_permitted, CAP_FULL_SET);
        assert_eq!(c.cap_effective, CAP_FULL_SET);
        assert_eq!(c.cap_bset, CAP_FULL_SET);
        assert_eq!(c.cap_inheritable | c.cap_ambient, 0);
        assert!(c.capable(CAP_CHECKPOINT_RESTORE));
    }

    #[test]
    fn capset_only_narrows() {
        let r = root();
        let c = capset(&r, KILL, KILL | NET_RAW, NET_RAW).expect("drop");
        assert!(!c.capable(CAP_SYS_ADMIN) && c.capable(CAP_KILL));
        // Effective beyond permitted, permitted regained: EPERM.
        assert_eq!(
            capset(&c, NET_RAW | 1, NET_RAW, 0).err(),
            Some(Errno::EPERM)
        );
        assert_eq!(capset(&c, 0, CAP_FULL_SET, 0).err(), Some(Errno::EPERM));
        // Without CAP_SETPCAP, inheritable only from inheritable | permitted.
        assert_eq!(capset(&c, 0, KILL, 1).err(), Some(Errno::EPERM));
        assert!(capset(&c, 0, KILL, KILL | NET_RAW).is_ok());
        // Never beyond the bounding set, even with CAP_SETPCAP.
        let mut b = root();
        b.cap_bset &= !NET_RAW;
        assert_eq!(
            capset(&b, CAP_FULL_SET, CAP_FULL_SET, NET_RAW).err(),
            Some(Errno::EPERM)
        );
        // The ambient set stays within permitted & inheritable.
        let mut a = root();
        (a.cap_inheritable, a.cap_ambient) = (NET_RAW | KILL, NET_RAW | KILL);
        let a = capset(&a, 0, NET_RAW, NET_RAW | KILL).expect("drop");
        assert_eq!(a.cap_ambient, NET_RAW);
    }

    #[test]
    fn leaving_root_drops_capabilities() {
        let old = root();
        let mut new = user(1000);
        new.cap_permitted = old.cap_permitted;
        new.cap_effective = old.cap_effective;
        new.cap_ambient = NET_RAW;
        fix_setuid(&old, &mut new);
        assert_eq!(new.cap_permitted | new.cap_effective | new.cap_ambient, 0);

        // SECBIT_KEEP_CAPS keeps the permitted set, not the effective one.
        let mut old = root();
        old.securebits = SECBIT_KEEP_CAPS;
        let mut new = old.clone();
        (new.uid, new.euid, new.suid) = (1000, 1000, 1000);
        fix_setuid(&old, &mut new);
        assert_eq!((new.cap_permitted, new.cap_effective), (CAP_FULL_SET, 0));
        // Back to effective uid 0 (the saved one kept 0): effective = permitted.
        let mut old = root();
        old.euid = 1000;
        old.cap_effective = 0;
        let mut back = old.clone();
        back.euid = 0;
        fix_setuid(&old, &mut back);
        assert_eq!(back.cap_effective, CAP_FULL_SET);

        // SECBIT_NO_SETUID_FIXUP: nothing changes.
        let mut old = root();
        old.securebits = SECBIT_NO_SETUID_FIXUP;
        let mut new = old.clone();
        (new.uid, new.euid, new.suid) = (1000, 1000, 1000);
        fix_setuid(&old, &mut new);
        assert_eq!(new.cap_effective, CAP_FULL_SET);
    }

    #[test]
    fn fsuid_moves_the_filesystem_capabilities() {
        let old = root();
        let mut new = old.clone();
        new.fsuid = 1000;
        fix_setfsuid(&old, &mut new);
        assert!(!new.capable(CAP_DAC_OVERRIDE) && !new.capable(CAP_CHOWN));
        assert!(new.capable(CAP_KILL) && new.capable(CAP_SYS_ADMIN));
        let mut back = new.clone();
        back.fsuid = 0;
        fix_setfsuid(&new, &mut back);
        assert_eq!(back.cap_effective, CAP_FULL_SET);
    }

    #[test]
    fn securebits_locks_and_capability() {
        let mut c = root();
        set_securebits(&mut c, u64::from(SECBIT_KEEP_CAPS | SECBIT_NOROOT_LOCKED)).expect("set");
        // NOROOT is locked off; the lock cannot be cleared.
        let bits = u64::from(SECBIT_NOROOT | SECBIT_NOROOT_LOCKED);
        assert_eq!(set_securebits(&mut c, bits).err(), Some(Errno::EPERM));
        assert_eq!(set_securebits(&mut c, 0).err(), Some(Errno::EPERM));
        assert_eq!(set_securebits(&mut c, 1 << 20).err(), Some(Errno::EPERM));
        set_securebits(&mut c, u64::from(SECBIT_NOROOT_LOCKED)).expect("clear keep");
        assert_eq!(set_keepcaps(&mut c, 2).err(), Some(Errno::EINVAL));
        set_keepcaps(&mut c, 1).expect("keepcaps");
        assert!(c.issecure(SECBIT_KEEP_CAPS));
        c.cap_effective = 0;
        assert_eq!(set_securebits(&mut c, 0).err(), Some(Errno::EPERM));
    }

    #[test]
    fn ambient_rules() {
        let mut c = root();
        let raise = PR_CAP_AMBIENT_RAISE;
        let net_raw = u64::from(CAP_NET_RAW);
        assert_eq!(ambient(&mut c, raise, net_raw, 0).err(), Some(Errno::EPERM));
        c.cap_inheritable = NET_RAW;
        assert_eq!(ambient(&mut c, raise, net_raw, 0), Ok(0));
        assert_eq!(ambient(&mut c, PR_CAP_AMBIENT_IS_SET, net_raw, 0), Ok(1));
        assert_eq!(ambient(&mut c, raise, 41, 0).err(), Some(Errno::EINVAL));
        assert_eq!(
            ambient(&mut c, raise, net_raw, 1).err(),
            Some(Errno::EINVAL)
        );
        assert_eq!(ambient(&mut c, 9, net_raw, 0).err(), Some(Errno::EINVAL));
        let clear = PR_CAP_AMBIENT_CLEAR_ALL;
        assert_eq!(ambient(&mut c, clear, 1, 0).err(), Some(Errno::EINVAL));
        assert_eq!(ambient(&mut c, clear, 0, 0), Ok(0));
        assert_eq!(c.cap_ambient, 0);
        c.securebits = SECBIT_NO_CAP_AMBIENT_RAISE;
        assert_eq!(ambient(&mut c, raise, net_raw, 0).err(), Some(Errno::EPERM));
    }

    #[test]
    fn file_caps_decode() {
        let mut v2 = Vec::new();
        for w in [VFS_CAP_REVISION_2 | 1, 1 << CAP_NET_RAW, 0, 1, 0] {
            v2.extend_from_slice(&u32::to_le_bytes(w));
        }
        let f = FileCaps::parse(&v2).expect("v2").expect("caps");
        assert_eq!(f.permitted, NET_RAW | (1 << 32));
        assert!(f.effective);
        let mut v3 = v2.clone();
        v3[3] = 3;
        v3.extend_from_slice(&1000u32.to_le_bytes());
        assert_eq!(FileCaps::parse(&v3), Ok(None));
        assert_eq!(FileCaps::parse(&v2[..12]).err(), Some(Errno::EINVAL));
    }

    #[test]
    fn exec_transforms() {
        // Root: every bounding capability, effective.
        let old = root();
        let mut new = old.clone();
        let out = bprm_creds(&old, &mut new, None, false).expect("exec");
        assert_eq!(new.cap_effective, CAP_FULL_SET);
        assert!(!out.secure);

        // A user with ambient capabilities keeps them, and not secure.
        let mut old = user(1000);
        (old.cap_permitted, old.cap_inheritable, old.cap_ambient) = (NET_RAW, NET_RAW, NET_RAW);
        let mut new = old.clone();
        let out = bprm_creds(&old, &mut new, None, false).expect("exec");
        assert_eq!((new.cap_permitted, new.cap_effective), (NET_RAW, NET_RAW));
        assert!(!out.secure);

        // File capabilities give a user a permitted set, minus the bounding
        // set, and clear the ambient set; AT_SECURE.
        let f = FileCaps {
            permitted: NET_RAW | KILL,
            inheritable: 0,
            effective: false,
        };
        let mut old = user(1000);
        old.cap_bset &= !KILL;
        old.securebits = SECBIT_KEEP_CAPS;
        let mut new = old.clone();
        let out = bprm_creds(&old, &mut new, Some(f), false).expect("exec");
        assert_eq!((new.cap_permitted, new.cap_effective), (NET_RAW, 0));
        assert_eq!(new.securebits, 0);
        assert!(out.secure && out.gained);
        // With the effective bit, a missing forced capability is EPERM.
        let fe = FileCaps {
            effective: true,
            ..f
        };
        let mut new = old.clone();
        assert_eq!(
            bprm_creds(&old, &mut new, Some(fe), false).err(),
            Some(Errno::EPERM)
        );
        // no_new_privs: nothing gained.
        let mut new = old.clone();
        bprm_creds(&old, &mut new, Some(f), true).expect("exec");
        assert_eq!(new.cap_permitted, 0);

        // Set-user-ID root from a user: full permitted, effective.
        let old = user(1000);
        let mut new = old.clone();
        new.euid = 0;
        let out = bprm_creds(&old, &mut new, None, false).expect("exec");
        assert_eq!((new.suid, new.cap_effective), (0, CAP_FULL_SET));
        assert!(out.secure);

        // SECBIT_NOROOT: root gets nothing from being root.
        let mut old = root();
        old.securebits = SECBIT_NOROOT;
        let mut new = old.clone();
        bprm_creds(&old, &mut new, None, false).expect("exec");
        assert_eq!(new.cap_permitted, 0);
    }
}
