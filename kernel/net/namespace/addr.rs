//! Addresses of a namespace's devices: adding and deleting IPv4 and IPv6
//! addresses (rtnetlink's RTM_NEWADDR/RTM_DELADDR, SIOCSIFADDR), with the
//! kernel routes and the notifications each change brings, as Linux's
//! devinet.c and addrconf.c do.

use super::{stamp, Event, Net, Origin};
use crate::net::device::{ifa_f, DeviceKind, Ifaddr4, Ifaddr6};
use crate::net::route::{self, Route};
use arch::{Errno, Result};
use std::net::{IpAddr, Ipv6Addr};

impl Net {
    /// Adds the IPv4 address `a` to `ifindex`; `replace` allows an equal
    /// one to be updated (NLM_F_REPLACE), else EEXIST. A second address in
    /// the subnet of another becomes secondary.
    pub(crate) fn add_addr4(
        &self,
        ifindex: i32,
        mut a: Ifaddr4,
        replace: bool,
        origin: Origin,
    ) -> Result<()> {
        let mut ev = Vec::new();
        {
            let mut st = self.state_mut();
            let d = st.dev_mut(ifindex)?;
            if a.label.is_empty() {
                a.label = d.name.clone();
            }
            a.flags &= !ifa_f::SECONDARY;
            if let Some(old) = d
                .addrs4
                .iter_mut()
                .find(|o| o.local == a.local && o.prefix == a.prefix && o.address == a.address)
            {
                if !replace {
                    return Err(Errno::EEXIST);
                }
                let keep = old.flags & ifa_f::SECONDARY;
                old.flags = a.flags | keep;
                old.scope = a.scope;
                old.broadcast = a.broadcast;
                old.label = a.label;
                let snap = old.clone();
                ev.push(Event::Addr4 {
                    ifindex,
                    addr: snap,
                    new: true,
                    origin,
                });
            } else {
                if d.addrs4
                    .iter()
                    .any(|o| o.prefix == a.prefix && o.network() == a.network())
                {
                    a.flags |= ifa_f::SECONDARY;
                }
                a.cstamp = stamp();
                // Primary addresses come before secondary ones.
                let at = if a.flags & ifa_f::SECONDARY != 0 {
                    d.addrs4.len()
                } else {
                    d.addrs4
                        .iter()
                        .position(|o| o.flags & ifa_f::SECONDARY != 0)
                        .unwrap_or(d.addrs4.len())
                };
                d.addrs4.insert(at, a.clone());
                let up = d.is_up();
                let routes = route::kernel_routes4(d, &a);
                ev.push(Event::Addr4 {
                    ifindex,
                    addr: a,
                    new: true,
                    origin,
                });
                if up {
                    for r in routes {
                        st.add_route(r, &mut ev, origin);
                    }
                }
            }
        }
        self.changed(ev);
        Ok(())
    }

    /// Removes the IPv4 address of `ifindex` that `matches` selects first
    /// (EADDRNOTAVAIL if none), with the kernel routes it made.
    pub(crate) fn del_addr4(
        &self,
        ifindex: i32,
        matches: impl Fn(&Ifaddr4) -> bool,
        origin: Origin,
    ) -> Result<()> {
        let mut ev = Vec::new();
        {
            let mut st = self.state_mut();
            let d = st.dev_mut(ifindex)?;
            let i = d
                .addrs4
                .iter()
                .position(matches)
                .ok_or(Errno::EADDRNOTAVAIL)?;
            let a = d.addrs4.remove(i);
            // A secondary of the same subnet is promoted (Linux's
            // promote_secondaries is off by default: they go too).
            let gone: Vec<Ifaddr4> = if a.flags & ifa_f::SECONDARY == 0 {
                let (g, k): (Vec<_>, Vec<_>) = std::mem::take(&mut d.addrs4)
                    .into_iter()
                    .partition(|o| o.prefix == a.prefix && o.network() == a.network());
                d.addrs4 = k;
                g
            } else {
                Vec::new()
            };
            let remaining: Vec<Ifaddr4> = d.addrs4.clone();
            for x in gone.iter().chain(std::iter::once(&a)) {
                ev.push(Event::Addr4 {
                    ifindex,
                    addr: x.clone(),
                    new: false,
                    origin,
                });
            }
            let srcs: Vec<IpAddr> = gone
                .iter()
                .chain(std::iter::once(&a))
                .map(|x| IpAddr::V4(x.local))
                .collect();
            let still: Vec<Route> = match st.dev(ifindex) {
                Some(d) => remaining
                    .iter()
                    .flat_map(|x| route::kernel_routes4(d, x))
                    .collect(),
                None => Vec::new(),
            };
            st.remove_routes(
                |r| {
                    r.protocol == route::RTPROT_KERNEL
                        && r.oif == ifindex
                        && r.prefsrc.is_some_and(|s| srcs.contains(&s))
                        && !still.contains(r)
                },
                &mut ev,
                origin,
            );
        }
        self.changed(ev);
        Ok(())
    }

