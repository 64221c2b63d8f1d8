//! Network cards on the command line, in UML's syntax: `ethN=tuntap,IFNAME
//! [,MAC[,HOST_IP]]` (the classic tuntap transport; UML's host address for
//! its helper is accepted and not used) and the vector driver's
//! `vecN:transport=tap,ifname=IFNAME[,mac=MAC][,depth=N]`. The guest sees
//! `ethN` or `vecN` with the MAC given, or a stable locally administered
//! one made from the interface's names.

/// The most network cards (`eth0`...`eth15`, `vec0`...`vec15`).
pub const MAX_NIC: usize = 16;

/// One network card.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NicSpec {
    /// The guest's name of the card: `eth0`, `vec1`...
    pub name: String,
    /// The host TAP device behind it.
    pub ifname: String,
    pub mac: [u8; 6],
    /// The vector transport's queue depth (frames moved per host call).
    pub depth: usize,
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
        Some(t) => return Err(format!(
            "{word}: unknown transport '{t}' (this kernel has tuntap: eth{n}=tuntap,TAPNAME[,MAC])"
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
        ifname: ifname.to_string(),
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
        ifname: ifname.to_string(),
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
        assert_eq!((e.name.as_str(), e.ifname.as_str()), ("eth0", "tap0"));
        assert_eq!(e.mac, [0xfe, 0xfd, 0, 0, 0, 1]);
        let e = parse_eth("1", "tuntap,tap1,,192.168.0.254", "w").expect("host ip");
        assert_eq!(e.mac, default_mac("eth1", "tap1"));
        assert_eq!(e.mac[0] & 3, 2, "locally administered unicast");
        let v = parse_vec("0", "transport=tap,ifname=tap2,depth=128,gro=1", "w").expect("vec0");
        assert_eq!((v.name.as_str(), v.depth), ("vec0", 128));
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
    }
}
