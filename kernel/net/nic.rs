//! Network cards: at boot each `ethN=`/`vecN:` card of the command line
//! opens its transport — a host TAP device (UML's tuntap and vector
//! transports) or passt for user-mode networking — and becomes an Ethernet
//! device of the initial network namespace, down, with its MAC and an MTU
//! of 1500. A transport that cannot be opened gives one message and the
//! guest boots without the card. The mconsole attaches cards the same way
//! while the kernel runs (`plug`, kernel/nic_hotplug.rs) and detaches a
//! card that is down (`unplug`): its device goes, its thread ends, and its
//! transport is closed (the TAP's descriptor, passt ended).
//!
//! Sending to passt is one frame written to its socket, from the stack
//! under the kernel lock. Sending to a TAP device writes the frame at
//! once, but for TCP's bare acknowledgements, which go on the card's
//! transmit ring for the card's thread to write (as vhost-net's worker
//! takes a guest's frames off the CPU that sent them): the host handles a
//! frame within its write, and for an acknowledgement that is the host's
//! TCP sending more, which then runs on the card's thread rather than on
//! the CPU of the task reading the data. The first frame on an empty ring
//! wakes the thread; frames that would overtake one on the ring join it.
//! A TAP device takes and gives its frames behind a
//! `virtio_net_hdr` (Linux's include/uapi/linux/virtio_net.h), which
//! carries the offloads: the card leaves TCP and UDP checksums to the host
//! and sends TCP segments of up to 64 KiB whole, for the host to cut (or,
//! delivered to the host itself, to take whole); the host does the same
//! the other way. passt's socket carries bare frames. Receiving is the card's interrupt: a host thread per card
//! sleeps in poll(2) on the transport, reads what arrived (up to its depth
//! of frames) and hands it to the stack under the kernel lock
//! (`inet::netif_rx`).

use super::device::{DeviceKind, Gso, IpSummed, NetDriver, Offload, RxFrame};
use super::init_net;
use crate::nic_spec::{NicSpec, Transport};
use arch::host::passt::Passt;
use arch::host::tap::{Tap, VNET_HDR_LEN};
use arch::sync::Mutex;
use arch::{Errno, Result};
use std::collections::VecDeque;
use std::io::ErrorKind;
use std::sync::atomic::{AtomicBool, AtomicI32, Ordering};
use std::sync::Arc;

/// The largest frame read: a 64 KiB packet and its link header (a TAP's
/// host side may have an MTU past the card's).
const MAX_FRAME: usize = 65_536 + 14;
/// Frames up to this size are copied out of the receive buffer; larger
/// ones take it.
const SMALL_FRAME: usize = 4096;

/// `virtio_net_hdr`'s flags and GSO types.
const VIRTIO_NET_HDR_F_NEEDS_CSUM: u8 = 1;
const VIRTIO_NET_HDR_F_DATA_VALID: u8 = 2;
const VIRTIO_NET_HDR_GSO_TCPV4: u8 = 1;
const VIRTIO_NET_HDR_GSO_TCPV6: u8 = 4;

/// Returns the `virtio_net_hdr` saying `o` (its fields in the host's
/// order, little-endian here).
fn vnet_hdr(o: Offload) -> [u8; VNET_HDR_LEN] {
    let mut h = [0u8; VNET_HDR_LEN];
    if let Some((start, offset)) = o.csum {
        h[0] = VIRTIO_NET_HDR_F_NEEDS_CSUM;
        h[6..8].copy_from_slice(&start.to_le_bytes());
        h[8..10].copy_from_slice(&offset.to_le_bytes());
    }
    if let Some(Gso { v6, size, hdr_len }) = o.gso {
        h[1] = if v6 {
            VIRTIO_NET_HDR_GSO_TCPV6
        } else {
            VIRTIO_NET_HDR_GSO_TCPV4
        };
        h[2..4].copy_from_slice(&hdr_len.to_le_bytes());
        h[4..6].copy_from_slice(&size.to_le_bytes());
    }
    h
}

