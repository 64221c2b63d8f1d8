//! The host half of hostfs (UML's `hostfs_user.c`): host files and
//! directories reached only through file descriptors, never through path
//! strings. A mount opens its root directory once (`HostFd::open_root`, a
//! path the host's user gave on the command line); every later open is an
//! `openat2(2)` relative to an already open directory of the same tree with
//! `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`, of one name that the caller
//! has checked is a single component. So neither `..`, nor a symlink (the
//! walk opens the last component with `O_NOFOLLOW` and the guest's VFS
//! follows symlinks itself), nor a name swapped between a check and its use
//! can reach a host file outside the tree: the host kernel refuses it.
//!
//! Every call is made as the host user running the kernel, so the host's
//! permission checks apply and its errno comes back as the guest's.

use crate::{Errno, Result};
use std::ffi::CString;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::path::Path;

/// What a host call failing left in `errno`, as the kernel's error.
fn last_errno() -> Errno {
    let n = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
    Errno::from_raw(n).unwrap_or(Errno::EIO)
}

/// Returns `-1` as a host call's failure: `Err` with its errno.
fn check(ret: libc::c_long) -> Result<libc::c_long> {
    if ret < 0 {
        Err(last_errno())
    } else {
        Ok(ret)
    }
}

/// Returns `name` as a C string: `EINVAL` for a NUL byte in it.
fn c_name(name: &[u8]) -> Result<CString> {
    CString::new(name).map_err(|_| Errno::EINVAL)
}

/// openat2(2)'s `struct open_how` (libc's is non-exhaustive).
#[repr(C)]
struct OpenHow {
    flags: u64,
    mode: u64,
    resolve: u64,
}

/// How `HostFd::open` opens a file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpenKind {
    /// `O_PATH`: the file itself, for its attributes (a symlink, a device).
    Path,
    /// Read-only.
    Read,
    /// Read-write.
    ReadWrite,
    /// A directory, for listing and as the base of later opens.
    Directory,
    /// A new regular file, read-write, with the permission bits given
    /// (`EEXIST` if the name exists).
    Create(u32),
}

/// A host file's attributes (`struct stat`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct HostStat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u64,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u64,
    pub blocks: u64,
    /// Seconds and nanoseconds.
    pub atime: (i64, u32),
    pub mtime: (i64, u32),
    pub ctime: (i64, u32),
}

/// A host filesystem's figures (`struct statfs`).
#[derive(Clone, Copy, Debug, Default)]
pub struct HostStatFs {
    pub bsize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub namelen: u64,
    pub frsize: u64,
}

/// One entry of a host directory.
#[derive(Clone, Debug)]
pub struct HostDirEntry {
    pub ino: u64,
    /// The `DT_*` type.
    pub dtype: u8,
    pub name: Vec<u8>,
}

/// A time for `HostFd::set_times`.
#[derive(Clone, Copy, Debug)]
pub enum HostTime {
    /// Leave it.
    Omit,
    /// The host's current time.
    Now,
    /// Seconds and nanoseconds.
    At(i64, u32),
}

impl HostTime {
    fn timespec(self) -> libc::timespec {
        let (sec, nsec) = match self {
            HostTime::Omit => (0, libc::UTIME_OMIT),
            HostTime::Now => (0, libc::UTIME_NOW),
            HostTime::At(s, n) => (s, i64::from(n)),
        };
        libc::timespec {
            tv_sec: sec,
            tv_nsec: nsec,
        }
    }
}

/// An open host file or directory of a hostfs tree.
#[derive(Debug)]
pub struct HostFd {
    fd: OwnedFd,
}

impl HostFd {
    /// Opens the host directory `path` (`O_PATH`) as the root of a tree.
    pub fn open_root(path: &Path) -> Result<HostFd> {
        use std::os::unix::ffi::OsStrExt;
        let c = c_name(path.as_os_str().as_bytes())?;
        let flags = libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC;
        // SAFETY: `c` is a NUL-terminated string that outlives the call;
        // open(2) only reads it.
        let fd = unsafe { libc::open(c.as_ptr(), flags) };
        Self::own(check(fd.into())?)
    }

