//! The text of the /proc/net files this module owns, generated from a
//! namespace in Linux's formats (proc(5)): `dev` (per-device counters),
//! `route` (the IPv4 main table as net-tools reads it), `if_inet6`,
//! `snmp`, `netstat` and `snmp6` (from `Mib`); the socket tables (`tcp`,
//! `udp`, `unix`...) and `sockstat` are the socket families' texts, listed
//! here.

use super::device::scope;
use super::route::{rtn, RT_TABLE_MAIN};
use super::Net;
use std::fmt::Write;
use std::net::IpAddr;

/// /proc/net/dev.
pub(crate) fn dev(net: &Net) -> String {
    let mut s = String::from(concat!(
        "Inter-|   Receive                                                |  Transmit\n",
        " face |bytes    packets errs drop fifo frame compressed multicast",
        "|bytes    packets errs drop fifo colls carrier compressed\n",
    ));
    let st = net.state();
    for d in &st.devices {
        let t = &d.stats;
        let _ = writeln!(
            s,
            "{:>6}: {:7} {:7} {:4} {:4} {:4} {:5} {:10} {:9} {:8} {:7} {:4} {:4} {:4} {:5} {:7} {:10}",
            d.name_str(),
            t.rx_bytes,
            t.rx_packets,
            t.rx_errors,
            t.rx_dropped,
            0,
            0,
            0,
            t.multicast,
            t.tx_bytes,
            t.tx_packets,
            t.tx_errors,
            t.tx_dropped,
            0,
            0,
            0,
            0
        );
    }
    s
}

/// Returns an IPv4 address as /proc/net/route shows it: the network-order
/// word printed as a host-order hex number.
fn hex4(a: Option<IpAddr>) -> String {
    match a {
        Some(IpAddr::V4(a)) => format!("{:08X}", u32::from_le_bytes(a.octets())),
        _ => "00000000".to_string(),
    }
}

/// /proc/net/route: the unicast and reject routes of the IPv4 main table,
/// each line padded to 127 columns as Linux's `seq_pad` does.
pub(crate) fn route(net: &Net) -> String {
    const RTF_UP: u32 = 0x1;
    const RTF_GATEWAY: u32 = 0x2;
    const RTF_HOST: u32 = 0x4;
    const RTF_REJECT: u32 = 0x200;
    let mut s = format!(
        "{:<127}\n",
        "Iface\tDestination\tGateway \tFlags\tRefCnt\tUse\tMetric\tMask\t\tMTU\tWindow\tIRTT"
    );
    let st = net.state();
    for r in st
        .routes
        .iter()
        .filter(|r| !r.is_v6() && r.table == RT_TABLE_MAIN)
    {
        if matches!(r.kind, rtn::BROADCAST | rtn::MULTICAST) {
            continue;
        }
        let name = st
            .dev(r.oif)
            .map_or_else(|| "*".to_string(), |d| d.name_str());
        let mut flags = RTF_UP;
        if matches!(r.kind, rtn::UNREACHABLE | rtn::PROHIBIT) {
            flags |= RTF_REJECT;
        }
        if r.gateway.is_some() {
            flags |= RTF_GATEWAY;
        }
        if r.dst_len == 32 {
            flags |= RTF_HOST;
        }
        let mask = IpAddr::V4(super::device::mask4(r.dst_len));
        let line = format!(
            "{name}\t{}\t{}\t{flags:04X}\t0\t0\t{}\t{}\t0\t0\t0",
            hex4(Some(r.dst)),
            hex4(r.gateway),
            r.priority,
            hex4(Some(mask)),
        );
        let _ = writeln!(s, "{line:<127}");
    }
    s
}

/// /proc/net/if_inet6: address, device index, prefix, scope (IPv6 scope
/// bits) and flags in hex, and the device name.
pub(crate) fn if_inet6(net: &Net) -> String {
    let mut s = String::new();
    let st = net.state();
    for d in &st.devices {
        for a in &d.addrs6 {
            let bits = match a.scope {
                scope::HOST => 0x10,
                scope::LINK => 0x20,
                _ => 0x00,
            };
            let _ = writeln!(
                s,
                "{:032x} {:02x} {:02x} {:02x} {:02x} {:>8}",
                u128::from(a.addr),
                d.ifindex,
                a.prefix,
                bits,
                a.flags & 0xff,
                d.name_str()
            );
        }
    }
    s
}

/// /proc/net/tcp, tcp6, udp and udp6: the inet layer's sockets.
fn tcp(net: &Net) -> String {
    String::from_utf8_lossy(&super::inet::proc_tcp(net, false)).into_owned()
}

fn tcp6(net: &Net) -> String {
    String::from_utf8_lossy(&super::inet::proc_tcp(net, true)).into_owned()
}

fn udp(net: &Net) -> String {
    String::from_utf8_lossy(&super::inet::proc_udp(net, false)).into_owned()
}

fn udp6(net: &Net) -> String {
    String::from_utf8_lossy(&super::inet::proc_udp(net, true)).into_owned()
}

/// /proc/net/packet: the packet sockets.
fn packet(net: &Net) -> String {
    super::packet::proc_net_packet(net)
}

/// /proc/net/unix: the Unix sockets.
fn unix(net: &Net) -> String {
    String::from_utf8_lossy(&super::unix::proc_net_unix(net)).into_owned()
}

/// /proc/net/sockstat: how many sockets there are (Linux's
/// `sockstat_seq_show`); no fragments are kept for reassembly.
fn sockstat(net: &Net) -> String {
    format!(
        "sockets: used {}\n{}FRAG: inuse 0 memory 0\n",
        super::socket::sockets_in_use(),
        super::inet::sockstat(net, false),
    )
}

/// /proc/net/sockstat6.
fn sockstat6(net: &Net) -> String {
    format!(
        "{}FRAG6: inuse 0 memory 0\n",
        super::inet::sockstat(net, true)
    )
}

/// /proc/net/snmp; Tcp CurrEstab counts the connections in ESTABLISHED
/// and CLOSE_WAIT now (`ss -s` shows it).
fn snmp(net: &Net) -> String {
    net.mib
        .set("Tcp", "CurrEstab", super::inet::curr_estab(net) as i64);
    net.mib.snmp()
}

/// /proc/net/netstat.
fn netstat(net: &Net) -> String {
    net.mib.netstat()
}

/// /proc/net/snmp6.
fn snmp6(net: &Net) -> String {
    net.mib.snmp6()
}

/// Makes the text of a /proc/net file (/proc/PID/net); the socket
/// families add theirs (tcp, udp, raw, unix...) to `FILES`.
pub(crate) type Text = fn(&Net) -> String;

/// The files of /proc/net and what makes each one's text.
pub(crate) const FILES: &[(&str, Text)] = &[
    ("dev", dev),
    ("if_inet6", if_inet6),
    ("netstat", netstat),
    ("route", route),
    ("snmp", snmp),
    ("snmp6", snmp6),
    ("sockstat", sockstat),
    ("sockstat6", sockstat6),
    ("tcp", tcp),
    ("tcp6", tcp6),
    ("udp", udp),
    ("udp6", udp6),
    ("packet", packet),
    ("unix", unix),
];
