//! TCP sockets (tcp(7)) over smoltcp: a socket is unconnected (perhaps
//! bound), listening (a `Listener` in the stack), connecting or connected to
//! one smoltcp socket. Linux's semantics are kept here where smoltcp has
//! none: ports and their conflicts, the accept queue, errors reported once
//! (ECONNREFUSED, ECONNRESET), half-close with shutdown(2), SIGPIPE, an
//! abortive close with SO_LINGER 0 or unread data, and a closed connection
//! finishing in the background. The data path is `io`, what a socket
//! reports of itself (TCP_INFO, /proc/net/tcp) `report`.

mod io;
mod report;

use super::addr::{self, Endpoint, SockAddr};
use super::listen::{Listener, Template};
use super::ports::PortUse;
use super::sockopt::{InetOptions, SOL_TCP, TCP_INFO, TCP_KEEPIDLE, TCP_NODELAY};
use super::stack::Stack;
use super::{euid, read_opt, AF_INET6, IPPROTO_TCP};
use crate::net::socket::{nonblocking, sock_wait, Received, SendMsg, SockInode, Socket};
use crate::net::Net;
use crate::net::{MsgFlags, Options, Shutdown, SOCK_STREAM, SOL_SOCKET};
use crate::syscall::{UserIov, UserPtr};
use crate::task::TrapContext;
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{File, Owner, PollEvents, UserMemory, WaitQueue};
use smoltcp::iface::SocketHandle;
use smoltcp::socket::tcp;
use smoltcp::wire::{IpEndpoint, IpListenEndpoint};
use std::sync::Arc;

/// The receive and send buffers of a connection whose program did not size
/// them (Linux's tcp_rmem and tcp_wmem autotuning grows past this).
const BUFFER: usize = 256 * 1024;
/// SO_KEEPALIVE and SO_LINGER, as socket(7) numbers them.
const SO_KEEPALIVE: i32 = 9;

/// Where a TCP socket is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Conn {
    /// Never connected, or its connection attempt failed.
    Closed,
    Listening,
    Connecting(SocketHandle),
    Connected(SocketHandle),
}

struct State {
    opts: Options,
    inet: InetOptions,
    /// The local endpoint once bound (explicitly or by connect/listen).
    local: Option<Endpoint>,
    /// The port table entry is this socket's (bound by it).
    bound: bool,
    conn: Conn,
    /// Set by shutdown(SHUT_RD): reads see end of file.
    shut_rd: bool,
    /// shutdown(SHUT_WR) was done.
    shut_wr: bool,
    /// The port was chosen by connect(2).
    autobound: bool,
    /// connect(2) returned before the connection was made (EINPROGRESS):
    /// the next connect(2) reports how it went.
    in_progress: bool,
    /// The error SO_ERROR reports and the next call returns once.
    err: Option<Errno>,
    /// The reset of the connection was reported already.
    reset_told: bool,
}

/// A TCP socket.
pub(crate) struct TcpSocket {
    family: u16,
    /// The network namespace the socket was made in.
    pub(super) net: Arc<Net>,
    id: u64,
    inode: SockInode,
    wait: Arc<WaitQueue>,
    state: KernelCell<State>,
}

impl TcpSocket {
    pub(crate) fn new(family: u16, owner: Owner, net: &Arc<Net>) -> Arc<TcpSocket> {
        net.with_stack(|stack| TcpSocket::new_in(family, owner, stack))
    }

    /// Returns a socket for an accepted connection `h` of `listener`.
    fn accepted(listener: &TcpSocket, h: SocketHandle, stack: &mut Stack) -> Arc<TcpSocket> {
        let sock = TcpSocket::new_in(listener.family, listener.inode.owner, stack);
        let (local, remote) = {
            let t = stack.tcp(h);
            (t.local_endpoint(), t.remote_endpoint())
        };
        let l = listener.state.borrow();
        let mut s = sock.state.borrow_mut();
        s.opts = l.opts.clone();
        s.inet = l.inet.clone();
        s.conn = Conn::Connected(h);
        if let (Some(local), Some(remote)) = (local, remote) {
            let local = Endpoint::new(local.addr.into(), local.port);
            s.local = Some(local);
            let mut u = sock.port_use(&s, local, listener.inode.owner.uid);
            u.remote = Some((remote.addr.into(), remote.port));
            // The listener holds the port already: this entry only marks
            // the connection's use of it.
            stack.tcp_ports.add(local.port, u);
            s.bound = true;
        }
        drop(s);
        stack.watch(h, &sock.wait);
        sock
    }

