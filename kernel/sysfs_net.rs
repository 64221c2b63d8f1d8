//! /sys/class/net and /sys/devices/virtual/net (sysfs-class-net): one
//! directory per network device of the namespace, listed afresh at each
//! read, with the attributes `ip`, systemd and udev read — index, link,
//! MTU, flags, addresses, operational state, type, carrier, queue length,
//! statistics. Root may write mtu, flags and tx_queue_len, as on Linux,
//! and an action to `uevent` (kernel/kobject_uevent.rs). A device's nodes
//! stay valid while it keeps its name: they go when it is removed
//! (kernel/nic_hotplug.rs) or renamed.

use crate::kobject_uevent::{uevent_file, Kobject};
use crate::net::device::NetDevice;
use crate::net::{init_net, Net};
use crate::proc::node::{Entry, Node};
use arch::{Errno, Result, PAGE_SIZE};

/// The inode-number base of the device nodes (256 per device).
const NET_INO: u64 = 0x5000_0000;

/// Reads a counter of a device.
type Counter = fn(&NetDevice) -> u64;
/// Makes the text of an attribute.
type Attr = fn(&NetDevice) -> Result<String>;
/// Takes what is written to an attribute.
type Store = Box<dyn Fn(&[u8]) -> Result<()> + Send + Sync>;

/// The counters of statistics/, by name, from a device.
const STATS: &[(&str, Counter)] = &[
    ("collisions", |_| 0),
    ("multicast", |d| d.stats.multicast),
    ("rx_bytes", |d| d.stats.rx_bytes),
    ("rx_compressed", |_| 0),
    ("rx_crc_errors", |_| 0),
    ("rx_dropped", |d| d.stats.rx_dropped),
    ("rx_errors", |d| d.stats.rx_errors),
    ("rx_fifo_errors", |_| 0),
    ("rx_frame_errors", |_| 0),
    ("rx_length_errors", |_| 0),
    ("rx_missed_errors", |_| 0),
    ("rx_nohandler", |_| 0),
    ("rx_over_errors", |_| 0),
    ("rx_packets", |d| d.stats.rx_packets),
    ("tx_aborted_errors", |_| 0),
    ("tx_bytes", |d| d.stats.tx_bytes),
    ("tx_carrier_errors", |_| 0),
    ("tx_compressed", |_| 0),
    ("tx_dropped", |d| d.stats.tx_dropped),
    ("tx_errors", |d| d.stats.tx_errors),
    ("tx_fifo_errors", |_| 0),
    ("tx_heartbeat_errors", |_| 0),
    ("tx_packets", |d| d.stats.tx_packets),
    ("tx_window_errors", |_| 0),
];

/// The attributes of a device directory and their text.
const ATTRS: &[(&str, Attr)] = &[
    ("addr_assign_type", |_| Ok("0".into())),
    ("addr_len", |_| Ok("6".into())),
    ("address", |d| Ok(NetDevice::hwaddr_text(&d.hwaddr))),
    ("broadcast", |d| Ok(NetDevice::hwaddr_text(&d.broadcast))),
    ("carrier", |d| {
        if d.is_up() {
            Ok(u8::from(d.carrier()).to_string())
        } else {
            Err(Errno::EINVAL)
        }
    }),
    ("carrier_changes", |d| Ok(d.carrier_changes.to_string())),
    ("dev_id", |_| Ok("0x0".into())),
    ("dev_port", |_| Ok("0".into())),
    ("dormant", |_| Ok("0".into())),
    ("flags", |d| Ok(format!("{:#x}", d.user_flags))),
    ("ifalias", |_| Ok(String::new())),
    ("ifindex", |d| Ok(d.ifindex.to_string())),
    ("iflink", |d| Ok(d.ifindex.to_string())),
    ("link_mode", |_| Ok("0".into())),
    ("mtu", |d| Ok(d.mtu.to_string())),
    ("name_assign_type", |_| Ok("2".into())),
    ("netdev_group", |_| Ok("0".into())),
    ("operstate", |d| Ok(d.operstate().name().into())),
    ("proto_down", |_| Ok("0".into())),
    ("tx_queue_len", |d| Ok(d.txqlen.to_string())),
    ("type", |d| Ok(d.arphrd().to_string())),
];

/// Returns device `ifindex` as its events describe it.
pub(crate) fn kobject(ifindex: i32) -> Result<Kobject> {
    let d = device(ifindex)?;
    let name = d.name_str();
    Ok(Kobject {
        devpath: format!("/devices/virtual/net/{name}"),
        subsystem: "net".to_string(),
        env: vec![
            ("INTERFACE".to_string(), name.to_string()),
            ("IFINDEX".to_string(), d.ifindex.to_string()),
        ],
    })
}

