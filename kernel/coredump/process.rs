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

/// Returns the auxiliary vector exec gave the process (`Mm::saved_auxv`),
/// as words ending with AT_NULL.
fn auxv(mm: &Mm) -> Vec<u64> {
    mm.saved_auxv
        .iter()
        .chain(&[(AT_NULL, 0)])
        .flat_map(|&(k, v)| [k, v])
        .collect()
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
    let auxv = auxv(&mm);
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
