//! RTM_GETADDR, RTM_NEWADDR and RTM_DELADDR (rtnetlink(7)): IPv4 and
//! IPv6 addresses as `struct ifaddrmsg` with the IFA_* attributes of
//! Linux's `inet_fill_ifaddr` and `inet6_fill_ifaddr`, and adding and
//! removing them with the checks and errnos of `inet_rtm_newaddr`,
//! `inet_rtm_deladdr`, `inet6_rtm_newaddr` and `inet6_rtm_deladdr`.

use super::msg::{self, nlm_f, Builder};
use super::rtnl::{fail, rtm, Fail, Reply, Request, AF_INET, AF_INET6, AF_UNSPEC};
use crate::net::device::{ifa_f, scope6, Ifaddr4, Ifaddr6, IFNAMSIZ};
use arch::Errno;
use std::net::{Ipv4Addr, Ipv6Addr};
use std::time::{Duration, Instant};

/// `sizeof(struct ifaddrmsg)`.
pub(crate) const IFADDRMSG_LEN: usize = 8;

/// `IFA_*` attribute types.
pub(crate) mod ifa {
    pub(crate) const ADDRESS: u16 = 1;
    pub(crate) const LOCAL: u16 = 2;
    pub(crate) const LABEL: u16 = 3;
    pub(crate) const BROADCAST: u16 = 4;
    pub(crate) const CACHEINFO: u16 = 6;
    pub(crate) const FLAGS: u16 = 8;
    pub(crate) const TARGET_NETNSID: u16 = 10;
}

/// A lifetime of "forever" in `struct ifa_cacheinfo`.
const INFINITY_LIFE: u32 = u32::MAX;

/// Returns `struct ifa_cacheinfo` for an address made at `cstamp` whose
/// lifetimes end at `preferred` and `valid` (None: forever).
fn cacheinfo(cstamp: u32, preferred: Option<Instant>, valid: Option<Instant>) -> [u8; 16] {
    let mut c = [0u8; 16];
    c[0..4].copy_from_slice(&left(preferred).to_ne_bytes());
    c[4..8].copy_from_slice(&left(valid).to_ne_bytes());
    c[8..12].copy_from_slice(&cstamp.to_ne_bytes());
    c[12..16].copy_from_slice(&cstamp.to_ne_bytes());
    c
}

/// Returns `struct ifaddrmsg`.
fn header(family: u8, prefix: u8, flags: u32, scope: u8, ifindex: i32) -> [u8; IFADDRMSG_LEN] {
    let mut h = [0u8; IFADDRMSG_LEN];
    h[0] = family;
    h[1] = prefix;
    h[2] = flags as u8;
    h[3] = scope;
    h[4..8].copy_from_slice(&ifindex.to_ne_bytes());
    h
}

/// Returns the RTM_NEWADDR/RTM_DELADDR message of an IPv4 address.
pub(crate) fn encode4(ifindex: i32, a: &Ifaddr4, ty: u16, seq: u32, pid: u32) -> Vec<u8> {
    let mut b = Builder::new(ty, 0, seq, pid);
    b.put(&header(AF_INET, a.prefix, a.flags, a.scope, ifindex));
    if !a.address.is_unspecified() {
        b.attr(ifa::ADDRESS, &a.address.octets());
    }
    if !a.local.is_unspecified() {
        b.attr(ifa::LOCAL, &a.local.octets());
    }
    if let Some(bc) = a.broadcast {
        b.attr(ifa::BROADCAST, &bc.octets());
    }
    if !a.label.is_empty() {
        b.str(ifa::LABEL, &a.label);
    }
    b.u32(ifa::FLAGS, a.flags)
        .attr(ifa::CACHEINFO, &cacheinfo(a.cstamp, None, None));
    b.finish()
}

/// Returns the RTM_NEWADDR/RTM_DELADDR message of an IPv6 address.
pub(crate) fn encode6(ifindex: i32, a: &Ifaddr6, ty: u16, seq: u32, pid: u32) -> Vec<u8> {
    let mut b = Builder::new(ty, 0, seq, pid);
    b.put(&header(AF_INET6, a.prefix, a.flags, a.scope, ifindex));
    b.attr(ifa::ADDRESS, &a.addr.octets())
        .attr(
            ifa::CACHEINFO,
            &cacheinfo(a.cstamp, a.preferred_until, a.valid_until),
        )
        .u32(ifa::FLAGS, a.flags);
    b.finish()
}

/// Returns (family, prefix, flags, scope, ifindex) of a request's ifaddrmsg.
fn fields(p: &[u8]) -> (u8, u8, u8, u8, i32) {
    let h: [u8; IFADDRMSG_LEN] = msg::field(p, 0);
    (
        h[0],
        h[1],
        h[2],
        h[3],
        i32::from_ne_bytes(msg::field(&h, 4)),
    )
}

