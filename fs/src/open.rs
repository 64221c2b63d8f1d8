//! open(2) flags and `Vfs::open`, with Linux's rules: O_CREAT (also through a
//! dangling symlink), O_EXCL, O_TRUNC, O_DIRECTORY, O_NOFOLLOW, O_PATH, write
//! access to directories, read-only and `nodev` mounts, and the permission the
//! access mode asks for (Linux's may_open(); none on a file this open created).
//! O_NOATIME is for the owner. Character devices and FIFOs are
//! opened through the kernel's `CharDevices`; a filesystem may give its files
//! their own `FileOps` (`Inode::open`); O_TMPFILE is `tmpfile`'s. Every file
//! opened here remembers the credentials it was opened with (`File::cred`).

use crate::file::File;
use crate::file_ops::{FileOps, InodeOps, PathOps};
use crate::fileattr;
use crate::fsnotify;
use crate::inode::Inode;
use crate::mount::Path;
use crate::namei::{LookupFlags, MAXSYMLINKS};
use crate::perm::{self, permission, Access, Credentials};
use crate::tmpfile::O_TMPFILE_BIT;
use crate::types::{AttrTime, FileType, SetAttr};
use crate::vfs::Vfs;
use arch::{Errno, Result};
use std::sync::Arc;

bitflags::bitflags! {
    /// open(2) flags, Linux x86_64 values.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct OpenFlags: u32 {
        const O_WRONLY = 0o1;
        const O_RDWR = 0o2;
        const O_CREAT = 0o100;
        const O_EXCL = 0o200;
        const O_NOCTTY = 0o400;
        const O_TRUNC = 0o1000;
        const O_APPEND = 0o2000;
        const O_NONBLOCK = 0o4000;
        const O_DSYNC = 0o10000;
        const O_ASYNC = 0o20000;
        const O_DIRECT = 0o40000;
        const O_LARGEFILE = 0o100000;
        const O_DIRECTORY = 0o200000;
        const O_NOFOLLOW = 0o400000;
        const O_NOATIME = 0o1000000;
        const O_CLOEXEC = 0o2000000;
        const O_SYNC = 0o4010000;
        const O_PATH = 0o10000000;
        const O_TMPFILE = 0o20200000;
    }
}

/// `O_ACCMODE`.
const ACCMODE: u32 = 0o3;

impl OpenFlags {
    /// Returns the access mode: 0 (O_RDONLY), 1 (O_WRONLY) or 2 (O_RDWR); 3 is
    /// Linux's "no access" mode.
    pub fn access_mode(self) -> u32 {
        self.bits() & ACCMODE
    }

    /// Returns whether the flags ask for read access.
    pub fn readable(self) -> bool {
        matches!(self.access_mode(), 0 | 2) && !self.contains(OpenFlags::O_PATH)
    }

    /// Returns whether the flags ask for write access.
    pub fn writable(self) -> bool {
        matches!(self.access_mode(), 1 | 2)
    }

    /// Returns the access an open with these flags needs (Linux's
    /// `ACC_MODE`, plus write for O_TRUNC): mode 3 needs read and write.
    pub fn access(self) -> Access {
        let mut a = match self.access_mode() {
            0 => Access::READ,
            1 => Access::WRITE,
            _ => Access::READ | Access::WRITE,
        };
        if self.contains(OpenFlags::O_TRUNC) {
            a |= Access::WRITE;
        }
        a
    }
}

/// The special files the kernel provides: character devices (null, zero, tty,
/// urandom...) and the pipes behind FIFOs.
pub trait CharDevices {
    /// Opens device `rdev`; ENXIO or ENODEV if there is none.
    fn open(&self, rdev: u64, flags: OpenFlags) -> Result<Arc<dyn FileOps>>;

    /// Opens the FIFO `inode`: an end of the pipe all its openers share (read,
    /// write or both as `flags` ask); `ENXIO` where there are no pipes.
    fn open_fifo(&self, _inode: &Arc<dyn Inode>, _flags: OpenFlags) -> Result<Arc<dyn FileOps>> {
        Err(Errno::ENXIO)
    }

    /// Opens block device `rdev`; ENXIO if there is none.
    fn open_block(&self, _rdev: u64, _flags: OpenFlags) -> Result<Arc<dyn FileOps>> {
        Err(Errno::ENXIO)
    }
}

impl Vfs {
    /// Opens `path` as open(2) does, with the rights of `cred`.
    #[expect(clippy::too_many_arguments, reason = "open(2)'s own arguments")]
    pub fn open(
        &self,
        cred: &Credentials,
        root: &Path,
        cwd: &Path,
        path: &[u8],
        flags: OpenFlags,
        mode: u32,
        devices: &dyn CharDevices,
    ) -> Result<Arc<File>> {
        let resolve = LookupFlags::empty();
        self.open_resolve(cred, root, cwd, path, flags, mode, resolve, devices)
    }

