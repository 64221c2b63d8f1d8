//! Network cards on host TAP devices (UML's tuntap and vector transports):
//! at boot each `ethN=`/`vecN:` card of the command line opens its TAP
//! device and becomes an Ethernet device of the initial network namespace,
//! down, with its MAC and an MTU of 1500. A TAP that cannot be opened gives
//! one message and the guest boots without the card.
//!
//! Sending is a write(2) of one frame on the TAP descriptor, from the stack
//! under the kernel lock. Receiving is the card's interrupt: a host thread
//! per card sleeps in poll(2) on the descriptor, reads what arrived (up to
//! the transport's depth of frames) and hands it to the stack under the
//! kernel lock (`inet::netif_rx`).

use super::device::{DeviceKind, NetDriver};
use super::init_net;
use crate::nic_spec::NicSpec;
use arch::host::tap::Tap;
use arch::{Errno, Result};
use std::io::ErrorKind;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;

/// The largest frame read: a 64 KiB packet and its link header (a TAP's
/// host side may have an MTU past the card's).
const MAX_FRAME: usize = 65_536 + 14;

/// A network card on a TAP device.
struct TapNic {
    tap: Tap,
    ifindex: AtomicI32,
    depth: usize,
    /// The card is up: frames move (a card that is down drops them).
    up: AtomicBool,
}

impl NetDriver for TapNic {
    /// Writes one frame; a full host queue drops it, as a card's full
    /// transmit ring does.
    fn transmit(&self, frame: &[u8]) -> Result<()> {
        match self.tap.write(frame) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Err(Errno::ENOBUFS),
            Err(_) => Err(Errno::EIO),
        }
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::Release);
    }
}

/// Opens the cards of the command line and registers them; a card whose
/// TAP cannot be opened is left out with one message.
pub(crate) fn attach(nics: &[NicSpec]) {
    for spec in nics {
        let tap = match Tap::open(&spec.ifname) {
            Ok(t) => t,
            Err(e) => {
                log::error!(
                    "{}: cannot use TAP device {}: {e}; booting without it",
                    spec.name,
                    spec.ifname
                );
                continue;
            }
        };
        let nic = Arc::new(TapNic {
            tap,
            ifindex: AtomicI32::new(0),
            depth: spec.depth,
            up: AtomicBool::new(false),
        });
        let driver: Arc<dyn NetDriver> = nic.clone();
        let name = spec.name.as_bytes();
        let ifindex = match init_net().register(name, DeviceKind::Ether, spec.mac, Some(driver)) {
            Ok(i) => i,
            Err(e) => {
                log::error!("{}: cannot register the card: {}", spec.name, e.as_i32());
                continue;
            }
        };
        nic.ifindex.store(ifindex, Ordering::Release);
        let thread = nic.clone();
        let spawned = std::thread::Builder::new()
            .name(spec.name.clone())
            .spawn(move || rx_loop(&thread));
        if let Err(e) = spawned {
            log::error!("{}: cannot start its receive thread: {e}", spec.name);
            continue;
        }
        log::info!(
            "{}: TAP {} ({})",
            spec.name,
            spec.ifname,
            super::device::NetDevice::hwaddr_text(&spec.mac)
        );
    }
}

/// The card's interrupt: waits for frames on the TAP, reads up to its
/// depth of them, and hands them to the stack under the kernel lock.
fn rx_loop(nic: &TapNic) {
    let mut buf = vec![0u8; MAX_FRAME];
    loop {
        if !nic.tap.wait_readable(1000) {
            continue;
        }
        let mut frames = Vec::new();
        while frames.len() < nic.depth {
            match nic.tap.read(&mut buf) {
                Ok(n) if n > 0 => frames.push(buf[..n].to_vec()),
                Err(e) if e.kind() == ErrorKind::Interrupted => {}
                _ => break,
            }
        }
        if frames.is_empty() || !nic.up.load(Ordering::Acquire) {
            continue;
        }
        crate::lock::enter();
        super::inet::netif_rx(nic.ifindex.load(Ordering::Acquire), frames);
        crate::lock::leave();
    }
}
