//! `siginfo_t` as x86_64 Linux lays it out: 128 bytes, `si_signo`, `si_errno` and
//! `si_code` first, then a union whose members start at byte 16.

use super::SIGCHLD;

/// A signal with the facts that came with it.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct SigInfo(pub [u8; 128]);

impl core::fmt::Debug for SigInfo {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "SigInfo(sig {} code {})", self.signo(), self.code())
    }
}

impl SigInfo {
    /// Creates a siginfo with just a number and a code.
    pub fn new(signo: i32, code: i32) -> SigInfo {
        let mut s = SigInfo([0; 128]);
        s.set_i32(0, signo);
        s.set_i32(8, code);
        s
    }

    /// Creates the siginfo of kill(2), tkill(2) and friends: the sender's pid and uid.
    pub fn user(signo: i32, code: i32, pid: i32, uid: u32) -> SigInfo {
        let mut s = SigInfo::new(signo, code);
        s.set_i32(16, pid);
        s.set_i32(20, uid as i32);
        s
    }

    /// Creates the siginfo of a fault at `addr` (SIGSEGV, SIGBUS, SIGFPE...).
    pub fn fault(signo: i32, code: i32, addr: u64) -> SigInfo {
        let mut s = SigInfo::new(signo, code);
        s.set_u64(16, addr);
        s
    }

    /// Creates the SIGCHLD siginfo for child `pid` with `status` (an exit code or
    /// a signal number, as `code` says).
    pub fn child(code: i32, pid: i32, status: i32) -> SigInfo {
        let mut s = SigInfo::user(SIGCHLD, code, pid, 0);
        s.set_i32(24, status);
        s
    }

    /// Returns `si_signo`.
    pub fn signo(&self) -> i32 {
        self.i32_at(0)
    }

    /// Returns `si_code`.
    pub fn code(&self) -> i32 {
        self.i32_at(8)
    }

    /// Returns the fault address of a fault's siginfo.
    pub fn addr(&self) -> u64 {
        u64::from_ne_bytes(self.0[16..24].try_into().expect("8 bytes"))
    }

    fn i32_at(&self, off: usize) -> i32 {
        i32::from_ne_bytes(self.0[off..off + 4].try_into().expect("4 bytes"))
    }

    /// Stores a 32-bit field at byte `off`.
    pub fn set_i32(&mut self, off: usize, v: i32) {
        self.0[off..off + 4].copy_from_slice(&v.to_ne_bytes());
    }

    /// Stores a 64-bit field at byte `off`.
    pub fn set_u64(&mut self, off: usize, v: u64) {
        self.0[off..off + 8].copy_from_slice(&v.to_ne_bytes());
    }
}