    fn new_in(family: u16, owner: Owner, stack: &mut Stack) -> Arc<TcpSocket> {
        let id = stack.new_id();
        let sock = Arc::new(TcpSocket {
            family,
            net: stack.net(),
            id,
            inode: SockInode::new(owner),
            wait: Arc::new(WaitQueue::new()),
            state: KernelCell::new(State {
                opts: Options::default(),
                inet: InetOptions::default(),
                local: None,
                bound: false,
                conn: Conn::Closed,
                shut_rd: false,
                shut_wr: false,
                autobound: false,
                in_progress: false,
                err: None,
                reset_told: false,
            }),
        });
        stack.tcp_socks.insert(id, Arc::downgrade(&sock));
        sock
    }

    /// Returns how new smoltcp sockets of this socket are made.
    fn template(&self, s: &State) -> Template {
        // Buffers the program sized are that size; the others get what
        // Linux's autotuning reaches on loopback.
        Template {
            rx: if s.opts.rcvbuf_locked {
                s.opts.rcvbuf
            } else {
                BUFFER
            },
            tx: if s.opts.sndbuf_locked {
                s.opts.sndbuf
            } else {
                BUFFER
            },
            nodelay: s.inet.nodelay,
            keepalive: s.inet.keepalive(s.opts.plain(SO_KEEPALIVE) != 0),
            hop_limit: s.inet.ttl,
        }
    }

    /// Returns the port table entry this socket would hold at `ep`.
    fn port_use(&self, s: &State, ep: Endpoint, uid: u32) -> PortUse {
        PortUse::new(self.id, ep.addr, &s.opts, s.inet.v6only, uid)
    }

    /// Moves a connection attempt on: connected, or failed (the error kept
    /// for SO_ERROR and the next call).
    fn refresh(&self, stack: &mut Stack, s: &mut State) {
        if let Conn::Connecting(h) = s.conn {
            match stack.tcp(h).state() {
                tcp::State::SynSent | tcp::State::SynReceived => {}
                tcp::State::Closed => {
                    stack.remove(h);
                    s.conn = Conn::Closed;
                    s.err = Some(Errno::ECONNREFUSED);
                    if s.autobound {
                        // The port connect(2) chose goes back.
                        if let Some(l) = s.local.take() {
                            stack.tcp_ports.release(l.port, self.id);
                        }
                        s.bound = false;
                        s.autobound = false;
                    }
                }
                _ => s.conn = Conn::Connected(h),
            }
        }
    }

    /// Returns the pending reset of a connection as an error, once.
    fn reset_error(&self, stack: &Stack, s: &mut State) -> Option<Errno> {
        if let Conn::Connected(h) = s.conn {
            if !s.reset_told {
                let e = stack.reset_errno(h)?;
                s.reset_told = true;
                return Some(e);
            }
        }
        None
    }

    /// Binds to `ep` (port 0: an ephemeral one) in the port table.
    fn bind_at(
        &self,
        stack: &mut Stack,
        s: &mut State,
        ep: Endpoint,
        uid: u32,
    ) -> Result<Endpoint> {
        let u = self.port_use(s, ep, uid);
        let port = if ep.port == 0 {
            stack
                .tcp_ports
                .bind_ephemeral(stack.net().ip_local_port_range(), u)?
        } else {
            stack.tcp_ports.bind(ep.port, u)?;
            ep.port
        };
        let local = Endpoint::new(ep.addr, port);
        s.local = Some(local);
        s.bound = true;
        Ok(local)
    }
}

impl Socket for TcpSocket {
    fn net(&self) -> &Arc<crate::net::Net> {
        &self.net
    }

    fn family(&self) -> u16 {
        self.family
    }

    fn sock_type(&self) -> u32 {
        SOCK_STREAM
    }

    fn protocol(&self) -> i32 {
        IPPROTO_TCP
    }

    fn inode(&self) -> &SockInode {
        &self.inode
    }

