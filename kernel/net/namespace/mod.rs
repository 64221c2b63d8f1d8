//! Network namespaces: `Net` holds every piece of network state — the
//! devices with their addresses, the routing tables, the /proc/sys/net
//! settings, the netlink sockets, the TCP/IP stack — so that each
//! namespace `clone` or `unshare(CLONE_NEWNET)` makes is a network of its
//! own. The first, `init_net()`, holds the cards; a new one holds only `lo`
//! (down, no addresses, as Linux makes it). A task holds its namespace;
//! a socket holds the one it was made in, for its whole life (Linux's
//! `sock_net`), whoever uses it later.
//!
//! Every change of links, addresses or routes goes through a method here:
//! it bumps `generation` (which the inet layer watches to refresh what it
//! caches) and announces itself to the rtnetlink multicast groups
//! (`Event`s, delivered by netlink::notify after the state is released).
//! The state is one `KernelCell`; no method holds its borrow across a call
//! out (drivers, netlink delivery). Adding and deleting addresses is
//! `addr`; registering devices and changing their flags, MTU, queue length,
//! name and address is `link`.

mod addr;
mod addrconf;
mod link;
pub(crate) use addrconf::Prefix;

use super::device::{ifa_f, scope, DeviceKind, Ifaddr4, Ifaddr6, NetDevice, NetDriver};
use super::route::{self, rtn, Route};
use super::sysctl::Sysctls;
use arch::sync::{KernelCell, KernelRef, KernelRefMut};
use arch::{Errno, Result};
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

/// Who asked for a change: the netlink port and sequence number of the
/// request (both 0 for the kernel or an ioctl), which notifications carry.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Origin {
    pub portid: u32,
    pub seq: u32,
}

/// A change announced to rtnetlink listeners.
#[derive(Clone)]
pub(crate) enum Event {
    /// RTM_NEWLINK (or RTM_DELLINK when `new` is false) of this device.
    Link { dev: Box<NetDevice>, new: bool },
    Addr4 {
        ifindex: i32,
        addr: Ifaddr4,
        new: bool,
        origin: Origin,
    },
    Addr6 {
        ifindex: i32,
        addr: Ifaddr6,
        new: bool,
        origin: Origin,
    },
    Route {
        route: Route,
        new: bool,
        origin: Origin,
    },
}

/// The state of a namespace that the kernel lock guards.
#[derive(Default)]
pub(crate) struct NetState {
    /// The devices, in ifindex order.
    pub devices: Vec<NetDevice>,
    pub routes: Vec<Route>,
    /// When the routes routers gave expire (`ip -6 route`'s "expires").
    route_expires: Vec<(Route, std::time::Instant)>,
    next_ifindex: i32,
}

impl NetState {
    /// Returns the device `ifindex`.
    pub(crate) fn dev(&self, ifindex: i32) -> Option<&NetDevice> {
        self.devices.iter().find(|d| d.ifindex == ifindex)
    }

    fn dev_mut(&mut self, ifindex: i32) -> Result<&mut NetDevice> {
        self.devices
            .iter_mut()
            .find(|d| d.ifindex == ifindex)
            .ok_or(Errno::ENODEV)
    }

    /// Returns the device named `name`.
    pub(crate) fn dev_by_name(&self, name: &[u8]) -> Option<&NetDevice> {
        self.devices.iter().find(|d| d.name == name)
    }

    /// Adds `r` unless an equal route is there; records the event.
    fn add_route(&mut self, r: Route, ev: &mut Vec<Event>, origin: Origin) {
        if !self.routes.contains(&r) {
            self.routes.push(r.clone());
            ev.push(Event::Route {
                route: r,
                new: true,
                origin,
            });
        }
    }

    /// Returns when route `r` expires, if a router gave it a lifetime.
    pub(crate) fn route_expires(&self, r: &Route) -> Option<std::time::Instant> {
        self.route_expires
            .iter()
            .find(|(o, _)| o == r)
            .map(|&(_, t)| t)
    }

    /// Removes the routes `f` selects; records the events.
    fn remove_routes(&mut self, f: impl Fn(&Route) -> bool, ev: &mut Vec<Event>, origin: Origin) {
        let (gone, kept): (Vec<Route>, Vec<Route>) =
            std::mem::take(&mut self.routes).into_iter().partition(f);
        self.routes = kept;
        self.route_expires.retain(|(r, _)| !gone.contains(r));
        ev.extend(gone.into_iter().map(|route| Event::Route {
            route,
            new: false,
            origin,
        }));
    }

