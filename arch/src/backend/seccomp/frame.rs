//! A guest thread's state as the host saved it: the signal frame the host
//! wrote on the alternate stack of its slot when the guest trapped. The kernel reads the
//! registers and XSAVE area from it and writes them back in place; the
//! handler's `rt_sigreturn` loads them. The frame is in memory the guest
//! could have written before it trapped, so every address in it is checked
//! against the thread's slot and the XSAVE area is validated before the host
//! is asked to load it.

use super::layout::{SysmsgHead, SC_SLOT_SIZE};
use super::shm::Shm;
use crate::abi::errno::{Errno, Result};
use crate::abi::regs::UserRegs;
use crate::abi::structs::{FpxSwBytes, Sigcontext, StackT, Ucontext};
use crate::PAGE_SIZE;
use std::mem::{offset_of, size_of};

/// `FP_XSTATE_MAGIC1`: the software bytes describe an XSAVE area.
const FP_XSTATE_MAGIC1: u32 = 0x4650_5853;
/// Where in the FXSAVE region the software bytes, MXCSR and the XSAVE header are.
const SW_BYTES: usize = 464;
const MXCSR: usize = 24;
const XSTATE_BV: usize = 512;
const XCOMP_BV: usize = 520;

/// Where a trap's frame is: its ucontext and XSAVE area in the message area.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Frame {
    pub uc: u64,
    pub fpstate: u64,
    pub xstate_size: usize,
    pub xfeatures: u64,
}

impl Frame {
    /// Finds the frame of the trap the head of `slot` reports, checking it
    /// lies in the slot's alternate stack.
    pub(super) fn locate(shm: &Shm, slot: u64) -> Result<(Frame, Ucontext)> {
        let uc_addr: u64 = shm.read(slot + offset_of!(SysmsgHead, uc) as u64)?;
        let uc: Ucontext = read_in_stack(shm, slot, uc_addr)?;
        let fpstate = uc.uc_mcontext.fpstate;
        let sw: FpxSwBytes = read_in_stack(shm, slot, fpstate.wrapping_add(SW_BYTES as u64))?;
        if sw.magic1 != FP_XSTATE_MAGIC1 {
            return Err(Errno::EFAULT);
        }
        let size = sw.xstate_size as usize;
        if size < XCOMP_BV + 8 || !in_stack(slot, fpstate, size) {
            return Err(Errno::EFAULT);
        }
        let frame = Frame {
            uc: uc_addr,
            fpstate,
            xstate_size: size,
            xfeatures: sw.xfeatures,
        };
        Ok((frame, uc))
    }

    /// Returns the XSAVE area of the frame.
    pub(super) fn xstate(&self, shm: &Shm) -> Result<Vec<u8>> {
        let mut x = vec![0u8; self.xstate_size];
        shm.read_bytes(self.fpstate, &mut x)?;
        Ok(x)
    }

    /// Replaces the XSAVE area of the frame by `state`, keeping the frame's own
    /// software bytes, and only the components it has; EINVAL for a state the
    /// host would refuse to load (another size, reserved MXCSR bits).
    pub(super) fn set_xstate(&self, shm: &Shm, state: &[u8]) -> Result<()> {
        if state.len() != self.xstate_size {
            return Err(Errno::EINVAL);
        }
        let word = |at: usize| u32::from_le_bytes(state[at..at + 4].try_into().expect("4 bytes"));
        if word(MXCSR) & 0xffff_0000 != 0 {
            return Err(Errno::EINVAL);
        }
        let mut x = state.to_vec();
        let mut sw = [0u8; 48];
        shm.read_bytes(self.fpstate + SW_BYTES as u64, &mut sw)?;
        x[SW_BYTES..SW_BYTES + 48].copy_from_slice(&sw);
        let bv = u64::from_le_bytes(x[XSTATE_BV..XSTATE_BV + 8].try_into().expect("8 bytes"));
        x[XSTATE_BV..XSTATE_BV + 8].copy_from_slice(&(bv & self.xfeatures).to_le_bytes());
        x[XCOMP_BV..XCOMP_BV + 8].fill(0);
        shm.write_bytes(self.fpstate, &x)
    }

    /// Stores `r` as the registers the guest resumes with, in 64-bit mode
    /// (code and stack selectors `cs`, `ss`: whatever a forged frame made of
    /// the last ones), with the signal mask and alternate stack (that of
    /// `slot`) a stub's guest thread always has.
    pub(super) fn store(
        &self,
        shm: &Shm,
        (uc, slot): (&mut Ucontext, u64),
        r: &UserRegs,
        (cs, ss): (u16, u16),
    ) -> Result<()> {
        let m = &mut uc.uc_mcontext;
        *m = Sigcontext { cs, ss, ..*m }.with_regs(r);
        m.fpstate = self.fpstate;
        uc.uc_sigmask = 0;
        uc.uc_stack = StackT {
            ss_sp: slot + PAGE_SIZE,
            ss_flags: 0,
            ss_size: SC_SLOT_SIZE - PAGE_SIZE,
            ..uc.uc_stack
        };
        shm.write(self.uc, uc)
    }
}

/// Returns the registers saved in `uc`, the segment selectors and bases
/// besides.
pub(super) fn regs_of(uc: &Ucontext, fs_base: u64, gs_base: u64) -> UserRegs {
    let m = &uc.uc_mcontext;
    UserRegs {
        r15: m.r15,
        r14: m.r14,
        r13: m.r13,
        r12: m.r12,
        rbp: m.rbp,
        rbx: m.rbx,
        r11: m.r11,
        r10: m.r10,
        r9: m.r9,
        r8: m.r8,
        rax: m.rax,
        rcx: m.rcx,
        rdx: m.rdx,
        rsi: m.rsi,
        rdi: m.rdi,
        orig_rax: u64::MAX,
        rip: m.rip,
        cs: m.cs as u64,
        eflags: m.eflags,
        rsp: m.rsp,
        ss: m.ss as u64,
        fs_base,
        gs_base,
        ds: 0,
        es: 0,
        fs: 0,
        gs: 0,
    }
}

/// Whether `len` bytes at `addr` lie in the alternate stack of `slot`.
fn in_stack(slot: u64, addr: u64, len: usize) -> bool {
    addr >= slot + PAGE_SIZE
        && addr
            .checked_add(len as u64)
            .is_some_and(|e| e <= slot + SC_SLOT_SIZE)
}

fn read_in_stack<T: crate::abi::pod::Pod>(shm: &Shm, slot: u64, addr: u64) -> Result<T> {
    if !in_stack(slot, addr, size_of::<T>()) {
        return Err(Errno::EFAULT);
    }
    shm.read(addr)
}
