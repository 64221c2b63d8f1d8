//! AF_NETLINK sockets (netlink(7)) with the NETLINK_ROUTE protocol
//! (rtnetlink(7)), NETLINK_SOCK_DIAG (sock_diag(7), in kernel/net/diag,
//! which answers through `rtnl::process_with`) and NETLINK_KOBJECT_UEVENT
//! (`uevent`: the kernel's device events and udev's own multicasts). `socket` is the socket itself (addresses, queue,
//! options, dumps handed out a buffer at a time); `rtnl` and its handlers
//! (`link`, `addr`, `route`) are the protocol as plain logic over `msg`,
//! the wire format. This module holds the per-namespace `Table` of netlink
//! sockets (port ids, multicast membership) and `notify`, which turns the
//! namespace's change `Event`s into rtnetlink messages for the groups.
//!
//! Other netlink protocols are EPROTONOSUPPORT for now. What systemd and
//! friends will ask for next: NETLINK_AUDIT (systemd-journald opens it and
//! copes without), NETLINK_GENERIC (networkd, wireguard).

mod addr;
mod link;
pub(crate) mod msg;
mod ops;
mod route;
pub(crate) mod rtnl;
mod socket;
#[cfg(test)]
mod tests;
pub(crate) mod uevent;

pub(crate) use ops::create;
pub(crate) use socket::{DiagView, NetlinkSocket, Sender};

use super::namespace::{Event, Net, Origin};
use super::Ucred;
use arch::sync::KernelCell;
use rtnl::rtm;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::{Arc, Weak};

/// `AF_NETLINK`, and `SOL_NETLINK`, the level of its socket options.
pub(crate) const AF_NETLINK: u16 = 16;
pub(crate) const SOL_NETLINK: i32 = 270;
/// The protocols here: `NETLINK_ROUTE`, `NETLINK_SOCK_DIAG` and
/// `NETLINK_KOBJECT_UEVENT`; `MAX_LINKS` bounds the numbers.
pub(crate) const NETLINK_ROUTE: i32 = 0;
pub(crate) const NETLINK_SOCK_DIAG: i32 = 4;
pub(crate) const NETLINK_KOBJECT_UEVENT: i32 = 15;
pub(crate) const MAX_LINKS: i32 = 32;

/// `RTNLGRP_*`: the rtnetlink multicast groups notifications go to.
pub(crate) mod group {
    pub(crate) const LINK: u32 = 1;
    pub(crate) const IPV4_IFADDR: u32 = 5;
    pub(crate) const IPV4_ROUTE: u32 = 7;
    pub(crate) const IPV6_IFADDR: u32 = 9;
    pub(crate) const IPV6_ROUTE: u32 = 11;
    /// How many groups NETLINK_ROUTE has (`RTNLGRP_MAX`).
    pub(crate) const MAX: u32 = 39;

    /// Returns how many groups `protocol` has: sock_diag's four
    /// (`SKNLGRP_MAX`) and uevent's one are rounded up to 32, as
    /// `netlink_kernel_create` does.
    pub(crate) fn max(protocol: i32) -> u32 {
        if protocol == super::NETLINK_ROUTE {
            MAX
        } else {
            32
        }
    }
}

/// The netlink sockets of a namespace.
#[derive(Default)]
pub(crate) struct Table {
    sockets: KernelCell<Vec<Weak<NetlinkSocket>>>,
    /// The next id an autobind tries when the process id is taken.
    rover: AtomicI32,
}

impl Table {
    /// Adds a new socket.
    fn add(&self, s: &Arc<NetlinkSocket>) {
        let mut v = self.sockets.borrow_mut();
        v.retain(|w| w.strong_count() > 0);
        v.push(Arc::downgrade(s));
    }

    /// Returns every live socket.
    pub(crate) fn all(&self) -> Vec<Arc<NetlinkSocket>> {
        self.sockets
            .borrow()
            .iter()
            .filter_map(Weak::upgrade)
            .collect()
    }

    /// Returns the bound socket of `protocol` with port id `portid`.
    fn find(&self, protocol: i32, portid: u32) -> Option<Arc<NetlinkSocket>> {
        self.all()
            .into_iter()
            .find(|s| s.protocol() == protocol && s.bound_port() == Some(portid))
    }