    /// Adds the kernel routes of every address of device `ifindex` (up).
    fn add_kernel_routes(&mut self, ifindex: i32, ev: &mut Vec<Event>) {
        let Some(dev) = self.dev(ifindex) else { return };
        let mut new: Vec<Route> = Vec::new();
        for a in &dev.addrs4 {
            new.extend(route::kernel_routes4(dev, a));
        }
        for a in &dev.addrs6 {
            new.extend(route::kernel_routes6(dev, a));
        }
        for r in new {
            self.add_route(r, ev, Origin::default());
        }
    }
}

/// A network namespace.
pub(crate) struct Net {
    generation: AtomicU64,
    state: KernelCell<NetState>,
    /// The settings of /proc/sys/net.
    pub(crate) sysctl: Sysctls,
    /// The protocol counters (/proc/net/snmp...).
    pub(crate) mib: super::mib::Mib,
    /// The netlink sockets of the namespace.
    pub(crate) netlink: super::netlink::Table,
    /// The TCP/IP stack (`Net::with_stack`).
    pub(crate) stack: KernelCell<super::inet::Stack>,
    /// The namespace's inode number (/proc/PID/ns/net).
    pub(crate) inum: u32,
}

/// clone(2)'s flag for a new network namespace.
pub(crate) const CLONE_NEWNET: u64 = 0x4000_0000;

/// Linux's `PROC_NET_INIT_INO`, and where the numbers of new namespaces
/// start (a range of their own beside the other kinds').
const INIT_INO: u32 = 0xEFFF_FFF9;
static NEXT_INO: AtomicU32 = AtomicU32::new(0xF200_0000);

/// Returns the initial network namespace, the one with the cards.
pub(crate) fn init_net() -> &'static Arc<Net> {
    static INIT: OnceLock<Arc<Net>> = OnceLock::new();
    INIT.get_or_init(|| Net::with_inum(INIT_INO))
}

/// Returns the network namespace of the task this thread runs (the
/// initial one for kernel threads).
pub(crate) fn current() -> Arc<Net> {
    crate::task::current().map_or_else(|| init_net().clone(), |t| t.net.borrow().clone())
}

/// Where a packet goes (`Net::nexthop`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum NextHop {
    /// To this host.
    Local,
    /// To every host of a link (a subnet's broadcast address).
    Broadcast { oif: i32 },
    /// Out of `oif` to the neighbour `via`.
    Via { oif: i32, via: IpAddr },
}

/// Returns hundredths of a second since boot (address cacheinfo stamps).
pub(crate) fn stamp() -> u32 {
    (crate::boot::uptime().as_millis() / 10) as u32
}

impl Net {
    /// Creates a new network namespace: `lo` alone, down.
    pub(crate) fn new() -> Arc<Net> {
        Net::with_inum(NEXT_INO.fetch_add(1, Ordering::Relaxed))
    }

    fn with_inum(inum: u32) -> Arc<Net> {
        let mut st = NetState {
            next_ifindex: 2,
            ..NetState::default()
        };
        st.devices
            .push(NetDevice::new(1, b"lo", DeviceKind::Loopback, [0; 6]));
        Arc::new_cyclic(|net| Net {
            generation: AtomicU64::new(1),
            state: KernelCell::new(st),
            sysctl: Sysctls::default(),
            mib: super::mib::Mib::default(),
            netlink: super::netlink::Table::default(),
            stack: KernelCell::new(super::inet::Stack::new(net.clone())),
            inum,
        })
    }