/// Returns what the `virtio_net_hdr` `h` says of its frame's checksum.
fn ip_summed(h: &[u8]) -> IpSummed {
    match h.first() {
        Some(f) if f & VIRTIO_NET_HDR_F_NEEDS_CSUM != 0 => IpSummed::Partial,
        Some(f) if f & VIRTIO_NET_HDR_F_DATA_VALID != 0 => IpSummed::Unnecessary,
        _ => IpSummed::None,
    }
}

/// What carries a card's frames on the host.
enum Port {
    Tap(Tap),
    Passt(Passt),
}

impl Port {
    /// Opens the transport of `spec`.
    fn open(spec: &NicSpec) -> std::io::Result<(Port, String)> {
        Ok(match &spec.transport {
            Transport::Tap { ifname } => (Port::Tap(Tap::open(ifname)?), format!("TAP {ifname}")),
            Transport::User { forwards } => {
                let args: Vec<String> = forwards.iter().flat_map(|f| f.passt_args()).collect();
                (
                    Port::Passt(Passt::spawn(&args)?),
                    "user-mode networking (passt)".into(),
                )
            }
        })
    }

    /// Waits up to `ms` for frames to read (or, for a TAP, a kick: frames
    /// to write); returns whether there are frames to read.
    fn wait(&self, ms: u16) -> bool {
        match self {
            Port::Tap(t) => t.wait(ms).readable,
            Port::Passt(p) => p.has_buffered() || p.wait_readable(ms),
        }
    }

    /// Reads up to `max` frames; an error when the transport is gone.
    fn read(&self, max: usize, buf: &mut Vec<u8>) -> std::io::Result<Vec<RxFrame>> {
        match self {
            Port::Tap(t) => {
                let mut frames = Vec::new();
                let mut hdr = [0u8; VNET_HDR_LEN];
                while frames.len() < max {
                    match t.read(&mut hdr, buf) {
                        // A large frame takes the buffer itself, a small one
                        // a copy of its own size.
                        Ok(()) if buf.len() > SMALL_FRAME => frames.push(RxFrame {
                            frame: std::mem::replace(buf, Vec::with_capacity(MAX_FRAME)),
                            ip_summed: ip_summed(&hdr),
                        }),
                        Ok(()) if !buf.is_empty() => frames.push(RxFrame {
                            frame: buf.clone(),
                            ip_summed: ip_summed(&hdr),
                        }),
                        Ok(()) => {}
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        _ => break,
                    }
                }
                Ok(frames)
            }
            Port::Passt(p) => Ok(p
                .recv(max)?
                .into_iter()
                .map(|frame| RxFrame {
                    frame,
                    ip_summed: IpSummed::None,
                })
                .collect()),
        }
    }

    /// Wakes the card's thread from `wait`.
    fn kick(&self) {
        match self {
            Port::Tap(t) => t.kick(),
            Port::Passt(p) => p.kick(),
        }
    }

    fn send(&self, frame: &[u8], offload: Offload) -> std::io::Result<()> {
        match self {
            Port::Tap(t) => t.write(&[&vnet_hdr(offload), frame]).map(|_| ()),
            Port::Passt(p) => p.send(frame, passt_alone(frame)),
        }
    }
}

/// How many bytes of frames a TAP card's transmit ring holds; past it
/// frames are dropped, as a full ring drops them.
const TX_RING_BYTES: usize = 4 << 20;

/// Frames waiting for the card's thread to write them.
#[derive(Default)]
struct TxRing {
    frames: VecDeque<(Vec<u8>, Offload)>,
    bytes: usize,
    /// The card's thread is writing frames it took off the ring.
    draining: bool,
}

/// Returns the flags and payload length of the TCP segment in the Ethernet
/// frame `f`, or None when it carries none.
fn tcp_segment(f: &[u8]) -> Option<(u8, usize)> {
    const TCP: u8 = 6;
    let ip = f.get(14..)?;
    let (payload_end, tcp) = match (f.get(12..14)?, ip.first()? >> 4) {
        ([0x08, 0x00], 4) if ip.get(9) == Some(&TCP) => {
            let total = usize::from(u16::from_be_bytes([ip[2], ip[3]]));
            (total, usize::from(ip[0] & 0xf) * 4)
        }
        ([0x86, 0xdd], 6) if ip.get(6) == Some(&TCP) => (
            40 + usize::from(u16::from_be_bytes([*ip.get(4)?, *ip.get(5)?])),
            40,
        ),
        _ => return None,
    };
    let &[offset, flags] = ip.get(tcp + 12..tcp + 14)? else {
        return None;
    };
    let payload = payload_end.checked_sub(tcp + usize::from(offset >> 4) * 4)?;
    Some((flags, payload))
}

