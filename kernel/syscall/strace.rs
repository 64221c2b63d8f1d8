//! `strace=COMM,...`: one kernel log line per finished system call of the
//! programs so named, decoded by the argument kinds of the system call table:
//! `strace: 42 login: openat(dirfd=-100, path="/etc/passwd", flags=0x80000,
//! mode=0) = 0x3`. Only file names are read from guest memory: reading other
//! pointers could fault pages in behind the guest's back.

use super::table::{ArgKind, Entry};
use crate::task::TrapContext;
use arch::Result;

/// Logs the system call `nr` with `raw` arguments that ended with `result`,
/// if the caller's command name is among `names` (or they hold "all").
pub fn log(
    ctx: &TrapContext,
    names: &[String],
    nr: u64,
    entry: Option<&Entry>,
    raw: [u64; 6],
    result: Result<u64>,
) {
    let comm = String::from_utf8_lossy(&ctx.task.process.comm.borrow()).into_owned();
    if !names.iter().any(|n| n == "all" || *n == comm) {
        return;
    }
    let (call, args) = match entry {
        Some(e) => (e.name.to_string(), decode(ctx, e, raw)),
        None => (
            format!("syscall_{nr}"),
            raw.iter().map(|a| format!("{a:#x}")).collect(),
        ),
    };
    let ret = match result {
        Ok(v) => format!("{v:#x}"),
        Err(e) => format!("-{e}"),
    };
    log::info!(
        "strace: {} {comm}: {call}({}) = {ret}",
        ctx.task.tid(),
        args.join(", ")
    );
}

/// Returns `name=value` for each argument of `e`, shown as its kind says.
fn decode(ctx: &TrapContext, e: &Entry, raw: [u64; 6]) -> Vec<String> {
    e.args
        .iter()
        .zip(raw)
        .map(|(&(name, kind), v)| {
            let shown = match kind {
                ArgKind::Fd | ArgKind::Int => format!("{}", v as i32),
                ArgKind::Uint => format!("{v}"),
                ArgKind::Flags => format!("{v:#x}"),
                ArgKind::Mode => format!("{v:#o}"),
                ArgKind::Ptr if v == 0 => "NULL".to_string(),
                ArgKind::Ptr => format!("{v:#x}"),
                ArgKind::Path => match ctx.read_path(v) {
                    Ok(p) => format!("{:?}", String::from_utf8_lossy(&p)),
                    Err(_) => format!("{v:#x}"),
                },
            };
            format!("{name}={shown}")
        })
        .collect()
}
