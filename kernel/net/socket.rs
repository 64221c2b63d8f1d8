//! The interface every socket family implements (Linux's `struct
//! proto_ops` with the `struct sock` fields the generic calls read), and
//! what the families share: the one place socket calls sleep (`sock_wait`)
//! and the sockfs inode a socket's file reports (`SockInode`).
//!
//! The system calls (kernel/syscall/socket.rs and its neighbours) decode
//! the guest's arguments, find the `Socket` behind a descriptor and call
//! it; a family answers `EAGAIN` where it would block and the call sleeps
//! in `sock_wait` on the socket's queues.

use super::{MsgFlags, Options, Timeout, Ucred};
use crate::signal::{send_to_task, SigInfo, SIGPIPE, SI_USER};
use crate::sleep::{wait_event, Interruptible};
use crate::syscall::{deadline_after, Control, UserIov};
use crate::task::{Task, TrapContext};
use arch::{Errno, Result, PAGE_SIZE};
use fs::{File, OpenFlags, Owner, PollEvents, Stat, Timespec, UserMemory, WaitQueue};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

bitflags::bitflags! {
    /// Which directions are shut down (Linux's `sk_shutdown`; shutdown(2)'s
    /// SHUT_RD is RCV, SHUT_WR SEND).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) struct Shutdown: u8 {
        const RCV = 1;
        const SEND = 2;
    }
}

/// One control message a receive returns (`struct cmsghdr` and its data).
pub(crate) struct Cmsg {
    pub level: i32,
    pub ty: i32,
    pub data: Vec<u8>,
}

/// What one receive got besides the data.
pub(crate) struct Received {
    /// The call's result: bytes copied, or the datagram's length with MSG_TRUNC.
    pub n: usize,
    pub flags: MsgFlags,
    /// The sender's address; None (a zero msg_namelen) if it has none.
    pub from: Option<Vec<u8>>,
    /// Control messages, in the order recvmsg writes them.
    pub cmsgs: Vec<Cmsg>,
    /// SCM_RIGHTS: open files passed with the data (written last).
    pub files: Vec<Arc<File>>,
}

impl Received {
    /// Returns a receive of `n` bytes and nothing else.
    pub(crate) fn bytes(n: usize) -> Received {
        Received {
            n,
            flags: MsgFlags::empty(),
            from: None,
            cmsgs: Vec::new(),
            files: Vec::new(),
        }
    }

    /// Returns the receive of a datagram of `len` bytes of which `copied`
    /// reached the caller: MSG_TRUNC in its flags when it was cut and, if
    /// the caller asked MSG_TRUNC (`asked`), the whole length as the result.
    pub(crate) fn datagram(copied: usize, len: usize, asked: MsgFlags) -> Received {
        let n = if asked.contains(MsgFlags::TRUNC) {
            len
        } else {
            copied
        };
        let mut r = Received::bytes(n);
        if copied < len {
            r.flags |= MsgFlags::TRUNC;
        }
        r
    }
}

/// What a send carries.
pub(crate) struct SendMsg<'a> {
    pub iov: &'a UserIov,
    /// The destination address as the guest gave it (sendto, msg_name).
    pub to: Option<Vec<u8>>,
    pub control: Control,
    pub flags: MsgFlags,
}

/// A socket of any family. Operations never sleep: where Linux would block
/// they answer `EAGAIN` and the caller waits in `sock_wait`, except the
/// calls given the `TrapContext`, which wait themselves, honouring the
/// socket's timeouts, O_NONBLOCK on `f` and signals.
pub(crate) trait Socket: Send + Sync {
    /// Returns the address family (`SO_DOMAIN`).
    fn family(&self) -> u16;
    /// Returns the socket type (`SO_TYPE`, `SOCK_*`).
    fn sock_type(&self) -> u32;
    /// Returns the protocol (`SO_PROTOCOL`).
    fn protocol(&self) -> i32 {
        0
    }
    /// Returns the sockfs inode behind the socket's file.
    fn inode(&self) -> &SockInode;
    /// Returns the network namespace the socket was made in (Linux's
    /// `sock_net`): its interfaces, names and settings are that one's.
    fn net(&self) -> &Arc<crate::net::Net>;

