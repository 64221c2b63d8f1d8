//! Network devices (netdevice(7)): what a `NetDevice` is as Linux reports it
//! through rtnetlink, the `SIOC*` ioctls, /proc/net/dev and /sys/class/net —
//! its index and name, `IFF_*` flags, MTU, hardware and broadcast addresses,
//! ARPHRD type, transmit queue length, operational state, counters, and the
//! IPv4 and IPv6 addresses it holds. Devices live in their network namespace
//! (`Net`, namespace.rs), which changes them; a device's transmit side is a
//! `NetDriver` that the device's kind provides (the inet layer for `lo`, a
//! TAP driver for an Ethernet device).

use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

/// `IFNAMSIZ`: a device name and its NUL.
pub(crate) const IFNAMSIZ: usize = 16;

/// The `IFF_*` flags of netdevice(7), as `SIOCGIFFLAGS` and `ifi_flags` carry them.
pub(crate) mod iff {
    pub(crate) const UP: u32 = 0x1;
    pub(crate) const BROADCAST: u32 = 0x2;
    pub(crate) const DEBUG: u32 = 0x4;
    pub(crate) const LOOPBACK: u32 = 0x8;
    pub(crate) const NOTRAILERS: u32 = 0x20;
    pub(crate) const RUNNING: u32 = 0x40;
    pub(crate) const NOARP: u32 = 0x80;
    pub(crate) const PROMISC: u32 = 0x100;
    pub(crate) const ALLMULTI: u32 = 0x200;
    pub(crate) const MULTICAST: u32 = 0x1000;
    pub(crate) const PORTSEL: u32 = 0x2000;
    pub(crate) const AUTOMEDIA: u32 = 0x4000;
    pub(crate) const DYNAMIC: u32 = 0x8000;
    pub(crate) const LOWER_UP: u32 = 0x10000;
    /// The flags a user may change (Linux's `__dev_change_flags`); PROMISC
    /// and ALLMULTI are counted there, and kept as set here.
    pub(crate) const CHANGEABLE: u32 = UP
        | DEBUG
        | NOTRAILERS
        | NOARP
        | DYNAMIC
        | MULTICAST
        | PORTSEL
        | AUTOMEDIA
        | PROMISC
        | ALLMULTI;
}

/// `ARPHRD_ETHER`, `ARPHRD_LOOPBACK`: the link types of if_arp.h.
pub(crate) const ARPHRD_ETHER: u16 = 1;
pub(crate) const ARPHRD_LOOPBACK: u16 = 772;

/// RFC 2863 operational states (`IF_OPER_*`, IFLA_OPERSTATE, sysfs operstate).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OperState {
    Unknown = 0,
    Down = 2,
    Up = 6,
}

impl OperState {
    /// Returns the word /sys/class/net/DEV/operstate shows.
    pub(crate) fn name(self) -> &'static str {
        match self {
            OperState::Unknown => "unknown",
            OperState::Down => "down",
            OperState::Up => "up",
        }
    }
}

/// What kind of device this is: decides its link type, default flags and
/// what bringing it up does.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum DeviceKind {
    /// `lo`: up, it gets 127.0.0.1/8 and ::1, and its carrier is always on.
    Loopback,
    /// An Ethernet device (a TAP-backed NIC).
    Ether,
}

/// What a frame sent leaves to the card (Linux's `CHECKSUM_PARTIAL` and
/// GSO state of an skb).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Offload {
    /// The transport checksum is the card's to fill in: it covers the frame
    /// from `.0` on and goes at `.0 + .1`; the field holds the sum of the
    /// pseudo-header.
    pub csum: Option<(u16, u16)>,
    /// A TCP segment past the MTU, for the card to cut (TSO).
    pub gso: Option<Gso>,
}

/// How a card cuts a large TCP segment (`skb_shared_info`'s GSO fields).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Gso {
    /// Over IPv6 (else IPv4).
    pub v6: bool,
    /// The payload of each segment cut.
    pub size: u16,
    /// The headers repeated in each: Ethernet, IP and TCP.
    pub hdr_len: u16,
}

/// What is known of a received frame's transport checksum (Linux's
/// `skb->ip_summed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IpSummed {
    /// Nothing: the stack verifies it.
    None,
    /// The card (the host) verified it.
    Unnecessary,
    /// It was never computed (the sender left it to a card); the frame did
    /// not cross a wire.
    Partial,
}

/// A frame a card received.
pub(crate) struct RxFrame {
    pub frame: Vec<u8>,
    pub ip_summed: IpSummed,
}

