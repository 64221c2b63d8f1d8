//! Names: bind(2) and autobind, and finding the socket an address names for
//! connect(2) and sendto(2) (Linux's `unix_bind` and `unix_find_other`).
//! Binding a path makes a socket file (S_IFSOCK, mode 0777 less the umask)
//! with mknod, as the caller may; an existing name is EADDRINUSE. Reaching a
//! path socket needs write permission on its file, and the file must be the
//! very inode a live socket bound: a stale socket file is ECONNREFUSED, and
//! so is a missing abstract name.

use super::table::{self, InodeKey};
use super::{UnixAddr, UnixSocket};
use crate::net::SockType;
use arch::{Errno, Result};
use fs::{Access, Credentials, FileType, Inode, LookupFlags, Path, Vfs};
use std::sync::Arc;

/// What resolving and creating socket files needs of the caller.
pub(crate) struct NameContext<'a> {
    pub vfs: &'a Vfs,
    pub cred: Credentials,
    pub root: Path,
    pub cwd: Path,
    pub umask: u32,
}

/// Returns the identity of a socket file.
pub(super) fn inode_key(inode: &dyn Inode) -> Option<InodeKey> {
    inode.stat().ok().map(|st| (st.dev, st.ino))
}

impl UnixSocket {
    /// Binds the socket to `addr` (bind(2)); `None` asks for an autobind
    /// name. EINVAL if it already has a name.
    pub(crate) fn bind(self: &Arc<Self>, nc: &NameContext, addr: Option<UnixAddr>) -> Result<()> {
        let path = match addr {
            None => return self.autobind(),
            Some(UnixAddr::Abstract(name)) => {
                if self.state().addr.is_some() {
                    return Err(Errno::EINVAL);
                }
                table::bind_abstract(self.kind, &name, self)?;
                self.state().addr = Some(UnixAddr::Abstract(name));
                return Ok(());
            }
            Some(UnixAddr::Path(p)) => p,
        };
        let mode = FileType::Socket.to_mode_bits() | (0o777 & !nc.umask);
        let inode = nc
            .vfs
            .mknod_inode(&nc.cred, &nc.root, &nc.cwd, &path, mode, 0)
            .map_err(|e| match e {
                Errno::EEXIST => Errno::EADDRINUSE,
                e => e,
            })?;
        // Linux makes the file first and only then finds the socket bound:
        // the file goes again.
        let key = inode_key(inode.as_ref());
        if self.state().addr.is_some() || key.is_none() {
            let _ = nc.vfs.unlink(&nc.cred, &nc.root, &nc.cwd, &path);
            return Err(Errno::EINVAL);
        }
        if let Some(key) = key {
            table::bind_inode(key, self);
        }
        let mut s = self.state();
        s.addr = Some(UnixAddr::Path(path));
        s.inode = Some(inode);
        Ok(())
    }

    /// Gives an unnamed socket an abstract name of five hex digits (Linux's
    /// `unix_autobind`); a named socket keeps its name.
    pub(crate) fn autobind(self: &Arc<Self>) -> Result<()> {
        if self.state().addr.is_some() {
            return Ok(());
        }
        let name = table::autobind(self.kind, self)?;
        self.state().addr = Some(UnixAddr::Abstract(name));
        Ok(())
    }
}

/// Returns the live socket of type `kind` that `addr` names: ENOENT and the
/// other path errors, EACCES without write permission on the socket file,
/// ECONNREFUSED if no socket answers, EPROTOTYPE for another type.
pub(crate) fn find(
    nc: &NameContext,
    addr: &UnixAddr,
    kind: SockType,
    net: &crate::net::Net,
) -> Result<Arc<UnixSocket>> {
    let path = match addr {
        UnixAddr::Abstract(name) => {
            return table::find_abstract(net, kind, name).ok_or(Errno::ECONNREFUSED)
        }
        UnixAddr::Path(p) => p,
    };
    let found = nc
        .vfs
        .lookup(&nc.cred, &nc.root, &nc.cwd, path, LookupFlags::FOLLOW)?;
    let st = found.inode().stat()?;
    fs::permission(&nc.cred, &st, Access::WRITE)?;
    if FileType::from_mode(st.mode) != Some(FileType::Socket) {
        return Err(Errno::ECONNREFUSED);
    }
    let sock = table::find_inode((st.dev, st.ino)).ok_or(Errno::ECONNREFUSED)?;
    if sock.kind != kind {
        return Err(Errno::EPROTOTYPE);
    }
    Ok(sock)
}
