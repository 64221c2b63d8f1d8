//! Signals: `siginfo_t` with the members of its union, the kernel's
//! `struct sigaction`, `struct sigevent`, `stack_t`, and pselect6's mask
//! argument.

use crate::abi::pod::{as_bytes, from_bytes, pod_structs, Pod};
use crate::abi::signal::SIGCHLD;
use std::mem::size_of;

pod_structs! {
    /// `siginfo_t` of x86_64 (include/uapi/asm-generic/siginfo.h): 128 bytes,
    /// the number, errno and code, then the union `_sifields`, which is read
    /// and written as the member the code says it holds (`SigKill`,
    /// `SigTimer`, `SigRt`, `SigChld`, `SigFault`) by `fields` and
    /// `set_fields`.
    #[derive(Clone, Copy, PartialEq, Eq)]
    pub struct SigInfo {
        pub si_signo: i32,
        pub si_errno: i32,
        pub si_code: i32,
        pub __pad0: i32,
        pub sifields: [u64; 14],
    }

    /// `_sifields._kill`: kill(2), tkill(2), and signals the kernel sends.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SigKill {
        pub si_pid: i32,
        pub si_uid: u32,
    }

    /// `_sifields._timer`: a POSIX timer's expiry.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SigTimer {
        pub si_tid: i32,
        pub si_overrun: i32,
        /// `sigval_t`: the timer's `sigev_value`.
        pub si_value: u64,
    }

    /// `_sifields._rt`: sigqueue(3) and other senders of a value.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SigRt {
        pub si_pid: i32,
        pub si_uid: u32,
        pub si_value: u64,
    }

    /// `_sifields._sigchld`: a child's change of state.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SigChld {
        pub si_pid: i32,
        pub si_uid: u32,
        pub si_status: i32,
        pub __pad: i32,
        pub si_utime: i64,
        pub si_stime: i64,
    }

    /// `_sifields._sigfault`, as far as this kernel fills it: the faulting
    /// address.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SigFault {
        pub si_addr: u64,
    }

    /// `_sifields._sigpoll`: signal-driven I/O's event (its poll band) and
    /// file descriptor.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SigPoll {
        pub si_band: i64,
        pub si_fd: i32,
        pub __pad: i32,
    }

    /// `_sifields._sigsys`: a system call a seccomp filter trapped: where
    /// it was made from, its number and the calling convention's arch.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SigSys {
        pub call_addr: u64,
        pub syscall: i32,
        pub arch: u32,
    }

    /// The kernel's `struct sigaction` of x86_64 (rt_sigaction(2)): handler,
    /// flags, restorer, then the 64-bit mask (not glibc's layout, whose mask
    /// comes second and is 128 bytes).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct KernelSigaction {
        pub sa_handler: u64,
        pub sa_flags: u64,
        pub sa_restorer: u64,
        pub sa_mask: u64,
    }

    /// `struct sigevent` (timer_create(2), mq_notify(3)): how an event is
    /// announced. Of the union `_sigev_un` only the thread id of
    /// SIGEV_THREAD_ID is the kernel's business; the rest is the C
    /// library's (SIGEV_THREAD's function and attributes).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct Sigevent {
        /// `sigval_t`.
        pub sigev_value: u64,
        pub sigev_signo: i32,
        pub sigev_notify: i32,
        pub sigev_notify_thread_id: i32,
        pub __pad: [i32; 11],
    }

    /// pselect6's sixth argument (Linux's `struct sigset_argpack`, which
    /// has no uapi header): the signal mask to wait with and its size.
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct SigsetArgpack {
        /// `const sigset_t *`.
        pub ss: u64,
        pub ss_len: u64,
    }

    /// `stack_t` (sigaltstack(2)).
    #[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
    pub struct StackT {
        pub ss_sp: u64,
        pub ss_flags: i32,
        pub __pad: i32,
        pub ss_size: u64,
    }
}

/// A member of `siginfo_t`'s union `_sifields`.
pub trait SigFields: Pod {}
impl SigFields for SigKill {}
impl SigFields for SigTimer {}
impl SigFields for SigRt {}
impl SigFields for SigChld {}
impl SigFields for SigFault {}
impl SigFields for SigSys {}
impl SigFields for SigPoll {}

impl SigInfo {
    /// Creates a siginfo with just a number and a code.
    pub fn new(signo: i32, code: i32) -> SigInfo {
        SigInfo {
            si_signo: signo,
            si_errno: 0,
            si_code: code,
            __pad0: 0,
            sifields: [0; 14],
        }
    }

    /// Creates a siginfo whose union holds `fields`.
    pub fn with<T: SigFields>(signo: i32, code: i32, fields: T) -> SigInfo {
        let mut s = SigInfo::new(signo, code);
        s.set_fields(fields);
        s
    }