    fn bind(&self, ctx: &TrapContext, addr: &[u8]) -> Result<()>;
    fn connect(&self, ctx: &TrapContext, f: &File, addr: &[u8]) -> Result<()>;
    fn listen(&self, _ctx: &TrapContext, _backlog: u32) -> Result<()> {
        Err(Errno::EOPNOTSUPP)
    }
    /// Waits for and takes a connection; returns it and the peer's address.
    fn accept(&self, _ctx: &TrapContext, _f: &File) -> Result<(Arc<dyn Socket>, Vec<u8>)> {
        Err(Errno::EOPNOTSUPP)
    }
    /// Returns the local address (getsockname).
    fn name(&self) -> Vec<u8>;
    /// Returns the peer's address (getpeername): ENOTCONN without one.
    fn peer_name(&self) -> Result<Vec<u8>>;
    fn shutdown(&self, how: Shutdown) -> Result<()>;
    fn sendmsg(&self, ctx: &TrapContext, f: &File, msg: SendMsg) -> Result<usize>;
    fn recvmsg(
        &self,
        ctx: &TrapContext,
        f: &File,
        iov: &UserIov,
        flags: MsgFlags,
    ) -> Result<Received>;

    /// Returns the generic options.
    fn options(&self) -> Options;
    /// Changes the generic options.
    fn set_options(&self, f: &mut dyn FnMut(&mut Options));
    /// Takes the pending error (SO_ERROR).
    fn take_error(&self) -> Option<Errno> {
        None
    }
    /// Returns whether the socket listens (SO_ACCEPTCONN).
    fn is_listening(&self) -> bool {
        false
    }
    /// Returns SO_PEERCRED.
    fn peercred(&self) -> Ucred {
        Ucred::NONE
    }
    /// Sets an option the family handles itself (any level but the generic
    /// SOL_SOCKET ones) from the `len` bytes at `val`; None leaves it to the
    /// generic code.
    fn setsockopt(
        &self,
        _ctx: &TrapContext,
        _level: i32,
        _opt: i32,
        _val: u64,
        _len: usize,
    ) -> Option<Result<()>> {
        None
    }
    /// Returns an option the family handles itself, at most `len` bytes of
    /// it; None leaves it to the generic code.
    fn getsockopt(
        &self,
        _ctx: &TrapContext,
        _level: i32,
        _opt: i32,
        _len: usize,
    ) -> Option<Result<Vec<u8>>> {
        None
    }

    /// Returns the events ready now.
    fn poll(&self) -> PollEvents;
    /// Returns the queue woken on every change poll reports.
    fn wait_queue(&self) -> &WaitQueue;
    /// Answers a socket ioctl (SIOCINQ...); ENOTTY for those it does not
    /// know, which then go to the interface ioctls.
    fn ioctl(&self, _user: &dyn UserMemory, _cmd: u32, _arg: u64) -> Result<u64> {
        Err(Errno::ENOTTY)
    }
    /// Reads without waiting, for callers other than the socket calls
    /// (sendfile, splice).
    fn read(&self, buf: &mut [u8]) -> Result<usize>;
    /// Writes without waiting, as `read`.
    fn write(&self, data: &[u8]) -> Result<usize>;
    /// Returns whether the socket carries a byte stream.
    fn is_stream(&self) -> bool;
    /// Notes that an open file holds the socket.
    fn attach_file(&self) {}
    /// Closes the socket: its file's last close.
    fn release(&self);
}

/// The sockfs inode of a socket: what fstat(2) reports and the number of
/// "socket:[INO]".
pub(crate) struct SockInode {
    pub ino: u64,
    pub owner: Owner,
    pub ctime: Timespec,
}