/// TCP's SYN, FIN, RST and ACK flags.
const TCP_FIN_SYN_RST: u8 = 0x07;
const TCP_ACK: u8 = 0x10;

/// Returns whether the Ethernet frame `f` is a bare TCP acknowledgement:
/// no payload, no SYN, FIN or RST.
fn bare_ack(f: &[u8]) -> bool {
    matches!(tcp_segment(f), Some((flags, 0)) if flags & TCP_FIN_SYN_RST == 0 && flags & TCP_ACK != 0)
}

/// Returns whether passt must read the Ethernet frame `f` alone
/// (`Passt::send`): a TCP segment without data or with SYN, FIN or RST.
fn passt_alone(f: &[u8]) -> bool {
    matches!(tcp_segment(f), Some((flags, len)) if len == 0 || flags & TCP_FIN_SYN_RST != 0)
}

/// A network card.
struct Card {
    port: Port,
    ifindex: AtomicI32,
    depth: usize,
    /// The card is up: frames move (a card that is down drops them).
    up: AtomicBool,
    /// A TAP card's frames to write.
    tx: Mutex<TxRing>,
    /// The card was detached: its thread ends.
    stop: AtomicBool,
}

impl Card {
    /// Writes the frames on the transmit ring (the card's thread).
    fn drain_tx(&self) {
        loop {
            let frames = {
                let mut ring = self.tx.lock();
                ring.bytes = 0;
                ring.draining = !ring.frames.is_empty();
                std::mem::take(&mut ring.frames)
            };
            if frames.is_empty() {
                return;
            }
            for (frame, offload) in frames {
                // A host queue that is full drops the frame.
                let _ = self.port.send(&frame, offload);
            }
        }
    }
}

impl NetDriver for Card {
    /// Puts one frame on a TAP card's ring, or writes it to passt; a full
    /// ring or host queue drops it.
    fn transmit(&self, frame: Vec<u8>, offload: Offload) -> Result<()> {
        if let Port::Tap(t) = &self.port {
            let mut ring = self.tx.lock();
            if ring.frames.is_empty() && !ring.draining && !bare_ack(&frame) {
                drop(ring);
                let _ = t.write(&[&vnet_hdr(offload), &frame]);
                return Ok(());
            }
            if ring.bytes + frame.len() > TX_RING_BYTES {
                return Err(Errno::ENOBUFS);
            }
            ring.bytes += frame.len();
            ring.frames.push_back((frame, offload));
            if ring.frames.len() == 1 {
                t.kick();
            }
            return Ok(());
        }
        match self.port.send(&frame, offload) {
            Ok(_) => Ok(()),
            Err(e) if e.kind() == ErrorKind::WouldBlock => Err(Errno::ENOBUFS),
            Err(_) => Err(Errno::EIO),
        }
    }

    fn set_up(&self, up: bool) {
        self.up.store(up, Ordering::Release);
    }

    fn offloads(&self) -> bool {
        matches!(&self.port, Port::Tap(t) if t.offloads())
    }
}

/// A card attached (UML's list of net devices in net_kern.c), by the name
/// it was given (`eth0`, `vec1`), which the guest may have changed since.
struct Plugged {
    name: String,
    card: Arc<Card>,
    thread: std::thread::JoinHandle<()>,
}

/// The cards attached.
static CARDS: Mutex<Vec<Plugged>> = Mutex::new(Vec::new());

/// A card whose transport is open, not yet a device.
pub(crate) struct Opened {
    spec: NicSpec,
    port: Port,
    what: String,
}

/// Opens the transport of card `spec` (no kernel lock needed: this starts
/// passt or opens the TAP); the error is one line naming the card.
pub(crate) fn open(spec: &NicSpec) -> std::result::Result<Opened, String> {
    match Port::open(spec) {
        Ok((port, what)) => Ok(Opened {
            spec: spec.clone(),
            port,
            what,
        }),
        Err(e) => {
            let what = match &spec.transport {
                Transport::Tap { ifname } => format!("TAP device {ifname}"),
                Transport::User { .. } => "user-mode networking".into(),
            };
            Err(format!("{}: cannot use {what}: {e}", spec.name))
        }
    }
}

