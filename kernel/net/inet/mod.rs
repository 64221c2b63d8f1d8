//! The Internet families (ip(7), ipv6(7)): TCP, UDP and UDP-Lite sockets
//! over IPv4 and IPv6, ping sockets (icmp(7)) and raw sockets (raw(7)), on
//! a TCP/IP stack per network namespace (`stack`) built on smoltcp.
//! smoltcp moves packets and runs the TCP state machine; this layer gives
//! it Linux's socket semantics, which smoltcp does not have: ports and bind
//! conflicts, listen backlogs, errors reported once, socket options and
//! control messages, v4-mapped addresses on dual-stack IPv6 sockets, ping
//! identifiers and raw sockets' filters (`taps`), and UDP-Lite, which
//! smoltcp does not know. What the sockets are to sock_diag and /proc/net
//! is `diag` and `proc`.

mod addr;
mod addrconf;
mod cmsg;
mod device;
mod diag;
mod ether;
mod frag4;
mod frag6;
mod ip_dgram;
mod listen;
mod offload;
mod packet;
mod ping;
mod ports;
mod proc;
mod raw;
mod sockopt;
mod stack;
mod taps;
mod tcp;
mod tcp_info;
mod udp;
mod udplite;

use crate::net::{Net, Socket, SOCK_DGRAM, SOCK_RAW, SOCK_STREAM};
use crate::task::TrapContext;
pub(crate) use addr::unmap;
pub(crate) use device::LO_IFINDEX;
pub(crate) use diag::{curr_estab, raw_rows, sockstat, tcp_rows, udp_rows};
pub(crate) use proc::{proc_tcp, proc_udp, Kind, Row};
pub(crate) use stack::Stack;
pub(crate) use tcp_info::{TCP_CLOSE, TCP_LISTEN};

use addr::{Endpoint, SockAddr};
use arch::{Errno, Result};
use fs::Owner;
use std::sync::Arc;

pub(crate) const AF_INET: u16 = 2;
pub(crate) const AF_INET6: u16 = 10;
pub(crate) const IPPROTO_IP: i32 = 0;
pub(crate) const IPPROTO_ICMP: i32 = 1;
pub(crate) const IPPROTO_TCP: i32 = 6;
pub(crate) const IPPROTO_UDP: i32 = 17;
pub(crate) const IPPROTO_ICMPV6: i32 = 58;
/// One past the largest protocol socket(2) takes (`IPPROTO_MAX`).
const IPPROTO_MAX: i32 = 263;
/// net.ipv4.ip_unprivileged_port_start: lower ports need privilege.
const UNPRIVILEGED_PORT_START: u16 = 1024;
/// The longest option value read from the guest.
const MAX_OPTLEN: usize = 256;

/// Sends the Ethernet frame a packet socket (`sender`) wrote out of card
/// `ifindex`: ENXIO if it has no transport, ENETDOWN if it is down.
pub(crate) fn card_xmit(net: &Net, ifindex: i32, frame: Vec<u8>, sender: u64) -> Result<()> {
    net.with_stack(|s| {
        s.lo.neigh.xmit_frame(ifindex, frame, sender)?;
        s.poll();
        Ok(())
    })
}

/// Returns the neighbours ARP knows in `net`: card, address, link-layer
/// address.
pub(crate) fn neighbours(net: &Net) -> Vec<(i32, std::net::IpAddr, [u8; 6])> {
    net.with_stack(|s| s.lo.neigh.entries())
}

/// Takes the frames card `ifindex` received (its interrupt, under the
/// kernel lock). The cards are the initial namespace's.
pub(crate) fn netif_rx(ifindex: i32, frames: Vec<crate::net::device::RxFrame>) {
    let net = crate::net::init_net();
    // The card's address, MTU and offloads, once for the batch.
    let card = {
        let st = net.state();
        st.dev(ifindex).map(|d| device::RxCard {
            ifindex,
            mac: d.hwaddr,
            mtu: d.mtu as usize,
            offloads: d.driver.as_ref().is_some_and(|d| d.offloads()),
        })
    };
    let Some(card) = card else {
        return;
    };
    net.with_stack(|s| s.netif_rx(&card, frames));
}

