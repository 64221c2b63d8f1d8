//! RTM_GETROUTE, RTM_NEWROUTE, RTM_DELROUTE and RTM_GETRULE (rtnetlink(7)):
//! routes as `struct rtmsg` with the RTA_* attributes of Linux's
//! `fib_dump_info` (IPv4) and `rt6_fill_node` (IPv6); adding and removing
//! them with the checks of `rtm_to_fib_config`, `fib_table_insert` and
//! `ip6_route_add`; `ip route get` (a lookup answered as a cloned route);
//! and the default policy rules (local, main, default), which this kernel
//! has and cannot change.

use super::msg::{self, nlm_f, Builder};
use super::rtnl::{fail, rtm, Fail, Reply, Request, AF_INET, AF_INET6, AF_UNSPEC};
use crate::net::device::{mask4, mask6, scope, DeviceKind};
use crate::net::route::{
    rtn, Route, IP6_RT_PRIO_USER, RTPROT_KERNEL, RT_TABLE_LOCAL, RT_TABLE_MAIN,
};
use arch::Errno;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// `sizeof(struct rtmsg)`.
pub(crate) const RTMSG_LEN: usize = 12;

/// `RTA_*` attribute types.
pub(crate) mod rta {
    pub(crate) const DST: u16 = 1;
    pub(crate) const SRC: u16 = 2;
    pub(crate) const IIF: u16 = 3;
    pub(crate) const OIF: u16 = 4;
    pub(crate) const GATEWAY: u16 = 5;
    pub(crate) const PRIORITY: u16 = 6;
    pub(crate) const PREFSRC: u16 = 7;
    pub(crate) const CACHEINFO: u16 = 12;
    pub(crate) const TABLE: u16 = 15;
    pub(crate) const MARK: u16 = 16;
    pub(crate) const PREF: u16 = 20;
    pub(crate) const UID: u16 = 25;
    pub(crate) const IP_PROTO: u16 = 27;
    pub(crate) const SPORT: u16 = 28;
    pub(crate) const DPORT: u16 = 29;
}

/// `RTM_F_*` and `RTCF_LOCAL`: route message flags.
const RTM_F_NOTIFY: u32 = 0x100;
const RTM_F_CLONED: u32 = 0x200;
const RTM_F_PREFIX: u32 = 0x800;
const RTM_F_LOOKUP_TABLE: u32 = 0x1000;
const RTM_F_FIB_MATCH: u32 = 0x2000;
const RTCF_LOCAL: u32 = 0x8000_0000;
/// `RT_TABLE_COMPAT`: what rtm_table says for a table id above 255.
const RT_TABLE_COMPAT: u32 = 252;
const RT_TABLE_DEFAULT: u32 = 253;

/// Returns the address bytes of `a`.
fn octets(a: &IpAddr) -> Vec<u8> {
    match a {
        IpAddr::V4(a) => a.octets().to_vec(),
        IpAddr::V6(a) => a.octets().to_vec(),
    }
}

/// Returns `struct rtmsg`.
#[allow(clippy::too_many_arguments)]
fn header(
    family: u8,
    dst_len: u8,
    src_len: u8,
    tos: u8,
    table: u32,
    protocol: u8,
    scope: u8,
    kind: u8,
    flags: u32,
) -> [u8; RTMSG_LEN] {
    let t = if table < 256 { table } else { RT_TABLE_COMPAT };
    let mut h = [
        family, dst_len, src_len, tos, t as u8, protocol, scope, kind, 0, 0, 0, 0,
    ];
    h[8..12].copy_from_slice(&flags.to_ne_bytes());
    h
}

/// Returns the RTM_NEWROUTE/RTM_DELROUTE message of route `r`.
pub(crate) fn encode(
    r: &Route,
    expires: Option<std::time::Instant>,
    ty: u16,
    seq: u32,
    pid: u32,
) -> Vec<u8> {
    let mut b = Builder::new(ty, 0, seq, pid);
    let family = if r.is_v6() { AF_INET6 } else { AF_INET };
    b.put(&header(
        family,
        r.dst_len,
        0,
        r.tos,
        r.table,
        r.protocol,
        crate::net::route::scope_of(r),
        r.kind,
        0,
    ));
    b.u32(rta::TABLE, r.table);
    if r.dst_len > 0 {
        b.attr(rta::DST, &octets(&r.dst));
    }
    if !r.is_v6() && r.priority != 0 {
        b.u32(rta::PRIORITY, r.priority);
    }
    if let Some(s) = &r.prefsrc {
        b.attr(rta::PREFSRC, &octets(s));
    }
    if let Some(g) = &r.gateway {
        b.attr(rta::GATEWAY, &octets(g));
    }
    if r.oif != 0 {
        b.u32(rta::OIF, r.oif as u32);
    }
    if r.is_v6() {
        // `struct rta_cacheinfo`: rta_expires in clock ticks (USER_HZ 100).
        let mut cache = [0u8; 32];
        if let Some(t) = expires {
            let left = t.saturating_duration_since(std::time::Instant::now());
            let ticks = (left.as_millis() / 10).min(i32::MAX as u128) as i32;
            cache[8..12].copy_from_slice(&ticks.to_ne_bytes());
        }
        b.u32(rta::PRIORITY, r.priority)
            .attr(rta::CACHEINFO, &cache)
            .u8(rta::PREF, 0);
    }
    b.finish()
}

