//! inotify(7): an instance is an anonymous file holding watches and a queue
//! of events. Each watch is an `fsnotify::Mark` on its inode; the VFS reports
//! what happens there and the watch queues it with its descriptor (wd).
//! Reading takes whole `struct inotify_event` records; an empty queue answers
//! `EAGAIN`, and the read system call sleeps on the instance's wait queue as
//! it does for pipes. The limits of /proc/sys/fs/inotify hold per user.

mod queue;

use crate::syscall::UserPtr;
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::fsnotify::{self, Mark, IN_IGNORED, IN_ISDIR, IN_ONESHOT};
use fs::{FileOps, Inode, InodeKey, PollEvents, Stat, UserMemory, WaitQueue};
use queue::{Event, EventQueue};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Weak};

/// /proc/sys/fs/inotify/max_user_instances.
pub static MAX_USER_INSTANCES: AtomicU32 = AtomicU32::new(128);
/// /proc/sys/fs/inotify/max_user_watches (Linux's figure for up to 1 GiB of RAM).
pub static MAX_USER_WATCHES: AtomicU32 = AtomicU32::new(8192);
/// /proc/sys/fs/inotify/max_queued_events.
pub static MAX_QUEUED_EVENTS: AtomicU32 = AtomicU32::new(16384);

/// What each user holds: (instances, watches).
static PER_USER: KernelCell<BTreeMap<u32, (u32, u32)>> = KernelCell::new(BTreeMap::new());

/// Counts one more instance (`add`) or watch for `uid`, within `max`.
fn charge(uid: u32, watches: bool, max: u32) -> bool {
    let mut all = PER_USER.borrow_mut();
    let (i, w) = all.entry(uid).or_default();
    let n = if watches { w } else { i };
    if *n >= max {
        return false;
    }
    *n += 1;
    true
}

/// Gives back what `charge` counted.
fn uncharge(uid: u32, watches: bool, count: u32) {
    let mut all = PER_USER.borrow_mut();
    if let Some((i, w)) = all.get_mut(&uid) {
        let n = if watches { w } else { i };
        *n = n.saturating_sub(count);
    }
}

/// One watch: a mark on an inode, which it keeps alive.
struct Watch {
    wd: i32,
    mask: AtomicU32,
    key: InodeKey,
    inode: Arc<dyn Inode>,
    group: Weak<Inotify>,
}

impl Mark for Watch {
    fn inode(&self) -> &Arc<dyn Inode> {
        &self.inode
    }

    fn mask(&self) -> u32 {
        self.mask.load(Ordering::Relaxed)
    }

    fn event(&self, mask: u32, name: Option<&[u8]>, cookie: u32) {
        let Some(group) = self.group.upgrade() else {
            return;
        };
        group.queue(Event {
            wd: self.wd,
            mask,
            cookie,
            name: name.map(<[u8]>::to_vec).unwrap_or_default(),
        });
        if self.mask() & IN_ONESHOT != 0 {
            let _ = group.rm_watch(self.wd);
        }
    }

    fn detached(&self) {
        if let Some(group) = self.group.upgrade() {
            group.forget(self.wd);
        }
    }
}

struct State {
    queue: EventQueue,
    watches: BTreeMap<i32, Arc<Watch>>,
    by_inode: BTreeMap<InodeKey, i32>,
    last_wd: i32,
}

/// An inotify instance, the `FileOps` of its file.
pub struct Inotify {
    me: Weak<Inotify>,
    /// The user charged for the instance and its watches.
    uid: u32,
    state: KernelCell<State>,
    wait: WaitQueue,
}

/// Returns the inotify instance an open file is, if it is one (for the
/// calls on an instance: `File::ops_as`).
pub fn inotify_of(f: &fs::File) -> Option<&Inotify> {
    f.ops_as::<Inotify>()
}

impl Inotify {
    /// Creates an instance for the user `uid`; `EMFILE` past the user's
    /// `max_user_instances`.
    pub fn new(uid: u32) -> Result<Arc<Inotify>> {
        if !charge(uid, false, MAX_USER_INSTANCES.load(Ordering::Relaxed)) {
            return Err(Errno::EMFILE);
        }
        let max = MAX_QUEUED_EVENTS.load(Ordering::Relaxed) as usize;
        Ok(Arc::new_cyclic(|me| Inotify {
            me: me.clone(),
            uid,
            state: KernelCell::new(State {
                queue: EventQueue::new(max),
                watches: BTreeMap::new(),
                by_inode: BTreeMap::new(),
                last_wd: 0,
            }),
            wait: WaitQueue::new(),
        }))
    }

    fn queue(&self, ev: Event) {
        if self.state.borrow_mut().queue.push(ev) {
            self.wait.wake_all();
        }
    }

    /// Returns the bytes waiting to be read (FIONREAD).
    pub fn pending(&self) -> usize {
        self.state.borrow().queue.bytes()
    }

