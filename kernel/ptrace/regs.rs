//! The tracee's registers as ptrace transfers them: `struct
//! user_regs_struct` word by word, and the checks Linux's `putreg` makes
//! on what a tracer writes.

use arch::abi::ptrace::USER_REGS_SIZE;
use arch::{Errno, Result, UserRegs};

/// The number of words of `struct user_regs_struct`.
pub const NR_WORDS: usize = (USER_REGS_SIZE / 8) as usize;

/// Word indexes of the registers a write is checked for.
const EFLAGS: usize = 18;
const CS: usize = 17;
const SS: usize = 20;
const FS_BASE: usize = 21;
const GS_BASE: usize = 22;
const DS: usize = 23;
const GS: usize = 26;

/// The flags a tracer may change (Linux's FLAG_MASK): the arithmetic
/// flags, TF, DF, OF, RF and AC.
const FLAG_MASK: u64 = 0x1 | 0x4 | 0x10 | 0x40 | 0x80 | 0x100 | 0x400 | 0x800 | 0x1_0000 | 0x4_0000;

/// 64-bit user code and stack selectors: the only ones this kernel's
/// guest CPUs run with.
const USER_CS: u64 = 0x33;
const USER_SS: u64 = 0x2b;

/// Returns the registers as words, in `user_regs_struct` order.
pub fn to_words(r: &UserRegs) -> [u64; NR_WORDS] {
    [
        r.r15, r.r14, r.r13, r.r12, r.rbp, r.rbx, r.r11, r.r10, r.r9, r.r8, r.rax, r.rcx, r.rdx,
        r.rsi, r.rdi, r.orig_rax, r.rip, r.cs, r.eflags, r.rsp, r.ss, r.fs_base, r.gs_base, r.ds,
        r.es, r.fs, r.gs,
    ]
}

fn from_words(w: &[u64; NR_WORDS]) -> UserRegs {
    UserRegs {
        r15: w[0],
        r14: w[1],
        r13: w[2],
        r12: w[3],
        rbp: w[4],
        rbx: w[5],
        r11: w[6],
        r10: w[7],
        r9: w[8],
        r8: w[9],
        rax: w[10],
        rcx: w[11],
        rdx: w[12],
        rsi: w[13],
        rdi: w[14],
        orig_rax: w[15],
        rip: w[16],
        cs: w[17],
        eflags: w[18],
        rsp: w[19],
        ss: w[20],
        fs_base: w[21],
        gs_base: w[22],
        ds: w[23],
        es: w[24],
        fs: w[25],
        gs: w[26],
    }
}

/// Writes `value` into word `index` of `regs` as Linux's `putreg` does:
/// EIO for a base past user space or a selector other than the task
/// runs with; only the user-changeable flags change.
pub fn put_word(regs: &mut UserRegs, index: usize, value: u64) -> Result<()> {
    let mut w = to_words(regs);
    let old = *w.get(index).ok_or(Errno::EIO)?;
    w[index] = match index {
        EFLAGS => (old & !FLAG_MASK) | (value & FLAG_MASK),
        CS if value != USER_CS => return Err(Errno::EIO),
        SS if value != USER_SS => return Err(Errno::EIO),
        FS_BASE | GS_BASE if value >= arch::backend::TASK_SIZE => return Err(Errno::EIO),
        DS..=GS if value != old && value != 0 => return Err(Errno::EIO),
        _ => value,
    };
    *regs = from_words(&w);
    Ok(())
}

/// Writes a whole register set (PTRACE_SETREGS), word by word, so that
/// nothing changes if one word is refused.
pub fn put_all(regs: &mut UserRegs, words: &[u64]) -> Result<()> {
    let mut new = *regs;
    for (i, &v) in words.iter().enumerate().take(NR_WORDS) {
        put_word(&mut new, i, v)?;
    }
    *regs = new;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn regs() -> UserRegs {
        UserRegs {
            cs: USER_CS,
            ss: USER_SS,
            eflags: 0x202,
            ..Default::default()
        }
    }

    #[test]
    fn words_round_trip() {
        let mut r = regs();
        r.rip = 0x401000;
        r.orig_rax = 60;
        let w = to_words(&r);
        assert_eq!(w[16], 0x401000);
        assert_eq!(w[15], 60);
        assert_eq!(from_words(&w), r);
    }

    #[test]
    fn writes_are_checked_as_linux_checks_them() {
        let mut r = regs();
        put_word(&mut r, 16, 0x1234).expect("rip");
        assert_eq!(r.rip, 0x1234);
        assert_eq!(put_word(&mut r, CS, 0x23), Err(Errno::EIO), "32-bit code");
        assert_eq!(put_word(&mut r, FS_BASE, 1 << 63), Err(Errno::EIO));
        put_word(&mut r, EFLAGS, 0xffff_ffff).expect("flags");
        assert_eq!(r.eflags, 0x202 | FLAG_MASK, "only the user's flags change");
        assert_eq!(put_word(&mut r, NR_WORDS, 0), Err(Errno::EIO));
        let mut w = to_words(&r);
        w[0] = 7;
        w[CS] = 0x10;
        assert_eq!(put_all(&mut r, &w), Err(Errno::EIO));
        assert_eq!(r.r15, 0, "nothing changed");
    }
}
