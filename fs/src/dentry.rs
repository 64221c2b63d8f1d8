//! Dentries: the names that join inodes into a tree. A dentry holds its name, its
//! parent, its inode and a cache of the children that positive lookups found, so
//! that a path resolves to the same `Arc<Dentry>` each time (mount points are found
//! by that identity). The VFS keeps the cache true to the filesystem: a removed
//! name is forgotten and its dentry marked deleted, and a renamed dentry moves
//! (`d_move`) with its cached subtree, so open files and working directories
//! inside it see the new path.

use crate::inode::Inode;
use arch::sync::Mutex;
use arch::Result;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

/// A name of an inode in its parent directory.
pub struct Dentry {
    name: Mutex<Vec<u8>>,
    parent: Mutex<Option<Arc<Dentry>>>,
    inode: Arc<dyn Inode>,
    children: Mutex<BTreeMap<Vec<u8>, Arc<Dentry>>>,
    deleted: AtomicBool,
}

impl Dentry {
    fn new(name: &[u8], parent: Option<Arc<Dentry>>, inode: Arc<dyn Inode>) -> Arc<Dentry> {
        Arc::new(Dentry {
            name: Mutex::new(name.to_vec()),
            parent: Mutex::new(parent),
            inode,
            children: Mutex::default(),
            deleted: AtomicBool::new(false),
        })
    }

    /// Creates the root dentry of a filesystem.
    pub fn new_root(inode: Arc<dyn Inode>) -> Arc<Dentry> {
        Dentry::new(b"/", None, inode)
    }

    /// Creates a dentry of `inode` outside the tree, named "/" and without
    /// a parent: a non-directory found by file handle (Linux's
    /// `d_obtain_alias` making a disconnected alias).
    pub(crate) fn new_anon(inode: Arc<dyn Inode>) -> Arc<Dentry> {
        Dentry::new(b"/", None, inode)
    }

    /// Creates the dentry of the unnamed file `inode` (`O_TMPFILE`) below
    /// `parent`: named "#INO", deleted from the start and never cached in
    /// the parent, as Linux's d_tmpfile() makes it.
    pub(crate) fn new_tmpfile(parent: &Arc<Dentry>, inode: Arc<dyn Inode>) -> Arc<Dentry> {
        let name = format!("#{}", inode.ino());
        let d = Dentry::new(name.as_bytes(), Some(parent.clone()), inode);
        d.deleted.store(true, Ordering::Relaxed);
        d
    }

    /// Returns the name (the root's is "/").
    pub fn name(&self) -> Vec<u8> {
        self.name.lock().clone()
    }

    /// Returns the parent, `None` for the root of a filesystem.
    pub fn parent(&self) -> Option<Arc<Dentry>> {
        self.parent.lock().clone()
    }

    /// Returns the inode.
    pub fn inode(&self) -> &Arc<dyn Inode> {
        &self.inode
    }

    /// Returns whether the name was removed (unlink, rmdir, or replaced by a rename).
    pub fn is_deleted(&self) -> bool {
        self.deleted.load(Ordering::Relaxed)
    }

    /// Returns the child `name`, from the cache or by asking the inode.
    /// A cached child whose inode no longer `revalidate`s is dropped first.
    pub fn lookup(self: &Arc<Self>, name: &[u8]) -> Result<Arc<Dentry>> {
        let cached = self.children.lock().get(name).cloned();
        if let Some(d) = cached {
            if d.inode.revalidate() {
                return Ok(d);
            }
            d.delete();
        }
        let inode = self.inode.lookup(name)?;
        let child = Dentry::new(name, Some(self.clone()), inode);
        let mut children = self.children.lock();
        // Directories whose entries come and go (/proc) would keep a dentry for
        // every name ever looked up: sweep the stale ones as the cache doubles.
        let n = children.len();
        if n >= 64 && n.is_power_of_two() {
            children.retain(|_, d| {
                let keep = d.inode.revalidate();
                if !keep {
                    d.deleted.store(true, Ordering::Relaxed);
                }
                keep
            });
        }
        Ok(children.entry(name.to_vec()).or_insert(child).clone())
    }

