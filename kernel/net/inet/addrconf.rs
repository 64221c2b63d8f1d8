//! IPv6 stateless address autoconfiguration on the cards (RFC 4862, RFC
//! 4861 router discovery; Linux's net/ipv6/addrconf.c and ndisc.c), with
//! Linux's defaults (accept_dad 1, dad_transmits 1, retrans_time 1 s,
//! accept_ra 1, autoconf 1, router_solicitations 3 every 4 s):
//!
//! - An address added to a card is tentative while duplicate address
//!   detection runs: one probe, then a second's wait. Another host probing
//!   for or claiming it in that time makes it a duplicate (it stays
//!   tentative, marked failed); else it becomes the host's.
//! - Once a card's link-local address is the host's, the card solicits
//!   routers. An advertisement's router becomes a default route (proto ra)
//!   for its lifetime; an on-link prefix a route; an autonomous /64 prefix
//!   an address of the card's interface identifier (itself checked for
//!   duplicates), which lives as long as the router says.

use super::ether::{NdEvent, Neighbours};
use crate::net::namespace::Prefix;
use crate::net::route::Route;
use crate::net::Net;
use std::collections::{BTreeMap, BTreeSet};
use std::net::Ipv6Addr;
use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

/// How long duplicate address detection waits after its probe.
const DAD_TIME: Duration = Duration::from_secs(1);
/// How many router solicitations a card sends, and how far apart.
const RTR_SOLICITS: u8 = 3;
const RTR_SOLICIT_INTERVAL: Duration = Duration::from_secs(4);
/// Router advertisement options: prefix information.
const OPT_PREFIX_INFO: u8 = 3;

/// The state of autoconfiguration on the cards.
pub(super) struct Addrconf {
    /// The namespace whose cards these are.
    net: Weak<Net>,
    /// Tentative addresses being checked, and when their check ends.
    dad: BTreeMap<(i32, Ipv6Addr), Instant>,
    /// Cards soliciting routers: solicitations left, when the next goes.
    solicit: BTreeMap<i32, (u8, Instant)>,
    /// Routes routers advertised, and when they expire.
    routes: Vec<(Route, Instant)>,
    /// When an autoconfigured address's lifetime next ends.
    lifetimes: Option<Instant>,
}

/// Returns whether `a` is a link-local unicast address (fe80::/10).
fn is_link_local(a: Ipv6Addr) -> bool {
    a.segments()[0] & 0xffc0 == 0xfe80
}

/// Returns the big-endian u32 at `at` of `m`.
fn be32(m: &[u8], at: usize) -> u32 {
    u32::from_be_bytes([m[at], m[at + 1], m[at + 2], m[at + 3]])
}

impl Addrconf {
    /// Creates the autoconfiguration of namespace `net`: nothing yet.
    pub(super) fn new(net: Weak<Net>) -> Addrconf {
        Addrconf {
            net,
            dad: BTreeMap::new(),
            solicit: BTreeMap::new(),
            routes: Vec::new(),
            lifetimes: None,
        }
    }

    /// Returns the namespace whose cards these are.
    fn net(&self) -> Arc<Net> {
        super::stack::owner(&self.net)
    }

    /// Follows the namespace after a change: probes the tentative
    /// addresses not yet checked, and forgets what concerned addresses
    /// and cards that are gone.
    pub(super) fn sync(&mut self, neigh: &mut Neighbours, now: Instant) {
        let net = self.net();
        let tentative = net.tentative6();
        self.dad.retain(|k, _| tentative.contains(k));
        for k in tentative {
            if let std::collections::btree_map::Entry::Vacant(e) = self.dad.entry(k) {
                neigh.dad_probe(k.0, k.1);
                e.insert(now + DAD_TIME);
            }
        }
        let up: BTreeSet<i32> = net
            .devices()
            .iter()
            .map(|&(i, _)| i)
            .filter(|&i| net.is_up(i))
            .collect();
        self.solicit.retain(|i, _| up.contains(i));
        self.routes.retain(|(r, _)| up.contains(&r.oif));
    }

