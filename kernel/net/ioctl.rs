//! The interface ioctls every socket takes (netdevice(7)): `struct ifreq`
//! requests by interface name — flags, IPv4 address, netmask, broadcast
//! and destination address, MTU, hardware address, index, name, queue
//! length, metric, map — and SIOCGIFCONF's list of IPv4 addresses, as
//! Linux's `dev_ioctl` and `devinet_ioctl` answer them. Setting needs
//! CAP_NET_ADMIN (root here: EPERM otherwise); an unknown interface is
//! ENODEV, an interface without the IPv4 address asked for EADDRNOTAVAIL,
//! an unknown request ENOTTY (socket families try theirs first).

use super::device::{ifa_f, iff, mask4, scope, Ifaddr4, IFNAMSIZ};
use super::{Net, Origin};
use arch::{Errno, Result};
use fs::UserMemory;
use std::net::Ipv4Addr;

const SIOCGIFNAME: u32 = 0x8910;
const SIOCGIFCONF: u32 = 0x8912;
const SIOCGIFFLAGS: u32 = 0x8913;
const SIOCSIFFLAGS: u32 = 0x8914;
const SIOCGIFADDR: u32 = 0x8915;
const SIOCSIFADDR: u32 = 0x8916;
const SIOCGIFDSTADDR: u32 = 0x8917;
const SIOCGIFBRDADDR: u32 = 0x8919;
const SIOCGIFNETMASK: u32 = 0x891b;
const SIOCSIFNETMASK: u32 = 0x891c;
const SIOCGIFMETRIC: u32 = 0x891d;
const SIOCGIFMTU: u32 = 0x8921;
const SIOCSIFMTU: u32 = 0x8922;
const SIOCSIFNAME: u32 = 0x8923;
const SIOCGIFHWADDR: u32 = 0x8927;
const SIOCGIFINDEX: u32 = 0x8933;
const SIOCGIFTXQLEN: u32 = 0x8942;
const SIOCSIFTXQLEN: u32 = 0x8943;
const SIOCGIFMAP: u32 = 0x8970;

/// `sizeof(struct ifreq)` and `sizeof(struct ifconf)`.
const IFREQ_LEN: usize = 40;
const IFCONF_LEN: usize = 16;
/// Where the union of `struct ifreq` starts.
const IFR_DATA: usize = IFNAMSIZ;
/// `AF_INET` in a sockaddr.
const AF_INET: u16 = 2;

/// Returns whether the caller has CAP_NET_ADMIN.
fn admin() -> bool {
    crate::capability::capable(arch::abi::capability::CAP_NET_ADMIN)
}

/// Returns the name in an ifreq, up to its NUL (the 16th byte is one).
fn ifr_name(req: &[u8; IFREQ_LEN]) -> Vec<u8> {
    let n = &req[..IFNAMSIZ - 1];
    n[..n.iter().position(|&c| c == 0).unwrap_or(n.len())].to_vec()
}

/// Returns a `struct sockaddr_in` of `a` (16 bytes).
fn sockaddr_in(a: Ipv4Addr) -> [u8; 16] {
    let mut s = [0u8; 16];
    s[0..2].copy_from_slice(&AF_INET.to_ne_bytes());
    s[4..8].copy_from_slice(&a.octets());
    s
}

/// Returns the IPv4 address of the sockaddr in an ifreq (EINVAL if it is
/// not AF_INET).
fn ifr_addr(req: &[u8; IFREQ_LEN]) -> Result<Ipv4Addr> {
    let family = u16::from_ne_bytes([req[IFR_DATA], req[IFR_DATA + 1]]);
    if family != AF_INET {
        return Err(Errno::EINVAL);
    }
    let o = &req[IFR_DATA + 4..IFR_DATA + 8];
    Ok(Ipv4Addr::new(o[0], o[1], o[2], o[3]))
}

/// Returns the int of the union of an ifreq.
fn ifr_int(req: &[u8; IFREQ_LEN]) -> i32 {
    i32::from_ne_bytes(super::netlink::msg::field(req, IFR_DATA))
}