    /// Drops the cached child `name` (after it was removed or renamed).
    pub fn forget(&self, name: &[u8]) {
        {
            let mut c = self.children.lock();
            c.remove(name);
        }
    }

    /// Marks the name removed and drops it from its parent's cache.
    pub(crate) fn delete(&self) {
        self.deleted.store(true, Ordering::Relaxed);
        if let Some(p) = self.parent() {
            p.forget_if(&self.name(), self);
        }
    }

    /// Drops the cached child `name` if it is `which`.
    fn forget_if(&self, name: &[u8], which: &Dentry) {
        {
            let mut c = self.children.lock();
            if c.get(name).is_some_and(|d| std::ptr::eq(&**d, which)) {
                c.remove(name);
            }
        }
    }

    /// Moves this dentry to `new_name` under `new_parent` (Linux's d_move); a
    /// dentry cached there before is marked deleted.
    pub(crate) fn d_move(self: &Arc<Self>, new_parent: &Arc<Dentry>, new_name: &[u8]) {
        if let Some(p) = self.parent() {
            p.forget_if(&self.name(), self);
        }
        let replaced = new_parent
            .children
            .lock()
            .insert(new_name.to_vec(), self.clone());
        if let Some(r) = replaced {
            if !Arc::ptr_eq(&r, self) {
                r.deleted.store(true, Ordering::Relaxed);
            }
        }
        self.set_place(new_parent, new_name);
    }

    /// Swaps the places of two dentries (RENAME_EXCHANGE, Linux's d_exchange).
    pub(crate) fn d_exchange(a: &Arc<Dentry>, b: &Arc<Dentry>) {
        let (a_parent, a_name) = (a.parent(), a.name());
        let (b_parent, b_name) = (b.parent(), b.name());
        let (Some(a_parent), Some(b_parent)) = (a_parent, b_parent) else {
            return;
        };
        {
            let mut c = a_parent.children.lock();
            c.insert(a_name.clone(), b.clone());
        }
        {
            let mut c = b_parent.children.lock();
            c.insert(b_name.clone(), a.clone());
        }
        a.set_place(&b_parent, &b_name);
        b.set_place(&a_parent, &a_name);
    }

    fn set_place(&self, parent: &Arc<Dentry>, name: &[u8]) {
        {
            let mut n = self.name.lock();
            *n = name.to_vec();
        }
        {
            let mut p = self.parent.lock();
            *p = Some(parent.clone());
        }
    }

    /// Returns the root of the tree this dentry is in.
    pub(crate) fn top(self: &Arc<Self>) -> Arc<Dentry> {
        let mut top = self.clone();
        while let Some(p) = top.parent() {
            top = p;
        }
        top
    }

    /// Drops the cached children of the tree this dentry is in, from its top
    /// down (Linux's `shrink_dcache_for_umount`): a child holds its parent
    /// and the parent caches the child, so without this a tree, its inodes
    /// and their filesystem would live on after the filesystem's last mount.
    /// Dentries still in use (open files, working directories) stay valid.
    pub(crate) fn prune_tree(self: &Arc<Self>) {
        let mut todo = vec![self.top()];
        while let Some(d) = todo.pop() {
            let children = std::mem::take(&mut *d.children.lock());
            todo.extend(children.into_values());
        }
    }

    /// Returns whether `ancestor` is this dentry or one above it.
    pub(crate) fn descends_from(self: &Arc<Self>, ancestor: &Arc<Dentry>) -> bool {
        let mut cur = Some(self.clone());
        while let Some(d) = cur {
            if Arc::ptr_eq(&d, ancestor) {
                return true;
            }
            cur = d.parent();
        }
        false
    }
}

impl Drop for Dentry {
    /// Releasing the last dentry of an inode with no links left ends the
    /// watches on it (`fsnotify::dentry_released`).
    fn drop(&mut self) {
        if self.is_deleted() {
            crate::fsnotify::dentry_released(self);
        }
    }
}

impl core::fmt::Debug for Dentry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Dentry({:?})", String::from_utf8_lossy(&self.name()))
    }
}
