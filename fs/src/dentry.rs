//! Dentries: the names that join inodes into a tree. A dentry holds its name, its
//! parent, its inode and a cache of the children that positive lookups found, so
//! that a path resolves to the same `Arc<Dentry>` each time (mount points are found
//! by that identity).

use crate::inode::Inode;
use arch::{Errno, Result};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

/// A name of an inode in its parent directory.
pub struct Dentry {
    name: Vec<u8>,
    parent: Option<Arc<Dentry>>,
    inode: Arc<dyn Inode>,
    children: Mutex<BTreeMap<Vec<u8>, Arc<Dentry>>>,
}

impl Dentry {
    /// Creates the root dentry of a filesystem.
    pub fn new_root(inode: Arc<dyn Inode>) -> Arc<Dentry> {
        Arc::new(Dentry {
            name: b"/".to_vec(),
            parent: None,
            inode,
            children: Mutex::default(),
        })
    }

    /// Returns the name (the root's is "/").
    pub fn name(&self) -> &[u8] {
        &self.name
    }

    /// Returns the parent, `None` for the root of a filesystem.
    pub fn parent(&self) -> Option<&Arc<Dentry>> {
        self.parent.as_ref()
    }

    /// Returns the inode.
    pub fn inode(&self) -> &Arc<dyn Inode> {
        &self.inode
    }

    /// Returns the child `name`, from the cache or by asking the inode.
    pub fn lookup(self: &Arc<Self>, name: &[u8]) -> Result<Arc<Dentry>> {
        if let Some(d) = self.children.lock().map_err(|_| Errno::EIO)?.get(name) {
            return Ok(d.clone());
        }
        let inode = self.inode.lookup(name)?;
        let child = Arc::new(Dentry {
            name: name.to_vec(),
            parent: Some(self.clone()),
            inode,
            children: Mutex::default(),
        });
        let mut children = self.children.lock().map_err(|_| Errno::EIO)?;
        Ok(children.entry(name.to_vec()).or_insert(child).clone())
    }

    /// Drops the cached child `name` (after it was removed or renamed).
    pub fn forget(&self, name: &[u8]) {
        if let Ok(mut c) = self.children.lock() {
            c.remove(name);
        }
    }
}

impl core::fmt::Debug for Dentry {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Dentry({:?})", String::from_utf8_lossy(&self.name))
    }
}
