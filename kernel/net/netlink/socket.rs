//! One AF_NETLINK socket (netlink(7), Linux's net/netlink/af_netlink.c):
//! its port id (bound explicitly or by autobind), multicast groups, default
//! destination, receive queue of datagrams with Linux's accounting (a queue
//! past SO_RCVBUF drops what comes and reports ENOBUFS once), the dump in
//! progress handed out a buffer at a time as the queue drains, and the
//! SOL_NETLINK options. What it sends to port 0 goes to the kernel: to
//! rtnetlink (`rtnl::process`) or sock_diag (`crate::net::diag`), by the
//! socket's protocol. Like every socket here it never sleeps:
//! the system call layer waits on `wait_queue` when a call answers EAGAIN.

use super::msg;
use super::rtnl::{self, Requester};
use super::{
    group, Table, AF_NETLINK, MAX_LINKS, NETLINK_KOBJECT_UEVENT, NETLINK_ROUTE, NETLINK_SOCK_DIAG,
};
use crate::net::filter::{self, Skb};
use crate::net::{Net, Options, SockInode, Ucred};
use arch::sync::{KernelCell, KernelRefMut};
use arch::{Errno, Result};
use fs::{PollEvents, WaitQueue};
use std::collections::VecDeque;
use std::sync::Arc;

/// `sizeof(struct sockaddr_nl)`.
pub(crate) const SOCKADDR_NL_LEN: usize = 12;
/// NLMSG_GOODSIZE: the least a dump puts in one datagram.
const NLMSG_GOODSIZE: usize = 3776;
/// The most of the reader's buffer size a dump datagram grows to.
const MAX_RECVMSG_LEN: usize = 32768;
/// What a queued datagram costs beyond its bytes (an skb's overhead).
const SKB_OVERHEAD: usize = 576;

/// The SOL_NETLINK options.
pub(crate) mod opt {
    pub(crate) const ADD_MEMBERSHIP: i32 = 1;
    pub(crate) const DROP_MEMBERSHIP: i32 = 2;
    pub(crate) const PKTINFO: i32 = 3;
    pub(crate) const BROADCAST_ERROR: i32 = 4;
    pub(crate) const NO_ENOBUFS: i32 = 5;
    pub(crate) const LISTEN_ALL_NSID: i32 = 8;
    pub(crate) const LIST_MEMBERSHIPS: i32 = 9;
    pub(crate) const CAP_ACK: i32 = 10;
    pub(crate) const EXT_ACK: i32 = 11;
    pub(crate) const GET_STRICT_CHK: i32 = 12;
}

/// A datagram waiting to be read.
struct Datagram {
    data: Vec<u8>,
    /// The sender's port id (0: the kernel).
    portid: u32,
    /// The multicast group it came through (0: unicast).
    group: u32,
    /// The sender's credentials (all 0: the kernel), for SCM_CREDENTIALS.
    creds: Ucred,
}

/// The kernel's credentials as a netlink message carries them.
pub(crate) const KERNEL_CREDS: Ucred = Ucred {
    pid: 0,
    uid: 0,
    gid: 0,
};

/// A socket's flags set by SOL_NETLINK options.
#[derive(Clone, Copy, Default)]
struct Flags {
    pktinfo: bool,
    broadcast_error: bool,
    no_enobufs: bool,
    cap_ack: bool,
    ext_ack: bool,
    strict: bool,
}

struct State {
    portid: Option<u32>,
    /// Groups 1..=64 as bits 0..=63.
    groups: u64,
    dst_portid: u32,
    dst_group: u32,
    flags: Flags,
    queue: VecDeque<Datagram>,
    rmem: usize,
    /// The messages of a dump in progress not yet queued.
    dump: Option<VecDeque<Vec<u8>>>,
    /// Set when the queue overflowed; cleared when it empties.
    congested: bool,
    err: Option<Errno>,
    max_recvmsg_len: usize,
    /// Whether the request being processed asked for NLM_F_ECHO.
    echo: bool,
    opts: Options,
    /// The socket filter (SO_ATTACH_FILTER) and whether it is locked.
    filter: crate::net::filter::FilterSlot,
}

