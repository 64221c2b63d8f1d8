//! File change notification (Linux's fsnotify): the VFS reports what happens
//! to inodes here, and whoever watches an inode (the kernel's inotify) has
//! attached a `Mark` to it: to the inode's `InodeState` (Linux's
//! `i_fsnotify_marks`), where an event finds it. An event on a file reaches the
//! marks of the file itself and, with the file's name, those of the directory
//! it is in; an event on a name (create, delete, move) reaches the marks of
//! the directory. When nothing is watched every hook costs one atomic load.
//!
//! A mark keeps its inode alive, as Linux pins a watched inode; since ext4
//! reuses the numbers of deleted inodes, the marks of an inode go (with
//! `IN_DELETE_SELF`) once its last link is gone and its last dentry released,
//! and the marks of a filesystem go (with `IN_UNMOUNT`) when its last mount
//! does; a list of every mark with its device serves that unmount only.

use crate::dentry::Dentry;
use crate::inode::Inode;
use crate::types::{FileType, SetAttr};
use arch::sync::{Mutex, MutexGuard};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::Arc;

pub const IN_ACCESS: u32 = 0x1;
pub const IN_MODIFY: u32 = 0x2;
pub const IN_ATTRIB: u32 = 0x4;
pub const IN_CLOSE_WRITE: u32 = 0x8;
pub const IN_CLOSE_NOWRITE: u32 = 0x10;
pub const IN_OPEN: u32 = 0x20;
pub const IN_MOVED_FROM: u32 = 0x40;
pub const IN_MOVED_TO: u32 = 0x80;
pub const IN_CREATE: u32 = 0x100;
pub const IN_DELETE: u32 = 0x200;
pub const IN_DELETE_SELF: u32 = 0x400;
pub const IN_MOVE_SELF: u32 = 0x800;
pub const IN_UNMOUNT: u32 = 0x2000;
pub const IN_Q_OVERFLOW: u32 = 0x4000;
pub const IN_IGNORED: u32 = 0x8000;
pub const IN_ONLYDIR: u32 = 0x0100_0000;
pub const IN_DONT_FOLLOW: u32 = 0x0200_0000;
pub const IN_EXCL_UNLINK: u32 = 0x0400_0000;
pub const IN_MASK_CREATE: u32 = 0x1000_0000;
pub const IN_MASK_ADD: u32 = 0x2000_0000;
pub const IN_ISDIR: u32 = 0x4000_0000;
pub const IN_ONESHOT: u32 = 0x8000_0000;
/// Every event a watch can ask for.
pub const IN_ALL_EVENTS: u32 = 0xfff;

/// A watch on one inode.
pub trait Mark: Send + Sync {
    /// Returns the watched inode, which the mark keeps alive.
    fn inode(&self) -> &Arc<dyn Inode>;

    /// Returns the events the watch asks for, with its `IN_EXCL_UNLINK` flag.
    fn mask(&self) -> u32;

    /// Reports `mask` (with `IN_ISDIR` when the subject is a directory) that
    /// happened to the marked inode, or with `name` to its child of that name.
    fn event(&self, mask: u32, name: Option<&[u8]>, cookie: u32);

    /// Notes that the mark was taken off its inode because the inode or its
    /// filesystem went (the watch is over: Linux's `IN_IGNORED`).
    fn detached(&self);
}

/// Every attached mark with the device of its inode, by the mark's address,
/// for `unmount`; events never look here.
type Marks = BTreeMap<usize, (u64, Arc<dyn Mark>)>;

static MARKS: Mutex<Marks> = Mutex::new(BTreeMap::new());
/// The number of marks attached: the hooks do nothing while it is zero.
static ACTIVE: AtomicUsize = AtomicUsize::new(0);
/// The last cookie given to a rename's pair of events.
static COOKIE: AtomicU32 = AtomicU32::new(0);

fn marks() -> MutexGuard<'static, Marks> {
    // Each change is one map operation: a poisoned lock is still consistent.
    MARKS.lock()
}

