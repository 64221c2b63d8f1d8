//! The anonymous inode (Linux's anon_inodefs) that files with no name of their
//! own — epoll instances, eventfds — share: what fstat reports for them.

use arch::PAGE_SIZE;
use fs::Stat;

/// The st_dev of anon_inodefs (an unnamed device, major 0).
const ANON_INODE_DEV: u64 = 0xe;

/// Returns the attributes of the anonymous inode: mode 0600 with no file type
/// bits (a "weird file" to stat(1)), one link, owned by root.
pub fn stat() -> Stat {
    Stat {
        dev: ANON_INODE_DEV,
        ino: 1,
        mode: 0o600,
        nlink: 1,
        blksize: PAGE_SIZE as u32,
        ..Default::default()
    }
}
