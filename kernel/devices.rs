//! Character devices: the memory devices of major 1 (null, zero, full, random,
//! urandom, kmsg), the console (5:1) with the controlling terminal (5:0), the
//! virtual consoles and serial lines (4:N),
//! opened through device nodes by their device numbers, as Linux does; and
//! the pipes of FIFOs (`pipe::fifo`). Opens run in the opening task: /dev/tty
//! is its controlling terminal, and a terminal may become that.

use crate::tty::{self, TtyFile};
use arch::{Errno, Result};
use fs::{major, minor, CharDevices, FileOps, Inode, OpenFlags};
use std::sync::Arc;

/// The kernel's character device table.
pub struct Devices {
    /// The console (5:1), virtual consoles and serial lines (4:N).
    pub lines: crate::lines::Lines,
}

impl CharDevices for Devices {
    fn open(&self, rdev: u64, flags: OpenFlags) -> Result<Arc<dyn FileOps>> {
        let ops: Arc<dyn FileOps> = match (major(rdev), minor(rdev)) {
            (1, 3) => Arc::new(Null),
            (1, 5) => Arc::new(Zero),
            (1, 7) => Arc::new(Full),
            (1, 8) | (1, 9) => Arc::new(Random),
            (1, 11) => Arc::new(Kmsg::default()),
            (5, 0) => tty::open_dev_tty()?,
            (5, 2) => {
                let uid = crate::task::current().map_or(0, |t| t.process.cred.borrow().uid);
                crate::pty::open_master(uid)?
            }
            (crate::pty::PTS_MAJOR, n) => tty::open(crate::pty::open_slave(n)?, flags),
            (5, 1) => tty::open(TtyFile::console(self.lines.console.clone()), flags),
            (crate::lines::HVC_MAJOR, 0) => {
                tty::open(TtyFile::new(self.lines.console.clone(), None), flags)
            }
            (crate::lines::TTY_MAJOR, n) => match self.lines.by_minor(n) {
                Some(Some(t)) => tty::open(TtyFile::new(t, None), flags),
                Some(None) => return Err(Errno::ENODEV),
                None => return Err(Errno::ENXIO),
            },
            _ => return Err(Errno::ENXIO),
        };
        Ok(ops)
    }

    fn open_block(&self, rdev: u64, flags: OpenFlags) -> Result<Arc<dyn FileOps>> {
        crate::blkdev::open(rdev, flags)
    }

    fn open_fifo(&self, inode: &Arc<dyn Inode>, flags: OpenFlags) -> Result<Arc<dyn FileOps>> {
        crate::pipe::fifo::open(inode, flags)
    }
}

/// `/dev/null`: reads end at once, writes vanish.
struct Null;

impl FileOps for Null {
    fn read(&self, _: u64, _: &mut [u8]) -> Result<usize> {
        Ok(0)
    }
    fn write(&self, _: u64, data: &[u8]) -> Result<usize> {
        Ok(data.len())
    }
}

/// `/dev/zero`: endless zeroes.
struct Zero;

impl FileOps for Zero {
    fn read(&self, _: u64, buf: &mut [u8]) -> Result<usize> {
        buf.fill(0);
        Ok(buf.len())
    }
    fn write(&self, _: u64, data: &[u8]) -> Result<usize> {
        Ok(data.len())
    }
}

/// `/dev/full`: zeroes to read, ENOSPC to write.
struct Full;

impl FileOps for Full {
    fn read(&self, _: u64, buf: &mut [u8]) -> Result<usize> {
        buf.fill(0);
        Ok(buf.len())
    }
    fn write(&self, _: u64, _: &[u8]) -> Result<usize> {
        Err(Errno::ENOSPC)
    }
}

/// `/dev/random` and `/dev/urandom`: the host's generator. Writes are accepted (they
/// would add entropy).
struct Random;

impl FileOps for Random {
    fn read(&self, _: u64, buf: &mut [u8]) -> Result<usize> {
        arch::host::random::getrandom(buf);
        Ok(buf.len())
    }
    fn write(&self, _: u64, data: &[u8]) -> Result<usize> {
        Ok(data.len())
    }
}

/// `/dev/kmsg`: the kernel log, one record per read in Linux's
/// "level,seq,usec,-;text" form (EINVAL if the buffer is too small for it);
/// `EAGAIN` past the newest record. A write (a whole writev, as systemd and
/// udev log) is one record of at most 1024 bytes, with an optional
/// "<level>" prefix.
#[derive(Default)]
struct Kmsg {
    next: arch::sync::KernelCell<u64>,
}

impl FileOps for Kmsg {
    fn read(&self, _: u64, buf: &mut [u8]) -> Result<usize> {
        let mut next = self.next.borrow_mut();
        let r = crate::printk::record_from(*next).ok_or(Errno::EAGAIN)?;
        let prefix = u32::from(r.facility) << 3 | u32::from(r.level);
        let line = format!("{prefix},{},{},-;{}\n", r.seq, r.usec, r.text);
        if line.len() > buf.len() {
            return Err(Errno::EINVAL);
        }
        buf[..line.len()].copy_from_slice(line.as_bytes());
        *next = r.seq + 1;
        Ok(line.len())
    }
    fn one_record(&self) -> bool {
        true
    }
    fn write(&self, _: u64, data: &[u8]) -> Result<usize> {
        // PRINTKRB_RECORD_MAX: a record is at most 1024 bytes.
        if data.len() > 1024 {
            return Err(Errno::EINVAL);
        }
        let text = String::from_utf8_lossy(data);
        let text = text.trim_end_matches('\n');
        // "<N>": the level and, if it names one, the facility (else user).
        let prefixed = text.strip_prefix('<').and_then(|t| t.split_once('>'));
        let (prefix, text) = match prefixed.map(|(n, rest)| (n.parse::<u32>(), rest)) {
            Some((Ok(n), rest)) => (n, rest),
            _ => (6, text),
        };
        let facility = match (prefix >> 3) & 0xff {
            0 => 1,
            f => f as u8,
        };
        crate::printk::emit_as(facility, (prefix & 7) as u8, text);
        Ok(data.len())
    }
}
