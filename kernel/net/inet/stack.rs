//! One network namespace's TCP/IP state: smoltcp's interface over the
//! loopback device, the set of protocol sockets, the TCP and UDP port
//! tables, TCP listeners' queues, and closed connections still finishing
//! (FIN_WAIT, TIME_WAIT). Everything is under the kernel lock.
//!
//! `poll` moves packets: every socket call that may have queued or freed
//! something polls once, the loopback device is drained within the same
//! poll, and a kernel timer polls again when smoltcp next has work
//! (retransmission, keep-alive, TIME_WAIT's end). After a poll the wait
//! queues of the sockets whose state changed are woken.

use super::addrconf::Addrconf;
use super::device::{Loopback, LO_IFINDEX};
use super::listen::Listener;
use super::ports::Ports;
use super::raw::RawSocket;
use super::taps::Taps;
use super::tcp::TcpSocket;
use super::udp::UdpSocket;
use super::udplite::UdpLite;
use crate::net::device::RxFrame;
use crate::net::Net;
use fs::WaitQueue;
use smoltcp::iface::{Config, Interface, SocketHandle, SocketSet};
use smoltcp::socket::AnySocket;
use smoltcp::socket::{tcp, Socket as Proto};
use smoltcp::wire::{HardwareAddress, IpAddress, IpCidr};
use std::collections::{BTreeMap, BTreeSet};
use std::net::IpAddr;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// The loopback device's index, as the device model counts it.
const LOOPBACK_IFINDEX: i32 = LO_IFINDEX as i32;
/// The most rounds one poll makes (over the loopback queue, and sending).
const MAX_ROUNDS: usize = 256;
/// The shortest wait before a timer poll (smoltcp may ask for "now").
const MIN_TIMER: Duration = Duration::from_millis(1);

/// What waiters of a protocol socket look at, to wake them when it changes.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Snapshot {
    state: u8,
    recv: usize,
    send: usize,
}

impl Snapshot {
    /// What a socket just added is taken to have been (any state differs).
    const NEW: Snapshot = Snapshot {
        state: u8::MAX,
        recv: 0,
        send: 0,
    };
}

/// A protocol socket's waiters.
struct Watch {
    queue: Arc<WaitQueue>,
    last: Snapshot,
}

/// A TCP connection its socket closed, kept until it is over.
struct Orphan {
    handle: SocketHandle,
    port: u16,
    owner: u64,
    /// The family of the socket it was (an IPv6 socket's connection to
    /// an IPv4 peer is still an AF_INET6 one for sock_diag).
    family: u16,
}

/// The TCP/IP state of a network namespace.
pub(crate) struct Stack {
    iface: Interface,
    pub(super) lo: Loopback,
    pub(super) sockets: SocketSet<'static>,
    pub(super) tcp_ports: Ports,
    pub(super) udp_ports: Ports,
    /// What raw and ping sockets receive and send through.
    pub(super) taps: Taps,
    /// UDP-Lite's ports, sockets and queues.
    pub(super) udplite: UdpLite,
    /// TCP listeners by socket id.
    pub(super) listeners: BTreeMap<u64, Listener>,
    orphans: Vec<Orphan>,
    /// The open TCP and UDP sockets by id (for /proc/net/tcp and udp).
    pub(super) tcp_socks: BTreeMap<u64, Weak<TcpSocket>>,
    pub(super) udp_socks: BTreeMap<u64, Weak<UdpSocket>>,
    /// The open raw sockets by id (for sock_diag's raw_diag).
    pub(super) raw_socks: BTreeMap<u64, Weak<RawSocket>>,
    watches: BTreeMap<SocketHandle, Watch>,
    /// Connections that ended by a reset, with the state they were in.
    resets: BTreeMap<SocketHandle, tcp::State>,
    /// The addresses of the interfaces that are up.
    local: Vec<(IpAddr, u8)>,
    /// IPv6 address autoconfiguration on the cards.
    addrconf: Addrconf,
    timer_at: Option<Instant>,
    /// The generation of the namespace's configuration last taken.
    synced: Option<u64>,
    /// The namespace has IPv4 routes (Linux's FIB tables exist).
    fib4: bool,
    next_id: u64,
    epoch: Instant,
    /// The namespace that holds this stack.
    net: Weak<Net>,
}

