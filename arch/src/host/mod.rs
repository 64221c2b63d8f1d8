//! Host services other than running guest code: files backing block devices, the host terminal,
//! clocks, randomness, CPU identification (and its XSAVE features) and the
//! kernel's own heap, the machine id's directory and the management
//! console's socket, and the names of the kernel's own threads.

pub mod console;
pub mod cpu;
pub mod file;
pub mod heap;
pub mod hostfs;
pub mod mconsole;
pub mod passt;
pub mod random;
pub mod signals;
pub mod tap;
pub mod thread;
pub mod time;
pub mod umid;
pub mod xsave;

/// Replaces the kernel process with a fresh run of the same program and
/// arguments (a reboot, as UML re-executes itself). Returns only on failure.
pub fn reexec() -> std::io::Error {
    use std::os::unix::process::CommandExt;
    let mut args = std::env::args_os();
    let Some(_argv0) = args.next() else {
        return std::io::Error::from(std::io::ErrorKind::NotFound);
    };
    std::process::Command::new("/proc/self/exe")
        .args(args)
        .exec()
}
