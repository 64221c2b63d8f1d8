//! Pseudo-terminals (pty(7)): opening /dev/ptmx makes a pair — the master, a
//! plain byte pipe in both directions, and the slave, a full `Tty` whose input
//! is what the master writes and whose output the master reads. Slaves appear
//! as /dev/pts/N (the `devpts` filesystem, `devpts.rs`) once unlocked with
//! TIOCSPTLCK, as glibc's `unlockpt` does.

use crate::signal::{self, SigInfo, SI_KERNEL};
use crate::syscall::UserPtr;
use crate::task;
use crate::tty::TtyFile;
use arch::abi::structs::Winsize;
use arch::sync::KernelCell;
use arch::{Errno, Result};
use drivers::tty::{Tty, TtyDriver};
use fs::{File, FileOps, OpenFlags, PollEvents, UserMemory, WaitQueue};
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

/// The major number of pty slaves (UNIX98_PTY_SLAVE_MAJOR).
pub const PTS_MAJOR: u32 = 136;
/// How many ptys may exist (/proc/sys/kernel/pty/max's default).
const PTY_MAX: u32 = 4096;

/// What the slave wrote, waiting for the master to read it.
struct MasterQueue {
    buf: KernelCell<VecDeque<u8>>,
    wait: WaitQueue,
}

/// The slave's output driver: it queues for the master.
struct SlaveOutput(Arc<MasterQueue>);

impl TtyDriver for SlaveOutput {
    fn write(&self, data: &[u8]) {
        self.0.buf.borrow_mut().extend(data);
        self.0.wait.wake_all();
    }
}

/// A pseudo-terminal pair.
pub struct Pty {
    pub index: u32,
    pub slave: Arc<Tty>,
    queue: Arc<MasterQueue>,
    locked: AtomicBool,
    /// Open files of the slave; once it has been opened and all are closed,
    /// the master reads EIO (a hang-up).
    slave_opens: AtomicUsize,
    slave_was_open: AtomicBool,
    /// The owner's ids at creation, for the /dev/pts entry.
    pub uid: u32,
    pub gid: u32,
}

static PTYS: KernelCell<BTreeMap<u32, Weak<Pty>>> = KernelCell::new(BTreeMap::new());

/// Returns the live pty with `index`, if it is unlocked.
pub fn find(index: u32) -> Option<Arc<Pty>> {
    PTYS.borrow().get(&index).and_then(Weak::upgrade)
}

/// Returns the indexes of the live ptys, for listing /dev/pts.
pub fn indexes() -> Vec<u32> {
    PTYS.borrow()
        .iter()
        .filter(|(_, p)| p.strong_count() > 0)
        .map(|(i, _)| *i)
        .collect()
}

impl Pty {
    /// Returns whether the slave is still locked (before unlockpt).
    pub fn is_locked(&self) -> bool {
        self.locked.load(Ordering::Acquire)
    }
}

/// Opens /dev/ptmx: a new pair, and its master.
pub fn open_master(uid: u32) -> Result<Arc<dyn FileOps>> {
    let mut table = PTYS.borrow_mut();
    table.retain(|_, p| p.strong_count() > 0);
    let index = (0..PTY_MAX)
        .find(|i| !table.contains_key(i))
        .ok_or(Errno::ENOSPC)?;
    let queue = Arc::new(MasterQueue {
        buf: KernelCell::new(VecDeque::new()),
        wait: WaitQueue::new(),
    });
    let slave = Arc::new(Tty::new(
        &format!("pts/{index}"),
        Box::new(SlaveOutput(queue.clone())),
        Winsize::default(),
    ));
    let pty = Arc::new(Pty {
        index,
        slave,
        queue,
        locked: AtomicBool::new(true),
        slave_opens: AtomicUsize::new(0),
        slave_was_open: AtomicBool::new(false),
        uid,
        gid: 5, // the "tty" group, as devpts' gid=5 mount option gives
    });
    table.insert(index, Arc::downgrade(&pty));
    Ok(Arc::new(PtyMaster(pty)))
}

/// Keeps the count of a pty's open slave files.
pub struct SlaveHold(Arc<Pty>);

impl Drop for SlaveHold {
    fn drop(&mut self) {
        if self.0.slave_opens.fetch_sub(1, Ordering::AcqRel) == 1 {
            self.0.queue.wait.wake_all();
        }
    }
}

/// Counts one more open file of `tty` if it is a pty slave (an open of
/// /dev/tty that resolved to it).
pub fn hold_for(tty: &Arc<Tty>) -> Option<SlaveHold> {
    let pty = PTYS
        .borrow()
        .values()
        .filter_map(Weak::upgrade)
        .find(|p| Arc::ptr_eq(&p.slave, tty))?;
    pty.slave_opens.fetch_add(1, Ordering::AcqRel);
    Some(SlaveHold(pty))
}

