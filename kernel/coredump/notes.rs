//! The notes of a core (Linux's fs/binfmt_elf.c `fill_note_info`): for each
//! thread `NT_PRSTATUS` (struct elf_prstatus: signal, pending and blocked
//! sets, ids, times, the user registers), `NT_PRFPREG` (the 512-byte FXSAVE
//! area) and `NT_X86_XSTATE` (the whole XSAVE area); once, after the first
//! thread's, `NT_PRPSINFO` (struct elf_prpsinfo), `NT_SIGINFO`, `NT_AUXV`
//! and `NT_FILE`. The first thread is the one that took the signal.

use super::elf::{Bytes, Note};
use crate::signal::SigInfo;
use arch::abi::pod::as_bytes;
use arch::UserRegs;

const NT_PRSTATUS: u32 = 1;
const NT_PRFPREG: u32 = 2;
const NT_PRPSINFO: u32 = 3;
const NT_AUXV: u32 = 6;
const NT_X86_XSTATE: u32 = 0x202;
const NT_SIGINFO: u32 = 0x5349_4749;
const NT_FILE: u32 = 0x4649_4c45;
/// Linux's ELF_PRARGSZ: the bytes of the command line in `pr_psargs`.
const ELF_PRARGSZ: usize = 80;
/// The size of the FXSAVE (legacy) part of an XSAVE area.
const FXSAVE_SIZE: usize = 512;
/// Linux's PF_DUMPCORE, in `pr_flag` of the dumping process.
const PF_DUMPCORE: u64 = 0x200;

/// What a thread leaves for the core: its registers and FPU state as it
/// stopped, its signal sets and CPU times.
#[derive(Clone)]
pub struct ThreadCore {
    pub tid: i32,
    pub regs: UserRegs,
    /// The XSAVE area, None if the CPU could not give it.
    pub xstate: Option<Vec<u8>>,
    pub sigpend: u64,
    pub sighold: u64,
    /// User and system CPU time in nanoseconds.
    pub utime: u64,
    pub stime: u64,
}

/// What the core says of the process as a whole.
pub struct ProcessCore {
    pub pid: i32,
    pub ppid: i32,
    pub pgrp: i32,
    pub sid: i32,
    pub uid: u32,
    pub gid: u32,
    pub nice: i32,
    pub comm: Vec<u8>,
    /// The command line, arguments separated by NULs.
    pub args: Vec<u8>,
    /// CPU time of reaped children (user, system), nanoseconds.
    pub children_times: (u64, u64),
    pub signal: SigInfo,
    /// The auxiliary vector, as (type, value) words up to AT_NULL.
    pub auxv: Vec<u64>,
    /// The file mappings: start, end, file offset in pages, path.
    pub files: Vec<(u64, u64, u64, Vec<u8>)>,
    /// The XSAVE features the host enables for user space (XCR0).
    pub xfeatures: u64,
}

/// Returns the registers in `user_regs_struct` order (elf_gregset_t).
fn gregs(r: &UserRegs) -> [u64; 27] {
    [
        r.r15, r.r14, r.r13, r.r12, r.rbp, r.rbx, r.r11, r.r10, r.r9, r.r8, r.rax, r.rcx, r.rdx,
        r.rsi, r.rdi, r.orig_rax, r.rip, r.cs, r.eflags, r.rsp, r.ss, r.fs_base, r.gs_base, r.ds,
        r.es, r.fs, r.gs,
    ]
}

/// Appends a `struct __kernel_old_timeval` of `ns` nanoseconds.
fn timeval(b: &mut Bytes, ns: u64) {
    b.u64(ns / 1_000_000_000).u64(ns % 1_000_000_000 / 1000);
}

/// Returns `struct elf_prstatus` of thread `t`; the group leader carries the
/// process's children times (Linux's fill_prstatus).
fn prstatus(p: &ProcessCore, t: &ThreadCore) -> Vec<u8> {
    let sig = p.signal.si_signo;
    let mut b = Bytes::default();
    // pr_info (si_signo, si_code, si_errno), pr_cursig and its padding.
    b.u32(sig as u32).u32(0).u32(0).u16(sig as u16).u16(0);
    b.u64(t.sigpend).u64(t.sighold);
    b.u32(t.tid as u32)
        .u32(p.ppid as u32)
        .u32(p.pgrp as u32)
        .u32(p.sid as u32);
    timeval(&mut b, t.utime);
    timeval(&mut b, t.stime);
    let leader = t.tid == p.pid;
    timeval(&mut b, if leader { p.children_times.0 } else { 0 });
    timeval(&mut b, if leader { p.children_times.1 } else { 0 });
    for w in gregs(&t.regs) {
        b.u64(w);
    }
    // pr_fpvalid, then padding to the structure's alignment.
    b.u32(t.xstate.is_some() as u32).u32(0);
    b.0
}

