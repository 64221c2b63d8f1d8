//! cgroup2, the filesystem of the hierarchy (`mount -t cgroup2 none
//! /sys/fs/cgroup`): a directory per group, made by mkdir(2) and removed by
//! rmdir(2) when empty, and the group's control files in it. Every mount
//! shows the one hierarchy, from the root of the mounter's cgroup namespace
//! down (`ns`). The directory and files of a group belong to
//! whoever made it and may be given away with chown(2), which is how a
//! subtree is delegated; moving a process takes write access to
//! cgroup.procs in the nearest group above both its old and new one, as
//! in Linux.
//!
//! The inodes of a group stay the same while anything holds them (an
//! inotify watch does), so a change of cgroup.events reaches its watchers.

use super::files::{self, CFile};
use super::Cgroup;
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{
    DirEntry, FileOps, FileSystem, FileType, Inode, InodeState, OpenFlags, Owner, SetAttr, Stat,
    StatFs, Timespec,
};
use std::any::Any;
use std::collections::BTreeMap;
use std::sync::{Arc, LazyLock, Weak};

/// `CGROUP2_SUPER_MAGIC`.
const CGROUP2_SUPER_MAGIC: u64 = 0x6367_7270;

/// The mount options cgroup2 takes (all of them change nothing here but
/// what /proc/mounts shows).
const OPTIONS: &[&str] = &[
    "nsdelegate",
    "favordynmods",
    "memory_localevents",
    "memory_recursiveprot",
    "memory_hugetlb_accounting",
];

/// The inodes made for one group, and the owners and modes its files were
/// given.
#[derive(Default)]
pub struct InodeCache {
    dir: Weak<CgroupDir>,
    files: BTreeMap<&'static str, Weak<CgroupFile>>,
    /// (mode, uid, gid) of the files chmod or chown changed.
    attrs: BTreeMap<&'static str, (u32, u32, u32)>,
}

/// The one hierarchy's filesystem, seen from `root`.
struct CgroupFs {
    dev: u64,
    options: KernelCell<String>,
    root: Arc<Cgroup>,
}

static FS: LazyLock<Arc<CgroupFs>> = LazyLock::new(|| {
    Arc::new(CgroupFs {
        dev: fs::anon_dev(),
        options: KernelCell::new(String::new()),
        root: super::ROOT.clone(),
    })
});

/// Returns the hierarchy for a mount with `data` as its options: `EINVAL`
/// for one cgroup2 does not know.
pub fn instance(data: &str) -> Result<Arc<dyn FileSystem>> {
    let opts: Vec<&str> = data.split(',').filter(|s| !s.is_empty()).collect();
    if opts.iter().any(|o| !OPTIONS.contains(o)) {
        return Err(Errno::EINVAL);
    }
    let options: String = opts.iter().map(|o| format!(",{o}")).collect();
    let root = super::ns::current().root.clone();
    if !Arc::ptr_eq(&root, &FS.root) {
        // In a cgroup namespace: the same hierarchy, from its root.
        return Ok(Arc::new(CgroupFs {
            dev: FS.dev,
            options: KernelCell::new(options),
            root,
        }));
    }
    *FS.options.borrow_mut() = options;
    Ok(FS.clone())
}

impl FileSystem for CgroupFs {
    fn root(&self) -> Result<Arc<dyn Inode>> {
        Ok(dir_inode(&self.root))
    }

    fn name(&self) -> &'static str {
        "cgroup2"
    }

    fn dev(&self) -> u64 {
        self.dev
    }

    fn sync(&self) -> Result<()> {
        Ok(())
    }

    fn statfs(&self) -> StatFs {
        StatFs::pseudo(CGROUP2_SUPER_MAGIC)
    }

    fn show_options(&self) -> String {
        self.options.borrow().clone()
    }

    fn encode_fh(&self, inode: &dyn Inode) -> Option<::fs::export::Fid> {
        Some(super::export::encode_fh(inode))
    }

    fn fh_to_inode(&self, fid: &::fs::export::Fid) -> Result<Arc<dyn Inode>> {
        super::export::fh_to_inode(&self.root, fid)
    }

    fn get_parent(&self, dir: &dyn Inode) -> Result<Arc<dyn Inode>> {
        super::export::get_parent(dir)
    }
}

/// Returns the directory inode of `cg`, the same one while it is held.
pub(super) fn dir_inode(cg: &Arc<Cgroup>) -> Arc<dyn Inode> {
    let mut cache = cg.inodes.borrow_mut();
    if let Some(d) = cache.dir.upgrade() {
        return d;
    }
    let d = Arc::new(CgroupDir {
        cg: cg.clone(),
        time: now(),
        vfs_state: InodeState::new(),
    });
    cache.dir = Arc::downgrade(&d);
    d
}

/// Returns the inode of control file `f` of `cg`.
pub(super) fn file_inode(cg: &Arc<Cgroup>, f: &'static CFile) -> Arc<CgroupFile> {
    let mut cache = cg.inodes.borrow_mut();
    if let Some(i) = cache.files.get(f.name).and_then(Weak::upgrade) {
        return i;
    }
    let i = Arc::new(CgroupFile {
        cg: cg.clone(),
        file: f,
        time: now(),
        vfs_state: InodeState::new(),
    });
    cache.files.insert(f.name, Arc::downgrade(&i));
    i
}