/// An AF_NETLINK socket.
pub(crate) struct NetlinkSocket {
    pub(super) net: Arc<Net>,
    protocol: i32,
    kind: u32,
    /// Whether its opener had CAP_NET_ADMIN (Linux checks the opener's
    /// file credentials and the sender's).
    opener_admin: bool,
    inode: SockInode,
    state: KernelCell<State>,
    wait: WaitQueue,
}

/// A socket as sock_diag's netlink_diag reports it.
pub(crate) struct DiagView {
    pub protocol: i32,
    pub kind: u32,
    /// The port id, once bound.
    pub portid: Option<u32>,
    pub dst_portid: u32,
    pub dst_group: u32,
    /// Groups 1..=64 as bits 0..=63.
    pub groups: u64,
    /// What the receive queue holds (with overhead).
    pub rmem: usize,
    pub rcvbuf: usize,
    pub sndbuf: usize,
    pub ino: u64,
}

/// Who sends a message: what the kernel's checks and replies need.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Sender {
    /// The thread group id (the autobind port id).
    pub pid: i32,
    pub uid: u32,
    pub gid: u32,
    /// Whether the sender has CAP_NET_ADMIN.
    pub admin: bool,
}

impl Sender {
    /// Returns the credentials a message from this sender carries.
    fn creds(&self) -> Ucred {
        Ucred {
            pid: self.pid,
            uid: self.uid,
            gid: self.gid,
        }
    }
}

/// One datagram read.
pub(crate) struct Received {
    /// As much of it as fit the buffer.
    pub data: Vec<u8>,
    /// Its full length (MSG_TRUNC).
    pub len: usize,
    /// The sender's `struct sockaddr_nl`.
    pub name: Vec<u8>,
    /// The group it came through, for NETLINK_PKTINFO when `pktinfo`.
    pub group: u32,
    pub pktinfo: bool,
    /// The sender's credentials.
    pub creds: Ucred,
}

/// Returns a `struct sockaddr_nl`.
pub(crate) fn sockaddr(portid: u32, groups: u32) -> Vec<u8> {
    let mut a = vec![0u8; SOCKADDR_NL_LEN];
    a[0..2].copy_from_slice(&AF_NETLINK.to_ne_bytes());
    a[4..8].copy_from_slice(&portid.to_ne_bytes());
    a[8..12].copy_from_slice(&groups.to_ne_bytes());
    a
}

/// Parses a `struct sockaddr_nl` (EINVAL if short or not AF_NETLINK);
/// returns (nl_pid, nl_groups).
fn parse_sockaddr(raw: &[u8]) -> Result<(u32, u32)> {
    if raw.len() < SOCKADDR_NL_LEN || crate::net::sa_family(raw) != Some(AF_NETLINK) {
        return Err(Errno::EINVAL);
    }
    let pid = u32::from_ne_bytes(msg::field(raw, 4));
    let groups = u32::from_ne_bytes(msg::field(raw, 8));
    Ok((pid, groups))
}

/// Returns the group mask of group `g` in a sockaddr (0 past 32).
fn group_mask(g: u32) -> u32 {
    if (1..=32).contains(&g) {
        1 << (g - 1)
    } else {
        0
    }
}

/// Returns what a datagram of `len` bytes costs the receive buffer.
fn truesize(len: usize) -> usize {
    msg::align(len).next_multiple_of(64) + SKB_OVERHEAD
}