    /// Watches `inode` for the events of `mask` (inotify_add_watch(2)),
    /// updating the watch it already has (`EEXIST` with `IN_MASK_CREATE`);
    /// returns the watch descriptor; `ENOSPC` past `max_user_watches`.
    pub fn add_watch(&self, inode: &Arc<dyn Inode>, mask: u32) -> Result<i32> {
        use fsnotify::{IN_MASK_ADD, IN_MASK_CREATE};
        let key = InodeKey::of(inode.as_ref())?;
        let keep = fsnotify::IN_ALL_EVENTS | fsnotify::IN_EXCL_UNLINK | IN_ONESHOT;
        let mut st = self.state.borrow_mut();
        if let Some(w) = st.by_inode.get(&key).and_then(|wd| st.watches.get(wd)) {
            if mask & IN_MASK_CREATE != 0 {
                return Err(Errno::EEXIST);
            }
            let new = match mask & IN_MASK_ADD {
                0 => mask & keep,
                _ => w.mask() | (mask & keep),
            };
            w.mask.store(new, Ordering::Relaxed);
            return Ok(w.wd);
        }
        if !charge(self.uid, true, MAX_USER_WATCHES.load(Ordering::Relaxed)) {
            return Err(Errno::ENOSPC);
        }
        // Descriptors count up and wrap to 1, skipping those in use.
        let mut wd = st.last_wd;
        loop {
            wd = wd.checked_add(1).unwrap_or(1);
            if !st.watches.contains_key(&wd) {
                break;
            }
        }
        st.last_wd = wd;
        let w = Arc::new(Watch {
            wd,
            mask: AtomicU32::new(mask & keep),
            key,
            inode: inode.clone(),
            group: self.me.clone(),
        });
        st.watches.insert(wd, w.clone());
        st.by_inode.insert(key, wd);
        drop(st);
        fsnotify::add_mark(key.dev, w);
        Ok(wd)
    }

    /// Removes the watch `wd` and queues `IN_IGNORED` (inotify_rm_watch(2));
    /// `EINVAL` if there is none.
    pub fn rm_watch(&self, wd: i32) -> Result<()> {
        let w = self
            .state
            .borrow()
            .watches
            .get(&wd)
            .cloned()
            .ok_or(Errno::EINVAL)?;
        let mark: Arc<dyn Mark> = w.clone();
        fsnotify::remove_mark(&mark);
        self.forget(wd);
        Ok(())
    }

    /// Drops the watch `wd`, taken off its inode, and queues `IN_IGNORED`.
    fn forget(&self, wd: i32) {
        let mut st = self.state.borrow_mut();
        let Some(w) = st.watches.remove(&wd) else {
            return;
        };
        st.by_inode.remove(&w.key);
        drop(st);
        uncharge(self.uid, true, 1);
        self.queue(Event {
            wd,
            mask: IN_IGNORED,
            cookie: 0,
            name: Vec::new(),
        });
    }
}

impl Drop for Inotify {
    /// Closing the instance ends its watches, without events.
    fn drop(&mut self) {
        let watches = std::mem::take(&mut self.state.borrow_mut().watches);
        let n = watches.len() as u32;
        for w in watches.into_values() {
            let mark: Arc<dyn Mark> = w.clone();
            fsnotify::remove_mark(&mark);
        }
        uncharge(self.uid, true, n);
        uncharge(self.uid, false, 1);
    }
}

impl FileOps for Inotify {
    fn read(&self, _: u64, buf: &mut [u8]) -> Result<usize> {
        self.state.borrow_mut().queue.read(buf)
    }
    fn write(&self, _: u64, _: &[u8]) -> Result<usize> {
        Err(Errno::EINVAL)
    }
    fn poll(&self) -> PollEvents {
        match self.state.borrow().queue.is_empty() {
            true => PollEvents::empty(),
            false => PollEvents::POLLIN | PollEvents::POLLRDNORM,
        }
    }
    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.wait)
    }
    fn seekable(&self) -> bool {
        false
    }
    fn stat(&self) -> Result<Stat> {
        Ok(crate::anon_inode::stat())
    }
    /// FIONREAD: the bytes waiting to be read.
    fn ioctl(&self, user: &dyn UserMemory, cmd: u32, arg: u64) -> Result<u64> {
        const FIONREAD: u32 = 0x541b;
        if cmd != FIONREAD {
            return Err(Errno::ENOTTY);
        }
        UserPtr::<i32>::new(arg).write(user, &(self.pending() as i32))?;
        Ok(0)
    }
    /// Linux names the inode of inotify instances without brackets.
    fn anon_name(&self) -> Option<&'static str> {
        Some("inotify")
    }
    /// The watches, one line each.
    fn show_fdinfo(&self) -> String {
        let st = self.state.borrow();
        let mut out = String::new();
        for w in st.watches.values() {
            let sdev = (fs::major(w.key.dev) << 20) | fs::minor(w.key.dev);
            out += &format!(
                "inotify wd:{:x} ino:{:x} sdev:{:x} mask:{:x} ignored_mask:0\n",
                w.wd,
                w.key.ino,
                sdev,
                w.mask() & !(IN_ISDIR)
            );
        }
        out
    }
}
