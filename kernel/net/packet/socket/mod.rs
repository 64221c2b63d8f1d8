//! A packet socket (Linux's `packet_sock` and `packet_ops`): its protocol
//! and interface (from socket(2) and bind(2)), its receive queue with the
//! link-level address of each frame (`struct sockaddr_ll`) and what
//! PACKET_AUXDATA reports, its statistics, its filter, and the frames it
//! sends: whole ones for SOCK_RAW, or a payload the device's link header
//! is put before (SOCK_DGRAM).

use super::SOL_PACKET;
mod options;

use super::{dev_queue_xmit, pkt, unregister, Frame, Link, AF_PACKET, ETH_HLEN, ETH_P_ALL};
use crate::net::device::iff;
use crate::net::filter::{self, Skb};
use crate::net::socket::{nonblocking, sock_wait, Cmsg, Received, SendMsg, SockInode, Socket};
use crate::net::{MsgFlags, Net, Options, Shutdown, SOCK_DGRAM, SOL_SOCKET};
use crate::syscall::{UserIov, UserPtr};
use crate::task::TrapContext;
use arch::abi::pod::{as_bytes, from_bytes};
use arch::abi::structs::{PacketMreq, SockaddrLl, TpacketAuxdata, TpacketStats};
use arch::sync::KernelCell;
use arch::{Errno, Result};
use fs::{File, Owner, PollEvents, UserMemory, WaitQueue};
use std::collections::{BTreeMap, VecDeque};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

/// The SOL_PACKET options.
mod opt {
    pub const ADD_MEMBERSHIP: i32 = 1;
    pub const DROP_MEMBERSHIP: i32 = 2;
    pub const RX_RING: i32 = 5;
    pub const STATISTICS: i32 = 6;
    pub const COPY_THRESH: i32 = 7;
    pub const AUXDATA: i32 = 8;
    pub const ORIGDEV: i32 = 9;
    pub const VERSION: i32 = 10;
    pub const RESERVE: i32 = 12;
    pub const TX_RING: i32 = 13;
    pub const LOSS: i32 = 14;
    pub const TIMESTAMP: i32 = 17;
    pub const QDISC_BYPASS: i32 = 20;
    pub const IGNORE_OUTGOING: i32 = 23;
}

/// The options kept as the int they were set to and read back, without
/// effect here (they tune the memory-mapped rings and the queueing
/// discipline, which do not exist).
const PLAIN: [i32; 5] = [
    opt::COPY_THRESH,
    opt::RESERVE,
    opt::LOSS,
    opt::TIMESTAMP,
    opt::QDISC_BYPASS,
];
/// The socket filter options (SOL_SOCKET).
use crate::net::filter::{SO_ATTACH_FILTER, SO_DETACH_FILTER, SO_LOCK_FILTER};
/// tpacket_auxdata's tp_status bits.
const TP_STATUS_USER: u32 = 1;
const TP_STATUS_CSUMNOTREADY: u32 = 8;
/// The last TPACKET_V* PACKET_VERSION takes.
const TPACKET_V3: i32 = 2;
/// Where `sll_addr` starts in a `sockaddr_ll`, and its whole length.
const SLL_ADDR_AT: usize = 12;
const SOCKADDR_LL_LEN: usize = size_of::<SockaddrLl>();
/// An 802.1Q tag's EtherType and length (a tagged frame may be longer).
const ETH_P_8021Q: u16 = 0x8100;
const VLAN_HLEN: usize = 4;
/// What a queued frame costs beyond its bytes (Linux charges an skb's
/// truesize against SO_RCVBUF).
const OVERHEAD: usize = 256;
/// SIOCINQ and SIOCOUTQ.
const SIOCINQ: u32 = 0x541b;
const SIOCOUTQ: u32 = 0x5411;

