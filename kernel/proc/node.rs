//! The inodes of the pseudo-filesystems (procfs, sysfs): a `Node` is a file
//! whose text a closure generates, a symlink whose target a closure computes
//! (and, for magic links such as /proc/PID/fd/N, the place it stands for), or a
//! directory whose entries a closure lists. Nothing is stored: every read of a
//! directory or link asks the kernel afresh, and a file's text is generated
//! when it is read from position 0 and kept for the rest of that read, per
//! open file, as Linux's seq_file does. Nodes of a process stop validating
//! once it is gone, so the dentry cache forgets them.

use super::seq::{copy_out, SeqFile};
use arch::{Errno, Result};
use fs::{
    DirEntry, FileOps, FileType, Inode, InodeState, OpenFlags, Path, SetAttr, Stat, Timespec,
};
use std::any::Any;
use std::sync::Arc;

/// Generates the text of a file or the target of a link.
pub type Text = Arc<dyn Fn() -> Result<Vec<u8>> + Send + Sync>;
/// Takes what is written to a file.
pub type Store = Arc<dyn Fn(&[u8]) -> Result<()> + Send + Sync>;
/// Opens a file whose open files are not text (/proc/PID/mem).
pub type Opener = Arc<dyn Fn() -> Result<Arc<dyn FileOps>> + Send + Sync>;
/// Lists a directory.
pub type Listing = Arc<dyn Fn() -> Result<Vec<Entry>> + Send + Sync>;