/// The transmit side of a device, provided by its kind: the inet layer
/// for `lo`, a driver for a NIC. Called under the kernel lock.
pub(crate) trait NetDriver: Send + Sync {
    /// Sends one frame (an Ethernet frame of a NIC), with what it leaves to
    /// the card (only what `offloads` says the card does).
    fn transmit(&self, frame: Vec<u8>, offload: Offload) -> arch::Result<()>;
    /// Returns whether the card fills in checksums and cuts TCP segments
    /// past its MTU (`NETIF_F_HW_CSUM` and `NETIF_F_TSO`).
    fn offloads(&self) -> bool {
        false
    }
    /// Learns that the device was brought up (true) or down.
    fn set_up(&self, _up: bool) {}
    /// Returns whether the link has carrier (IFF_LOWER_UP).
    fn carrier(&self) -> bool {
        true
    }
}

/// A device's counters (`struct rtnl_link_stats64`, in its order).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Stats {
    pub rx_packets: u64,
    pub tx_packets: u64,
    pub rx_bytes: u64,
    pub tx_bytes: u64,
    pub rx_errors: u64,
    pub tx_errors: u64,
    pub rx_dropped: u64,
    pub tx_dropped: u64,
    pub multicast: u64,
}

impl Stats {
    /// Returns the 25 counters of `rtnl_link_stats64` (the ones not kept are 0).
    pub(crate) fn as_array(&self) -> [u64; 25] {
        let mut a = [0u64; 25];
        a[..9].copy_from_slice(&[
            self.rx_packets,
            self.tx_packets,
            self.rx_bytes,
            self.tx_bytes,
            self.rx_errors,
            self.tx_errors,
            self.rx_dropped,
            self.tx_dropped,
            self.multicast,
        ]);
        a
    }
}

/// `IFA_F_*`: address flags.
pub(crate) mod ifa_f {
    pub(crate) const SECONDARY: u32 = 0x01;
    pub(crate) const NODAD: u32 = 0x02;
    pub(crate) const DADFAILED: u32 = 0x08;
    pub(crate) const DEPRECATED: u32 = 0x20;
    pub(crate) const TENTATIVE: u32 = 0x40;
    pub(crate) const PERMANENT: u32 = 0x80;
    pub(crate) const NOPREFIXROUTE: u32 = 0x200;
}

/// Address and route scopes (`RT_SCOPE_*`).
pub(crate) mod scope {
    pub(crate) const UNIVERSE: u8 = 0;
    pub(crate) const LINK: u8 = 253;
    pub(crate) const HOST: u8 = 254;
    pub(crate) const NOWHERE: u8 = 255;
}

/// An IPv4 address of a device (Linux's `struct in_ifaddr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ifaddr4 {
    /// IFA_LOCAL: the address itself.
    pub local: Ipv4Addr,
    /// IFA_ADDRESS: the peer of a point-to-point link, else `local`.
    pub address: Ipv4Addr,
    pub prefix: u8,
    /// IFA_BROADCAST, if any.
    pub broadcast: Option<Ipv4Addr>,
    /// IFA_LABEL: the device name, or `name:alias`.
    pub label: Vec<u8>,
    pub scope: u8,
    pub flags: u32,
    /// When it was added, in hundredths of a second since boot (cacheinfo).
    pub cstamp: u32,
}

impl Ifaddr4 {
    /// Returns the netmask of the prefix.
    pub(crate) fn mask(&self) -> Ipv4Addr {
        mask4(self.prefix)
    }

    /// Returns the network the address is in.
    pub(crate) fn network(&self) -> Ipv4Addr {
        Ipv4Addr::from(u32::from(self.address) & u32::from(self.mask()))
    }
}

/// An IPv6 address of a device (Linux's `struct inet6_ifaddr`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Ifaddr6 {
    pub addr: Ipv6Addr,
    pub prefix: u8,
    pub scope: u8,
    pub flags: u32,
    pub cstamp: u32,
    /// When it stops being preferred, then valid (None: forever); an
    /// address autoconfigured from a router's advertisement has both.
    pub preferred_until: Option<std::time::Instant>,
    pub valid_until: Option<std::time::Instant>,
}

impl Ifaddr6 {
    /// Returns whether the address may be used: not tentative (in
    /// duplicate address detection, or found a duplicate).
    pub(crate) fn usable(&self) -> bool {
        self.flags & (ifa_f::TENTATIVE | ifa_f::DADFAILED) == 0
    }

    /// Returns the prefix the address is in.
    pub(crate) fn network(&self) -> Ipv6Addr {
        Ipv6Addr::from(u128::from(self.addr) & u128::from(mask6(self.prefix)))
    }
}

/// Returns the IPv4 netmask of `prefix` bits.
pub(crate) fn mask4(prefix: u8) -> Ipv4Addr {
    match prefix {
        0 => Ipv4Addr::UNSPECIFIED,
        p => Ipv4Addr::from(u32::MAX << (32 - u32::from(p.min(32)))),
    }
}

/// Returns the IPv6 mask of `prefix` bits.
pub(crate) fn mask6(prefix: u8) -> Ipv6Addr {
    match prefix {
        0 => Ipv6Addr::UNSPECIFIED,
        p => Ipv6Addr::from(u128::MAX << (128 - u32::from(p.min(128)))),
    }
}

