//! Devices of a namespace: registering and unregistering them, and the
//! link changes of rtnetlink's RTM_NEWLINK and the SIOCSIF* ioctls (flags,
//! MTU, queue length, name, hardware address), each with the kernel routes,
//! addresses and notifications it brings, as Linux's net/core/dev.c does.
//! Bringing a device up gives lo its loopback addresses and a card its
//! link-local IPv6 address.

use super::{stamp, with_interface_id, Event, Net, NetState, Origin};
use crate::net::device::{ifa_f, iff, scope, DeviceKind, Ifaddr4, Ifaddr6, NetDevice, NetDriver};
use crate::net::route::rtn;
use arch::{Errno, Result};
use std::net::{Ipv4Addr, Ipv6Addr};
use std::sync::Arc;

impl Net {
    /// Registers a new device of `kind` named `name` (EEXIST if taken,
    /// EINVAL for a bad name); returns its index.
    pub(crate) fn register(
        &self,
        name: &[u8],
        kind: DeviceKind,
        hwaddr: [u8; 6],
        driver: Option<Arc<dyn NetDriver>>,
    ) -> Result<i32> {
        if !crate::net::device::valid_name(name) {
            return Err(Errno::EINVAL);
        }
        let dev = {
            let mut st = self.state_mut();
            if st.dev_by_name(name).is_some() {
                return Err(Errno::EEXIST);
            }
            let ifindex = st.next_ifindex;
            st.next_ifindex += 1;
            let mut d = NetDevice::new(ifindex, name, kind, hwaddr);
            d.driver = driver;
            st.devices.push(d.clone());
            d
        };
        let ifindex = dev.ifindex;
        self.changed(vec![Event::Link {
            dev: Box::new(dev),
            new: true,
        }]);
        Ok(ifindex)
    }

    /// Removes device `ifindex` with its addresses and routes (Linux's
    /// `unregister_netdevice`): the routes through it and its addresses
    /// are announced gone before the link is (RTM_DELLINK).
    pub(crate) fn unregister(&self, ifindex: i32) -> Result<()> {
        let mut ev = Vec::new();
        {
            let mut st = self.state_mut();
            let i = st
                .devices
                .iter()
                .position(|d| d.ifindex == ifindex)
                .ok_or(Errno::ENODEV)?;
            let d = st.devices.remove(i);
            let origin = Origin::default();
            st.remove_routes(|r| r.oif == ifindex, &mut ev, origin);
            for addr in d.addrs4.iter().cloned() {
                ev.push(Event::Addr4 {
                    ifindex,
                    addr,
                    new: false,
                    origin,
                });
            }
            for addr in d.addrs6.iter().cloned() {
                ev.push(Event::Addr6 {
                    ifindex,
                    addr,
                    new: false,
                    origin,
                });
            }
            ev.push(Event::Link {
                dev: Box::new(d),
                new: false,
            });
        }
        self.changed(ev);
        Ok(())
    }

    /// Changes the user flags of `ifindex` under `mask` (only the
    /// changeable ones, `iff::CHANGEABLE`): bringing a device up adds the
    /// kernel routes of its addresses (and 127.0.0.1/8 and ::1 on a
    /// loopback device), bringing it down removes its routes but local
    /// IPv4 ones, and its IPv6 addresses, as Linux does.
    pub(crate) fn set_flags(&self, ifindex: i32, flags: u32, mask: u32) -> Result<()> {
        let mask = mask & iff::CHANGEABLE;
        let mut ev = Vec::new();
        let (driver, up_now) = {
            let mut st = self.state_mut();
            let d = st.dev_mut(ifindex)?;
            let old = d.flags();
            let was_up = d.is_up();
            d.user_flags = (d.user_flags & !mask) | (flags & mask);
            let up = d.is_up();
            let driver = d.driver.clone();
            let changed = d.flags() != old;
            if up && !was_up {
                bring_up(&mut st, ifindex, &mut ev);
            } else if !up && was_up {
                bring_down(&mut st, ifindex, &mut ev);
            }
            if changed {
                let dev = st.dev(ifindex).cloned().ok_or(Errno::ENODEV)?;
                ev.insert(
                    0,
                    Event::Link {
                        dev: Box::new(dev),
                        new: true,
                    },
                );
            }
            (driver.filter(|_| up != was_up), up)
        };
        if let Some(d) = driver {
            d.set_up(up_now);
        }
        if !ev.is_empty() {
            self.changed(ev);
        }
        Ok(())
    }

    /// Sets the MTU of `ifindex` (EINVAL outside the device's range).
    pub(crate) fn set_mtu(&self, ifindex: i32, mtu: u32) -> Result<()> {
        let dev = {
            let mut st = self.state_mut();
            let d = st.dev_mut(ifindex)?;
            if mtu < d.min_mtu || (d.max_mtu != 0 && mtu > d.max_mtu) || mtu > i32::MAX as u32 {
                return Err(Errno::EINVAL);
            }
            if d.mtu == mtu {
                return Ok(());
            }
            d.mtu = mtu;
            d.clone()
        };
        self.changed(vec![Event::Link {
            dev: Box::new(dev),
            new: true,
        }]);
        Ok(())
    }

