//! tmpfs directories: a name index plus readdir positions. Every entry gets a
//! position (a "cookie") larger than any before it, never reused, so a listing
//! that resumes at a position neither repeats nor skips entries that stayed,
//! whatever was added or removed in between. Positions 0 and 1 are "." and "..";
//! a listing that reached the end stays there (`END_OF_DIR`), so a program that
//! creates files while it reads the directory is not fed them for ever.

use super::attr::Meta;
use super::file::Pages;
use super::inode::{Body, Inode};
use super::is_dir;
use crate::inode::Inode as VfsInode;
use crate::namei::NAME_MAX;
use crate::types::{DirEntry, FileType, Owner, Timespec};
use arch::{Errno, Result};
use std::collections::BTreeMap;
use std::sync::{Arc, Weak};

/// The set-group-ID bit, which directories pass on to what is created in them.
const S_ISGID: u32 = 0o2000;
/// The first position after "." and "..".
const FIRST_COOKIE: u64 = 2;
/// The position of a listing that reached the end: past every cookie.
const END_OF_DIR: u64 = i64::MAX as u64;

struct Entry {
    cookie: u64,
    inode: Arc<Inode>,
}

/// The entries of a directory.
pub(super) struct Dir {
    entries: BTreeMap<Vec<u8>, Entry>,
    /// Names by position.
    order: BTreeMap<u64, Vec<u8>>,
    next_cookie: u64,
    parent: Weak<Inode>,
}

impl Dir {
    /// Creates an empty directory inside `parent`.
    pub fn new(parent: Weak<Inode>) -> Dir {
        Dir {
            entries: BTreeMap::new(),
            order: BTreeMap::new(),
            next_cookie: FIRST_COOKIE,
            parent,
        }
    }

    /// Returns the number of entries ("." and ".." not counted).
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    /// Returns the inode named `name`.
    pub fn get(&self, name: &[u8]) -> Option<&Arc<Inode>> {
        self.entries.get(name).map(|e| &e.inode)
    }

    /// Adds `name` at a new position.
    pub fn insert(&mut self, name: &[u8], inode: Arc<Inode>) {
        let cookie = self.next_cookie;
        self.next_cookie += 1;
        self.order.insert(cookie, name.to_vec());
        if let Some(old) = self.entries.insert(name.to_vec(), Entry { cookie, inode }) {
            self.order.remove(&old.cookie);
        }
    }

    /// Removes `name`, returning its inode.
    pub fn remove(&mut self, name: &[u8]) -> Option<Arc<Inode>> {
        let e = self.entries.remove(name)?;
        self.order.remove(&e.cookie);
        Some(e.inode)
    }

    /// Points the existing `name` at `inode` (at the same position); returns the
    /// inode it named.
    pub fn replace(&mut self, name: &[u8], inode: Arc<Inode>) -> Option<Arc<Inode>> {
        let e = self.entries.get_mut(name)?;
        Some(std::mem::replace(&mut e.inode, inode))
    }

    /// Returns the parent directory (the root is its own).
    pub fn parent(&self) -> Option<Arc<Inode>> {
        self.parent.upgrade()
    }

    /// Makes `parent` the parent directory (after a rename).
    pub fn set_parent(&mut self, parent: &Arc<Inode>) {
        self.parent = Arc::downgrade(parent);
    }
}

/// Returns the owner and permission bits of a new inode of type `ft` that
/// `owner` makes with `mode` in the directory with attributes `dir`: in a
/// set-group-ID directory it takes the directory's group, and a new
/// directory the set-group-ID bit too, as Linux's inode_init_owner().
fn inherit(dir: &Meta, ft: FileType, mode: u32, owner: Owner) -> (Owner, u32) {
    let (gid, mode) = match dir.mode & S_ISGID != 0 {
        true if is_dir(ft) => (dir.gid, mode | S_ISGID),
        true => (dir.gid, mode),
        false => (owner.gid, mode),
    };
    let owner = Owner {
        uid: owner.uid,
        gid,
    };
    (owner, mode)
}

/// Checks that `name` can be the name of a new entry.
pub(super) fn check_new_name(name: &[u8]) -> Result<()> {
    match name {
        b"" => Err(Errno::ENOENT),
        b"." | b".." => Err(Errno::EEXIST),
        _ if name.len() > NAME_MAX => Err(Errno::ENAMETOOLONG),
        _ if name.contains(&b'/') || name.contains(&0) => Err(Errno::EINVAL),
        _ => Ok(()),
    }
}

impl Inode {
    /// Runs `f` on the attributes and entries of this directory (`ENOTDIR`).
    pub(super) fn with_dir<R>(
        &self,
        f: impl FnOnce(&mut Meta, &mut Dir) -> Result<R>,
    ) -> Result<R> {
        let mut st = self.state()?;
        let st = &mut *st;
        match &mut st.body {
            Body::Dir(d) => f(&mut st.meta, d),
            _ => Err(Errno::ENOTDIR),
        }
    }

    /// Runs `f` on the attributes of this inode.
    pub(super) fn with_meta<R>(&self, f: impl FnOnce(&mut Meta) -> R) -> Result<R> {
        Ok(f(&mut self.state()?.meta))
    }

    /// Returns the entry `name` (`ENOENT`; also in a removed directory).
    pub(super) fn child(&self, name: &[u8]) -> Result<Arc<Inode>> {
        if name.len() > NAME_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        self.with_dir(|m, d| match d.get(name) {
            Some(i) if m.nlink > 0 => Ok(i.clone()),
            _ => Err(Errno::ENOENT),
        })
    }