impl NetlinkSocket {
    /// Creates a socket of `kind` (SOCK_RAW or SOCK_DGRAM, else
    /// ESOCKTNOSUPPORT) for `protocol` (EPROTONOSUPPORT but for
    /// NETLINK_ROUTE, NETLINK_SOCK_DIAG and NETLINK_KOBJECT_UEVENT).
    pub(crate) fn new(
        net: &Arc<Net>,
        kind: u32,
        protocol: i32,
        admin: bool,
        owner: fs::Owner,
    ) -> Result<Arc<Self>> {
        if kind != crate::net::SOCK_RAW && kind != crate::net::SOCK_DGRAM {
            return Err(Errno::ESOCKTNOSUPPORT);
        }
        if !(0..MAX_LINKS).contains(&protocol)
            || !matches!(
                protocol,
                NETLINK_ROUTE | NETLINK_SOCK_DIAG | NETLINK_KOBJECT_UEVENT
            )
        {
            return Err(Errno::EPROTONOSUPPORT);
        }
        let s = Arc::new(NetlinkSocket {
            net: net.clone(),
            protocol,
            kind,
            opener_admin: admin,
            inode: SockInode::new(owner),
            state: KernelCell::new(State {
                portid: None,
                groups: 0,
                dst_portid: 0,
                dst_group: 0,
                flags: Flags::default(),
                queue: VecDeque::new(),
                rmem: 0,
                dump: None,
                congested: false,
                err: None,
                max_recvmsg_len: 0,
                echo: false,
                opts: Options::default(),
                filter: Default::default(),
            }),
            wait: WaitQueue::new(),
        });
        net.netlink.add(&s);
        Ok(s)
    }