/// Opens slave `index` (/dev/pts/N): EIO while locked or without a master.
pub fn open_slave(index: u32) -> Result<TtyFile> {
    let pty = find(index).ok_or(Errno::EIO)?;
    if pty.locked.load(Ordering::Acquire) {
        return Err(Errno::EIO);
    }
    pty.slave_opens.fetch_add(1, Ordering::AcqRel);
    pty.slave_was_open.store(true, Ordering::Release);
    Ok(TtyFile::new(
        pty.slave.clone(),
        Some(SlaveHold(pty.clone())),
    ))
}

/// The master side of a pair.
pub struct PtyMaster(pub Arc<Pty>);

impl PtyMaster {
    fn slave_gone(&self) -> bool {
        self.0.slave_was_open.load(Ordering::Acquire)
            && self.0.slave_opens.load(Ordering::Acquire) == 0
    }
}

impl FileOps for PtyMaster {
    fn read(&self, _: u64, buf: &mut [u8]) -> Result<usize> {
        let mut q = self.0.queue.buf.borrow_mut();
        if q.is_empty() {
            return Err(if self.slave_gone() {
                Errno::EIO
            } else {
                Errno::EAGAIN
            });
        }
        let n = buf.len().min(q.len());
        for (i, b) in q.drain(..n).enumerate() {
            buf[i] = b;
        }
        Ok(n)
    }
    fn write(&self, _: u64, data: &[u8]) -> Result<usize> {
        for (pgrp, sig) in self.0.slave.receive(data) {
            signal::send_to_group(pgrp, SigInfo::new(sig, SI_KERNEL));
        }
        Ok(data.len())
    }
    fn seekable(&self) -> bool {
        false
    }
    fn poll(&self) -> PollEvents {
        let mut ev = PollEvents::POLLOUT | PollEvents::POLLWRNORM;
        if !self.0.queue.buf.borrow().is_empty() {
            ev |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
        } else if self.slave_gone() {
            ev |= PollEvents::POLLHUP;
        }
        ev
    }
    fn wait_queue(&self) -> Option<&WaitQueue> {
        Some(&self.0.queue.wait)
    }
    fn stat(&self) -> Result<fs::Stat> {
        Ok(crate::anon_inode::stat())
    }
    fn ioctl(&self, user: &dyn UserMemory, cmd: u32, arg: u64) -> Result<u64> {
        master_ioctl(user, &self.0, cmd, arg)
    }
}

impl Drop for PtyMaster {
    /// The master's last close hangs the slave up: its readers see end of file
    /// and its session's foreground group gets SIGHUP.
    fn drop(&mut self) {
        self.0.slave.end_input();
        let (_, fg) = self.0.slave.owner();
        if fg > 0 {
            signal::send_to_group(fg, SigInfo::new(signal::SIGHUP, SI_KERNEL));
        }
    }
}

const TIOCGPTN: u32 = 0x8004_5430;
const TIOCSPTLCK: u32 = 0x4004_5431;
const TIOCGPTLCK: u32 = 0x8004_5439;
const TIOCGPTPEER: u32 = 0x5441;
const FIONREAD: u32 = 0x541b;

/// Returns the path of slave `index`, /dev/pts/INDEX as the caller sees
/// it, for the file TIOCGPTPEER opens (fstat, ttyname and /proc/PID/fd
/// need it, as Linux opens the slave through the devpts mount); None if
/// the caller has no devpts there.
fn slave_path(task: &task::Task, index: u32) -> Option<fs::Path> {
    let fsc = task.fs();
    let cred = task.process.cred.borrow().fs();
    let name = format!("/dev/pts/{index}");
    crate::boot::kernel()
        .vfs
        .lookup(
            &cred,
            &fsc.root,
            &fsc.cwd,
            name.as_bytes(),
            fs::LookupFlags::empty(),
        )
        .ok()
}

/// Handles an ioctl on the master of `pty`; terminal settings and the
/// window size are the slave's.
fn master_ioctl(user: &dyn UserMemory, pty: &Pty, cmd: u32, arg: u64) -> Result<u64> {
    let int = UserPtr::<i32>::new(arg);
    match cmd {
        TIOCGPTN => UserPtr::new(arg).write(user, &pty.index)?,
        TIOCSPTLCK => {
            let lock = int.read(user)? != 0;
            pty.locked.store(lock, Ordering::Release);
        }
        TIOCGPTLCK => int.write(user, &(pty.locked.load(Ordering::Acquire) as i32))?,
        TIOCGPTPEER => {
            let task = task::current().ok_or(Errno::ENOTTY)?;
            let flags = OpenFlags::from_bits_truncate(arg as u32);
            let f = File::new(
                slave_path(&task, pty.index),
                Arc::new(open_slave(pty.index)?),
                flags,
            );
            let fd = task.files().borrow_mut().alloc(
                f,
                flags.contains(OpenFlags::O_CLOEXEC),
                task.process.nofile(),
            )?;
            return Ok(fd as u64);
        }
        FIONREAD => {
            let n = pty.queue.buf.borrow().len() as i32;
            int.write(user, &n)?;
        }
        // TCGETS, TCSETS*, TIOCGWINSZ, TIOCSWINSZ, TCFLSH...: the slave's.
        _ => return crate::tty::master_side_ioctl(user, &pty.slave, cmd, arg),
    }
    Ok(0)
}
