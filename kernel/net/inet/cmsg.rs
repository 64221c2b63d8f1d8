//! The control messages of the Internet families' datagram sockets (ip(7),
//! ipv6(7), cmsg(3)). On receive (`received`): those the socket asked for
//! (`sockopt::Recv`), with what the device read from the datagram's IP
//! header, in the order of Linux's `udp_recvmsg`/`udpv6_recvmsg`
//! (`ip6_datagram_recv_common_ctl`, then `ip_cmsg_recv_offset` for an IPv4
//! packet or `ip6_datagram_recv_specific_ctl` for an IPv6 one). On send
//! (`parse_send`): the IP-level messages, checked as Linux's
//! `ip_cmsg_send` (IPv4 destinations, also from IPv6 sockets) and
//! `ip6_datagram_send_ctl` (IPv6 destinations) check them. The generic
//! writer (kernel/syscall/msghdr.rs) truncates them as `put_cmsg` does.

use super::addr::{self, Endpoint};
use super::device::PacketInfo;
use super::sockopt::{
    Recv, IPV6_2292HOPLIMIT, IPV6_2292PKTINFO, IPV6_DONTFRAG, IPV6_FLOWINFO, IPV6_HOPLIMIT,
    IPV6_ORIGDSTADDR, IPV6_PKTINFO, IPV6_TCLASS, IP_ORIGDSTADDR, IP_PKTINFO, IP_PROTOCOL,
    IP_RETOPTS, IP_TOS, IP_TTL, SOL_IP, SOL_IPV6, SOL_UDP,
};
use super::{AF_INET, AF_INET6};
use crate::net::socket::Cmsg;
use arch::abi::pod::{as_bytes, from_bytes};
use arch::abi::structs::{In6Pktinfo, InPktinfo};
use arch::{Errno, Result};
use std::mem::size_of;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// IPV6_2292HOPOPTS, IPV6_2292DSTOPTS, IPV6_2292RTHDR, IPV6_HOPOPTS,
/// IPV6_RTHDRDSTOPTS, IPV6_RTHDR, IPV6_DSTOPTS: extension headers.
const IPV6_EXTENSION_HEADERS: [i32; 7] = [3, 4, 5, 54, 55, 57, 59];
/// The flow label bits of IPV6_FLOWINFO (the rest is the traffic class).
const IPV6_FLOWLABEL_MASK: u32 = 0x000f_ffff;

/// A received datagram as its control messages describe it.
pub(super) struct Arrival {
    /// The destination address (an IPv4 one for an IPv4 packet) and port.
    pub to: Endpoint,
    /// What the device read from the IP header (every datagram crosses
    /// it; one that did not would get no control message).
    pub info: Option<PacketInfo>,
}

/// Returns an int control message.
fn int(level: i32, ty: i32, v: i32) -> Cmsg {
    Cmsg {
        level,
        ty,
        data: v.to_ne_bytes().to_vec(),
    }
}

/// Returns the `in6_pktinfo` of the arrival (IPV6_PKTINFO and the RFC
/// 2292 form): an IPv4 destination v4-mapped.
fn in6_pktinfo(a: &Arrival, info: PacketInfo) -> Vec<u8> {
    let addr = match a.to.addr {
        IpAddr::V4(v4) => v4.to_ipv6_mapped(),
        IpAddr::V6(v6) => v6,
    };
    as_bytes(&In6Pktinfo {
        ipi6_addr: addr.octets(),
        ipi6_ifindex: info.ifindex as i32,
    })
    .to_vec()
}

/// Returns the control messages a socket of `family` asking for `recv`
/// gets with the datagram `a`.
pub(super) fn received(family: u16, recv: Recv, a: &Arrival) -> Vec<Cmsg> {
    let mut out = Vec::new();
    let Some(info) = a.info.filter(|_| !recv.is_empty()) else {
        return out;
    };
    if family == AF_INET6 && recv.contains(Recv::IPV6_PKTINFO) {
        out.push(Cmsg {
            level: SOL_IPV6,
            ty: IPV6_PKTINFO,
            data: in6_pktinfo(a, info),
        });
    }
    match a.to.addr {
        IpAddr::V4(dst) => received_v4(recv, a, info, dst, &mut out),
        IpAddr::V6(_) if family == AF_INET6 => received_v6(recv, a, info, &mut out),
        IpAddr::V6(_) => {}
    }
    out
}

