//! The port tables of TCP and UDP (Linux's bind hash, `inet_csk_get_port`
//! and `__inet_hash_connect`): who holds which local port on which address,
//! the bind conflict rules of SO_REUSEADDR and SO_REUSEPORT, IPv4 and
//! dual-stack IPv6 wildcards overlapping, and the choice of ephemeral ports
//! from net.ipv4.ip_local_port_range: any free port for bind(2) to port 0,
//! a port whose connections all go elsewhere for connect(2).

use crate::net::Options;
use arch::{Errno, Result};
use std::collections::BTreeMap;
use std::net::IpAddr;

/// SO_REUSEADDR and SO_REUSEPORT, as socket(7) numbers them.
const SO_REUSEADDR: i32 = 2;
const SO_REUSEPORT: i32 = 15;

/// One holder of a port.
#[derive(Clone, Debug)]
pub(crate) struct PortUse {
    /// The socket (its `Stack` id), to release the entry.
    pub owner: u64,
    /// The local address; unspecified for a wildcard.
    pub addr: IpAddr,
    /// IPV6_V6ONLY of an IPv6 wildcard (else it covers IPv4 too).
    pub v6only: bool,
    pub reuseaddr: bool,
    pub reuseport: bool,
    /// The owner's effective user id (SO_REUSEPORT is per user).
    pub uid: u32,
    pub listening: bool,
    /// A closed TCP connection in TIME_WAIT: SO_REUSEADDR may take its port.
    pub time_wait: bool,
    /// Set for a port connect(2) chose: the peer the connection goes to.
    pub remote: Option<(IpAddr, u16)>,
}

/// The addresses of one family a holder receives on.
#[derive(Clone, Copy, PartialEq)]
enum Part {
    Nothing,
    All,
    One(IpAddr),
}

impl Part {
    fn meets(self, other: Part) -> bool {
        match (self, other) {
            (Part::Nothing, _) | (_, Part::Nothing) => false,
            (Part::All, _) | (_, Part::All) => true,
            (Part::One(a), Part::One(b)) => a == b,
        }
    }
}

impl PortUse {
    /// Returns the entry of socket `owner` (user `uid`) at `addr`, with its
    /// SO_REUSEADDR and SO_REUSEPORT from `opts`: not listening, no peer.
    pub(crate) fn new(owner: u64, addr: IpAddr, opts: &Options, v6only: bool, uid: u32) -> PortUse {
        PortUse {
            owner,
            addr,
            v6only,
            reuseaddr: opts.plain(SO_REUSEADDR) != 0,
            reuseport: opts.plain(SO_REUSEPORT) != 0,
            uid,
            listening: false,
            time_wait: false,
            remote: None,
        }
    }

    /// Returns the IPv4 and the IPv6 addresses the holder receives on.
    fn parts(&self) -> (Part, Part) {
        match self.addr {
            IpAddr::V4(a) if a.is_unspecified() => (Part::All, Part::Nothing),
            IpAddr::V4(a) => (Part::One(a.into()), Part::Nothing),
            IpAddr::V6(a) if a.is_unspecified() => {
                // An IPv6 wildcard also takes IPv4 unless IPV6_V6ONLY.
                let v4 = if self.v6only {
                    Part::Nothing
                } else {
                    Part::All
                };
                (v4, Part::All)
            }
            IpAddr::V6(a) => match a.to_ipv4_mapped() {
                Some(v4) => (Part::One(v4.into()), Part::Nothing),
                None => (Part::Nothing, Part::One(a.into())),
            },
        }
    }

    /// Returns whether the two holders can receive the same packet.
    fn overlaps(&self, other: &PortUse) -> bool {
        let (a4, a6) = self.parts();
        let (b4, b6) = other.parts();
        a4.meets(b4) || a6.meets(b6)
    }

    /// Returns whether this new holder may not share the port with `old`.
    fn conflicts(&self, old: &PortUse, tcp: bool) -> bool {
        if !self.overlaps(old) {
            return false;
        }
        if self.reuseport && old.reuseport && self.uid == old.uid {
            return false;
        }
        if tcp {
            if old.time_wait {
                return !self.reuseaddr;
            }
            !self.reuseaddr || !old.reuseaddr || old.listening || self.listening
        } else {
            !(self.reuseaddr && old.reuseaddr)
        }
    }
}

/// The ports of one protocol.
#[derive(Default)]
pub(crate) struct Ports {
    tcp: bool,
    used: BTreeMap<u16, Vec<PortUse>>,
    /// Where the next ephemeral search starts (Linux starts at a hash; a
    /// moving offset spreads ports alike).
    next: u32,
}

impl Ports {
    pub(crate) fn new(tcp: bool) -> Ports {
        Ports {
            tcp,
            ..Default::default()
        }
    }

    /// Takes `port` for `u`: EADDRINUSE if a holder conflicts.
    pub(crate) fn bind(&mut self, port: u16, u: PortUse) -> Result<()> {
        let holders = self.used.entry(port).or_default();
        if holders.iter().any(|old| u.conflicts(old, self.tcp)) {
            if holders.is_empty() {
                self.used.remove(&port);
            }
            return Err(Errno::EADDRINUSE);
        }
        holders.push(u);
        Ok(())
    }

