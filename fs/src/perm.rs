//! Discretionary access control as Linux's VFS does it (path_resolution(7),
//! credentials(7), capabilities(7)): `Credentials`, the identity an operation
//! is checked against, and the checks themselves — `permission` (Linux's
//! `generic_permission`: the owner, group or other bits, then root's
//! CAP_DAC_OVERRIDE / CAP_DAC_READ_SEARCH), owner-or-root, and the rules for
//! making and removing names (write and search on the directory, the sticky
//! bit). The capabilities checked are the caller's effective set.

use crate::types::{FileType, Owner, Stat};
use arch::abi::capability::{
    cap_mask, CAP_DAC_OVERRIDE, CAP_DAC_READ_SEARCH, CAP_FOWNER, CAP_FSETID, CAP_FULL_SET,
};
use arch::{Errno, Result};

pub(crate) const S_ISUID: u32 = 0o4000;
pub(crate) const S_ISGID: u32 = 0o2000;
pub(crate) const S_ISVTX: u32 = 0o1000;
pub(crate) const S_IXGRP: u32 = 0o0010;
/// Any execute bit.
const S_IXUGO: u32 = 0o111;

bitflags::bitflags! {
    /// The access a check asks for (Linux's `MAY_*`, equal to access(2)'s
    /// `X_OK`, `W_OK`, `R_OK`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Access: u32 {
        const EXEC = 1;
        const WRITE = 2;
        const READ = 4;
    }
}

/// The identity a filesystem operation is checked against: Linux's `struct
/// cred` as the VFS uses it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Credentials {
    /// The filesystem user id: owner of new files, matched against owners.
    pub fsuid: u32,
    /// The filesystem group id: group of new files (outside set-group-ID
    /// directories).
    pub fsgid: u32,
    /// The supplementary groups.
    pub groups: Vec<u32>,
    /// The effective capability set (bit `CAP_*` set for each held).
    pub caps: u64,
}

impl Credentials {
    /// Root with every capability, for the kernel's own operations and tests.
    pub const ROOT: Credentials = Credentials {
        fsuid: 0,
        fsgid: 0,
        groups: Vec::new(),
        caps: CAP_FULL_SET,
    };

    /// Returns the credentials of an ordinary user (no capabilities).
    pub fn user(uid: u32, gid: u32, groups: Vec<u32>) -> Credentials {
        Credentials {
            fsuid: uid,
            fsgid: gid,
            groups,
            caps: 0,
        }
    }

    /// Returns whether the effective set holds `cap` (Linux's `capable`).
    pub fn capable(&self, cap: u32) -> bool {
        self.caps & cap_mask(cap) != 0
    }

    /// Returns the owner of the files the caller creates: its filesystem ids.
    pub fn owner(&self) -> Owner {
        Owner {
            uid: self.fsuid,
            gid: self.fsgid,
        }
    }

    /// Returns whether `gid` is the filesystem group or a supplementary group
    /// (Linux's `in_group_p`).
    pub fn in_group(&self, gid: u32) -> bool {
        self.fsgid == gid || self.groups.contains(&gid)
    }

    /// Returns whether the caller owns the file or has CAP_FOWNER (Linux's
    /// `inode_owner_or_capable`).
    pub fn owns(&self, st: &Stat) -> bool {
        self.fsuid == st.uid || self.capable(CAP_FOWNER)
    }

    /// Returns whether the caller is in group `gid` or has CAP_FSETID (Linux's
    /// `in_group_or_capable`).
    pub fn in_group_or_capable(&self, gid: u32) -> bool {
        self.in_group(gid) || self.capable(CAP_FSETID)
    }
}

/// Checks `want` on a file with attributes `st` (Linux's `generic_permission`):
/// the owner's bits if the caller owns it, else the group's if in its group,
/// else the others'. Then CAP_DAC_READ_SEARCH grants reading a file and
/// reading or searching a directory, CAP_DAC_OVERRIDE everything but
/// execute of a file without any execute bit. `EACCES` when refused.
pub fn permission(cred: &Credentials, st: &Stat, want: Access) -> Result<()> {
    let mode = st.mode;
    let shift = if cred.fsuid == st.uid {
        6
    } else if cred.in_group(st.gid) {
        3
    } else {
        0
    };
    let granted = Access::from_bits_truncate((mode >> shift) & 7);
    if granted.contains(want) {
        return Ok(());
    }
    let is_dir = FileType::from_mode(mode) == Some(FileType::Directory);
    let read_search = if is_dir {
        !want.contains(Access::WRITE)
    } else {
        want == Access::READ
    };
    if read_search && cred.capable(CAP_DAC_READ_SEARCH) {
        return Ok(());
    }
    let overridable = is_dir || !want.contains(Access::EXEC) || mode & S_IXUGO != 0;
    if overridable && cred.capable(CAP_DAC_OVERRIDE) {
        return Ok(());
    }
    Err(Errno::EACCES)
}

/// Checks that the caller may add a name to the directory `dir` (Linux's
/// `may_create`): write and search permission.
pub(crate) fn may_create(cred: &Credentials, dir: &Stat) -> Result<()> {
    permission(cred, dir, Access::WRITE | Access::EXEC)
}

