//! The `mqueue` filesystem (mq_overview(7)): mounted, it lists the POSIX
//! message queues of the mounter's IPC namespace as regular files, each
//! reading as the line a queue descriptor's read gives; unlink removes a
//! queue as mq_unlink(3) does. Its root is sticky and writable by all
//! (01777), as Linux's.

use super::mqueue::{read_line, MQueue};
use super::IpcNamespace;
use arch::{Errno, Result};
use fs::{DirEntry, FileSystem, FileType, Inode, InodeState, Stat, StatFs};
use std::any::Any;
use std::sync::Arc;

/// `MQUEUE_MAGIC`.
const MQUEUE_MAGIC: u64 = 0x1980_0202;

/// An mqueue instance: the queues of one IPC namespace.
pub struct MqueueFs {
    dev: u64,
    ns: Arc<IpcNamespace>,
}

/// Creates an instance showing the calling task's IPC namespace.
pub fn instance() -> Arc<dyn FileSystem> {
    Arc::new(MqueueFs {
        dev: fs::anon_dev(),
        ns: super::current(),
    })
}

impl FileSystem for MqueueFs {
    fn root(&self) -> Result<Arc<dyn Inode>> {
        Ok(Arc::new(Root {
            dev: self.dev,
            ns: self.ns.clone(),
            vfs_state: InodeState::new(),
        }))
    }
    fn name(&self) -> &'static str {
        "mqueue"
    }
    fn dev(&self) -> u64 {
        self.dev
    }
    fn sync(&self) -> Result<()> {
        Ok(())
    }
    fn statfs(&self) -> StatFs {
        StatFs::pseudo(MQUEUE_MAGIC)
    }
}

struct Root {
    dev: u64,
    ns: Arc<IpcNamespace>,
    vfs_state: InodeState,
}

/// A queue as a file.
struct QueueInode {
    dev: u64,
    ns: Arc<IpcNamespace>,
    name: Vec<u8>,
    queue: Arc<MQueue>,
    vfs_state: InodeState,
}

impl Inode for Root {
    fn stat(&self) -> Result<Stat> {
        let t = fs::Clock::now(&fs::HostClock);
        let mode = FileType::Directory.to_mode_bits() | 0o1777;
        Ok(Stat::pseudo(self.dev, 1, mode, (0, 0), t))
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
    fn ino(&self) -> u64 {
        1
    }
    fn read_at(&self, _: u64, _: &mut [u8]) -> Result<usize> {
        Err(Errno::EISDIR)
    }
    fn lookup(&self, name: &[u8]) -> Result<Arc<dyn Inode>> {
        let queue = self
            .ns
            .mq
            .borrow()
            .queues
            .get(name)
            .cloned()
            .ok_or(Errno::ENOENT)?;
        Ok(Arc::new(QueueInode {
            dev: self.dev,
            ns: self.ns.clone(),
            name: name.to_vec(),
            queue,
            vfs_state: InodeState::new(),
        }))
    }
    fn readdir(&self, pos: u64, emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64> {
        let mut names: Vec<(Vec<u8>, u64, FileType)> = vec![
            (b".".to_vec(), 1, FileType::Directory),
            (b"..".to_vec(), 1, FileType::Directory),
        ];
        for (name, q) in self.ns.mq.borrow().queues.iter() {
            names.push((name.clone(), q.ino, FileType::Regular));
        }
        for (at, (name, ino, file_type)) in names.into_iter().enumerate().skip(pos as usize) {
            let e = DirEntry {
                ino,
                name: &name,
                file_type,
                next_pos: at as u64 + 1,
            };
            if !emit(&e) {
                return Ok(at as u64);
            }
        }
        Ok(u64::MAX)
    }
    fn readlink(&self) -> Result<Vec<u8>> {
        Err(Errno::EINVAL)
    }
    fn unlink(&self, name: &[u8]) -> Result<()> {
        let gone = self.ns.mq.borrow_mut().queues.remove(name);
        gone.map(drop).ok_or(Errno::ENOENT)
    }
}

impl Inode for QueueInode {
    fn stat(&self) -> Result<Stat> {
        Ok(self.queue.stat(self.dev))
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
    fn ino(&self) -> u64 {
        self.queue.ino
    }
    fn revalidate(&self) -> bool {
        let mq = self.ns.mq.borrow();
        mq.queues
            .get(&self.name)
            .is_some_and(|q| Arc::ptr_eq(q, &self.queue))
    }
    fn read_at(&self, pos: u64, buf: &mut [u8]) -> Result<usize> {
        Ok(read_line(&self.queue.status_line(), pos, buf))
    }
    fn lookup(&self, _: &[u8]) -> Result<Arc<dyn Inode>> {
        Err(Errno::ENOTDIR)
    }
    fn readdir(&self, _: u64, _: &mut dyn FnMut(&DirEntry) -> bool) -> Result<u64> {
        Err(Errno::ENOTDIR)
    }
    fn readlink(&self) -> Result<Vec<u8>> {
        Err(Errno::EINVAL)
    }
}