    /// Takes ownership of the descriptor a successful host call returned.
    fn own(fd: libc::c_long) -> Result<HostFd> {
        let fd = RawFd::try_from(fd).map_err(|_| Errno::EIO)?;
        // SAFETY: `fd` was just returned by a successful open call of this
        // thread and nothing else owns it.
        Ok(HostFd {
            fd: unsafe { OwnedFd::from_raw_fd(fd) },
        })
    }

    fn raw(&self) -> RawFd {
        self.fd.as_raw_fd()
    }

    /// Opens `path`, relative to this directory and resolved beneath it
    /// (openat2(2)'s `RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS`), without
    /// following a symlink in its last component. `EXDEV` for a path that
    /// would leave the directory, `ELOOP` for a symlink where a file is
    /// opened, `EINVAL` for a NUL byte.
    pub fn open(&self, path: &[u8], kind: OpenKind) -> Result<HostFd> {
        let c = c_name(path)?;
        let base = libc::O_CLOEXEC | libc::O_NOFOLLOW;
        // openat2 refuses O_PATH with any flag but these.
        let io = libc::O_NOCTTY | libc::O_NONBLOCK;
        let (flags, mode) = match kind {
            OpenKind::Path => (libc::O_PATH, 0),
            OpenKind::Read => (libc::O_RDONLY | io, 0),
            OpenKind::ReadWrite => (libc::O_RDWR | io, 0),
            OpenKind::Directory => (libc::O_RDONLY | libc::O_DIRECTORY, 0),
            OpenKind::Create(mode) => (
                libc::O_RDWR | libc::O_CREAT | libc::O_EXCL | libc::O_NOCTTY,
                u64::from(mode & 0o7777),
            ),
        };
        // Resolution must stay beneath `self` whatever the path holds.
        let how = OpenHow {
            flags: (flags | base) as u64,
            mode,
            resolve: libc::RESOLVE_BENEATH | libc::RESOLVE_NO_MAGICLINKS,
        };
        loop {
            // SAFETY: `c` is NUL-terminated and `how` is a valid open_how of
            // the size passed; both outlive the call, which only reads them.
            let ret = unsafe {
                libc::syscall(
                    libc::SYS_openat2,
                    self.raw(),
                    c.as_ptr(),
                    &how as *const OpenHow,
                    std::mem::size_of::<OpenHow>(),
                )
            };
            match check(ret) {
                // A rename raced with a ".." of the walk: openat2 asks for
                // a retry. (An O_NONBLOCK open's EAGAIN, a lease, is final.)
                Err(Errno::EAGAIN) if kind != OpenKind::Read && kind != OpenKind::ReadWrite => {}
                r => return Self::own(r?),
            }
        }
    }

    /// Returns the file's attributes (`fstat`, which `O_PATH` allows).
    pub fn stat(&self) -> Result<HostStat> {
        let mut st = std::mem::MaybeUninit::<libc::stat>::zeroed();
        // SAFETY: `st` is a writable stat buffer that outlives the call.
        check(unsafe { libc::fstat(self.raw(), st.as_mut_ptr()) }.into())?;
        // SAFETY: fstat succeeded and filled the (zeroed) buffer.
        let st = unsafe { st.assume_init() };
        let t = |s: i64, n: i64| (s, n as u32);
        Ok(HostStat {
            dev: st.st_dev,
            ino: st.st_ino,
            mode: st.st_mode,
            nlink: st.st_nlink,
            uid: st.st_uid,
            gid: st.st_gid,
            rdev: st.st_rdev,
            size: st.st_size as u64,
            blksize: st.st_blksize as u64,
            blocks: st.st_blocks as u64,
            atime: t(st.st_atime, st.st_atime_nsec),
            mtime: t(st.st_mtime, st.st_mtime_nsec),
            ctime: t(st.st_ctime, st.st_ctime_nsec),
        })
    }