/// Checks that the caller may remove the name of `victim` from `dir` (Linux's
/// `may_delete`): write and search permission on the directory (`EACCES`),
/// and in a sticky directory ownership of the file or the directory or
/// CAP_FOWNER (`EPERM`).
pub(crate) fn may_delete(cred: &Credentials, dir: &Stat, victim: &Stat) -> Result<()> {
    may_create(cred, dir)?;
    if dir.mode & S_ISVTX != 0 && cred.fsuid != dir.uid && !cred.owns(victim) {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// Returns the mode a new file gets from the mode asked for (Linux's
/// `mode_strip_sgid`): a group-executable set-group-ID file in a
/// set-group-ID directory keeps the bit only if its creator is in the
/// directory's group or has CAP_FSETID.
pub(crate) fn strip_sgid(cred: &Credentials, dir: &Stat, mode: u32) -> u32 {
    let is_dir = FileType::from_mode(mode) == Some(FileType::Directory);
    if mode & (S_ISGID | S_IXGRP) != S_ISGID | S_IXGRP
        || is_dir
        || dir.mode & S_ISGID == 0
        || cred.in_group_or_capable(dir.gid)
    {
        return mode;
    }
    mode & !S_ISGID
}

/// Returns the permission bits a write by the caller leaves on a file of mode
/// `st.mode`, or `None` if they stay (Linux's `file_remove_privs`): without
/// CAP_FSETID a write to a regular file clears set-user-ID, and set-group-ID
/// when the file is group-executable or the writer is not in its group.
pub fn kill_privs(cred: &Credentials, st: &Stat) -> Option<u32> {
    if FileType::from_mode(st.mode) != Some(FileType::Regular) || cred.capable(CAP_FSETID) {
        return None;
    }
    let mut mode = st.mode & 0o7777;
    mode &= !S_ISUID;
    if mode & S_ISGID != 0 && (mode & S_IXGRP != 0 || !cred.in_group(st.gid)) {
        mode &= !S_ISGID;
    }
    (mode != st.mode & 0o7777).then_some(mode)
}

#[cfg(test)]
mod tests {
    use super::*;
    use arch::abi::capability::CAP_CHOWN;

    fn st(mode: u32, uid: u32, gid: u32) -> Stat {
        Stat {
            mode,
            uid,
            gid,
            ..Stat::default()
        }
    }

    #[test]
    fn owner_group_other_in_that_order() {
        let u = Credentials::user(1000, 100, vec![200]);
        let rw = Access::READ | Access::WRITE;
        assert_eq!(permission(&u, &st(0o100600, 1000, 0), rw), Ok(()));
        // The owner's bits decide for the owner, even if others may.
        assert_eq!(
            permission(&u, &st(0o100077, 1000, 100), Access::READ),
            Err(Errno::EACCES)
        );
        assert_eq!(permission(&u, &st(0o100040, 0, 200), Access::READ), Ok(()));
        assert_eq!(
            permission(&u, &st(0o100604, 0, 200), Access::READ),
            Err(Errno::EACCES)
        );
        assert_eq!(permission(&u, &st(0o100004, 0, 0), Access::READ), Ok(()));
    }

    #[test]
    fn root_needs_an_execute_bit_on_files_only() {
        let r = Credentials::ROOT;
        assert_eq!(
            permission(&r, &st(0o100000, 5, 5), Access::READ | Access::WRITE),
            Ok(())
        );
        assert_eq!(
            permission(&r, &st(0o100644, 5, 5), Access::EXEC),
            Err(Errno::EACCES)
        );
        assert_eq!(permission(&r, &st(0o100010, 5, 5), Access::EXEC), Ok(()));
        assert_eq!(permission(&r, &st(0o040000, 5, 5), Access::EXEC), Ok(()));
    }

    #[test]
    fn root_without_dac_capabilities_is_refused() {
        let mut r = Credentials::ROOT;
        r.caps &= !cap_mask(CAP_DAC_OVERRIDE);
        let f = st(0o100600, 1000, 1000);
        assert_eq!(permission(&r, &f, Access::READ), Ok(()));
        assert_eq!(permission(&r, &f, Access::WRITE), Err(Errno::EACCES));
        let d = st(0o040700, 1000, 1000);
        assert_eq!(permission(&r, &d, Access::EXEC), Ok(()));
        assert_eq!(permission(&r, &d, Access::WRITE), Err(Errno::EACCES));
        r.caps &= !cap_mask(CAP_DAC_READ_SEARCH);
        assert_eq!(permission(&r, &f, Access::READ), Err(Errno::EACCES));
        assert_eq!(permission(&r, &d, Access::EXEC), Err(Errno::EACCES));
        assert!(!r.capable(CAP_DAC_OVERRIDE) && r.capable(CAP_CHOWN));
    }

    #[test]
    fn sticky_directories_protect_others_entries() {
        let u = Credentials::user(1000, 1000, vec![]);
        let tmp = st(0o041777, 0, 0);
        assert_eq!(may_delete(&u, &tmp, &st(0o100644, 1000, 0)), Ok(()));
        assert_eq!(
            may_delete(&u, &tmp, &st(0o100644, 1001, 0)),
            Err(Errno::EPERM)
        );
        assert_eq!(
            may_delete(&Credentials::ROOT, &tmp, &st(0o100644, 1001, 0)),
            Ok(())
        );
        assert_eq!(
            may_delete(&u, &st(0o040755, 0, 0), &st(0o100644, 1000, 0)),
            Err(Errno::EACCES)
        );
    }

    #[test]
    fn writes_clear_set_id_bits() {
        let u = Credentials::user(1000, 1000, vec![]);
        assert_eq!(kill_privs(&u, &st(0o106755, 1000, 1000)), Some(0o755));
        assert_eq!(kill_privs(&u, &st(0o102644, 1000, 1000)), None);
        assert_eq!(kill_privs(&u, &st(0o102644, 1000, 5)), Some(0o644));
        assert_eq!(
            kill_privs(&Credentials::ROOT, &st(0o104755, 1000, 1000)),
            None
        );
    }
}