    fn state(&self) -> KernelRefMut<'_, State> {
        self.state.borrow_mut()
    }

    fn table(&self) -> &Table {
        &self.net.netlink
    }

    /// Returns the protocol (SO_PROTOCOL).
    pub(crate) fn protocol(&self) -> i32 {
        self.protocol
    }

    /// Returns the socket type (SO_TYPE).
    pub(crate) fn kind(&self) -> u32 {
        self.kind
    }

    /// Returns the port id, if bound.
    pub(crate) fn bound_port(&self) -> Option<u32> {
        self.state().portid
    }

    /// Returns whether the socket is in multicast group `g`.
    pub(crate) fn is_member(&self, g: u32) -> bool {
        (1..=64).contains(&g) && self.state().groups & (1 << (g - 1)) != 0
    }

    /// Returns whether the request being processed asked for an echo.
    pub(crate) fn echo_pending(&self) -> bool {
        self.state().echo
    }

    /// Returns the generic socket options (SO_RCVBUF...).
    pub(crate) fn options(&self) -> Options {
        self.state().opts.clone()
    }

    /// Changes the generic socket options.
    pub(crate) fn set_options(&self, f: impl FnOnce(&mut Options)) {
        f(&mut self.state().opts);
        self.wait.wake_all();
    }

    /// Returns what sock_diag's netlink_diag reports of the socket.
    pub(crate) fn diag_view(&self) -> DiagView {
        let st = self.state();
        DiagView {
            protocol: self.protocol,
            kind: self.kind,
            portid: st.portid,
            dst_portid: st.dst_portid,
            dst_group: st.dst_group,
            groups: st.groups,
            rmem: st.rmem,
            rcvbuf: st.opts.rcvbuf,
            sndbuf: st.opts.sndbuf,
            ino: self.inode.ino,
        }
    }

    /// Returns the sockfs inode.
    pub(crate) fn inode(&self) -> &SockInode {
        &self.inode
    }

    /// Returns the queue woken whenever readiness may have changed.
    pub(crate) fn wait_queue(&self) -> &WaitQueue {
        &self.wait
    }

    /// Binds the socket (bind(2)): `nl_pid` 0 autobinds as process `pid`;
    /// EADDRINUSE for a taken id; EINVAL to rebind to another id; the
    /// groups of `nl_groups` replace the first 32.
    pub(crate) fn bind(&self, raw: &[u8], pid: i32) -> Result<()> {
        let (want, groups) = parse_sockaddr(raw)?;
        let bound = self.bound_port();
        match bound {
            Some(p) if p != want => return Err(Errno::EINVAL),
            Some(_) => {}
            None if want == 0 => self.autobind(pid),
            None => {
                if self.table().find(self.protocol, want).is_some() {
                    return Err(Errno::EADDRINUSE);
                }
                self.state().portid = Some(want);
            }
        }
        let mut st = self.state();
        st.groups = (st.groups & !0xffff_ffff) | u64::from(groups);
        Ok(())
    }

    /// Binds to a free port id if unbound.
    pub(crate) fn autobind(&self, pid: i32) {
        if self.bound_port().is_none() {
            let p = self.table().free_port(self.protocol, pid);
            self.state().portid = Some(p);
        }
    }

    /// Sets the default destination (connect(2)); AF_UNSPEC clears it.
    pub(crate) fn connect(&self, raw: &[u8], sender: &Sender) -> Result<()> {
        if raw.len() >= 2 && crate::net::sa_family(raw) == Some(crate::net::AF_UNSPEC) {
            let mut st = self.state();
            st.dst_portid = 0;
            st.dst_group = 0;
            return Ok(());
        }
        let (pid, groups) = parse_sockaddr(raw)?;
        if (pid != 0 || groups != 0) && !sender.admin {
            return Err(Errno::EPERM);
        }
        self.autobind(sender.pid);
        let mut st = self.state();
        st.dst_portid = pid;
        st.dst_group = if groups == 0 {
            0
        } else {
            groups.trailing_zeros() + 1
        };
        Ok(())
    }

    /// Returns the socket's own address (getsockname).
    pub(crate) fn name(&self) -> Vec<u8> {
        let st = self.state();
        sockaddr(st.portid.unwrap_or(0), st.groups as u32)
    }

    /// Returns the default destination's address (getpeername).
    pub(crate) fn peer_name(&self) -> Vec<u8> {
        let st = self.state();
        sockaddr(st.dst_portid, group_mask(st.dst_group))
    }

    /// Queues `data` from the kernel's port `portid` through `group` (0:
    /// unicast), or drops it and reports ENOBUFS if the queue is past
    /// SO_RCVBUF.
    pub(crate) fn deliver(&self, data: Vec<u8>, portid: u32, group: u32) -> bool {
        self.deliver_from(data, portid, group, KERNEL_CREDS)
    }

    /// Queues `data` from port `portid` with credentials `creds` through
    /// `group`, after the socket filter (which may drop or trim it, as
    /// Linux's `sk_filter` on every netlink delivery); a queue past
    /// SO_RCVBUF drops it and reports ENOBUFS once.
    pub(crate) fn deliver_from(
        &self,
        mut data: Vec<u8>,
        portid: u32,
        group: u32,
        creds: Ucred,
    ) -> bool {
        let mut st = self.state();
        if let Some(prog) = &st.filter.filter {
            let skb = Skb {
                buf: &data,
                data: 0,
                mac: None,
                net: None,
                protocol: 0,
                pkt_type: 0,
                ifindex: 0,
                hatype: 0,
            };
            match filter::run(prog, &skb) as usize {
                0 => return false,
                keep => data.truncate(keep.max(1)),
            }
        }
        if st.rmem > st.opts.rcvbuf || st.congested {
            if !st.flags.no_enobufs && !st.congested {
                st.err = Some(Errno::ENOBUFS);
            }
            st.congested = !st.flags.no_enobufs;
            drop(st);
            self.wait.wake_all();
            return false;
        }
        st.rmem += truesize(data.len());
        st.queue.push_back(Datagram {
            data,
            portid,
            group,
            creds,
        });
        drop(st);
        self.wait.wake_all();
        true
    }

    /// Queues the next buffer of the dump in progress, if the queue has
    /// room (Linux's `netlink_dump`): as many whole messages as fit the
    /// larger of NLMSG_GOODSIZE and the largest read buffer seen.
    fn dump_more(&self) {
        let chunk = {
            let mut st = self.state();
            if st.rmem >= st.opts.rcvbuf {
                return;
            }
            let cap = st.max_recvmsg_len.clamp(NLMSG_GOODSIZE, MAX_RECVMSG_LEN);
            let Some(pending) = st.dump.as_mut() else {
                return;
            };
            let mut buf: Vec<u8> = Vec::new();
            while let Some(m) = pending.front() {
                if !buf.is_empty() && buf.len() + m.len() > cap {
                    break;
                }
                if let Some(m) = pending.pop_front() {
                    buf.extend_from_slice(&m);
                }
            }
            if pending.is_empty() {
                st.dump = None;
            }
            buf
        };
        if !chunk.is_empty() {
            // A dump's buffers are what the reader asked for: they are
            // queued even past the limit, as Linux's first one is.
            let mut st = self.state();
            st.rmem += truesize(chunk.len());
            st.queue.push_back(Datagram {
                data: chunk,
                portid: 0,
                group: 0,
                creds: KERNEL_CREDS,
            });
            drop(st);
            self.wait.wake_all();
        }
    }

    /// Sends `data` (sendmsg(2)): to `dest` if given, else to the
    /// connected destination, else to the kernel. EPERM for a
    /// non-administrator sending to another port or a group; EMSGSIZE
    /// past SO_SNDBUF; ECONNREFUSED for a port nobody has. Returns the
    /// length sent.
    pub(crate) fn send(&self, data: &[u8], dest: Option<&[u8]>, sender: &Sender) -> Result<usize> {
        let (dst_portid, dst_group, explicit) = match dest {
            Some(raw) => {
                let (pid, groups) = parse_sockaddr(raw)?;
                let g = if groups == 0 {
                    0
                } else {
                    groups.trailing_zeros() + 1
                };
                if (pid != 0 || g != 0) && !sender.admin {
                    return Err(Errno::EPERM);
                }
                (pid, g, true)
            }
            None => {
                let st = self.state();
                (st.dst_portid, st.dst_group, false)
            }
        };
        self.autobind(sender.pid);
        let (portid, flags, sndbuf, dumping) = {
            let st = self.state();
            (
                st.portid.unwrap_or(0),
                st.flags,
                st.opts.sndbuf,
                st.dump.is_some(),
            )
        };
        if data.len() > sndbuf.saturating_sub(32) {
            return Err(Errno::EMSGSIZE);
        }
        let creds = sender.creds();
        if dst_group != 0 {
            let from = (self, portid, creds);
            self.table()
                .multicast(self.protocol, dst_group, data, dst_portid, from);
        }
        if dst_portid != 0 {
            let to = self
                .table()
                .find(self.protocol, dst_portid)
                .ok_or(Errno::ECONNREFUSED)?;
            to.deliver_from(data.to_vec(), portid, 0, creds);
            return Ok(data.len());
        }
        if self.protocol == NETLINK_KOBJECT_UEVENT {
            // The uevent kernel socket takes only uevent injections for
            // other namespaces' owners; anything else it reads is ignored.
            return Ok(data.len());
        }
        let who = Requester {
            portid,
            admin: sender.admin && (self.opener_admin || explicit),
            strict: flags.strict,
            ext_ack: flags.ext_ack,
            cap_ack: flags.cap_ack,
            uid: sender.uid,
        };
        self.state().echo = msg::split(data)
            .iter()
            .any(|(h, _)| h.flags & msg::nlm_f::ECHO != 0);
        let out = match self.protocol {
            NETLINK_SOCK_DIAG => crate::net::diag::process(&self.net, who, data, dumping),
            _ => rtnl::process(&self.net, who, data, dumping),
        };
        self.state().echo = false;
        for d in out.datagrams {
            self.deliver(d, 0, 0);
        }
        if let Some(dump) = out.dump {
            self.state().dump = Some(dump.into());
            self.dump_more();
        }
        Ok(data.len())
    }

    /// Takes (or with `peek` copies) the next datagram, at most `len`
    /// bytes of it (recvmsg(2)): a pending error first (ENOBUFS after an
    /// overflow), EAGAIN if there is none.
    pub(crate) fn recv(&self, len: usize, peek: bool) -> Result<Received> {
        let got = {
            let mut st = self.state();
            if let Some(e) = st.err.take() {
                return Err(e);
            }
            st.max_recvmsg_len = st.max_recvmsg_len.max(len).min(MAX_RECVMSG_LEN);
            let pktinfo = st.flags.pktinfo;
            let d = match st.queue.front() {
                None => return Err(Errno::EAGAIN),
                Some(d) => Received {
                    data: d.data[..len.min(d.data.len())].to_vec(),
                    len: d.data.len(),
                    name: sockaddr(d.portid, group_mask(d.group)),
                    group: d.group,
                    pktinfo,
                    creds: d.creds,
                },
            };
            if !peek {
                if let Some(d) = st.queue.pop_front() {
                    st.rmem = st.rmem.saturating_sub(truesize(d.data.len()));
                }
                if st.queue.is_empty() {
                    st.congested = false;
                }
            }
            d
        };
        if !peek {
            let room = {
                let st = self.state();
                st.dump.is_some() && st.rmem <= st.opts.rcvbuf / 2
            };
            if room {
                self.dump_more();
            }
        }
        Ok(got)
    }

    /// Closes the socket: it leaves its port and groups, and what it had
    /// queued is freed.
    pub(crate) fn close(&self) {
        let mut st = self.state();
        st.portid = None;
        st.groups = 0;
        st.queue.clear();
        st.dump = None;
        st.rmem = 0;
    }

    /// Returns the ready events: readable with a datagram or an error.
    pub(crate) fn poll(&self) -> PollEvents {
        let st = self.state();
        let mut ev = PollEvents::POLLOUT | PollEvents::POLLWRNORM;
        if !st.queue.is_empty() {
            ev |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
        }
        if st.err.is_some() {
            ev |= PollEvents::POLLERR;
        }
        ev
    }

    /// Applies a filter option (SO_ATTACH_FILTER and the like).
    pub(crate) fn set_filter(&self, op: crate::net::filter::FilterOp) -> Result<()> {
        self.state().filter.apply(op)
    }

    /// Returns whether the socket filter is locked.
    pub(crate) fn filter_locked(&self) -> bool {
        self.state().filter.locked
    }

    /// Returns and clears the pending error (SO_ERROR).
    pub(crate) fn take_error(&self) -> Option<Errno> {
        self.state().err.take()
    }

    /// Sets a SOL_NETLINK option from the int `val` (0 if `optlen` was
    /// shorter than an int, as Linux reads it): EINVAL for a group that
    /// does not exist, ENOPROTOOPT for an unknown option, EPERM for
    /// NETLINK_LISTEN_ALL_NSID without privilege.
    pub(crate) fn setsockopt(&self, name: i32, val: u32, admin: bool) -> Result<()> {
        let on = val != 0;
        let mut st = self.state();
        match name {
            opt::PKTINFO => st.flags.pktinfo = on,
            opt::ADD_MEMBERSHIP | opt::DROP_MEMBERSHIP => {
                if val == 0 || val > group::max(self.protocol) {
                    return Err(Errno::EINVAL);
                }
                let bit = 1u64 << (val - 1);
                if name == opt::ADD_MEMBERSHIP {
                    st.groups |= bit;
                } else {
                    st.groups &= !bit;
                }
            }
            opt::BROADCAST_ERROR => st.flags.broadcast_error = on,
            opt::NO_ENOBUFS => {
                st.flags.no_enobufs = on;
                if on {
                    st.congested = false;
                }
            }
            opt::LISTEN_ALL_NSID => {
                if !admin {
                    return Err(Errno::EPERM);
                }
            }
            opt::CAP_ACK => st.flags.cap_ack = on,
            opt::EXT_ACK => st.flags.ext_ack = on,
            opt::GET_STRICT_CHK => st.flags.strict = on,
            _ => return Err(Errno::ENOPROTOOPT),
        }
        Ok(())
    }

    /// Returns a SOL_NETLINK option's value (NETLINK_LIST_MEMBERSHIPS: the
    /// group bitmap as u32 words); ENOPROTOOPT for an unknown option.
    pub(crate) fn getsockopt(&self, name: i32) -> Result<Vec<u8>> {
        let st = self.state();
        let f = st.flags;
        let v = match name {
            opt::PKTINFO => f.pktinfo,
            opt::BROADCAST_ERROR => f.broadcast_error,
            opt::NO_ENOBUFS => f.no_enobufs,
            opt::CAP_ACK => f.cap_ack,
            opt::EXT_ACK => f.ext_ack,
            opt::GET_STRICT_CHK => f.strict,
            opt::LIST_MEMBERSHIPS => {
                let g = st.groups;
                let mut out = (g as u32).to_ne_bytes().to_vec();
                out.extend_from_slice(&((g >> 32) as u32).to_ne_bytes());
                return Ok(out);
            }
            _ => return Err(Errno::ENOPROTOOPT),
        };
        Ok(i32::from(v).to_ne_bytes().to_vec())
    }
}