fn now() -> Timespec {
    fs::Clock::now(&fs::HostClock)
}

/// Tells the watchers of control file `name` of `cg` (if its inode is
/// held) that the kernel changed it.
pub fn notify_modified(cg: &Cgroup, name: &'static str) {
    let (dir, file) = {
        let cache = cg.inodes.borrow();
        (
            cache.dir.upgrade(),
            cache.files.get(name).and_then(Weak::upgrade),
        )
    };
    if let Some(f) = file {
        let d = dir.as_ref().map(|d| d.as_ref() as &dyn Inode);
        fs::fsnotify::modified(d, f.as_ref(), name.as_bytes());
    }
}

/// Returns the (mode, uid, gid) of file `f` of `cg`.
fn file_attrs(cg: &Cgroup, f: &CFile) -> (u32, u32, u32) {
    if let Some(a) = cg.inodes.borrow().attrs.get(f.name) {
        return *a;
    }
    let st = cg.st.borrow();
    (f.mode(), st.uid, st.gid)
}

/// Returns the attributes of a cgroup2 inode.
fn stat(ino: u64, mode: u32, nlink: u32, owner: (u32, u32), time: Timespec) -> Stat {
    Stat {
        nlink,
        ..Stat::pseudo(FS.dev, ino, mode, owner, time)
    }
}

/// The directory of a group.
pub(super) struct CgroupDir {
    pub(super) cg: Arc<Cgroup>,
    time: Timespec,
    vfs_state: InodeState,
}

/// Readdir positions: the files by their index from 2, the children by id
/// above this.
const CHILD_POS: u64 = 1 << 32;

impl Inode for CgroupDir {
    fn stat(&self) -> Result<Stat> {
        let st = self.cg.st.borrow();
        let mode = FileType::Directory.to_mode_bits() | st.mode;
        let nlink = 2 + st.children.len() as u32;
        Ok(stat(
            self.cg.id << 6,
            mode,
            nlink,
            (st.uid, st.gid),
            self.time,
        ))
    }

