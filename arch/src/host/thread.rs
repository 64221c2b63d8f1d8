//! Names of the kernel's host threads, as `ps -L`, /proc/PID/task/TID/comm
//! and gdb's `info threads` show them.

use std::ffi::CString;

/// Names the calling thread `name` (the host keeps its first 15 bytes).
pub fn set_name(name: &str) {
    if let Ok(name) = CString::new(name) {
        let _ = nix::sys::prctl::set_name(&name);
    }
}