/// The requests only IPv4 sockets answer (Linux's `devinet_ioctl`).
const INET_ONLY: [u32; 6] = [
    SIOCGIFADDR,
    SIOCSIFADDR,
    SIOCGIFDSTADDR,
    SIOCGIFBRDADDR,
    SIOCGIFNETMASK,
    SIOCSIFNETMASK,
];

/// Answers the interface ioctl `cmd` with the ifreq or ifconf at `arg`, as
/// any socket does; the IPv4 address requests are ENOTTY here (an AF_INET
/// socket answers them with `devinet_ioctl`).
pub(crate) fn dev_ioctl(net: &Net, user: &dyn UserMemory, cmd: u32, arg: u64) -> Result<u64> {
    if INET_ONLY.contains(&cmd) {
        return Err(Errno::ENOTTY);
    }
    ioctl(net, user, cmd, arg, admin())
}

/// Answers the interface ioctls of an AF_INET socket: `dev_ioctl`'s and
/// the IPv4 address, netmask, broadcast and destination requests.
pub(crate) fn devinet_ioctl(net: &Net, user: &dyn UserMemory, cmd: u32, arg: u64) -> Result<u64> {
    ioctl(net, user, cmd, arg, admin())
}

/// Answers `cmd` on `net` for a caller with CAP_NET_ADMIN if `admin`.
fn ioctl(net: &Net, user: &dyn UserMemory, cmd: u32, arg: u64, admin: bool) -> Result<u64> {
    if cmd == SIOCGIFCONF {
        return ifconf(net, user, arg);
    }
    let known = [
        SIOCGIFNAME,
        SIOCGIFFLAGS,
        SIOCSIFFLAGS,
        SIOCGIFADDR,
        SIOCSIFADDR,
        SIOCGIFDSTADDR,
        SIOCGIFBRDADDR,
        SIOCGIFNETMASK,
        SIOCSIFNETMASK,
        SIOCGIFMETRIC,
        SIOCGIFMTU,
        SIOCSIFMTU,
        SIOCSIFNAME,
        SIOCGIFHWADDR,
        SIOCGIFINDEX,
        SIOCGIFTXQLEN,
        SIOCSIFTXQLEN,
        SIOCGIFMAP,
    ];
    if !known.contains(&cmd) {
        return Err(Errno::ENOTTY);
    }
    let mut req = [0u8; IFREQ_LEN];
    user.read_user(arg, &mut req)?;
    if cmd == SIOCGIFNAME {
        let name = net.name_by_ifindex(ifr_int(&req)).ok_or(Errno::ENODEV)?;
        req[..IFNAMSIZ].fill(0);
        req[..name.len()].copy_from_slice(&name);
        user.write_user(arg, &req)?;
        return Ok(0);
    }
    let setter = matches!(
        cmd,
        SIOCSIFFLAGS | SIOCSIFADDR | SIOCSIFNETMASK | SIOCSIFMTU | SIOCSIFNAME | SIOCSIFTXQLEN
    );
    if setter && !admin {
        return Err(Errno::EPERM);
    }
    let label = ifr_name(&req);
    let devname: Vec<u8> = label.split(|&c| c == b':').next().unwrap_or(&[]).to_vec();
    let ifindex = net.ifindex_by_name(&devname).ok_or(Errno::ENODEV)?;
    let dev = net.device(ifindex).ok_or(Errno::ENODEV)?;
    let addr = dev.addrs4.iter().find(|a| a.label == label).cloned();
    let mut out = [0u8; 24];
    match cmd {
        SIOCGIFFLAGS => out[..2].copy_from_slice(&(dev.flags() as u16).to_ne_bytes()),
        SIOCSIFFLAGS => {
            let flags = u32::from(u16::from_ne_bytes([req[IFR_DATA], req[IFR_DATA + 1]]));
            net.set_flags(ifindex, flags, iff::CHANGEABLE & 0xffff)?;
            return Ok(0);
        }
        SIOCGIFADDR | SIOCGIFDSTADDR | SIOCGIFBRDADDR | SIOCGIFNETMASK => {
            let a = addr.ok_or(Errno::EADDRNOTAVAIL)?;
            let v = match cmd {
                SIOCGIFADDR => a.local,
                SIOCGIFDSTADDR => a.address,
                SIOCGIFBRDADDR => a.broadcast.unwrap_or(Ipv4Addr::UNSPECIFIED),
                _ => a.mask(),
            };
            out[..16].copy_from_slice(&sockaddr_in(v));
        }
        SIOCSIFADDR => {
            set_addr(net, ifindex, &label, addr, ifr_addr(&req)?, dev.flags())?;
            return Ok(0);
        }
        SIOCSIFNETMASK => {
            let mask = ifr_addr(&req)?;
            let a = addr.ok_or(Errno::EADDRNOTAVAIL)?;
            set_mask(net, ifindex, a, mask, dev.flags())?;
            return Ok(0);
        }
        SIOCGIFMETRIC => {}
        SIOCGIFMTU => out[..4].copy_from_slice(&dev.mtu.to_ne_bytes()),
        SIOCSIFMTU => {
            let mtu = ifr_int(&req);
            let mtu = u32::try_from(mtu).map_err(|_| Errno::EINVAL)?;
            net.set_mtu(ifindex, mtu)?;
            return Ok(0);
        }
        SIOCSIFNAME => {
            let new = &req[IFR_DATA..IFR_DATA + IFNAMSIZ - 1];
            let new = &new[..new.iter().position(|&c| c == 0).unwrap_or(new.len())];
            net.rename(ifindex, new)?;
            return Ok(0);
        }
        SIOCGIFHWADDR => {
            out[..2].copy_from_slice(&dev.arphrd().to_ne_bytes());
            out[2..8].copy_from_slice(&dev.hwaddr);
        }
        SIOCGIFINDEX => out[..4].copy_from_slice(&ifindex.to_ne_bytes()),
        SIOCGIFTXQLEN => out[..4].copy_from_slice(&dev.txqlen.to_ne_bytes()),
        SIOCSIFTXQLEN => {
            let q = u32::try_from(ifr_int(&req)).map_err(|_| Errno::EINVAL)?;
            net.set_txqlen(ifindex, q)?;
            return Ok(0);
        }
        SIOCGIFMAP => {}
        _ => return Err(Errno::ENOTTY),
    }
    req[IFR_DATA..].copy_from_slice(&out);
    user.write_user(arg, &req)?;
    Ok(0)
}