/// The fields of a request's rtmsg.
struct RtMsg {
    dst_len: u8,
    src_len: u8,
    tos: u8,
    table: u32,
    protocol: u8,
    scope: u8,
    kind: u8,
    flags: u32,
}

fn rtmsg(p: &[u8]) -> RtMsg {
    let h: [u8; RTMSG_LEN] = msg::field(p, 0);
    RtMsg {
        dst_len: h[1],
        src_len: h[2],
        tos: h[3],
        table: u32::from(h[4]),
        protocol: h[5],
        scope: h[6],
        kind: h[7],
        flags: u32::from_ne_bytes(msg::field(&h, 8)),
    }
}

/// Returns an address attribute of `family`: IPv4 needs 4 bytes (ERANGE),
/// IPv6 the prefix's bytes of 16 (EINVAL), as Linux's two parsers check.
fn addr_attr(attrs: &msg::Attrs, ty: u16, family: u8, plen: u8) -> Result<Option<IpAddr>, Fail> {
    let Some(v) = attrs.get(ty) else {
        return Ok(None);
    };
    if family == AF_INET {
        let b = v.get(..4).ok_or(Errno::ERANGE)?;
        Ok(Some(IpAddr::V4(Ipv4Addr::new(b[0], b[1], b[2], b[3]))))
    } else {
        let need = usize::from(plen).div_ceil(8);
        if v.len() < need {
            return Err(Errno::EINVAL.into());
        }
        let mut o = [0u8; 16];
        let n = v.len().min(16);
        o[..n].copy_from_slice(&v[..n]);
        Ok(Some(IpAddr::V6(Ipv6Addr::from(o))))
    }
}

