//! Network cards on the command line, in UML's syntax: `ethN=tuntap,IFNAME
//! [,MAC[,HOST_IP]]` (the classic tuntap transport; UML's host address for
//! its helper is accepted and not used) and the vector driver's
//! `vecN:transport=tap,ifname=IFNAME[,mac=MAC][,depth=N]`; and user-mode
//! networking without privilege, `ethN=user[,mac=MAC][,hostfwd=RULE]...`
//! with QEMU's port forwards (`hostfwd=tcp::2222-:22`,
//! `hostfwd=udp:127.0.0.1:5353-:53`). The guest sees `ethN` or `vecN` with
//! the MAC given, or a stable locally administered one made from the
//! card's names.

use std::net::IpAddr;

/// The most network cards (`eth0`...`eth15`, `vec0`...`vec15`).
pub const MAX_NIC: usize = 16;

/// One network card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NicSpec {
    /// The guest's name of the card: `eth0`, `vec1`...
    pub name: String,
    /// What carries its frames.
    pub transport: Transport,
    pub mac: [u8; 6],
    /// The vector transport's queue depth (frames moved per host call).
    pub depth: usize,
}

/// What carries a card's frames.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Transport {
    /// A host TAP device.
    Tap { ifname: String },
    /// User-mode networking (passt), with its port forwards.
    User { forwards: Vec<Forward> },
}

/// A host port forwarded to the guest (`hostfwd=`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Forward {
    pub udp: bool,
    /// The host address bound; None binds every one.
    pub host_addr: Option<IpAddr>,
    pub host_port: u16,
    pub guest_port: u16,
}

impl Forward {
    /// Returns passt's options for the forward (`-t [ADDR/]PORT:PORT`).
    pub fn passt_args(&self) -> [String; 2] {
        let flag = if self.udp { "-u" } else { "-t" };
        let addr = self.host_addr.map_or(String::new(), |a| format!("{a}/"));
        [
            flag.to_string(),
            format!("{addr}{}:{}", self.host_port, self.guest_port),
        ]
    }
}

/// Parses QEMU's `[tcp|udp]:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT`.
fn parse_forward(rule: &str) -> Result<Forward, String> {
    let bad = |why: &str| {
        format!("hostfwd={rule}: {why} (as tcp:[HOSTADDR]:HOSTPORT-[GUESTADDR]:GUESTPORT)")
    };
    let (proto, rest) = rule.split_once(':').ok_or_else(|| bad("no protocol"))?;
    let udp = match proto {
        "tcp" | "" => false,
        "udp" => true,
        _ => return Err(bad("the protocol is tcp or udp")),
    };
    let (host, guest) = rest.split_once('-').ok_or_else(|| bad("no '-'"))?;
    let (haddr, hport) = host.rsplit_once(':').ok_or_else(|| bad("no host port"))?;
    let (_gaddr, gport) = guest.rsplit_once(':').ok_or_else(|| bad("no guest port"))?;
    let port = |p: &str| p.parse::<u16>().ok().filter(|p| *p != 0);
    let host_port = port(hport).ok_or_else(|| bad("bad host port"))?;
    let guest_port = port(gport).ok_or_else(|| bad("bad guest port"))?;
    let host_addr = match haddr {
        "" => None,
        a => Some(a.parse::<IpAddr>().map_err(|_| bad("bad host address"))?),
    };
    Ok(Forward {
        udp,
        host_addr,
        host_port,
        guest_port,
    })
}

/// Parses `ethN=user[,OPTIONS]`.
fn parse_user(
    name: String,
    mut parts: std::str::Split<'_, char>,
    word: &str,
) -> Result<NicSpec, String> {
    let mut forwards = Vec::new();
    let mut mac = None;
    for opt in parts.by_ref() {
        let (k, v) = opt
            .split_once('=')
            .ok_or_else(|| format!("{word}: '{opt}' is not KEY=VALUE"))?;
        match k {
            "hostfwd" => forwards.push(parse_forward(v).map_err(|e| format!("{word}: {e}"))?),
            "mac" => mac = Some(parse_mac(v).map_err(|e| format!("{word}: {e}"))?),
            _ => {
                return Err(format!(
                    "{word}: unknown option '{k}' (user takes hostfwd= and mac=)"
                ))
            }
        }
    }
    Ok(NicSpec {
        mac: mac.unwrap_or_else(|| default_mac(&name, "user")),
        name,
        transport: Transport::User { forwards },
        depth: DEFAULT_DEPTH,
    })
}