fn active() -> bool {
    ACTIVE.load(Ordering::Relaxed) != 0
}

/// Returns the address that identifies `mark`.
fn addr(mark: &Arc<dyn Mark>) -> usize {
    Arc::as_ptr(mark).cast::<()>() as usize
}

/// Attaches `mark` to its inode, of the device `dev`.
pub fn add_mark(dev: u64, mark: Arc<dyn Mark>) {
    mark.inode().inode_state().marks().push(mark.clone());
    marks().insert(addr(&mark), (dev, mark));
    ACTIVE.fetch_add(1, Ordering::Relaxed);
}

/// Takes `mark` off its inode; returns whether it was attached.
pub fn remove_mark(mark: &Arc<dyn Mark>) -> bool {
    let removed = {
        let mut list = mark.inode().inode_state().marks();
        let before = list.len();
        list.retain(|m| addr(m) != addr(mark));
        list.len() < before
    };
    if removed {
        marks().remove(&addr(mark));
        ACTIVE.fetch_sub(1, Ordering::Relaxed);
    }
    removed
}

/// Returns the marks on `inode`, if anything is watched at all.
fn marks_of(inode: &dyn Inode) -> Vec<Arc<dyn Mark>> {
    if !active() {
        return Vec::new();
    }
    inode.inode_state().marks().clone()
}

/// Returns `IN_ISDIR` for a directory.
fn isdir(inode: &dyn Inode) -> u32 {
    match inode.file_type() {
        FileType::Directory => IN_ISDIR,
        _ => 0,
    }
}

/// Delivers `mask` to the marks of `inode` that ask for it; `unlinked` says
/// the subject has no name left, which marks with `IN_EXCL_UNLINK` do not
/// hear of.
fn send(inode: &dyn Inode, mask: u32, name: Option<&[u8]>, cookie: u32, unlinked: bool) {
    for m in marks_of(inode) {
        let want = m.mask();
        if want & mask & IN_ALL_EVENTS == 0 || (unlinked && want & IN_EXCL_UNLINK != 0) {
            continue;
        }
        m.event(mask, name, cookie);
    }
}

/// Reports `mask` on the inode alone (a link count change, a move), without
/// `IN_ISDIR`, as Linux reports these.
pub(crate) fn inode_event(inode: &dyn Inode, mask: u32) {
    send(inode, mask, None, 0, false);
}

/// Reports `mask` on the file `dentry` names: to its own marks and, with its
/// name, to those of its parent directory (Linux's fsnotify_parent).
pub(crate) fn dentry_event(dentry: &Arc<Dentry>, mask: u32) {
    if !active() {
        return;
    }
    let inode = dentry.inode();
    let mask = mask | isdir(inode.as_ref());
    let unlinked = dentry.is_deleted();
    if let Some(parent) = dentry.parent() {
        send(
            parent.inode().as_ref(),
            mask,
            Some(&dentry.name()),
            0,
            unlinked,
        );
    }
    send(inode.as_ref(), mask, None, 0, unlinked);
}

/// Reports that the kernel changed the file `name` of directory `dir`
/// (a control file whose state moved, as Linux's `kernfs_notify`):
/// `IN_MODIFY` to the file's marks and, with its name, to the directory's.
pub fn modified(dir: Option<&dyn Inode>, file: &dyn Inode, name: &[u8]) {
    if !active() {
        return;
    }
    if let Some(d) = dir {
        send(d, IN_MODIFY, Some(name), 0, false);
    }
    send(file, IN_MODIFY, None, 0, false);
}

/// Reports `mask` about the entry `name` of the directory `dir` (create,
/// delete, the halves of a move); `child` is what the name stands for.
pub(crate) fn name_event(dir: &dyn Inode, child: &dyn Inode, mask: u32, name: &[u8], cookie: u32) {
    send(dir, mask | isdir(child), Some(name), cookie, false);
}