    fn bind(&self, ctx: &TrapContext, raw: &[u8]) -> Result<()> {
        let ep = super::bind_endpoint(raw, self.family)?;
        let uid = euid(ctx);
        super::check_bind_port(ctx, ep.port)?;
        self.net.with_stack(|stack| {
            let mut s = self.state.borrow_mut();
            if s.local.is_some() || s.conn != Conn::Closed {
                return Err(Errno::EINVAL);
            }
            if !stack.may_bind(ep.addr) {
                return Err(Errno::EADDRNOTAVAIL);
            }
            self.bind_at(stack, &mut s, ep, uid).map(|_| ())
        })
    }

    fn connect(&self, ctx: &TrapContext, f: &File, raw: &[u8]) -> Result<()> {
        let remote = match addr::parse(raw, self.family)? {
            SockAddr::Unspec => return Err(Errno::EAFNOSUPPORT),
            SockAddr::Inet(ep) => ep,
        };
        if self.family == AF_INET6 && addr::is_inet4(raw) {
            return Err(Errno::EAFNOSUPPORT);
        }
        let uid = euid(ctx);
        let started = self.net.with_stack(|stack| -> Result<bool> {
            let mut s = self.state.borrow_mut();
            self.refresh(stack, &mut s);
            // A connection that was in progress is reported once: done
            // (0) or failed (its error); after that EISCONN.
            let reported = std::mem::take(&mut s.in_progress);
            match s.conn {
                Conn::Connecting(_) => {
                    s.in_progress = true;
                    return Err(Errno::EALREADY);
                }
                Conn::Connected(_) if reported => return Ok(false),
                Conn::Connected(_) | Conn::Listening => return Err(Errno::EISCONN),
                Conn::Closed if reported && s.err.is_some() => {
                    return Err(s.err.take().expect("checked"));
                }
                Conn::Closed => {}
            }
            let remote = remote.destination();
            if remote.port == 0 {
                return Err(Errno::ECONNREFUSED);
            }
            if s.inet.v6only && remote.addr.is_ipv4() {
                return Err(Errno::ENETUNREACH);
            }
            let src = stack.source_for(remote.addr).ok_or(Errno::ENETUNREACH)?;
            let local = match s.local {
                Some(l) if l.addr.is_unspecified() => Endpoint::new(src, l.port),
                Some(l) => l.unmapped(),
                None => {
                    let mut u = self.port_use(&s, Endpoint::new(src, 0), uid);
                    u.remote = Some((remote.addr, remote.port));
                    let port = stack
                        .tcp_ports
                        .connect_ephemeral(stack.net().ip_local_port_range(), u)?;
                    s.bound = true;
                    s.autobound = true;
                    Endpoint::new(src, port)
                }
            };
            s.local = Some(local);
            s.err = None;
            s.reset_told = false;
            let mut sock = self.template(&s).socket();
            let to = IpEndpoint::new(remote.addr.into(), remote.port);
            let from = IpListenEndpoint {
                addr: Some(local.addr.into()),
                port: local.port,
            };
            sock.connect(stack.context(), to, from)
                .map_err(|_| Errno::EADDRNOTAVAIL)?;
            let h = stack.add(sock, &self.wait);
            s.conn = Conn::Connecting(h);
            drop(s);
            stack.poll();
            Ok(true)
        })?;
        if !started {
            return Ok(());
        }
        if nonblocking(f, false) {
            self.state.borrow_mut().in_progress = true;
            return Err(Errno::EINPROGRESS);
        }
        let timeout = self.options().sndtimeo;
        sock_wait(ctx.task, &[&self.wait], false, timeout, || {
            self.net.with_stack(|stack| {
                let mut s = self.state.borrow_mut();
                self.refresh(stack, &mut s);
                match s.conn {
                    Conn::Connecting(_) => Err(Errno::EAGAIN),
                    Conn::Connected(_) => Ok(()),
                    _ => Err(s.err.take().unwrap_or(Errno::ECONNREFUSED)),
                }
            })
        })
        .map_err(|e| {
            if matches!(e, Errno::EAGAIN | Errno::ERESTARTSYS | Errno::EINTR) {
                self.state.borrow_mut().in_progress = true;
            }
            if e == Errno::EAGAIN {
                Errno::EINPROGRESS
            } else {
                e
            }
        })
    }