impl Net {
    /// Runs `f` on the namespace's stack (not re-entrant: `f` must not
    /// call it again).
    pub(crate) fn with_stack<R>(&self, f: impl FnOnce(&mut Stack) -> R) -> R {
        let mut stack = self.stack.borrow_mut();
        stack.sync();
        f(&mut stack)
    }
}

/// Returns the namespace `net` names: the one a running stack is in.
pub(super) fn owner(net: &Weak<Net>) -> Arc<Net> {
    net.upgrade()
        .expect("a stack runs only through its namespace's with_stack")
}

/// Returns smoltcp's clock: the time since `epoch`.
fn smol_time(epoch: Instant, at: Instant) -> smoltcp::time::Instant {
    smoltcp::time::Instant::from_micros(at.saturating_duration_since(epoch).as_micros() as i64)
}

/// Returns the code of a TCP state (for snapshots).
fn state_code(s: tcp::State) -> u8 {
    s as u8
}

impl Stack {
    /// Creates the stack of namespace `net`, which is being made: it
    /// takes the namespace's configuration at its first use.
    pub(crate) fn new(net: Weak<Net>) -> Stack {
        let mut lo = Loopback::default();
        lo.net = net.clone();
        lo.neigh.net = net.clone();
        let epoch = Instant::now();
        let mut config = Config::new(HardwareAddress::Ip);
        let mut seed = [0u8; 8];
        arch::host::random::getrandom(&mut seed);
        config.random_seed = u64::from_ne_bytes(seed);
        let mut iface = Interface::new(config, &mut lo, smol_time(epoch, epoch));
        // 127.0.0.0/8 is all local (Linux's local route), not one address.
        iface.set_any_ip(true);
        Stack {
            iface,
            lo,
            sockets: SocketSet::new(Vec::new()),
            tcp_ports: Ports::new(true),
            udp_ports: Ports::new(false),
            taps: Taps::default(),
            udplite: UdpLite::default(),
            listeners: BTreeMap::new(),
            orphans: Vec::new(),
            tcp_socks: BTreeMap::new(),
            udp_socks: BTreeMap::new(),
            raw_socks: BTreeMap::new(),
            watches: BTreeMap::new(),
            resets: BTreeMap::new(),
            local: Vec::new(),
            addrconf: Addrconf::new(net.clone()),
            timer_at: None,
            synced: None,
            fib4: false,
            next_id: 1,
            epoch,
            net,
        }
    }

    /// Returns the namespace this stack is in.
    pub(crate) fn net(&self) -> Arc<Net> {
        owner(&self.net)
    }

    /// Takes the namespace's addresses again if its links, addresses or
    /// routes changed since the last look.
    fn sync(&mut self) {
        let net = self.net();
        let generation = net.generation();
        if self.synced == Some(generation) {
            return;
        }
        self.synced = Some(generation);
        self.fib4 = net.state().routes.iter().any(|r| r.dst.is_ipv4());
        self.lo.mtu = net.mtu(LOOPBACK_IFINDEX).unwrap_or(65_536) as usize;
        // What the cards that went down had learnt is forgotten.
        self.lo.neigh.forget_down(|i| net.is_up(i));
        let addrs: Vec<(IpAddr, u8)> = net.local_addrs().iter().map(|&(a, p, _)| (a, p)).collect();
        self.configure(&addrs);
        self.addrconf.sync(&mut self.lo.neigh, Instant::now());
    }

    /// Runs address autoconfiguration: what neighbour discovery received,
    /// then what is due; takes the namespace's changes it made.
    /// Every poll passes here: with nothing received and nothing due, it
    /// does nothing.
    fn autoconf(&mut self, now: Instant) {
        let due = self.addrconf.next().is_some_and(|t| t <= now);
        if self.lo.neigh.events.is_empty() && !due {
            return;
        }
        for ev in std::mem::take(&mut self.lo.neigh.events) {
            self.addrconf.nd_event(ev, now);
        }
        self.addrconf.tick(&mut self.lo.neigh, now);
        self.sync();
    }

