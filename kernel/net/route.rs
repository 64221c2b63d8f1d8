//! Routing tables (Linux's FIB, `ip route`): IPv4 and IPv6 routes in the
//! main and local tables, the routes the kernel makes for the addresses of
//! devices that are up (`kernel_routes4`, `kernel_routes6`, as Linux's
//! `fib_add_ifaddr` and addrconf do), and the lookup every outgoing packet
//! makes: the local table first, then main (Linux's default rules), the
//! longest prefix, then the lowest metric.

use super::device::{scope, Ifaddr4, Ifaddr6, NetDevice};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `RT_TABLE_*`.
pub(crate) const RT_TABLE_MAIN: u32 = 254;
pub(crate) const RT_TABLE_LOCAL: u32 = 255;

/// `RTPROT_*`: who made a route.
pub(crate) const RTPROT_KERNEL: u8 = 2;

/// `RTN_*`: route types.
pub(crate) mod rtn {
    pub(crate) const UNSPEC: u8 = 0;
    pub(crate) const UNICAST: u8 = 1;
    pub(crate) const LOCAL: u8 = 2;
    pub(crate) const BROADCAST: u8 = 3;
    pub(crate) const ANYCAST: u8 = 4;
    pub(crate) const MULTICAST: u8 = 5;
    pub(crate) const BLACKHOLE: u8 = 6;
    pub(crate) const UNREACHABLE: u8 = 7;
    pub(crate) const PROHIBIT: u8 = 8;
    pub(crate) const THROW: u8 = 9;
    /// One past the largest type (`__RTN_MAX - 1` is RTN_XRESOLVE, 11).
    pub(crate) const MAX: u8 = 11;
}

/// The metric IPv6 prefix routes get (`IP6_RT_PRIO_ADDRCONF`) and user
/// routes without one (`IP6_RT_PRIO_USER`).
pub(crate) const IP6_RT_PRIO: u32 = 256;
pub(crate) const IP6_RT_PRIO_USER: u32 = 1024;

/// A route.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Route {
    /// The destination prefix (its family is the route's).
    pub dst: IpAddr,
    pub dst_len: u8,
    pub tos: u8,
    pub table: u32,
    pub protocol: u8,
    pub scope: u8,
    pub kind: u8,
    pub gateway: Option<IpAddr>,
    /// The output device.
    pub oif: i32,
    pub prefsrc: Option<IpAddr>,
    /// The metric (RTA_PRIORITY).
    pub priority: u32,
}

impl Route {
    /// Returns whether the route is IPv6.
    pub(crate) fn is_v6(&self) -> bool {
        self.dst.is_ipv6()
    }

    /// Returns whether `a` (of the route's family) is inside the route's prefix.
    pub(crate) fn covers(&self, a: IpAddr) -> bool {
        match (self.dst, a) {
            (IpAddr::V4(d), IpAddr::V4(a)) => {
                let m = u32::from(super::device::mask4(self.dst_len));
                u32::from(d) & m == u32::from(a) & m
            }
            (IpAddr::V6(d), IpAddr::V6(a)) => {
                let m = u128::from(super::device::mask6(self.dst_len));
                u128::from(d) & m == u128::from(a) & m
            }
            _ => false,
        }
    }

    /// Returns whether two routes are the same entry of a table (Linux's
    /// key: table, prefix, TOS and metric; IPv6 also the next hop).
    pub(crate) fn same_key(&self, o: &Route) -> bool {
        self.table == o.table
            && self.dst == o.dst
            && self.dst_len == o.dst_len
            && self.tos == o.tos
            && self.priority == o.priority
            && (!self.is_v6() || (self.gateway == o.gateway && self.oif == o.oif))
    }

    /// Returns whether a route can carry packets out (not local, broadcast,
    /// or a reject type).
    fn delivers(&self) -> bool {
        matches!(self.kind, rtn::UNICAST | rtn::LOCAL | rtn::BROADCAST)
    }
}

