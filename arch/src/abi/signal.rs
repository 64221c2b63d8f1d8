//! Signal numbers and the constants of signal handling on x86_64 Linux
//! (arch/x86/include/uapi/asm/signal.h, include/uapi/asm-generic/siginfo.h):
//! the one set every crate uses. The structures (`siginfo_t`, `stack_t`, the
//! kernel's `struct sigaction`) are in `abi::structs`.

pub const SIGHUP: i32 = 1;
pub const SIGINT: i32 = 2;
pub const SIGQUIT: i32 = 3;
pub const SIGILL: i32 = 4;
pub const SIGTRAP: i32 = 5;
pub const SIGABRT: i32 = 6;
pub const SIGBUS: i32 = 7;
pub const SIGFPE: i32 = 8;
pub const SIGKILL: i32 = 9;
pub const SIGUSR1: i32 = 10;
pub const SIGSEGV: i32 = 11;
pub const SIGUSR2: i32 = 12;
pub const SIGPIPE: i32 = 13;
pub const SIGALRM: i32 = 14;
pub const SIGTERM: i32 = 15;
pub const SIGSTKFLT: i32 = 16;
pub const SIGCHLD: i32 = 17;
pub const SIGCONT: i32 = 18;
pub const SIGSTOP: i32 = 19;
pub const SIGTSTP: i32 = 20;
pub const SIGTTIN: i32 = 21;
pub const SIGTTOU: i32 = 22;
pub const SIGURG: i32 = 23;
pub const SIGXCPU: i32 = 24;
pub const SIGXFSZ: i32 = 25;
pub const SIGVTALRM: i32 = 26;
pub const SIGPROF: i32 = 27;
pub const SIGWINCH: i32 = 28;
pub const SIGIO: i32 = 29;
pub const SIGPWR: i32 = 30;
pub const SIGSYS: i32 = 31;
/// The first real-time signal the kernel offers (glibc reserves two above it).
pub const SIGRTMIN: i32 = 32;
/// The number of signals.
pub const NSIG: i32 = 64;

/// `sa_handler` values.
pub const SIG_DFL: u64 = 0;
pub const SIG_IGN: u64 = 1;

/// `sa_flags` bits.
pub const SA_NOCLDSTOP: u64 = 1;
pub const SA_NOCLDWAIT: u64 = 2;
pub const SA_SIGINFO: u64 = 4;
pub const SA_RESTORER: u64 = 0x0400_0000;
pub const SA_ONSTACK: u64 = 0x0800_0000;
pub const SA_RESTART: u64 = 0x1000_0000;
pub const SA_NODEFER: u64 = 0x4000_0000;
pub const SA_RESETHAND: u64 = 0x8000_0000;

/// `si_code` values.
pub const SI_USER: i32 = 0;
pub const SI_KERNEL: i32 = 0x80;
pub const SI_QUEUE: i32 = -1;
pub const SI_TIMER: i32 = -2;
pub const SI_TKILL: i32 = -6;
pub const SEGV_MAPERR: i32 = 1;
pub const SEGV_ACCERR: i32 = 2;
pub const BUS_ADRERR: i32 = 2;
pub const CLD_EXITED: i32 = 1;
pub const CLD_KILLED: i32 = 2;
pub const CLD_DUMPED: i32 = 3;
pub const CLD_TRAPPED: i32 = 4;
pub const CLD_STOPPED: i32 = 5;
pub const CLD_CONTINUED: i32 = 6;

/// `ss_flags` of `stack_t` (sigaltstack(2)).
pub const SS_ONSTACK: i32 = 1;
pub const SS_DISABLE: i32 = 2;
pub const SS_AUTODISARM: i32 = 1 << 31;

/// Returns the bit of `sig` in a signal set (`sigset_t`, one bit per signal
/// from bit 0 for signal 1).
pub const fn sigbit(sig: i32) -> u64 {
    1 << (sig - 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The numbers are the host's (x86_64 Linux on both sides).
    #[test]
    fn numbers_match_the_c_library() {
        let pairs = [
            (SIGHUP, libc::SIGHUP),
            (SIGINT, libc::SIGINT),
            (SIGQUIT, libc::SIGQUIT),
            (SIGILL, libc::SIGILL),
            (SIGTRAP, libc::SIGTRAP),
            (SIGABRT, libc::SIGABRT),
            (SIGBUS, libc::SIGBUS),
            (SIGFPE, libc::SIGFPE),
            (SIGKILL, libc::SIGKILL),
            (SIGUSR1, libc::SIGUSR1),
            (SIGSEGV, libc::SIGSEGV),
            (SIGUSR2, libc::SIGUSR2),
            (SIGPIPE, libc::SIGPIPE),
            (SIGALRM, libc::SIGALRM),
            (SIGTERM, libc::SIGTERM),
            (SIGSTKFLT, libc::SIGSTKFLT),
            (SIGCHLD, libc::SIGCHLD),
            (SIGCONT, libc::SIGCONT),
            (SIGSTOP, libc::SIGSTOP),
            (SIGTSTP, libc::SIGTSTP),
            (SIGTTIN, libc::SIGTTIN),
            (SIGTTOU, libc::SIGTTOU),
            (SIGURG, libc::SIGURG),
            (SIGXCPU, libc::SIGXCPU),
            (SIGXFSZ, libc::SIGXFSZ),
            (SIGVTALRM, libc::SIGVTALRM),
            (SIGPROF, libc::SIGPROF),
            (SIGWINCH, libc::SIGWINCH),
            (SIGIO, libc::SIGIO),
            (SIGPWR, libc::SIGPWR),
            (SIGSYS, libc::SIGSYS),
        ];
        for (ours, host) in pairs {
            assert_eq!(ours, host);
        }
        assert_eq!(SA_ONSTACK, libc::SA_ONSTACK as u32 as u64);
        assert_eq!(SA_RESTART, libc::SA_RESTART as u32 as u64);
        assert_eq!(SA_NODEFER, libc::SA_NODEFER as u32 as u64);
        assert_eq!(SA_RESETHAND, libc::SA_RESETHAND as u32 as u64);
        assert_eq!(SA_SIGINFO, libc::SA_SIGINFO as u32 as u64);
        assert_eq!(SS_ONSTACK, libc::SS_ONSTACK);
        assert_eq!(SS_DISABLE, libc::SS_DISABLE);
    }
}