/// Where a send goes.
struct Route {
    ifindex: i32,
    /// The EtherType of a SOCK_DGRAM send's header.
    proto: u16,
    /// The link-level destination (the address's, if it gave one) and
    /// source of a SOCK_DGRAM send.
    dst: Option<[u8; 6]>,
    hwaddr: [u8; 6],
    mtu: usize,
}

/// A frame waiting to be read.
#[derive(Clone)]
struct Queued {
    /// What a read returns (the frame, or its payload for SOCK_DGRAM),
    /// cut to what the filter kept.
    data: Vec<u8>,
    from: SockaddrLl,
    aux: TpacketAuxdata,
}

/// What a packet socket keeps.
struct State {
    opts: Options,
    /// The EtherType received (host order); 0 receives nothing.
    proto: u16,
    /// The interface bound to; 0 is every interface.
    ifindex: i32,
    queue: VecDeque<Queued>,
    /// The receive memory the queue holds.
    rmem: usize,
    stats: TpacketStats,
    auxdata: bool,
    origdev: bool,
    ignore_outgoing: bool,
    version: i32,
    plain: BTreeMap<i32, i32>,
    filter: filter::FilterSlot,
    /// PACKET_ADD_MEMBERSHIP's entries and how many times each was added.
    mclist: Vec<(PacketMreq, u32)>,
    /// The pending error (ENETDOWN after binding to a device that is down).
    err: Option<Errno>,
}

/// A packet socket.
pub(crate) struct PacketSocket {
    id: u64,
    /// The network namespace the socket was made in: its devices.
    pub(super) net: Arc<Net>,
    kind: u32,
    inode: SockInode,
    wait: WaitQueue,
    state: KernelCell<State>,
}

/// Returns the int at the start of an option's bytes.
fn int_of(raw: &[u8]) -> i32 {
    let mut b = [0u8; 4];
    let n = raw.len().min(4);
    b[..n].copy_from_slice(&raw[..n]);
    i32::from_ne_bytes(b)
}

impl PacketSocket {
    /// Returns a socket of `kind` receiving EtherType `proto` (host order).
    pub(super) fn new(kind: u32, proto: u16, owner: Owner, net: Arc<Net>) -> Arc<PacketSocket> {
        static NEXT_ID: AtomicU64 = AtomicU64::new(1);
        Arc::new(PacketSocket {
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
            net,
            kind,
            inode: SockInode::new(owner),
            wait: WaitQueue::new(),
            state: KernelCell::new(State {
                opts: Options::default(),
                proto,
                ifindex: 0,
                queue: VecDeque::new(),
                rmem: 0,
                stats: TpacketStats::default(),
                auxdata: false,
                origdev: false,
                ignore_outgoing: false,
                version: 0,
                plain: BTreeMap::new(),
                filter: Default::default(),
                mclist: Vec::new(),
                err: None,
            }),
        })
    }

    /// Returns the socket's id.
    pub(super) fn id(&self) -> u64 {
        self.id
    }

    /// Returns where a read's data starts in a frame: the link header for
    /// SOCK_RAW, the network header for SOCK_DGRAM.
    fn data_at(&self) -> usize {
        if self.kind == SOCK_DGRAM {
            ETH_HLEN
        } else {
            0
        }
    }

