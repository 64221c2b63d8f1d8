//! Mount namespaces and mount propagation (Linux's fs/pnode.c and
//! Documentation/filesystems/sharedsubtree.rst). Every namespace's mounts
//! are in the one list of the `Vfs`: a path walk only ever meets the mounts
//! whose parent is the mount it is in, so the namespaces stay apart by
//! themselves, and a namespace is the tree under its root mount.
//!
//! A shared mount belongs to a peer group: a mount or unmount below one
//! peer happens below every peer too, and below their slaves (mounts whose
//! master is the group), not the other way round. Copies made for a new
//! namespace are peers of their originals, so that systemd's services see
//! the mounts made later unless they ask for `MS_SLAVE` or `MS_PRIVATE`.

use crate::dentry::Dentry;
use crate::mount::{Mount, Path};
use crate::vfs::Vfs;
use arch::{Errno, Result};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

/// The peer group of a mount, its master's, and whether it may be bound.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Propagation {
    /// The peer group (0: not shared).
    pub shared: u32,
    /// The peer group it receives from (0: not a slave).
    pub master: u32,
    pub unbindable: bool,
}

/// A change asked by mount(2)'s `MS_SHARED`, `MS_SLAVE`, `MS_PRIVATE` or
/// `MS_UNBINDABLE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Change {
    Shared,
    Slave,
    Private,
    Unbindable,
}

static NEXT_GROUP: AtomicU32 = AtomicU32::new(1);

fn new_group() -> u32 {
    NEXT_GROUP.fetch_add(1, Ordering::Relaxed)
}

/// Returns the mounts that hear of what happens below `parent`, each with
/// whether it is a peer of `parent` (else it receives as a slave).
fn receivers(all: &[Arc<Mount>], parent: &Arc<Mount>) -> Vec<(Arc<Mount>, bool)> {
    let first = parent.propagation().shared;
    if first == 0 {
        return Vec::new();
    }
    let mut groups = vec![first];
    let mut out: Vec<(Arc<Mount>, bool)> = Vec::new();
    let mut i = 0;
    while i < groups.len() {
        let g = groups[i];
        for m in all {
            if Arc::ptr_eq(m, parent) || out.iter().any(|(o, _)| Arc::ptr_eq(o, m)) {
                continue;
            }
            let p = m.propagation();
            if p.shared == g {
                out.push((m.clone(), g == first));
            } else if p.master == g {
                out.push((m.clone(), false));
                if p.shared != 0 && !groups.contains(&p.shared) {
                    groups.push(p.shared);
                }
            }
        }
        i += 1;
    }
    out
}

/// Returns every mount of the tree, the root first.
fn with_root(vfs: &Vfs, mounts: &[Arc<Mount>]) -> Vec<Arc<Mount>> {
    let mut all = vec![vfs.root().mnt];
    all.extend(mounts.iter().cloned());
    all
}

/// Returns whether `d` can be seen through mount `m`.
fn visible_in(m: &Mount, d: &Arc<Dentry>) -> bool {
    d.descends_from(m.root())
}