/// The frames a transport moves per host call when `depth=` is not given.
pub const DEFAULT_DEPTH: usize = 64;

/// Parses a MAC address `aa:bb:cc:dd:ee:ff` (one or two hex digits each, as
/// UML takes them): a multicast one is refused.
pub fn parse_mac(s: &str) -> Result<[u8; 6], String> {
    let bad = || format!("'{s}' is not a MAC address (six hex bytes, aa:bb:cc:dd:ee:ff)");
    let parts: Vec<&str> = s.split(':').collect();
    if parts.len() != 6 {
        return Err(bad());
    }
    let mut mac = [0u8; 6];
    for (m, p) in mac.iter_mut().zip(&parts) {
        if p.is_empty() || p.len() > 2 {
            return Err(bad());
        }
        *m = u8::from_str_radix(p, 16).map_err(|_| bad())?;
    }
    if mac[0] & 1 != 0 {
        return Err(format!("'{s}' is a multicast address, not a card's"));
    }
    Ok(mac)
}

/// Returns the stable locally administered MAC of card `name` on `ifname`
/// (the same every boot with the same command line).
pub fn default_mac(name: &str, ifname: &str) -> [u8; 6] {
    // FNV-1a over both names.
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for b in name.bytes().chain([0]).chain(ifname.bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x100_0000_01b3);
    }
    let b = h.to_be_bytes();
    // Locally administered, unicast.
    [(b[0] & 0xfc) | 0x02, b[1], b[2], b[3], b[4], b[5]]
}

/// Returns the card number of `ethN`/`vecN` from its digits.
fn number(kind: &str, digits: &str, word: &str) -> Result<usize, String> {
    digits
        .parse::<usize>()
        .ok()
        .filter(|n| *n < MAX_NIC && !digits.starts_with('+'))
        .ok_or_else(|| format!("{word}: expected {kind}0 ... {kind}{}", MAX_NIC - 1))
}

/// Parses `ethN=VALUE` (`digits` is N).
pub fn parse_eth(digits: &str, value: &str, word: &str) -> Result<NicSpec, String> {
    let n = number("eth", digits, word)?;
    let name = format!("eth{n}");
    let mut parts = value.split(',');
    match parts.next() {
        Some("tuntap") => {}
        Some("user") => return parse_user(name, parts, word),
        Some(t) => return Err(format!(
            "{word}: unknown transport '{t}' (use eth{n}=tuntap,TAPNAME[,MAC] or eth{n}=user[,hostfwd=...])"
        )),
        None => unreachable!("split gives one part at least"),
    }
    let ifname = parts.next().unwrap_or("");
    if ifname.is_empty() {
        return Err(format!(
            "{word}: name the host TAP device (eth{n}=tuntap,TAPNAME[,MAC])"
        ));
    }
    check_ifname(ifname, word)?;
    let mac = match parts.next() {
        Some(m) if !m.is_empty() => parse_mac(m).map_err(|e| format!("{word}: {e}"))?,
        _ => default_mac(&name, ifname),
    };
    // UML's fourth field, the host side's address for its helper, is not used.
    if parts.nth(1).is_some() {
        return Err(format!("{word}: too many fields"));
    }
    Ok(NicSpec {
        name,
        transport: Transport::Tap {
            ifname: ifname.to_string(),
        },
        mac,
        depth: DEFAULT_DEPTH,
    })
}

/// Parses `vecN:OPTIONS` (`digits` is N, `options` what follows the colon).
pub fn parse_vec(digits: &str, options: &str, word: &str) -> Result<NicSpec, String> {
    let n = number("vec", digits, word)?;
    let name = format!("vec{n}");
    let (mut transport, mut ifname, mut mac, mut depth) = (None, None, None, DEFAULT_DEPTH);
    for opt in options.split(',') {
        let (k, v) = opt
            .split_once('=')
            .ok_or_else(|| format!("{word}: '{opt}' is not KEY=VALUE"))?;
        match k {
            "transport" => transport = Some(v),
            "ifname" => ifname = Some(v),
            "mac" => mac = Some(parse_mac(v).map_err(|e| format!("{word}: {e}"))?),
            "depth" => {
                depth = v
                    .parse::<usize>()
                    .ok()
                    .filter(|d| (1..=1024).contains(d))
                    .ok_or_else(|| format!("{word}: depth={v}: expected 1 ... 1024"))?
            }
            // UML's offload and queue options; this transport decides itself.
            "gro" | "vnet_hdr" | "headroom" | "qdisc_bypass" => {}
            _ => return Err(format!("{word}: unknown option '{k}'")),
        }
    }
    match transport {
        Some("tap") => {}
        Some(t) => {
            return Err(format!(
                "{word}: unknown transport '{t}' (this kernel has tap: vec{n}:transport=tap,ifname=TAPNAME)"
            ))
        }
        None => return Err(format!("{word}: missing transport=tap")),
    }
    let ifname = ifname.ok_or_else(|| format!("{word}: missing ifname=TAPNAME"))?;
    check_ifname(ifname, word)?;
    Ok(NicSpec {
        mac: mac.unwrap_or_else(|| default_mac(&name, ifname)),
        name,
        transport: Transport::Tap {
            ifname: ifname.to_string(),
        },
        depth,
    })
}

