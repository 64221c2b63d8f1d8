//! Mounts and paths. A `Mount` attaches a dentry of a filesystem (its root, or
//! any dentry for a bind mount) at a dentry of a parent mount, with per-mount
//! flags (`MS_RDONLY`, `MS_NOSUID`, ...) that remount may change; a `Path` is
//! the (mount, dentry) pair that names a place in the whole tree, as Linux's
//! `struct path`. A mount taken out of the tree (umount) forgets its parent,
//! so that ".." stops at its root for whoever still works inside it.

use crate::dentry::Dentry;
use crate::inode::{FileSystem, Inode};
use arch::sync::Mutex;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Arc;

bitflags::bitflags! {
    /// Per-mount flags, with the values of their `ST_*` counterparts in statfs(2).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct MountFlags: u32 {
        const RDONLY = 1;
        const NOSUID = 2;
        const NODEV = 4;
        const NOEXEC = 8;
        const NOATIME = 1024;
        const NODIRATIME = 2048;
        const RELATIME = 4096;
        const NOSYMFOLLOW = 8192;
    }
}

impl MountFlags {
    /// Returns the options as /proc/mounts shows them ("rw,nosuid,relatime").
    pub fn show(self) -> String {
        let mut s = String::from(if self.contains(Self::RDONLY) {
            "ro"
        } else {
            "rw"
        });
        for (flag, name) in [
            (Self::NOSUID, ",nosuid"),
            (Self::NODEV, ",nodev"),
            (Self::NOEXEC, ",noexec"),
            (Self::NOATIME, ",noatime"),
            (Self::NODIRATIME, ",nodiratime"),
            (Self::RELATIME, ",relatime"),
            (Self::NOSYMFOLLOW, ",nosymfollow"),
        ] {
            if self.contains(flag) {
                s.push_str(name);
            }
        }
        s
    }
}

/// The parent mount and the dentry in it that a mount covers.
pub type MountPoint = (Arc<Mount>, Arc<Dentry>);

/// One mounted filesystem in the mount tree.
pub struct Mount {
    id: u32,
    fs: Arc<dyn FileSystem>,
    /// The filesystem's type name, kept where a debugger reading the
    /// kernel's memory finds it without calling `FileSystem::name`.
    fstype: &'static str,
    root: Arc<Dentry>,
    /// `None` for "/" and for mounts taken out of the tree.
    mountpoint: Mutex<Option<MountPoint>>,
    flags: Mutex<MountFlags>,
    /// What was mounted ("/dev/ubda", "tmpfs", "proc"), for /proc/mounts.
    source: String,
    /// How mounts and unmounts below it spread to other mounts.
    propagation: Mutex<crate::propagation::Propagation>,
}