    /// Does what is due at `now`: ends the checks whose time is up (a card
    /// whose link-local address passed starts soliciting routers), sends
    /// the solicitations due, and removes what routers gave whose lifetime
    /// is over.
    pub(super) fn tick(&mut self, neigh: &mut Neighbours, now: Instant) {
        let net = self.net();
        let done: Vec<(i32, Ipv6Addr)> = self
            .dad
            .iter()
            .filter(|&(_, &t)| t <= now)
            .map(|(&k, _)| k)
            .collect();
        for (ifindex, addr) in done {
            self.dad.remove(&(ifindex, addr));
            net.dad_done(ifindex, addr, true);
            if is_link_local(addr) {
                self.solicit.insert(ifindex, (RTR_SOLICITS, now));
            }
        }
        for (&ifindex, (left, at)) in self.solicit.iter_mut() {
            if *at <= now {
                neigh.router_solicit(ifindex);
                *left -= 1;
                *at = now + RTR_SOLICIT_INTERVAL;
            }
        }
        self.solicit.retain(|_, (left, _)| *left > 0);
        let (over, kept): (Vec<_>, Vec<_>) = std::mem::take(&mut self.routes)
            .into_iter()
            .partition(|&(_, t)| t <= now);
        self.routes = kept;
        for (r, _) in over {
            net.ra_route_expired(r);
        }
        if self.lifetimes.is_some_and(|t| t <= now) {
            self.lifetimes = net.expire6(now);
        }
    }

    /// Returns when something is next due.
    pub(super) fn next(&self) -> Option<Instant> {
        let dad = self.dad.values().copied();
        let solicit = self.solicit.values().map(|&(_, t)| t);
        let routes = self.routes.iter().map(|&(_, t)| t);
        dad.chain(solicit).chain(routes).chain(self.lifetimes).min()
    }

    /// Takes what neighbour discovery received.
    pub(super) fn nd_event(&mut self, ev: NdEvent, now: Instant) {
        match ev {
            NdEvent::Claimed { ifindex, target } => {
                if self.dad.remove(&(ifindex, target)).is_some() {
                    self.net().dad_done(ifindex, target, false);
                }
            }
            NdEvent::RouterAdvert { ifindex, src, msg } => {
                self.router_advert(ifindex, src, &msg, now)
            }
        }
    }

    /// Takes a router advertisement `m` (the ICMPv6 message, at least its
    /// 16-byte header) from `src` on card `ifindex` (Linux's
    /// ndisc_router_discovery).
    fn router_advert(&mut self, ifindex: i32, src: Ipv6Addr, m: &[u8], now: Instant) {
        let net = self.net();
        let Some(mac) = net.device(ifindex).map(|d| d.hwaddr) else {
            return;
        };
        self.solicit.remove(&ifindex);
        let lifetime = u16::from_be_bytes([m[6], m[7]]);
        let r = net.ra_router(ifindex, src, lifetime);
        self.expire_at(
            r,
            (lifetime > 0).then(|| now + Duration::from_secs(u64::from(lifetime))),
        );
        let mut opts = &m[16..];
        while opts.len() >= 8 && opts[1] != 0 {
            let len = usize::from(opts[1]) * 8;
            if opts.len() < len {
                break;
            }
            if opts[0] == OPT_PREFIX_INFO && len == 32 {
                let o = &opts[..32];
                let prefix = Prefix {
                    len: o[2],
                    on_link: o[3] & 0x80 != 0,
                    autonomous: o[3] & 0x40 != 0,
                    valid: be32(o, 4),
                    preferred: be32(o, 8),
                    prefix: Ipv6Addr::from(<[u8; 16]>::try_from(&o[16..32]).unwrap_or([0; 16])),
                };
                if prefix.len <= 128 {
                    if let Some((r, until)) = net.ra_prefix(ifindex, mac, prefix) {
                        self.expire_at(r, until);
                    }
                    self.lifetimes = net.expire6(now);
                }
            }
            opts = &opts[len..];
        }
    }

    /// Remembers that the route `r` routers gave expires at `until`
    /// (None: never, or it was removed).
    fn expire_at(&mut self, r: Route, until: Option<Instant>) {
        self.routes.retain(|(o, _)| *o != r);
        if let Some(t) = until {
            self.routes.push((r, t));
        }
    }
}