    fn listen(&self, ctx: &TrapContext, backlog: u32) -> Result<()> {
        let uid = euid(ctx);
        self.net.with_stack(|stack| {
            let mut s = self.state.borrow_mut();
            match s.conn {
                Conn::Closed => {}
                Conn::Listening => {
                    let mut listeners = std::mem::take(&mut stack.listeners);
                    if let Some(l) = listeners.get_mut(&self.id) {
                        l.set_backlog(backlog as usize, stack);
                    }
                    stack.listeners = listeners;
                    return Ok(());
                }
                _ => return Err(Errno::EINVAL),
            }
            let local = match s.local {
                Some(l) => {
                    // Listening is checked against the port's holders again.
                    stack.tcp_ports.release(l.port, self.id);
                    let mut u = self.port_use(&s, l, uid);
                    u.listening = true;
                    if let Err(e) = stack.tcp_ports.bind(l.port, u) {
                        let _ = stack.tcp_ports.bind(l.port, self.port_use(&s, l, uid));
                        return Err(e);
                    }
                    l
                }
                None => {
                    let ep = Endpoint::new(addr::any(self.family), 0);
                    let l = self.bind_at(stack, &mut s, ep, uid)?;
                    stack
                        .tcp_ports
                        .update(l.port, self.id, |u| u.listening = true);
                    l
                }
            };
            let endpoint = IpListenEndpoint {
                addr: (!local.addr.is_unspecified()).then(|| addr::unmap(local.addr).into()),
                port: local.port,
            };
            let mut l = Listener::new(
                endpoint,
                backlog as usize,
                self.wait.clone(),
                self.template(&s),
            );
            s.conn = Conn::Listening;
            drop(s);
            l.settle(stack);
            stack.listeners.insert(self.id, l);
            Ok(())
        })
    }

    fn accept(&self, ctx: &TrapContext, f: &File) -> Result<(Arc<dyn Socket>, Vec<u8>)> {
        let timeout = self.options().rcvtimeo;
        let sock = sock_wait(
            ctx.task,
            &[&self.wait],
            nonblocking(f, false),
            timeout,
            || {
                self.net.with_stack(|stack| {
                    if self.state.borrow().conn != Conn::Listening {
                        return Err(Errno::EINVAL);
                    }
                    let l = stack.listeners.get_mut(&self.id).ok_or(Errno::EINVAL)?;
                    let h = l.ready.pop_front().ok_or(Errno::EAGAIN)?;
                    let sock = TcpSocket::accepted(self, h, stack);
                    // Room in the queue: a new handshake may start.
                    stack.poll();
                    Ok(sock)
                })
            },
        )?;
        let name = sock.peer_name().unwrap_or_default();
        Ok((sock, name))
    }

    fn name(&self) -> Vec<u8> {
        let s = self.state.borrow();
        let ep = s.local.unwrap_or(Endpoint::new(addr::any(self.family), 0));
        addr::encode(ep, self.family)
    }

    fn peer_name(&self) -> Result<Vec<u8>> {
        self.net.with_stack(|stack| {
            let mut s = self.state.borrow_mut();
            self.refresh(stack, &mut s);
            let Conn::Connected(h) = s.conn else {
                return Err(Errno::ENOTCONN);
            };
            let ep = stack.tcp(h).remote_endpoint().ok_or(Errno::ENOTCONN)?;
            Ok(addr::encode(
                Endpoint::new(ep.addr.into(), ep.port),
                self.family,
            ))
        })
    }

    fn shutdown(&self, how: Shutdown) -> Result<()> {
        self.net.with_stack(|stack| {
            let mut s = self.state.borrow_mut();
            self.refresh(stack, &mut s);
            match s.conn {
                Conn::Connected(h) | Conn::Connecting(h) => {
                    if how.contains(Shutdown::RCV) {
                        s.shut_rd = true;
                    }
                    if how.contains(Shutdown::SEND) && !s.shut_wr {
                        s.shut_wr = true;
                        stack.tcp(h).close();
                    }
                }
                Conn::Listening if how.contains(Shutdown::RCV) => {
                    // A shut listener takes no more connections.
                    s.conn = Conn::Closed;
                    if let Some(l) = stack.listeners.remove(&self.id) {
                        let port = s.local.map_or(0, |l| l.port);
                        l.close(stack, port, self.id, self.family);
                    }
                }
                _ => return Err(Errno::ENOTCONN),
            }
            drop(s);
            stack.poll();
            self.wait.wake_all();
            Ok(())
        })
    }