/// Returns the routes the kernel makes for the IPv4 address `a` of `dev`
/// while `dev` is up: the local route of the address, the prefix route
/// (local for a loopback device) and the broadcast routes.
pub(crate) fn kernel_routes4(dev: &NetDevice, a: &Ifaddr4) -> Vec<Route> {
    let local = IpAddr::V4(a.local);
    let base = Route {
        dst: local,
        dst_len: 32,
        tos: 0,
        table: RT_TABLE_LOCAL,
        protocol: RTPROT_KERNEL,
        scope: scope::HOST,
        kind: rtn::LOCAL,
        gateway: None,
        oif: dev.ifindex,
        prefsrc: Some(local),
        priority: 0,
    };
    let mut out = vec![base.clone()];
    let loopback = dev.kind == super::device::DeviceKind::Loopback;
    if let Some(b) = a.broadcast {
        if b != Ipv4Addr::BROADCAST {
            out.push(Route {
                dst: IpAddr::V4(b),
                scope: scope::LINK,
                kind: rtn::BROADCAST,
                ..base.clone()
            });
        }
    }
    let net = a.network();
    if a.flags & super::device::ifa_f::SECONDARY == 0
        && !net.is_unspecified()
        && (a.prefix < 32 || net != a.local)
    {
        if a.flags & super::device::ifa_f::NOPREFIXROUTE == 0 {
            let (table, scope, kind) = if loopback {
                (RT_TABLE_LOCAL, scope::HOST, rtn::LOCAL)
            } else {
                (RT_TABLE_MAIN, scope::LINK, rtn::UNICAST)
            };
            out.push(Route {
                dst: IpAddr::V4(net),
                dst_len: a.prefix,
                table,
                scope,
                kind,
                ..base.clone()
            });
        }
        if a.prefix < 31 {
            let bcast = Ipv4Addr::from(u32::from(net) | !u32::from(a.mask()));
            out.push(Route {
                dst: IpAddr::V4(bcast),
                scope: scope::LINK,
                kind: rtn::BROADCAST,
                ..base
            });
        }
    }
    out.dedup();
    out
}

/// Returns the routes the kernel makes for the IPv6 address `a` of `dev`:
/// its local route (once it is not tentative) and, below /128, its prefix
/// route.
pub(crate) fn kernel_routes6(dev: &NetDevice, a: &Ifaddr6) -> Vec<Route> {
    let base = Route {
        dst: IpAddr::V6(a.addr),
        dst_len: 128,
        tos: 0,
        table: RT_TABLE_LOCAL,
        protocol: RTPROT_KERNEL,
        scope: scope::UNIVERSE,
        kind: rtn::LOCAL,
        gateway: None,
        oif: dev.ifindex,
        prefsrc: None,
        priority: 0,
    };
    let mut out = Vec::new();
    if a.usable() {
        out.push(base.clone());
    }
    if a.prefix < 128 && a.flags & super::device::ifa_f::NOPREFIXROUTE == 0 {
        out.push(Route {
            dst: IpAddr::V6(a.network()),
            dst_len: a.prefix,
            table: RT_TABLE_MAIN,
            kind: rtn::UNICAST,
            priority: IP6_RT_PRIO,
            ..base
        });
    }
    out
}

/// Returns the best route to `dst` among `routes`: the local table first,
/// then main; the longest prefix, then the lowest metric.
pub(crate) fn lookup(routes: &[Route], dst: IpAddr) -> Option<&Route> {
    for table in [RT_TABLE_LOCAL, RT_TABLE_MAIN] {
        let best = routes
            .iter()
            .filter(|r| r.table == table && r.covers(dst))
            .min_by_key(|r| (std::cmp::Reverse(r.dst_len), r.priority));
        if let Some(r) = best {
            return r.delivers().then_some(r);
        }
    }
    None
}

/// Returns the IPv6 source address for `dst` among `addrs` (a simplified
/// RFC 6724: an address of the same scope, the longest common prefix).
pub(crate) fn select_src6<'a>(
    addrs: impl Iterator<Item = &'a Ifaddr6>,
    dst: &Ipv6Addr,
) -> Option<Ipv6Addr> {
    let want = super::device::scope6(dst);
    addrs
        .max_by_key(|a| {
            let common = (u128::from(a.addr) ^ u128::from(*dst)).leading_zeros();
            (a.scope == want, a.scope <= want, common)
        })
        .map(|a| a.addr)
}

/// Returns `scope` for an IPv6 route: always universe.
pub(crate) fn scope_of(r: &Route) -> u8 {
    if r.is_v6() {
        scope::UNIVERSE
    } else {
        r.scope
    }
}