    /// Queues a copy of `frame`, which crossed `link`, if the socket takes
    /// it (Linux's `packet_rcv`): its protocol (frames sent only for
    /// ETH_P_ALL, and never the socket's own), its interface, its filter
    /// and the room SO_RCVBUF leaves.
    pub(super) fn rcv(&self, link: &Link, frame: &Frame) {
        let mut st = self.state.borrow_mut();
        if st.proto == 0 || (st.ifindex != 0 && st.ifindex != link.ifindex) {
            return;
        }
        let ethertype = frame.ethertype();
        if frame.pkt_type == pkt::OUTGOING {
            if st.proto != ETH_P_ALL || st.ignore_outgoing || frame.sender == Some(self.id) {
                return;
            }
        } else if st.proto != ETH_P_ALL && st.proto != ethertype {
            return;
        }
        let at = self.data_at();
        let Some(payload) = frame.data.get(at..) else {
            return;
        };
        let mut snap = payload.len();
        if let Some(prog) = &st.filter.filter {
            let skb = Skb {
                buf: &frame.data,
                data: at,
                mac: Some(0),
                net: Some(ETH_HLEN),
                protocol: ethertype,
                pkt_type: frame.pkt_type,
                ifindex: link.ifindex,
                hatype: link.hatype,
            };
            match filter::run(prog, &skb) as usize {
                0 => return,
                keep => snap = snap.min(keep),
            }
        }
        if st.rmem >= st.opts.rcvbuf {
            st.stats.tp_drops = st.stats.tp_drops.wrapping_add(1);
            return;
        }
        st.stats.tp_packets = st.stats.tp_packets.wrapping_add(1);
        let mut sll_addr = [0u8; 8];
        sll_addr[..6].copy_from_slice(&frame.data[6..12]);
        let from = SockaddrLl {
            sll_family: AF_PACKET,
            sll_protocol: ethertype.to_be(),
            sll_ifindex: link.ifindex,
            sll_hatype: link.hatype,
            sll_pkttype: frame.pkt_type,
            sll_halen: 6,
            sll_addr,
        };
        let status = if frame.csum_partial {
            TP_STATUS_USER | TP_STATUS_CSUMNOTREADY
        } else {
            TP_STATUS_USER
        };
        let aux = TpacketAuxdata {
            tp_status: status,
            tp_len: payload.len() as u32,
            tp_snaplen: snap as u32,
            tp_mac: 0,
            tp_net: (ETH_HLEN - at) as u16,
            tp_vlan_tci: 0,
            tp_vlan_tpid: 0,
        };
        st.rmem += snap + OVERHEAD;
        st.queue.push_back(Queued {
            data: payload[..snap].to_vec(),
            from,
            aux,
        });
        drop(st);
        self.wait.wake_all();
    }

    /// One attempt at taking a frame: the pending error first.
    fn take(&self, peek: bool) -> Result<Queued> {
        let mut st = self.state.borrow_mut();
        if let Some(e) = st.err.take() {
            return Err(e);
        }
        if peek {
            return st.queue.front().cloned().ok_or(Errno::EAGAIN);
        }
        let q = st.queue.pop_front().ok_or(Errno::EAGAIN)?;
        st.rmem = st.rmem.saturating_sub(q.data.len() + OVERHEAD);
        Ok(q)
    }

    /// Returns where a send of `len` bytes goes (Linux's `packet_snd`):
    /// to the address given (`sockaddr_ll`: interface, protocol and, for
    /// SOCK_DGRAM, the link-level destination) or the bound interface
    /// and protocol; ENXIO without a device, ENETDOWN if it is down,
    /// EMSGSIZE past its MTU (and a VLAN tag).
    fn route(&self, to: Option<&[u8]>, len: usize) -> Result<Route> {
        let (ifindex, proto, dst) = match to {
            None => {
                let st = self.state.borrow();
                (st.ifindex, st.proto, None)
            }
            Some(raw) => {
                if raw.len() < SOCKADDR_LL_LEN {
                    return Err(Errno::EINVAL);
                }
                let sll: SockaddrLl = from_bytes(raw).ok_or(Errno::EINVAL)?;
                if raw.len() < usize::from(sll.sll_halen) + SLL_ADDR_AT {
                    return Err(Errno::EINVAL);
                }
                let mut dst = [0u8; 6];
                dst.copy_from_slice(&sll.sll_addr[..6]);
                (sll.sll_ifindex, u16::from_be(sll.sll_protocol), Some(dst))
            }
        };
        let state = self.net.state();
        let dev = state.dev(ifindex).ok_or(Errno::ENXIO)?;
        if !dev.is_up() {
            return Err(Errno::ENETDOWN);
        }
        let reserve = if self.kind == SOCK_DGRAM { 0 } else { ETH_HLEN };
        let mtu = dev.mtu as usize;
        if len > mtu + reserve + VLAN_HLEN {
            return Err(Errno::EMSGSIZE);
        }
        // Without a destination lo's header has a zero one (`eth_header`);
        // other devices have none to put.
        let dst = match dst {
            None if dev.flags() & iff::LOOPBACK != 0 => Some([0; 6]),
            d => d,
        };
        Ok(Route {
            ifindex,
            proto,
            dst,
            hwaddr: dev.hwaddr,
            mtu,
        })
    }