    /// Reads at `offset` until `buf` is full or the file ends.
    pub fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let mut done = 0;
        while done < buf.len() {
            let off = i64::try_from(offset + done as u64).map_err(|_| Errno::EINVAL)?;
            let rest = &mut buf[done..];
            // SAFETY: `rest` is a writable buffer of `rest.len()` bytes.
            let n = unsafe { libc::pread(self.raw(), rest.as_mut_ptr().cast(), rest.len(), off) };
            match check(n as libc::c_long) {
                Ok(0) => break,
                Ok(n) => done += n as usize,
                Err(Errno::EINTR) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    /// Writes all of `data` at `offset`.
    pub fn write_at(&self, offset: u64, data: &[u8]) -> Result<usize> {
        let mut done = 0;
        while done < data.len() {
            let off = i64::try_from(offset + done as u64).map_err(|_| Errno::EFBIG)?;
            let rest = &data[done..];
            // SAFETY: `rest` is a readable buffer of `rest.len()` bytes.
            let n = unsafe { libc::pwrite(self.raw(), rest.as_ptr().cast(), rest.len(), off) };
            match check(n as libc::c_long) {
                Ok(n) => done += n as usize,
                Err(Errno::EINTR) => {}
                Err(e) if done == 0 => return Err(e),
                Err(_) => break,
            }
        }
        Ok(done)
    }

    /// Returns the target of this symlink (`readlinkat` of an `O_PATH` fd).
    pub fn readlink(&self) -> Result<Vec<u8>> {
        let mut buf = vec![0u8; libc::PATH_MAX as usize];
        // SAFETY: the path is an empty NUL-terminated string and `buf` a
        // writable buffer of `buf.len()` bytes.
        let n = unsafe {
            libc::readlinkat(self.raw(), c"".as_ptr(), buf.as_mut_ptr().cast(), buf.len())
        };
        let n = check(n as libc::c_long)? as usize;
        buf.truncate(n);
        Ok(buf)
    }

    /// Returns every entry of this directory but "." and "..", read through
    /// a descriptor of its own opened beneath it.
    pub fn read_dir(&self) -> Result<Vec<HostDirEntry>> {
        let dir = self.open(b".", OpenKind::Directory)?;
        let mut out = Vec::new();
        let mut buf = vec![0u8; 32 * 1024];
        loop {
            // SAFETY: `buf` is a writable buffer of `buf.len()` bytes.
            let n = unsafe {
                libc::syscall(libc::SYS_getdents64, dir.raw(), buf.as_mut_ptr(), buf.len())
            };
            let n = check(n)? as usize;
            if n == 0 {
                return Ok(out);
            }
            let mut at = 0;
            // struct linux_dirent64: d_ino u64, d_off i64, d_reclen u16,
            // d_type u8, then the NUL-terminated name.
            while at + 19 <= n {
                let ino = u64::from_ne_bytes(buf[at..at + 8].try_into().map_err(|_| Errno::EIO)?);
                let reclen = u16::from_ne_bytes([buf[at + 16], buf[at + 17]]) as usize;
                if reclen < 19 || at + reclen > n {
                    return Err(Errno::EIO);
                }
                let dtype = buf[at + 18];
                let name = &buf[at + 19..at + reclen];
                let len = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                let name = &name[..len];
                if name != b"." && name != b".." {
                    out.push(HostDirEntry {
                        ino,
                        dtype,
                        name: name.to_vec(),
                    });
                }
                at += reclen;
            }
        }
    }

    /// Makes the directory `name` in this directory.
    pub fn mkdir(&self, name: &[u8], mode: u32) -> Result<()> {
        let c = c_name(name)?;
        // SAFETY: `c` is NUL-terminated and outlives the call.
        check(unsafe { libc::mkdirat(self.raw(), c.as_ptr(), mode & 0o7777) }.into())?;
        Ok(())
    }

    /// Makes a device node, FIFO or socket `name` in this directory.
    pub fn mknod(&self, name: &[u8], mode: u32, rdev: u64) -> Result<()> {
        let c = c_name(name)?;
        // SAFETY: `c` is NUL-terminated and outlives the call.
        check(unsafe { libc::mknodat(self.raw(), c.as_ptr(), mode, rdev) }.into())?;
        Ok(())
    }

    /// Makes the symlink `name` to `target` in this directory.
    pub fn symlink(&self, name: &[u8], target: &[u8]) -> Result<()> {
        let (c, t) = (c_name(name)?, c_name(target)?);
        // SAFETY: both strings are NUL-terminated and outlive the call.
        check(unsafe { libc::symlinkat(t.as_ptr(), self.raw(), c.as_ptr()) }.into())?;
        Ok(())
    }

    /// Gives this file the further name `name` in the directory `dir`:
    /// `linkat` of the host's /proc/self/fd link to this descriptor, which
    /// any user may make (`AT_EMPTY_PATH`, tried where the host has no
    /// /proc, needs `CAP_DAC_READ_SEARCH`).
    pub fn link(&self, dir: &HostFd, name: &[u8]) -> Result<()> {
        let c = c_name(name)?;
        let via =
            CString::new(format!("/proc/self/fd/{}", self.raw())).map_err(|_| Errno::EINVAL)?;
        // SAFETY: both paths are NUL-terminated and outlive the call.
        let ret = unsafe {
            libc::linkat(
                libc::AT_FDCWD,
                via.as_ptr(),
                dir.raw(),
                c.as_ptr(),
                libc::AT_SYMLINK_FOLLOW,
            )
        };
        match check(ret.into()) {
            Err(Errno::ENOENT) if !Path::new("/proc/self/fd").exists() => {}
            r => return r.map(|_| ()),
        }
        // SAFETY: both paths are NUL-terminated and outlive the call.
        let ret = unsafe {
            libc::linkat(
                self.raw(),
                c"".as_ptr(),
                dir.raw(),
                c.as_ptr(),
                libc::AT_EMPTY_PATH,
            )
        };
        check(ret.into())?;
        Ok(())
    }

    /// Removes `name` from this directory: a directory if `dir`, else
    /// anything else.
    pub fn unlink(&self, name: &[u8], dir: bool) -> Result<()> {
        let c = c_name(name)?;
        let flags = if dir { libc::AT_REMOVEDIR } else { 0 };
        // SAFETY: `c` is NUL-terminated and outlives the call.
        check(unsafe { libc::unlinkat(self.raw(), c.as_ptr(), flags) }.into())?;
        Ok(())
    }

    /// Moves `old` of this directory to `new` of `new_dir` (renameat2(2),
    /// whose `flags` are Linux's `RENAME_*`).
    pub fn rename(&self, old: &[u8], new_dir: &HostFd, new: &[u8], flags: u32) -> Result<()> {
        let (o, n) = (c_name(old)?, c_name(new)?);
        // SAFETY: both names are NUL-terminated and outlive the call.
        let ret = unsafe {
            libc::syscall(
                libc::SYS_renameat2,
                self.raw(),
                o.as_ptr(),
                new_dir.raw(),
                n.as_ptr(),
                flags,
            )
        };
        check(ret)?;
        Ok(())
    }

    /// Sets the permission bits (fchmod; not for `O_PATH` descriptors).
    pub fn chmod(&self, mode: u32) -> Result<()> {
        // SAFETY: a plain call on a descriptor this object owns.
        check(unsafe { libc::fchmod(self.raw(), mode & 0o7777) }.into())?;
        Ok(())
    }

    /// Sets the owner and group; None leaves one as it is.
    pub fn chown(&self, uid: Option<u32>, gid: Option<u32>) -> Result<()> {
        let uid = uid.unwrap_or(u32::MAX);
        let gid = gid.unwrap_or(u32::MAX);
        // SAFETY: the path is an empty NUL-terminated string; with
        // AT_EMPTY_PATH the call acts on the descriptor itself.
        let ret = unsafe {
            libc::fchownat(
                self.raw(),
                c"".as_ptr(),
                uid,
                gid,
                libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        check(ret.into())?;
        Ok(())
    }

    /// Sets the size of this regular file.
    pub fn truncate(&self, size: u64) -> Result<()> {
        let size = i64::try_from(size).map_err(|_| Errno::EFBIG)?;
        // SAFETY: a plain call on a descriptor this object owns.
        check(unsafe { libc::ftruncate(self.raw(), size) }.into())?;
        Ok(())
    }

    /// Sets the access and modification times.
    pub fn set_times(&self, atime: HostTime, mtime: HostTime) -> Result<()> {
        let times = [atime.timespec(), mtime.timespec()];
        // SAFETY: the path is an empty NUL-terminated string and `times`
        // two timespecs; with AT_EMPTY_PATH the call acts on the descriptor.
        let ret = unsafe {
            libc::utimensat(
                self.raw(),
                c"".as_ptr(),
                times.as_ptr(),
                libc::AT_EMPTY_PATH | libc::AT_SYMLINK_NOFOLLOW,
            )
        };
        check(ret.into())?;
        Ok(())
    }

    /// Flushes the file's data to the host's storage.
    pub fn sync(&self) -> Result<()> {
        // SAFETY: a plain call on a descriptor this object owns.
        check(unsafe { libc::fsync(self.raw()) }.into())?;
        Ok(())
    }

    /// Returns the figures of the host filesystem holding this file.
    pub fn statfs(&self) -> Result<HostStatFs> {
        let mut st = std::mem::MaybeUninit::<libc::statfs>::zeroed();
        // SAFETY: `st` is a writable statfs buffer that outlives the call.
        check(unsafe { libc::fstatfs(self.raw(), st.as_mut_ptr()) }.into())?;
        // SAFETY: fstatfs succeeded and filled the (zeroed) buffer.
        let st = unsafe { st.assume_init() };
        Ok(HostStatFs {
            bsize: st.f_bsize as u64,
            blocks: st.f_blocks,
            bfree: st.f_bfree,
            bavail: st.f_bavail,
            files: st.f_files,
            ffree: st.f_ffree,
            namelen: st.f_namelen as u64,
            frsize: st.f_frsize as u64,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Makes a scratch tree: DIR/in (a file), DIR/root/up -> .., DIR/root/abs -> /etc.
    fn tree(tag: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("hostfs-{tag}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(d.join("root/sub")).unwrap();
        std::fs::write(d.join("secret"), b"secret").unwrap();
        std::fs::write(d.join("root/sub/f"), b"hello").unwrap();
        std::os::unix::fs::symlink("..", d.join("root/up")).unwrap();
        std::os::unix::fs::symlink(d.join("secret"), d.join("root/abs")).unwrap();
        d
    }

    #[test]
    fn hostfs_open_stays_beneath() {
        let d = tree("beneath");
        let root = HostFd::open_root(&d.join("root")).unwrap();
        let f = root.open(b"sub/f", OpenKind::Read).unwrap();
        let mut buf = [0u8; 16];
        assert_eq!(f.read_at(0, &mut buf).unwrap(), 5);
        assert_eq!(
            root.open(b"../secret", OpenKind::Read).unwrap_err(),
            Errno::EXDEV
        );
        assert_eq!(
            root.open(b"up/secret", OpenKind::Read).unwrap_err(),
            Errno::EXDEV
        );
        assert_eq!(root.open(b"abs", OpenKind::Read).unwrap_err(), Errno::ELOOP);
        assert_eq!(
            root.open(b"abs/x", OpenKind::Path).unwrap_err(),
            Errno::EXDEV
        );
        assert_eq!(
            root.open(b"a\0b", OpenKind::Read).unwrap_err(),
            Errno::EINVAL
        );
        assert_eq!(root.open(b"", OpenKind::Path).unwrap_err(), Errno::ENOENT);
        let l = root.open(b"abs", OpenKind::Path).unwrap();
        assert_eq!(
            l.readlink().unwrap(),
            d.join("secret").as_os_str().as_encoded_bytes()
        );
        let names: Vec<_> = root
            .read_dir()
            .unwrap()
            .into_iter()
            .map(|e| e.name)
            .collect();
        assert_eq!(names.len(), 3);
        let _ = std::fs::remove_dir_all(&d);
    }
}
