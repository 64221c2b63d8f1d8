//! What a core says of the dumping process beyond its threads: the facts
//! kernel.core_pattern's specifiers stand for, and the process-wide notes
//! (ids, names, the command line, the auxiliary vector, the mapped files).

use super::notes::ProcessCore;
use super::pattern::Specifiers;
use crate::signal::SigInfo;
use crate::task::TrapContext;
use mm::{Mm, VmaName};

/// `AT_NULL`, the end of the auxiliary vector.
const AT_NULL: u64 = 0;
/// The most auxiliary vector entries read (Linux's AT_VECTOR_SIZE is 50ish).
const AUXV_MAX: usize = 64;
/// The most environment pointers skipped looking for the vector.
const ENVP_MAX: u64 = 1 << 16;
/// XFEATUREs 17 and 18: AMX tile configuration and data.
const XFEATURE_MASK_XTILE: u64 = 3 << 17;

/// Returns the values of the pattern specifiers for a dump of the process
/// of `ctx` for `sig` under an RLIMIT_CORE of `limit`.
pub fn specifiers(ctx: &TrapContext, sig: i32, limit: u64) -> Specifiers {
    let p = &ctx.task.process;
    let cred = p.cred.borrow();
    let exe = p
        .exe
        .borrow()
        .as_ref()
        .map(|e| e.to_bytes(&ctx.task.fs().root))
        .unwrap_or_default();
    Specifiers {
        pid: p.pid,
        tid: ctx.task.tid(),
        uid: cred.uid,
        gid: cred.gid,
        signal: sig,
        time: std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_secs()),
        hostname: ctx.task.uts.borrow().nodename.borrow().as_bytes().to_vec(),
        comm: p.comm.borrow().clone(),
        exe,
        core_limit: limit,
        dumpable: 1,
    }
}

/// Returns the auxiliary vector the process started with, read where execve
/// put it above the initial stack pointer: past argc, argv and envp. Empty if
/// the process has made it unreadable.
fn auxv(mm: &mut Mm) -> Vec<u64> {
    let word = |mm: &mut Mm, at: u64| -> Option<u64> {
        let mut b = [0u8; 8];
        mm.copy_from_user(at, &mut b).ok()?;
        Some(u64::from_le_bytes(b))
    };
    let sp = mm.layout.start_stack;
    let read = |mm: &mut Mm| -> Option<Vec<u64>> {
        let argc = word(mm, sp)?;
        let mut at = sp.checked_add(8 * (argc.min(ENVP_MAX) + 2))?;
        for _ in 0..ENVP_MAX {
            let w = word(mm, at)?;
            at += 8;
            if w == 0 {
                break;
            }
        }
        let mut v = Vec::new();
        for _ in 0..AUXV_MAX {
            let (k, val) = (word(mm, at)?, word(mm, at + 8)?);
            at += 16;
            v.extend([k, val]);
            if k == AT_NULL {
                break;
            }
        }
        Some(v)
    };
    if sp == 0 {
        return Vec::new();
    }
    read(mm).unwrap_or_default()
}

/// Returns the process-wide facts of the core of the process of `ctx`,
/// killed by `info`.
pub fn process_core(ctx: &TrapContext, info: &SigInfo) -> ProcessCore {
    let p = &ctx.task.process;
    let cred = p.cred.borrow().clone();
    let mm = ctx.task.mm();
    let mut mm = mm.borrow_mut();
    let (arg_start, arg_end) = (mm.layout.arg_start, mm.layout.arg_end);
    let mut args = vec![0u8; arg_end.saturating_sub(arg_start).min(80) as usize];
    if mm.copy_from_user(arg_start, &mut args).is_err() {
        args.clear();
    }
    let files = mm
        .vmas()
        .filter(|v| v.file.is_some())
        .map(|v| {
            let name = match &v.name {
                VmaName::Named(n) => n.as_bytes().to_vec(),
                _ => Vec::new(),
            };
            (v.start, v.end, v.offset / mm::PAGE_SIZE, name)
        })
        .collect();
    let auxv = auxv(&mut mm);
    let geometry = arch::host::xsave::sigframe_xstate();
    let full = ctx.cpu.xstate_size();
    let xfeatures = if full > geometry.size {
        geometry.xfeatures | XFEATURE_MASK_XTILE
    } else {
        geometry.xfeatures
    };
    ProcessCore {
        pid: p.pid,
        ppid: p.ppid(),
        pgrp: *p.pgid.borrow(),
        sid: *p.sid.borrow(),
        uid: cred.uid,
        gid: cred.gid,
        nice: ctx.task.sched.borrow().nice,
        comm: p.comm.borrow().clone(),
        args,
        children_times: *p.children_times.borrow(),
        signal: *info,
        auxv,
        files,
        xfeatures,
    }
}