    /// Sends `data` to `to` (or as bound); returns the bytes sent.
    fn send(&self, data: &[u8], to: Option<&[u8]>) -> Result<usize> {
        let r = self.route(to, data.len())?;
        let frame = if self.kind == SOCK_DGRAM {
            if data.len() > r.mtu {
                return Err(Errno::EMSGSIZE);
            }
            // The device's link header (`dev_hard_header`).
            let dst = r.dst.ok_or(Errno::EINVAL)?;
            let mut f = Vec::with_capacity(ETH_HLEN + data.len());
            f.extend_from_slice(&dst);
            f.extend_from_slice(&r.hwaddr);
            f.extend_from_slice(&r.proto.to_be_bytes());
            f.extend_from_slice(data);
            f
        } else {
            // A frame shorter than its link header is refused
            // (`dev_validate_header`); only a tagged one may pass the MTU
            // by its tag.
            if data.len() < ETH_HLEN {
                return Err(Errno::EINVAL);
            }
            if data.len() > r.mtu + ETH_HLEN && super::ethertype(data) != ETH_P_8021Q {
                return Err(Errno::EMSGSIZE);
            }
            data.to_vec()
        };
        dev_queue_xmit(&self.net, r.ifindex, frame, self.id)?;
        Ok(data.len())
    }

    /// Returns the link-level address of device `ifindex` and its type:
    /// (hatype, halen, address); zeros for none.
    fn dev_addr(&self, ifindex: i32) -> (u16, u8, [u8; 8]) {
        let state = self.net.state();
        match state.dev(ifindex) {
            Some(d) => {
                let mut a = [0u8; 8];
                a[..6].copy_from_slice(&d.hwaddr);
                (d.arphrd(), 6, a)
            }
            None => (0, 0, [0; 8]),
        }
    }

    /// Returns the socket's row in /proc/net/packet.
    pub(super) fn proc_row(&self) -> String {
        let st = self.state.borrow();
        format!(
            "{:016x} {:<6} {:<4} {:04x}   {:<5} {:1} {:<6} {:<6} {:<6}\n",
            0,
            2,
            self.kind,
            st.proto,
            st.ifindex,
            u8::from(st.proto != 0),
            st.rmem,
            self.inode.owner.uid,
            self.inode.ino
        )
    }
}

impl Socket for PacketSocket {
    fn net(&self) -> &Arc<crate::net::Net> {
        &self.net
    }

    fn family(&self) -> u16 {
        AF_PACKET
    }

    fn sock_type(&self) -> u32 {
        self.kind
    }

    /// Linux never sets a packet socket's `sk_protocol`: SO_PROTOCOL is 0.
    fn protocol(&self) -> i32 {
        0
    }

    fn inode(&self) -> &SockInode {
        &self.inode
    }