    /// Sets the transmit queue length of `ifindex`.
    pub(crate) fn set_txqlen(&self, ifindex: i32, qlen: u32) -> Result<()> {
        let dev = {
            let mut st = self.state_mut();
            let d = st.dev_mut(ifindex)?;
            if d.txqlen == qlen {
                return Ok(());
            }
            d.txqlen = qlen;
            d.clone()
        };
        self.changed(vec![Event::Link {
            dev: Box::new(dev),
            new: true,
        }]);
        Ok(())
    }

    /// Renames `ifindex` (EBUSY while up, EEXIST if the name is taken,
    /// EINVAL for a bad name).
    pub(crate) fn rename(&self, ifindex: i32, name: &[u8]) -> Result<()> {
        if !crate::net::device::valid_name(name) {
            return Err(Errno::EINVAL);
        }
        let dev = {
            let mut st = self.state_mut();
            let d = st.dev(ifindex).ok_or(Errno::ENODEV)?;
            if d.name == name {
                return Ok(());
            }
            if st.dev_by_name(name).is_some() {
                return Err(Errno::EEXIST);
            }
            let d = st.dev_mut(ifindex)?;
            if d.is_up() {
                return Err(Errno::EBUSY);
            }
            let old = std::mem::replace(&mut d.name, name.to_vec());
            for a in d.addrs4.iter_mut() {
                if let Some(alias) = a.label.strip_prefix(old.as_slice()) {
                    a.label = [name, alias].concat();
                }
            }
            d.clone()
        };
        self.changed(vec![Event::Link {
            dev: Box::new(dev),
            new: true,
        }]);
        Ok(())
    }

    /// Sets the hardware address of `ifindex`.
    pub(crate) fn set_hwaddr(&self, ifindex: i32, mac: [u8; 6]) -> Result<()> {
        let dev = {
            let mut st = self.state_mut();
            let d = st.dev_mut(ifindex)?;
            d.hwaddr = mac;
            d.clone()
        };
        self.changed(vec![Event::Link {
            dev: Box::new(dev),
            new: true,
        }]);
        Ok(())
    }
}

/// Brings device `ifindex` up: a loopback device gets 127.0.0.1/8 and ::1
/// if it lacks them, and the addresses' kernel routes are added.
fn bring_up(st: &mut NetState, ifindex: i32, ev: &mut Vec<Event>) {
    let Ok(d) = st.dev_mut(ifindex) else { return };
    if d.kind == DeviceKind::Loopback {
        let lo4 = Ipv4Addr::LOCALHOST;
        if !d.addrs4.iter().any(|a| a.local == lo4 && a.prefix == 8) {
            let a = Ifaddr4 {
                local: lo4,
                address: lo4,
                prefix: 8,
                broadcast: None,
                label: d.name.clone(),
                scope: scope::HOST,
                flags: ifa_f::PERMANENT,
                cstamp: stamp(),
            };
            d.addrs4.insert(0, a.clone());
            ev.push(Event::Addr4 {
                ifindex,
                addr: a,
                new: true,
                origin: Origin::default(),
            });
        }
        add_permanent6(d, Ipv6Addr::LOCALHOST, 128, scope::HOST, 0, ev);
    } else if d.kind == DeviceKind::Ether {
        // An Ethernet card gets its IPv6 link-local address, fe80::/64 and
        // the EUI-64 interface identifier of its MAC (addr_gen_mode 0),
        // tentative until duplicate address detection is done.
        let ll = link_local(d.hwaddr);
        add_permanent6(d, ll, 64, scope::LINK, ifa_f::TENTATIVE, ev);
    }
    st.add_kernel_routes(ifindex, ev);
}

/// Gives device `d` the permanent IPv6 address `addr`/`prefix` of `scope`
/// (and `flags`) unless it has it, announcing it.
fn add_permanent6(
    d: &mut NetDevice,
    addr: Ipv6Addr,
    prefix: u8,
    scope: u8,
    flags: u32,
    ev: &mut Vec<Event>,
) {
    if d.addrs6.iter().any(|a| a.addr == addr) {
        return;
    }
    let a = Ifaddr6 {
        addr,
        prefix,
        scope,
        flags: ifa_f::PERMANENT | flags,
        cstamp: stamp(),
        preferred_until: None,
        valid_until: None,
    };
    d.addrs6.push(a.clone());
    ev.push(Event::Addr6 {
        ifindex: d.ifindex,
        addr: a,
        new: true,
        origin: Origin::default(),
    });
}

/// Returns the IPv6 link-local address of the MAC `mac`.
fn link_local(mac: [u8; 6]) -> Ipv6Addr {
    with_interface_id(
        Ipv6Addr::from([0xfe, 0x80, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]),
        mac,
    )
}

/// Brings device `ifindex` down: its routes go but the local IPv4 ones,
/// and its IPv6 addresses go (net.ipv6.conf.*.keep_addr_on_down is 0).
fn bring_down(st: &mut NetState, ifindex: i32, ev: &mut Vec<Event>) {
    let origin = Origin::default();
    st.remove_routes(
        |r| r.oif == ifindex && (r.is_v6() || r.kind != rtn::LOCAL),
        ev,
        origin,
    );
    if let Ok(d) = st.dev_mut(ifindex) {
        for a in std::mem::take(&mut d.addrs6) {
            ev.push(Event::Addr6 {
                ifindex,
                addr: a,
                new: false,
                origin,
            });
        }
    }
}