/// RTM_GETADDR with NLM_F_DUMP: the IPv4 then the IPv6 addresses of
/// every device (or of one device, `ifa_index`, in a strict request).
pub(crate) fn dump(req: &Request, family: u8) -> Result<Reply, Fail> {
    let (_, prefix, flags, scope, index) = fields(req.payload);
    let mut only = None;
    if req.who.strict {
        if req.payload.len() < IFADDRMSG_LEN {
            return Err(fail(
                Errno::EINVAL,
                "invalid header for address dump request",
            ));
        }
        if prefix != 0 || flags != 0 || scope != 0 {
            return Err(fail(
                Errno::EINVAL,
                "invalid values in header for address dump request",
            ));
        }
        let attrs = req.attrs(IFADDRMSG_LEN, true)?;
        if attrs.types().any(|t| t != ifa::TARGET_NETNSID) {
            return Err(fail(
                Errno::EINVAL,
                "unsupported attribute in address dump request",
            ));
        }
        if index != 0 {
            req.net.device(index).ok_or(Errno::ENODEV)?;
            only = Some(index);
        }
    }
    let (v4, v6) = match family {
        AF_UNSPEC => (true, true),
        AF_INET => (true, false),
        AF_INET6 => (false, true),
        // Another family gets every family's, as Linux's rtnl_dump_all.
        _ => (true, true),
    };
    let st = req.net.state();
    let devs = || {
        st.devices
            .iter()
            .filter(|d| only.is_none_or(|i| i == d.ifindex))
    };
    let (seq, pid) = (req.hdr.seq, req.who.portid);
    let mut msgs = Vec::new();
    if v4 {
        for d in devs() {
            msgs.extend(
                d.addrs4
                    .iter()
                    .map(|a| encode4(d.ifindex, a, rtm::NEWADDR, seq, pid)),
            );
        }
    }
    if v6 {
        for d in devs() {
            msgs.extend(
                d.addrs6
                    .iter()
                    .map(|a| encode6(d.ifindex, a, rtm::NEWADDR, seq, pid)),
            );
        }
    }
    Ok(Reply::Dump(msgs))
}

/// Returns the IPv4 address an attribute holds (ERANGE if short).
fn in_addr(attrs: &msg::Attrs, ty: u16) -> Result<Option<Ipv4Addr>, Fail> {
    Ok(attrs
        .bytes(ty, 4)?
        .map(|b| Ipv4Addr::new(b[0], b[1], b[2], b[3])))
}

/// Returns the IPv6 address an attribute holds (ERANGE if short).
fn in6_addr(attrs: &msg::Attrs, ty: u16) -> Result<Option<Ipv6Addr>, Fail> {
    Ok(attrs.bytes(ty, 16)?.map(|b| {
        let mut o = [0u8; 16];
        o.copy_from_slice(b);
        Ipv6Addr::from(o)
    }))
}

/// Checks IFA_CACHEINFO's lifetimes: EINVAL for a zero valid lifetime or
/// a preferred one beyond it; returns whether the address is permanent.
fn lifetimes(attrs: &msg::Attrs) -> Result<(u32, u32), Fail> {
    match attrs.bytes(ifa::CACHEINFO, 16)? {
        None => Ok((INFINITY_LIFE, INFINITY_LIFE)),
        Some(c) => {
            let prefered = u32::from_ne_bytes(msg::field(c, 0));
            let valid = u32::from_ne_bytes(msg::field(c, 4));
            if valid == 0 || prefered > valid {
                return Err(fail(Errno::EINVAL, "address lifetime invalid"));
            }
            Ok((prefered, valid))
        }
    }
}

/// Returns when a lifetime of `secs` from now ends (None: forever).
fn until(secs: u32) -> Option<Instant> {
    (secs != INFINITY_LIFE).then(|| Instant::now() + Duration::from_secs(u64::from(secs)))
}

/// Returns the seconds left until `t` (forever for None).
fn left(t: Option<Instant>) -> u32 {
    t.map_or(INFINITY_LIFE, |t| {
        t.saturating_duration_since(Instant::now()).as_secs() as u32
    })
}