/// The st_dev of sockfs (an unnamed device).
fn sockfs_dev() -> u64 {
    static DEV: OnceLock<u64> = OnceLock::new();
    *DEV.get_or_init(fs::anon_dev)
}

/// How many sockets exist (/proc/net/sockstat's "sockets: used").
static IN_USE: AtomicU64 = AtomicU64::new(0);

/// Returns how many sockets exist.
pub(crate) fn sockets_in_use() -> u64 {
    IN_USE.load(Ordering::Relaxed)
}

impl Drop for SockInode {
    fn drop(&mut self) {
        IN_USE.fetch_sub(1, Ordering::Relaxed);
    }
}

impl SockInode {
    /// Returns a new inode owned by `owner`, made now.
    pub(crate) fn new(owner: Owner) -> SockInode {
        static NEXT_INO: AtomicU64 = AtomicU64::new(1);
        IN_USE.fetch_add(1, Ordering::Relaxed);
        let (sec, nsec) = arch::host::time::clock_gettime(0).unwrap_or((0, 0));
        SockInode {
            ino: NEXT_INO.fetch_add(1, Ordering::Relaxed),
            owner,
            ctime: Timespec {
                sec,
                nsec: nsec as u32,
            },
        }
    }

    /// Returns what fstat(2) reports: a sockfs inode, S_IFSOCK | 0777.
    pub(crate) fn stat(&self) -> Stat {
        Stat {
            dev: sockfs_dev(),
            ino: self.ino,
            mode: fs::FileType::Socket.to_mode_bits() | 0o777,
            nlink: 1,
            uid: self.owner.uid,
            gid: self.owner.gid,
            blksize: PAGE_SIZE as u32,
            atime: self.ctime,
            mtime: self.ctime,
            ctime: self.ctime,
            ..Default::default()
        }
    }
}

/// Raises SIGPIPE at the caller for a send that failed with EPIPE, unless
/// it gave MSG_NOSIGNAL (Linux's `sk_stream_error` and `unix_stream_sendmsg`).
pub(crate) fn sigpipe(ctx: &TrapContext, flags: MsgFlags) {
    if flags.contains(MsgFlags::NOSIGNAL) {
        return;
    }
    let uid = ctx.task.process.cred.borrow().uid;
    send_to_task(
        ctx.task,
        SigInfo::kill(SIGPIPE, SI_USER, ctx.task.process.pid, uid),
    );
}

/// Returns whether a call on `f` must not wait (O_NONBLOCK, or MSG_DONTWAIT
/// given as `dontwait`).
pub(crate) fn nonblocking(f: &File, dontwait: bool) -> bool {
    dontwait || f.flags().contains(OpenFlags::O_NONBLOCK)
}

/// Runs `op` until it stops answering EAGAIN, sleeping on `queues` between
/// tries: at once EAGAIN if `nonblock` or a zero timeout; EAGAIN when
/// `timeout` passes; ERESTARTSYS on a signal, or EINTR if a timeout was set
/// (Linux's `sock_intr_errno`).
pub(crate) fn sock_wait<T>(
    task: &Task,
    queues: &[&WaitQueue],
    nonblock: bool,
    timeout: Timeout,
    mut op: impl FnMut() -> Result<T>,
) -> Result<T> {
    let first = op();
    if !matches!(first, Err(Errno::EAGAIN)) || nonblock {
        return first;
    }
    let deadline = match timeout {
        Timeout::Forever => None,
        Timeout::After(d) if d.is_zero() => return first,
        Timeout::After(d) => deadline_after(d),
    };
    let again = wait_event(
        task,
        queues,
        deadline,
        Interruptible::Signals,
        || match op() {
            Err(Errno::EAGAIN) => None,
            r => Some(r),
        },
    );
    match again {
        Ok(Some(r)) => r,
        Ok(None) => Err(Errno::EAGAIN),
        Err(Errno::ERESTARTSYS) if timeout != Timeout::Forever => Err(Errno::EINTR),
        Err(e) => Err(e),
    }
}
