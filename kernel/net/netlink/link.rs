//! RTM_GETLINK, RTM_NEWLINK, RTM_SETLINK and RTM_DELLINK (rtnetlink(7)):
//! links as `struct ifinfomsg` with the IFLA_* attributes Linux's
//! `rtnl_fill_ifinfo` gives and `ip link` prints, and the changes a
//! program may make to an existing link — flags (ifi_flags under
//! ifi_change), IFLA_MTU, IFLA_IFNAME, IFLA_TXQLEN, IFLA_ADDRESS — in
//! Linux's `do_setlink` order. Creating and deleting links needs a link
//! kind (veth, dummy...), which this kernel has none of: EOPNOTSUPP.

use super::msg::{self, Builder};
use super::rtnl::{fail, rtm, Fail, Reply, Request};
use crate::net::device::{DeviceKind, NetDevice, IFNAMSIZ};
use arch::Errno;

/// `sizeof(struct ifinfomsg)`.
pub(crate) const IFINFOMSG_LEN: usize = 16;

/// `IFLA_*` attribute types.
pub(crate) mod ifla {
    pub(crate) const ADDRESS: u16 = 1;
    pub(crate) const BROADCAST: u16 = 2;
    pub(crate) const IFNAME: u16 = 3;
    pub(crate) const MTU: u16 = 4;
    pub(crate) const QDISC: u16 = 6;
    pub(crate) const STATS: u16 = 7;
    pub(crate) const MASTER: u16 = 10;
    pub(crate) const TXQLEN: u16 = 13;
    pub(crate) const MAP: u16 = 14;
    pub(crate) const OPERSTATE: u16 = 16;
    pub(crate) const LINKMODE: u16 = 17;
    pub(crate) const LINKINFO: u16 = 18;
    pub(crate) const STATS64: u16 = 23;
    pub(crate) const AF_SPEC: u16 = 26;
    pub(crate) const GROUP: u16 = 27;
    pub(crate) const EXT_MASK: u16 = 29;
    pub(crate) const PROMISCUITY: u16 = 30;
    pub(crate) const NUM_TX_QUEUES: u16 = 31;
    pub(crate) const NUM_RX_QUEUES: u16 = 32;
    pub(crate) const CARRIER: u16 = 33;
    pub(crate) const CARRIER_CHANGES: u16 = 35;
    pub(crate) const PROTO_DOWN: u16 = 39;
    pub(crate) const GSO_MAX_SEGS: u16 = 40;
    pub(crate) const GSO_MAX_SIZE: u16 = 41;
    pub(crate) const PAD: u16 = 42;
    pub(crate) const TARGET_NETNSID: u16 = 46;
    pub(crate) const CARRIER_UP_COUNT: u16 = 47;
    pub(crate) const CARRIER_DOWN_COUNT: u16 = 48;
    pub(crate) const MIN_MTU: u16 = 50;
    pub(crate) const MAX_MTU: u16 = 51;
    pub(crate) const ALT_IFNAME: u16 = 53;
    pub(crate) const GRO_MAX_SIZE: u16 = 58;
    pub(crate) const TSO_MAX_SIZE: u16 = 59;
    pub(crate) const TSO_MAX_SEGS: u16 = 60;
    pub(crate) const ALLMULTI: u16 = 61;
}

/// `IFLA_INET6_*` inside IFLA_AF_SPEC's AF_INET6.
const IFLA_INET6_FLAGS: u16 = 1;
const IFLA_INET6_ADDR_GEN_MODE: u16 = 8;
/// `IF_READY`: IPv6 is up on the device.
const IF_READY: u32 = 0x8000_0000;