impl Mount {
    /// Returns the filesystem's type name ("ext4", "proc").
    pub fn fstype(&self) -> &'static str {
        self.fstype
    }

    pub(crate) fn new(
        fs: Arc<dyn FileSystem>,
        root: Arc<Dentry>,
        mountpoint: Option<MountPoint>,
        flags: MountFlags,
        source: &str,
    ) -> Arc<Mount> {
        // Linux numbers mounts from the hidden rootfs (1) upwards.
        static NEXT_ID: AtomicU32 = AtomicU32::new(21);
        Arc::new(Mount {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            fstype: fs.name(),
            fs,
            root,
            mountpoint: Mutex::new(mountpoint),
            flags: Mutex::new(flags),
            source: source.to_string(),
            propagation: Mutex::default(),
        })
    }

    /// Returns the mount's peer group and master (mountinfo's optional
    /// fields).
    pub fn propagation(&self) -> crate::propagation::Propagation {
        *self.propagation.lock()
    }

    /// Replaces the mount's propagation.
    pub(crate) fn set_propagation(&self, p: crate::propagation::Propagation) {
        let mut cur = self.propagation.lock();
        *cur = p;
    }

    /// Returns the mount at the top of this one's tree: the root of its
    /// namespace (or of a detached tree).
    pub fn top(self: &Arc<Self>) -> Arc<Mount> {
        let mut m = self.clone();
        while let Some((p, _)) = m.mountpoint() {
            m = p;
        }
        m
    }

    /// Returns the mount id /proc/self/mountinfo shows.
    pub fn id(&self) -> u32 {
        self.id
    }

    /// Returns the mounted filesystem.
    pub fn fs(&self) -> &Arc<dyn FileSystem> {
        &self.fs
    }

    /// Returns the dentry this mount shows at its mount point (the root of the
    /// filesystem, or the source of a bind mount).
    pub fn root(&self) -> &Arc<Dentry> {
        &self.root
    }

    /// Returns the parent mount and the dentry this mount covers.
    pub fn mountpoint(&self) -> Option<MountPoint> {
        self.mountpoint.lock().clone()
    }

    /// Replaces the mount point (MS_MOVE; `None` when taken out of the tree).
    pub(crate) fn set_mountpoint(&self, mp: Option<MountPoint>) {
        {
            let mut m = self.mountpoint.lock();
            *m = mp;
        }
    }

    /// Returns what was mounted, as mount(2)'s source argument named it.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Returns the per-mount flags.
    pub fn flags(&self) -> MountFlags {
        *self.flags.lock()
    }

    /// Replaces the per-mount flags (remount).
    pub fn set_flags(&self, flags: MountFlags) {
        {
            let mut f = self.flags.lock();
            *f = flags;
        }
    }

    /// Returns whether the mount is read-only (`MS_RDONLY`).
    pub fn read_only(&self) -> bool {
        self.flags().contains(MountFlags::RDONLY)
    }

    /// Returns whether programs on this mount may not be executed (`MS_NOEXEC`).
    pub fn noexec(&self) -> bool {
        self.flags().contains(MountFlags::NOEXEC)
    }

    /// Returns whether device nodes on this mount may not be opened (`MS_NODEV`).
    pub fn nodev(&self) -> bool {
        self.flags().contains(MountFlags::NODEV)
    }

    /// Returns whether set-user-ID bits are ignored on this mount (`MS_NOSUID`).
    pub fn nosuid(&self) -> bool {
        self.flags().contains(MountFlags::NOSUID)
    }

    /// Returns the path of the mount's root inside its filesystem ("/" unless a
    /// bind mount of a subdirectory), as the fourth field of mountinfo.
    pub fn root_in_fs(&self) -> Vec<u8> {
        let mut names = Vec::new();
        let mut d = self.root.clone();
        while let Some(p) = d.parent() {
            names.push(d.name());
            d = p;
        }
        join(&names)
    }
}

/// Returns "/a/b" for names collected from the bottom up (["b", "a"]).
fn join(names: &[Vec<u8>]) -> Vec<u8> {
    if names.is_empty() {
        return b"/".to_vec();
    }
    let mut out = Vec::new();
    for name in names.iter().rev() {
        out.push(b'/');
        out.extend_from_slice(name);
    }
    out
}

/// A place in the mount tree: a dentry as seen through a mount.
#[derive(Clone)]
pub struct Path {
    pub mnt: Arc<Mount>,
    pub dentry: Arc<Dentry>,
}

impl Path {
    /// Returns the inode this path names.
    pub fn inode(&self) -> Arc<dyn Inode> {
        self.dentry.inode().clone()
    }

    /// Returns whether both paths name the same (mount, dentry).
    pub fn same(&self, other: &Path) -> bool {
        Arc::ptr_eq(&self.mnt, &other.mnt) && Arc::ptr_eq(&self.dentry, &other.dentry)
    }

    /// Returns the absolute path of this place as seen from `root` (for getcwd(2) and
    /// /proc/self/exe); a place outside `root` is named from the top of the tree.
    pub fn to_bytes(&self, root: &Path) -> Vec<u8> {
        self.to_bytes_within(root).0
    }

    /// Returns the path as `to_bytes` does, and whether the place lies under
    /// `root` (what /proc/self/mountinfo needs to leave out other mounts).
    pub fn to_bytes_within(&self, root: &Path) -> (Vec<u8>, bool) {
        let mut names: Vec<Vec<u8>> = Vec::new();
        let mut mnt = self.mnt.clone();
        let mut dentry = self.dentry.clone();
        loop {
            if Arc::ptr_eq(&mnt, &root.mnt) && Arc::ptr_eq(&dentry, &root.dentry) {
                return (join(&names), true);
            }
            if Arc::ptr_eq(&dentry, &mnt.root) {
                match mnt.mountpoint() {
                    Some((parent, at)) => {
                        mnt = parent;
                        dentry = at;
                        continue;
                    }
                    None => break,
                }
            }
            match dentry.parent() {
                Some(p) => {
                    names.push(dentry.name());
                    dentry = p;
                }
                None => break,
            }
        }
        (join(&names), false)
    }
}

impl core::fmt::Debug for Path {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "Path({:?})", self.dentry)
    }
}
