//! Packet sockets (packet(7), Linux's net/packet/af_packet.c): for root,
//! `socket(AF_PACKET, SOCK_RAW | SOCK_DGRAM, htons(ETH_P_*))` sees the
//! frames that cross the network devices, link header and all (SOCK_RAW)
//! or from the network header on (SOCK_DGRAM), and sends frames of its
//! own; DHCP clients and packet capture use them.
//!
//! Devices hand every frame they send and receive to `deliver` while a
//! packet socket exists (`capturing`); each socket whose protocol and
//! interface match queues a copy, after its filter (SO_ATTACH_FILTER).
//! What a socket sends goes to its device by `dev_queue_xmit`. Only `lo`
//! carries frames yet: a frame of the loopback device has a link header
//! of zero addresses, and one sent comes back in as received.

mod socket;

pub(crate) use socket::PacketSocket;

use crate::net::device::ARPHRD_LOOPBACK;
use crate::net::inet::LO_IFINDEX;
use crate::net::Net;
use crate::task::TrapContext;
use arch::sync::KernelCell;
use arch::{Errno, Result};
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Weak};

/// `AF_PACKET`.
pub(crate) const AF_PACKET: u16 = 17;
/// The level of the packet options and control messages.
pub(crate) const SOL_PACKET: i32 = 263;
/// The length of an Ethernet header.
pub(crate) const ETH_HLEN: usize = 14;
/// The EtherTypes (host order): every protocol, IPv4, IPv6.
pub(crate) const ETH_P_ALL: u16 = 0x0003;
pub(crate) const ETH_P_IP: u16 = 0x0800;
pub(crate) const ETH_P_IPV6: u16 = 0x86dd;

/// The packet types of `sll_pkttype` (`PACKET_HOST`...).
pub(crate) mod pkt {
    pub(crate) const HOST: u8 = 0;
    pub(crate) const BROADCAST: u8 = 1;
    pub(crate) const MULTICAST: u8 = 2;
    pub(crate) const OTHERHOST: u8 = 3;
    pub(crate) const OUTGOING: u8 = 4;
}

/// A frame that crossed a device, as the packet sockets get it.
pub(crate) struct Frame {
    /// The frame, from its link header on.
    pub data: Vec<u8>,
    pub pkt_type: u8,
    /// The packet socket that sent it (which does not see it leave).
    pub sender: Option<u64>,
    /// Its TCP or UDP checksum was left to the device and not filled in
    /// (TP_STATUS_CSUMNOTREADY).
    pub csum_partial: bool,
}

impl Frame {
    /// Returns a frame the device sends.
    pub(crate) fn outgoing(data: Vec<u8>, sender: Option<u64>, csum_partial: bool) -> Frame {
        Frame {
            data,
            pkt_type: pkt::OUTGOING,
            sender,
            csum_partial,
        }
    }

    /// Returns a frame the device received, of type `pkt_type`.
    pub(crate) fn incoming(data: Vec<u8>, pkt_type: u8, csum_partial: bool) -> Frame {
        Frame {
            data,
            pkt_type,
            sender: None,
            csum_partial,
        }
    }

    /// Returns the frame's EtherType.
    fn ethertype(&self) -> u16 {
        ethertype(&self.data)
    }
}

/// Returns the EtherType of the Ethernet frame `frame`.
fn ethertype(frame: &[u8]) -> u16 {
    match frame.get(12..ETH_HLEN) {
        Some(t) => u16::from_be_bytes([t[0], t[1]]),
        None => 0,
    }
}

/// Returns the type of a frame received by a device whose address is
/// `own` and broadcast address `broadcast` (Linux's `eth_type_trans`):
/// to everyone, to a group, to it, or to another host.
pub(crate) fn pkt_type(frame: &[u8], own: &[u8; 6], broadcast: &[u8; 6]) -> u8 {
    let dst = &frame[..6.min(frame.len())];
    if dst.first().is_some_and(|b| b & 1 != 0) {
        if dst == broadcast {
            pkt::BROADCAST
        } else {
            pkt::MULTICAST
        }
    } else if dst == own {
        pkt::HOST
    } else {
        pkt::OTHERHOST
    }
}

/// Returns whether a received frame of type `pkt_type` goes on to the IP
/// stack: IPv4 or IPv6, not addressed to another host (`ip_rcv` drops
/// PACKET_OTHERHOST).
pub(crate) fn to_ip(frame: &[u8], pkt_type: u8) -> bool {
    frame.len() > ETH_HLEN
        && matches!(ethertype(frame), ETH_P_IP | ETH_P_IPV6)
        && pkt_type != pkt::OTHERHOST
}