/// Adds the SOL_IP messages of an IPv4 packet to `dst`.
fn received_v4(recv: Recv, a: &Arrival, info: PacketInfo, dst: Ipv4Addr, out: &mut Vec<Cmsg>) {
    if recv.contains(Recv::IP_PKTINFO) {
        // A local destination is its own reply address (fib_compute_spec_dst).
        let pktinfo = InPktinfo {
            ipi_ifindex: info.ifindex as i32,
            ipi_spec_dst: dst.octets(),
            ipi_addr: dst.octets(),
        };
        out.push(Cmsg {
            level: SOL_IP,
            ty: IP_PKTINFO,
            data: as_bytes(&pktinfo).to_vec(),
        });
    }
    if recv.contains(Recv::IP_TTL) {
        out.push(int(SOL_IP, IP_TTL, info.hop_limit.into()));
    }
    if recv.contains(Recv::IP_TOS) {
        // One byte, as Linux's ip_cmsg_recv_tos.
        out.push(Cmsg {
            level: SOL_IP,
            ty: IP_TOS,
            data: vec![info.tos],
        });
    }
    // IP_RECVOPTS and IP_RETOPTS: the packet carries no IP options.
    if recv.contains(Recv::IP_ORIGDSTADDR) {
        out.push(Cmsg {
            level: SOL_IP,
            ty: IP_ORIGDSTADDR,
            data: addr::encode(a.to, AF_INET),
        });
    }
}

/// Adds the SOL_IPV6 messages of an IPv6 packet but IPV6_PKTINFO.
fn received_v6(recv: Recv, a: &Arrival, info: PacketInfo, out: &mut Vec<Cmsg>) {
    if recv.contains(Recv::IPV6_HOPLIMIT) {
        out.push(int(SOL_IPV6, IPV6_HOPLIMIT, info.hop_limit.into()));
    }
    if recv.contains(Recv::IPV6_TCLASS) {
        out.push(int(SOL_IPV6, IPV6_TCLASS, info.tos.into()));
    }
    // The flow information word: traffic class and a flow label, which
    // this stack's packets leave zero; Linux sends none when it is zero.
    let flowinfo = u32::from(info.tos) << 20;
    if recv.contains(Recv::IPV6_FLOWINFO) && flowinfo != 0 {
        out.push(Cmsg {
            level: SOL_IPV6,
            ty: IPV6_FLOWINFO,
            data: flowinfo.to_be_bytes().to_vec(),
        });
    }
    if recv.contains(Recv::IPV6_2292PKTINFO) {
        out.push(Cmsg {
            level: SOL_IPV6,
            ty: IPV6_2292PKTINFO,
            data: in6_pktinfo(a, info),
        });
    }
    if recv.contains(Recv::IPV6_2292HOPLIMIT) {
        out.push(int(SOL_IPV6, IPV6_2292HOPLIMIT, info.hop_limit.into()));
    }
    if recv.contains(Recv::IPV6_ORIGDSTADDR) {
        out.push(Cmsg {
            level: SOL_IPV6,
            ty: IPV6_ORIGDSTADDR,
            data: addr::encode(a.to, AF_INET6),
        });
    }
}

/// What a send's control messages ask of the IP layer (Linux's
/// `ipcm_cookie` and `ipcm6_cookie`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct SendParams {
    /// The source address IP_PKTINFO (`ipi_spec_dst`) or IPV6_PKTINFO
    /// (`ipi6_addr`) chose; the wildcard leaves it to the route.
    pub src: Option<IpAddr>,
    /// The outgoing interface they named (not zero).
    pub ifindex: Option<i32>,
    /// IP_TTL, IPV6_HOPLIMIT.
    pub hop_limit: Option<u8>,
    /// IP_TOS, IPV6_TCLASS.
    pub tos: Option<u8>,
}