/// Returns the RTM_NEWLINK (or RTM_DELLINK) message of `dev`, with
/// `seq`, `pid` and `flags` for its netlink header.
pub(crate) fn encode(dev: &NetDevice, ty: u16, flags: u16, seq: u32, pid: u32) -> Vec<u8> {
    let mut b = Builder::new(ty, flags, seq, pid);
    let mut hdr = [0u8; IFINFOMSG_LEN];
    hdr[2..4].copy_from_slice(&dev.arphrd().to_ne_bytes());
    hdr[4..8].copy_from_slice(&dev.ifindex.to_ne_bytes());
    hdr[8..12].copy_from_slice(&dev.flags().to_ne_bytes());
    b.put(&hdr);
    b.str(ifla::IFNAME, &dev.name)
        .u32(ifla::TXQLEN, dev.txqlen)
        .u8(ifla::OPERSTATE, dev.operstate() as u8)
        .u8(ifla::LINKMODE, 0)
        .u32(ifla::MTU, dev.mtu)
        .u32(ifla::MIN_MTU, dev.min_mtu)
        .u32(ifla::MAX_MTU, dev.max_mtu)
        .u32(ifla::GROUP, 0)
        .u32(ifla::PROMISCUITY, 0)
        .u32(ifla::ALLMULTI, 0)
        .u32(ifla::NUM_TX_QUEUES, 1)
        .u32(ifla::GSO_MAX_SEGS, 65535)
        .u32(ifla::GSO_MAX_SIZE, 65536)
        .u32(ifla::GRO_MAX_SIZE, 65536)
        .u32(ifla::TSO_MAX_SIZE, 524_280)
        .u32(ifla::TSO_MAX_SEGS, 65535)
        .u32(ifla::NUM_RX_QUEUES, 1)
        .u8(ifla::CARRIER, u8::from(dev.carrier()))
        .u32(ifla::CARRIER_CHANGES, dev.carrier_changes)
        .u32(ifla::CARRIER_UP_COUNT, dev.carrier_changes.div_ceil(2))
        .u32(ifla::CARRIER_DOWN_COUNT, dev.carrier_changes / 2)
        .u8(ifla::PROTO_DOWN, 0)
        .str(ifla::QDISC, dev.qdisc().as_bytes());
    b.attr64(ifla::MAP, &[0u8; 32], ifla::PAD);
    b.attr(ifla::ADDRESS, &dev.hwaddr)
        .attr(ifla::BROADCAST, &dev.broadcast);
    let stats = dev.stats.as_array();
    let s64: Vec<u8> = stats.iter().flat_map(|v| v.to_ne_bytes()).collect();
    b.attr64(ifla::STATS64, &s64, ifla::PAD);
    let s32: Vec<u8> = stats[..24]
        .iter()
        .flat_map(|&v| (v as u32).to_ne_bytes())
        .collect();
    b.attr(ifla::STATS, &s32);
    b.nest(ifla::AF_SPEC).nest(u16::from(super::rtnl::AF_INET6));
    let ready = if dev.is_up() { IF_READY } else { 0 };
    b.u32(IFLA_INET6_FLAGS, ready)
        .u8(IFLA_INET6_ADDR_GEN_MODE, 0)
        .end_nest()
        .end_nest();
    b.finish()
}

/// Returns the device a request names: by a positive ifi_index, else by
/// IFLA_IFNAME (EINVAL for neither, ENODEV if there is none).
fn target(req: &Request, attrs: &msg::Attrs) -> Result<NetDevice, Fail> {
    let index = ifindex(req.payload);
    if index > 0 {
        return req.net.device(index).ok_or(Errno::ENODEV.into());
    }
    if index < 0 {
        return Err(fail(Errno::EINVAL, "ifindex can't be negative"));
    }
    match attrs.str(ifla::IFNAME, IFNAMSIZ - 1)? {
        Some(name) => {
            let i = req.net.ifindex_by_name(name).ok_or(Errno::ENODEV)?;
            req.net.device(i).ok_or(Errno::ENODEV.into())
        }
        None => Err(fail(Errno::EINVAL, "no ifindex or name given")),
    }
}

/// Returns ifi_index of a payload (0 if short).
fn ifindex(payload: &[u8]) -> i32 {
    i32::from_ne_bytes(msg::field(payload, 4))
}

/// Checks a strict request's header: pad, type, flags and change all 0.
fn strict_header(payload: &[u8]) -> Result<(), Fail> {
    if payload.len() < IFINFOMSG_LEN {
        return Err(fail(Errno::EINVAL, "invalid header for link request"));
    }
    let zero = payload[1] == 0 && payload[2..4] == [0, 0] && payload[8..16] == [0; 8];
    if !zero {
        return Err(fail(
            Errno::EINVAL,
            "invalid values in header for link request",
        ));
    }
    Ok(())
}

/// RTM_GETLINK with NLM_F_DUMP: every link.
pub(crate) fn dump(req: &Request) -> Result<Reply, Fail> {
    if req.who.strict {
        strict_header(req.payload)?;
        if ifindex(req.payload) != 0 {
            return Err(fail(
                Errno::EINVAL,
                "filter by device index not supported for link dumps",
            ));
        }
        let attrs = req.attrs(IFINFOMSG_LEN, true)?;
        let allowed = [
            ifla::TARGET_NETNSID,
            ifla::EXT_MASK,
            ifla::MASTER,
            ifla::LINKINFO,
        ];
        if attrs.types().any(|t| !allowed.contains(&t)) {
            return Err(fail(
                Errno::EINVAL,
                "unsupported attribute in link dump request",
            ));
        }
    }
    let st = req.net.state();
    let msgs = st
        .devices
        .iter()
        .map(|d| encode(d, rtm::NEWLINK, 0, req.hdr.seq, req.who.portid))
        .collect();
    Ok(Reply::Dump(msgs))
}

