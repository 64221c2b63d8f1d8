//! A netlink socket as the socket calls see it (`Socket`, Linux's
//! `netlink_ops`): the guest's buffers copied in and out, the waits of
//! recvmsg in `sock_wait`, MSG_PEEK and MSG_TRUNC (iproute2 peeks with
//! both to size its buffer), NETLINK_PKTINFO and (with SO_PASSCRED)
//! SCM_CREDENTIALS control messages, the socket filter options and the
//! SOL_NETLINK options; socket(AF_NETLINK, ...) is `create`.

use super::socket::opt;
use super::{NetlinkSocket, Sender, SOL_NETLINK};
use crate::net::filter::{self, SO_ATTACH_FILTER, SO_DETACH_FILTER, SO_LOCK_FILTER};
use crate::net::socket::{nonblocking, sock_wait, Cmsg, Received, SendMsg};
use crate::net::{MsgFlags, Options, Shutdown, SockInode, Socket};
use crate::syscall::{UserIov, SCM_CREDENTIALS};
use crate::task::{Task, TrapContext};
use arch::abi::pod::as_bytes;
use arch::{Errno, Result};
use fs::{File, PollEvents, WaitQueue};
use std::sync::Arc;

/// Returns who `task` is as a netlink sender.
fn sender(task: &Task) -> Sender {
    let c = task.process.cred.borrow();
    Sender {
        pid: task.process.pid,
        uid: c.uid,
        gid: c.gid,
        admin: c.capable(arch::abi::capability::CAP_NET_ADMIN),
    }
}

/// Returns the current task as a sender (for read(2) and write(2) paths
/// without a context); an unprivileged nobody if there is none.
fn current_sender() -> Sender {
    match crate::task::current() {
        Some(t) => sender(&t),
        None => Sender {
            pid: 0,
            uid: 65534,
            gid: 65534,
            admin: false,
        },
    }
}

/// Creates a netlink socket for socket(2): SOCK_RAW or SOCK_DGRAM of
/// NETLINK_ROUTE, NETLINK_SOCK_DIAG or NETLINK_KOBJECT_UEVENT
/// (ESOCKTNOSUPPORT, EPROTONOSUPPORT otherwise).
pub(crate) fn create(ctx: &TrapContext, kind: u32, protocol: i32) -> Result<Arc<dyn Socket>> {
    let me = sender(ctx.task);
    let owner = ctx.cred().owner();
    let net = ctx.task.net.borrow().clone();
    let s = NetlinkSocket::new(&net, kind, protocol, me.admin, owner)?;
    Ok(s)
}

impl Socket for NetlinkSocket {
    fn net(&self) -> &Arc<crate::net::Net> {
        &self.net
    }

    fn family(&self) -> u16 {
        super::AF_NETLINK
    }

    fn sock_type(&self) -> u32 {
        self.kind()
    }

    fn protocol(&self) -> i32 {
        NetlinkSocket::protocol(self)
    }

    fn inode(&self) -> &SockInode {
        NetlinkSocket::inode(self)
    }

    fn bind(&self, ctx: &TrapContext, addr: &[u8]) -> Result<()> {
        NetlinkSocket::bind(self, addr, ctx.task.process.pid)
    }

    fn connect(&self, ctx: &TrapContext, _f: &File, addr: &[u8]) -> Result<()> {
        NetlinkSocket::connect(self, addr, &sender(ctx.task))
    }

    fn name(&self) -> Vec<u8> {
        NetlinkSocket::name(self)
    }

    fn peer_name(&self) -> Result<Vec<u8>> {
        Ok(NetlinkSocket::peer_name(self))
    }

    fn shutdown(&self, _how: Shutdown) -> Result<()> {
        Err(Errno::EOPNOTSUPP)
    }

    fn sendmsg(&self, ctx: &TrapContext, _f: &File, msg: SendMsg) -> Result<usize> {
        if msg.flags.contains(MsgFlags::OOB) {
            return Err(Errno::EOPNOTSUPP);
        }
        let to = msg.to.filter(|t| !t.is_empty());
        let len = msg.iov.len();
        if len > self.options().sndbuf.saturating_sub(32) {
            return Err(Errno::EMSGSIZE);
        }
        let mut data = vec![0u8; len];
        msg.iov.copy_in(ctx, 0, &mut data)?;
        self.send(&data, to.as_deref(), &sender(ctx.task))
    }