    /// Returns a counter bumped on every change of links, addresses or routes.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Relaxed)
    }

    /// Borrows the state for reading (under the kernel lock; not across a sleep).
    pub(crate) fn state(&self) -> KernelRef<'_, NetState> {
        self.state.borrow()
    }

    fn state_mut(&self) -> KernelRefMut<'_, NetState> {
        self.state.borrow_mut()
    }

    /// Bumps the generation and announces `events`.
    fn changed(&self, events: Vec<Event>) {
        self.generation.fetch_add(1, Ordering::Relaxed);
        super::netlink::notify(self, events);
    }

    /// Returns every address, with its prefix and device, of the devices that are up.
    pub(crate) fn local_addrs(&self) -> Vec<(IpAddr, u8, i32)> {
        let st = self.state();
        let mut out = Vec::new();
        for d in st.devices.iter().filter(|d| d.is_up()) {
            out.extend(
                d.addrs4
                    .iter()
                    .map(|a| (IpAddr::V4(a.local), a.prefix, d.ifindex)),
            );
            // Tentative addresses are not this host's yet.
            out.extend(
                d.addrs6
                    .iter()
                    .filter(|a| a.usable())
                    .map(|a| (IpAddr::V6(a.addr), a.prefix, d.ifindex)),
            );
        }
        out
    }

    /// Returns whether device `ifindex` exists and is up.
    pub(crate) fn is_up(&self, ifindex: i32) -> bool {
        self.state().dev(ifindex).is_some_and(NetDevice::is_up)
    }

    /// Returns the index of the device named `name`.
    pub(crate) fn ifindex_by_name(&self, name: &[u8]) -> Option<i32> {
        self.state().dev_by_name(name).map(|d| d.ifindex)
    }

    /// Returns the name of device `ifindex`.
    pub(crate) fn name_by_ifindex(&self, ifindex: i32) -> Option<Vec<u8>> {
        self.state().dev(ifindex).map(|d| d.name.clone())
    }

    /// Returns the MTU of device `ifindex`.
    pub(crate) fn mtu(&self, ifindex: i32) -> Option<u32> {
        self.state().dev(ifindex).map(|d| d.mtu)
    }

    /// Returns the transmit side of device `ifindex`.
    #[expect(
        dead_code,
        reason = "the inet layer's API (issue 12), called once it lands"
    )]
    pub(crate) fn driver(&self, ifindex: i32) -> Option<Arc<dyn NetDriver>> {
        self.state().dev(ifindex).and_then(|d| d.driver.clone())
    }

    /// Sets the transmit side of device `ifindex` (the inet layer does it for `lo`).
    #[expect(
        dead_code,
        reason = "the inet layer's API (issue 12), called once it lands"
    )]
    pub(crate) fn set_driver(&self, ifindex: i32, driver: Arc<dyn NetDriver>) -> Result<()> {
        self.state_mut().dev_mut(ifindex)?.driver = Some(driver);
        Ok(())
    }

    /// Counts `packets` packets of `bytes` bytes in all sent by device `ifindex`.
    pub(crate) fn count_tx(&self, ifindex: i32, packets: u64, bytes: u64) {
        if let Ok(d) = self.state_mut().dev_mut(ifindex) {
            d.stats.tx_packets += packets;
            d.stats.tx_bytes += bytes;
        }
    }

    /// Counts `packets` packets of `bytes` bytes in all received by device `ifindex`.
    pub(crate) fn count_rx(&self, ifindex: i32, packets: u64, bytes: u64) {
        if let Ok(d) = self.state_mut().dev_mut(ifindex) {
            d.stats.rx_packets += packets;
            d.stats.rx_bytes += bytes;
        }
    }

    /// Counts `n` packets device `ifindex` dropped on receive (`rx`) or transmit.
    pub(crate) fn count_drop(&self, ifindex: i32, rx: bool, n: u64) {
        if let Ok(d) = self.state_mut().dev_mut(ifindex) {
            if rx {
                d.stats.rx_dropped += n;
            } else {
                d.stats.tx_dropped += n;
            }
        }
    }

    /// Returns the output device and preferred source address for `dst`
    /// (None: no route, ENETUNREACH). A local destination goes out of `lo`.
    pub(crate) fn route(&self, dst: IpAddr) -> Option<(i32, IpAddr)> {
        let st = self.state();
        let r = route::lookup(&st.routes, dst)?;
        let oif = if r.kind == rtn::LOCAL {
            st.devices
                .iter()
                .find(|d| d.kind == DeviceKind::Loopback)
                .map_or(r.oif, |d| d.ifindex)
        } else {
            r.oif
        };
        let src = match (r.prefsrc, dst) {
            (Some(s), _) => s,
            (None, IpAddr::V6(d)) if r.kind == rtn::LOCAL => IpAddr::V6(d),
            (None, IpAddr::V6(d)) => {
                let dev = st.dev(r.oif)?;
                let up = st.devices.iter().filter(|d| d.is_up());
                let usable = |a: &&Ifaddr6| a.usable();
                let src =
                    route::select_src6(dev.addrs6.iter().filter(usable), &d).or_else(|| {
                        route::select_src6(up.flat_map(|d| d.addrs6.iter()).filter(usable), &d)
                    })?;
                IpAddr::V6(src)
            }
            (None, IpAddr::V4(_)) => {
                let gw = r.gateway.unwrap_or(dst);
                IpAddr::V4(select_src4(&st, r.oif, gw)?)
            }
        };
        Some((oif, src))
    }

    /// Returns where a packet to `dst` goes (Linux's FIB lookup for
    /// output): to this host, or out of a device to a next hop (the
    /// gateway, or `dst` itself on the link); None without a route.
    pub(crate) fn nexthop(&self, dst: IpAddr) -> Option<NextHop> {
        let st = self.state();
        let r = route::lookup(&st.routes, dst)?;
        Some(match r.kind {
            rtn::LOCAL => NextHop::Local,
            rtn::BROADCAST => NextHop::Broadcast { oif: r.oif },
            _ => NextHop::Via {
                oif: r.oif,
                via: r.gateway.unwrap_or(dst),
            },
        })
    }

    /// Returns the devices' names and indexes, in index order.
    pub(crate) fn devices(&self) -> Vec<(i32, Vec<u8>)> {
        let st = self.state();
        st.devices
            .iter()
            .map(|d| (d.ifindex, d.name.clone()))
            .collect()
    }

    /// Returns a copy of device `ifindex`.
    pub(crate) fn device(&self, ifindex: i32) -> Option<NetDevice> {
        self.state().dev(ifindex).cloned()
    }

    /// Adds route `r`: EEXIST if one with its key is there and `excl`;
    /// replaced if `replace`; ENOENT if absent and not `create`; ENODEV
    /// for a device that does not exist.
    pub(crate) fn add_route(
        &self,
        r: Route,
        create: bool,
        excl: bool,
        replace: bool,
        origin: Origin,
    ) -> Result<()> {
        let mut ev = Vec::new();
        {
            let mut st = self.state_mut();
            if r.oif != 0 && st.dev(r.oif).is_none() {
                return Err(Errno::ENODEV);
            }
            match st.routes.iter().position(|o| o.same_key(&r)) {
                Some(_) if excl => return Err(Errno::EEXIST),
                Some(i) if replace => {
                    let old = std::mem::replace(&mut st.routes[i], r.clone());
                    ev.push(Event::Route {
                        route: old,
                        new: false,
                        origin,
                    });
                    ev.push(Event::Route {
                        route: r,
                        new: true,
                        origin,
                    });
                }
                Some(_) if !create => return Err(Errno::EEXIST),
                Some(_) => {
                    if st.routes.contains(&r) {
                        return Err(Errno::EEXIST);
                    }
                    st.add_route(r, &mut ev, origin);
                }
                None if !create => return Err(Errno::ENOENT),
                None => st.add_route(r, &mut ev, origin),
            }
        }
        self.changed(ev);
        Ok(())
    }

    /// Removes the first route `matches` selects (ESRCH if none).
    pub(crate) fn del_route(&self, matches: impl Fn(&Route) -> bool, origin: Origin) -> Result<()> {
        let mut ev = Vec::new();
        {
            let mut st = self.state_mut();
            let i = st.routes.iter().position(matches).ok_or(Errno::ESRCH)?;
            let r = st.routes.remove(i);
            ev.push(Event::Route {
                route: r,
                new: false,
                origin,
            });
        }
        self.changed(ev);
        Ok(())
    }

    /// Returns `(low, high)` of net.ipv4.ip_local_port_range.
    pub(crate) fn ip_local_port_range(&self) -> (u16, u16) {
        match self.sysctl.get("ipv4/ip_local_port_range")[..] {
            [lo, hi] => (lo as u16, hi as u16),
            _ => (32768, 60999),
        }
    }

    /// Returns `(low, high)` of net.ipv4.ping_group_range: the groups that
    /// may make ping sockets (none when low > high).
    pub(crate) fn ping_group_range(&self) -> (u32, u32) {
        match self.sysctl.get("ipv4/ping_group_range")[..] {
            [lo, hi] => (lo as u32, hi as u32),
            _ => (1, 0),
        }
    }
}