    /// Adds `u` to the holders of `port` without a check (a connection
    /// accepted on a listener's port).
    pub(crate) fn add(&mut self, port: u16, u: PortUse) {
        self.used.entry(port).or_default().push(u);
    }

    /// Takes a free port in `range` for `u` (bind(2) to port 0):
    /// EADDRINUSE when every port is held.
    pub(crate) fn bind_ephemeral(&mut self, range: (u16, u16), u: PortUse) -> Result<u16> {
        self.search(range, |ports, port| {
            // Linux's bind to port 0 avoids ports others hold even when
            // it could share them.
            let free = ports.used.get(&port).is_none_or(|h| h.is_empty());
            free && ports.bind(port, u.clone()).is_ok()
        })
        .ok_or(Errno::EADDRINUSE)
    }

    /// Takes a port in `range` for a connection of `u` to `u.remote`: one
    /// that no bound socket holds and whose connections all go to other
    /// peers; EADDRNOTAVAIL when there is none.
    pub(crate) fn connect_ephemeral(&mut self, range: (u16, u16), u: PortUse) -> Result<u16> {
        self.search(range, |ports, port| {
            let ok = ports.used.get(&port).is_none_or(|h| {
                h.iter()
                    .all(|old| old.remote.is_some() && old.remote != u.remote)
            });
            if ok {
                ports.used.entry(port).or_default().push(u.clone());
            }
            ok
        })
        .ok_or(Errno::EADDRNOTAVAIL)
    }

    /// Tries `take` on the ports of `range` from a moving start; returns the
    /// first it took.
    fn search(
        &mut self,
        range: (u16, u16),
        mut take: impl FnMut(&mut Ports, u16) -> bool,
    ) -> Option<u16> {
        let (lo, hi) = (range.0 as u32, range.1.max(range.0) as u32);
        let n = hi - lo + 1;
        let start = self.next % n;
        for i in 0..n {
            let port = (lo + (start + i) % n) as u16;
            if take(self, port) {
                self.next = start + i + 1;
                return Some(port);
            }
        }
        None
    }

    /// Returns the entry of `owner` on `port`.
    pub(crate) fn holder(&self, port: u16, owner: u64) -> Option<&PortUse> {
        self.used.get(&port)?.iter().find(|u| u.owner == owner)
    }

    /// Changes the entry of `owner` on `port` with `f`.
    pub(crate) fn update(&mut self, port: u16, owner: u64, f: impl FnOnce(&mut PortUse)) {
        if let Some(u) = self
            .used
            .get_mut(&port)
            .and_then(|h| h.iter_mut().find(|u| u.owner == owner))
        {
            f(u);
        }
    }

    /// Gives back `owner`'s hold on `port`.
    pub(crate) fn release(&mut self, port: u16, owner: u64) {
        if let Some(h) = self.used.get_mut(&port) {
            h.retain(|u| u.owner != owner);
            if h.is_empty() {
                self.used.remove(&port);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::net::{Ipv4Addr, Ipv6Addr};

    fn user(owner: u64, addr: IpAddr) -> PortUse {
        PortUse {
            owner,
            addr,
            v6only: false,
            reuseaddr: false,
            reuseport: false,
            uid: 0,
            listening: false,
            time_wait: false,
            remote: None,
        }
    }

    const ANY4: IpAddr = IpAddr::V4(Ipv4Addr::UNSPECIFIED);
    const ANY6: IpAddr = IpAddr::V6(Ipv6Addr::UNSPECIFIED);
    const LO4: IpAddr = IpAddr::V4(Ipv4Addr::LOCALHOST);

    #[test]
    fn bind_conflicts_follow_linux() {
        let mut p = Ports::new(true);
        p.bind(80, user(1, ANY4)).expect("the port is free");
        assert_eq!(p.bind(80, user(2, LO4)), Err(Errno::EADDRINUSE));
        // A dual-stack IPv6 wildcard overlaps IPv4, a v6only one does not.
        assert_eq!(p.bind(80, user(3, ANY6)), Err(Errno::EADDRINUSE));
        let mut v6only = user(4, ANY6);
        v6only.v6only = true;
        p.bind(80, v6only).expect("the port is free");
        p.release(80, 1);
        p.bind(80, user(5, LO4)).expect("the port is free");
        let mut a = user(6, LO4);
        a.reuseaddr = true;
        assert_eq!(p.bind(81, a.clone()), Ok(()));
        let mut b = user(7, LO4);
        b.reuseaddr = true;
        assert_eq!(p.bind(81, b), Ok(()));
    }

    #[test]
    fn ephemeral_ports_run_out() {
        let mut p = Ports::new(true);
        let mut u = user(1, ANY4);
        u.remote = Some((LO4, 80));
        for i in 0..4 {
            u.owner = i;
            p.connect_ephemeral((1000, 1003), u.clone())
                .expect("a port is left");
        }
        assert_eq!(
            p.connect_ephemeral((1000, 1003), u.clone()),
            Err(Errno::EADDRNOTAVAIL)
        );
        // Another peer may share the ports.
        u.remote = Some((LO4, 81));
        assert!(p.connect_ephemeral((1000, 1003), u).is_ok());
    }
}
