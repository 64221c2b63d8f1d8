//! The file layer of the kernel: the VFS core (inodes, dentries, mounts, path walk,
//! open file descriptions, fd tables), the ext4 disk format, tmpfs, and the `BlockDevice`
//! trait that drivers implement. Upper layers (the kernel's syscalls) call `Vfs`,
//! `File` and `FdTable`; filesystems implement `FileSystem` and `Inode`; devices
//! that live in other crates (null, tty, pipes) implement `FileOps`. The page
//! caches of mapped files live in the kernel, which attaches them to the
//! `InodeState` every inode carries (`address_space`); regular-file I/O goes
//! through them.
#![forbid(unsafe_code)]

pub mod address_space;
mod attr;
mod blockdev;
mod cache;
mod clock;
pub mod crc32c;
mod create;
mod dentry;
mod devnum;
pub mod export;
pub mod ext4;
mod fallocate;
mod fdtable;
mod file;
mod file_ops;
pub mod fileattr;
pub mod fsnotify;
pub mod hostfs;
mod inode;
mod inode_state;
pub mod locks;
mod mount;
mod namei;
mod namespace;
pub mod propagation;
pub use namespace::internal_mount;
mod open;
mod perm;
mod remove;
mod rename;
mod reopen;
mod tmpfile;
pub mod tmpfs;
mod types;
mod vfs;
mod wait_queue;
mod xattr;

pub use address_space::{AddressSpace, InodeKey};
pub use attr::{file_remove_privs, sync_filesystem};
pub use blockdev::{BlockDevice, RamDisk};
pub use cache::BlockCache;
pub use clock::{Clock, HostClock};
pub use dentry::Dentry;
pub use devnum::{anon_dev, major, makedev, minor, new_encode_dev};
pub use fallocate::{punch_hole, FallocMode};
pub use fdtable::{FdTable, NR_OPEN};
pub use file::{File, SEEK_CUR, SEEK_DATA, SEEK_END, SEEK_HOLE, SEEK_SET};
pub use file_ops::{FileOps, PollEvents, UserMemory};
pub use inode::{FileSystem, Inode};
pub use inode_state::InodeState;
pub use mount::{Mount, MountFlags, MountPoint, Path};
pub use namei::{LookupFlags, MAXSYMLINKS, NAME_MAX, PATH_MAX};
pub use open::{CharDevices, OpenFlags};
pub use perm::{kill_privs, permission, Access, Credentials};
pub use reopen::reopen_path;
pub use tmpfile::O_TMPFILE_BIT;
pub use types::{
    AttrTime, DirEntry, FileType, Owner, RenameFlags, SetAttr, Stat, StatFs, Timespec, ST_RDONLY,
    ST_RELATIME, ST_VALID,
};
pub use vfs::Vfs;
pub use wait_queue::{WaitQueue, Waker};
pub use xattr::{XattrFlags, XATTR_NAME_MAX, XATTR_SIZE_MAX};