/// Sends the Ethernet frame a packet socket (`sender`) wrote out of lo,
/// and moves it.
pub(crate) fn lo_xmit(net: &Net, frame: Vec<u8>, sender: u64) {
    net.with_stack(|s| {
        s.lo.inject(frame, sender);
        s.poll();
    })
}

/// Creates a socket of `family` (AF_INET or AF_INET6), `ty` and
/// `protocol` as socket(2) (Linux's `inet_create`): EINVAL for a protocol
/// out of range, EPROTONOSUPPORT for a protocol the type does not carry,
/// ESOCKTNOSUPPORT for other types; ping sockets check the caller's group
/// (EACCES), raw sockets its privilege (EPERM).
pub(crate) fn create(
    family: u16,
    ty: u32,
    protocol: i32,
    owner: Owner,
    net: &Arc<Net>,
) -> Result<Arc<dyn Socket>> {
    if !(0..IPPROTO_MAX).contains(&protocol) {
        return Err(Errno::EINVAL);
    }
    let ping = if family == AF_INET {
        IPPROTO_ICMP
    } else {
        IPPROTO_ICMPV6
    };
    match (ty, protocol) {
        (SOCK_STREAM, IPPROTO_IP | IPPROTO_TCP) => Ok(tcp::TcpSocket::new(family, owner, net)),
        (SOCK_DGRAM, IPPROTO_IP | IPPROTO_UDP) => {
            Ok(udp::UdpSocket::new(family, udp::Proto::Udp, owner, net))
        }
        (SOCK_DGRAM, udplite::IPPROTO_UDPLITE) => {
            Ok(udp::UdpSocket::new(family, udp::Proto::UdpLite, owner, net))
        }
        (SOCK_DGRAM, p) if p == ping => Ok(ping::PingSocket::new(family, owner, net)?),
        (SOCK_RAW, IPPROTO_IP) => Err(Errno::EPROTONOSUPPORT),
        (SOCK_RAW, p) => Ok(raw::RawSocket::new(family, p, owner, net)?),
        (SOCK_STREAM | SOCK_DGRAM, _) => Err(Errno::EPROTONOSUPPORT),
        _ => Err(Errno::ESOCKTNOSUPPORT),
    }
}

/// Reads an option value of `len` bytes at `val` (at most MAX_OPTLEN).
fn read_opt(ctx: &TrapContext, val: u64, len: usize) -> Result<Vec<u8>> {
    let mut raw = vec![0u8; len.min(MAX_OPTLEN)];
    if !raw.is_empty() {
        ctx.read_user(val, &mut raw)?;
    }
    Ok(raw)
}

/// Decodes bind(2)'s address for a socket of `family`, as Linux's
/// `inet_bind` and `inet6_bind` check it.
fn bind_endpoint(raw: &[u8], family: u16) -> Result<Endpoint> {
    match addr::parse(raw, family)? {
        SockAddr::Inet(ep) if family == AF_INET6 && addr::is_inet4(raw) => {
            let _ = ep;
            Err(Errno::EINVAL)
        }
        SockAddr::Inet(ep) => Ok(ep),
        SockAddr::Unspec if family == AF_INET => {
            // AF_UNSPEC binds only as INADDR_ANY (old programs use it).
            if raw.len() < addr::SOCKADDR_IN_LEN {
                return Err(Errno::EINVAL);
            }
            if raw[4..8] != [0, 0, 0, 0] {
                return Err(Errno::EAFNOSUPPORT);
            }
            Ok(Endpoint::new(
                addr::any(AF_INET),
                u16::from_be_bytes([raw[2], raw[3]]),
            ))
        }
        SockAddr::Unspec => Err(Errno::EAFNOSUPPORT),
    }
}

/// Checks that the caller may bind `port`: below 1024 only with
/// CAP_NET_BIND_SERVICE (root here), EACCES otherwise.
fn check_bind_port(ctx: &TrapContext, port: u16) -> Result<()> {
    if port != 0 && port < UNPRIVILEGED_PORT_START && euid(ctx) != 0 {
        return Err(Errno::EACCES);
    }
    Ok(())
}

/// Returns the caller's effective user id.
fn euid(ctx: &TrapContext) -> u32 {
    ctx.task.process.cred.borrow().euid
}
