//! Host signals that end the kernel (SIGTERM, SIGHUP, SIGINT, SIGQUIT): they are
//! blocked in every kernel thread from the start and taken synchronously by one
//! thread with `sigwait`, so the kernel can shut down cleanly — sync its disks,
//! give the terminal back — instead of dying wherever the signal lands.

use nix::sys::signal::{SigSet, Signal};

/// The signals that end the kernel.
const TERMINATION: [Signal; 4] = [
    Signal::SIGTERM,
    Signal::SIGHUP,
    Signal::SIGINT,
    Signal::SIGQUIT,
];

fn set() -> SigSet {
    TERMINATION.into_iter().collect()
}

/// Blocks the termination signals in the calling thread and every thread it
/// starts afterwards. Call first thing in main.
pub fn block_termination_signals() {
    let _ = set().thread_block();
}

/// Waits for a termination signal and returns its number.
pub fn wait_termination_signal() -> i32 {
    let s = set();
    loop {
        if let Ok(sig) = s.wait() {
            return sig as i32;
        }
    }
}
