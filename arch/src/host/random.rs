//! Randomness from the host's generator, for AT_RANDOM, getrandom and /dev/urandom.

/// Fills `buf` from the host's random number generator.
pub fn getrandom(buf: &mut [u8]) {
    let mut done = 0;
    while done < buf.len() {
        // SAFETY: writes at most the remaining length into buf.
        let r = unsafe { libc::getrandom(buf[done..].as_mut_ptr().cast(), buf.len() - done, 0) };
        if r > 0 {
            done += r as usize;
        }
    }
}