/// Returns the index of the device of card `name` (`eth0`) if that card
/// is attached.
pub(crate) fn ifindex_of(name: &str) -> Option<i32> {
    CARDS
        .lock()
        .iter()
        .find(|p| p.name == name)
        .map(|p| p.card.ifindex.load(Ordering::Acquire))
}

/// Makes the card `opened` a device of the initial namespace (down, which
/// announces it to rtnetlink) and starts its thread; returns its index. The
/// caller holds the kernel lock. The error is one line naming the card.
pub(crate) fn plug(opened: Opened) -> std::result::Result<i32, String> {
    let Opened { spec, port, what } = opened;
    if ifindex_of(&spec.name).is_some() {
        return Err(format!("{}: attached already", spec.name));
    }
    let nic = Arc::new(Card {
        port,
        ifindex: AtomicI32::new(0),
        depth: spec.depth,
        up: AtomicBool::new(false),
        tx: Mutex::new(TxRing::default()),
        stop: AtomicBool::new(false),
    });
    let driver: Arc<dyn NetDriver> = nic.clone();
    let ifindex = match init_net().register(
        spec.name.as_bytes(),
        DeviceKind::Ether,
        spec.mac,
        Some(driver),
    ) {
        Ok(i) => i,
        Err(Errno::EEXIST) => {
            return Err(format!("{}: an interface of that name exists", spec.name))
        }
        Err(e) => {
            return Err(format!(
                "{}: cannot register the card: {}",
                spec.name,
                e.as_i32()
            ))
        }
    };
    nic.ifindex.store(ifindex, Ordering::Release);
    let theirs = nic.clone();
    let spawned = std::thread::Builder::new()
        .name(spec.name.clone())
        .spawn(move || rx_loop(&theirs));
    let thread = match spawned {
        Ok(t) => t,
        Err(e) => {
            let _ = init_net().unregister(ifindex);
            return Err(format!(
                "{}: cannot start its receive thread: {e}",
                spec.name
            ));
        }
    };
    CARDS.lock().push(Plugged {
        name: spec.name.clone(),
        card: nic,
        thread,
    });
    log::info!(
        "{}: {what} ({})",
        spec.name,
        super::device::NetDevice::hwaddr_text(&spec.mac)
    );
    Ok(ifindex)
}

/// Opens the cards of the command line and registers them; a card whose
/// transport cannot be opened is left out with one message.
pub(crate) fn attach(nics: &[NicSpec]) {
    for spec in nics {
        let opened = match open(spec) {
            Ok(o) => o,
            Err(e) => {
                log::error!("{e}; booting without it");
                continue;
            }
        };
        if let Err(e) = plug(opened) {
            log::error!("{e}");
        }
    }
}

/// Why a card was not detached.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum UnplugError {
    /// No card of that name is attached (UML's -ENODEV).
    NoDevice,
    /// Its device is up (UML's -EBUSY while the device is open).
    Busy,
}

/// A card taken out of the namespace whose host side is still to be
/// released (`release`, without the kernel lock).
pub(crate) struct Unplugged {
    card: Arc<Card>,
    thread: std::thread::JoinHandle<()>,
}

impl Unplugged {
    /// Ends the card's thread and closes its transport: the TAP's
    /// descriptor is closed, passt has quit, on return. The caller must
    /// not hold the kernel lock (the thread may be waiting for it).
    pub(crate) fn release(self) {
        let Unplugged { card, thread } = self;
        if thread.join().is_err() {
            log::error!(
                "card {}: its thread panicked",
                card.ifindex.load(Ordering::Relaxed)
            );
        }
        if Arc::strong_count(&card) > 1 {
            log::warn!(
                "card {}: still referenced; its transport closes later",
                card.ifindex.load(Ordering::Relaxed)
            );
        }
    }
}

