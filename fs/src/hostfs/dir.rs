//! hostfs directories: lookups and the calls that make, remove and move
//! names. Each is one host call on a single name beneath the directory's
//! own descriptor (`openat2` with `RESOLVE_BENEATH`, or an `*at` call that
//! does not follow the name's last component), so nothing outside the
//! mounted tree is ever opened or changed.

use super::inode::{file_type, Access, Inode};
use crate::types::{DirEntry, FileType, RenameFlags};
use arch::host::hostfs::{HostFd, OpenKind};
use arch::{Errno, Result};
use std::sync::Arc;

/// How many times a lookup is tried again when the name was replaced
/// between its two opens.
const LOOKUP_TRIES: usize = 4;

/// Checks that `name` is one component: `ENOENT` if empty, `EINVAL` for a
/// `/`, `.` or `..` (the VFS resolves those itself), `ENAMETOOLONG` past
/// `NAME_MAX`.
fn check_name(name: &[u8]) -> Result<()> {
    if name.is_empty() {
        return Err(Errno::ENOENT);
    }
    if name.contains(&b'/') || name == b"." || name == b".." {
        return Err(Errno::EINVAL);
    }
    if name.len() > crate::namei::NAME_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    Ok(())
}

/// Returns the type a `DT_*` value stands for (a regular file for
/// `DT_UNKNOWN`).
fn dt_type(dt: u8) -> FileType {
    match dt {
        1 => FileType::Fifo,
        2 => FileType::CharDevice,
        4 => FileType::Directory,
        6 => FileType::BlockDevice,
        10 => FileType::Symlink,
        12 => FileType::Socket,
        _ => FileType::Regular,
    }
}

impl Inode {
    /// Returns `ENOTDIR` unless this is a directory.
    fn must_be_dir(&self) -> Result<()> {
        match self.file_type() {
            FileType::Directory => Ok(()),
            _ => Err(Errno::ENOTDIR),
        }
    }

    fn file_type(&self) -> FileType {
        crate::inode::Inode::file_type(self)
    }

    /// Opens the regular file `name` for I/O: read-write, else read-only,
    /// else keeps `path`, its `O_PATH` descriptor, when the host refuses.
    fn open_file(&self, name: &[u8], path: HostFd) -> Result<(HostFd, Access)> {
        match self.fd.open(name, OpenKind::ReadWrite) {
            Ok(f) => return Ok((f, Access::ReadWrite)),
            Err(Errno::EACCES | Errno::EPERM | Errno::EROFS | Errno::ETXTBSY) => {}
            Err(e) => return Err(e),
        }
        match self.fd.open(name, OpenKind::Read) {
            Ok(f) => Ok((f, Access::Read)),
            Err(Errno::EACCES | Errno::EPERM) => Ok((path, Access::Path)),
            Err(e) => Err(e),
        }
    }

    /// Returns the inode named `name` in this directory.
    pub(super) fn child(&self, name: &[u8]) -> Result<Arc<Inode>> {
        self.must_be_dir()?;
        check_name(name)?;
        for _ in 0..LOOKUP_TRIES {
            let path = self.fd.open(name, OpenKind::Path)?;
            let st = path.stat()?;
            if let Some(inode) = self.sb.cached((st.dev, st.ino)) {
                return Ok(inode);
            }
            let (fd, access) = match file_type(st.mode)? {
                FileType::Regular => self.open_file(name, path)?,
                FileType::Directory => match self.fd.open(name, OpenKind::Directory) {
                    Ok(f) => (f, Access::Read),
                    Err(Errno::EACCES | Errno::EPERM) => (path, Access::Path),
                    Err(e) => return Err(e),
                },
                _ => (path, Access::Path),
            };
            let inode = Inode::with_access(&self.sb, fd, access)?;
            // The name may have been replaced between the two opens.
            if inode.key() == (st.dev, st.ino) {
                return Ok(self.sb.insert(inode));
            }
        }
        Err(Errno::ESTALE)
    }

