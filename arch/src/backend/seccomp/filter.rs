//! The seccomp stub's two filters, classic BPF over `struct seccomp_data`
//! (nr at 0, arch at 4, instruction pointer at 8, arguments from 16):
//!
//! - the guest threads': a system call made from the stub's code page is
//!   allowed if it is futex's FUTEX_WAIT or FUTEX_WAKE, rt_sigreturn,
//!   arch_prctl setting the FS or GS base, sched_yield (the handler's
//!   polling lets other host threads have its CPU), or exit (of the calling
//!   thread) —
//!   what the handler needs, none of which reaches beyond the calling
//!   process — and every other call, from
//!   anywhere, traps to the kernel (`SECCOMP_RET_TRAP`: SIGSYS). Guest code
//!   jumping into the stub can thus make only those calls, with arguments of
//!   its choosing: all act on its own process (its futex words, its registers
//!   and signal mask, its TLS bases). Other futex operations are not allowed:
//!   the PI ones look up host thread ids, and FUTEX_TRYLOCK_PI on a free word
//!   wrote the stub's host tid into guest memory (tests/guest/stubattack.c).
//! - the mapper thread's: the calls of its loop (futex, mmap, munmap,
//!   mprotect, write, exit_group on a failed start, clone to start another
//!   guest thread) and those of a guest thread's start and handler, which
//!   inherits this filter under its own; anything else traps (a guest
//!   thread's calls trap under both filters; the mapper has no stack for a
//!   signal frame, so a trap there kills the stub).

use super::layout::{ScFilter, ARCH_SET_FS, ARCH_SET_GS, SC_FILTER_LEN};
use crate::backend::ptrace::layout::STUB_CODE;
use crate::PAGE_SIZE;

const BPF_LD_W_ABS: u16 = 0x20;
const BPF_JEQ_K: u16 = 0x15;
const BPF_JGE_K: u16 = 0x35;
const BPF_RET_K: u16 = 0x06;
const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
const RET_TRAP: u32 = 0x0003_0000;
const RET_ALLOW: u32 = 0x7fff_0000;
const NR: u32 = 0;
const ARCH: u32 = 4;
const IP_LO: u32 = 8;
const IP_HI: u32 = 12;
const ARG0_LO: u32 = 16;
const ARG0_HI: u32 = 20;
const ARG1_LO: u32 = 24;
const ARG1_HI: u32 = 28;
/// futex(2)'s operations the handler makes (without FUTEX_PRIVATE_FLAG).
const FUTEX_WAIT: u32 = 0;
const FUTEX_WAKE: u32 = 1;

/// A program under construction whose jumps name absolute instruction
/// indices (`Jump::To`) or the final `Ret` instructions.
struct Program(Vec<(u16, Jump, Jump, u32)>);

#[derive(Clone, Copy)]
enum Jump {
    Next,
    To(usize),
}

impl Program {
    fn load(&mut self, off: u32) {
        self.0.push((BPF_LD_W_ABS, Jump::Next, Jump::Next, off));
    }

    fn jump(&mut self, code: u16, k: u32, jt: Jump, jf: Jump) {
        self.0.push((code, jt, jf, k));
    }

    fn ret(&mut self, k: u32) {
        self.0.push((BPF_RET_K, Jump::Next, Jump::Next, k));
    }

    fn finish(self) -> [ScFilter; SC_FILTER_LEN] {
        assert!(
            self.0.len() <= SC_FILTER_LEN,
            "the stub's filter is too long"
        );
        let mut out = [ScFilter::default(); SC_FILTER_LEN];
        for (i, &(code, jt, jf, k)) in self.0.iter().enumerate() {
            let rel = |j: Jump| match j {
                Jump::Next => 0,
                Jump::To(t) => u8::try_from(t - i - 1).expect("a short jump"),
            };
            out[i] = ScFilter {
                code,
                jt: rel(jt),
                jf: rel(jf),
                k,
            };
        }
        out
    }
}

