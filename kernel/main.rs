//! `linux`: a Linux-compatible kernel that runs as a process on an x86_64 Linux
//! host, in the line of User-mode Linux. `./linux ubd0=disk.img init=/bin/sh`
//! boots the ext4 image and runs init on this terminal; `./linux` exits with init's
//! exit status.
#![forbid(unsafe_code)]

mod anon_inode;
mod blkdev;
mod block;
mod block_hotplug;
mod boot;
mod capability;
mod cgroup;
mod cmdline;
mod coredump;
mod devices;
mod devpts;
mod devtmpfs;
mod epoll;
mod eventfd;
mod exec;
mod fasync;
mod filemap;
mod filesystems;
mod freezer;
mod futex;
mod inotify;
mod ipc;
mod kmem;
mod kobject_uevent;
mod lines;
mod mconsole;
use arch::sync::kernel_lock as lock;
mod memfd;
mod mnt_ns;
mod net;
mod nic_hotplug;
mod nic_spec;
mod nsfs;
mod oom;
mod panic;
mod pid_ns;
mod pidfd;
mod pipe;
mod printk;
mod proc;
mod ptrace;
mod pty;
mod seccomp;
mod signal;
mod signalfd;
mod sleep;
mod syscall;
mod sysfs;
mod sysfs_block;
mod sysfs_net;
mod sysrq;
mod task;
mod timer;
mod timerfd;
mod tty;
mod uts;
mod wchan;

/// The stub program every guest thread runs in under the ptrace backend (built
/// by build.rs).
static STUB_ELF: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/stub"));
static SECCOMP_STUB_ELF: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/stub-seccomp"));

/// How long, in microseconds, each side of a seccomp trap polls for the
/// other's answer before it sleeps (the backend polls only where the host
/// gives this process more than one CPU: guest threads then run apart).
const SECCOMP_SPIN_US: u64 = 50;

/// The one place that picks how guest code runs: `backend=`, else the
/// environment's `LINUX_BACKEND` (how the test suites run under each), else
/// seccomp where the host allows it and ptrace where it does not.
fn pick_backend(kind: Option<cmdline::BackendKind>) -> Box<dyn arch::backend::Backend> {
    use cmdline::BackendKind;
    let kind = kind.or_else(|| match std::env::var("LINUX_BACKEND").as_deref() {
        Ok("seccomp") => Some(BackendKind::Seccomp),
        Ok("ptrace") => Some(BackendKind::Ptrace),
        _ => None,
    });
    if kind != Some(BackendKind::Ptrace) {
        let spin = std::env::var("LINUX_SECCOMP_SPIN")
            .ok()
            .and_then(|s| s.parse().ok())
            .unwrap_or(SECCOMP_SPIN_US);
        match arch::backend::seccomp::SeccompBackend::new(SECCOMP_STUB_ELF, spin) {
            Ok(b) => return Box::new(b),
            Err(e) if kind == Some(BackendKind::Seccomp) => {
                eprintln!("linux: backend=seccomp: this host does not allow it: {e}");
                std::process::exit(EXIT_BOOT);
            }
            Err(e) => log::info!("seccomp backend unavailable ({e}); using ptrace"),
        }
    }
    match arch::backend::ptrace::PtraceBackend::new(STUB_ELF) {
        Ok(b) => Box::new(b),
        Err(e) => {
            eprintln!("linux: cannot prepare the stub program: {e}");
            std::process::exit(EXIT_BOOT);
        }
    }
}

/// Exit status for a command line the kernel cannot use.
const EXIT_USAGE: i32 = 2;
/// Exit status when boot fails before init runs (a missing or locked disk...).
const EXIT_BOOT: i32 = 1;

fn main() {
    // Before any thread exists, so that every thread inherits the mask.
    arch::host::signals::block_termination_signals();
    arch::host::file::raise_open_file_limit();
    let action = match cmdline::parse(std::env::args().skip(1)) {
        Ok(a) => a,
        Err(e) => {
            eprintln!("linux: {e}");
            eprintln!("Try 'linux --help' for the options.");
            std::process::exit(EXIT_USAGE);
        }
    };
    let c = match action {
        cmdline::Action::Help => {
            print!("{}", cmdline::USAGE);
            return;
        }
        cmdline::Action::Version => {
            println!(
                "linux {} (Linux {} compatible, x86_64)",
                env!("CARGO_PKG_VERSION"),
                syscall::RELEASE
            );
            return;
        }
        cmdline::Action::Boot(c) => *c,
    };
    panic::install_hook();
    printk::init(c.loglevel);
    if !c.strace.is_empty() {
        let _ = syscall::STRACE.set(c.strace.clone());
    }
    let backend = pick_backend(c.backend);
    // Before anything else is taken (the disks' locks): a second instance
    // of a umid is refused by its name.
    let umid = match arch::host::umid::make(&c.uml_dir, c.umid.as_deref()) {
        Ok(u) => u,
        Err(msg) => {
            eprintln!("linux: {msg}");
            std::process::exit(EXIT_BOOT);
        }
    };
    log::info!("umid: {} ({})", umid.name, umid.dir.display());
    let config = c.clone();
    if let Err(boot::BootError(msg)) = boot::boot(c, backend) {
        arch::host::console::restore();
        eprintln!("linux: {msg}");
        boot::exit(EXIT_BOOT);
    }
    mconsole::start(&umid, &config);
    // Init runs in its own thread; the kernel ends when it exits (boot::shutdown).
    loop {
        std::thread::park();
    }
}
