//! Sockets. Every family implements `Socket` (socket.rs, Linux's
//! `proto_ops`) and its open file is a `SocketFile` (file.rs); the Unix
//! domain is `unix` (unix(7)). socket(2) answers `EAFNOSUPPORT` for the
//! families not built. This module holds what is common to sockets of any
//! family: the numbers of the socket ABI (address families, types, message
//! flags) and the generic per-socket options of socket(7) (`Options`). The
//! system calls are in kernel/syscall/socket.rs and its neighbours.
//! NETLINK_SOCK_DIAG, which reports on the sockets of every family, is
//! `diag`.

pub(crate) mod device;
mod diag;
mod file;
pub(crate) mod filter;
pub(crate) mod inet;
pub(crate) mod ioctl;
mod mib;
#[cfg(test)]
mod model_tests;
mod namespace;
pub(crate) mod netlink;
mod nic;
pub(crate) mod options;
pub(crate) mod packet;
pub(crate) mod procfs;
pub(crate) mod route;
pub(crate) mod socket;
pub(crate) mod sysctl;
pub(crate) mod unix;

pub(crate) use file::{socket_of, SocketFile};
pub(crate) use ioctl::dev_ioctl;
pub(crate) use namespace::{current, init_net, Net, NextHop, Origin, CLONE_NEWNET};
pub(crate) use nic::attach as attach_nics;
pub(crate) use nic::{
    ifindex_of as nic_ifindex, open as open_nic, plug as plug_nic, unplug as unplug_nic,
    UnplugError,
};
pub(crate) use options::{Options, Timeout, PLAIN_OPTIONS};
pub(crate) use socket::{Shutdown, SockInode, Socket};

use crate::task::Task;

/// `AF_UNSPEC`: no address (dgram connect(2) with it disconnects).
pub(crate) const AF_UNSPEC: u16 = 0;
/// `AF_UNIX` (`AF_LOCAL`).
pub(crate) const AF_UNIX: u16 = 1;

/// Returns the family (`sa_family_t`, the first field of every socket
/// address) of the address `raw`; None if it is shorter than that.
pub(crate) fn sa_family(raw: &[u8]) -> Option<u16> {
    arch::abi::pod::from_bytes(raw)
}
/// One past the last address family Linux knows (`AF_MAX`, `NPROTO`).
pub(crate) const AF_MAX: u64 = 46;

/// `SOL_SOCKET`: the level of the generic options and control messages.
pub(crate) const SOL_SOCKET: i32 = 1;

/// The socket types of socket(2), with the flags that share the argument.
pub(crate) const SOCK_STREAM: u32 = 1;
pub(crate) const SOCK_DGRAM: u32 = 2;
pub(crate) const SOCK_RAW: u32 = 3;
pub(crate) const SOCK_SEQPACKET: u32 = 5;
/// One past the largest type number (`SOCK_MAX`).
pub(crate) const SOCK_MAX: u32 = 11;
pub(crate) const SOCK_TYPE_MASK: u32 = 0xf;
pub(crate) const SOCK_NONBLOCK: u32 = fs::OpenFlags::O_NONBLOCK.bits();
pub(crate) const SOCK_CLOEXEC: u32 = fs::OpenFlags::O_CLOEXEC.bits();

bitflags::bitflags! {
    /// The `MSG_*` flags of send(2) and recv(2) and of `msg_flags`; Linux
    /// ignores bits a protocol does not use, and so do we.
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub(crate) struct MsgFlags: u32 {
        const OOB = 0x1;
        const PEEK = 0x2;
        const DONTROUTE = 0x4;
        const CTRUNC = 0x8;
        const TRUNC = 0x20;
        const DONTWAIT = 0x40;
        const EOR = 0x80;
        const WAITALL = 0x100;
        const ERRQUEUE = 0x2000;
        const NOSIGNAL = 0x4000;
        const MORE = 0x8000;
        const WAITFORONE = 0x10000;
        const CMSG_CLOEXEC = 0x4000_0000;
    }
}

/// The three socket types of the Unix domain.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum SockType {
    Stream,
    Dgram,
    SeqPacket,
}

impl SockType {
    /// Returns the `SOCK_*` number (SO_TYPE).
    pub(crate) fn raw(self) -> u32 {
        match self {
            SockType::Stream => SOCK_STREAM,
            SockType::Dgram => SOCK_DGRAM,
            SockType::SeqPacket => SOCK_SEQPACKET,
        }
    }

    /// Returns whether the type has connections (listen, accept, EOF).
    pub(crate) fn connection_based(self) -> bool {
        self != SockType::Dgram
    }
}

/// Credentials as a socket reports them (`struct ucred`: SO_PEERCRED and
/// SCM_CREDENTIALS).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Ucred {
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
}

impl Ucred {
    /// What a socket with no credentials reports: pid 0 and the overflow
    /// ids (Linux's `cred_to_ucred` without a cred gives -1).
    pub(crate) const NONE: Ucred = Ucred {
        pid: 0,
        uid: u32::MAX,
        gid: u32::MAX,
    };

    /// Returns these credentials as `struct ucred` for `observer`: the
    /// pid (kept as a global id) in its PID namespace, 0 where the process
    /// is not visible there (Linux's `pid_vnr` in `scm_recv`/SO_PEERCRED).
    pub(crate) fn to_abi(self, observer: &crate::task::Process) -> arch::abi::structs::Ucred {
        arch::abi::structs::Ucred {
            pid: observer.vnr(self.pid),
            uid: self.uid,
            gid: self.gid,
        }
    }

    /// Returns the credentials a `struct ucred` holds, its pid as given.
    pub(crate) fn from_abi(c: arch::abi::structs::Ucred) -> Ucred {
        Ucred {
            pid: c.pid,
            uid: c.uid,
            gid: c.gid,
        }
    }

    /// Returns what a message from `task` carries: its process id and real
    /// user and group ids (Linux's `current_uid_gid`).
    pub(crate) fn real(task: &Task) -> Ucred {
        let c = task.process.cred.borrow();
        Ucred {
            pid: task.process.pid,
            uid: c.uid,
            gid: c.gid,
        }
    }

    /// Returns what SO_PEERCRED reports of `task`: its process id and
    /// effective user and group ids.
    pub(crate) fn effective(task: &Task) -> Ucred {
        let c = task.process.cred.borrow();
        Ucred {
            pid: task.process.pid,
            uid: c.euid,
            gid: c.egid,
        }
    }
}
