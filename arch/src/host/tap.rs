//! Host TAP devices (Linux's Documentation/networking/tuntap.rst): a host
//! network interface whose Ethernet frames this process reads and writes,
//! one frame per read(2) or write(2), on a descriptor of /dev/net/tun. Each
//! frame is preceded by a `struct virtio_net_hdr` (`IFF_VNET_HDR`), which
//! carries checksum and segmentation offloads both ways: the host hands
//! over TCP segments of up to 64 KiB with their checksum left partial, and
//! takes the same, cutting them to the wire's size itself. The
//! interface named is attached if it exists (a persistent TAP made with `ip
//! tuntap add`, left as found when the kernel exits) or created, and then
//! disappears with the descriptor when the kernel exits.

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::poll::{PollFd, PollFlags};
use nix::sys::stat::Mode;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::os::unix::net::UnixStream;

/// `IFF_TAP` and `IFF_NO_PI` (frames without the packet-information prefix).
const IFF_TAP: i16 = 0x0002;
const IFF_NO_PI: i16 = 0x1000;
/// `IFF_VNET_HDR`: frames carry a `struct virtio_net_hdr` first.
const IFF_VNET_HDR: i16 = 0x4000;
/// The size of `struct virtio_net_hdr`, the TAP's default header size.
pub const VNET_HDR_LEN: usize = 10;
/// `TUNSETOFFLOAD`: `_IOW('T', 208, unsigned int)`.
const TUNSETOFFLOAD: libc::c_ulong = 0x4004_54d0;
/// What the host may hand over: partial checksums (`TUN_F_CSUM`) and TCP
/// segments past the MTU over IPv4 and IPv6 (`TUN_F_TSO4`, `TUN_F_TSO6`).
const TUN_F_CSUM: libc::c_uint = 0x01;
const TUN_F_TSO4: libc::c_uint = 0x02;
const TUN_F_TSO6: libc::c_uint = 0x04;
/// `TUNSETIFF`: `_IOW('T', 202, int)`.
const TUNSETIFF: libc::c_ulong = 0x4004_54ca;
/// `IFNAMSIZ`.
const IFNAMSIZ: usize = 16;

/// The part of `struct ifreq` TUNSETIFF reads: the name and the flags
/// (the rest of the union is padding to its 40 bytes).
#[repr(C)]
struct IfreqFlags {
    name: [u8; IFNAMSIZ],
    flags: i16,
    pad: [u8; 22],
}

/// An open TAP device.
pub struct Tap {
    fd: OwnedFd,
    /// The host hands over partial checksums and large TCP segments.
    offloads: bool,
    /// Wakes the thread waiting on the device (`kick`): a self-pipe, what
    /// is written to the first end is read from the second.
    kicker: (UnixStream, UnixStream),
}

/// What ended a wait on a TAP device.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Woken {
    /// Frames wait to be read.
    pub readable: bool,
    /// `kick` was called.
    pub kicked: bool,
}

/// Why a TAP device could not be opened, in words for the boot message.
fn explain(e: Errno, name: &str) -> io::Error {
    let why = match e {
        Errno::ENOENT | Errno::ENODEV => "/dev/net/tun does not exist (no tun module?)".to_string(),
        Errno::EPERM | Errno::EACCES => {
            format!("no permission for {name} (root, or a TAP made for this user with `ip tuntap add {name} mode tap user USER`)")
        }
        Errno::EBUSY => format!("{name} is in use by another process"),
        Errno::EINVAL => format!("{name} exists and is not a TAP device"),
        e => format!("{name}: {}", e.desc()),
    };
    io::Error::other(why)
}