/// Returns the address of the /64 `prefix` with the interface identifier
/// of the MAC `mac` (RFC 4291 appendix A: the EUI-64 identifier, its
/// universal/local bit flipped).
pub(crate) fn with_interface_id(prefix: Ipv6Addr, mac: [u8; 6]) -> Ipv6Addr {
    let mut a = prefix.octets();
    let m = mac;
    a[8..].copy_from_slice(&[m[0] ^ 0x02, m[1], m[2], 0xff, 0xfe, m[3], m[4], m[5]]);
    Ipv6Addr::from(a)
}

/// Returns the IPv4 source for a packet to `dst` out of `oif` (Linux's
/// `inet_select_addr`): a primary address of the device whose subnet holds
/// `dst`, else its first primary of global-enough scope, else any device's.
fn select_src4(st: &NetState, oif: i32, dst: IpAddr) -> Option<Ipv4Addr> {
    let IpAddr::V4(dst) = dst else { return None };
    let primary = |a: &&Ifaddr4| a.flags & ifa_f::SECONDARY == 0;
    if let Some(d) = st.dev(oif) {
        let in_net = d.addrs4.iter().filter(primary).find(|a| {
            let m = u32::from(a.mask());
            u32::from(a.local) & m == u32::from(dst) & m
        });
        let wanted = if dst.is_loopback() {
            scope::HOST
        } else {
            scope::LINK
        };
        let any = d.addrs4.iter().filter(primary).find(|a| a.scope <= wanted);
        if let Some(a) = in_net.or(any) {
            return Some(a.local);
        }
    }
    st.devices
        .iter()
        .filter(|d| d.is_up())
        .flat_map(|d| d.addrs4.iter())
        .filter(primary)
        .find(|a| a.scope < scope::HOST)
        .map(|a| a.local)
}