    /// Returns the entry `name`, or None if there is none.
    pub(super) fn child_opt(&self, name: &[u8]) -> Result<Option<Arc<Inode>>> {
        match self.child(name) {
            Ok(i) => Ok(Some(i)),
            Err(Errno::ENOENT) => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// Returns whether this is a directory with no entries.
    pub(super) fn is_empty_dir(&self) -> Result<bool> {
        self.with_dir(|_, d| Ok(d.len() == 0))
    }

    /// Creates the entry `name`: a new inode of type `ft` with permission bits
    /// `mode` and the body `body` makes. Owned by `owner`; group and
    /// set-group-ID bit as inode_init_owner() gives them in a set-group-ID
    /// directory.
    pub(super) fn add(
        &self,
        name: &[u8],
        ft: FileType,
        mode: u32,
        owner: Owner,
        body: impl FnOnce() -> Body,
    ) -> Result<Arc<Inode>> {
        check_new_name(name)?;
        let _ns = self.sb.lock_namespace()?;
        let now = self.sb.now();
        self.with_dir(|m, d| {
            if m.nlink == 0 {
                return Err(Errno::ENOENT);
            }
            if d.get(name).is_some() {
                return Err(Errno::EEXIST);
            }
            let (owner, mode) = inherit(m, ft, mode, owner);
            let inode = Inode::new(&self.sb, ft, mode, owner, body())?;
            d.insert(name, inode.clone());
            if is_dir(ft) {
                m.nlink += 1;
            }
            m.modified(now);
            Ok(inode)
        })
    }

    /// Creates a regular file with no name and no links (`Inode::tmpfile`),
    /// owned as `add` would make it in this directory.
    pub(super) fn do_tmpfile(&self, mode: u32, owner: Owner, linkable: bool) -> Result<Arc<Inode>> {
        let (owner, mode) = self.with_dir(|m, _| Ok(inherit(m, FileType::Regular, mode, owner)))?;
        let body = Body::File(Pages::default());
        let inode = Inode::new(&self.sb, FileType::Regular, mode, owner, body)?;
        inode.with_meta(|m| {
            m.nlink = 0;
            m.linkable = linkable;
        })?;
        Ok(inode)
    }

    /// Adds the name `name` for the non-directory `target`.
    pub(super) fn do_link(&self, name: &[u8], target: &Arc<Inode>) -> Result<()> {
        if is_dir(target.file_type()) {
            return Err(Errno::EPERM);
        }
        check_new_name(name)?;
        let _ns = self.sb.lock_namespace()?;
        let now = self.sb.now();
        self.with_dir(|m, d| {
            if m.nlink == 0 {
                return Err(Errno::ENOENT);
            }
            if d.get(name).is_some() {
                return Err(Errno::EEXIST);
            }
            target.with_meta(|t| {
                if t.nlink == 0 && !t.linkable {
                    return Err(Errno::ENOENT);
                }
                t.linkable = false;
                t.nlink += 1;
                t.ctime = now;
                Ok(())
            })??;
            d.insert(name, target.clone());
            m.modified(now);
            Ok(())
        })
    }

    /// Removes the entry `name`: a non-directory (unlink) or an empty directory
    /// (rmdir).
    pub(super) fn remove(&self, name: &[u8], want_dir: bool) -> Result<()> {
        let _ns = self.sb.lock_namespace()?;
        let now = self.sb.now();
        let victim = self.child(name)?;
        match (want_dir, is_dir(victim.file_type())) {
            (false, true) => return Err(Errno::EISDIR),
            (true, false) => return Err(Errno::ENOTDIR),
            (true, true) if !victim.is_empty_dir()? => return Err(Errno::ENOTEMPTY),
            _ => {}
        }
        self.with_dir(|m, d| {
            d.remove(name);
            if want_dir {
                m.nlink -= 1;
            }
            m.modified(now);
            Ok(())
        })?;
        victim.unlinked(now)
    }

    /// Drops one link after a name of this inode went away; a directory loses
    /// all of them and is dead.
    pub(super) fn unlinked(&self, now: Timespec) -> Result<()> {
        let dir = is_dir(self.file_type());
        self.with_meta(|m| {
            m.nlink = if dir { 0 } else { m.nlink.saturating_sub(1) };
            m.ctime = now;
        })
    }

    /// Emits the entries from position `pos` (see `Inode::readdir`).
    pub(super) fn do_readdir(
        &self,
        pos: u64,
        emit: &mut dyn FnMut(&DirEntry) -> bool,
    ) -> Result<u64> {
        let now = self.sb.now();
        let ino = self.ino();
        self.with_dir(|m, d| {
            if m.nlink == 0 {
                return Err(Errno::ENOENT);
            }
            m.accessed(now);
            let parent = d.parent().map_or(ino, |p| p.ino());
            let dots: [(u64, &[u8]); 2] = [(ino, b"."), (parent, b"..")];
            for (i, (ino, name)) in dots.into_iter().enumerate().skip(pos as usize) {
                let e = DirEntry {
                    ino,
                    name,
                    file_type: FileType::Directory,
                    next_pos: i as u64 + 1,
                };
                if !emit(&e) {
                    return Ok(i as u64);
                }
            }
            for (&cookie, name) in d.order.range(pos.max(FIRST_COOKIE)..) {
                let Some(entry) = d.entries.get(name) else {
                    continue;
                };
                let e = DirEntry {
                    ino: entry.inode.ino(),
                    name,
                    file_type: entry.inode.file_type(),
                    next_pos: cookie + 1,
                };
                if !emit(&e) {
                    return Ok(cookie);
                }
            }
            Ok(END_OF_DIR)
        })
    }
}