/// Returns the scope Linux gives an IPv6 address (`ipv6_addr_scope` as
/// `RT_SCOPE_*`): host for ::1, link for fe80::/10, global otherwise.
pub(crate) fn scope6(a: &Ipv6Addr) -> u8 {
    if a.is_loopback() {
        scope::HOST
    } else if a.segments()[0] & 0xffc0 == 0xfe80 {
        scope::LINK
    } else {
        scope::UNIVERSE
    }
}

/// A network device.
#[derive(Clone)]
pub(crate) struct NetDevice {
    pub ifindex: i32,
    pub name: Vec<u8>,
    pub kind: DeviceKind,
    /// The flags a user set (`dev->flags`); RUNNING and LOWER_UP are
    /// derived (`flags()`).
    pub user_flags: u32,
    pub mtu: u32,
    pub min_mtu: u32,
    pub max_mtu: u32,
    pub hwaddr: [u8; 6],
    pub broadcast: [u8; 6],
    pub txqlen: u32,
    pub stats: Stats,
    pub addrs4: Vec<Ifaddr4>,
    pub addrs6: Vec<Ifaddr6>,
    pub driver: Option<Arc<dyn NetDriver>>,
    /// IFLA_CARRIER_CHANGES.
    pub carrier_changes: u32,
}

impl NetDevice {
    /// Creates a device of `kind`, down, with no addresses.
    pub(crate) fn new(ifindex: i32, name: &[u8], kind: DeviceKind, hwaddr: [u8; 6]) -> NetDevice {
        let (user_flags, mtu, min_mtu, max_mtu, broadcast) = match kind {
            DeviceKind::Loopback => (iff::LOOPBACK, 65536, 0, 0, [0; 6]),
            DeviceKind::Ether => (iff::BROADCAST | iff::MULTICAST, 1500, 68, 65521, [0xff; 6]),
        };
        NetDevice {
            ifindex,
            name: name.to_vec(),
            kind,
            user_flags,
            mtu,
            min_mtu,
            max_mtu,
            hwaddr,
            broadcast,
            txqlen: 1000,
            stats: Stats::default(),
            addrs4: Vec::new(),
            addrs6: Vec::new(),
            driver: None,
            carrier_changes: 0,
        }
    }

    /// Returns whether the device is up (IFF_UP).
    pub(crate) fn is_up(&self) -> bool {
        self.user_flags & iff::UP != 0
    }

    /// Returns whether the link has carrier.
    pub(crate) fn carrier(&self) -> bool {
        match &self.driver {
            Some(d) if self.kind != DeviceKind::Loopback => d.carrier(),
            _ => true,
        }
    }

    /// Returns the flags as Linux reports them (`dev_get_flags`): RUNNING
    /// and LOWER_UP while up with carrier.
    pub(crate) fn flags(&self) -> u32 {
        let mut f = self.user_flags;
        if self.is_up() && self.carrier() {
            f |= iff::RUNNING | iff::LOWER_UP;
        }
        f
    }

    /// Returns the ARPHRD link type.
    pub(crate) fn arphrd(&self) -> u16 {
        match self.kind {
            DeviceKind::Loopback => ARPHRD_LOOPBACK,
            DeviceKind::Ether => ARPHRD_ETHER,
        }
    }

    /// Returns the operational state: loopback reports "unknown" while up.
    pub(crate) fn operstate(&self) -> OperState {
        match (self.is_up(), self.kind, self.carrier()) {
            (false, _, _) => OperState::Down,
            (true, DeviceKind::Loopback, _) => OperState::Unknown,
            (true, _, true) => OperState::Up,
            (true, _, false) => OperState::Down,
        }
    }

    /// Returns the queueing discipline `ip` shows.
    pub(crate) fn qdisc(&self) -> &'static str {
        match (self.is_up(), self.kind) {
            (false, _) => "noop",
            (true, DeviceKind::Loopback) => "noqueue",
            (true, DeviceKind::Ether) => "pfifo_fast",
        }
    }

    /// Returns the device name as text.
    pub(crate) fn name_str(&self) -> String {
        String::from_utf8_lossy(&self.name).into_owned()
    }

    /// Returns the hardware address as `aa:bb:...` text.
    pub(crate) fn hwaddr_text(mac: &[u8; 6]) -> String {
        let h: Vec<String> = mac.iter().map(|b| format!("{b:02x}")).collect();
        h.join(":")
    }
}

/// Returns whether `name` may name a device (Linux's `dev_valid_name`):
/// 1 to 15 bytes, not "." or "..", without '/', ':' or white space.
pub(crate) fn valid_name(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() < IFNAMSIZ
        && name != b"."
        && name != b".."
        && name
            .iter()
            .all(|&c| c != b'/' && c != b':' && c != 0 && !c.is_ascii_whitespace())
}
