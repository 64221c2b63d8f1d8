//! The options of Internet sockets at the IP, IPv6 and TCP levels (ip(7),
//! ipv6(7), tcp(7), udp(7)): their values as Linux checks and reports them.
//! The sockets apply those smoltcp can follow (TCP_NODELAY, keep-alive,
//! the hop limit); datagram sockets also the TOS and traffic class, and the
//! control messages asked for on receive (`Recv`, written by `cmsg`); the
//! others are kept and read back. As in Linux, an IPv6 socket keeps the
//! IPv4 TTL and TOS (for its v4-mapped traffic) apart from its IPv6 hop
//! limit and traffic class.

use super::{AF_INET, AF_INET6, IPPROTO_TCP};
use arch::abi::pod::as_bytes;
use arch::{Errno, Result};
use std::collections::BTreeMap;

pub(crate) const SOL_IP: i32 = 0;
pub(crate) const SOL_IPV6: i32 = 41;
pub(crate) const SOL_TCP: i32 = IPPROTO_TCP;
pub(crate) const SOL_UDP: i32 = 17;
/// net.ipv4.ip_default_ttl and net.ipv6.conf.all.hop_limit.
const DEFAULT_TTL: u8 = 64;

pub(crate) const IP_TOS: i32 = 1;
pub(crate) const IP_TTL: i32 = 2;
const IP_RECVOPTS: i32 = 6;
pub(crate) const IP_RETOPTS: i32 = 7;
pub(crate) const IP_PKTINFO: i32 = 8;
const IP_RECVTTL: i32 = 12;
const IP_RECVTOS: i32 = 13;
pub(crate) const IP_ORIGDSTADDR: i32 = 20;
pub(crate) const IP_PROTOCOL: i32 = 52;
/// IP_HDRINCL, IP_MTU_DISCOVER... the int options IPv4 keeps and reports back.
const IP_PLAIN: [i32; 9] = [3, 10, 11, 15, 19, 24, 32, 33, 34];
const IP_MTU: i32 = 14;

pub(crate) const IPV6_2292PKTINFO: i32 = 2;
pub(crate) const IPV6_2292HOPLIMIT: i32 = 8;
pub(crate) const IPV6_FLOWINFO: i32 = 11;
const IPV6_UNICAST_HOPS: i32 = 16;
const IPV6_V6ONLY: i32 = 26;
const IPV6_RECVPKTINFO: i32 = 49;
pub(crate) const IPV6_PKTINFO: i32 = 50;
const IPV6_RECVHOPLIMIT: i32 = 51;
pub(crate) const IPV6_HOPLIMIT: i32 = 52;
pub(crate) const IPV6_DONTFRAG: i32 = 62;
const IPV6_RECVTCLASS: i32 = 66;
pub(crate) const IPV6_TCLASS: i32 = 67;
pub(crate) const IPV6_ORIGDSTADDR: i32 = 74;
/// IPV6_RECVERR, IPV6_MTU_DISCOVER... kept and reported.
const IPV6_PLAIN: [i32; 7] = [17, 18, 19, 23, 25, 62, 80];
const IPV6_MTU: i32 = 24;
/// `sizeof(struct in6_pktinfo)`.
const IN6_PKTINFO_LEN: usize = 20;

bitflags::bitflags! {
    /// The control messages a socket asked to receive with its datagrams
    /// (Linux's `inet->cmsg_flags` and `np->rxopt`).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub(crate) struct Recv: u32 {
        const IP_PKTINFO = 1 << 0;
        const IP_TTL = 1 << 1;
        const IP_TOS = 1 << 2;
        const IP_RECVOPTS = 1 << 3;
        const IP_RETOPTS = 1 << 4;
        const IP_ORIGDSTADDR = 1 << 5;
        const IPV6_PKTINFO = 1 << 8;
        const IPV6_HOPLIMIT = 1 << 9;
        const IPV6_TCLASS = 1 << 10;
        const IPV6_FLOWINFO = 1 << 11;
        const IPV6_2292PKTINFO = 1 << 12;
        const IPV6_2292HOPLIMIT = 1 << 13;
        const IPV6_ORIGDSTADDR = 1 << 14;
    }
}