    /// Opens `path` as openat2(2) does: as `open`, with the `RESOLVE`
    /// restrictions of `resolve` on the walk (for `BENEATH` and `IN_ROOT`,
    /// `root` is the starting directory).
    #[expect(clippy::too_many_arguments, reason = "openat2(2)'s own arguments")]
    pub fn open_resolve(
        &self,
        cred: &Credentials,
        root: &Path,
        cwd: &Path,
        path: &[u8],
        flags: OpenFlags,
        mode: u32,
        resolve: LookupFlags,
        devices: &dyn CharDevices,
    ) -> Result<Arc<File>> {
        let f = self.do_open(cred, root, cwd, path, flags, mode, resolve, devices)?;
        f.set_cred(cred);
        Ok(f)
    }

    /// Opens `path` for `open_resolve`.
    #[expect(clippy::too_many_arguments, reason = "openat2(2)'s own arguments")]
    fn do_open(
        &self,
        cred: &Credentials,
        root: &Path,
        cwd: &Path,
        path: &[u8],
        flags: OpenFlags,
        mode: u32,
        resolve: LookupFlags,
        devices: &dyn CharDevices,
    ) -> Result<Arc<File>> {
        let mut lf = resolve & (LookupFlags::RESOLVE | LookupFlags::EMPTY);
        if !flags.contains(OpenFlags::O_NOFOLLOW) {
            lf |= LookupFlags::FOLLOW;
        }
        if flags.contains(OpenFlags::O_DIRECTORY) {
            lf |= LookupFlags::DIRECTORY;
        }
        if flags.contains(OpenFlags::O_PATH) {
            let p = self.lookup(cred, root, cwd, path, lf)?;
            let keep = OpenFlags::O_PATH
                | OpenFlags::O_DIRECTORY
                | OpenFlags::O_NOFOLLOW
                | OpenFlags::O_CLOEXEC;
            return Ok(File::new(Some(p), Arc::new(PathOps), flags & keep));
        }
        if flags.bits() & O_TMPFILE_BIT != 0 {
            return self.open_tmpfile(cred, root, cwd, path, flags, mode, lf);
        }
        let mut truncate = None;
        let (p, created) = if flags.contains(OpenFlags::O_CREAT) {
            if flags.contains(OpenFlags::O_DIRECTORY) {
                return Err(Errno::EINVAL);
            }
            self.open_creat(cred, root, cwd, path, flags, lf, mode)?
        } else {
            (self.lookup(cred, root, cwd, path, lf)?, false)
        };
        let inode = p.inode();
        let ft = inode.file_type();
        let write = flags.writable() || flags.contains(OpenFlags::O_TRUNC);
        let dir_refused = write || flags.contains(OpenFlags::O_CREAT);
        if !created && ft != FileType::Symlink && !(ft == FileType::Directory && dir_refused) {
            may_open(cred, &inode.stat()?, &p, flags)?;
        }
        let ops: Arc<dyn FileOps> = match ft {
            FileType::Symlink => return Err(Errno::ELOOP),
            FileType::Directory if write || flags.contains(OpenFlags::O_CREAT) => {
                return Err(Errno::EISDIR)
            }
            FileType::Directory | FileType::Regular => {
                if write && p.mnt.read_only() {
                    return Err(Errno::EROFS);
                }
                let own = inode.open(flags)?;
                // A file this open created is not truncated (it is empty).
                if ft == FileType::Regular && flags.contains(OpenFlags::O_TRUNC) && !created {
                    truncate = Some(SetAttr {
                        size: Some(0),
                        mtime: Some(AttrTime::Now),
                        mode: perm::kill_privs(cred, &inode.stat()?),
                        ..SetAttr::default()
                    });
                }
                own.unwrap_or_else(|| Arc::new(InodeOps(inode.clone())))
            }
            FileType::CharDevice | FileType::BlockDevice if p.mnt.nodev() => {
                return Err(Errno::EACCES)
            }
            FileType::CharDevice => devices.open(inode.stat()?.rdev, flags)?,
            // A pipe reopened through /proc/PID/fd (`reopen_path`) brings its
            // own ends; a FIFO of a filesystem gets them from the kernel.
            FileType::Fifo => match inode.open(flags)? {
                Some(ops) => ops,
                None => devices.open_fifo(&inode, flags)?,
            },
            FileType::BlockDevice => devices.open_block(inode.stat()?.rdev, flags)?,
            // A socket file cannot be opened (connect(2) reaches it).
            FileType::Socket => inode.open(flags)?.ok_or(Errno::ENXIO)?,
        };
        let keep =
            !(OpenFlags::O_CREAT | OpenFlags::O_EXCL | OpenFlags::O_NOCTTY | OpenFlags::O_TRUNC);
        let f = File::new(Some(p.clone()), ops, flags & keep);
        // Watchers see the open, then the truncation, as on Linux.
        f.notify(fsnotify::IN_OPEN);
        if let Some(truncate) = truncate {
            crate::address_space::setattr(inode.as_ref(), &truncate)?;
            fsnotify::dentry_event(&p.dentry, fsnotify::setattr_mask(&truncate));
        }
        Ok(f)
    }