    /// Returns a free port id for an autobind by process `pid` (Linux's
    /// `netlink_autobind`): the process id, else a unique negative one.
    fn free_port(&self, protocol: i32, pid: i32) -> u32 {
        if pid > 0 && self.find(protocol, pid as u32).is_none() {
            return pid as u32;
        }
        loop {
            let mut r = self.rover.load(Ordering::Relaxed);
            if r > -4096 || r == i32::MIN {
                r = -4096;
            }
            self.rover.store(r - 1, Ordering::Relaxed);
            if self.find(protocol, r as u32).is_none() {
                return r as u32;
            }
        }
    }

    /// Delivers `data` from the kernel to the members of `group`, except
    /// port `exclude` (Linux's `netlink_broadcast`).
    fn broadcast(&self, protocol: i32, group: u32, data: &[u8], exclude: u32) {
        for s in self.all() {
            if s.protocol() == protocol
                && s.is_member(group)
                && s.bound_port().is_none_or(|p| p != exclude || p == 0)
            {
                s.deliver(data.to_vec(), 0, group);
            }
        }
    }

    /// Delivers `data` that socket `from` (port, credentials) sends to
    /// `group` to the group's other members, except port `exclude`.
    fn multicast(
        &self,
        protocol: i32,
        group: u32,
        data: &[u8],
        exclude: u32,
        from: (&NetlinkSocket, u32, Ucred),
    ) {
        let (sender, portid, creds) = from;
        for s in self.all() {
            if s.protocol() == protocol
                && s.is_member(group)
                && !std::ptr::eq(Arc::as_ptr(&s), sender)
                && s.bound_port().is_none_or(|p| p != exclude || p == 0)
            {
                s.deliver_from(data.to_vec(), portid, group, creds);
            }
        }
    }
}

/// Returns the rtnetlink message and group of one event.
fn event_message(net: &Net, e: &Event) -> (Vec<u8>, u32, Origin) {
    match e {
        Event::Link { dev, new } => {
            let ty = if *new { rtm::NEWLINK } else { rtm::DELLINK };
            (
                link::encode(dev, ty, 0, 0, 0),
                group::LINK,
                Origin::default(),
            )
        }
        Event::Addr4 {
            ifindex,
            addr,
            new,
            origin,
        } => {
            let ty = if *new { rtm::NEWADDR } else { rtm::DELADDR };
            let m = addr::encode4(*ifindex, addr, ty, origin.seq, origin.portid);
            (m, group::IPV4_IFADDR, *origin)
        }
        Event::Addr6 {
            ifindex,
            addr,
            new,
            origin,
        } => {
            let ty = if *new { rtm::NEWADDR } else { rtm::DELADDR };
            let m = addr::encode6(*ifindex, addr, ty, origin.seq, origin.portid);
            (m, group::IPV6_IFADDR, *origin)
        }
        Event::Route {
            route: r,
            new,
            origin,
        } => {
            let ty = if *new { rtm::NEWROUTE } else { rtm::DELROUTE };
            let g = if r.is_v6() {
                group::IPV6_ROUTE
            } else {
                group::IPV4_ROUTE
            };
            let expires = net.state().route_expires(r);
            (
                route::encode(r, expires, ty, origin.seq, origin.portid),
                g,
                *origin,
            )
        }
    }
}

/// Announces `events` to the rtnetlink multicast groups of `net`, and to
/// the requester too when its request asked for an echo (NLM_F_ECHO).
pub(crate) fn notify(net: &Net, events: Vec<Event>) {
    for e in &events {
        let (m, group, origin) = event_message(net, e);
        let echo = (origin.portid != 0)
            .then(|| net.netlink.find(NETLINK_ROUTE, origin.portid))
            .flatten()
            .filter(|s| s.echo_pending());
        let exclude = if echo.is_some() { origin.portid } else { 0 };
        net.netlink.broadcast(NETLINK_ROUTE, group, &m, exclude);
        if let Some(s) = echo {
            s.deliver(m, 0, 0);
        }
    }
}

/// Returns the netlink sockets of the initial network namespace.
fn init_net_table() -> &'static Table {
    &crate::net::init_net().netlink
}
