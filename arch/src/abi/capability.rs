//! Capabilities (capabilities(7), linux/capability.h, linux/securebits.h):
//! the capability numbers, the secure bits of prctl(2), and the layout of
//! the `security.capability` extended attribute that gives a file
//! capabilities.

pub const CAP_CHOWN: u32 = 0;
pub const CAP_DAC_OVERRIDE: u32 = 1;
pub const CAP_DAC_READ_SEARCH: u32 = 2;
pub const CAP_FOWNER: u32 = 3;
pub const CAP_FSETID: u32 = 4;
pub const CAP_KILL: u32 = 5;
pub const CAP_SETGID: u32 = 6;
pub const CAP_SETUID: u32 = 7;
pub const CAP_SETPCAP: u32 = 8;
pub const CAP_LINUX_IMMUTABLE: u32 = 9;
pub const CAP_NET_BIND_SERVICE: u32 = 10;
pub const CAP_NET_BROADCAST: u32 = 11;
pub const CAP_NET_ADMIN: u32 = 12;
pub const CAP_NET_RAW: u32 = 13;
pub const CAP_IPC_LOCK: u32 = 14;
pub const CAP_IPC_OWNER: u32 = 15;
pub const CAP_SYS_MODULE: u32 = 16;
pub const CAP_SYS_RAWIO: u32 = 17;
pub const CAP_SYS_CHROOT: u32 = 18;
pub const CAP_SYS_PTRACE: u32 = 19;
pub const CAP_SYS_PACCT: u32 = 20;
pub const CAP_SYS_ADMIN: u32 = 21;
pub const CAP_SYS_BOOT: u32 = 22;
pub const CAP_SYS_NICE: u32 = 23;
pub const CAP_SYS_RESOURCE: u32 = 24;
pub const CAP_SYS_TIME: u32 = 25;
pub const CAP_SYS_TTY_CONFIG: u32 = 26;
pub const CAP_MKNOD: u32 = 27;
pub const CAP_LEASE: u32 = 28;
pub const CAP_AUDIT_WRITE: u32 = 29;
pub const CAP_AUDIT_CONTROL: u32 = 30;
pub const CAP_SETFCAP: u32 = 31;
pub const CAP_MAC_OVERRIDE: u32 = 32;
pub const CAP_MAC_ADMIN: u32 = 33;
pub const CAP_SYSLOG: u32 = 34;
pub const CAP_WAKE_ALARM: u32 = 35;
pub const CAP_BLOCK_SUSPEND: u32 = 36;
pub const CAP_AUDIT_READ: u32 = 37;
pub const CAP_PERFMON: u32 = 38;
pub const CAP_BPF: u32 = 39;
pub const CAP_CHECKPOINT_RESTORE: u32 = 40;
/// The highest capability number (/proc/sys/kernel/cap_last_cap).
pub const CAP_LAST_CAP: u32 = CAP_CHECKPOINT_RESTORE;
/// Every capability: root's bounding set.
pub const CAP_FULL_SET: u64 = (1 << (CAP_LAST_CAP + 1)) - 1;

/// Returns the set holding only `cap`.
pub const fn cap_mask(cap: u32) -> u64 {
    1 << cap
}

/// The capabilities that follow the filesystem uid in and out of 0
/// (capabilities(7), "Effect of user ID changes on capabilities").
pub const CAP_FS_MASK: u64 = cap_mask(CAP_CHOWN)
    | cap_mask(CAP_DAC_OVERRIDE)
    | cap_mask(CAP_DAC_READ_SEARCH)
    | cap_mask(CAP_FOWNER)
    | cap_mask(CAP_FSETID)
    | cap_mask(CAP_LINUX_IMMUTABLE)
    | cap_mask(CAP_MKNOD)
    | cap_mask(CAP_MAC_OVERRIDE);

/// Secure bits (linux/securebits.h): each flag is followed by its lock.
pub const SECBIT_NOROOT: u32 = 1 << 0;
pub const SECBIT_NOROOT_LOCKED: u32 = 1 << 1;
pub const SECBIT_NO_SETUID_FIXUP: u32 = 1 << 2;
pub const SECBIT_NO_SETUID_FIXUP_LOCKED: u32 = 1 << 3;
pub const SECBIT_KEEP_CAPS: u32 = 1 << 4;
pub const SECBIT_KEEP_CAPS_LOCKED: u32 = 1 << 5;
pub const SECBIT_NO_CAP_AMBIENT_RAISE: u32 = 1 << 6;
pub const SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED: u32 = 1 << 7;
/// Every flag Linux knows (`SECURE_ALL_BITS`), without the locks.
pub const SECURE_ALL_BITS: u32 =
    SECBIT_NOROOT | SECBIT_NO_SETUID_FIXUP | SECBIT_KEEP_CAPS | SECBIT_NO_CAP_AMBIENT_RAISE;
/// Every lock (`SECURE_ALL_LOCKS`): a flag's lock is the bit above it.
pub const SECURE_ALL_LOCKS: u32 = SECURE_ALL_BITS << 1;

/// The revision field of `vfs_cap_data.magic_etc`.
pub const VFS_CAP_REVISION_MASK: u32 = 0xff00_0000;
/// Revision 2: two (permitted, inheritable) pairs of 32 bits.
pub const VFS_CAP_REVISION_2: u32 = 0x0200_0000;
/// Revision 3: revision 2 plus the root uid of the user namespace.
pub const VFS_CAP_REVISION_3: u32 = 0x0300_0000;
/// The file's effective bit: the new program starts with its permitted
/// capabilities effective.
pub const VFS_CAP_FLAGS_EFFECTIVE: u32 = 0x0000_0001;
/// The size of a revision 2 attribute (`XATTR_CAPS_SZ_2`).
pub const XATTR_CAPS_SZ_2: usize = 20;
/// The size of a revision 3 attribute (`XATTR_CAPS_SZ_3`).
pub const XATTR_CAPS_SZ_3: usize = 24;
/// The attribute's name.
pub const XATTR_NAME_CAPS: &[u8] = b"security.capability";