    fn recvmsg(
        &self,
        ctx: &TrapContext,
        f: &File,
        iov: &UserIov,
        flags: MsgFlags,
    ) -> Result<Received> {
        if flags.contains(MsgFlags::OOB) {
            return Err(Errno::EOPNOTSUPP);
        }
        let nonblock = nonblocking(f, flags.contains(MsgFlags::DONTWAIT));
        let peek = flags.contains(MsgFlags::PEEK);
        let timeout = self.options().rcvtimeo;
        let r = sock_wait(ctx.task, &[self.wait_queue()], nonblock, timeout, || {
            self.recv(iov.len(), peek)
        })?;
        iov.copy_out(ctx, 0, &r.data)?;
        let mut got = Received::datagram(r.data.len(), r.len, flags);
        got.from = Some(r.name);
        if r.pktinfo {
            got.cmsgs.push(Cmsg {
                level: SOL_NETLINK,
                ty: opt::PKTINFO,
                data: r.group.to_ne_bytes().to_vec(),
            });
        }
        if self.options().passcred {
            got.cmsgs.push(Cmsg {
                level: crate::net::SOL_SOCKET,
                ty: SCM_CREDENTIALS,
                data: as_bytes(&r.creds.to_abi(&ctx.task.process)).to_vec(),
            });
        }
        Ok(got)
    }

    fn options(&self) -> Options {
        NetlinkSocket::options(self)
    }

    fn set_options(&self, f: &mut dyn FnMut(&mut Options)) {
        NetlinkSocket::set_options(self, f)
    }

    fn take_error(&self) -> Option<Errno> {
        NetlinkSocket::take_error(self)
    }

    /// SOL_NETLINK options; other levels but SOL_SOCKET are ENOPROTOOPT.
    /// The int is read only if `len` holds one (0 otherwise, as Linux).
    fn setsockopt(
        &self,
        ctx: &TrapContext,
        level: i32,
        name: i32,
        val: u64,
        len: usize,
    ) -> Option<Result<()>> {
        if level == crate::net::SOL_SOCKET {
            return match name {
                SO_ATTACH_FILTER | SO_DETACH_FILTER | SO_LOCK_FILTER => Some(
                    filter::read_option(ctx, name, val, len).and_then(|op| self.set_filter(op)),
                ),
                _ => None,
            };
        }
        if level != SOL_NETLINK {
            return Some(Err(Errno::ENOPROTOOPT));
        }
        let v = if len >= 4 {
            let mut b = [0u8; 4];
            if let Err(e) = ctx.read_user(val, &mut b) {
                return Some(Err(e));
            }
            u32::from_ne_bytes(b)
        } else {
            0
        };
        let admin = sender(ctx.task).admin;
        Some(NetlinkSocket::setsockopt(self, name, v, admin))
    }

    /// SOL_NETLINK options: EINVAL for a buffer smaller than an int.
    fn getsockopt(
        &self,
        _ctx: &TrapContext,
        level: i32,
        name: i32,
        len: usize,
    ) -> Option<Result<Vec<u8>>> {
        if level == crate::net::SOL_SOCKET {
            let locked = i32::from(self.filter_locked());
            return (name == SO_LOCK_FILTER).then(|| Ok(locked.to_ne_bytes().to_vec()));
        }
        if level != SOL_NETLINK {
            return Some(Err(Errno::ENOPROTOOPT));
        }
        let v = NetlinkSocket::getsockopt(self, name);
        Some(if len < 4 && name != opt::LIST_MEMBERSHIPS {
            v.and(Err(Errno::EINVAL))
        } else {
            v
        })
    }

    fn poll(&self) -> PollEvents {
        NetlinkSocket::poll(self)
    }

    fn wait_queue(&self) -> &WaitQueue {
        NetlinkSocket::wait_queue(self)
    }

    fn read(&self, buf: &mut [u8]) -> Result<usize> {
        let r = self.recv(buf.len(), false)?;
        buf[..r.data.len()].copy_from_slice(&r.data);
        Ok(r.data.len())
    }

    fn write(&self, data: &[u8]) -> Result<usize> {
        self.send(data, None, &current_sender())
    }

    fn is_stream(&self) -> bool {
        false
    }

    fn release(&self) {
        self.close();
    }
}