    /// Resolves the target of an O_CREAT open, creating it if missing (also at
    /// the end of a dangling symlink, unless O_EXCL or O_NOFOLLOW); returns it and
    /// whether it was created.
    #[expect(clippy::too_many_arguments, reason = "open(2)'s own arguments")]
    fn open_creat(
        &self,
        cred: &Credentials,
        root: &Path,
        cwd: &Path,
        path: &[u8],
        flags: OpenFlags,
        lf: LookupFlags,
        mode: u32,
    ) -> Result<(Path, bool)> {
        let resolve = lf & LookupFlags::RESOLVE;
        let (mut dir, mut name) = self.lookup_parent_with(cred, root, cwd, path, resolve)?;
        let mut slash = path.ends_with(b"/");
        let mut links = 0;
        loop {
            if name.is_empty() || name == b"." || name == b".." || slash {
                return Err(Errno::EISDIR);
            }
            match self.lookup(cred, root, &dir, &name, resolve) {
                Ok(_) if flags.contains(OpenFlags::O_EXCL) => return Err(Errno::EEXIST),
                Ok(p)
                    if p.inode().file_type() == FileType::Symlink
                        && lf.contains(LookupFlags::FOLLOW) =>
                {
                    links += 1;
                    if links > MAXSYMLINKS {
                        return Err(Errno::ELOOP);
                    }
                    if let Some(jump) = p.inode().follow_link() {
                        let jump = jump?;
                        resolve.check_jump(&dir, &jump)?;
                        return Ok((jump, false));
                    }
                    resolve.check_follow()?;
                    let target = p.inode().readlink()?;
                    if target.first() == Some(&b'/') {
                        resolve.check_absolute(&dir, root)?;
                    }
                    slash = target.ends_with(b"/");
                    (dir, name) = self.lookup_parent_with(cred, root, &dir, &target, resolve)?;
                }
                Ok(p) => return Ok((p, false)),
                Err(Errno::ENOENT) => {
                    if dir.mnt.read_only() {
                        return Err(Errno::EROFS);
                    }
                    let dst = dir.inode().stat()?;
                    fileattr::may_add(dir.inode().as_ref())?;
                    perm::may_create(cred, &dst)?;
                    let mode = FileType::Regular.to_mode_bits() | (mode & 0o7777);
                    let mode = perm::strip_sgid(cred, &dst, mode);
                    let new = dir.inode().create(&name, mode & 0o7777, cred.owner())?;
                    let (dir_inode, new) = (dir.inode(), new.as_ref());
                    fsnotify::name_event(dir_inode.as_ref(), new, fsnotify::IN_CREATE, &name, 0);
                    let p = self.lookup(cred, root, &dir, &name, LookupFlags::empty())?;
                    return Ok((p, true));
                }
                Err(e) => return Err(e),
            }
        }
    }
}

/// Checks what opening the existing file `p` (attributes `st`) with `flags`
/// needs (Linux's may_open()): the permission of the access mode, `EACCES`
/// for devices on a `nodev` mount, ownership for O_NOATIME (`EPERM`), and
/// what the file's attribute flags forbid (`EPERM`: writing an immutable
/// file, overwriting or truncating an append-only one).
fn may_open(cred: &Credentials, st: &crate::types::Stat, p: &Path, flags: OpenFlags) -> Result<()> {
    let ft = p.inode().file_type();
    if matches!(ft, FileType::CharDevice | FileType::BlockDevice) && p.mnt.nodev() {
        return Err(Errno::EACCES);
    }
    // The attribute flags matter only to an open that may change the file.
    let writes = flags.access().contains(Access::WRITE) || flags.contains(OpenFlags::O_TRUNC);
    let attr = if writes {
        fileattr::flags(p.inode().as_ref())
    } else {
        0
    };
    if flags.access().contains(Access::WRITE) && attr & fileattr::FS_IMMUTABLE_FL != 0 {
        return Err(Errno::EPERM);
    }
    permission(cred, st, flags.access())?;
    // An append-only file opens for writing only to append (open(2)).
    let overwrite = flags.writable() && !flags.contains(OpenFlags::O_APPEND);
    if (overwrite || flags.contains(OpenFlags::O_TRUNC)) && attr & fileattr::FS_APPEND_FL != 0 {
        return Err(Errno::EPERM);
    }
    if flags.contains(OpenFlags::O_NOATIME) && !cred.owns(st) {
        return Err(Errno::EPERM);
    }
    Ok(())
}