/// The packet sockets of the namespace, by id.
static SOCKETS: KernelCell<BTreeMap<u64, Weak<PacketSocket>>> = KernelCell::new(BTreeMap::new());
/// How many packet sockets exist (devices copy frames while any do).
static COUNT: AtomicUsize = AtomicUsize::new(0);

/// Returns whether devices must hand their frames to `deliver`.
pub(crate) fn capturing() -> bool {
    COUNT.load(Ordering::Relaxed) > 0
}

/// Registers a new packet socket; returns its id.
fn register(sock: &Arc<PacketSocket>) {
    SOCKETS.borrow_mut().insert(sock.id(), Arc::downgrade(sock));
    COUNT.fetch_add(1, Ordering::Relaxed);
}

/// Forgets a closed packet socket.
fn unregister(id: u64) {
    if SOCKETS.borrow_mut().remove(&id).is_some() {
        COUNT.fetch_sub(1, Ordering::Relaxed);
    }
}

/// Returns the open packet sockets.
fn sockets() -> Vec<Arc<PacketSocket>> {
    SOCKETS
        .borrow()
        .values()
        .filter_map(Weak::upgrade)
        .collect()
}

/// What a socket needs to know of the device a frame crossed.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Link {
    pub ifindex: i32,
    pub hatype: u16,
}

impl Link {
    /// Returns the link of device `ifindex` of `net`; None if there is none.
    fn of(net: &Net, ifindex: i32) -> Option<Link> {
        let state = net.state();
        let d = state.dev(ifindex)?;
        Some(Link {
            ifindex,
            hatype: d.arphrd(),
        })
    }
}

/// Hands the frames that crossed device `ifindex` to every packet socket
/// that takes them (Linux's `dev_queue_xmit_nit` for those sent,
/// `__netif_receive_skb`'s taps for those received).
pub(crate) fn deliver(net: &Net, ifindex: i32, frames: Vec<Frame>) {
    if frames.is_empty() {
        return;
    }
    let link = Link::of(net, ifindex).unwrap_or(Link {
        ifindex,
        hatype: ARPHRD_LOOPBACK,
    });
    let socks: Vec<_> = sockets()
        .into_iter()
        .filter(|s| std::ptr::eq(&*s.net, net))
        .collect();
    for frame in &frames {
        for s in &socks {
            s.rcv(&link, frame);
        }
    }
}

/// Sends the frame `frame` written by packet socket `sender` out of
/// device `ifindex`; the device must be up.
fn dev_queue_xmit(net: &Net, ifindex: i32, frame: Vec<u8>, sender: u64) -> Result<()> {
    if ifindex == LO_IFINDEX as i32 {
        crate::net::inet::lo_xmit(net, frame, sender);
        Ok(())
    } else {
        crate::net::inet::card_xmit(net, ifindex, frame, sender)
    }
}

/// Creates a packet socket for socket(2): EPERM without CAP_NET_RAW,
/// ESOCKTNOSUPPORT for types other than SOCK_RAW and SOCK_DGRAM
/// (the obsolete SOCK_PACKET included).
pub(crate) fn create(ctx: &TrapContext, ty: u32, protocol: i32) -> Result<Arc<PacketSocket>> {
    if !ctx
        .task
        .process
        .cred
        .borrow()
        .capable(arch::abi::capability::CAP_NET_RAW)
    {
        return Err(Errno::EPERM);
    }
    if ty != crate::net::SOCK_RAW && ty != crate::net::SOCK_DGRAM {
        return Err(Errno::ESOCKTNOSUPPORT);
    }
    // The protocol is an EtherType in network byte order.
    let proto = u16::from_be(protocol as u16);
    let sock = PacketSocket::new(ty, proto, ctx.cred().owner(), ctx.task.net.borrow().clone());
    register(&sock);
    Ok(sock)
}

/// Returns /proc/net/packet: one row per packet socket of `net`.
pub(crate) fn proc_net_packet(net: &Net) -> String {
    let mut out = String::from("sk               RefCnt Type Proto  Iface R Rmem   User   Inode\n");
    for s in sockets().into_iter().filter(|s| std::ptr::eq(&*s.net, net)) {
        out.push_str(&s.proc_row());
    }
    out
}
