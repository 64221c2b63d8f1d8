//! Socket addresses of the Internet families (ip(7) `struct sockaddr_in`,
//! ipv6(7) `struct sockaddr_in6`): decoding with Linux's length and family
//! rules, encoding for getsockname, getpeername, accept and recvfrom, and
//! the v4-mapped form (`::ffff:a.b.c.d`) an IPv6 socket uses for IPv4 peers.

use super::{AF_INET, AF_INET6};
use crate::net::{sa_family, AF_UNSPEC};
use arch::{Errno, Result};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `sizeof(struct sockaddr_in)`.
pub(crate) const SOCKADDR_IN_LEN: usize = 16;
/// `sizeof(struct sockaddr_in6)`.
pub(crate) const SOCKADDR_IN6_LEN: usize = 28;
/// SIN6_LEN_RFC2133: the shortest `sockaddr_in6` Linux takes (no scope id).
const SIN6_LEN_RFC2133: usize = 24;

/// An address and port (host byte order).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub(crate) struct Endpoint {
    pub addr: IpAddr,
    pub port: u16,
}

impl Endpoint {
    pub(crate) fn new(addr: IpAddr, port: u16) -> Endpoint {
        Endpoint { addr, port }
    }

    /// Returns the endpoint with a v4-mapped IPv6 address as the IPv4 one.
    pub(crate) fn unmapped(self) -> Endpoint {
        Endpoint::new(unmap(self.addr), self.port)
    }

    /// Returns the endpoint as a destination: unmapped, and the wildcard
    /// address meaning this host (Linux routes INADDR_ANY and `::` to the
    /// loopback address).
    pub(crate) fn destination(self) -> Endpoint {
        let addr = match unmap(self.addr) {
            IpAddr::V4(a) if a.is_unspecified() => IpAddr::V4(Ipv4Addr::LOCALHOST),
            IpAddr::V6(a) if a.is_unspecified() => IpAddr::V6(Ipv6Addr::LOCALHOST),
            a => a,
        };
        Endpoint::new(addr, self.port)
    }
}

/// Returns `a` with a v4-mapped IPv6 address as the IPv4 address it maps.
pub(crate) fn unmap(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => a,
        },
        v4 => v4,
    }
}

/// What an address argument decodes to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum SockAddr {
    /// AF_UNSPEC: a datagram socket disconnects.
    Unspec,
    /// An endpoint; IPv4 also when an IPv6 socket was given a v4-mapped one.
    Inet(Endpoint),
}

/// Decodes the address `raw` given to a socket of family `family`: EINVAL
/// when shorter than the family's address, EAFNOSUPPORT for another
/// family. An IPv4 socket also takes AF_UNSPEC (as INADDR_ANY for bind, a
/// disconnect for connect).
pub(crate) fn parse(raw: &[u8], family: u16) -> Result<SockAddr> {
    let fam = sa_family(raw).ok_or(Errno::EINVAL)?;
    if fam == AF_UNSPEC {
        return Ok(SockAddr::Unspec);
    }
    match family {
        AF_INET => {
            if raw.len() < SOCKADDR_IN_LEN {
                return Err(Errno::EINVAL);
            }
            if fam != AF_INET {
                return Err(Errno::EAFNOSUPPORT);
            }
            Ok(SockAddr::Inet(parse_in(raw)))
        }
        _ => {
            if fam == AF_INET && raw.len() >= SOCKADDR_IN_LEN {
                // An IPv6 datagram socket may connect to an IPv4 address.
                return Ok(SockAddr::Inet(parse_in(raw)));
            }
            if raw.len() < SIN6_LEN_RFC2133 {
                return Err(Errno::EINVAL);
            }
            if fam != AF_INET6 {
                return Err(Errno::EAFNOSUPPORT);
            }
            let port = u16::from_be_bytes([raw[2], raw[3]]);
            let mut a = [0u8; 16];
            a.copy_from_slice(&raw[8..24]);
            Ok(SockAddr::Inet(Endpoint::new(
                IpAddr::V6(Ipv6Addr::from(a)),
                port,
            )))
        }
    }
}

/// Decodes a `sockaddr_in` of at least 16 bytes.
fn parse_in(raw: &[u8]) -> Endpoint {
    let port = u16::from_be_bytes([raw[2], raw[3]]);
    let a = Ipv4Addr::new(raw[4], raw[5], raw[6], raw[7]);
    Endpoint::new(IpAddr::V4(a), port)
}

/// Returns whether `raw` names the IPv4 family (for an IPv6 socket, an
/// address that must not be used as is).
pub(crate) fn is_inet4(raw: &[u8]) -> bool {
    sa_family(raw) == Some(AF_INET)
}

/// Encodes `ep` as a socket of family `family` reports it: a `sockaddr_in`,
/// or a `sockaddr_in6` with IPv4 addresses v4-mapped.
pub(crate) fn encode(ep: Endpoint, family: u16) -> Vec<u8> {
    match (family, ep.addr) {
        (AF_INET, addr) => {
            let v4 = match unmap(addr) {
                IpAddr::V4(v4) => v4,
                IpAddr::V6(_) => Ipv4Addr::UNSPECIFIED,
            };
            let mut out = vec![0u8; SOCKADDR_IN_LEN];
            out[..2].copy_from_slice(&AF_INET.to_ne_bytes());
            out[2..4].copy_from_slice(&ep.port.to_be_bytes());
            out[4..8].copy_from_slice(&v4.octets());
            out
        }
        (_, addr) => {
            let v6 = match addr {
                IpAddr::V4(v4) => v4.to_ipv6_mapped(),
                IpAddr::V6(v6) => v6,
            };
            let mut out = vec![0u8; SOCKADDR_IN6_LEN];
            out[..2].copy_from_slice(&AF_INET6.to_ne_bytes());
            out[2..4].copy_from_slice(&ep.port.to_be_bytes());
            out[8..24].copy_from_slice(&v6.octets());
            out
        }
    }
}

/// Returns the wildcard address of `a`'s version.
pub(crate) fn any_of(a: IpAddr) -> IpAddr {
    match a {
        IpAddr::V4(_) => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        IpAddr::V6(_) => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

/// Returns the wildcard address of `family` (INADDR_ANY, in6addr_any).
pub(crate) fn any(family: u16) -> IpAddr {
    match family {
        AF_INET => IpAddr::V4(Ipv4Addr::UNSPECIFIED),
        _ => IpAddr::V6(Ipv6Addr::UNSPECIFIED),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_maps() {
        let ep = Endpoint::new(IpAddr::V4(Ipv4Addr::LOCALHOST), 8080);
        let raw = encode(ep, AF_INET);
        assert_eq!(parse(&raw, AF_INET), Ok(SockAddr::Inet(ep)));
        let raw6 = encode(ep, AF_INET6);
        assert_eq!(raw6.len(), SOCKADDR_IN6_LEN);
        let Ok(SockAddr::Inet(back)) = parse(&raw6, AF_INET6) else {
            panic!("not inet");
        };
        assert_eq!(back.unmapped(), ep);
        assert_eq!(parse(&raw[..8], AF_INET), Err(Errno::EINVAL));
        assert_eq!(parse(&raw6, AF_INET), Err(Errno::EAFNOSUPPORT));
    }
}
