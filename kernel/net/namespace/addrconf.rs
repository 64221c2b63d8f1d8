//! IPv6 address autoconfiguration's side of the namespace (Linux's
//! net/ipv6/addrconf.c, RFC 4862): the end of duplicate address detection
//! for a tentative address, the default routes and prefixes routers
//! advertise, and the lifetimes of what they configured. The stack runs
//! the protocol (inet/addrconf.rs) and tells the namespace here.

use super::{stamp, with_interface_id, Event, Net, NetState, Origin};
use crate::net::device::{ifa_f, scope, DeviceKind, Ifaddr6};
use crate::net::route::{self, rtn, Route, IP6_RT_PRIO, IP6_RT_PRIO_USER, RT_TABLE_MAIN};
use std::net::{IpAddr, Ipv6Addr};
use std::time::{Duration, Instant};

/// `RTPROT_RA`: a route a router advertisement made.
pub(crate) const RTPROT_RA: u8 = 9;
/// RFC 4862 5.5.3 e): a prefix advertised again may not cut an address's
/// valid lifetime below two hours.
const TWO_HOURS: Duration = Duration::from_secs(7200);

/// A Prefix Information option of a router advertisement (RFC 4861 4.6.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Prefix {
    pub prefix: Ipv6Addr,
    pub len: u8,
    /// On-link (L): the prefix is reached on the link.
    pub on_link: bool,
    /// Autonomous (A): hosts make an address in it.
    pub autonomous: bool,
    /// Lifetimes in seconds (0xffffffff: forever).
    pub valid: u32,
    pub preferred: u32,
}

/// Returns when `secs` from `now` is (None: forever).
fn after(now: Instant, secs: u32) -> Option<Instant> {
    (secs != u32::MAX).then(|| now + Duration::from_secs(u64::from(secs)))
}

/// Returns the route to `dst`/`len` out of `oif` via `gateway` made by
/// `protocol` with `priority`.
fn route6(
    dst: Ipv6Addr,
    len: u8,
    oif: i32,
    gateway: Option<Ipv6Addr>,
    protocol: u8,
    priority: u32,
) -> Route {
    Route {
        dst: IpAddr::V6(dst),
        dst_len: len,
        tos: 0,
        table: RT_TABLE_MAIN,
        protocol,
        scope: scope::UNIVERSE,
        kind: rtn::UNICAST,
        gateway: gateway.map(IpAddr::V6),
        oif,
        prefsrc: None,
        priority,
    }
}

/// Records when route `r` expires (None: never).
fn set_expiry(st: &mut NetState, r: Route, until: Option<Instant>) {
    st.route_expires.retain(|(o, _)| *o != r);
    if let Some(t) = until {
        st.route_expires.push((r, t));
    }
}

/// Announces the new or changed IPv6 address `a` of `ifindex` and adds
/// the kernel routes it has now.
fn announce6(st: &mut NetState, ifindex: i32, a: Ifaddr6, ev: &mut Vec<Event>) {
    let routes = st
        .dev(ifindex)
        .map(|d| route::kernel_routes6(d, &a))
        .unwrap_or_default();
    ev.push(Event::Addr6 {
        ifindex,
        addr: a,
        new: true,
        origin: Origin::default(),
    });
    for r in routes {
        st.add_route(r, ev, Origin::default());
    }
}

impl Net {
    /// Returns the tentative addresses of the cards that are up, whose
    /// duplicate address detection has not failed.
    pub(crate) fn tentative6(&self) -> Vec<(i32, Ipv6Addr)> {
        let st = self.state();
        st.devices
            .iter()
            .filter(|d| d.kind == DeviceKind::Ether && d.is_up())
            .flat_map(|d| {
                d.addrs6
                    .iter()
                    .filter(|a| a.flags & (ifa_f::TENTATIVE | ifa_f::DADFAILED) == ifa_f::TENTATIVE)
                    .map(move |a| (d.ifindex, a.addr))
            })
            .collect()
    }

    /// Ends duplicate address detection of `addr` on `ifindex`: the
    /// address is this host's (`unique`), or stays tentative and is marked
    /// failed (Linux's addrconf_dad_failure, which keeps it so).
    pub(crate) fn dad_done(&self, ifindex: i32, addr: Ipv6Addr, unique: bool) {
        let mut ev = Vec::new();
        {
            let mut st = self.state_mut();
            let Ok(d) = st.dev_mut(ifindex) else { return };
            let Some(a) = d.addrs6.iter_mut().find(|a| a.addr == addr) else {
                return;
            };
            if a.flags & ifa_f::TENTATIVE == 0 {
                return;
            }
            if unique {
                a.flags &= !ifa_f::TENTATIVE;
            } else {
                a.flags |= ifa_f::DADFAILED;
                let name = String::from_utf8_lossy(&d.name);
                log::warn!("{name}: IPv6 address {addr} is a duplicate, in use on the link");
            }
            // Its local route comes once it is the host's.
            let a = a.clone();
            announce6(&mut st, ifindex, a, &mut ev);
        }
        self.changed(ev);
    }

    /// Takes the default router `gw` a router advertisement on `ifindex`
    /// names with `lifetime` seconds: its route (proto ra) is added, or
    /// removed for a lifetime of 0.
    pub(crate) fn ra_router(&self, ifindex: i32, gw: Ipv6Addr, lifetime: u16) -> Route {
        let r = route6(
            Ipv6Addr::UNSPECIFIED,
            0,
            ifindex,
            Some(gw),
            RTPROT_RA,
            IP6_RT_PRIO_USER,
        );
        let until = Instant::now() + Duration::from_secs(u64::from(lifetime));
        self.set_ra_route(r.clone(), (lifetime > 0).then_some(until));
        r
    }