    /// bind(2) (`packet_bind`): a `sockaddr_ll` naming the interface (0:
    /// all) and the protocol (0 keeps the socket's); ENODEV for a device
    /// that does not exist. Binding to a device that is down succeeds
    /// and leaves ENETDOWN pending, as Linux does.
    fn bind(&self, _ctx: &TrapContext, raw: &[u8]) -> Result<()> {
        if raw.len() < SOCKADDR_LL_LEN {
            return Err(Errno::EINVAL);
        }
        let sll: SockaddrLl = from_bytes(raw).ok_or(Errno::EINVAL)?;
        if sll.sll_family != AF_PACKET {
            return Err(Errno::EINVAL);
        }
        let up = match sll.sll_ifindex {
            0 => true,
            i => self.net.state().dev(i).ok_or(Errno::ENODEV)?.is_up(),
        };
        let mut st = self.state.borrow_mut();
        st.ifindex = sll.sll_ifindex;
        if sll.sll_protocol != 0 {
            st.proto = u16::from_be(sll.sll_protocol);
        }
        if !up && st.proto != 0 {
            st.err = Some(Errno::ENETDOWN);
            drop(st);
            self.wait.wake_all();
        }
        Ok(())
    }

    fn connect(&self, _ctx: &TrapContext, _f: &File, _addr: &[u8]) -> Result<()> {
        Err(Errno::EOPNOTSUPP)
    }

    /// The bound interface and protocol with the device's link type and
    /// address (`packet_getname`), as long as the address needs.
    fn name(&self) -> Vec<u8> {
        let st = self.state.borrow();
        let (hatype, halen, addr) = self.dev_addr(st.ifindex);
        let sll = SockaddrLl {
            sll_family: AF_PACKET,
            sll_protocol: st.proto.to_be(),
            sll_ifindex: st.ifindex,
            sll_hatype: hatype,
            sll_pkttype: 0,
            sll_halen: halen,
            sll_addr: addr,
        };
        as_bytes(&sll)[..SLL_ADDR_AT + usize::from(halen)].to_vec()
    }

    fn peer_name(&self) -> Result<Vec<u8>> {
        Err(Errno::EOPNOTSUPP)
    }

    fn shutdown(&self, _how: Shutdown) -> Result<()> {
        Err(Errno::EOPNOTSUPP)
    }

    fn sendmsg(&self, ctx: &TrapContext, _f: &File, msg: SendMsg) -> Result<usize> {
        let len = msg.iov.len();
        let to = msg.to.filter(|t| !t.is_empty());
        // Check the destination and size before copying what cannot go.
        self.route(to.as_deref(), len)?;
        let mut data = vec![0u8; len];
        msg.iov.copy_in(ctx, 0, &mut data)?;
        self.send(&data, to.as_deref())
    }

    /// recvmsg(2) (`packet_recvmsg`): flags other than MSG_PEEK,
    /// MSG_DONTWAIT, MSG_TRUNC and MSG_ERRQUEUE are EINVAL; the sender's
    /// `sockaddr_ll` and, with PACKET_AUXDATA, a `tpacket_auxdata`.
    fn recvmsg(
        &self,
        ctx: &TrapContext,
        f: &File,
        iov: &UserIov,
        flags: MsgFlags,
    ) -> Result<Received> {
        let allowed = MsgFlags::PEEK | MsgFlags::DONTWAIT | MsgFlags::TRUNC | MsgFlags::ERRQUEUE;
        if !allowed.contains(flags) {
            return Err(Errno::EINVAL);
        }
        if flags.contains(MsgFlags::ERRQUEUE) {
            // Nothing is ever queued on the error queue here.
            return Err(Errno::EAGAIN);
        }
        let nonblock = nonblocking(f, flags.contains(MsgFlags::DONTWAIT));
        let timeout = self.state.borrow().opts.rcvtimeo;
        let peek = flags.contains(MsgFlags::PEEK);
        let q = sock_wait(ctx.task, &[&self.wait], nonblock, timeout, || {
            self.take(peek)
        })?;
        let n = q.data.len().min(iov.len());
        iov.copy_out(ctx, 0, &q.data[..n])?;
        let mut r = Received::datagram(n, q.data.len(), flags);
        r.from = Some(as_bytes(&q.from).to_vec());
        if self.state.borrow().auxdata {
            r.cmsgs.push(Cmsg {
                level: SOL_PACKET,
                ty: opt::AUXDATA,
                data: as_bytes(&q.aux).to_vec(),
            });
        }
        Ok(r)
    }