/// Returns `struct elf_prpsinfo` of the dumping (running) process.
fn prpsinfo(p: &ProcessCore) -> Vec<u8> {
    let mut b = Bytes::default();
    // pr_state 0 and pr_sname 'R': the process runs; pr_zomb; pr_nice.
    b.u8(0).u8(b'R').u8(0).u8(p.nice as i8 as u8).u32(0);
    b.u64(PF_DUMPCORE).u32(p.uid).u32(p.gid);
    b.u32(p.pid as u32)
        .u32(p.ppid as u32)
        .u32(p.pgrp as u32)
        .u32(p.sid as u32);
    b.fixed(&p.comm, 16);
    let mut args: Vec<u8> = p.args.iter().take(ELF_PRARGSZ - 1).copied().collect();
    while args.last() == Some(&0) {
        args.pop();
    }
    for c in &mut args {
        if *c == 0 {
            *c = b' ';
        }
    }
    b.fixed(&args, ELF_PRARGSZ);
    b.0
}

/// Returns the `NT_FILE` contents: the count, the page size, a (start, end,
/// offset in pages) triple per file mapping, then their paths.
fn file_note(p: &ProcessCore) -> Vec<u8> {
    let mut b = Bytes::default();
    b.u64(p.files.len() as u64).u64(mm::PAGE_SIZE);
    for (start, end, pgoff, _) in &p.files {
        b.u64(*start).u64(*end).u64(*pgoff);
    }
    for (.., name) in &p.files {
        b.bytes(name).u8(0);
    }
    b.0
}

/// Returns the XSAVE area as ptrace and cores show it (Linux's
/// copy_xstate_to_uabi_buf): the legacy x87 and SSE state in its initial
/// values where the header says the component is unused, the reserved
/// bytes cleared and the first software-reserved word the XCR0 of user
/// space, which gdb reads to learn the layout.
fn uabi_xstate(x: &[u8], xfeatures: u64) -> Vec<u8> {
    let mut x = x.to_vec();
    if x.len() < FXSAVE_SIZE + 64 {
        return x;
    }
    let bv = u64::from_le_bytes(x[512..520].try_into().expect("eight bytes"));
    if bv & 1 == 0 {
        // fcw 0x37f, the rest of the x87 state zero (mxcsr at 24 kept).
        x[0..24].fill(0);
        x[0..2].copy_from_slice(&0x37fu16.to_le_bytes());
        x[32..160].fill(0);
    }
    if bv & 2 == 0 {
        x[160..416].fill(0);
    }
    x[416..FXSAVE_SIZE].fill(0);
    x[464..472].copy_from_slice(&xfeatures.to_le_bytes());
    x
}

/// Appends the notes of thread `t`: NT_PRSTATUS, then its FPU state.
fn thread_notes(notes: &mut Vec<Note>, p: &ProcessCore, t: &ThreadCore) {
    notes.push(Note {
        name: b"CORE",
        kind: NT_PRSTATUS,
        desc: prstatus(p, t),
    });
    if let Some(x) = &t.xstate {
        let x = uabi_xstate(x, p.xfeatures);
        let mut fx = x[..FXSAVE_SIZE.min(x.len())].to_vec();
        fx.resize(FXSAVE_SIZE, 0);
        fx[464..].fill(0);
        notes.push(Note {
            name: b"CORE",
            kind: NT_PRFPREG,
            desc: fx,
        });
        notes.push(Note {
            name: b"LINUX",
            kind: NT_X86_XSTATE,
            desc: x,
        });
    }
}

/// Returns every note of the core, in Linux's order. `threads[0]` is the
/// thread that took the signal.
pub fn notes(p: &ProcessCore, threads: &[ThreadCore]) -> Vec<Note> {
    let mut notes = Vec::new();
    let Some((first, rest)) = threads.split_first() else {
        return notes;
    };
    thread_notes(&mut notes, p, first);
    notes.push(Note {
        name: b"CORE",
        kind: NT_PRPSINFO,
        desc: prpsinfo(p),
    });
    notes.push(Note {
        name: b"CORE",
        kind: NT_SIGINFO,
        desc: as_bytes(&p.signal).to_vec(),
    });
    let mut auxv = Bytes::default();
    for w in &p.auxv {
        auxv.u64(*w);
    }
    notes.push(Note {
        name: b"CORE",
        kind: NT_AUXV,
        desc: auxv.0,
    });
    notes.push(Note {
        name: b"CORE",
        kind: NT_FILE,
        desc: file_note(p),
    });
    for t in rest {
        thread_notes(&mut notes, p, t);
    }
    notes
}