    /// Adds the route `r` a router advertised, expiring at `until`, or
    /// removes it (None).
    fn set_ra_route(&self, r: Route, until: Option<Instant>) {
        let mut ev = Vec::new();
        {
            let mut st = self.state_mut();
            match until {
                Some(t) => {
                    st.add_route(r.clone(), &mut ev, Origin::default());
                    set_expiry(&mut st, r, Some(t));
                }
                None => st.remove_routes(|o| *o == r, &mut ev, Origin::default()),
            }
        }
        if !ev.is_empty() {
            self.changed(ev);
        }
    }

    /// Takes a prefix a router advertisement on `ifindex` (a card of MAC
    /// `mac`) carries (Linux's addrconf_prefix_rcv): an on-link prefix
    /// gets its route, an autonomous /64 an address of the card's
    /// interface identifier, tentative, with the advertised lifetimes, or
    /// new lifetimes for the address made before. Returns the on-link
    /// route made and when it expires, for the caller to remove then.
    pub(crate) fn ra_prefix(
        &self,
        ifindex: i32,
        mac: [u8; 6],
        p: Prefix,
    ) -> Option<(Route, Option<Instant>)> {
        let now = Instant::now();
        let net =
            Ipv6Addr::from(u128::from(p.prefix) & u128::from(crate::net::device::mask6(p.len)));
        if p.preferred > p.valid || net.segments()[0] & 0xffc0 == 0xfe80 {
            return None;
        }
        let mut ev = Vec::new();
        let mut made = None;
        {
            let mut st = self.state_mut();
            if p.on_link && p.valid > 0 {
                let r = route6(net, p.len, ifindex, None, route::RTPROT_KERNEL, IP6_RT_PRIO);
                st.add_route(r.clone(), &mut ev, Origin::default());
                set_expiry(&mut st, r.clone(), after(now, p.valid));
                made = Some((r, after(now, p.valid)));
            }
            let Ok(d) = st.dev_mut(ifindex) else {
                return made;
            };
            if p.autonomous && p.len == 64 {
                let addr = with_interface_id(net, mac);
                let valid = after(now, p.valid);
                let preferred = after(now, p.preferred);
                if let Some(a) = d.addrs6.iter_mut().find(|a| a.addr == addr) {
                    // RFC 4862 5.5.3 e): the two-hour rule.
                    let left = a.valid_until.map(|t| t.saturating_duration_since(now));
                    a.valid_until = match (valid, left) {
                        (None, _) => None,
                        (Some(v), Some(l)) if v - now <= TWO_HOURS && l <= TWO_HOURS => {
                            a.valid_until
                        }
                        (Some(v), Some(_)) if v - now <= TWO_HOURS => Some(now + TWO_HOURS),
                        (Some(v), _) => Some(v),
                    };
                    a.preferred_until = preferred;
                    a.flags &= !ifa_f::DEPRECATED;
                    ev.push(Event::Addr6 {
                        ifindex,
                        addr: a.clone(),
                        new: true,
                        origin: Origin::default(),
                    });
                } else if p.valid > 0 {
                    let a = Ifaddr6 {
                        addr,
                        prefix: 64,
                        scope: scope::UNIVERSE,
                        flags: ifa_f::TENTATIVE,
                        cstamp: stamp(),
                        preferred_until: preferred,
                        valid_until: valid,
                    };
                    d.addrs6.insert(0, a.clone());
                    announce6(&mut st, ifindex, a, &mut ev);
                }
            }
        }
        self.changed(ev);
        made
    }

    /// Removes the route `r` a router advertised, its lifetime over.
    pub(crate) fn ra_route_expired(&self, r: Route) {
        self.set_ra_route(r, None);
    }

    /// Deprecates the IPv6 addresses whose preferred lifetime is over and
    /// removes those whose valid lifetime is; returns when the next
    /// lifetime ends.
    pub(crate) fn expire6(&self, now: Instant) -> Option<Instant> {
        let mut gone = Vec::new();
        let mut ev = Vec::new();
        let mut next: Option<Instant> = None;
        {
            let mut st = self.state_mut();
            for d in st.devices.iter_mut() {
                for a in d.addrs6.iter_mut() {
                    if a.valid_until.is_some_and(|t| t <= now) {
                        gone.push((d.ifindex, a.addr));
                        continue;
                    }
                    if a.preferred_until.is_some_and(|t| t <= now)
                        && a.flags & ifa_f::DEPRECATED == 0
                    {
                        a.flags |= ifa_f::DEPRECATED;
                        ev.push(Event::Addr6 {
                            ifindex: d.ifindex,
                            addr: a.clone(),
                            new: true,
                            origin: Origin::default(),
                        });
                    }
                    let ends = [a.valid_until, a.preferred_until.filter(|&t| t > now)];
                    for t in ends.into_iter().flatten() {
                        next = Some(next.map_or(t, |n| n.min(t)));
                    }
                }
            }
        }
        if !ev.is_empty() {
            self.changed(ev);
        }
        for (ifindex, addr) in gone {
            let _ = self.del_addr6(ifindex, addr, None, Origin::default());
        }
        next
    }
}