    fn sendmsg(&self, ctx: &TrapContext, f: &File, msg: SendMsg) -> Result<usize> {
        self.do_sendmsg(ctx, f, msg)
    }

    fn recvmsg(
        &self,
        ctx: &TrapContext,
        f: &File,
        iov: &UserIov,
        flags: MsgFlags,
    ) -> Result<Received> {
        self.do_recvmsg(ctx, f, iov, flags)
    }

    fn options(&self) -> Options {
        self.state.borrow().opts.clone()
    }

    fn set_options(&self, f: &mut dyn FnMut(&mut Options)) {
        let (conn, ka, template) = {
            let mut s = self.state.borrow_mut();
            f(&mut s.opts);
            let ka = s.inet.keepalive(s.opts.plain(SO_KEEPALIVE) != 0);
            (s.conn, ka, self.template(&s))
        };
        self.net.with_stack(|stack| match conn {
            Conn::Connected(h) => stack.tcp(h).set_keep_alive(ka.map(Into::into)),
            // Connections accepted from now on take the new settings.
            Conn::Listening => {
                let mut listeners = std::mem::take(&mut stack.listeners);
                if let Some(l) = listeners.get_mut(&self.id) {
                    l.retemplate(template, stack);
                }
                stack.listeners = listeners;
            }
            _ => {}
        });
        self.wait.wake_all();
    }

    fn take_error(&self) -> Option<Errno> {
        self.net.with_stack(|stack| {
            let mut s = self.state.borrow_mut();
            self.refresh(stack, &mut s);
            s.err.take().or_else(|| self.reset_error(stack, &mut s))
        })
    }

    fn is_listening(&self) -> bool {
        self.state.borrow().conn == Conn::Listening
    }

    fn setsockopt(
        &self,
        ctx: &TrapContext,
        level: i32,
        opt: i32,
        val: u64,
        len: usize,
    ) -> Option<Result<()>> {
        if level == SOL_SOCKET {
            return None;
        }
        let raw = match read_opt(ctx, val, len) {
            Ok(r) => r,
            Err(e) => return Some(Err(e)),
        };
        let r = {
            let mut s = self.state.borrow_mut();
            let r = s.inet.set(self.family, true, level, opt, &raw)?;
            if r.is_ok() && level == SOL_TCP && [TCP_NODELAY, TCP_KEEPIDLE].contains(&opt) {
                if let Conn::Connected(h) = s.conn {
                    let (nodelay, ka) = (
                        s.inet.nodelay,
                        s.inet.keepalive(s.opts.plain(SO_KEEPALIVE) != 0),
                    );
                    self.net.with_stack(|stack| {
                        let t = stack.tcp(h);
                        t.set_nagle_enabled(!nodelay);
                        t.set_keep_alive(ka.map(Into::into));
                    });
                }
            }
            r
        };
        Some(r)
    }

    fn getsockopt(
        &self,
        _ctx: &TrapContext,
        level: i32,
        opt: i32,
        len: usize,
    ) -> Option<Result<Vec<u8>>> {
        if level == SOL_TCP && opt == TCP_INFO {
            return Some(Ok(self.tcp_info(len)));
        }
        self.state.borrow().inet.get(self.family, true, level, opt)
    }