    fn options(&self) -> Options {
        self.state.borrow().opts.clone()
    }

    fn set_options(&self, f: &mut dyn FnMut(&mut Options)) {
        f(&mut self.state.borrow_mut().opts);
        self.wait.wake_all();
    }

    fn take_error(&self) -> Option<Errno> {
        self.state.borrow_mut().err.take()
    }

    /// SOL_PACKET options and the socket filter; other SOL_SOCKET
    /// options are the generic ones, other levels ENOPROTOOPT.
    fn setsockopt(
        &self,
        ctx: &TrapContext,
        level: i32,
        name: i32,
        val: u64,
        len: usize,
    ) -> Option<Result<()>> {
        match level {
            SOL_SOCKET => match name {
                SO_ATTACH_FILTER | SO_DETACH_FILTER | SO_LOCK_FILTER => {
                    let op = filter::read_option(ctx, name, val, len);
                    Some(op.and_then(|op| self.state.borrow_mut().filter.apply(op)))
                }
                _ => None,
            },
            SOL_PACKET => {
                let mut raw = vec![0u8; len.min(64)];
                if let Err(e) = ctx.read_user(val, &mut raw) {
                    return Some(Err(e));
                }
                // Lengths past what is read only matter as lengths.
                if len > raw.len() {
                    raw.resize(len.min(4096), 0);
                }
                Some(self.set_packet_option(name, &raw))
            }
            _ => Some(Err(Errno::ENOPROTOOPT)),
        }
    }

    fn getsockopt(
        &self,
        _ctx: &TrapContext,
        level: i32,
        name: i32,
        _len: usize,
    ) -> Option<Result<Vec<u8>>> {
        match level {
            SOL_SOCKET if name == SO_LOCK_FILTER => {
                let locked = self.state.borrow().filter.locked as i32;
                Some(Ok(locked.to_ne_bytes().to_vec()))
            }
            SOL_SOCKET => None,
            SOL_PACKET => Some(self.packet_option(name)),
            _ => Some(Err(Errno::ENOPROTOOPT)),
        }
    }

    fn poll(&self) -> PollEvents {
        let st = self.state.borrow();
        let mut ev = PollEvents::POLLOUT | PollEvents::POLLWRNORM | PollEvents::POLLWRBAND;
        if !st.queue.is_empty() {
            ev |= PollEvents::POLLIN | PollEvents::POLLRDNORM;
        }
        if st.err.is_some() {
            ev |= PollEvents::POLLERR;
        }
        ev
    }

    fn wait_queue(&self) -> &WaitQueue {
        &self.wait
    }

    /// SIOCINQ: the length of the next frame; SIOCOUTQ: 0, frames leave
    /// at once.
    fn ioctl(&self, user: &dyn UserMemory, cmd: u32, arg: u64) -> Result<u64> {
        let n = match cmd {
            SIOCINQ => self
                .state
                .borrow()
                .queue
                .front()
                .map_or(0, |q| q.data.len()),
            SIOCOUTQ => 0,
            _ => return Err(Errno::ENOTTY),
        };
        UserPtr::<i32>::new(arg).write(user, &(n as i32))?;
        Ok(0)
    }

    fn read(&self, buf: &mut [u8]) -> Result<usize> {
        let q = self.take(false)?;
        let n = q.data.len().min(buf.len());
        buf[..n].copy_from_slice(&q.data[..n]);
        Ok(n)
    }

    fn write(&self, data: &[u8]) -> Result<usize> {
        self.send(data, None)
    }

    fn is_stream(&self) -> bool {
        false
    }

    fn release(&self) {
        unregister(self.id);
        let mut st = self.state.borrow_mut();
        st.queue.clear();
        st.proto = 0;
    }
}