/// Returns a new cookie joining the two events of a rename.
pub(crate) fn new_cookie() -> u32 {
    match COOKIE.fetch_add(1, Ordering::Relaxed).wrapping_add(1) {
        0 => COOKIE.fetch_add(1, Ordering::Relaxed).wrapping_add(1),
        c => c,
    }
}

/// Reports a rename of `moved` from `old_name` in `old_dir` to `new_name` in
/// `new_dir` (Linux's fsnotify_move), over `target` if it replaced one.
pub(crate) fn moved(
    (old_dir, old_name): (&dyn Inode, &[u8]),
    (new_dir, new_name): (&dyn Inode, &[u8]),
    moved: &dyn Inode,
    target: Option<&dyn Inode>,
) {
    if !active() {
        return;
    }
    let cookie = new_cookie();
    name_event(old_dir, moved, IN_MOVED_FROM, old_name, cookie);
    name_event(new_dir, moved, IN_MOVED_TO, new_name, cookie);
    if let Some(t) = target {
        inode_event(t, IN_ATTRIB);
    }
    inode_event(moved, IN_MOVE_SELF);
}

/// Returns the events an attribute change reports (Linux's fsnotify_change):
/// a size change or a new modification time alone is a modification, a new
/// access time alone an access, anything else a change of attributes.
pub(crate) fn setattr_mask(attr: &SetAttr) -> u32 {
    let mut mask = 0;
    if attr.uid.is_some() || attr.gid.is_some() || attr.mode.is_some() {
        mask |= IN_ATTRIB;
    }
    if attr.size.is_some() {
        mask |= IN_MODIFY;
    }
    match (attr.atime.is_some(), attr.mtime.is_some()) {
        (true, true) => mask |= IN_ATTRIB,
        (true, false) => mask |= IN_ACCESS,
        (false, true) => mask |= IN_MODIFY,
        (false, false) => {}
    }
    mask
}

/// Notes that the name `dentry` was removed (unlink, rmdir): if nothing else
/// uses the dentry it is as good as released, and the watches of an inode
/// left without links end now, before the directory hears of the removal,
/// as Linux's d_delete() ends them.
pub(crate) fn dentry_removed(dentry: &Arc<Dentry>) {
    if Arc::strong_count(dentry) == 1 {
        dentry_released(dentry);
    }
}

/// Notes that a dentry was released: if it was the last use of a removed
/// inode with no links left, the inode's marks hear `IN_DELETE_SELF` and go.
pub(crate) fn dentry_released(dentry: &Dentry) {
    let inode = dentry.inode();
    if !active() || !dentry.is_deleted() || inode.inode_state().marks().is_empty() {
        return;
    }
    if inode.stat().map_or(true, |st| st.nlink > 0) {
        return;
    }
    let gone = std::mem::take(&mut *inode.inode_state().marks());
    {
        let mut all = marks();
        for m in &gone {
            all.remove(&addr(m));
        }
    }
    ACTIVE.fetch_sub(gone.len(), Ordering::Relaxed);
    for m in gone {
        if m.mask() & IN_DELETE_SELF != 0 {
            m.event(IN_DELETE_SELF, None, 0);
        }
        m.detached();
    }
}

/// Notes that the filesystem of device `dev` lost its last mount: the marks
/// on its inodes hear `IN_UNMOUNT` and go.
pub(crate) fn unmount(dev: u64) {
    if !active() {
        return;
    }
    let gone: Vec<Arc<dyn Mark>> = {
        let mut all = marks();
        let on_dev: Vec<usize> = all
            .iter()
            .filter(|(_, (d, _))| *d == dev)
            .map(|(a, _)| *a)
            .collect();
        on_dev
            .iter()
            .filter_map(|a| all.remove(a))
            .map(|(_, m)| m)
            .collect()
    };
    for m in &gone {
        m.inode()
            .inode_state()
            .marks()
            .retain(|other| addr(other) != addr(m));
    }
    ACTIVE.fetch_sub(gone.len(), Ordering::Relaxed);
    for m in gone {
        m.event(IN_UNMOUNT | isdir(m.inode().as_ref()), None, 0);
        m.detached();
    }
}