/// Returns the classful prefix of an address (Linux's `inet_abc_len`).
fn abc_len(a: Ipv4Addr) -> u8 {
    match a.octets()[0] {
        0 => 0,
        1..=127 => 8,
        128..=191 => 16,
        192..=223 => 24,
        _ => 32,
    }
}

/// SIOCSIFADDR: gives the label its address (replacing the one it had),
/// with the classful prefix and broadcast for a new one.
fn set_addr(
    net: &Net,
    ifindex: i32,
    label: &[u8],
    old: Option<Ifaddr4>,
    a: Ipv4Addr,
    flags: u32,
) -> Result<()> {
    let origin = Origin::default();
    let mut new = match old {
        Some(o) if o.local == a => return Ok(()),
        Some(o) => {
            net.del_addr4(ifindex, |x| x.label == o.label, origin)?;
            Ifaddr4 {
                local: a,
                address: a,
                broadcast: None,
                scope: scope::UNIVERSE,
                ..o
            }
        }
        None => {
            let prefix = abc_len(a);
            Ifaddr4 {
                local: a,
                address: a,
                prefix,
                broadcast: None,
                label: label.to_vec(),
                scope: scope::UNIVERSE,
                flags: ifa_f::PERMANENT,
                cstamp: 0,
            }
        }
    };
    if a.is_loopback() {
        new.scope = scope::HOST;
    }
    if flags & iff::BROADCAST != 0 && new.prefix < 31 {
        new.broadcast = Some(Ipv4Addr::from(u32::from(a) | !u32::from(mask4(new.prefix))));
    }
    net.add_addr4(ifindex, new, false, origin)
}

