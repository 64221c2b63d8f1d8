//! Host signals that end the kernel (SIGTERM, SIGHUP, SIGINT, SIGQUIT): they are
//! blocked in every kernel thread from the start and taken synchronously by one
//! thread with `sigwait`, so the kernel can shut down cleanly — sync its disks,
//! give the terminal back — instead of dying wherever the signal lands.

/// The signals that end the kernel.
const TERMINATION: [libc::c_int; 4] = [libc::SIGTERM, libc::SIGHUP, libc::SIGINT, libc::SIGQUIT];

fn set() -> libc::sigset_t {
    // SAFETY: sigemptyset initialises the set; sigaddset adds valid signals.
    unsafe {
        let mut s: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut s);
        for sig in TERMINATION {
            libc::sigaddset(&mut s, sig);
        }
        s
    }
}

/// Blocks the termination signals in the calling thread and every thread it
/// starts afterwards. Call first thing in main.
pub fn block_termination_signals() {
    let s = set();
    // SAFETY: pthread_sigmask reads one valid sigset_t.
    unsafe { libc::pthread_sigmask(libc::SIG_BLOCK, &s, std::ptr::null_mut()) };
}

/// Waits for a termination signal and returns its number.
pub fn wait_termination_signal() -> i32 {
    let s = set();
    loop {
        let mut sig = 0;
        // SAFETY: sigwait reads a valid set and writes one int.
        if unsafe { libc::sigwait(&s, &mut sig) } == 0 {
            return sig;
        }
    }
}