/// RTM_GETLINK of one link, by index or name.
pub(crate) fn get(req: &Request) -> Result<Reply, Fail> {
    let attrs = if req.who.strict {
        strict_header(req.payload)?;
        let attrs = req.attrs(IFINFOMSG_LEN, true)?;
        let allowed = [
            ifla::IFNAME,
            ifla::ALT_IFNAME,
            ifla::EXT_MASK,
            ifla::TARGET_NETNSID,
        ];
        if attrs.types().any(|t| !allowed.contains(&t)) {
            return Err(fail(
                Errno::EINVAL,
                "unsupported attribute in get link request",
            ));
        }
        attrs
    } else {
        req.attrs(IFINFOMSG_LEN, false)?
    };
    let dev = target(req, &attrs)?;
    Ok(Reply::Msgs(vec![encode(
        &dev,
        rtm::NEWLINK,
        0,
        req.hdr.seq,
        req.who.portid,
    )]))
}

/// RTM_SETLINK: changes an existing link.
pub(crate) fn set(req: &Request) -> Result<Reply, Fail> {
    let attrs = req.attrs(IFINFOMSG_LEN, false)?;
    let dev = target(req, &attrs)?;
    set_link(req, &dev, &attrs)?;
    Ok(Reply::Done)
}

/// RTM_NEWLINK: changes an existing link (EEXIST with NLM_F_EXCL,
/// EOPNOTSUPP with NLM_F_REPLACE); creating one is EOPNOTSUPP (no link
/// kinds), ENODEV without NLM_F_CREATE.
pub(crate) fn new(req: &Request) -> Result<Reply, Fail> {
    use super::msg::nlm_f;
    let attrs = req.attrs(IFINFOMSG_LEN, false)?;
    match target(req, &attrs) {
        Ok(dev) => {
            if req.hdr.flags & nlm_f::EXCL != 0 {
                return Err(Errno::EEXIST.into());
            }
            if req.hdr.flags & nlm_f::REPLACE != 0 {
                return Err(Errno::EOPNOTSUPP.into());
            }
            set_link(req, &dev, &attrs)?;
            Ok(Reply::Done)
        }
        Err(f) if f.errno == Errno::ENODEV || ifindex(req.payload) == 0 => {
            if req.hdr.flags & nlm_f::CREATE == 0 {
                return Err(Errno::ENODEV.into());
            }
            Err(fail(Errno::EOPNOTSUPP, "unknown device type"))
        }
        Err(f) => Err(f),
    }
}

/// RTM_DELLINK: ENODEV for no such link; EOPNOTSUPP for the links this
/// kernel has (none has a link kind that can be deleted).
pub(crate) fn del(req: &Request) -> Result<Reply, Fail> {
    let attrs = req.attrs(IFINFOMSG_LEN, false)?;
    target(req, &attrs)?;
    Err(Errno::EOPNOTSUPP.into())
}

/// Applies a link change in `do_setlink`'s order: checks first, then the
/// hardware address, MTU, name, flags and queue length.
fn set_link(req: &Request, dev: &NetDevice, attrs: &msg::Attrs) -> Result<(), Fail> {
    let net = req.net;
    let mac = attrs.get(ifla::ADDRESS);
    if let Some(m) = mac {
        if m.len() < dev.hwaddr.len() {
            return Err(Errno::EINVAL.into());
        }
    }
    let mtu = attrs.u32(ifla::MTU)?;
    let name = attrs.str(ifla::IFNAME, IFNAMSIZ - 1)?;
    let txqlen = attrs.u32(ifla::TXQLEN)?;
    if let Some(m) = mac {
        if dev.kind == DeviceKind::Loopback {
            return Err(Errno::EOPNOTSUPP.into());
        }
        let mut a = [0u8; 6];
        a.copy_from_slice(&m[..6]);
        net.set_hwaddr(dev.ifindex, a)?;
    }
    if let Some(m) = mtu {
        net.set_mtu(dev.ifindex, m)
            .map_err(|e| fail(e, "mtu out of the device's range"))?;
    }
    if let Some(n) = name {
        net.rename(dev.ifindex, n)?;
    }
    let p = req.payload;
    let flags = u32::from_ne_bytes(msg::field(p, 8));
    let change = u32::from_ne_bytes(msg::field(p, 12));
    if flags != 0 || change != 0 {
        let mask = if change != 0 { change } else { u32::MAX };
        net.set_flags(dev.ifindex, flags, mask)?;
    }
    if let Some(q) = txqlen {
        net.set_txqlen(dev.ifindex, q)?;
    }
    Ok(())
}