/// Detaches card `name` unless its device is up: the device goes from the
/// namespace with its addresses and routes (RTM_DELLINK and the rest to
/// rtnetlink listeners) and its thread is told to end. The caller holds
/// the kernel lock; `announce` runs before the device goes (the `remove`
/// uevent, which reads the device).
pub(crate) fn unplug(
    name: &str,
    announce: impl FnOnce(i32),
) -> std::result::Result<Unplugged, UnplugError> {
    let ifindex = ifindex_of(name).ok_or(UnplugError::NoDevice)?;
    if init_net().is_up(ifindex) {
        return Err(UnplugError::Busy);
    }
    announce(ifindex);
    if let Err(e) = init_net().unregister(ifindex) {
        log::warn!("{name}: its device was gone already ({})", e.as_i32());
    }
    let plugged = {
        let mut cards = CARDS.lock();
        let i = cards
            .iter()
            .position(|p| p.name == name)
            .ok_or(UnplugError::NoDevice)?;
        cards.remove(i)
    };
    plugged.card.stop.store(true, Ordering::Release);
    plugged.card.port.kick();
    log::info!("{name}: removed");
    Ok(Unplugged {
        card: plugged.card,
        thread: plugged.thread,
    })
}

/// The card's thread: writes the frames of its transmit ring, and, as its
/// interrupt, waits for frames on its transport, reads up to its depth of
/// them, and hands them to the stack under the kernel lock. A transport
/// that goes away (passt died) ends it, with one message; `unplug` ends it
/// too.
fn rx_loop(nic: &Card) {
    let mut buf = Vec::with_capacity(MAX_FRAME);
    loop {
        let readable = nic.port.wait(1000);
        if nic.stop.load(Ordering::Acquire) {
            return;
        }
        nic.drain_tx();
        if !readable {
            continue;
        }
        let frames = match nic.port.read(nic.depth, &mut buf) {
            Ok(f) => f,
            Err(e) => {
                log::error!(
                    "card {}: its transport is gone: {e}",
                    nic.ifindex.load(Ordering::Relaxed)
                );
                return;
            }
        };
        if frames.is_empty() || !nic.up.load(Ordering::Acquire) {
            continue;
        }
        crate::lock::enter();
        super::inet::netif_rx(nic.ifindex.load(Ordering::Acquire), frames);
        crate::lock::leave();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An Ethernet frame of IPv4 TCP with `flags` and `payload` bytes.
    fn tcp4(flags: u8, payload: usize) -> Vec<u8> {
        let mut f = vec![0u8; 12];
        f.extend_from_slice(&[0x08, 0x00]);
        let total = (20 + 20 + payload) as u16;
        f.extend_from_slice(&[0x45, 0]);
        f.extend_from_slice(&total.to_be_bytes());
        f.extend_from_slice(&[0, 0, 0x40, 0, 64, 6, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2]);
        f.extend_from_slice(&[
            0, 80, 4, 0, 0, 0, 0, 1, 0, 0, 0, 1, 0x50, flags, 1, 0, 0, 0, 0, 0,
        ]);
        f.resize(f.len() + payload, 7);
        f
    }

    #[test]
    fn bare_acks_are_told_apart() {
        assert!(bare_ack(&tcp4(0x10, 0)));
        assert!(!bare_ack(&tcp4(0x18, 1)), "data");
        assert!(!bare_ack(&tcp4(0x11, 0)), "FIN");
        assert!(!bare_ack(&tcp4(0x12, 0)), "SYN-ACK");
        assert!(!bare_ack(&tcp4(0x10, 0)[..40]), "cut short");
        let mut udp = tcp4(0x10, 0);
        udp[23] = 17;
        assert!(!bare_ack(&udp));
    }

    #[test]
    fn handshakes_and_closes_go_to_passt_alone() {
        assert!(passt_alone(&tcp4(0x02, 0)), "SYN");
        assert!(passt_alone(&tcp4(0x12, 0)), "SYN-ACK");
        assert!(passt_alone(&tcp4(0x10, 0)), "bare ACK");
        assert!(passt_alone(&tcp4(0x19, 5)), "data with FIN");
        assert!(passt_alone(&tcp4(0x14, 0)), "RST");
        assert!(!passt_alone(&tcp4(0x18, 100)), "data");
        let mut udp = tcp4(0x10, 0);
        udp[23] = 17;
        assert!(!passt_alone(&udp));
    }
}
