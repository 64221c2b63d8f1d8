//! Kernel panics: the reason and a backtrace of the kernel on standard error, then
//! an exit with a status of its own, so scripts can tell a panic from init's status.

/// The exit status of `./linux` after a kernel panic.
pub const PANIC_EXIT_STATUS: i32 = 125;

/// Makes every Rust panic, in any kernel thread, a kernel panic.
pub fn install_hook() {
    std::panic::set_hook(Box::new(|info| {
        let bt = std::backtrace::Backtrace::force_capture();
        let msg = format!("Kernel panic - not syncing: {info}\nKernel backtrace:\n{bt}\n");
        arch::host::console::restore();
        arch::host::console::write_err(msg.as_bytes());
        crate::boot::exit(PANIC_EXIT_STATUS);
    }));
}

/// Ends the kernel with `reason` when the user's own input caused it (no
/// init to run): Linux's message, without the kernel's own stack, which says
/// nothing about the mistake.
pub fn panic_user(reason: &str) -> ! {
    end(&format!("Kernel panic - not syncing: {reason}\n"))
}

fn end(msg: &str) -> ! {
    arch::host::console::restore();
    arch::host::console::write_err(msg.as_bytes());
    crate::boot::exit(PANIC_EXIT_STATUS);
}
