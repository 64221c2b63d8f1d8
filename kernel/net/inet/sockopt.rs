//! The options of Internet sockets at the IP, IPv6 and TCP levels (ip(7),
//! ipv6(7), tcp(7), udp(7)): their values as Linux checks and reports them.
//! The sockets apply those smoltcp can follow (TCP_NODELAY, keep-alive,
//! the hop limit); the others are kept and read back.

use super::{AF_INET6, IPPROTO_TCP};
use arch::abi::pod::as_bytes;
use arch::{Errno, Result};
use std::collections::BTreeMap;

pub(crate) const SOL_IP: i32 = 0;
pub(crate) const SOL_IPV6: i32 = 41;
pub(crate) const SOL_TCP: i32 = IPPROTO_TCP;
pub(crate) const SOL_UDP: i32 = 17;

const IP_TOS: i32 = 1;
const IP_TTL: i32 = 2;
/// IP_HDRINCL, IP_OPTIONS... the int options IPv4 keeps and reports back.
const IP_PLAIN: [i32; 14] = [3, 6, 7, 8, 10, 11, 12, 13, 15, 19, 24, 32, 33, 34];
const IP_MTU: i32 = 14;

const IPV6_UNICAST_HOPS: i32 = 16;
const IPV6_V6ONLY: i32 = 26;
const IPV6_TCLASS: i32 = 67;
/// IPV6_RECVERR, IPV6_RECVPKTINFO, IPV6_MTU_DISCOVER... kept and reported.
const IPV6_PLAIN: [i32; 10] = [17, 18, 19, 23, 25, 49, 51, 62, 66, 80];
const IPV6_MTU: i32 = 24;
const IPV6_PKTINFO: i32 = 50;
/// `sizeof(struct in6_pktinfo)`.
const IN6_PKTINFO_LEN: usize = 20;

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
    /// IP_TTL / IPV6_UNICAST_HOPS; None is the default (64).
    pub ttl: Option<u8>,
    pub tos: i32,
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
            tos: 0,
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
            SOL_IP => self.set_ip(opt, val),
            SOL_IPV6 if family == AF_INET6 => self.set_ipv6(opt, val),
            SOL_IPV6 => Err(Errno::ENOPROTOOPT),
            SOL_TCP if tcp => self.set_tcp(opt, val),
            SOL_UDP if !tcp => Err(Errno::ENOPROTOOPT),
            SOL_TCP | SOL_UDP => Err(Errno::EOPNOTSUPP),
            _ => return None,
        })
    }

    fn set_ip(&mut self, opt: i32, val: &[u8]) -> Result<()> {
        let v = int_of(val, true)?;
        match opt {
            IP_TTL => {
                if v == -1 {
                    self.ttl = None;
                } else if !(1..=255).contains(&v) {
                    return Err(Errno::EINVAL);
                } else {
                    self.ttl = Some(v as u8);
                }
            }
            IP_TOS => self.tos = v & 0xff,
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
                self.tos = v.max(0);
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
        Some(match level {
            SOL_IP => match opt {
                IP_TTL => Ok(int(self.ttl.map_or(64, i32::from))),
                IP_TOS => Ok(int(self.tos)),
                IP_MTU => Err(Errno::ENOTCONN),
                o if IP_PLAIN.contains(&o) => Ok(int(self.plain(SOL_IP, o))),
                _ => Err(Errno::ENOPROTOOPT),
            },
            SOL_IPV6 if family == AF_INET6 => match opt {
                IPV6_V6ONLY => Ok(int(self.v6only as i32)),
                IPV6_UNICAST_HOPS => Ok(int(self.ttl.map_or(64, i32::from))),
                IPV6_TCLASS => Ok(int(self.tos)),
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

    pub(super) fn plain(&self, level: i32, opt: i32) -> i32 {
        self.plain.get(&(level, opt)).copied().unwrap_or(0)
    }

    /// Returns the keep-alive interval smoltcp probes with while
    /// SO_KEEPALIVE is on (TCP_KEEPIDLE).
    pub(crate) fn keepalive(&self, on: bool) -> Option<std::time::Duration> {
        on.then(|| std::time::Duration::from_secs(self.keepidle as u64))
    }
}