/// The boolean options that ask for control messages: (level, option, flag).
const RECV_OPTIONS: [(i32, i32, Recv); 13] = [
    (SOL_IP, IP_PKTINFO, Recv::IP_PKTINFO),
    (SOL_IP, IP_RECVTTL, Recv::IP_TTL),
    (SOL_IP, IP_RECVTOS, Recv::IP_TOS),
    (SOL_IP, IP_RECVOPTS, Recv::IP_RECVOPTS),
    (SOL_IP, IP_RETOPTS, Recv::IP_RETOPTS),
    (SOL_IP, IP_ORIGDSTADDR, Recv::IP_ORIGDSTADDR),
    (SOL_IPV6, IPV6_RECVPKTINFO, Recv::IPV6_PKTINFO),
    (SOL_IPV6, IPV6_RECVHOPLIMIT, Recv::IPV6_HOPLIMIT),
    (SOL_IPV6, IPV6_RECVTCLASS, Recv::IPV6_TCLASS),
    (SOL_IPV6, IPV6_FLOWINFO, Recv::IPV6_FLOWINFO),
    (SOL_IPV6, IPV6_2292PKTINFO, Recv::IPV6_2292PKTINFO),
    (SOL_IPV6, IPV6_2292HOPLIMIT, Recv::IPV6_2292HOPLIMIT),
    (SOL_IPV6, IPV6_ORIGDSTADDR, Recv::IPV6_ORIGDSTADDR),
];

/// Returns the flag of a boolean option that asks for a control message.
fn recv_flag(level: i32, opt: i32) -> Option<Recv> {
    RECV_OPTIONS
        .iter()
        .find(|&&(l, o, _)| l == level && o == opt)
        .map(|&(_, _, f)| f)
}

pub(crate) const TCP_NODELAY: i32 = 1;
const TCP_MAXSEG: i32 = 2;
const TCP_CORK: i32 = 3;
pub(crate) const TCP_KEEPIDLE: i32 = 4;
pub(crate) const TCP_KEEPINTVL: i32 = 5;
pub(crate) const TCP_KEEPCNT: i32 = 6;
const TCP_SYNCNT: i32 = 7;
const TCP_LINGER2: i32 = 8;
const TCP_DEFER_ACCEPT: i32 = 9;
const TCP_WINDOW_CLAMP: i32 = 10;
pub(crate) const TCP_INFO: i32 = 11;
const TCP_QUICKACK: i32 = 12;
const TCP_CONGESTION: i32 = 13;
const TCP_USER_TIMEOUT: i32 = 18;
const TCP_FASTOPEN: i32 = 23;
const TCP_NOTSENT_LOWAT: i32 = 25;

/// The IP-level and TCP options of one socket.
#[derive(Clone, Debug)]
pub(crate) struct InetOptions {
    pub v6only: bool,
    /// The unicast hop limit of the socket's own family: IP_TTL of an IPv4
    /// socket, IPV6_UNICAST_HOPS of an IPv6 one; None is the default (64).
    pub ttl: Option<u8>,
    /// IP_TTL of an IPv6 socket: the TTL of its IPv4 traffic.
    pub ipv4_ttl: Option<u8>,
    /// IP_TOS: the TOS byte of IPv4 packets.
    pub tos: u8,
    /// IPV6_TCLASS: the traffic class of IPv6 packets.
    pub tclass: u8,
    /// The control messages asked for on receive.
    pub recv: Recv,
    pub nodelay: bool,
    pub keepidle: i32,
    pub keepintvl: i32,
    pub keepcnt: i32,
    pub cork: bool,
    /// Options only read back, by (level, name).
    plain: BTreeMap<(i32, i32), i32>,
}

impl Default for InetOptions {
    fn default() -> Self {
        InetOptions {
            v6only: false,
            ttl: None,
            ipv4_ttl: None,
            tos: 0,
            tclass: 0,
            recv: Recv::empty(),
            nodelay: false,
            keepidle: 7200,
            keepintvl: 75,
            keepcnt: 9,
            cork: false,
            plain: BTreeMap::new(),
        }
    }
}

/// Returns an int option's value from its bytes: EINVAL if shorter than
/// an int (IP options also take a single byte, as Linux's `ip_setsockopt`).
fn int_of(val: &[u8], byte_ok: bool) -> Result<i32> {
    match val.len() {
        n if n >= 4 => Ok(i32::from_ne_bytes([val[0], val[1], val[2], val[3]])),
        n if n >= 1 && byte_ok => Ok(val[0] as i32),
        _ => Err(Errno::EINVAL),
    }
}

/// Returns the bytes of an int option.
fn int(v: i32) -> Vec<u8> {
    as_bytes(&v).to_vec()
}