impl Vfs {
    /// Spreads the mounts `new` (just attached, parents first) to the
    /// receivers of their parents; returns the copies, already attached.
    pub(crate) fn propagate_mounts(
        &self,
        mounts: &mut Vec<Arc<Mount>>,
        new: &[Arc<Mount>],
    ) -> Vec<Arc<Mount>> {
        let mut made = Vec::new();
        for n in new {
            let Some((parent, at)) = n.mountpoint() else {
                continue;
            };
            let all = with_root(self, mounts);
            let mine = n.propagation();
            // A mount under a shared one is shared itself, in a group of
            // its own that its copies in the parent's peers join.
            let group = if parent.propagation().shared != 0 && mine.shared == 0 {
                let g = new_group();
                n.set_propagation(Propagation { shared: g, ..mine });
                g
            } else {
                mine.shared
            };
            let mut slave_groups: Vec<(u32, u32)> = Vec::new();
            for (q, peer) in receivers(&all, &parent) {
                if !visible_in(&q, &at) {
                    continue;
                }
                let copy = Mount::new(
                    n.fs().clone(),
                    n.root().clone(),
                    Some((q.clone(), at.clone())),
                    n.flags(),
                    n.source(),
                );
                let prop = if peer {
                    Propagation {
                        shared: group,
                        master: mine.master,
                        unbindable: false,
                    }
                } else {
                    // Copies in a slave's peer group form a group of their
                    // own, a slave of the new mount's.
                    let qs = q.propagation().shared;
                    let shared = if qs == 0 {
                        0
                    } else if let Some((_, g)) = slave_groups.iter().find(|(s, _)| *s == qs) {
                        *g
                    } else {
                        let g = new_group();
                        slave_groups.push((qs, g));
                        g
                    };
                    Propagation {
                        shared,
                        master: group,
                        unbindable: false,
                    }
                };
                copy.set_propagation(prop);
                mounts.push(copy.clone());
                made.push(copy);
            }
        }
        made
    }

    /// Returns the mounts that an unmount of `gone` (on `parent` at `at`)
    /// takes with it in the receivers of `parent`: the ones of the same
    /// filesystem and root mounted at the same place.
    pub(crate) fn propagated_unmounts(
        &self,
        mounts: &[Arc<Mount>],
        gone: &Arc<Mount>,
    ) -> Vec<Arc<Mount>> {
        let Some((parent, at)) = gone.mountpoint() else {
            return Vec::new();
        };
        let all = with_root(self, mounts);
        let mut out = Vec::new();
        for (q, _) in receivers(&all, &parent) {
            let hit = mounts.iter().rev().find(|m| {
                m.mountpoint()
                    .is_some_and(|(pm, pd)| Arc::ptr_eq(&pm, &q) && Arc::ptr_eq(&pd, &at))
                    && Arc::ptr_eq(m.root(), gone.root())
            });
            if let Some(m) = hit {
                out.push(m.clone());
            }
        }
        out
    }

    /// Changes the propagation of the mount whose root `path` is, and with
    /// `recursive` of every mount below it (mount(2) with `MS_SHARED` and
    /// the like).
    pub fn change_propagation(&self, path: &Path, change: Change, recursive: bool) -> Result<()> {
        if !Arc::ptr_eq(&path.dentry, path.mnt.root()) {
            return Err(Errno::EINVAL);
        }
        let mounts = self.lock_mounts()?;
        let mut targets = vec![path.mnt.clone()];
        if recursive {
            targets.extend(super::namespace::descendants(&mounts, &path.mnt));
        }
        let all = with_root(self, &mounts);
        for m in targets {
            let p = m.propagation();
            let new = match change {
                Change::Shared if p.shared != 0 => p,
                Change::Shared => Propagation {
                    shared: new_group(),
                    unbindable: false,
                    ..p
                },
                Change::Slave => {
                    let others = p.shared != 0
                        && all
                            .iter()
                            .any(|o| !Arc::ptr_eq(o, &m) && o.propagation().shared == p.shared);
                    Propagation {
                        shared: 0,
                        master: if others { p.shared } else { p.master },
                        unbindable: false,
                    }
                }
                Change::Private => Propagation::default(),
                Change::Unbindable => Propagation {
                    unbindable: true,
                    ..Propagation::default()
                },
            };
            m.set_propagation(new);
        }
        Ok(())
    }

