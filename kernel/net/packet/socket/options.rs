//! A packet socket's options (Linux's `packet_setsockopt` and
//! `packet_getsockopt`): memberships, PACKET_AUXDATA, PACKET_ORIGDEV,
//! PACKET_IGNORE_OUTGOING, PACKET_VERSION, the statistics, the options
//! kept for the rings that are not built, and the socket filter options
//! of the SOL_SOCKET level.

use super::{int_of, opt, PacketSocket, PLAIN, TPACKET_V3};
use arch::abi::pod::{as_bytes, from_bytes};
use arch::abi::structs::PacketMreq;
use arch::{Errno, Result};

impl PacketSocket {
    /// PACKET_ADD_MEMBERSHIP and PACKET_DROP_MEMBERSHIP (`packet_mc_add`,
    /// `packet_mc_drop`): ENODEV for a device that does not exist, EINVAL
    /// for an address longer than the device's; dropping what was not
    /// added is no error. Memberships are kept; lo takes every
    /// frame anyway, so they change nothing it receives.
    fn membership(&self, raw: &[u8], add: bool) -> Result<()> {
        if raw.len() < size_of::<PacketMreq>() {
            return Err(Errno::EINVAL);
        }
        let m: PacketMreq = from_bytes(raw).ok_or(Errno::EINVAL)?;
        if raw.len() < usize::from(m.mr_alen) + 8 || usize::from(m.mr_alen) > m.mr_address.len() {
            return Err(Errno::EINVAL);
        }
        let same = |a: &PacketMreq| {
            let n = usize::from(m.mr_alen);
            a.mr_ifindex == m.mr_ifindex
                && a.mr_type == m.mr_type
                && a.mr_alen == m.mr_alen
                && a.mr_address[..n] == m.mr_address[..n]
        };
        let mut st = self.state.borrow_mut();
        if !add {
            if let Some(i) = st.mclist.iter().position(|(a, _)| same(a)) {
                st.mclist[i].1 -= 1;
                if st.mclist[i].1 == 0 {
                    st.mclist.remove(i);
                }
            }
            return Ok(());
        }
        if self.net.state().dev(m.mr_ifindex).is_none() {
            return Err(Errno::ENODEV);
        }
        if m.mr_alen > 6 {
            return Err(Errno::EINVAL);
        }
        match st.mclist.iter_mut().find(|(a, _)| same(a)) {
            Some((_, n)) => *n += 1,
            None => st.mclist.push((m, 1)),
        }
        Ok(())
    }

    /// Sets a SOL_PACKET option from its bytes.
    pub(super) fn set_packet_option(&self, name: i32, raw: &[u8]) -> Result<()> {
        let int_exact = || {
            if raw.len() != 4 {
                return Err(Errno::EINVAL);
            }
            Ok(int_of(raw))
        };
        let int_least = || {
            if raw.len() < 4 {
                return Err(Errno::EINVAL);
            }
            Ok(int_of(raw))
        };
        match name {
            opt::ADD_MEMBERSHIP => self.membership(raw, true),
            opt::DROP_MEMBERSHIP => self.membership(raw, false),
            opt::AUXDATA => {
                let v = int_least()?;
                self.state.borrow_mut().auxdata = v != 0;
                Ok(())
            }
            opt::ORIGDEV => {
                let v = int_least()?;
                self.state.borrow_mut().origdev = v != 0;
                Ok(())
            }
            opt::IGNORE_OUTGOING => {
                let v = int_least()?;
                if !(0..=1).contains(&v) {
                    return Err(Errno::EINVAL);
                }
                self.state.borrow_mut().ignore_outgoing = v != 0;
                Ok(())
            }
            opt::VERSION => {
                let v = int_exact()?;
                if !(0..=TPACKET_V3).contains(&v) {
                    return Err(Errno::EINVAL);
                }
                self.state.borrow_mut().version = v;
                Ok(())
            }
            opt::RESERVE if int_exact()? < 0 => Err(Errno::EINVAL),
            p if PLAIN.contains(&p) => {
                let v = int_exact()?;
                self.state.borrow_mut().plain.insert(p, v);
                Ok(())
            }
            // The memory-mapped rings (TPACKET_V*) are not built.
            opt::RX_RING | opt::TX_RING => Err(Errno::ENOPROTOOPT),
            _ => Err(Errno::ENOPROTOOPT),
        }
    }

    /// Returns a SOL_PACKET option; PACKET_STATISTICS starts the counts
    /// anew (tp_packets counting the drops too, as Linux reports them).
    pub(super) fn packet_option(&self, name: i32) -> Result<Vec<u8>> {
        let mut st = self.state.borrow_mut();
        let int = |v: i32| Ok(v.to_ne_bytes().to_vec());
        match name {
            opt::STATISTICS => {
                let mut s = std::mem::take(&mut st.stats);
                s.tp_packets = s.tp_packets.wrapping_add(s.tp_drops);
                Ok(as_bytes(&s).to_vec())
            }
            opt::AUXDATA => int(st.auxdata as i32),
            opt::ORIGDEV => int(st.origdev as i32),
            opt::IGNORE_OUTGOING => int(st.ignore_outgoing as i32),
            opt::VERSION => int(st.version),
            opt::RESERVE | opt::LOSS | opt::TIMESTAMP | opt::QDISC_BYPASS => {
                int(st.plain.get(&name).copied().unwrap_or(0))
            }
            _ => Err(Errno::ENOPROTOOPT),
        }
    }
}