impl InetOptions {
    /// Sets option `opt` of `level` on a socket of `family`, TCP if `tcp`:
    /// None for a level that is not the Internet families'.
    pub(crate) fn set(
        &mut self,
        family: u16,
        tcp: bool,
        level: i32,
        opt: i32,
        val: &[u8],
    ) -> Option<Result<()>> {
        Some(match level {
            SOL_IP => self.set_ip(family, opt, val),
            SOL_IPV6 if family == AF_INET6 => self.set_ipv6(opt, val),
            SOL_IPV6 => Err(Errno::ENOPROTOOPT),
            SOL_TCP if tcp => self.set_tcp(opt, val),
            SOL_UDP if !tcp => Err(Errno::ENOPROTOOPT),
            SOL_TCP | SOL_UDP => Err(Errno::EOPNOTSUPP),
            _ => return None,
        })
    }

    fn set_ip(&mut self, family: u16, opt: i32, val: &[u8]) -> Result<()> {
        // An empty value is zero (do_ip_setsockopt).
        let v = if val.is_empty() {
            0
        } else {
            int_of(val, true)?
        };
        if let Some(flag) = recv_flag(SOL_IP, opt) {
            self.recv.set(flag, v != 0);
            return Ok(());
        }
        match opt {
            IP_TTL => {
                let ttl = match v {
                    -1 => None,
                    1..=255 => Some(v as u8),
                    _ => return Err(Errno::EINVAL),
                };
                if family == AF_INET {
                    self.ttl = ttl;
                } else {
                    self.ipv4_ttl = ttl;
                }
            }
            IP_TOS => self.tos = v as u8,
            o if IP_PLAIN.contains(&o) => {
                self.plain.insert((SOL_IP, o), v);
            }
            _ => return Err(Errno::ENOPROTOOPT),
        }
        Ok(())
    }

    fn set_ipv6(&mut self, opt: i32, val: &[u8]) -> Result<()> {
        if opt == IPV6_PKTINFO {
            // The sticky source of sends (`struct in6_pktinfo`): taken and
            // not kept, the loopback interface being the only one.
            return if val.len() < IN6_PKTINFO_LEN {
                Err(Errno::EINVAL)
            } else {
                Ok(())
            };
        }
        let v = int_of(val, false)?;
        if let Some(flag) = recv_flag(SOL_IPV6, opt) {
            self.recv.set(flag, v != 0);
            return Ok(());
        }
        match opt {
            IPV6_V6ONLY => self.v6only = v != 0,
            IPV6_UNICAST_HOPS => {
                if !(-1..=255).contains(&v) {
                    return Err(Errno::EINVAL);
                }
                self.ttl = (v >= 0).then_some(v as u8);
            }
            IPV6_TCLASS => {
                if !(-1..=255).contains(&v) {
                    return Err(Errno::EINVAL);
                }
                // RFC 3542 6.5: -1 is the default, a zero traffic class.
                self.tclass = v.max(0) as u8;
            }
            o if IPV6_PLAIN.contains(&o) => {
                self.plain.insert((SOL_IPV6, o), v);
            }
            _ => return Err(Errno::ENOPROTOOPT),
        }
        Ok(())
    }

    fn set_tcp(&mut self, opt: i32, val: &[u8]) -> Result<()> {
        if opt == TCP_CONGESTION {
            let name = val.split(|&b| b == 0).next().unwrap_or(&[]);
            return match name {
                b"cubic" | b"reno" => Ok(()),
                _ => Err(Errno::ENOENT),
            };
        }
        let v = int_of(val, false)?;
        match opt {
            TCP_NODELAY => self.nodelay = v != 0,
            TCP_CORK => self.cork = v != 0,
            TCP_KEEPIDLE | TCP_KEEPINTVL => {
                if !(1..=32767).contains(&v) {
                    return Err(Errno::EINVAL);
                }
                if opt == TCP_KEEPIDLE {
                    self.keepidle = v;
                } else {
                    self.keepintvl = v;
                }
            }
            TCP_KEEPCNT => {
                if !(1..=127).contains(&v) {
                    return Err(Errno::EINVAL);
                }
                self.keepcnt = v;
            }
            TCP_MAXSEG | TCP_SYNCNT | TCP_LINGER2 | TCP_DEFER_ACCEPT | TCP_WINDOW_CLAMP
            | TCP_QUICKACK | TCP_USER_TIMEOUT | TCP_FASTOPEN | TCP_NOTSENT_LOWAT => {
                if v < 0 && opt != TCP_LINGER2 {
                    return Err(Errno::EINVAL);
                }
                self.plain.insert((SOL_TCP, opt), v);
            }
            _ => return Err(Errno::ENOPROTOOPT),
        }
        Ok(())
    }

