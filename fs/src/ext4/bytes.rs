//! Little-endian field access on on-disk buffers. Reads outside the buffer return
//! zero instead of panicking; callers check buffer sizes before trusting fields.

/// Returns the little-endian u16 at `off`, or 0 if it lies outside `b`.
pub(super) fn le16(b: &[u8], off: usize) -> u16 {
    match b.get(off..off.wrapping_add(2)) {
        Some(s) => u16::from_le_bytes([s[0], s[1]]),
        None => 0,
    }
}

/// Returns the little-endian u32 at `off`, or 0 if it lies outside `b`.
pub(super) fn le32(b: &[u8], off: usize) -> u32 {
    match b.get(off..off.wrapping_add(4)) {
        Some(s) => u32::from_le_bytes([s[0], s[1], s[2], s[3]]),
        None => 0,
    }
}

/// Returns `b[off..off + len]`, or an empty slice if it lies outside `b`.
pub(super) fn slice(b: &[u8], off: usize, len: usize) -> &[u8] {
    b.get(off..off.wrapping_add(len)).unwrap_or(&[])
}
