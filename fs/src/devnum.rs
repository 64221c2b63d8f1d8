//! Device numbers in Linux's 64-bit `dev_t` encoding (glibc's `gnu_dev_makedev`): the
//! low 8 bits of the minor, then 12 bits of major, then the rest of the minor, then
//! the rest of the major. Filesystems without a device take an anonymous
//! number (major 0).

/// Returns the major number of `rdev`.
pub fn major(rdev: u64) -> u32 {
    (((rdev >> 8) & 0xfff) | ((rdev >> 32) & !0xfff)) as u32
}

/// Returns the minor number of `rdev`.
pub fn minor(rdev: u64) -> u32 {
    ((rdev & 0xff) | ((rdev >> 12) & !0xff)) as u32
}

/// Returns a fresh anonymous device number 0:N for a filesystem without a
/// device (tmpfs, proc, sysfs), as Linux's `get_anon_bdev`.
pub fn anon_dev() -> u64 {
    static NEXT_MINOR: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(1);
    makedev(
        0,
        NEXT_MINOR.fetch_add(1, std::sync::atomic::Ordering::Relaxed),
    )
}

/// Returns the `dev_t` of (`major`, `minor`).
pub fn makedev(major: u32, minor: u32) -> u64 {
    let (ma, mi) = (major as u64, minor as u64);
    ((ma & 0xfff) << 8) | ((ma & !0xfff) << 32) | (mi & 0xff) | ((mi & !0xff) << 12)
}

/// Returns `rdev` in Linux's 32-bit "new" encoding (`new_encode_dev`), as
/// ext4 inodes and /proc/PID/stat's `tty_nr` hold it.
pub fn new_encode_dev(rdev: u64) -> u32 {
    let (major, minor) = (major(rdev), minor(rdev));
    (minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_known_values() {
        assert_eq!(makedev(1, 3), 0x103);
        assert_eq!(makedev(136, 0), 0x8800);
        assert_eq!(makedev(4095, 256), 0x1f_ff00);
        for (ma, mi) in [(0, 0), (1, 3), (259, 70000), (u32::MAX, u32::MAX)] {
            let d = makedev(ma, mi);
            assert_eq!((major(d), minor(d)), (ma, mi));
        }
    }
}