/// SIOCSIFNETMASK: a contiguous mask (EINVAL otherwise) becomes the prefix
/// of the address; a broadcast that was the default follows it.
fn set_mask(net: &Net, ifindex: i32, a: Ifaddr4, mask: Ipv4Addr, flags: u32) -> Result<()> {
    let m = u32::from(mask);
    let prefix = m.leading_ones() as u8;
    if m != u32::from(mask4(prefix)) {
        return Err(Errno::EINVAL);
    }
    if prefix == a.prefix {
        return Ok(());
    }
    let origin = Origin::default();
    net.del_addr4(
        ifindex,
        |x| x.label == a.label && x.local == a.local,
        origin,
    )?;
    let default_bc = Ipv4Addr::from(u32::from(a.local) | !u32::from(a.mask()));
    let mut new = Ifaddr4 { prefix, ..a };
    if flags & iff::BROADCAST != 0 && prefix < 31 && new.broadcast == Some(default_bc) {
        new.broadcast = Some(Ipv4Addr::from(u32::from(new.local) | !m));
    }
    net.add_addr4(ifindex, new, false, origin)
}

/// SIOCGIFCONF: one ifreq (label and IPv4 address) per address, as many
/// whole ones as `ifc_len` holds; with a null buffer, the length needed.
fn ifconf(net: &Net, user: &dyn UserMemory, arg: u64) -> Result<u64> {
    let mut conf = [0u8; IFCONF_LEN];
    user.read_user(arg, &mut conf)?;
    let len = i32::from_ne_bytes(super::netlink::msg::field(&conf, 0));
    let buf = u64::from_ne_bytes(super::netlink::msg::field(&conf, 8));
    let entries: Vec<[u8; IFREQ_LEN]> = {
        let st = net.state();
        st.devices
            .iter()
            .flat_map(|d| d.addrs4.iter())
            .map(|a| {
                let mut r = [0u8; IFREQ_LEN];
                let n = a.label.len().min(IFNAMSIZ - 1);
                r[..n].copy_from_slice(&a.label[..n]);
                r[IFR_DATA..IFR_DATA + 16].copy_from_slice(&sockaddr_in(a.local));
                r
            })
            .collect()
    };
    let total = if buf == 0 {
        entries.len() * IFREQ_LEN
    } else {
        let room = usize::try_from(len).unwrap_or(0) / IFREQ_LEN;
        let mut at = buf;
        for e in entries.iter().take(room) {
            user.write_user(at, e)?;
            at += IFREQ_LEN as u64;
        }
        entries.len().min(room) * IFREQ_LEN
    };
    conf[0..4].copy_from_slice(&(total as i32).to_ne_bytes());
    user.write_user(arg, &conf[..4])?;
    Ok(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::cell::RefCell;

    /// Guest memory: one buffer at address 0x1000.
    struct Mem(RefCell<Vec<u8>>);

    impl UserMemory for Mem {
        fn read_user(&self, addr: u64, buf: &mut [u8]) -> Result<()> {
            let m = self.0.borrow();
            let at = usize::try_from(addr)
                .ok()
                .and_then(|a| a.checked_sub(0x1000));
            let src = at
                .and_then(|a| m.get(a..a + buf.len()))
                .ok_or(Errno::EFAULT)?;
            buf.copy_from_slice(src);
            Ok(())
        }
        fn write_user(&self, addr: u64, data: &[u8]) -> Result<()> {
            let mut m = self.0.borrow_mut();
            let at = usize::try_from(addr)
                .ok()
                .and_then(|a| a.checked_sub(0x1000));
            let dst = at
                .and_then(|a| m.get_mut(a..a + data.len()))
                .ok_or(Errno::EFAULT)?;
            dst.copy_from_slice(data);
            Ok(())
        }
    }

    fn ifreq(name: &str, data: &[u8]) -> Mem {
        let mut v = vec![0u8; 256];
        v[..name.len()].copy_from_slice(name.as_bytes());
        v[IFR_DATA..IFR_DATA + data.len()].copy_from_slice(data);
        Mem(RefCell::new(v))
    }

    fn data(m: &Mem) -> Vec<u8> {
        m.0.borrow()[IFR_DATA..IFREQ_LEN].to_vec()
    }

    #[test]
    fn interface_requests_and_their_errnos() {
        let _k = crate::lock::entered();
        let net = Net::new();
        let m = ifreq("lo", &[]);
        assert_eq!(ioctl(&net, &m, SIOCGIFFLAGS, 0x1000, false), Ok(0));
        assert_eq!(data(&m)[..2], (iff::LOOPBACK as u16).to_ne_bytes());
        assert_eq!(ioctl(&net, &m, SIOCGIFINDEX, 0x1000, false), Ok(0));
        assert_eq!(data(&m)[..4], 1i32.to_ne_bytes());
        let up = (iff::UP as u16).to_ne_bytes();
        let m = ifreq("lo", &up);
        assert_eq!(
            ioctl(&net, &m, SIOCSIFFLAGS, 0x1000, false),
            Err(Errno::EPERM)
        );
        assert_eq!(ioctl(&net, &m, SIOCSIFFLAGS, 0x1000, true), Ok(0));
        assert!(net.is_up(1));
        let m = ifreq("lo", &[]);
        assert_eq!(ioctl(&net, &m, SIOCGIFADDR, 0x1000, false), Ok(0));
        assert_eq!(data(&m)[..8], sockaddr_in(Ipv4Addr::LOCALHOST)[..8]);
        assert_eq!(ioctl(&net, &m, SIOCGIFNETMASK, 0x1000, false), Ok(0));
        assert_eq!(data(&m)[4..8], [255, 0, 0, 0]);
        let m = ifreq("lo:1", &[]);
        assert_eq!(
            ioctl(&net, &m, SIOCGIFADDR, 0x1000, false),
            Err(Errno::EADDRNOTAVAIL)
        );
        let m = ifreq("lo:1", &sockaddr_in(Ipv4Addr::new(10, 1, 2, 3)));
        assert_eq!(ioctl(&net, &m, SIOCSIFADDR, 0x1000, true), Ok(0));
        let a = net.device(1).expect("lo").addrs4;
        assert!(
            a.iter().any(|x| x.label == b"lo:1" && x.prefix == 8),
            "{a:?}"
        );
        let m = ifreq("nosuch0", &[]);
        assert_eq!(
            ioctl(&net, &m, SIOCGIFFLAGS, 0x1000, false),
            Err(Errno::ENODEV)
        );
        assert_eq!(ioctl(&net, &m, 0x1234, 0x1000, false), Err(Errno::ENOTTY));
        assert_eq!(
            ioctl(&net, &m, SIOCGIFFLAGS, 0x10, false),
            Err(Errno::EFAULT)
        );
        let m = ifreq("lo", &(-5i32).to_ne_bytes());
        assert_eq!(
            ioctl(&net, &m, SIOCSIFMTU, 0x1000, true),
            Err(Errno::EINVAL)
        );
        let m = ifreq("lo", &sockaddr_in(Ipv4Addr::new(255, 0, 255, 0)));
        assert_eq!(
            ioctl(&net, &m, SIOCSIFNETMASK, 0x1000, true),
            Err(Errno::EINVAL)
        );
    }

    #[test]
    fn ifconf_lists_whole_entries() {
        let _k = crate::lock::entered();
        let net = Net::new();
        net.set_flags(1, iff::UP, iff::UP).expect("up");
        // struct ifconf at 0x1000: room for one and a half entries at 0x1010.
        let mut v = vec![0u8; 256];
        v[0..4].copy_from_slice(&60i32.to_ne_bytes());
        v[8..16].copy_from_slice(&0x1010u64.to_ne_bytes());
        let m = Mem(RefCell::new(v));
        assert_eq!(ioctl(&net, &m, SIOCGIFCONF, 0x1000, false), Ok(0));
        let b = m.0.borrow();
        assert_eq!(b[0..4], 40i32.to_ne_bytes());
        assert_eq!(&b[16..18], b"lo");
        assert_eq!(b[16 + IFR_DATA + 4..16 + IFR_DATA + 8], [127, 0, 0, 1]);
    }
}