    fn poll(&self) -> PollEvents {
        self.net.with_stack(|stack| {
            let mut s = self.state.borrow_mut();
            self.refresh(stack, &mut s);
            let mut ev = PollEvents::empty();
            let readable = PollEvents::POLLIN | PollEvents::POLLRDNORM;
            let writable = PollEvents::POLLOUT | PollEvents::POLLWRNORM;
            if s.err.is_some() {
                ev |= PollEvents::POLLERR;
            }
            match s.conn {
                Conn::Closed => {
                    // Linux: an unconnected socket is "hung up"; a failed
                    // connect is also writable (so the caller looks).
                    ev |= PollEvents::POLLHUP;
                    if s.err.is_some() {
                        ev |= writable;
                    }
                }
                Conn::Listening => {
                    if stack
                        .listeners
                        .get(&self.id)
                        .is_some_and(|l| !l.ready.is_empty())
                    {
                        ev |= readable;
                    }
                }
                Conn::Connecting(_) => {}
                Conn::Connected(h) => {
                    let reset = stack.was_reset(h);
                    let t = stack.tcp(h);
                    if reset {
                        if !s.reset_told {
                            ev |= PollEvents::POLLERR;
                        }
                        ev |= PollEvents::POLLHUP | readable | PollEvents::POLLRDHUP | writable;
                    } else {
                        let eof = !t.may_recv();
                        if t.can_recv() || eof || s.shut_rd {
                            ev |= readable;
                        }
                        if eof || s.shut_rd {
                            ev |= PollEvents::POLLRDHUP;
                        }
                        if (eof || s.shut_rd) && (s.shut_wr || !t.may_send()) {
                            ev |= PollEvents::POLLHUP;
                        }
                        // Writable with a third of the buffer free (Linux's
                        // sk_stream_is_writeable, roughly).
                        let free = Self::send_room(&s, t);
                        if s.shut_wr || !t.may_send() || free >= Self::send_capacity(&s, t) / 3 {
                            ev |= writable;
                        }
                    }
                }
            }
            ev
        })
    }

    fn wait_queue(&self) -> &WaitQueue {
        &self.wait
    }

    /// SIOCINQ and SIOCOUTQ: the bytes to read, and those not yet
    /// acknowledged by the peer.
    fn ioctl(&self, user: &dyn UserMemory, cmd: u32, arg: u64) -> Result<u64> {
        const SIOCINQ: u32 = 0x541b;
        const SIOCOUTQ: u32 = 0x5411;
        if cmd != SIOCINQ && cmd != SIOCOUTQ {
            return Err(Errno::ENOTTY);
        }
        let n = self.net.with_stack(|stack| {
            let mut s = self.state.borrow_mut();
            self.refresh(stack, &mut s);
            match s.conn {
                Conn::Listening => Err(Errno::EINVAL),
                Conn::Connected(h) if cmd == SIOCINQ => Ok(stack.tcp(h).recv_queue()),
                Conn::Connected(h) => Ok(stack.tcp(h).send_queue()),
                _ => Ok(0),
            }
        })?;
        UserPtr::<i32>::new(arg).write(user, &(n as i32))?;
        Ok(0)
    }

    fn read(&self, buf: &mut [u8]) -> Result<usize> {
        let room = buf.len();
        let mut at = 0;
        let mut sink = |d: &[u8]| {
            buf[at..at + d.len()].copy_from_slice(d);
            at += d.len();
            Ok(())
        };
        self.net.with_stack(|stack| {
            self.recv_some(stack, &mut self.state.borrow_mut(), room, false, &mut sink)
        })
    }

    fn write(&self, data: &[u8]) -> Result<usize> {
        let mut at = 0;
        let mut source = |b: &mut [u8]| {
            b.copy_from_slice(&data[at..at + b.len()]);
            at += b.len();
            Ok(())
        };
        let n = data.len();
        self.net
            .with_stack(|stack| self.send_some(stack, &mut self.state.borrow_mut(), n, &mut source))
    }

    fn is_stream(&self) -> bool {
        true
    }

    fn release(&self) {
        self.net.with_stack(|stack| {
            stack.tcp_socks.remove(&self.id);
            let mut s = self.state.borrow_mut();
            let port = s.local.map(|l| l.port);
            match std::mem::replace(&mut s.conn, Conn::Closed) {
                Conn::Listening => {
                    if let Some(l) = stack.listeners.remove(&self.id) {
                        l.close(stack, port.unwrap_or(0), self.id, self.family);
                    }
                    if let Some(p) = port {
                        stack.tcp_ports.release(p, self.id);
                    }
                }
                Conn::Connecting(h) | Conn::Connected(h) => {
                    let (on, secs) = s.opts.linger;
                    let t = stack.tcp(h);
                    // Unread data or SO_LINGER with a zero time: a reset.
                    if (on != 0 && secs == 0) || t.recv_queue() > 0 {
                        t.abort();
                    } else {
                        t.close();
                    }
                    stack.orphan(h, port.unwrap_or(0), self.id, self.family);
                }
                Conn::Closed => {
                    if let (Some(p), true) = (port, s.bound) {
                        stack.tcp_ports.release(p, self.id);
                    }
                }
            }
            drop(s);
            stack.poll();
        });
    }
}