    /// Emits the entries from `pos`: "." and ".." first, then the host's.
    pub(super) fn do_readdir(
        &self,
        pos: u64,
        emit: &mut dyn FnMut(&DirEntry) -> bool,
    ) -> Result<u64> {
        self.must_be_dir()?;
        let entries = self.fd.read_dir()?;
        let ino = self.key().1;
        let mut p = pos;
        let total = entries.len() as u64 + 2;
        while p < total {
            let (name, e_ino, ft): (&[u8], u64, FileType) = match p {
                0 => (b".", ino, FileType::Directory),
                1 => (b"..", ino, FileType::Directory),
                n => {
                    let e = &entries[(n - 2) as usize];
                    (&e.name, e.ino, dt_type(e.dtype))
                }
            };
            let entry = DirEntry {
                ino: e_ino,
                name,
                file_type: ft,
                next_pos: p + 1,
            };
            if !emit(&entry) {
                return Ok(p);
            }
            p += 1;
        }
        Ok(p.max(pos))
    }

    /// Creates the regular file `name` with permission bits `mode` (the
    /// host's umask undone).
    pub(super) fn do_create(&self, name: &[u8], mode: u32) -> Result<Arc<Inode>> {
        self.must_be_dir()?;
        check_name(name)?;
        let fd = self.fd.open(name, OpenKind::Create(mode))?;
        fd.chmod(mode & 0o7777)?;
        let inode = Inode::with_access(&self.sb, fd, Access::ReadWrite)?;
        Ok(self.sb.insert(inode))
    }

    /// Creates the directory `name`.
    pub(super) fn do_mkdir(&self, name: &[u8], mode: u32) -> Result<Arc<Inode>> {
        self.must_be_dir()?;
        check_name(name)?;
        self.fd.mkdir(name, mode)?;
        let inode = self.child(name)?;
        if inode.access != Access::Path {
            inode.fd.chmod(mode & 0o7777)?;
        }
        Ok(inode)
    }

    /// Creates a regular file, FIFO or socket `name`; device nodes are
    /// refused (`EPERM`): a host device node in the tree would give the
    /// guest the host's device, not its own.
    pub(super) fn do_mknod(&self, name: &[u8], mode: u32, rdev: u64) -> Result<Arc<Inode>> {
        self.must_be_dir()?;
        check_name(name)?;
        match FileType::from_mode(mode).ok_or(Errno::EINVAL)? {
            FileType::Regular => self.do_create(name, mode),
            FileType::Fifo | FileType::Socket => {
                self.fd.mknod(name, mode, rdev)?;
                self.child(name)
            }
            FileType::Directory => Err(Errno::EPERM),
            FileType::Symlink => Err(Errno::EINVAL),
            FileType::CharDevice | FileType::BlockDevice => Err(Errno::EPERM),
        }
    }

    /// Creates the symlink `name` to `target`.
    pub(super) fn do_symlink(&self, name: &[u8], target: &[u8]) -> Result<Arc<Inode>> {
        self.must_be_dir()?;
        check_name(name)?;
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        self.fd.symlink(name, target)?;
        self.child(name)
    }

    /// Gives `target` the further name `name` here.
    pub(super) fn do_link(&self, name: &[u8], target: &Arc<Inode>) -> Result<()> {
        self.must_be_dir()?;
        check_name(name)?;
        target.fd.link(&self.fd, name)
    }

    /// Removes `name`: a directory if `dir`.
    pub(super) fn do_unlink(&self, name: &[u8], dir: bool) -> Result<()> {
        self.must_be_dir()?;
        check_name(name)?;
        self.fd.unlink(name, dir)
    }

    /// Moves `old` here to `new` in `new_dir`.
    pub(super) fn do_rename(
        &self,
        old: &[u8],
        new_dir: &Arc<Inode>,
        new: &[u8],
        flags: RenameFlags,
    ) -> Result<()> {
        self.must_be_dir()?;
        new_dir.must_be_dir()?;
        check_name(old)?;
        check_name(new)?;
        self.fd.rename(old, &new_dir.fd, new, flags.bits())
    }
}