/// RTM_NEWADDR.
pub(crate) fn new(req: &Request, family: u8) -> Result<Reply, Fail> {
    let attrs = req.attrs(IFADDRMSG_LEN, false)?;
    let (_, prefix, hflags, scope, index) = fields(req.payload);
    let replace = req.hdr.flags & nlm_f::EXCL == 0 && req.hdr.flags & nlm_f::REPLACE != 0;
    let flags = attrs.u32(ifa::FLAGS)?.unwrap_or(u32::from(hflags));
    if family == AF_INET {
        let label = attrs.str(ifa::LABEL, IFNAMSIZ - 1)?;
        let Some(local) = in_addr(&attrs, ifa::LOCAL)? else {
            return Err(Errno::EINVAL.into());
        };
        if prefix > 32 {
            return Err(Errno::EINVAL.into());
        }
        req.net.device(index).ok_or(Errno::ENODEV)?;
        let address = in_addr(&attrs, ifa::ADDRESS)?.unwrap_or(local);
        let broadcast = in_addr(&attrs, ifa::BROADCAST)?;
        let permanent = lifetimes(&attrs)?.1 == INFINITY_LIFE;
        let mut flags = flags & !ifa_f::PERMANENT;
        if permanent {
            flags |= ifa_f::PERMANENT;
        }
        let a = Ifaddr4 {
            local,
            address,
            prefix,
            broadcast,
            label: label.map(<[u8]>::to_vec).unwrap_or_default(),
            scope,
            flags,
            cstamp: 0,
        };
        req.net.add_addr4(index, a, replace, req.origin())?;
    } else {
        let addr = match in6_addr(&attrs, ifa::LOCAL)? {
            Some(a) => Some(a),
            None => in6_addr(&attrs, ifa::ADDRESS)?,
        };
        let Some(addr) = addr else {
            return Err(Errno::EINVAL.into());
        };
        if prefix > 128 {
            return Err(fail(Errno::EINVAL, "invalid prefix length"));
        }
        req.net.device(index).ok_or(Errno::ENODEV)?;
        let (prefered, valid) = lifetimes(&attrs)?;
        let mut flags = flags & (ifa_f::NODAD | ifa_f::NOPREFIXROUTE | 0x100 | 0x400 | 0x04 | 0x10);
        if valid == INFINITY_LIFE {
            flags |= ifa_f::PERMANENT;
        }
        let a = Ifaddr6 {
            addr,
            prefix,
            scope: scope6(&addr),
            flags,
            cstamp: 0,
            preferred_until: until(prefered),
            valid_until: until(valid),
        };
        req.net.add_addr6(index, a, replace, req.origin())?;
    }
    Ok(Reply::Done)
}

/// RTM_DELADDR.
pub(crate) fn del(req: &Request, family: u8) -> Result<Reply, Fail> {
    let attrs = req.attrs(IFADDRMSG_LEN, false)?;
    let (_, prefix, _, _, index) = fields(req.payload);
    if family == AF_INET {
        req.net.device(index).ok_or(Errno::ENODEV)?;
        let local = in_addr(&attrs, ifa::LOCAL)?;
        let label = attrs.str(ifa::LABEL, IFNAMSIZ - 1)?;
        let address = in_addr(&attrs, ifa::ADDRESS)?;
        req.net.del_addr4(
            index,
            |a| {
                local.is_none_or(|l| l == a.local)
                    && label.is_none_or(|l| l == a.label.as_slice())
                    && address.is_none_or(|x| {
                        let m = u32::from(a.mask());
                        prefix == a.prefix && u32::from(x) & m == u32::from(a.address) & m
                    })
            },
            req.origin(),
        )?;
    } else {
        let addr = match in6_addr(&attrs, ifa::LOCAL)? {
            Some(a) => Some(a),
            None => in6_addr(&attrs, ifa::ADDRESS)?,
        };
        let Some(addr) = addr else {
            return Err(Errno::EINVAL.into());
        };
        if prefix > 128 {
            return Err(Errno::EINVAL.into());
        }
        if index == 0 || req.net.device(index).is_none() {
            return Err(Errno::ENODEV.into());
        }
        req.net.del_addr6(index, addr, Some(prefix), req.origin())?;
    }
    Ok(Reply::Done)
}

/// RTM_GETADDR of one IPv6 address (IFA_ADDRESS, on ifa_index if given).
pub(crate) fn get6(req: &Request) -> Result<Reply, Fail> {
    let attrs = req.attrs(IFADDRMSG_LEN, false)?;
    let (_, _, _, _, index) = fields(req.payload);
    let addr = match in6_addr(&attrs, ifa::ADDRESS)? {
        Some(a) => a,
        None => in6_addr(&attrs, ifa::LOCAL)?.ok_or(Errno::EINVAL)?,
    };
    let st = req.net.state();
    for d in st
        .devices
        .iter()
        .filter(|d| index == 0 || d.ifindex == index)
    {
        if let Some(a) = d.addrs6.iter().find(|a| a.addr == addr) {
            let m = encode6(d.ifindex, a, rtm::NEWADDR, req.hdr.seq, req.who.portid);
            return Ok(Reply::Msgs(vec![m]));
        }
    }
    Err(Errno::EADDRNOTAVAIL.into())
}