    fn file_type(&self) -> FileType {
        FileType::Directory
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn inode_state(&self) -> &InodeState {
        &self.vfs_state
    }

    fn read_at(&self, _offset: u64, _buf: &mut [u8]) -> Result<usize> {
        Err(Errno::EISDIR)
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>> {
        let name = std::str::from_utf8(name).map_err(|_| Errno::ENOENT)?;
        let child = self.cg.st.borrow().children.get(name).cloned();
        if let Some(c) = child {
            return Ok(dir_inode(&c));
        }
        match files::find(name) {
            Some(f) if f.present(&self.cg) => Ok(file_inode(&self.cg, f)),
            _ => Err(Errno::ENOENT),
        }
    }

    fn readdir(&self, pos: u64, emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64> {
        let ino = self.cg.id << 6;
        let mut entries: Vec<(u64, u64, Vec<u8>, FileType)> = vec![
            (0, ino, b".".to_vec(), FileType::Directory),
            (1, ino, b"..".to_vec(), FileType::Directory),
        ];
        for (i, f) in files::FILES.iter().enumerate() {
            if f.present(&self.cg) {
                let n = i as u64 + 2;
                entries.push((n, ino | (i as u64 + 1), f.name.into(), FileType::Regular));
            }
        }
        let mut kids: Vec<_> = self.cg.st.borrow().children.values().cloned().collect();
        kids.sort_by_key(|c| c.id);
        for c in kids {
            let e = (
                CHILD_POS + c.id,
                c.id << 6,
                c.name.clone().into_bytes(),
                FileType::Directory,
            );
            entries.push(e);
        }
        let mut next = pos;
        for (at, ino, name, file_type) in entries.iter().filter(|e| e.0 >= pos) {
            let d = DirEntry {
                ino: *ino,
                name,
                file_type: *file_type,
                next_pos: at + 1,
            };
            if !emit(&d) {
                return Ok(*at);
            }
            next = at + 1;
        }
        Ok(next)
    }

    fn readlink(&self) -> Result<Vec<u8>> {
        Err(Errno::EINVAL)
    }

    fn revalidate(&self) -> bool {
        !self.cg.st.borrow().removed
    }

    fn mkdir(&self, name: &[u8], mode: u32, owner: Owner) -> Result<Arc<dyn Inode>> {
        let name = std::str::from_utf8(name).map_err(|_| Errno::EINVAL)?;
        if name.contains('\n') {
            return Err(Errno::EINVAL);
        }
        let child = self.cg.mkdir(name, owner.uid, owner.gid)?;
        child.st.borrow_mut().mode = mode & 0o7777;
        Ok(dir_inode(&child))
    }

    fn rmdir(&self, name: &[u8]) -> Result<()> {
        let name = std::str::from_utf8(name).map_err(|_| Errno::ENOENT)?;
        if files::is_file_name(name) {
            return Err(Errno::ENOTDIR);
        }
        self.cg.rmdir(name)
    }

    fn setattr(&self, attr: &SetAttr) -> Result<()> {
        if attr.size.is_some() {
            return Err(Errno::EISDIR);
        }
        let mut st = self.cg.st.borrow_mut();
        if let Some(m) = attr.mode {
            st.mode = m & 0o7777;
        }
        st.uid = attr.uid.unwrap_or(st.uid);
        st.gid = attr.gid.unwrap_or(st.gid);
        Ok(())
    }
}

/// A control file of a group.
pub(super) struct CgroupFile {
    cg: Arc<Cgroup>,
    file: &'static CFile,
    time: Timespec,
    vfs_state: InodeState,
}

impl Inode for CgroupFile {
    fn stat(&self) -> Result<Stat> {
        let (mode, uid, gid) = file_attrs(&self.cg, self.file);
        let index = files::FILES
            .iter()
            .position(|f| std::ptr::eq(f, self.file))
            .unwrap_or(0);
        let ino = self.cg.id << 6 | (index as u64 + 1);
        let mode = FileType::Regular.to_mode_bits() | mode;
        Ok(stat(ino, mode, 1, (uid, gid), self.time))
    }

    fn file_type(&self) -> FileType {
        FileType::Regular
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn inode_state(&self) -> &InodeState {
        &self.vfs_state
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        let text = self.file.show(&self.cg)?;
        Ok(crate::proc::seq::copy_out(&text, offset, buf))
    }

    fn write_at(&self, _offset: u64, data: &[u8]) -> Result<usize> {
        self.file.store(&self.cg, data).map(|()| data.len())
    }

    fn lookup(&self, _name: &[u8]) -> Result<Arc<dyn Inode>> {
        Err(Errno::ENOTDIR)
    }

    fn readdir(&self, _pos: u64, _emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64> {
        Err(Errno::ENOTDIR)
    }

    fn readlink(&self) -> Result<Vec<u8>> {
        Err(Errno::EINVAL)
    }

    fn revalidate(&self) -> bool {
        !self.cg.st.borrow().removed && self.file.present(&self.cg)
    }

    fn open(&self, _flags: OpenFlags) -> Result<Option<Arc<dyn FileOps>>> {
        let (cg, f) = (self.cg.clone(), self.file);
        let read = Arc::new(move || f.show(&cg));
        let cg = self.cg.clone();
        let write = Arc::new(move |data: &[u8]| f.store(&cg, data));
        let seq = crate::proc::seq::SeqFile::new(read, Some(write));
        let seq = if f.name == "cgroup.events" {
            let cg = self.cg.clone();
            seq.watching(move || cg.events_seq(), &super::EVENTS_WAIT)
        } else {
            seq
        };
        Ok(Some(Arc::new(seq)))
    }

    /// chmod and chown change the file; truncation (a shell's `>`) does
    /// nothing.
    fn setattr(&self, attr: &SetAttr) -> Result<()> {
        let (mut mode, mut uid, mut gid) = file_attrs(&self.cg, self.file);
        if let Some(m) = attr.mode {
            mode = m & 0o7777;
        }
        uid = attr.uid.unwrap_or(uid);
        gid = attr.gid.unwrap_or(gid);
        self.cg
            .inodes
            .borrow_mut()
            .attrs
            .insert(self.file.name, (mode, uid, gid));
        Ok(())
    }
}

/// Checks that the writer may move a process from `from` to `to`: write
/// access to cgroup.procs of their nearest common group.
fn may_migrate(from: &Arc<Cgroup>, to: &Arc<Cgroup>) -> Result<()> {
    let me = crate::task::current().ok_or(Errno::ESRCH)?;
    let cred = me.process.cred.borrow().fs();
    let common = super::common_ancestor(from, to);
    let f = files::find("cgroup.procs").ok_or(Errno::EINVAL)?;
    let st = file_inode(&common, f).stat()?;
    fs::permission(&cred, &st, fs::Access::WRITE)
}

/// A write to cgroup.procs: moves the process named (by any of its thread
/// ids) into the group.
pub fn procs_store(cg: &Arc<Cgroup>, s: &str) -> Result<()> {
    let p = files::written_process(s)?;
    may_migrate(&super::of(&p), cg)?;
    super::migrate(&p, cg)
}

/// A write to cgroup.threads: a thread may only be named in its own
/// process's group, threaded subtrees not being built here.
pub fn threads_store(cg: &Arc<Cgroup>, s: &str) -> Result<()> {
    let tid: i32 = s.trim().parse().map_err(|_| Errno::EINVAL)?;
    let t = match tid {
        0 => crate::task::current(),
        n if n > 0 => crate::task::current().and_then(|me| me.process.find_task(n)),
        _ => return Err(Errno::EINVAL),
    }
    .ok_or(Errno::ESRCH)?;
    if Arc::ptr_eq(&super::of(&t.process), cg) {
        Ok(())
    } else {
        Err(Errno::EOPNOTSUPP)
    }
}