/// How a watched file's changes are counted, and the queue woken at each.
type Watch = (fn() -> u64, fn() -> &'static fs::WaitQueue);

/// What a node is.
pub enum Body {
    File {
        read: Text,
        write: Option<Store>,
    },
    Link {
        target: Text,
        jump: Option<Arc<dyn Fn() -> Result<Path> + Send + Sync>>,
    },
    Dir(Listing),
    /// A regular file whose open files do their own reads and writes.
    Special(Opener),
}

/// The readdir position of an entry that lookup finds but readdir does not
/// list (/proc/TID of a thread that does not lead its group).
pub const HIDDEN: u64 = u64::MAX;

/// One directory entry: its name, its node, and its readdir position (stable
/// while entries come and go, e.g. derived from a pid).
#[derive(Clone)]
pub struct Entry {
    pub pos: u64,
    pub name: Vec<u8>,
    pub node: Arc<Node>,
}

/// An inode of procfs or sysfs.
pub struct Node {
    ino: u64,
    dev: u64,
    mode: u32,
    /// The owner (uid, gid), asked at each stat (a process's credentials).
    owner: Option<Arc<dyn Fn() -> (u32, u32) + Send + Sync>>,
    /// Whether the node still shows something (its process lives).
    valid: Option<Arc<dyn Fn() -> bool + Send + Sync>>,
    size: u64,
    time: Timespec,
    body: Body,
    /// Asked at each open: an error refuses it (the ptrace access check of
    /// maps and environ, made at open as Linux makes it).
    may_open: Option<Arc<dyn Fn() -> Result<()> + Send + Sync>>,
    /// What counts the changes its open files report to poll (the mount
    /// table's, /proc/swaps'), and the queue woken at each.
    watch: Option<Watch>,
    vfs_state: InodeState,
}

impl Node {
    fn new(dev: u64, ino: u64, mode: u32, body: Body) -> Node {
        Node {
            ino,
            dev,
            mode,
            owner: None,
            valid: None,
            size: 0,
            time: fs::Clock::now(&fs::HostClock),
            body,
            may_open: None,
            watch: None,
            vfs_state: InodeState::new(),
        }
    }

    /// Returns a regular file whose opens `open` makes.
    pub fn special(
        dev: u64,
        ino: u64,
        mode: u32,
        open: impl Fn() -> Result<Arc<dyn FileOps>> + Send + Sync + 'static,
    ) -> Node {
        Node::new(dev, ino, mode, Body::Special(Arc::new(open)))
    }

    /// Returns a read-only file with permission bits `mode` and text `read`.
    pub fn file(
        dev: u64,
        ino: u64,
        mode: u32,
        read: impl Fn() -> Result<Vec<u8>> + Send + Sync + 'static,
    ) -> Node {
        let read: Text = Arc::new(read);
        Node::new(dev, ino, mode, Body::File { read, write: None })
    }

    /// Returns a symlink to what `target` says.
    pub fn link(
        dev: u64,
        ino: u64,
        target: impl Fn() -> Result<Vec<u8>> + Send + Sync + 'static,
    ) -> Node {
        let target: Text = Arc::new(target);
        Node::new(dev, ino, 0o777, Body::Link { target, jump: None })
    }

    /// Returns a directory with permission bits `mode` listed by `list`.
    pub fn dir(
        dev: u64,
        ino: u64,
        mode: u32,
        list: impl Fn() -> Result<Vec<Entry>> + Send + Sync + 'static,
    ) -> Node {
        Node::new(dev, ino, mode, Body::Dir(Arc::new(list)))
    }

    /// Makes a file writable: `store` takes each write.
    pub fn writable(mut self, store: impl Fn(&[u8]) -> Result<()> + Send + Sync + 'static) -> Node {
        if let Body::File { write, .. } = &mut self.body {
            *write = Some(Arc::new(store));
        }
        self
    }

    /// Makes the file a mount table, whose pollers learn of mount changes
    /// (Linux's `mounts_poll`), which is how systemd follows mounts.
    pub fn mount_table(self) -> Node {
        self.watching(
            || crate::boot::kernel().vfs.mount_event(),
            || crate::boot::kernel().vfs.mount_wait(),
        )
    }

    /// Makes poll on the open file report each change `now` counts
    /// (`SeqFile::watching`), waking on `queue`.
    pub fn watching(mut self, now: fn() -> u64, queue: fn() -> &'static fs::WaitQueue) -> Node {
        self.watch = Some((now, queue));
        self
    }

    /// Makes each open ask `check` first.
    pub fn open_checked(mut self, check: impl Fn() -> Result<()> + Send + Sync + 'static) -> Node {
        self.may_open = Some(Arc::new(check));
        self
    }

    /// Makes a symlink a magic link: path walk enters what `jump` returns.
    pub fn magic(mut self, to: impl Fn() -> Result<Path> + Send + Sync + 'static) -> Node {
        if let Body::Link { jump, .. } = &mut self.body {
            *jump = Some(Arc::new(to));
        }
        self
    }

    /// Sets the owner, asked at each stat.
    pub fn owned_by(mut self, owner: Arc<dyn Fn() -> (u32, u32) + Send + Sync>) -> Node {
        self.owner = Some(owner);
        self
    }

    /// Makes the node valid only while `valid` says so.
    pub fn valid_while(mut self, valid: Arc<dyn Fn() -> bool + Send + Sync>) -> Node {
        self.valid = Some(valid);
        self
    }

    /// Sets the permission bits (of a link: what the descriptor allows).
    pub fn with_mode(mut self, mode: u32) -> Node {
        self.mode = mode;
        self
    }

    /// Sets the size stat reports (sysfs attributes report a page).
    pub fn with_size(mut self, size: u64) -> Node {
        self.size = size;
        self
    }

    /// Returns the node as a named entry at readdir position `pos`.
    pub fn entry(self, pos: u64, name: &str) -> Entry {
        Entry {
            pos,
            name: name.as_bytes().to_vec(),
            node: Arc::new(self),
        }
    }

    fn list(&self) -> Result<Vec<Entry>> {
        match &self.body {
            Body::Dir(list) => list(),
            _ => Err(Errno::ENOTDIR),
        }
    }
}

impl Inode for Node {
    fn stat(&self) -> Result<Stat> {
        let (uid, gid) = self.owner.as_ref().map_or((0, 0), |o| o());
        Ok(Stat {
            dev: self.dev,
            ino: self.ino,
            mode: self.file_type().to_mode_bits() | self.mode,
            nlink: if self.file_type() == FileType::Directory {
                2
            } else {
                1
            },
            uid,
            gid,
            rdev: 0,
            size: self.size,
            blksize: 1024,
            blocks: 0,
            atime: self.time,
            mtime: self.time,
            ctime: self.time,
        })
    }

    fn file_type(&self) -> FileType {
        match self.body {
            Body::File { .. } | Body::Special(_) => FileType::Regular,
            Body::Link { .. } => FileType::Symlink,
            Body::Dir(_) => FileType::Directory,
        }
    }

    fn as_any(&self) -> &dyn Any {
        self
    }

    fn inode_state(&self) -> &InodeState {
        &self.vfs_state
    }

    fn ino(&self) -> u64 {
        self.ino
    }

    fn read_at(&self, offset: u64, buf: &mut [u8]) -> Result<usize> {
        match &self.body {
            Body::File { read, .. } => Ok(copy_out(&read()?, offset, buf)),
            Body::Dir(_) => Err(Errno::EISDIR),
            Body::Link { .. } | Body::Special(_) => Err(Errno::EINVAL),
        }
    }

    fn write_at(&self, _offset: u64, data: &[u8]) -> Result<usize> {
        match &self.body {
            Body::File { write: Some(w), .. } => w(data).map(|()| data.len()),
            Body::File { write: None, .. } => Err(Errno::EIO),
            Body::Dir(_) => Err(Errno::EISDIR),
            Body::Link { .. } | Body::Special(_) => Err(Errno::EINVAL),
        }
    }

    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>> {
        let entries = self.list()?;
        let e = entries.into_iter().find(|e| e.name == name);
        Ok(e.ok_or(Errno::ENOENT)?.node)
    }

    fn readdir(&self, pos: u64, emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64> {
        let mut entries = self.list()?;
        entries.sort_by_key(|e| e.pos);
        let dots = [(0, &b"."[..]), (1, &b".."[..])];
        for (at, name) in dots {
            let e = DirEntry {
                ino: self.ino,
                name,
                file_type: FileType::Directory,
                next_pos: at + 1,
            };
            if pos <= at && !emit(&e) {
                return Ok(at);
            }
        }
        let mut next = pos.max(2);
        for e in entries
            .iter()
            .filter(|e| e.pos >= pos.max(2) && e.pos != HIDDEN)
        {
            let d = DirEntry {
                ino: e.node.ino,
                name: &e.name,
                file_type: e.node.file_type(),
                next_pos: e.pos + 1,
            };
            if !emit(&d) {
                return Ok(e.pos);
            }
            next = e.pos + 1;
        }
        Ok(next)
    }

    fn readlink(&self) -> Result<Vec<u8>> {
        match &self.body {
            Body::Link { target, .. } => target(),
            _ => Err(Errno::EINVAL),
        }
    }

    fn follow_link(&self) -> Option<Result<Path>> {
        match &self.body {
            Body::Link { jump: Some(j), .. } => Some(j()),
            _ => None,
        }
    }

    fn open(&self, _flags: OpenFlags) -> Result<Option<Arc<dyn FileOps>>> {
        if let Some(check) = &self.may_open {
            check()?;
        }
        match &self.body {
            Body::File { read, write } => {
                let f = SeqFile::new(read.clone(), write.clone());
                let f = match self.watch {
                    Some((now, queue)) => f.watching(now, queue()),
                    None => f,
                };
                Ok(Some(Arc::new(f)))
            }
            Body::Special(open) => open().map(Some),
            _ => Ok(None),
        }
    }

    fn revalidate(&self) -> bool {
        self.valid.as_ref().is_none_or(|v| v())
    }

    /// Truncation (a shell's `>` redirection) of a writable file does
    /// nothing; every other change is refused.
    fn setattr(&self, attr: &SetAttr) -> Result<()> {
        let only_size = SetAttr {
            size: attr.size,
            mtime: attr.mtime,
            ..SetAttr::default()
        } == *attr;
        match &self.body {
            Body::File { write: Some(_), .. } if only_size => Ok(()),
            _ => Err(Errno::EPERM),
        }
    }
}