    /// Creates the siginfo of kill(2), tkill(2) and friends: the sender's
    /// pid and uid.
    pub fn kill(signo: i32, code: i32, pid: i32, uid: u32) -> SigInfo {
        SigInfo::with(
            signo,
            code,
            SigKill {
                si_pid: pid,
                si_uid: uid,
            },
        )
    }

    /// Creates the siginfo of a fault at `addr` (SIGSEGV, SIGBUS, SIGFPE...).
    pub fn fault(signo: i32, code: i32, addr: u64) -> SigInfo {
        SigInfo::with(signo, code, SigFault { si_addr: addr })
    }

    /// Creates the SIGCHLD siginfo for child `pid` of real user `uid` with
    /// `status` (an exit code or a signal number, as `code` says).
    pub fn child(code: i32, pid: i32, uid: u32, status: i32) -> SigInfo {
        SigInfo::with(
            SIGCHLD,
            code,
            SigChld {
                si_pid: pid,
                si_uid: uid,
                si_status: status,
                ..Default::default()
            },
        )
    }

    /// Returns the union read as member `T`.
    pub fn fields<T: SigFields>(&self) -> T {
        const { assert!(size_of::<T>() <= size_of::<[u64; 14]>()) };
        from_bytes(as_bytes(&self.sifields)).expect("the union is larger than any member")
    }

    /// Stores `fields` as the union's member (its bytes past the member are
    /// left as they are).
    pub fn set_fields<T: SigFields>(&mut self, fields: T) {
        const { assert!(size_of::<T>() <= size_of::<[u64; 14]>()) };
        let mut bytes = as_bytes(&self.sifields).to_vec();
        bytes[..size_of::<T>()].copy_from_slice(as_bytes(&fields));
        self.sifields = from_bytes(&bytes).expect("as many bytes as the union has");
    }
}

impl Default for SigInfo {
    fn default() -> Self {
        SigInfo::new(0, 0)
    }
}

impl std::fmt::Debug for SigInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "SigInfo(sig {} code {})", self.si_signo, self.si_code)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::abi::signal::{CLD_STOPPED, SI_TIMER};
    use std::mem::offset_of;

    #[test]
    fn layouts_match_the_c_library() {
        assert_eq!(size_of::<SigInfo>(), size_of::<libc::siginfo_t>());
        assert_eq!(size_of::<SigInfo>(), 128);
        assert_eq!(offset_of!(SigInfo, sifields), 16);
        assert_eq!(size_of::<KernelSigaction>(), 32);
        assert_eq!(size_of::<Sigevent>(), size_of::<libc::sigevent>());
        assert_eq!(
            offset_of!(Sigevent, sigev_notify),
            offset_of!(libc::sigevent, sigev_notify)
        );
        assert_eq!(
            offset_of!(Sigevent, sigev_notify_thread_id),
            offset_of!(libc::sigevent, sigev_notify_thread_id)
        );
        assert_eq!(size_of::<StackT>(), size_of::<libc::stack_t>());
        assert_eq!(
            offset_of!(StackT, ss_size),
            offset_of!(libc::stack_t, ss_size)
        );
    }

    /// The union's members land where the C library's accessors read them.
    #[test]
    fn members_are_where_the_c_library_reads_them() {
        let host = |s: &SigInfo| -> libc::siginfo_t {
            // The C library's type is no Pod of ours; copy the bytes in.
            let mut b = [0u8; 128];
            b.copy_from_slice(as_bytes(s));
            // SAFETY: siginfo_t is 128 bytes of plain integers (checked
            // above), so any 128 bytes are a valid value; read_unaligned
            // needs no alignment.
            unsafe { std::ptr::read_unaligned(b.as_ptr().cast()) }
        };
        let mut c = SigInfo::child(CLD_STOPPED, 77, 1000, 19);
        c.set_fields(SigChld {
            si_utime: 5,
            si_stime: 6,
            ..c.fields()
        });
        let h = host(&c);
        // SAFETY: the accessors read plain integers of a valid siginfo_t.
        unsafe {
            assert_eq!((h.si_signo, h.si_code), (SIGCHLD, CLD_STOPPED));
            assert_eq!((h.si_pid(), h.si_uid(), h.si_status()), (77, 1000, 19));
            assert_eq!((h.si_utime(), h.si_stime()), (5, 6));
        }
        let k = host(&SigInfo::kill(9, 0, 12, 1000));
        // SAFETY: as above.
        unsafe { assert_eq!((k.si_pid(), k.si_uid()), (12, 1000)) };
        let f = host(&SigInfo::fault(11, 1, 0xdead_b000));
        // SAFETY: as above.
        unsafe { assert_eq!(f.si_addr() as u64, 0xdead_b000) };
        let t = host(&SigInfo::with(
            14,
            SI_TIMER,
            SigTimer {
                si_tid: 3,
                si_overrun: 4,
                si_value: 0x1234,
            },
        ));
        // SAFETY: as above.
        unsafe { assert_eq!(t.si_value().sival_ptr as u64, 0x1234) };
        assert_eq!(t.si_code, SI_TIMER);
    }
}
