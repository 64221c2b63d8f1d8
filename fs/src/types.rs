//! Plain data the VFS hands across its interfaces: timestamps, file types with their
//! `S_IFMT` and `DT_*` encodings, `struct stat`-like attributes, `struct statfs`
//! fields, the directory entries `readdir` emits, and the requests `setattr` and
//! `rename` take.

/// A point in time as Linux's `struct timespec` (seconds since the epoch, nanoseconds).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: u32,
}

/// The type of an inode, as encoded in the `S_IFMT` bits of `st_mode`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FileType {
    Regular,
    Directory,
    Symlink,
    CharDevice,
    BlockDevice,
    Fifo,
    Socket,
}

/// The mask of the file-type bits in a mode.
pub const S_IFMT: u32 = 0o170000;

impl FileType {
    /// Returns the `S_IF*` bits of this type (`S_IFREG`, `S_IFDIR`, ...).
    pub fn to_mode_bits(self) -> u32 {
        match self {
            FileType::Fifo => 0o010000,
            FileType::CharDevice => 0o020000,
            FileType::Directory => 0o040000,
            FileType::BlockDevice => 0o060000,
            FileType::Regular => 0o100000,
            FileType::Symlink => 0o120000,
            FileType::Socket => 0o140000,
        }
    }

    /// Returns the type encoded in the `S_IFMT` bits of `mode`, or `None` if invalid.
    pub fn from_mode(mode: u32) -> Option<FileType> {
        Some(match mode & S_IFMT {
            0o010000 => FileType::Fifo,
            0o020000 => FileType::CharDevice,
            0o040000 => FileType::Directory,
            0o060000 => FileType::BlockDevice,
            0o100000 => FileType::Regular,
            0o120000 => FileType::Symlink,
            0o140000 => FileType::Socket,
            _ => return None,
        })
    }

    /// Returns the `DT_*` value `getdents64` reports for this type.
    pub fn to_dt(self) -> u8 {
        match self {
            FileType::Fifo => 1,
            FileType::CharDevice => 2,
            FileType::Directory => 4,
            FileType::BlockDevice => 6,
            FileType::Regular => 8,
            FileType::Symlink => 10,
            FileType::Socket => 12,
        }
    }
}

/// The attributes of an inode, as `stat(2)` reports them.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    /// `S_IFMT` bits and permission bits.
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u32,
    /// Allocated space in 512-byte units.
    pub blocks: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
}

impl Stat {
    /// Returns the attributes of an inode of a filesystem without blocks
    /// (cgroup2, nsfs, mqueue, devpts...): `mode` with its type bits, two
    /// links for a directory and one otherwise, no size, page-sized blocks,
    /// every time `time`.
    pub fn pseudo(dev: u64, ino: u64, mode: u32, (uid, gid): (u32, u32), time: Timespec) -> Stat {
        let dir = mode & 0o170000 == FileType::Directory.to_mode_bits();
        Stat {
            dev,
            ino,
            mode,
            nlink: if dir { 2 } else { 1 },
            uid,
            gid,
            blksize: arch::PAGE_SIZE as u32,
            atime: time,
            mtime: time,
            ctime: time,
            ..Stat::default()
        }
    }
}

/// The fields of Linux's `struct statfs` (statfs(2)).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatFs {
    /// The filesystem's magic number (`EXT4_SUPER_MAGIC` 0xEF53, ...).
    pub f_type: u64,
    pub bsize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub fsid: [u32; 2],
    pub namelen: u64,
    pub frsize: u64,
    /// `ST_*` mount flags (`ST_RDONLY` = 1, ...).
    pub flags: u64,
}

impl StatFs {
    /// Returns the figures of a filesystem without blocks (procfs, sysfs,
    /// cgroup2...): its magic number, page-sized blocks, 255-byte names.
    pub fn pseudo(f_type: u64) -> StatFs {
        StatFs {
            f_type,
            bsize: arch::PAGE_SIZE,
            namelen: 255,
            frsize: arch::PAGE_SIZE,
            ..StatFs::default()
        }
    }
}

/// `ST_RDONLY` in `StatFs::flags`.
pub const ST_RDONLY: u64 = 1;
/// `ST_VALID` in `StatFs::flags`: Linux sets it on every statfs(2) answer.
pub const ST_VALID: u64 = 0x20;
/// `ST_RELATIME` in `StatFs::flags`: the default atime policy of a mount.
pub const ST_RELATIME: u64 = 0x1000;

/// The owner and group a new inode gets (`Inode::create` and friends): the
/// creator's filesystem ids; the filesystem itself gives the group of a
/// set-group-ID directory instead (Linux's `inode_init_owner`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Owner {
    pub uid: u32,
    pub gid: u32,
}

impl Owner {
    /// Root's: uid 0, gid 0.
    pub const ROOT: Owner = Owner { uid: 0, gid: 0 };
}

/// A new access or modification time for `SetAttr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AttrTime {
    /// The filesystem's current time (`UTIME_NOW`).
    Now,
    /// A given time.
    At(Timespec),
}

/// The attributes `Inode::setattr` changes (Linux's `struct iattr`); `None` leaves
/// one as it is. Every successful setattr also sets the change time to now.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SetAttr {
    /// New permission bits (`07777`); the file type never changes.
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
    /// New size of a regular file: truncation or extension with a hole.
    pub size: Option<u64>,
    pub atime: Option<AttrTime>,
    pub mtime: Option<AttrTime>,
}

bitflags::bitflags! {
    /// renameat2(2) flags, Linux values.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct RenameFlags: u32 {
        /// Fail with EEXIST instead of replacing the target.
        const NOREPLACE = 1;
        /// Swap the two names atomically; both must exist.
        const EXCHANGE = 2;
        /// Leave a whiteout (a 0:0 character device) at the old name.
        const WHITEOUT = 4;
    }
}

/// One entry `Inode::readdir` emits.
#[derive(Clone, Copy, Debug)]
pub struct DirEntry<'a> {
    pub ino: u64,
    pub name: &'a [u8],
    pub file_type: FileType,
    /// The readdir position just after this entry (the `d_off` of getdents64).
    pub next_pos: u64,
}