/// RTM_GETROUTE with NLM_F_DUMP: the routes of `family` (all for
/// AF_UNSPEC), filtered by table, protocol, type and device as a strict
/// request asks.
pub(crate) fn dump(req: &Request, family: u8) -> Result<Reply, Fail> {
    let (mut table, mut protocol, mut kind, mut oif) = (0, 0, 0, 0);
    if req.who.strict {
        if req.payload.len() < RTMSG_LEN {
            return Err(fail(Errno::EINVAL, "invalid header for FIB dump request"));
        }
        let h = rtmsg(req.payload);
        if h.dst_len != 0 || h.src_len != 0 || h.tos != 0 || h.scope != 0 {
            return Err(fail(
                Errno::EINVAL,
                "invalid values in header for FIB dump request",
            ));
        }
        if h.flags & !(RTM_F_CLONED | RTM_F_PREFIX) != 0 {
            return Err(fail(Errno::EINVAL, "invalid flags for FIB dump request"));
        }
        if h.flags & RTM_F_CLONED != 0 {
            // Only cached clones, of which this kernel keeps none.
            return Ok(Reply::Dump(Vec::new()));
        }
        let attrs = req.attrs(RTMSG_LEN, true)?;
        if attrs.types().any(|t| t != rta::TABLE && t != rta::OIF) {
            return Err(fail(Errno::EINVAL, "unsupported attribute in dump request"));
        }
        (table, protocol, kind) = (h.table, h.protocol, h.kind);
        if let Some(t) = attrs.u32(rta::TABLE)? {
            table = t;
        }
        if let Some(i) = attrs.u32(rta::OIF)? {
            oif = i as i32;
            req.net.device(oif).ok_or(Errno::ENODEV)?;
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
    let keep = |r: &&Route| {
        (if r.is_v6() { v6 } else { v4 })
            && (table == 0 || r.table == table)
            && (protocol == 0 || r.protocol == protocol)
            && (kind == 0 || r.kind == kind)
            && (oif == 0 || r.oif == oif)
    };
    // Linux walks the IPv4 tables (local before main), then IPv6 (main first).
    let mut routes: Vec<&Route> = st.routes.iter().filter(keep).collect();
    routes.sort_by_key(|r| {
        let t = match (r.is_v6(), r.table) {
            (false, RT_TABLE_LOCAL) => 0,
            (false, _) => 1,
            (true, RT_TABLE_MAIN) => 2,
            (true, _) => 3,
        };
        (t, r.table, sort_key(r))
    });
    let msgs = routes
        .into_iter()
        .map(|r| {
            encode(
                r,
                st.route_expires(r),
                rtm::NEWROUTE,
                req.hdr.seq,
                req.who.portid,
            )
        })
        .collect();
    Ok(Reply::Dump(msgs))
}

/// Orders routes as Linux's tries list them: by destination, then prefix.
fn sort_key(r: &Route) -> (u128, u8, u32) {
    let d = match r.dst {
        IpAddr::V4(a) => u128::from(u32::from(a)),
        IpAddr::V6(a) => u128::from(a),
    };
    (d, r.dst_len, r.priority)
}

/// Builds the route a RTM_NEWROUTE or RTM_DELROUTE describes.
fn parse(req: &Request, family: u8) -> Result<(Route, RtMsg), Fail> {
    let attrs = req.attrs(RTMSG_LEN, false)?;
    let h = rtmsg(req.payload);
    let max = if family == AF_INET { 32 } else { 128 };
    if h.dst_len > max {
        return Err(fail(Errno::EINVAL, "invalid prefix length"));
    }
    if h.kind > rtn::MAX {
        return Err(fail(Errno::EINVAL, "invalid route type"));
    }
    let dst = addr_attr(&attrs, rta::DST, family, h.dst_len)?;
    let unspecified = if family == AF_INET {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    };
    let mut dst = dst.unwrap_or(unspecified);
    match dst {
        IpAddr::V4(a) => {
            let m = u32::from(mask4(h.dst_len));
            if u32::from(a) & !m != 0 {
                return Err(fail(
                    Errno::EINVAL,
                    "invalid prefix for given prefix length",
                ));
            }
        }
        IpAddr::V6(a) => {
            dst = IpAddr::V6(Ipv6Addr::from(u128::from(a) & u128::from(mask6(h.dst_len))));
        }
    }
    let gateway = addr_attr(&attrs, rta::GATEWAY, family, max)?;
    let prefsrc = addr_attr(&attrs, rta::PREFSRC, family, max)?;
    let oif = attrs.u32(rta::OIF)?.unwrap_or(0) as i32;
    let table = attrs.u32(rta::TABLE)?.unwrap_or(h.table);
    let priority = attrs.u32(rta::PRIORITY)?;
    let r = Route {
        dst,
        dst_len: h.dst_len,
        tos: h.tos,
        table: if table == 0 { RT_TABLE_MAIN } else { table },
        protocol: h.protocol,
        scope: h.scope,
        kind: h.kind,
        gateway,
        oif,
        prefsrc,
        priority: priority.unwrap_or(0),
    };
    Ok((r, h))
}

/// Returns the scope Linux requires at least of a route of `kind`
/// (`fib_props`): a route may not claim a wider one.
fn min_scope(kind: u8) -> u8 {
    match kind {
        rtn::LOCAL => scope::HOST,
        rtn::BROADCAST | rtn::ANYCAST | rtn::MULTICAST => scope::LINK,
        rtn::UNSPEC
        | rtn::UNICAST
        | rtn::BLACKHOLE
        | rtn::UNREACHABLE
        | rtn::PROHIBIT
        | rtn::THROW => scope::UNIVERSE,
        _ => scope::NOWHERE,
    }
}

/// RTM_NEWROUTE.
pub(crate) fn new(req: &Request, family: u8) -> Result<Reply, Fail> {
    let (mut r, _) = parse(req, family)?;
    let net = req.net;
    let flags = req.hdr.flags;
    if r.kind == rtn::UNSPEC {
        r.kind = rtn::UNICAST;
    }
    let needs_dev = matches!(
        r.kind,
        rtn::UNICAST | rtn::LOCAL | rtn::BROADCAST | rtn::ANYCAST | rtn::MULTICAST
    );
    if family == AF_INET {
        if min_scope(r.kind) > r.scope {
            return Err(fail(Errno::EINVAL, "invalid scope"));
        }
    } else {
        r.scope = scope::UNIVERSE;
        if r.priority == 0 {
            r.priority = IP6_RT_PRIO_USER;
        }
    }
    if needs_dev {
        if r.oif != 0 {
            let dev = net.device(r.oif).ok_or(Errno::ENODEV)?;
            if !dev.is_up() {
                return Err(fail(Errno::ENETDOWN, "nexthop device is not up"));
            }
        } else if let Some(gw) = r.gateway {
            let st = net.state();
            let via = crate::net::route::lookup(&st.routes, gw);
            match via {
                Some(v) if v.gateway.is_none() && matches!(v.kind, rtn::UNICAST | rtn::LOCAL) => {
                    r.oif = v.oif;
                }
                _ if family == AF_INET6 => return Err(Errno::EHOSTUNREACH.into()),
                _ => return Err(fail(Errno::ENETUNREACH, "nexthop has invalid gateway")),
            }
        } else {
            return Err(fail(Errno::ENODEV, "nexthop device required"));
        }
        if family == AF_INET6 && r.gateway.is_some() {
            let lo = net
                .device(r.oif)
                .is_some_and(|d| d.kind == DeviceKind::Loopback);
            if lo {
                return Err(Errno::EHOSTUNREACH.into());
            }
        }
    }
    if let Some(src) = r.prefsrc {
        let local = net.local_addrs().iter().any(|(a, _, _)| *a == src);
        if !local {
            return Err(fail(Errno::EINVAL, "invalid prefsrc address"));
        }
    }
    net.add_route(
        r,
        flags & nlm_f::CREATE != 0,
        flags & nlm_f::EXCL != 0,
        flags & nlm_f::REPLACE != 0,
        req.origin(),
    )?;
    Ok(Reply::Done)
}

/// RTM_DELROUTE: the first route matching every field the request gives
/// (ESRCH if none).
pub(crate) fn del(req: &Request, family: u8) -> Result<Reply, Fail> {
    let (want, h) = parse(req, family)?;
    let prio_given = want.priority != 0;
    req.net.del_route(
        |r| {
            r.is_v6() == (family == AF_INET6)
                && r.table == want.table
                && r.dst == want.dst
                && r.dst_len == want.dst_len
                && r.tos == want.tos
                && (h.kind == 0 || r.kind == h.kind)
                && (family == AF_INET6 || h.scope == scope::NOWHERE || r.scope == h.scope)
                && (h.protocol == 0 || r.protocol == h.protocol)
                && want.prefsrc.is_none_or(|s| r.prefsrc == Some(s))
                && want.gateway.is_none_or(|g| r.gateway == Some(g))
                && (want.oif == 0 || r.oif == want.oif)
                && (!prio_given || r.priority == want.priority)
        },
        req.origin(),
    )?;
    Ok(Reply::Done)
}

/// RTM_GETROUTE of one destination (`ip route get`): the route a packet
/// to RTA_DST would take, as a cloned route with its output device and
/// source (ENETUNREACH without one).
pub(crate) fn get(req: &Request, family: u8) -> Result<Reply, Fail> {
    let h = rtmsg(req.payload);
    let max = if family == AF_INET { 32 } else { 128 };
    let attrs = if req.who.strict {
        if req.payload.len() < RTMSG_LEN {
            return Err(fail(Errno::EINVAL, "invalid header for route get request"));
        }
        let bad_len = |l: u8| l != 0 && l != max;
        if bad_len(h.src_len)
            || bad_len(h.dst_len)
            || h.table != 0
            || h.protocol != 0
            || h.scope != 0
            || h.kind != 0
        {
            return Err(fail(
                Errno::EINVAL,
                "invalid values in header for route get request",
            ));
        }
        if h.flags & !(RTM_F_NOTIFY | RTM_F_LOOKUP_TABLE | RTM_F_FIB_MATCH) != 0 {
            return Err(fail(Errno::EINVAL, "invalid flags for route get request"));
        }
        let attrs = req.attrs(RTMSG_LEN, true)?;
        let allowed = [
            rta::IIF,
            rta::OIF,
            rta::SRC,
            rta::DST,
            rta::IP_PROTO,
            rta::SPORT,
            rta::DPORT,
            rta::MARK,
            rta::UID,
        ];
        if attrs.types().any(|t| !allowed.contains(&t)) {
            return Err(fail(
                Errno::EINVAL,
                "unsupported attribute in route get request",
            ));
        }
        attrs
    } else {
        req.attrs(RTMSG_LEN, false)?
    };
    let unspecified = if family == AF_INET {
        IpAddr::V4(Ipv4Addr::UNSPECIFIED)
    } else {
        IpAddr::V6(Ipv6Addr::UNSPECIFIED)
    };
    let dst = addr_attr(&attrs, rta::DST, family, max)?.unwrap_or(unspecified);
    let src = addr_attr(&attrs, rta::SRC, family, max)?;
    let net = req.net;
    let st = net.state();
    let r = crate::net::route::lookup(&st.routes, dst)
        .cloned()
        .ok_or(Errno::ENETUNREACH)?;
    drop(st);
    let (oif, pref) = net.route(dst).ok_or(Errno::ENETUNREACH)?;
    let mut b = Builder::new(rtm::NEWROUTE, 0, req.hdr.seq, req.who.portid);
    if family == AF_INET {
        let lo = net
            .device(oif)
            .is_some_and(|d| d.kind == DeviceKind::Loopback);
        let mut flags = RTM_F_CLONED;
        if r.kind == rtn::LOCAL || lo {
            flags |= RTCF_LOCAL;
        }
        // A local destination's answer names no table (Linux's output
        // route for it comes from no FIB entry).
        let table = match (h.flags & RTM_F_LOOKUP_TABLE != 0, r.kind) {
            (true, rtn::LOCAL) => 0,
            (true, _) => r.table,
            (false, _) => RT_TABLE_MAIN,
        };
        let src_len = if src.is_some() { 32 } else { 0 };
        b.put(&header(
            AF_INET, 32, src_len, h.tos, table, 0, 0, r.kind, flags,
        ));
        b.u32(rta::TABLE, table).attr(rta::DST, &octets(&dst));
        if let Some(s) = &src {
            b.attr(rta::SRC, &octets(s));
        }
        b.u32(rta::OIF, oif as u32);
        if src.is_none() {
            b.attr(rta::PREFSRC, &octets(&pref));
        }
        if let Some(g) = &r.gateway {
            b.attr(rta::GATEWAY, &octets(g));
        }
        b.u32(rta::UID, req.who.uid)
            .attr(rta::CACHEINFO, &[0u8; 32]);
    } else {
        b.put(&header(
            AF_INET6, 128, 128, 0, r.table, r.protocol, 0, r.kind, 0,
        ));
        let from = src.unwrap_or(unspecified);
        b.u32(rta::TABLE, r.table)
            .attr(rta::DST, &octets(&dst))
            .attr(rta::SRC, &octets(&from))
            .attr(rta::PREFSRC, &octets(&pref));
        if let Some(g) = &r.gateway {
            b.attr(rta::GATEWAY, &octets(g));
        }
        b.u32(rta::OIF, oif as u32)
            .u32(rta::PRIORITY, r.priority)
            .attr(rta::CACHEINFO, &[0u8; 32])
            .u8(rta::PREF, 0);
    }
    Ok(Reply::Msgs(vec![b.finish()]))
}

/// `FRA_*`: rule attributes.
const FRA_PRIORITY: u16 = 6;
const FRA_TABLE: u16 = 15;
const FRA_SUPPRESS_PREFIXLEN: u16 = 14;
const FRA_PROTOCOL: u16 = 21;
/// `FR_ACT_TO_TBL`: a rule that looks a table up.
const FR_ACT_TO_TBL: u8 = 1;

/// RTM_GETRULE with NLM_F_DUMP: Linux's default rules, which are the only
/// ones here (IPv4: local, main, default; IPv6: local, main).
pub(crate) fn dump_rules(req: &Request, family: u8) -> Result<Reply, Fail> {
    let v4: &[(u32, u32)] = &[
        (0, RT_TABLE_LOCAL),
        (32766, RT_TABLE_MAIN),
        (32767, RT_TABLE_DEFAULT),
    ];
    let v6: &[(u32, u32)] = &[(0, RT_TABLE_LOCAL), (32766, RT_TABLE_MAIN)];
    let families: Vec<(u8, &[(u32, u32)])> = match family {
        AF_UNSPEC => vec![(AF_INET, v4), (AF_INET6, v6)],
        AF_INET => vec![(AF_INET, v4)],
        AF_INET6 => vec![(AF_INET6, v6)],
        _ => return Err(Errno::EAFNOSUPPORT.into()),
    };
    let mut msgs = Vec::new();
    for (fam, rules) in families {
        for &(pref, table) in rules {
            let mut b = Builder::new(rtm::NEWRULE, 0, req.hdr.seq, req.who.portid);
            b.put(&[fam, 0, 0, 0, table as u8, 0, 0, FR_ACT_TO_TBL, 0, 0, 0, 0]);
            b.u32(FRA_TABLE, table)
                .u32(FRA_SUPPRESS_PREFIXLEN, u32::MAX)
                .u8(FRA_PROTOCOL, RTPROT_KERNEL);
            if pref != 0 {
                b.u32(FRA_PRIORITY, pref);
            }
            msgs.push(b.finish());
        }
    }
    Ok(Reply::Dump(msgs))
}
