//! Host TAP devices (Linux's Documentation/networking/tuntap.rst): a host
//! network interface whose Ethernet frames this process reads and writes,
//! one frame per read(2) or write(2), on a descriptor of /dev/net/tun. The
//! interface named is attached if it exists (a persistent TAP made with `ip
//! tuntap add`, left as found when the kernel exits) or created, and then
//! disappears with the descriptor when the kernel exits.

use nix::errno::Errno;
use nix::fcntl::{open, OFlag};
use nix::poll::{PollFd, PollFlags};
use nix::sys::stat::Mode;
use std::io;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};

/// `IFF_TAP` and `IFF_NO_PI` (frames without the packet-information prefix).
const IFF_TAP: i16 = 0x0002;
const IFF_NO_PI: i16 = 0x1000;
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
            flags: IFF_TAP | IFF_NO_PI,
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
        Ok(Tap { fd })
    }

    /// Reads one frame into `buf`; `WouldBlock` when none is waiting.
    pub fn read(&self, buf: &mut [u8]) -> io::Result<usize> {
        Ok(nix::unistd::read(self.fd.as_fd(), buf)?)
    }

    /// Writes the frame `frame`.
    pub fn write(&self, frame: &[u8]) -> io::Result<usize> {
        Ok(nix::unistd::write(self.fd.as_fd(), frame)?)
    }

    /// Waits up to `timeout_ms` for a frame; returns whether one came.
    pub fn wait_readable(&self, timeout_ms: u16) -> bool {
        let mut fds = [PollFd::new(self.fd.as_fd(), PollFlags::POLLIN)];
        nix::poll::poll(&mut fds, timeout_ms).is_ok_and(|n| n > 0)
    }
}