    /// Returns option `opt` of `level`; None for a level that is not the
    /// Internet families' (TCP_INFO is the socket's own).
    pub(crate) fn get(
        &self,
        family: u16,
        tcp: bool,
        level: i32,
        opt: i32,
    ) -> Option<Result<Vec<u8>>> {
        if let Some(flag) = recv_flag(level, opt) {
            if level == SOL_IP || family == AF_INET6 {
                return Some(Ok(int(self.recv.contains(flag) as i32)));
            }
        }
        Some(match level {
            SOL_IP => match opt {
                IP_TTL if family == AF_INET => {
                    Ok(int(self.ttl.map_or(DEFAULT_TTL.into(), i32::from)))
                }
                IP_TTL => Ok(int(self.ipv4_ttl.map_or(DEFAULT_TTL.into(), i32::from))),
                IP_TOS => Ok(int(self.tos.into())),
                IP_MTU => Err(Errno::ENOTCONN),
                o if IP_PLAIN.contains(&o) => Ok(int(self.plain(SOL_IP, o))),
                _ => Err(Errno::ENOPROTOOPT),
            },
            SOL_IPV6 if family == AF_INET6 => match opt {
                IPV6_V6ONLY => Ok(int(self.v6only as i32)),
                IPV6_UNICAST_HOPS => Ok(int(self.ttl.map_or(DEFAULT_TTL.into(), i32::from))),
                IPV6_TCLASS => Ok(int(self.tclass.into())),
                IPV6_MTU => Err(Errno::ENOTCONN),
                o if IPV6_PLAIN.contains(&o) => Ok(int(self.plain(SOL_IPV6, o))),
                _ => Err(Errno::ENOPROTOOPT),
            },
            SOL_IPV6 => Err(Errno::ENOPROTOOPT),
            SOL_TCP if tcp => match opt {
                TCP_NODELAY => Ok(int(self.nodelay as i32)),
                TCP_CORK => Ok(int(self.cork as i32)),
                TCP_KEEPIDLE => Ok(int(self.keepidle)),
                TCP_KEEPINTVL => Ok(int(self.keepintvl)),
                TCP_KEEPCNT => Ok(int(self.keepcnt)),
                TCP_MAXSEG => Ok(int(match self.plain(SOL_TCP, TCP_MAXSEG) {
                    0 => 536,
                    v => v,
                })),
                TCP_SYNCNT => Ok(int(match self.plain(SOL_TCP, TCP_SYNCNT) {
                    0 => 6,
                    v => v,
                })),
                TCP_LINGER2 => Ok(int(match self.plain(SOL_TCP, TCP_LINGER2) {
                    0 => 60,
                    v => v,
                })),
                TCP_CONGESTION => Ok(b"cubic\0\0\0\0\0\0\0\0\0\0\0".to_vec()),
                TCP_DEFER_ACCEPT | TCP_WINDOW_CLAMP | TCP_QUICKACK | TCP_USER_TIMEOUT
                | TCP_FASTOPEN | TCP_NOTSENT_LOWAT => Ok(int(self.plain(SOL_TCP, opt))),
                _ => Err(Errno::ENOPROTOOPT),
            },
            SOL_UDP if !tcp => Err(Errno::ENOPROTOOPT),
            SOL_TCP | SOL_UDP => Err(Errno::EOPNOTSUPP),
            _ => return None,
        })
    }

    /// Returns the hop limit of a packet from a socket of `family` over
    /// IPv4 (`v4`) or IPv6, without a control message choosing one.
    pub(crate) fn hop_limit(&self, family: u16, v4: bool) -> u8 {
        let ttl = if v4 && family == AF_INET6 {
            self.ipv4_ttl
        } else {
            self.ttl
        };
        ttl.unwrap_or(DEFAULT_TTL)
    }

    /// Returns the TOS byte (over IPv4) or traffic class (over IPv6) of a
    /// packet, without a control message choosing one.
    pub(crate) fn tos(&self, v4: bool) -> u8 {
        if v4 {
            self.tos
        } else {
            self.tclass
        }
    }

    pub(super) fn plain(&self, level: i32, opt: i32) -> i32 {
        self.plain.get(&(level, opt)).copied().unwrap_or(0)
    }

    /// Returns the keep-alive interval smoltcp probes with while
    /// SO_KEEPALIVE is on (TCP_KEEPIDLE).
    pub(crate) fn keepalive(&self, on: bool) -> Option<std::time::Duration> {
        on.then(|| std::time::Duration::from_secs(self.keepidle as u64))
    }
}
