//! Host unit tests of the device model: `lo` as Linux boots and brings it
//! up, addresses and the kernel routes they make, route lookups.

use super::device::{ifa_f, iff, scope, Ifaddr4, Ifaddr6};
use super::namespace::{Net, Origin};
use super::route::{rtn, RT_TABLE_LOCAL, RT_TABLE_MAIN};
use arch::Errno;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

fn v4(s: &str) -> Ipv4Addr {
    s.parse().expect("an IPv4 address")
}

fn addr4(a: &str, prefix: u8) -> Ifaddr4 {
    Ifaddr4 {
        local: v4(a),
        address: v4(a),
        prefix,
        broadcast: None,
        label: Vec::new(),
        scope: scope::UNIVERSE,
        flags: ifa_f::PERMANENT,
        cstamp: 0,
    }
}

/// Returns the routes as (table, kind, dst/len) strings.
fn routes(net: &Net) -> Vec<String> {
    let mut v: Vec<String> = net
        .state()
        .routes
        .iter()
        .map(|r| format!("{} {} {}/{}", r.table, r.kind, r.dst, r.dst_len))
        .collect();
    v.sort();
    v
}

#[test]
fn lo_is_down_without_addresses_at_boot() {
    let _k = crate::lock::entered();
    let net = Net::new();
    assert_eq!(net.ifindex_by_name(b"lo"), Some(1));
    assert!(!net.is_up(1));
    assert!(net.local_addrs().is_empty());
    assert!(routes(&net).is_empty());
    let lo = net.device(1).expect("lo");
    assert_eq!(lo.flags(), iff::LOOPBACK);
    assert_eq!(lo.mtu, 65536);
    assert_eq!(net.route(IpAddr::V4(Ipv4Addr::LOCALHOST)), None);
}

#[test]
fn lo_up_gets_localhost_and_local_routes() {
    let _k = crate::lock::entered();
    let net = Net::new();
    let g = net.generation();
    net.set_flags(1, iff::UP, iff::UP).expect("up");
    assert!(net.generation() > g);
    let lo = net.device(1).expect("lo");
    assert_eq!(
        lo.flags(),
        iff::UP | iff::LOOPBACK | iff::RUNNING | iff::LOWER_UP
    );
    let mut addrs = net.local_addrs();
    addrs.sort();
    assert_eq!(
        addrs,
        vec![
            (IpAddr::V4(Ipv4Addr::LOCALHOST), 8, 1),
            (IpAddr::V6(Ipv6Addr::LOCALHOST), 128, 1)
        ]
    );
    let want = [
        format!("{RT_TABLE_LOCAL} {} 127.0.0.0/8", rtn::LOCAL),
        format!("{RT_TABLE_LOCAL} {} 127.0.0.1/32", rtn::LOCAL),
        format!("{RT_TABLE_LOCAL} {} ::1/128", rtn::LOCAL),
        format!("{RT_TABLE_LOCAL} {} 127.255.255.255/32", rtn::BROADCAST),
    ];
    assert_eq!(routes(&net), want);
    let lh = IpAddr::V4(Ipv4Addr::LOCALHOST);
    assert_eq!(net.route(lh), Some((1, lh)));
    assert_eq!(net.route(IpAddr::V4(v4("127.9.9.9"))), Some((1, lh)));
    assert_eq!(net.route(IpAddr::V4(v4("10.0.0.1"))), None);
    let l6 = IpAddr::V6(Ipv6Addr::LOCALHOST);
    assert_eq!(net.route(l6), Some((1, l6)));
    // Down: IPv6 addresses and non-local routes go; up again: back.
    net.set_flags(1, 0, iff::UP).expect("down");
    assert_eq!(net.local_addrs(), vec![]);
    assert_eq!(routes(&net).len(), 2);
    assert_eq!(net.device(1).expect("lo").addrs4.len(), 1);
    net.set_flags(1, iff::UP, iff::UP).expect("up");
    assert_eq!(routes(&net), want);
    assert_eq!(net.device(1).expect("lo").addrs4.len(), 1);
}

#[test]
fn addresses_make_and_remove_routes() {
    let _k = crate::lock::entered();
    let net = Net::new();
    net.set_flags(1, iff::UP, iff::UP).expect("up");
    let o = Origin::default();
    net.add_addr4(1, addr4("10.1.2.3", 24), false, o)
        .expect("add");
    assert_eq!(
        net.add_addr4(1, addr4("10.1.2.3", 24), false, o),
        Err(Errno::EEXIST)
    );
    net.add_addr4(1, addr4("10.1.2.4", 24), false, o)
        .expect("second");
    let lo = net.device(1).expect("lo");
    assert_eq!(lo.addrs4[2].flags & ifa_f::SECONDARY, ifa_f::SECONDARY);
    assert_eq!(lo.addrs4[1].label, b"lo");
    assert!(routes(&net).contains(&format!("{RT_TABLE_LOCAL} {} 10.1.2.0/24", rtn::LOCAL)));
    assert_eq!(
        net.route(IpAddr::V4(v4("10.1.2.9"))),
        Some((1, IpAddr::V4(v4("10.1.2.3"))))
    );
    net.del_addr4(1, |a| a.local == v4("10.1.2.3"), o)
        .expect("del");
    assert_eq!(
        net.device(1).expect("lo").addrs4.len(),
        1,
        "the secondary went too"
    );
    assert_eq!(routes(&net).len(), 4);
    assert_eq!(
        net.del_addr4(1, |a| a.local == v4("10.1.2.3"), o),
        Err(Errno::EADDRNOTAVAIL)
    );
    let a6 = Ifaddr6 {
        addr: "2001:db8::5".parse().expect("v6"),
        prefix: 64,
        scope: scope::UNIVERSE,
        flags: ifa_f::PERMANENT,
        cstamp: 0,
        preferred_until: None,
        valid_until: None,
    };
    net.add_addr6(1, a6.clone(), false, o).expect("add6");
    assert!(routes(&net).contains(&format!("{RT_TABLE_MAIN} {} 2001:db8::/64", rtn::UNICAST)));
    assert_eq!(
        net.route(IpAddr::V6("2001:db8::77".parse().expect("v6"))),
        Some((1, IpAddr::V6(a6.addr)))
    );
    net.del_addr6(1, a6.addr, Some(64), o).expect("del6");
    assert_eq!(routes(&net).len(), 4);
}

#[test]
fn links_change_and_rename() {
    let _k = crate::lock::entered();
    let net = Net::new();
    assert_eq!(net.set_mtu(1, 1500), Ok(()));
    assert_eq!(net.mtu(1), Some(1500));
    assert_eq!(net.set_mtu(7, 1500), Err(Errno::ENODEV));
    assert_eq!(net.rename(1, b"a/b"), Err(Errno::EINVAL));
    assert_eq!(net.rename(1, b"loop0"), Ok(()));
    assert_eq!(net.ifindex_by_name(b"loop0"), Some(1));
    let i = net
        .register(
            b"eth0",
            super::device::DeviceKind::Ether,
            [2, 0, 0, 0, 0, 1],
            None,
        )
        .expect("register");
    assert_eq!(i, 2);
    assert_eq!(net.rename(2, b"loop0"), Err(Errno::EEXIST));
    net.set_flags(2, iff::UP, iff::UP).expect("up");
    assert_eq!(net.rename(2, b"eth1"), Err(Errno::EBUSY));
    assert_eq!(net.ip_local_port_range(), (32768, 60999));
    assert_eq!(net.ping_group_range(), (1, 0));
}