    /// Sets the local addresses (those of the interfaces that are up).
    fn configure(&mut self, addrs: &[(IpAddr, u8)]) {
        self.local = addrs.to_vec();
        self.lo.local = addrs.to_vec();
        self.iface.update_ip_addrs(|a| {
            a.clear();
            for &(addr, prefix) in addrs {
                let _ = a.push(IpCidr::new(IpAddress::from(addr), prefix));
            }
        });
        let lo4 = addrs.iter().find(|(a, _)| a.is_ipv4() && a.is_loopback());
        // smoltcp sends only where it has a route; the device routes each
        // packet by the namespace's table (`Loopback::output`), so smoltcp
        // is given default routes of the versions the cards have.
        let card4 = addrs.iter().find(|(a, _)| a.is_ipv4() && !a.is_loopback());
        let card6 = addrs.iter().find(|(a, _)| a.is_ipv6() && !a.is_loopback());
        self.iface.routes_mut().update(|r| {
            r.clear();
            if let Some(&(a, prefix)) = lo4 {
                let _ = r.push(smoltcp::iface::Route {
                    cidr: IpCidr::new(IpAddress::from(a), prefix),
                    via_router: IpAddress::from(a),
                    preferred_until: None,
                    expires_at: None,
                });
            }
            for &&(a, _) in card4.iter().chain(card6.iter()) {
                let _ = r.push(smoltcp::iface::Route {
                    cidr: IpCidr::new(IpAddress::from(super::addr::any_of(a)), 0),
                    via_router: IpAddress::from(a),
                    preferred_until: None,
                    expires_at: None,
                });
            }
        });
        if addrs.is_empty() {
            self.lo.flush();
        }
    }

    /// Returns a new socket id (the owner of ports and listeners).
    pub(super) fn new_id(&mut self) -> u64 {
        self.next_id += 1;
        self.next_id
    }

    /// Returns whether the loopback device is up (has addresses here).
    fn is_up(&self) -> bool {
        !self.local.is_empty()
    }

    /// Returns whether bind(2) may take `addr`: the wildcard, a local
    /// address, or, as Linux's `inet_addr_type` answers before any IPv4
    /// route exists (a namespace whose lo never came up), any IPv4 address.
    pub(crate) fn may_bind(&self, addr: IpAddr) -> bool {
        addr.is_unspecified()
            || self.is_local(addr)
            || (super::addr::unmap(addr).is_ipv4() && !self.fib4)
    }

    /// Returns whether `addr` is an address of this host (bind(2) may
    /// take it): one of the interfaces' or within 127.0.0.0/8.
    pub(crate) fn is_local(&self, addr: IpAddr) -> bool {
        let addr = super::addr::unmap(addr);
        self.local.iter().any(|&(a, prefix)| {
            a == addr || (a.is_loopback() && addr.is_loopback() && a.is_ipv4() && prefix <= 8)
        })
    }

    /// Returns the source address a packet to `dst` leaves with; None when
    /// no interface reaches it (ENETUNREACH).
    pub(crate) fn source_for(&self, dst: IpAddr) -> Option<IpAddr> {
        let dst = super::addr::unmap(dst);
        let net = self.net();
        let (oif, src) = net.route(dst)?;
        let up = if oif == LOOPBACK_IFINDEX {
            self.is_up()
        } else {
            net.is_up(oif)
        };
        up.then_some(src)
    }

    /// Sends the IPv6 packet `p` a socket built itself (larger than
    /// smoltcp sends), fragmented to lo's MTU, and moves it.
    pub(super) fn send_ip6(&mut self, p: &[u8]) {
        self.lo.send_ip6(p);
        self.poll();
    }

    /// Returns smoltcp's context (for connect).
    pub(super) fn context(&mut self) -> &mut smoltcp::iface::Context {
        self.iface.context()
    }