/// Returns device `ifindex` (ENODEV once it is gone).
fn device(ifindex: i32) -> Result<NetDevice> {
    init_net().device(ifindex).ok_or(Errno::ENODEV)
}

/// Parses a written number (EINVAL otherwise).
fn number(data: &[u8]) -> Result<u32> {
    let s = std::str::from_utf8(data).map_err(|_| Errno::EINVAL)?.trim();
    let v = match s.strip_prefix("0x") {
        Some(h) => u32::from_str_radix(h, 16),
        None => s.parse::<u32>(),
    };
    v.map_err(|_| Errno::EINVAL)
}

/// Returns the store of a writable attribute (root only, EACCES else).
fn store(name: &str, ifindex: i32) -> Option<Store> {
    let set: fn(&Net, i32, u32) -> Result<()> = match name {
        "mtu" => |n, i, v| n.set_mtu(i, v),
        "tx_queue_len" => |n, i, v| n.set_txqlen(i, v),
        "flags" => |n, i, v| n.set_flags(i, v, u32::MAX),
        _ => return None,
    };
    Some(Box::new(move |data: &[u8]| {
        // The file's mode (0644, root's), then netdev_store's CAP_NET_ADMIN.
        if crate::task::current().is_some_and(|t| t.process.cred.borrow().euid != 0) {
            return Err(Errno::EACCES);
        }
        if !crate::capability::capable(arch::abi::capability::CAP_NET_ADMIN) {
            return Err(Errno::EPERM);
        }
        set(init_net(), ifindex, number(data)?)
    }))
}

/// Returns the directory of device `ifindex`.
fn device_dir(dev: u64, ifindex: i32) -> Node {
    let base = NET_INO + (ifindex as u64) * 256;
    Node::dir(dev, base, 0o755, move || {
        device(ifindex)?;
        let mut out: Vec<Entry> = Vec::new();
        for (k, &(name, text)) in ATTRS.iter().enumerate() {
            let mode = if store(name, ifindex).is_some() {
                0o644
            } else {
                0o444
            };
            let mut n = Node::file(dev, base + 1 + k as u64, mode, move || {
                Ok(format!("{}\n", text(&device(ifindex)?)?).into_bytes())
            })
            .with_size(PAGE_SIZE);
            if let Some(s) = store(name, ifindex) {
                n = n.writable(s);
            }
            out.push(n.entry(k as u64 + 2, name));
        }
        let stats: Vec<Entry> = STATS
            .iter()
            .enumerate()
            .map(|(k, &(name, get))| {
                Node::file(dev, base + 128 + k as u64, 0o444, move || {
                    Ok(format!("{}\n", get(&device(ifindex)?)).into_bytes())
                })
                .with_size(PAGE_SIZE)
                .entry(k as u64 + 2, name)
            })
            .collect();
        let sdir = Node::dir(dev, base + 127, 0o755, move || Ok(stats.clone()));
        out.push(sdir.entry(ATTRS.len() as u64 + 2, "statistics"));
        let sub = Node::link(dev, base + 126, || Ok(b"../../../../class/net".to_vec()));
        out.push(sub.entry(ATTRS.len() as u64 + 3, "subsystem"));
        let uevent = uevent_file(dev, base + 124, move || kobject(ifindex));
        out.push(uevent.entry(ATTRS.len() as u64 + 4, "uevent"));
        Ok(out)
    })
}

/// Returns a check that device `ifindex` is still there with `name`: a
/// device's nodes, looked up once, go when it is removed or renamed.
fn live(ifindex: i32, name: Vec<u8>) -> std::sync::Arc<dyn Fn() -> bool + Send + Sync> {
    std::sync::Arc::new(move || init_net().name_by_ifindex(ifindex).as_ref() == Some(&name))
}

/// Returns /sys/devices/virtual/net: a directory per device.
pub fn devices_dir(dev: u64, ino: u64) -> Node {
    Node::dir(dev, ino, 0o755, move || {
        Ok(init_net()
            .devices()
            .into_iter()
            .map(|(i, name)| {
                let text = String::from_utf8_lossy(&name).into_owned();
                device_dir(dev, i)
                    .valid_while(live(i, name))
                    .entry(i as u64 + 2, &text)
            })
            .collect())
    })
}

/// Returns /sys/class/net: a link per device into /sys/devices/virtual/net.
pub fn class_dir(dev: u64, ino: u64) -> Node {
    Node::dir(dev, ino, 0o755, move || {
        Ok(init_net()
            .devices()
            .into_iter()
            .map(|(i, raw)| {
                let name = String::from_utf8_lossy(&raw).into_owned();
                let target = format!("../../devices/virtual/net/{name}").into_bytes();
                Node::link(dev, NET_INO + (i as u64) * 256 + 125, move || {
                    Ok(target.clone())
                })
                .valid_while(live(i, raw))
                .entry(i as u64 + 2, &name)
            })
            .collect())
    })
}