    /// Copies the namespace whose root mount is `root` (unshare and clone
    /// with `CLONE_NEWNS`): every mount of it, in order, each copy a peer
    /// of its original. Returns (original, copy) pairs, the root's first.
    pub fn copy_namespace(&self, root: &Arc<Mount>) -> Result<Vec<(Arc<Mount>, Arc<Mount>)>> {
        let mut mounts = self.lock_mounts()?;
        let all = with_root(self, &mounts);
        let mut pairs: Vec<(Arc<Mount>, Arc<Mount>)> = Vec::new();
        let copy = |m: &Arc<Mount>, mountpoint| {
            let c = Mount::new(
                m.fs().clone(),
                m.root().clone(),
                mountpoint,
                m.flags(),
                m.source(),
            );
            c.set_propagation(m.propagation());
            c
        };
        pairs.push((root.clone(), copy(root, None)));
        // Parents before children (after a pivot_root the list's order is
        // not the tree's), in list order among siblings.
        loop {
            let before = pairs.len();
            for m in &all {
                if pairs.iter().any(|(o, _)| Arc::ptr_eq(o, m)) {
                    continue;
                }
                let Some((p, d)) = m.mountpoint() else {
                    continue;
                };
                if let Some((_, pc)) = pairs.iter().find(|(o, _)| Arc::ptr_eq(o, &p)) {
                    let c = copy(m, Some((pc.clone(), d)));
                    pairs.push((m.clone(), c));
                }
            }
            if pairs.len() == before {
                break;
            }
        }
        mounts.extend(pairs.iter().map(|(_, c)| c.clone()));
        Ok(pairs)
    }

    /// Takes every mount of the namespace whose root mount is `root` out of
    /// the tree: the last process in it has gone.
    pub fn drop_namespace(&self, root: &Arc<Mount>) {
        let Ok(mut mounts) = self.lock_mounts() else {
            return;
        };
        let gone: Vec<_> = mounts
            .iter()
            .filter(|m| Arc::ptr_eq(&m.top(), root))
            .cloned()
            .collect();
        mounts.retain(|m| !gone.iter().any(|g| Arc::ptr_eq(g, m)));
        drop(mounts);
        for m in gone.iter().rev() {
            m.set_mountpoint(None);
        }
    }

    /// pivot_root(2) in the namespace of `root` (the caller's root, which
    /// must be its namespace's root mount): `new_root`, a mount root,
    /// becomes the namespace's root, and the old root is mounted at
    /// `put_old`, at or under `new_root`. `EINVAL` for the cases Linux
    /// refuses (new_root not a mount, put_old outside it, a shared parent),
    /// `EBUSY` when new_root or put_old is the current root.
    pub fn pivot_root(&self, root: &Path, new_root: &Path, put_old: &Path) -> Result<()> {
        use crate::types::FileType;
        if new_root.inode().file_type() != FileType::Directory
            || put_old.inode().file_type() != FileType::Directory
        {
            return Err(Errno::ENOTDIR);
        }
        if new_root.same(root) || put_old.same(root) {
            return Err(Errno::EBUSY);
        }
        let old = root.mnt.clone();
        if !Arc::ptr_eq(&root.dentry, old.root()) || old.mountpoint().is_some() {
            return Err(Errno::EINVAL);
        }
        let new = new_root.mnt.clone();
        if !Arc::ptr_eq(&new_root.dentry, new.root()) || !Arc::ptr_eq(&new.top(), &old) {
            return Err(Errno::EINVAL);
        }
        let Some((new_parent, _)) = new.mountpoint() else {
            return Err(Errno::EINVAL);
        };
        if new_parent.propagation().shared != 0 || old.propagation().shared != 0 {
            return Err(Errno::EINVAL);
        }
        // put_old must be new_root or below it.
        let (_, inside) = put_old.to_bytes_within(new_root);
        if !inside {
            return Err(Errno::EINVAL);
        }
        let mut mounts = self.lock_mounts()?;
        new.set_mountpoint(None);
        old.set_mountpoint(Some((put_old.mnt.clone(), put_old.dentry.clone())));
        if Arc::ptr_eq(&old, &self.root().mnt) {
            return Ok(());
        }
        // The old root joins the list if it was a namespace root there;
        // the new one stays in it as the root of the namespace.
        if !mounts.iter().any(|m| Arc::ptr_eq(m, &old)) {
            mounts.push(old);
        }
        Ok(())
    }
}