    /// Adds a protocol socket whose waiters sleep on `queue`.
    pub(super) fn add<T: AnySocket<'static>>(
        &mut self,
        sock: T,
        queue: &Arc<WaitQueue>,
    ) -> SocketHandle {
        let h = self.sockets.add(sock);
        let last = Snapshot::NEW;
        self.watches.insert(
            h,
            Watch {
                queue: queue.clone(),
                last,
            },
        );
        h
    }

    /// Makes `queue` the one woken for `h`.
    pub(super) fn watch(&mut self, h: SocketHandle, queue: &Arc<WaitQueue>) {
        let last = Snapshot::NEW;
        self.watches.insert(
            h,
            Watch {
                queue: queue.clone(),
                last,
            },
        );
    }

    /// Removes the protocol socket `h`.
    pub(super) fn remove(&mut self, h: SocketHandle) {
        self.watches.remove(&h);
        self.resets.remove(&h);
        self.sockets.remove(h);
    }

    /// Hands a closed connection of a socket of `family` to the stack,
    /// which keeps it (and `port` for `owner`) until the connection is over.
    pub(super) fn orphan(&mut self, h: SocketHandle, port: u16, owner: u64, family: u16) {
        self.watches.remove(&h);
        self.tcp_ports.update(port, owner, |u| u.time_wait = true);
        self.orphans.push(Orphan {
            handle: h,
            port,
            owner,
            family,
        });
    }

    /// Returns the closed connections still finishing: each one's handle,
    /// family and the user id of the socket it was (from its port entry).
    pub(super) fn orphans(&self) -> Vec<(SocketHandle, u16, u32)> {
        self.orphans
            .iter()
            .map(|o| {
                let uid = self.tcp_ports.holder(o.port, o.owner).map_or(0, |u| u.uid);
                (o.handle, o.family, uid)
            })
            .collect()
    }

    /// Returns whether the connection `h` ended with a reset.
    pub(super) fn was_reset(&self, h: SocketHandle) -> bool {
        self.resets.contains_key(&h)
    }

    /// Returns the error a reset of `h` gives its socket, as Linux's
    /// `tcp_reset`: EPIPE after the peer had closed, else ECONNRESET.
    pub(super) fn reset_errno(&self, h: SocketHandle) -> Option<arch::Errno> {
        self.resets.get(&h).map(|was| match was {
            tcp::State::CloseWait => arch::Errno::EPIPE,
            _ => arch::Errno::ECONNRESET,
        })
    }

    pub(super) fn tcp(&mut self, h: SocketHandle) -> &mut tcp::Socket<'static> {
        self.sockets.get_mut::<tcp::Socket>(h)
    }

    /// Returns the snapshot of every protocol socket.
    fn snapshots(&self) -> BTreeMap<SocketHandle, Snapshot> {
        let snap = |state: u8, recv: usize, send: usize| Snapshot { state, recv, send };
        self.sockets
            .iter()
            .map(|(h, sock)| {
                let s = match sock {
                    Proto::Tcp(s) => snap(state_code(s.state()), s.recv_queue(), s.send_queue()),
                    Proto::Udp(s) => snap(0, s.recv_queue(), s.send_queue()),
                    Proto::Icmp(s) => snap(0, s.recv_queue(), s.send_queue()),
                    Proto::Raw(s) => snap(0, s.recv_queue(), s.send_queue()),
                };
                (h, s)
            })
            .collect()
    }

    /// Moves packets until the loopback queue is empty, then settles the
    /// listeners and orphans, wakes whoever waits on a changed socket and
    /// arms the timer for smoltcp's next deadline.
    pub(crate) fn poll(&mut self) {
        let now = Instant::now();
        self.autoconf(now);
        let t = smol_time(self.epoch, now);
        let before: Vec<(SocketHandle, tcp::State)> = self
            .sockets
            .iter()
            .filter_map(|(h, sock)| match sock {
                Proto::Tcp(s) if self.watches.contains_key(&h) => Some((h, s.state())),
                _ => None,
            })
            .collect();
        for _ in 0..MAX_ROUNDS {
            // smoltcp sends at most one packet per socket per poll: a
            // round that changed something is followed by another, so a
            // window's worth of segments leaves at once.
            let moved = self.iface.poll(t, &mut self.lo, &mut self.sockets);
            let moved = matches!(moved, smoltcp::iface::PollResult::SocketStateChanged);
            if !self.lo.captured.is_empty() {
                let frames = std::mem::take(&mut self.lo.captured);
                crate::net::packet::deliver(&self.net(), LOOPBACK_IFINDEX, frames);
            }
            self.deliver_card_frames();
            self.autoconf(now);
            self.taps.deliver(&mut self.sockets);
            self.deliver_udplite();
            if !moved && !self.lo.pending() && !self.reset_orphans_with_data() {
                break;
            }
        }
        self.lo.forget_notes();
        self.note_resets(&before);
        let dropped = self.lo.take_dropped();
        if dropped > 0 {
            self.net().count_drop(LOOPBACK_IFINDEX, true, dropped);
        }
        let (packets, bytes) = self.lo.take_counts();
        if packets > 0 {
            // Every packet lo sends it receives.
            let net = self.net();
            net.count_tx(LOOPBACK_IFINDEX, packets, bytes);
            net.count_rx(LOOPBACK_IFINDEX, packets, bytes);
        }
        let mut listeners = std::mem::take(&mut self.listeners);
        let (mut ports, mut open) = (BTreeSet::new(), BTreeSet::new());
        for l in listeners.values_mut() {
            l.settle(self);
            ports.insert(l.endpoint.port);
            if l.has_room(self) {
                open.insert(l.endpoint.port);
            }
        }
        self.listeners = listeners;
        self.lo.full_ports = ports.difference(&open).copied().collect();
        self.reap();
        self.wake_changed();
        self.arm_timer(now);
    }

    /// Hands the frames the cards sent and received to the packet sockets.
    fn deliver_card_frames(&mut self) {
        let mut frames = std::mem::take(&mut self.lo.captured_on);
        frames.append(&mut self.lo.neigh.sent);
        let net = self.net();
        for (ifindex, f) in frames {
            crate::net::packet::deliver(&net, ifindex, vec![f]);
        }
    }

    /// Takes the frames `card` received and moves what they carry.
    pub(super) fn netif_rx(&mut self, card: &super::device::RxCard, frames: Vec<RxFrame>) {
        for f in frames {
            self.lo.netif_receive(card, f);
        }
        self.deliver_card_frames();
        self.poll();
    }

    /// Records the connections a reset closed: those CLOSED now that were
    /// in another state than LAST_ACK or TIME_WAIT (an orderly end).
    fn note_resets(&mut self, before: &[(SocketHandle, tcp::State)]) {
        use tcp::State::{Closed, LastAck, Listen, TimeWait};
        for &(h, was) in before {
            if [LastAck, TimeWait, Closed, Listen].contains(&was) {
                continue;
            }
            if self.watches.contains_key(&h) && self.tcp(h).state() == Closed {
                self.resets.insert(h, was);
            }
        }
    }

    /// Resets the closed connections that received data (nobody will read
    /// it; Linux answers it with a reset); returns whether there were any.
    fn reset_orphans_with_data(&mut self) -> bool {
        let mut any = false;
        for o in &self.orphans {
            let t = self.sockets.get_mut::<tcp::Socket>(o.handle);
            if t.recv_queue() > 0 && t.state() != tcp::State::Closed {
                t.abort();
                any = true;
            }
        }
        any
    }

    /// Drops the orphaned connections that are over.
    fn reap(&mut self) {
        let mut i = 0;
        while i < self.orphans.len() {
            let o = &self.orphans[i];
            if self.sockets.get::<tcp::Socket>(o.handle).state() == tcp::State::Closed {
                let o = self.orphans.swap_remove(i);
                self.sockets.remove(o.handle);
                self.resets.remove(&o.handle);
                self.tcp_ports.release(o.port, o.owner);
            } else {
                i += 1;
            }
        }
    }

    /// Wakes the waiters of every socket whose snapshot changed.
    fn wake_changed(&mut self) {
        let snaps = self.snapshots();
        for (h, w) in self.watches.iter_mut() {
            if let Some(&now) = snaps.get(h) {
                if w.last != now {
                    w.last = now;
                    w.queue.wake_all();
                }
            }
        }
    }

    /// Makes sure a timer polls again by smoltcp's next deadline.
    fn arm_timer(&mut self, now: Instant) {
        let smol = self
            .iface
            .poll_at(smol_time(self.epoch, now), &self.sockets)
            .map(|at| self.epoch + Duration::from_micros(at.total_micros().max(0) as u64));
        let Some(at) = smol.into_iter().chain(self.addrconf.next()).min() else {
            return;
        };
        let at = at.max(now + MIN_TIMER);
        if self.timer_at.is_some_and(|t| t <= at && t > now) {
            return;
        }
        self.timer_at = Some(at);
        let net = self.net.clone();
        crate::timer::add(at, move || {
            // A namespace gone meanwhile took its stack with it.
            let Some(net) = net.upgrade() else {
                return;
            };
            net.with_stack(|s| {
                if s.timer_at == Some(at) {
                    s.timer_at = None;
                }
                s.poll();
            })
        });
    }
}