    /// Adds the IPv6 address `a` to `ifindex` (EEXIST if there, unless
    /// `replace`); the device must be up, as Linux's addrconf requires
    /// (ENETDOWN is not what it says: it accepts and keeps it, so do we).
    pub(crate) fn add_addr6(
        &self,
        ifindex: i32,
        mut a: Ifaddr6,
        replace: bool,
        origin: Origin,
    ) -> Result<()> {
        let mut ev = Vec::new();
        {
            let mut st = self.state_mut();
            let d = st.dev_mut(ifindex)?;
            // A card's address is tentative until duplicate address
            // detection is done (lo's never are; `nodad` skips it).
            let dad = d.kind == DeviceKind::Ether && a.flags & ifa_f::NODAD == 0;
            if let Some(old) = d.addrs6.iter_mut().find(|o| o.addr == a.addr) {
                if !replace {
                    return Err(Errno::EEXIST);
                }
                let keep = old.flags & (ifa_f::TENTATIVE | ifa_f::DADFAILED);
                old.flags = a.flags | keep;
                old.prefix = a.prefix;
                old.preferred_until = a.preferred_until;
                old.valid_until = a.valid_until;
                let snap = old.clone();
                ev.push(Event::Addr6 {
                    ifindex,
                    addr: snap,
                    new: true,
                    origin,
                });
            } else {
                a.cstamp = stamp();
                if dad {
                    a.flags |= ifa_f::TENTATIVE;
                }
                // Linux lists the newest first.
                d.addrs6.insert(0, a.clone());
                let up = d.is_up();
                let routes = route::kernel_routes6(d, &a);
                ev.push(Event::Addr6 {
                    ifindex,
                    addr: a,
                    new: true,
                    origin,
                });
                if up {
                    for r in routes {
                        st.add_route(r, &mut ev, origin);
                    }
                }
            }
        }
        self.changed(ev);
        Ok(())
    }

    /// Removes the IPv6 address `addr` (with prefix `prefix`, if given)
    /// of `ifindex` (EADDRNOTAVAIL if absent) and its kernel routes.
    pub(crate) fn del_addr6(
        &self,
        ifindex: i32,
        addr: Ipv6Addr,
        prefix: Option<u8>,
        origin: Origin,
    ) -> Result<()> {
        let mut ev = Vec::new();
        {
            let mut st = self.state_mut();
            let d = st.dev_mut(ifindex)?;
            let i = d
                .addrs6
                .iter()
                .position(|o| o.addr == addr && prefix.is_none_or(|p| p == o.prefix))
                .ok_or(Errno::EADDRNOTAVAIL)?;
            let a = d.addrs6.remove(i);
            let mine = route::kernel_routes6(d, &a);
            let still: Vec<Route> = d
                .addrs6
                .iter()
                .flat_map(|x| route::kernel_routes6(d, x))
                .collect();
            ev.push(Event::Addr6 {
                ifindex,
                addr: a,
                new: false,
                origin,
            });
            st.remove_routes(|r| mine.contains(r) && !still.contains(r), &mut ev, origin);
        }
        self.changed(ev);
        Ok(())
    }
}