/// Returns the int of a message whose data must be exactly one: EINVAL
/// otherwise.
fn exact_int(data: &[u8]) -> Result<i32> {
    if data.len() != size_of::<i32>() {
        return Err(Errno::EINVAL);
    }
    from_bytes(data).ok_or(Errno::EINVAL)
}

/// Parses the control messages `msgs` (all but SOL_SOCKET's) of a send
/// from a socket of `family` to an IPv4 (`v4`) or IPv6 destination.
pub(super) fn parse_send(family: u16, v4: bool, msgs: &[Cmsg]) -> Result<SendParams> {
    let mut p = SendParams::default();
    // udp_cmsg_send looks at SOL_UDP first, whatever the destination: its
    // one type, UDP_SEGMENT, asks for segmentation offload, which is not
    // offered here (setsockopt refuses it too); others are EINVAL.
    if msgs.iter().any(|m| m.level == SOL_UDP) {
        return Err(Errno::EINVAL);
    }
    for m in msgs {
        if v4 {
            send_v4(family, m, &mut p)?;
        } else {
            send_v6(m, &mut p)?;
        }
    }
    Ok(p)
}

/// Takes one message of a send to an IPv4 destination (`ip_cmsg_send`).
fn send_v4(family: u16, m: &Cmsg, p: &mut SendParams) -> Result<()> {
    if family == AF_INET6 && m.level == SOL_IPV6 && m.ty == IPV6_PKTINFO {
        let info: In6Pktinfo = from_bytes(&m.data).ok_or(Errno::EINVAL)?;
        let a = Ipv6Addr::from(info.ipi6_addr);
        let v4 = a.to_ipv4_mapped().ok_or(Errno::EINVAL)?;
        if info.ipi6_ifindex != 0 {
            p.ifindex = Some(info.ipi6_ifindex);
        }
        p.src = Some(IpAddr::V4(v4));
        return Ok(());
    }
    if m.level != SOL_IP {
        return Ok(());
    }
    match m.ty {
        IP_RETOPTS => {
            // IP options are not sent; an empty list is none.
            if !m.data.is_empty() {
                return Err(Errno::EINVAL);
            }
        }
        IP_PKTINFO => {
            if m.data.len() != size_of::<InPktinfo>() {
                return Err(Errno::EINVAL);
            }
            let info: InPktinfo = from_bytes(&m.data).ok_or(Errno::EINVAL)?;
            if info.ipi_ifindex != 0 {
                p.ifindex = Some(info.ipi_ifindex);
            }
            p.src = Some(IpAddr::V4(Ipv4Addr::from(info.ipi_spec_dst)));
        }
        IP_TTL => {
            let v = exact_int(&m.data)?;
            if !(1..=255).contains(&v) {
                return Err(Errno::EINVAL);
            }
            p.hop_limit = Some(v as u8);
        }
        IP_TOS => {
            let v = match m.data.len() {
                1 => i32::from(m.data[0]),
                _ => exact_int(&m.data)?,
            };
            if !(0..=255).contains(&v) {
                return Err(Errno::EINVAL);
            }
            p.tos = Some(v as u8);
        }
        IP_PROTOCOL => {
            // Only raw sockets use it; a datagram socket checks and ignores it.
            if !(1..=255).contains(&exact_int(&m.data)?) {
                return Err(Errno::EINVAL);
            }
        }
        _ => return Err(Errno::EINVAL),
    }
    Ok(())
}

