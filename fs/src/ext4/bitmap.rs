//! Bit operations on block and inode bitmaps (one block each, bit `i` of byte
//! `i / 8` is object `i` of the group) and their `metadata_csum` checksums, which
//! cover only the bits of objects a group has.

use crate::crc32c::crc32c_update;

/// Returns whether bit `i` is set.
pub(super) fn test(map: &[u8], i: usize) -> bool {
    map.get(i / 8).is_some_and(|b| b & (1 << (i % 8)) != 0)
}

/// Sets bits `start..start + len`.
pub(super) fn set_range(map: &mut [u8], start: usize, len: usize) {
    for i in start..start + len {
        if let Some(b) = map.get_mut(i / 8) {
            *b |= 1 << (i % 8);
        }
    }
}

/// Clears bits `start..start + len`.
pub(super) fn clear_range(map: &mut [u8], start: usize, len: usize) {
    for i in start..start + len {
        if let Some(b) = map.get_mut(i / 8) {
            *b &= !(1 << (i % 8));
        }
    }
}

/// Returns the first clear bit in `from..end`.
pub(super) fn find_zero(map: &[u8], from: usize, end: usize) -> Option<usize> {
    let mut i = from;
    while i < end {
        let byte = map.get(i / 8).copied()?;
        if i.is_multiple_of(8) && byte == 0xFF {
            i += 8;
            continue;
        }
        if byte & (1 << (i % 8)) == 0 {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// Returns how many clear bits follow `start` (itself included), at most `max`,
/// below `end`.
pub(super) fn zero_run(map: &[u8], start: usize, end: usize, max: usize) -> usize {
    let mut n = 0;
    while n < max && start + n < end && !test(map, start + n) {
        n += 1;
    }
    n
}

/// Returns how many bits in `0..end` are clear.
pub(super) fn count_zeroes(map: &[u8], end: usize) -> u32 {
    (0..end).filter(|&i| !test(map, i)).count() as u32
}

/// Returns the checksum of the first `bits` bits of a bitmap.
pub(super) fn checksum(seed: u32, map: &[u8], bits: u32) -> u32 {
    let len = (bits as usize / 8).min(map.len());
    crc32c_update(seed, &map[..len])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bits() {
        let mut m = vec![0u8; 4];
        set_range(&mut m, 0, 9);
        assert_eq!(m[..2], [0xFF, 1]);
        assert_eq!(find_zero(&m, 0, 32), Some(9));
        assert_eq!(zero_run(&m, 9, 32, 100), 23);
        assert_eq!(zero_run(&m, 9, 12, 100), 3);
        clear_range(&mut m, 3, 2);
        assert_eq!(find_zero(&m, 0, 32), Some(3));
        assert_eq!(count_zeroes(&m, 16), 9);
        set_range(&mut m, 0, 32);
        assert_eq!(find_zero(&m, 0, 32), None);
        assert!(test(&m, 31) && !test(&m, 32));
    }
}