/// Checks a host interface name: 1 to 15 bytes, no '/', blank or ':'.
fn check_ifname(ifname: &str, word: &str) -> Result<(), String> {
    let ok = !ifname.is_empty()
        && ifname.len() < 16
        && !ifname.contains(['/', ' ', ':', '\0'])
        && ifname != "."
        && ifname != "..";
    if ok {
        Ok(())
    } else {
        Err(format!("{word}: '{ifname}' is not a host interface name"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uml_syntaxes() {
        let e = parse_eth("0", "tuntap,tap0,fe:fd:0:0:0:1", "w").expect("eth0");
        assert_eq!(e.name, "eth0");
        assert_eq!(
            e.transport,
            Transport::Tap {
                ifname: "tap0".into()
            }
        );
        assert_eq!(e.mac, [0xfe, 0xfd, 0, 0, 0, 1]);
        let e = parse_eth("1", "tuntap,tap1,,192.168.0.254", "w").expect("host ip");
        assert_eq!(e.mac, default_mac("eth1", "tap1"));
        assert_eq!(e.mac[0] & 3, 2, "locally administered unicast");
        let v = parse_vec("0", "transport=tap,ifname=tap2,depth=128,gro=1", "w").expect("vec0");
        assert_eq!((v.name.as_str(), v.depth), ("vec0", 128));
        let u = parse_eth(
            "0",
            "user,hostfwd=tcp::2222-:22,hostfwd=udp:127.0.0.1:5353-10.0.2.15:53",
            "w",
        )
        .expect("user");
        let Transport::User { forwards } = u.transport else {
            panic!("not user: {u:?}");
        };
        assert_eq!(
            forwards[0].passt_args(),
            ["-t".to_string(), "2222:22".into()]
        );
        assert_eq!(
            forwards[1].passt_args(),
            ["-u".to_string(), "127.0.0.1/5353:53".into()]
        );
    }

    #[test]
    fn bad_words_say_why() {
        let err = |r: Result<NicSpec, String>| r.expect_err("refused");
        assert!(err(parse_eth("0", "pcap,x", "w")).contains("unknown transport 'pcap'"));
        assert!(err(parse_eth("0", "tuntap", "w")).contains("name the host TAP"));
        assert!(err(parse_eth("0", "tuntap,tap0,zz:1:2:3:4:5", "w")).contains("not a MAC"));
        assert!(err(parse_eth("0", "tuntap,tap0,1:1:2:3:4:5", "w")).contains("multicast"));
        assert!(err(parse_eth("16", "tuntap,tap0", "w")).contains("eth0 ... eth15"));
        assert!(err(parse_eth("0", "tuntap,a/b", "w")).contains("not a host interface"));
        assert!(err(parse_vec("0", "transport=raw,ifname=x", "w")).contains("unknown transport"));
        assert!(err(parse_vec("0", "ifname=x", "w")).contains("missing transport"));
        assert!(err(parse_vec("0", "transport=tap", "w")).contains("missing ifname"));
        assert!(err(parse_vec("0", "transport=tap,ifname=x,depth=0", "w")).contains("depth"));
        assert!(err(parse_eth("0", "user,hostfwd=sctp::1-:2", "w")).contains("tcp or udp"));
        assert!(err(parse_eth("0", "user,hostfwd=tcp::0-:2", "w")).contains("bad host port"));
        assert!(
            err(parse_eth("0", "user,hostfwd=tcp:nohost:1-:2", "w")).contains("bad host address")
        );
        assert!(err(parse_eth("0", "user,dns=1.1.1.1", "w")).contains("unknown option"));
    }
}