impl Tap {
    /// Attaches to (or creates) the TAP device `name`, non-blocking.
    pub fn open(name: &str) -> io::Result<Tap> {
        if name.is_empty() || name.len() >= IFNAMSIZ || name.contains(['/', ' ', '\0']) {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!("{name:?} is not an interface name"),
            ));
        }
        let flags = OFlag::O_RDWR | OFlag::O_CLOEXEC | OFlag::O_NONBLOCK;
        let fd = open("/dev/net/tun", flags, Mode::empty()).map_err(|e| explain(e, name))?;
        let mut ifr = IfreqFlags {
            name: [0; IFNAMSIZ],
            flags: IFF_TAP | IFF_NO_PI | IFF_VNET_HDR,
            pad: [0; 22],
        };
        ifr.name[..name.len()].copy_from_slice(name.as_bytes());
        // SAFETY: TUNSETIFF reads and writes one `struct ifreq` (40 bytes, the
        // layout of IfreqFlags: the name, then the flags of the union) at the
        // pointer, which is valid for both for the whole call; `fd` is open.
        let r = unsafe { libc::ioctl(fd.as_raw_fd(), TUNSETIFF, &mut ifr as *mut IfreqFlags) };
        if r < 0 {
            return Err(explain(Errno::last(), name));
        }
        let features = TUN_F_CSUM | TUN_F_TSO4 | TUN_F_TSO6;
        // SAFETY: TUNSETOFFLOAD takes its argument by value and touches no
        // memory of this process; `fd` is open.
        let r = unsafe { libc::ioctl(fd.as_raw_fd(), TUNSETOFFLOAD, features) };
        let kicker = UnixStream::pair()?;
        kicker.0.set_nonblocking(true)?;
        kicker.1.set_nonblocking(true)?;
        Ok(Tap {
            fd,
            offloads: r == 0,
            kicker,
        })
    }

    /// Wakes the thread in `wait` (or makes its next wait return at once).
    pub fn kick(&self) {
        let _ = (&self.kicker.0).write(&[1]);
    }

    /// Returns whether the host hands over partial checksums and large TCP
    /// segments (the host's kernel took the offloads).
    pub fn offloads(&self) -> bool {
        self.offloads
    }

    /// Reads one frame: its `virtio_net_hdr` into `hdr` and the frame into
    /// `frame`, which is emptied first and holds up to its capacity;
    /// `WouldBlock` when none is waiting.
    pub fn read(&self, hdr: &mut [u8; VNET_HDR_LEN], frame: &mut Vec<u8>) -> io::Result<()> {
        frame.clear();
        let room = frame.spare_capacity_mut();
        let iov = [
            libc::iovec {
                iov_base: hdr.as_mut_ptr().cast(),
                iov_len: VNET_HDR_LEN,
            },
            libc::iovec {
                iov_base: room.as_mut_ptr().cast(),
                iov_len: room.len(),
            },
        ];
        // SAFETY: both iovecs point into memory this function holds
        // exclusively (`hdr`, and `frame`'s spare capacity, which readv may
        // write without reading) for their whole lengths; `fd` is open.
        let n = unsafe { libc::readv(self.fd.as_raw_fd(), iov.as_ptr(), 2) };
        if n < 0 {
            return Err(io::Error::last_os_error());
        }
        let len = (n as usize).saturating_sub(VNET_HDR_LEN);
        if (n as usize) < VNET_HDR_LEN {
            hdr.fill(0);
        }
        // SAFETY: readv wrote `len` bytes of the frame into the spare
        // capacity, which starts at the (empty) vector's length 0, and
        // `len` is at most that capacity.
        unsafe { frame.set_len(len) };
        Ok(())
    }

    /// Writes one frame given in parts (its `virtio_net_hdr` first), in one
    /// writev(2).
    pub fn write(&self, parts: &[&[u8]]) -> io::Result<usize> {
        let iov: Vec<io::IoSlice> = parts.iter().map(|p| io::IoSlice::new(p)).collect();
        Ok(nix::sys::uio::writev(self.fd.as_fd(), &iov)?)
    }

    /// Waits up to `timeout_ms` for a frame to read or a `kick`.
    pub fn wait(&self, timeout_ms: u16) -> Woken {
        let mut fds = [
            PollFd::new(self.fd.as_fd(), PollFlags::POLLIN),
            PollFd::new(self.kicker.1.as_fd(), PollFlags::POLLIN),
        ];
        if !nix::poll::poll(&mut fds, timeout_ms).is_ok_and(|n| n > 0) {
            return Woken::default();
        }
        let ready = |i: usize| fds[i].revents().unwrap_or(PollFlags::empty());
        let kicked = ready(1).contains(PollFlags::POLLIN);
        if kicked {
            let mut drain = [0u8; 64];
            while matches!((&self.kicker.1).read(&mut drain), Ok(n) if n > 0) {}
        }
        Woken {
            readable: ready(0).intersects(PollFlags::POLLIN | PollFlags::POLLERR),
            kicked,
        }
    }
}