/// Takes one message of a send to an IPv6 destination
/// (`ip6_datagram_send_ctl`).
fn send_v6(m: &Cmsg, p: &mut SendParams) -> Result<()> {
    if m.level != SOL_IPV6 {
        return Ok(());
    }
    match m.ty {
        IPV6_PKTINFO | IPV6_2292PKTINFO => {
            if m.data.len() < size_of::<In6Pktinfo>() {
                return Err(Errno::EINVAL);
            }
            let info: In6Pktinfo = from_bytes(&m.data).ok_or(Errno::EINVAL)?;
            if info.ipi6_ifindex != 0 {
                if p.ifindex.is_some_and(|i| i != info.ipi6_ifindex) {
                    return Err(Errno::EINVAL);
                }
                p.ifindex = Some(info.ipi6_ifindex);
            }
            // The wildcard leaves the source as it was (the bound one).
            let a = Ipv6Addr::from(info.ipi6_addr);
            if !a.is_unspecified() {
                p.src = Some(IpAddr::V6(a));
            }
        }
        IPV6_FLOWINFO => {
            if m.data.len() < size_of::<u32>() {
                return Err(Errno::EINVAL);
            }
            let word = u32::from_be_bytes([m.data[0], m.data[1], m.data[2], m.data[3]]);
            // A flow label needs a lease (IPV6_FLOWLABEL_MGR), which no
            // socket holds here.
            if word & IPV6_FLOWLABEL_MASK != 0 {
                return Err(Errno::EINVAL);
            }
        }
        t if IPV6_EXTENSION_HEADERS.contains(&t) => {
            // Extension headers are not sent by this stack.
            return Err(Errno::EINVAL);
        }
        IPV6_HOPLIMIT | IPV6_2292HOPLIMIT => {
            let v = exact_int(&m.data)?;
            if !(-1..=255).contains(&v) {
                return Err(Errno::EINVAL);
            }
            p.hop_limit = (v >= 0).then_some(v as u8);
        }
        IPV6_TCLASS => {
            let v = exact_int(&m.data)?;
            if !(-1..=255).contains(&v) {
                return Err(Errno::EINVAL);
            }
            p.tos = (v >= 0).then_some(v as u8);
        }
        IPV6_DONTFRAG => {
            if !(0..=1).contains(&exact_int(&m.data)?) {
                return Err(Errno::EINVAL);
            }
        }
        _ => return Err(Errno::EINVAL),
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn msg(level: i32, ty: i32, data: &[u8]) -> Cmsg {
        Cmsg {
            level,
            ty,
            data: data.to_vec(),
        }
    }

    #[test]
    fn sends_are_checked_as_linux_checks_them() {
        let hop = |v: i32| msg(SOL_IPV6, IPV6_HOPLIMIT, &v.to_ne_bytes());
        let p = parse_send(AF_INET6, false, &[hop(2)]).expect("valid");
        assert_eq!(p.hop_limit, Some(2));
        assert_eq!(
            parse_send(AF_INET6, false, &[hop(-1)]).map(|p| p.hop_limit),
            Ok(None)
        );
        assert_eq!(parse_send(AF_INET6, false, &[hop(256)]), Err(Errno::EINVAL));
        // One byte too long.
        let odd = msg(SOL_IPV6, IPV6_TCLASS, &[0, 0, 0, 0, 0]);
        assert_eq!(parse_send(AF_INET6, false, &[odd]), Err(Errno::EINVAL));
        // IPv6 messages go unread on the way to an IPv4 destination.
        assert_eq!(
            parse_send(AF_INET6, true, &[hop(256)]),
            Ok(SendParams::default())
        );
        let tos = msg(SOL_IP, IP_TOS, &[0x10]);
        assert_eq!(
            parse_send(AF_INET, true, &[tos]).map(|p| p.tos),
            Ok(Some(0x10))
        );
        let ttl0 = msg(SOL_IP, IP_TTL, &0i32.to_ne_bytes());
        assert_eq!(parse_send(AF_INET, true, &[ttl0]), Err(Errno::EINVAL));
        let unknown = msg(SOL_IP, 99, &[]);
        assert_eq!(parse_send(AF_INET, true, &[unknown]), Err(Errno::EINVAL));
    }

    #[test]
    fn receives_follow_linux_order() {
        let a = Arrival {
            to: Endpoint::new(IpAddr::V6(Ipv6Addr::LOCALHOST), 9),
            info: Some(PacketInfo {
                ifindex: 1,
                hop_limit: 64,
                tos: 0x20,
            }),
        };
        let recv = Recv::IPV6_TCLASS | Recv::IPV6_HOPLIMIT | Recv::IPV6_PKTINFO;
        let got: Vec<i32> = received(AF_INET6, recv, &a).iter().map(|c| c.ty).collect();
        assert_eq!(got, [IPV6_PKTINFO, IPV6_HOPLIMIT, IPV6_TCLASS]);
        // An IPv4 socket hears nothing of IPv6 options.
        assert!(received(AF_INET, recv, &a).is_empty());
    }
}