/// Returns the guest thread's filter and its length.
pub(super) fn guest() -> ([ScFilter; SC_FILTER_LEN], usize) {
    const FUTEX: Jump = Jump::To(18);
    const ALLOW: Jump = Jump::To(23);
    const TRAP: Jump = Jump::To(24);
    let lo = STUB_CODE as u32;
    let mut p = Program(Vec::new());
    p.load(ARCH); // 0
    p.jump(BPF_JEQ_K, AUDIT_ARCH_X86_64, Jump::Next, TRAP);
    p.load(IP_HI); // 2
    p.jump(BPF_JEQ_K, (STUB_CODE >> 32) as u32, Jump::Next, TRAP);
    p.load(IP_LO); // 4
    p.jump(BPF_JGE_K, lo, Jump::Next, TRAP);
    p.jump(BPF_JGE_K, lo + PAGE_SIZE as u32, TRAP, Jump::Next);
    p.load(NR); // 7
    p.jump(BPF_JEQ_K, libc::SYS_futex as u32, FUTEX, Jump::Next);
    p.jump(BPF_JEQ_K, libc::SYS_rt_sigreturn as u32, ALLOW, Jump::Next);
    p.jump(BPF_JEQ_K, libc::SYS_exit as u32, ALLOW, Jump::Next);
    p.jump(BPF_JEQ_K, libc::SYS_sched_yield as u32, ALLOW, Jump::Next);
    p.jump(BPF_JEQ_K, libc::SYS_arch_prctl as u32, Jump::Next, TRAP);
    p.load(ARG0_HI); // 13
    p.jump(BPF_JEQ_K, 0, Jump::Next, TRAP);
    p.load(ARG0_LO); // 15
    p.jump(BPF_JEQ_K, ARCH_SET_FS as u32, ALLOW, Jump::Next);
    p.jump(BPF_JEQ_K, ARCH_SET_GS as u32, ALLOW, TRAP);
    p.load(ARG1_HI); // 18: futex's operation
    p.jump(BPF_JEQ_K, 0, Jump::Next, TRAP);
    p.load(ARG1_LO);
    p.jump(BPF_JEQ_K, FUTEX_WAIT, ALLOW, Jump::Next);
    p.jump(BPF_JEQ_K, FUTEX_WAKE, ALLOW, TRAP);
    p.ret(RET_ALLOW); // 23
    p.ret(RET_TRAP); // 24: anything else, from anywhere, traps
    let len = p.0.len();
    (p.finish(), len)
}

/// Returns the mapper thread's filter and its length.
pub(super) fn mapper() -> ([ScFilter; SC_FILTER_LEN], usize) {
    let allowed = [
        libc::SYS_futex,
        libc::SYS_mmap,
        libc::SYS_munmap,
        libc::SYS_mprotect,
        libc::SYS_write,
        libc::SYS_exit_group,
        libc::SYS_clone,
        libc::SYS_sigaltstack,
        libc::SYS_rt_sigprocmask,
        libc::SYS_seccomp,
        libc::SYS_rt_sigreturn,
        libc::SYS_arch_prctl,
        libc::SYS_exit,
        libc::SYS_sched_yield,
    ];
    // A call of another ABI (int $0x80) traps: under this filter, a guest
    // thread's goes to the kernel as under its own.
    let trap = 3 + allowed.len();
    let allow = trap + 1;
    let mut p = Program(Vec::new());
    p.load(ARCH);
    p.jump(BPF_JEQ_K, AUDIT_ARCH_X86_64, Jump::Next, Jump::To(trap));
    p.load(NR);
    for nr in allowed {
        p.jump(BPF_JEQ_K, nr as u32, Jump::To(allow), Jump::Next);
    }
    p.ret(RET_TRAP);
    p.ret(RET_ALLOW);
    let len = p.0.len();
    (p.finish(), len)
}
